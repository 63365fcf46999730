package contract

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Viewing keys, as SNIP-20 defines them: a secret an account's owner sets
// (or has the contract create) with an execute message, and then presents
// with queries that read the account's private data. A query is not signed,
// so the key is what authenticates it.
//
// The contract stores only the SHA-256 of each key, keyed by address, in the
// map namespace "viewing_keys"; the seed and the creation counter live under
// the keys "viewing_key_seed" and "viewing_key_nonce". A contract using
// viewing keys must not use those names itself.

// ErrViewingKey is the one error of CheckViewingKey, for a wrong key and
// for an address that has none alike, so that an answer does not tell
// whether an account has a key.
var ErrViewingKey = errors.New("wrong viewing key")

// ViewingKeyPrefix starts every key CreateViewingKey returns (SNIP-20's
// reference implementation's prefix).
const ViewingKeyPrefix = "api_key_"

// Storage keys of viewing keys.
const (
	viewingKeyNamespace = "viewing_keys"
	viewingKeySeedKey   = "viewing_key_seed"
	viewingKeyNonceKey  = "viewing_key_nonce"
)

var errNoViewingKeySeed = errors.New("viewing keys: no seed: the contract must call SetViewingKeySeed at instantiation")

// dummyViewingKeyHash is what CheckViewingKey compares against when the
// address has no key, so that a missing key costs the same work as a wrong
// one. It matches nothing: the comparison's result is discarded.
var dummyViewingKeyHash = sha256.Sum256([]byte("hermetic: no viewing key"))

func viewingKeyStorageKey(addr string) []byte {
	return NamespaceKey([]byte(viewingKeyNamespace), []byte(addr))
}

// SetViewingKeySeed stores the contract's secret seed for CreateViewingKey
// (its SHA-256, so a seed of any length, even empty, gives 32 bytes). Call
// it at instantiation with the instantiate message's prng_seed. The seed is
// what keeps created keys unpredictable: it is in the contract's
// confidential state, which validators cannot read; the other inputs
// (block, sender, the VM's random stream) are known to them. A caller who
// cares can make up for a weak seed with entropy of its own, or set its own
// key with SetViewingKey.
func SetViewingKeySeed(deps Deps, seed []byte) {
	h := sha256.Sum256(seed)
	deps.Storage.Set([]byte(viewingKeySeedKey), h[:])
}

// CreateViewingKey creates a key for info.Sender, stores it (replacing any
// key the sender had) and returns it. The key is ViewingKeyPrefix followed
// by the standard base64 of
//
//	SHA-256(seed ‖ height ‖ time ‖ contract ‖ sender ‖ entropy ‖ nonce ‖ random)
//
// where seed is the one of SetViewingKeySeed, height and time the block's,
// contract env's contract address, sender info.Sender (the address the key
// is stored under: pass it in the form CheckViewingKey will be given), entropy
// the caller's string, nonce a counter of the keys the contract has created
// (so two keys created in one block differ) and random 32 bytes of
// crypto/rand. Variable-length parts are length-prefixed.
//
// crypto/rand adds nothing secret: inside the VM it reads a stream seeded by
// the chain id, block height and contract address, the same on every
// validator and predictable by anyone who knows the block (see "Determinism"
// in the package documentation). The key's secrecy rests on the seed and on
// the caller's entropy; validators, who see the block but not the
// confidential state, cannot compute it without the seed.
func CreateViewingKey(deps Deps, env Env, info MessageInfo, entropy string) (string, error) {
	if info.Sender == "" {
		return "", errors.New("viewing keys: empty sender")
	}
	seed := deps.Storage.Get([]byte(viewingKeySeedKey))
	if seed == nil {
		return "", errNoViewingKeySeed
	}
	var nonce uint64
	if b := deps.Storage.Get([]byte(viewingKeyNonceKey)); b != nil {
		if len(b) != 8 {
			return "", errors.New("viewing keys: corrupt nonce")
		}
		nonce = binary.BigEndian.Uint64(b)
	}
	var random [32]byte
	rand.Read(random[:]) // never fails (Go 1.24+: it crashes the program instead)

	h := sha256.New()
	writeBytes := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	writeU64 := func(v uint64) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], v)
		h.Write(n[:])
	}
	writeBytes(seed)
	writeU64(env.Block.Height)
	writeBytes([]byte(env.Block.Time))
	writeBytes([]byte(env.Contract.Address))
	writeBytes([]byte(info.Sender))
	writeBytes([]byte(entropy))
	writeU64(nonce)
	h.Write(random[:])
	key := ViewingKeyPrefix + base64.StdEncoding.EncodeToString(h.Sum(nil))

	var next [8]byte
	binary.BigEndian.PutUint64(next[:], nonce+1)
	deps.Storage.Set([]byte(viewingKeyNonceKey), next[:])
	if err := SetViewingKey(deps, info.Sender, key); err != nil {
		return "", err
	}
	return key, nil
}

