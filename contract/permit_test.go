//go:build !wasip1

package contract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

const permitNow = 1_700_000_000 // block time of permitEnv, in seconds

func permitEnv() Env {
	return Env{Block: BlockInfo{Height: 42, Time: "1700000000500000000", ChainID: "hermetic-1"}, Contract: ContractInfo{Address: "herm1contract"}}
}

func permitParams() PermitParams {
	return PermitParams{
		ChainID:          "hermetic-1",
		PermitName:       "wallet",
		AllowedContracts: []string{"herm1other", "herm1contract"},
		Permissions:      []string{"balance", "history"},
		Created:          permitNow - 100,
		Expires:          permitNow + 100,
	}
}

func signPermit(t *testing.T, k keys.PrivKey, params PermitParams) Permit {
	t.Helper()
	sig, err := k.Sign(PermitSignBytes(params))
	require.NoError(t, err)
	return Permit{Params: params, Signature: PermitSignature{
		PubKey:    PermitPubKey{Type: k.Type().String(), Value: k.PubKey().Key},
		Signature: sig,
	}}
}

func TestPermitSignBytes(t *testing.T) {
	p := PermitParams{ChainID: "c", PermitName: "a<b", Created: 1, Expires: 2}
	require.Equal(t, "hermetic/permit/v1\x00"+`{"chain_id":"c","permit_name":"a\u003cb","allowed_contracts":[],"permissions":[],"created":1,"expires":2}`,
		string(PermitSignBytes(p)))
	// nil and empty lists sign the same
	p.AllowedContracts, p.Permissions = []string{}, []string{}
	require.Equal(t, PermitSignBytes(PermitParams{ChainID: "c", PermitName: "a<b", Created: 1, Expires: 2}), PermitSignBytes(p))
}

func TestPermitSignerMatchesKeys(t *testing.T) {
	for _, typ := range []keys.KeyType{keys.KeyEd25519, keys.KeyP256} {
		k, err := keys.Generate(typ)
		require.NoError(t, err)
		got, err := PermitSigner(PermitPubKey{Type: typ.String(), Value: k.PubKey().Key})
		require.NoError(t, err)
		require.Equal(t, k.PubKey().Address().String(), got)
	}
	_, err := PermitSigner(PermitPubKey{Type: "secp256k1", Value: make([]byte, 33)})
	require.ErrorIs(t, err, ErrPermitKeyType)
}

func TestVerifyPermit(t *testing.T) {
	for _, typ := range []keys.KeyType{keys.KeyEd25519, keys.KeyP256} {
		t.Run(typ.String(), func(t *testing.T) {
			k, err := keys.Generate(typ)
			require.NoError(t, err)
			other, err := keys.Generate(typ)
			require.NoError(t, err)
			signer := k.PubKey().Address().String()
			env := permitEnv()
			deps := MockDeps()

			got, err := VerifyPermit(deps, env, env.Contract.Address, signPermit(t, k, permitParams()), "balance")
			require.NoError(t, err)
			require.Equal(t, signer, got)

			// a permit through JSON still verifies
			b, err := json.Marshal(signPermit(t, k, permitParams()))
			require.NoError(t, err)
			var decoded Permit
			require.NoError(t, json.Unmarshal(b, &decoded))
			_, err = VerifyPermit(deps, env, env.Contract.Address, decoded, "history")
			require.NoError(t, err)

			// "*" allows any contract
			anyContract := permitParams()
			anyContract.AllowedContracts = []string{"*"}
			_, err = VerifyPermit(deps, env, env.Contract.Address, signPermit(t, k, anyContract), "balance")
			require.NoError(t, err)

			with := func(f func(*PermitParams)) Permit {
				p := permitParams()
				f(&p)
				return signPermit(t, k, p)
			}
			tampered := signPermit(t, k, permitParams())
			tampered.Params.Permissions = append(tampered.Params.Permissions, "allowance")
			otherKey := signPermit(t, k, permitParams())
			otherKey.Signature.PubKey.Value = other.PubKey().Key
			badSig := signPermit(t, k, permitParams())
			badSig.Signature.Signature = bytes.Clone(badSig.Signature.Signature)
			badSig.Signature.Signature[5] ^= 1
			shortSig := signPermit(t, k, permitParams())
			shortSig.Signature.Signature = shortSig.Signature.Signature[:63]
			unknownType := signPermit(t, k, permitParams())
			unknownType.Signature.PubKey.Type = "secp256k1"

			cases := []struct {
				name       string
				permit     Permit
				permission string
				want       error
			}{
				{"other chain", with(func(p *PermitParams) { p.ChainID = "hermetic-2" }), "balance", ErrPermitChain},
				{"other contract", with(func(p *PermitParams) { p.AllowedContracts = []string{"herm1other"} }), "balance", ErrPermitContract},
				{"no contract", with(func(p *PermitParams) { p.AllowedContracts = nil }), "balance", ErrPermitContract},
				{"permission", signPermit(t, k, permitParams()), "allowance", ErrPermitPermission},
				{"not yet valid", with(func(p *PermitParams) { p.Created = permitNow + 1 }), "balance", ErrPermitNotYetValid},
				{"expired", with(func(p *PermitParams) { p.Expires = permitNow }), "balance", ErrPermitExpired},
				{"tampered params", tampered, "balance", ErrPermitSignature},
				{"other key", otherKey, "balance", ErrPermitSignature},
				{"bad signature", badSig, "balance", ErrPermitSignature},
				{"short signature", shortSig, "balance", ErrPermitSignature},
				{"unknown key type", unknownType, "balance", ErrPermitKeyType},
			}
			all := []error{ErrPermitChain, ErrPermitContract, ErrPermitPermission, ErrPermitNotYetValid,
				ErrPermitExpired, ErrPermitRevoked, ErrPermitSignature, ErrPermitKeyType}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					_, err := VerifyPermit(deps, env, env.Contract.Address, tc.permit, tc.permission)
					require.ErrorIs(t, err, tc.want)
					for _, e := range all {
						if e != tc.want {
							require.NotErrorIs(t, err, e)
						}
					}
				})
			}

			// created at the block's second is valid; expiring the next one too
			_, err = VerifyPermit(deps, env, env.Contract.Address, with(func(p *PermitParams) { p.Created, p.Expires = permitNow, permitNow+1 }), "balance")
			require.NoError(t, err)
		})
	}
}

