package cryptobox

import "encoding/binary"

// Sizes of a stored state value (CRYPTO.md §4).
const (
	saltSize       = 24
	valueHeader    = 1 + saltSize
	minStoredValue = valueHeader + blockSize
)

// ContractKey is contract_key = HKDF(state_ikm[0] ‖ contract_address, "contract") (CRYPTO.md §4).
func ContractKey(stateIKM0 []byte, contractAddr []byte) [32]byte {
	return hkdf2(stateIKM0, contractAddr, "contract")
}

// StateKeyKey is key_key = HKDF(state_ikm[0] ‖ contract_key, "state-key"), the key that encrypts
// state keys. It uses the first state IKM, so lookups survive seed rotation.
func StateKeyKey(stateIKM0 []byte, contractKey [32]byte) [32]byte {
	return hkdf2(stateIKM0, contractKey[:], "state-key")
}

// StateValueKey is value_key(i) = HKDF(state_ikm[i] ‖ contract_key, "state-value"), where i is the
// index of the seed the value is written under; stateIKM is state_ikm[i].
func StateValueKey(stateIKM []byte, contractKey [32]byte) [32]byte {
	return hkdf2(stateIKM, contractKey[:], "state-value")
}

// EncryptStateKey is stored_key = SIV(key_key, [], plaintext_key): deterministic, so a key can be
// looked up by its encryption.
func EncryptStateKey(keyKey [32]byte, plaintextKey []byte) ([]byte, error) {
	return SIVSeal(keyKey[:], nil, plaintextKey)
}

// DecryptStateKey reverses [EncryptStateKey]; it returns ErrDecrypt on any failure.
func DecryptStateKey(keyKey [32]byte, storedKey []byte) ([]byte, error) {
	return SIVOpen(keyKey[:], nil, storedKey)
}

// WritePos places a state write in the chain: the block height, the transaction index in the block
// and the index of the write among the block's contract-state writes (from 0, in execution order).
// It is the salt24 of CRYPTO.md §4, so every validator produces the same bytes and a rewrite of the
// same value looks fresh.
type WritePos struct{ Height, TxIndex, WriteIndex uint64 }

func (p WritePos) salt() [saltSize]byte {
	var s [saltSize]byte
	binary.BigEndian.PutUint64(s[0:], p.Height)
	binary.BigEndian.PutUint64(s[8:], p.TxIndex)
	binary.BigEndian.PutUint64(s[16:], p.WriteIndex)
	return s
}

// EncryptStateValue is stored_value = u8(i) ‖ salt24 ‖ SIV(value_key(i), [stored_key, salt24],
// plaintext) (CRYPTO.md §4), with i = seedIndex, valueKey = value_key(i), salt24 from pos and
// storedKey the encrypted state key the value is stored under.
func EncryptStateValue(valueKey [32]byte, seedIndex uint8, storedKey []byte, pos WritePos, plaintext []byte) ([]byte, error) {
	s, err := newSIV(valueKey[:])
	if err != nil {
		return nil, err
	}
	return s.sealStateValue(seedIndex, storedKey, pos, plaintext), nil
}

// sealStateValue is EncryptStateValue under s, value_key(seedIndex).
func (s *siv) sealStateValue(seedIndex uint8, storedKey []byte, pos WritePos, plaintext []byte) []byte {
	salt := pos.salt()
	out := make([]byte, valueHeader+blockSize+len(plaintext))
	out[0] = seedIndex
	copy(out[1:], salt[:])
	ad := [2][]byte{storedKey, salt[:]}
	s.sealInto(out[valueHeader:], ad[:], plaintext)
	return out
}

// StateValueSeedIndex returns the seed index i a stored value was written under, so the caller can
// pick value_key(i). It returns ErrShortValue if stored is shorter than 1 + 24 + 16 bytes.
func StateValueSeedIndex(stored []byte) (uint8, error) {
	if len(stored) < minStoredValue {
		return 0, ErrShortValue
	}
	return stored[0], nil
}