// SetViewingKey sets addr's key (replacing any it had), storing only its
// SHA-256. addr is stored as given: use one normal form for an address (the
// form CheckViewingKey will be given). An empty key is refused.
func SetViewingKey(deps Deps, addr, key string) error {
	if addr == "" {
		return errors.New("viewing keys: empty address")
	}
	if key == "" {
		return errors.New("viewing keys: empty key")
	}
	h := sha256.Sum256([]byte(key))
	deps.Storage.Set(viewingKeyStorageKey(addr), h[:])
	if present, _ := viewingKeyDecoys(len(addr)); deps.Storage.Get(present) == nil {
		deps.Storage.Set(present, dummyViewingKeyHash[:])
	}
	return nil
}

// viewingKeyDecoys returns two storage keys of the length of the key of an
// address of n bytes: present, which holds a hash once any address of that
// length has set a key (SetViewingKey writes it), and absent, which never
// holds anything. Neither can be an address's: addresses are printable,
// these are made of bytes 0x00 and 0x01.
func viewingKeyDecoys(n int) (present, absent []byte) {
	p, a := make([]byte, n), make([]byte, n)
	for i := range a {
		a[i] = 1
	}
	return viewingKeyStorageKey(string(p)), viewingKeyStorageKey(string(a))
}

// CheckViewingKey returns nil if key is addr's viewing key, and
// ErrViewingKey otherwise, whether the key is wrong or addr has none, after
// the same work and the same gas either way: the hashes are compared in
// constant time (crypto/subtle), and every check makes two storage reads of
// keys of the same length, one that finds a hash and one that finds nothing
// — addr's key and a decoy that never exists when addr has a key, addr's
// (missing) key and a decoy holding a dummy hash when it has none
// (viewingKeyDecoys). The host charges a read by the bytes it returns, so a
// single read would tell a missing key from a wrong one in the gas an
// audited read's transaction reports.
func CheckViewingKey(deps Deps, addr, key string) error {
	h := sha256.Sum256([]byte(key))
	present, absent := viewingKeyDecoys(len(addr))
	// No branch on whether addr has a key: the VM's gas counts the
	// instructions run, so both cases must run the same ones.
	first := deps.Storage.Get(viewingKeyStorageKey(addr))
	found := subtle.ConstantTimeEq(int32(len(first)), sha256.Size)
	decoy := make([]byte, len(present))
	for i := range decoy {
		decoy[i] = byte(subtle.ConstantTimeSelect(found, int(absent[i]), int(present[i])))
	}
	second := deps.Storage.Get(decoy)
	// One of the two reads found 32 bytes, the other nothing: the copies
	// move 32 bytes in all either way.
	var stored, other [sha256.Size]byte
	copy(stored[:], first)
	copy(other[:], second)
	subtle.ConstantTimeCopy(1-found, stored[:], other[:])
	if subtle.ConstantTimeCompare(h[:], stored[:])&found != 1 {
		return ErrViewingKey
	}
	return nil
}