func TestP256HighSRefused(t *testing.T) {
	k, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	p := signPermit(t, k, permitParams())
	n := elliptic.P256().Params().N
	s := new(big.Int).SetBytes(p.Signature.Signature[32:])
	high := bytes.Clone(p.Signature.Signature)
	new(big.Int).Sub(n, s).FillBytes(high[32:])

	// high-S is a valid ECDSA signature, which the permit check refuses
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), k.PubKey().Key)
	h := sha256.Sum256(PermitSignBytes(p.Params))
	require.True(t, ecdsa.Verify(&ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, h[:], new(big.Int).SetBytes(high[:32]), new(big.Int).Sub(n, s)))
	p.Signature.Signature = high
	env := permitEnv()
	_, err = VerifyPermit(MockDeps(), env, env.Contract.Address, p, "balance")
	require.ErrorIs(t, err, ErrPermitSignature)
}

func TestRevokePermit(t *testing.T) {
	k, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	signer := k.PubKey().Address().String()
	deps, env := MockDeps(), permitEnv()
	wallet := signPermit(t, k, permitParams())
	other := permitParams()
	other.PermitName = "other"
	otherPermit := signPermit(t, k, other)

	require.NoError(t, RevokePermit(deps, signer, "wallet"))
	_, err = VerifyPermit(deps, env, env.Contract.Address, wallet, "balance")
	require.ErrorIs(t, err, ErrPermitRevoked)
	_, err = VerifyPermit(deps, env, env.Contract.Address, otherPermit, "balance")
	require.NoError(t, err)

	// another signer's permit of the same name is not revoked
	k2, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	_, err = VerifyPermit(deps, env, env.Contract.Address, signPermit(t, k2, permitParams()), "balance")
	require.NoError(t, err)

	// revoke all before: permits created earlier go, later ones stay
	require.NoError(t, RevokeAllBefore(deps, signer, permitNow-50))
	_, err = VerifyPermit(deps, env, env.Contract.Address, otherPermit, "balance")
	require.ErrorIs(t, err, ErrPermitRevoked)
	newer := permitParams()
	newer.PermitName = "newer"
	newer.Created = permitNow - 50
	_, err = VerifyPermit(deps, env, env.Contract.Address, signPermit(t, k, newer), "balance")
	require.NoError(t, err)
	// an earlier time does not undo a later one
	require.NoError(t, RevokeAllBefore(deps, signer, 0))
	_, err = VerifyPermit(deps, env, env.Contract.Address, otherPermit, "balance")
	require.ErrorIs(t, err, ErrPermitRevoked)

	require.Error(t, RevokePermit(deps, "", "x"))
	require.Error(t, RevokePermit(deps, signer, ""))
	require.Error(t, RevokeAllBefore(deps, "", 1))
}
