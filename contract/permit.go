package contract

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Query permits, in the spirit of Secret Network's SNIP-24: instead of a
// viewing key stored in the contract, a query carries a permit the account
// signed off-chain with its own key, naming the chain, the contracts and the
// permissions it grants and the time span it is valid in. The signer is the
// account whose data the query may read; no state is needed to accept a
// permit, only to revoke one.
//
// What is signed ("sign bytes") is
//
//	"hermetic/permit/v1\x00" ‖ JSON(params)
//
// where JSON(params) is encoding/json's encoding of PermitParams as
// PermitSignBytes produces it: the fields in their declared order
// (chain_id, permit_name, allowed_contracts, permissions, created,
// expires), no white space, nil lists written as [] (not null), numbers in
// decimal, and strings escaped as encoding/json does by default — which
// includes HTML escaping: '<', '>' and '&' become \u003c, \u003e and
// \u0026, and U+2028/U+2029 become \u2028/\u2029. A signer in another
// language must reproduce these bytes exactly; the simplest is to avoid
// those characters in names, addresses and permissions.
//
// An ed25519 key signs the sign bytes directly (checked with the host's
// ed25519_verify); a P-256 key signs their SHA-256 with a low-S signature, as
// Hermetic's account keys do (package keys), checked with the host's
// secp256r1_verify. The signer's address is the account address of the key:
// bech32 "herm" of the first 20 bytes of
// SHA-256("hermetic/address/v1" ‖ type ‖ key), type 1 for ed25519 and 2 for
// P-256 — the address of the same key as a transaction signer.
//
// Revocations are kept per signer in the map namespaces "permit_revoked"
// (revoked names) and "permit_revoke_before" (a time before which every
// permit created is revoked); a contract using permits must not use those
// names itself.

// Errors of VerifyPermit, one for each reason a permit is refused.
var (
	// ErrPermitChain: the permit is for another chain.
	ErrPermitChain = errors.New("permit: signed for another chain")
	// ErrPermitContract: the permit does not name this contract.
	ErrPermitContract = errors.New("permit: not valid for this contract")
	// ErrPermitPermission: the permit does not grant the permission asked.
	ErrPermitPermission = errors.New("permit: permission not granted")
	// ErrPermitNotYetValid: the permit's creation time is after the block's.
	ErrPermitNotYetValid = errors.New("permit: not yet valid")
	// ErrPermitExpired: the permit expired at or before the block's time.
	ErrPermitExpired = errors.New("permit: expired")
	// ErrPermitRevoked: the signer revoked the permit, by name or by time.
	ErrPermitRevoked = errors.New("permit: revoked")
	// ErrPermitSignature: the signature is not the key's over the params
	// (or the signature or key is malformed).
	ErrPermitSignature = errors.New("permit: invalid signature")
	// ErrPermitKeyType: the public key's type is neither "ed25519" nor
	// "p256".
	ErrPermitKeyType = errors.New("permit: unknown key type")
)

// PermitAnyContract in AllowedContracts makes a permit valid for every
// contract.
const PermitAnyContract = "*"

// Permit key types, as PermitPubKey.Type spells them.
const (
	PermitKeyEd25519 = "ed25519"
	PermitKeyP256    = "p256"
)

// permitDomain starts the sign bytes of every permit.
const permitDomain = "hermetic/permit/v1\x00"

// Storage namespaces of revocations.
const (
	permitRevokedNamespace      = "permit_revoked"
	permitRevokeBeforeNamespace = "permit_revoke_before"
)

// Permit is a signed grant to read an account's data with queries.
type Permit struct {
	Params    PermitParams    `json:"params"`
	Signature PermitSignature `json:"signature"`
}

// PermitParams is what the account signs.
type PermitParams struct {
	// ChainID is the chain the permit is for (Env.Block.ChainID).
	ChainID string `json:"chain_id"`
	// PermitName names the permit, so that it can be revoked by name.
	PermitName string `json:"permit_name"`
	// AllowedContracts lists the contracts the permit is valid for (their
	// addresses as the contract sees them in Env.Contract.Address), or
	// holds "*" for any. An empty list allows none.
	AllowedContracts []string `json:"allowed_contracts"`
	// Permissions lists what the permit grants ("balance", "history"...:
	// each contract defines its own).
	Permissions []string `json:"permissions"`
	// Created is when the permit becomes valid, in Unix seconds.
	Created uint64 `json:"created"`
	// Expires is when the permit stops being valid, in Unix seconds: it is
	// valid while the block time is before it.
	Expires uint64 `json:"expires"`
}

