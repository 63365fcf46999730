package keys

import (
	"fmt"
)

// AddressPrefix is the bech32 human-readable part of Hermetic addresses.
const AddressPrefix = "herm"

// AddressSize is the length of an Address in bytes.
const AddressSize = 20

// addressDomain separates address hashing from any other use of SHA-256.
const addressDomain = "hermetic/address/v1"

// Address is an account address: the first 20 bytes of
// SHA-256("hermetic/address/v1" ‖ byte(key type) ‖ public key bytes).
// Its text form is bech32 with the "herm" prefix.
type Address [AddressSize]byte

// String returns the bech32 encoding of a with prefix AddressPrefix.
func (a Address) String() string {
	data, err := convertBits(a[:], 8, 5, true)
	if err != nil {
		panic(fmt.Sprintf("keys: address bit conversion: %v", err)) // unreachable
	}
	s, err := bech32Encode(AddressPrefix, data)
	if err != nil {
		panic(fmt.Sprintf("keys: address encoding: %v", err)) // unreachable
	}
	return s
}

// Bytes returns a copy of the address bytes.
func (a Address) Bytes() []byte {
	b := make([]byte, AddressSize)
	copy(b, a[:])
	return b
}

// IsZero reports whether a is the all-zero address.
func (a Address) IsZero() bool { return a == Address{} }

// ParseAddress decodes a bech32 address. It rejects a prefix other than
// AddressPrefix (ErrAddressPrefix), bad checksums, mixed case and payloads
// that are not 20 bytes. Every error wraps ErrInvalidAddress.
func ParseAddress(s string) (Address, error) {
	hrp, data, err := bech32Decode(s)
	if err != nil {
		return Address{}, fmt.Errorf("parse address %q: %w: %w", s, ErrInvalidAddress, err)
	}
	if hrp != AddressPrefix {
		return Address{}, fmt.Errorf("parse address %q: prefix %q, want %q: %w: %w", s, hrp, AddressPrefix, ErrInvalidAddress, ErrAddressPrefix)
	}
	b, err := convertBits(data, 5, 8, false)
	if err != nil {
		return Address{}, fmt.Errorf("parse address %q: %w: %w", s, ErrInvalidAddress, err)
	}
	if len(b) != AddressSize {
		return Address{}, fmt.Errorf("parse address %q: length %d, want %d: %w", s, len(b), AddressSize, ErrInvalidAddress)
	}
	var a Address
	copy(a[:], b)
	return a, nil
}

// MarshalText encodes a as its bech32 string, so it appears as a JSON string.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText decodes a bech32 address as accepted by ParseAddress.
func (a *Address) UnmarshalText(b []byte) error {
	v, err := ParseAddress(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