// DecryptStateValue reverses [EncryptStateValue]; valueKey must be value_key(i) for the index
// [StateValueSeedIndex] returns. Errors: ErrShortValue, ErrDecrypt.
func DecryptStateValue(valueKey [32]byte, storedKey, stored []byte) ([]byte, error) {
	if len(stored) < minStoredValue {
		return nil, ErrShortValue
	}
	s, err := newSIV(valueKey[:])
	if err != nil {
		return nil, err
	}
	return s.openStateValue(storedKey, stored)
}

// openStateValue is DecryptStateValue under s; len(stored) ≥ minStoredValue.
func (s *siv) openStateValue(storedKey, stored []byte) ([]byte, error) {
	ad := [2][]byte{storedKey, stored[1:valueHeader]}
	return s.open(ad[:], stored[valueHeader:])
}

// StateCipher does what EncryptStateKey, DecryptStateKey, EncryptStateValue and DecryptStateValue
// do, under one contract's key_key and value keys, with the AES-SIV instances prepared once, on
// first use: a contract call reads and writes many entries under the same keys, and preparing an
// instance (two AES key schedules and the CMAC subkeys) costs about as much as sealing a short
// value. The bytes are the same. A StateCipher is not safe for concurrent use.
type StateCipher struct {
	keyKey    [32]byte
	valueKeys [][32]byte // by seed index
	key       *siv
	values    []*siv
}

// NewStateCipher returns the cipher of the contract whose key_key is keyKey and whose
// value_key(i) is valueKeys[i].
func NewStateCipher(keyKey [32]byte, valueKeys [][32]byte) *StateCipher {
	return &StateCipher{keyKey: keyKey, valueKeys: valueKeys, values: make([]*siv, len(valueKeys))}
}

func (c *StateCipher) keySIV() *siv {
	if c.key == nil {
		c.key, _ = newSIV(c.keyKey[:]) // a 32-byte key always makes one
	}
	return c.key
}

// valueSIV returns the instance of value_key(i), or nil if there is no such key.
func (c *StateCipher) valueSIV(i uint8) *siv {
	if int(i) >= len(c.values) {
		return nil
	}
	if c.values[i] == nil {
		c.values[i], _ = newSIV(c.valueKeys[i][:])
	}
	return c.values[i]
}

// EncryptKey is EncryptStateKey under the cipher's key_key.
func (c *StateCipher) EncryptKey(plaintextKey []byte) []byte {
	out := make([]byte, blockSize+len(plaintextKey))
	c.keySIV().sealInto(out, nil, plaintextKey)
	return out
}

// DecryptKey is DecryptStateKey under the cipher's key_key.
func (c *StateCipher) DecryptKey(storedKey []byte) ([]byte, error) {
	if len(storedKey) < blockSize {
		return nil, ErrDecrypt
	}
	return c.keySIV().open(nil, storedKey)
}

// EncryptValue is EncryptStateValue under value_key(seedIndex); ErrBadKey if the cipher has no
// such key.
func (c *StateCipher) EncryptValue(seedIndex uint8, storedKey []byte, pos WritePos, plaintext []byte) ([]byte, error) {
	s := c.valueSIV(seedIndex)
	if s == nil {
		return nil, ErrBadKey
	}
	return s.sealStateValue(seedIndex, storedKey, pos, plaintext), nil
}

// DecryptValue is DecryptStateValue under the value key of the seed index stored names.
// Errors: ErrShortValue, ErrDecrypt (also for a seed index the cipher has no key for).
func (c *StateCipher) DecryptValue(storedKey, stored []byte) ([]byte, error) {
	if len(stored) < minStoredValue {
		return nil, ErrShortValue
	}
	s := c.valueSIV(stored[0])
	if s == nil {
		return nil, ErrDecrypt
	}
	return s.openStateValue(storedKey, stored)
}
