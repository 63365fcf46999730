package app

import (
	"encoding/binary"
	"fmt"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
)

// Key layout of the application's state. Every key starts with a one-byte
// prefix naming its table; addresses are the raw 20 bytes.
//
//	0x01 ‖ addr            → balance in uherm, u64be
//	0x02 ‖ addr            → next sequence number, u64be (absent: 0)
//	0x03 ‖ addr            → public key: u8(type) ‖ key bytes (set by the first transaction)
//	0x10 ‖ operator        → validator record (JSON, see validator)
//	0x11 ‖ delegator ‖ op  → bonded amount, u64be
//	0x20                   → chain parameters (JSON, see Params)
//	0x23                   → enclave network keys and attestation policy (JSON, EnclaveGenesis)
//	0x30 ‖ registration key → accepted enclave registration (JSON, RegistrationRecord)
const (
	prefixBalance      = 0x01
	prefixSequence     = 0x02
	prefixPubKey       = 0x03
	prefixValidator    = 0x10
	prefixDelegation   = 0x11
	prefixParams       = 0x20
	prefixRegistration = 0x30
)

func addrKey(prefix byte, a keys.Address) []byte {
	k := make([]byte, 1+len(a))
	k[0] = prefix
	copy(k[1:], a[:])
	return k
}

// BalanceKey, SequenceKey and PubKeyKey are the state keys of an account's
// fields; clients ask for inclusion proofs of these keys.
func BalanceKey(a keys.Address) []byte  { return addrKey(prefixBalance, a) }
func SequenceKey(a keys.Address) []byte { return addrKey(prefixSequence, a) }
func PubKeyKey(a keys.Address) []byte   { return addrKey(prefixPubKey, a) }

func getU64(s state.Store, key []byte) (uint64, error) {
	v, err := s.Get(key)
	if err != nil {
		return 0, err
	}
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: stored integer has %d bytes", ErrInternal, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// setU64 stores v, or deletes the key when v is zero so that empty accounts
// leave nothing behind in the tree.
func setU64(s state.Store, key []byte, v uint64) error {
	if v == 0 {
		return s.Delete(key)
	}
	return s.Set(key, binary.BigEndian.AppendUint64(nil, v))
}

// DecodeU64 decodes a stored integer (a balance, a sequence); nil is zero.
func DecodeU64(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("stored integer has %d bytes, want 8", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

func balance(s state.Store, a keys.Address) (uint64, error) { return getU64(s, BalanceKey(a)) }

func addBalance(s state.Store, a keys.Address, amount uint64) error {
	b, err := balance(s, a)
	if err != nil {
		return err
	}
	if b+amount < b {
		return fmt.Errorf("%w: balance overflow", ErrInvalidMessage)
	}
	return setU64(s, BalanceKey(a), b+amount)
}

func subBalance(s state.Store, a keys.Address, amount uint64) error {
	b, err := balance(s, a)
	if err != nil {
		return err
	}
	if b < amount {
		return fmt.Errorf("%w: %s has %d%s, needs %d%s", ErrInsufficientFunds, a, b, Denom, amount, Denom)
	}
	return setU64(s, BalanceKey(a), b-amount)
}

func encodePubKey(pk keys.PubKey) []byte {
	return append([]byte{byte(pk.Type)}, pk.Key...)
}

// DecodePubKey decodes a stored public key.
func DecodePubKey(v []byte) (keys.PubKey, error) {
	if len(v) < 2 {
		return keys.PubKey{}, fmt.Errorf("stored public key has %d bytes", len(v))
	}
	return keys.PubKey{Type: keys.KeyType(v[0]), Key: append([]byte(nil), v[1:]...)}, nil
}