// PermitPubKey is the signer's public key: Type "ed25519" (Value 32 bytes)
// or "p256" (Value a 33-byte compressed SEC1 point).
type PermitPubKey struct {
	Type  string `json:"type"`
	Value []byte `json:"value"`
}

// PermitSignature is the signer's key and signature (64 bytes; r‖s for
// P-256).
type PermitSignature struct {
	PubKey    PermitPubKey `json:"pub_key"`
	Signature []byte       `json:"signature"`
}

// PermitSignBytes returns the bytes a permit's signer signs (see the sign
// bytes above).
func PermitSignBytes(p PermitParams) []byte {
	if p.AllowedContracts == nil {
		p.AllowedContracts = []string{}
	}
	if p.Permissions == nil {
		p.Permissions = []string{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		panic(fmt.Sprintf("contract: encode permit params: %v", err)) // unreachable: strings and numbers only
	}
	return append([]byte(permitDomain), b...)
}

// PermitSigner returns the account address of a permit's public key, or
// ErrPermitKeyType.
func PermitSigner(pub PermitPubKey) (string, error) {
	var typ byte
	switch pub.Type {
	case PermitKeyEd25519:
		typ = 1
	case PermitKeyP256:
		typ = 2
	default:
		return "", fmt.Errorf("%w: %q", ErrPermitKeyType, pub.Type)
	}
	h := sha256.New()
	h.Write([]byte("hermetic/address/v1"))
	h.Write([]byte{typ})
	h.Write(pub.Value)
	return bech32Encode("herm", h.Sum(nil)[:20]), nil
}

// VerifyPermit checks that p lets its signer's data be read with the given
// permission by the contract contractAddr (normally env.Contract.Address),
// and returns the signer's address. It refuses, each with its own error, a
// permit whose key type is unknown (ErrPermitKeyType), for another chain
// (ErrPermitChain), not naming contractAddr or "*" (ErrPermitContract), not
// granting permission (ErrPermitPermission), created after the block time
// (ErrPermitNotYetValid), expired by it (ErrPermitExpired), badly signed
// (ErrPermitSignature) or revoked by its signer (ErrPermitRevoked), checked
// in that order. Times compare in whole seconds: the block time rounded
// down.
func VerifyPermit(deps Deps, env Env, contractAddr string, p Permit, permission string) (signer string, err error) {
	signer, err = PermitSigner(p.Signature.PubKey)
	if err != nil {
		return "", err
	}
	params := p.Params
	if params.ChainID != env.Block.ChainID {
		return "", fmt.Errorf("%w: permit for %q, chain is %q", ErrPermitChain, params.ChainID, env.Block.ChainID)
	}
	if !slices.Contains(params.AllowedContracts, PermitAnyContract) && !slices.Contains(params.AllowedContracts, contractAddr) {
		return "", fmt.Errorf("%w: %s", ErrPermitContract, contractAddr)
	}
	if !slices.Contains(params.Permissions, permission) {
		return "", fmt.Errorf("%w: %q", ErrPermitPermission, permission)
	}
	now, err := blockSeconds(env)
	if err != nil {
		return "", err
	}
	if params.Created > now {
		return "", fmt.Errorf("%w: created %d, block time %d", ErrPermitNotYetValid, params.Created, now)
	}
	if params.Expires <= now {
		return "", fmt.Errorf("%w: expired %d, block time %d", ErrPermitExpired, params.Expires, now)
	}

	msg := PermitSignBytes(params)
	var ok bool
	switch p.Signature.PubKey.Type {
	case PermitKeyEd25519:
		ok, err = deps.API.Ed25519Verify(msg, p.Signature.Signature, p.Signature.PubKey.Value)
	case PermitKeyP256:
		h := sha256.Sum256(msg)
		ok, err = deps.API.Secp256r1Verify(h[:], p.Signature.Signature, p.Signature.PubKey.Value)
	}
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrPermitSignature, err)
	}
	if !ok {
		return "", ErrPermitSignature
	}

	if deps.Storage.Get(permitRevokedKey(signer, params.PermitName)) != nil {
		return "", fmt.Errorf("%w: %q", ErrPermitRevoked, params.PermitName)
	}
	if before, found := permitRevokedBefore(deps, signer); found && params.Created < before {
		return "", fmt.Errorf("%w: every permit created before %d", ErrPermitRevoked, before)
	}
	return signer, nil
}

