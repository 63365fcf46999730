//go:build !wasip1

package contract

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"iter"
	"math/big"
	"slices"
	"strings"
)

// Test doubles for running a contract's handlers on the host (go test),
// through Dispatch or directly. They exist only in non-wasip1 builds.

// MemoryStorage is an in-memory Storage.
type MemoryStorage struct {
	m map[string][]byte
}

// NewMemoryStorage returns an empty MemoryStorage.
func NewMemoryStorage() *MemoryStorage { return &MemoryStorage{m: map[string][]byte{}} }

// Get implements Storage.
func (s *MemoryStorage) Get(key []byte) []byte {
	checkKey(key)
	v, ok := s.m[string(key)]
	if !ok {
		return nil
	}
	return bytes.Clone(v)
}

// Set implements Storage.
func (s *MemoryStorage) Set(key, value []byte) {
	checkKey(key)
	if len(value) == 0 {
		panic("contract: Storage.Set with an empty value")
	}
	s.m[string(key)] = bytes.Clone(value)
}

// Remove implements Storage.
func (s *MemoryStorage) Remove(key []byte) {
	checkKey(key)
	delete(s.m, string(key))
}

// Range implements Storage. It walks a snapshot of the keys taken when the
// walk starts.
func (s *MemoryStorage) Range(start, end []byte, order Order) iter.Seq2[[]byte, []byte] {
	if order != Ascending && order != Descending {
		panic(fmt.Sprintf("contract: invalid order %d", order))
	}
	return func(yield func([]byte, []byte) bool) {
		var keys []string
		for k := range s.m {
			if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		if order == Descending {
			slices.Reverse(keys)
		}
		for _, k := range keys {
			v, ok := s.m[k]
			if !ok {
				continue
			}
			if !yield([]byte(k), bytes.Clone(v)) {
				return
			}
		}
	}
}

// Len returns the number of keys set.
func (s *MemoryStorage) Len() int { return len(s.m) }

func checkKey(key []byte) {
	if len(key) == 0 {
		panic("contract: empty storage key")
	}
}

// MockAPI is an API for host tests. Addresses are opaque: any non-empty
// string without upper-case letters or spaces is valid, and its canonical
// form is its bytes. Ed25519 and P-256 (secp256r1) are verified for real; secp256k1 answers with
// the Secp256k1 function if set, else an error.
type MockAPI struct {
	Secp256k1 func(hash, signature, pubkey []byte) (bool, error)
	// Debugs collects what Debug printed.
	Debugs []string
}

var errMockAddr = errors.New("invalid address")

// AddrValidate implements API.
func (a *MockAPI) AddrValidate(human string) error {
	if human == "" || strings.ToLower(human) != human || strings.ContainsAny(human, " \t\n") {
		return fmt.Errorf("%w: %q", errMockAddr, human)
	}
	return nil
}

// AddrCanonicalize implements API.
func (a *MockAPI) AddrCanonicalize(human string) ([]byte, error) {
	if err := a.AddrValidate(human); err != nil {
		return nil, err
	}
	return []byte(human), nil
}

// AddrHumanize implements API.
func (a *MockAPI) AddrHumanize(canonical []byte) (string, error) {
	h := string(canonical)
	return h, a.AddrValidate(h)
}

// Secp256k1Verify implements API.
func (a *MockAPI) Secp256k1Verify(hash, signature, pubkey []byte) (bool, error) {
	if a.Secp256k1 == nil {
		return false, fmt.Errorf("%w: MockAPI has no secp256k1", ErrCrypto)
	}
	return a.Secp256k1(hash, signature, pubkey)
}

// Secp256k1RecoverPubkey implements API; MockAPI cannot recover keys.
func (a *MockAPI) Secp256k1RecoverPubkey(hash, signature []byte, recoveryParam uint8) ([]byte, error) {
	return nil, fmt.Errorf("%w: MockAPI cannot recover keys", ErrCrypto)
}

// p256HalfOrder is n/2 for P-256: a signature's S above it is high-S.
var p256HalfOrder = new(big.Int).Rsh(elliptic.P256().Params().N, 1)

// Secp256r1Verify implements API, verifying for real as the host does
// (compressed keys only, high-S refused).
func (a *MockAPI) Secp256r1Verify(hash, signature, pubkey []byte) (bool, error) {
	switch {
	case len(hash) != 32:
		return false, cryptoError(3)
	case len(signature) != 64:
		return false, cryptoError(4)
	case len(pubkey) != 33 || (pubkey[0] != 2 && pubkey[0] != 3):
		return false, cryptoError(5)
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), pubkey)
	if x == nil {
		return false, cryptoError(5)
	}
	unc := make([]byte, 65)
	unc[0] = 4
	x.FillBytes(unc[1:33])
	y.FillBytes(unc[33:])
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unc)
	if err != nil {
		return false, cryptoError(5)
	}
	n := elliptic.P256().Params().N
	r, s := new(big.Int).SetBytes(signature[:32]), new(big.Int).SetBytes(signature[32:])
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(n) >= 0 || s.Cmp(n) >= 0 {
		return false, cryptoError(4)
	}
	if s.Cmp(p256HalfOrder) > 0 {
		return false, nil
	}
	return ecdsa.Verify(pk, hash, r, s), nil
}

// Ed25519Verify implements API.
func (a *MockAPI) Ed25519Verify(message, signature, pubkey []byte) (bool, error) {
	switch {
	case len(signature) != ed25519.SignatureSize:
		return false, cryptoError(4)
	case len(pubkey) != ed25519.PublicKeySize:
		return false, cryptoError(5)
	}
	return ed25519.Verify(pubkey, message, signature), nil
}

// Ed25519BatchVerify implements API.
func (a *MockAPI) Ed25519BatchVerify(messages, signatures, pubkeys [][]byte) (bool, error) {
	n := len(signatures)
	if len(messages) == 1 {
		messages = slices.Repeat(messages, n)
	}
	if len(pubkeys) == 1 {
		pubkeys = slices.Repeat(pubkeys, n)
	}
	if len(messages) != n || len(pubkeys) != n {
		return false, cryptoError(4)
	}
	for i := range n {
		if ok, err := a.Ed25519Verify(messages[i], signatures[i], pubkeys[i]); !ok || err != nil {
			return ok, err
		}
	}
	return true, nil
}

// Debug implements API.
func (a *MockAPI) Debug(msg string) { a.Debugs = append(a.Debugs, msg) }

// QuerierFunc is a Querier answering with a function.
type QuerierFunc func(request []byte) ([]byte, error)

// QueryChain implements Querier.
func (f QuerierFunc) QueryChain(request []byte) ([]byte, error) { return f(request) }

// MockDeps returns Deps with a fresh MemoryStorage, a MockAPI and a querier
// that refuses every query.
func MockDeps() Deps {
	return Deps{
		Storage: NewMemoryStorage(),
		API:     &MockAPI{},
		Querier: QuerierFunc(func([]byte) ([]byte, error) {
			return nil, fmt.Errorf("%w: no querier in MockDeps", ErrSystem)
		}),
	}
}