// RevokePermit revokes the signer's permits named name: VerifyPermit
// refuses them from now on, whatever their other parameters. A revocation
// cannot be undone. signer is the address VerifyPermit returns.
func RevokePermit(deps Deps, signer, name string) error {
	if signer == "" {
		return errors.New("permit: revoke: empty signer")
	}
	if name == "" {
		return errors.New("permit: revoke: empty permit name")
	}
	deps.Storage.Set(permitRevokedKey(signer, name), []byte{1})
	return nil
}

// RevokeAllBefore revokes every permit of the signer created before the
// given time (Unix seconds). Of several calls the latest time holds: a call
// with an earlier time than a previous one changes nothing, so a revocation
// cannot be undone.
func RevokeAllBefore(deps Deps, signer string, before uint64) error {
	if signer == "" {
		return errors.New("permit: revoke: empty signer")
	}
	if old, found := permitRevokedBefore(deps, signer); found && old >= before {
		return nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], before)
	deps.Storage.Set(NamespaceKey([]byte(permitRevokeBeforeNamespace), []byte(signer)), b[:])
	return nil
}

func permitRevokedBefore(deps Deps, signer string) (uint64, bool) {
	b := deps.Storage.Get(NamespaceKey([]byte(permitRevokeBeforeNamespace), []byte(signer)))
	if len(b) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}

// permitRevokedKey is the key of a revoked name: the signer, length-prefixed
// so that no signer and name pair collides with another, then the name.
func permitRevokedKey(signer, name string) []byte {
	return NamespaceKey([]byte(permitRevokedNamespace), append(namespacePrefix([]byte(signer)), name...))
}

// blockSeconds is the block time in whole Unix seconds.
func blockSeconds(env Env) (uint64, error) {
	n, err := strconv.ParseUint(env.Block.Time, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("permit: block time %q: %w", env.Block.Time, err)
	}
	return n / 1_000_000_000, nil
}

// bech32Encode encodes data (8-bit bytes) with the human-readable part hrp
// (BIP-173; hrp lower-case).
func bech32Encode(hrp string, data []byte) string {
	const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
	// regroup into 5-bit values, padding the last one
	var values []byte
	acc, bits := 0, 0
	for _, b := range data {
		acc = acc<<8 | int(b)
		bits += 8
		for bits >= 5 {
			bits -= 5
			values = append(values, byte(acc>>bits&31))
		}
	}
	if bits > 0 {
		values = append(values, byte(acc<<(5-bits)&31))
	}
	polymod := func(vs []byte) uint32 {
		gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
		chk := uint32(1)
		for _, v := range vs {
			top := chk >> 25
			chk = (chk&0x1ffffff)<<5 ^ uint32(v)
			for i := range 5 {
				if top>>i&1 == 1 {
					chk ^= gen[i]
				}
			}
		}
		return chk
	}
	var exp []byte
	for i := range len(hrp) {
		exp = append(exp, hrp[i]>>5)
	}
	exp = append(exp, 0)
	for i := range len(hrp) {
		exp = append(exp, hrp[i]&31)
	}
	mod := polymod(slices.Concat(exp, values, make([]byte, 6))) ^ 1
	var out bytes.Buffer
	out.WriteString(hrp)
	out.WriteByte('1')
	for _, v := range values {
		out.WriteByte(charset[v])
	}
	for i := range 6 {
		out.WriteByte(charset[mod>>(5*(5-i))&31])
	}
	return out.String()
}
