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

// ContractAddress is a contract's address: 32 bytes, bech32 with the same
// prefix as accounts (which are 20 bytes, so the two never collide).
type ContractAddress [32]byte

// String returns the bech32 form.
func (a ContractAddress) String() string {
	s, err := EncodeBech32(AddressPrefix, a[:])
	if err != nil {
		panic(err) // 32 bytes always encode
	}
	return s
}

// IsZero reports whether a is the zero address.
func (a ContractAddress) IsZero() bool { return a == ContractAddress{} }

// ParseContractAddress parses a bech32 contract address.
func ParseContractAddress(s string) (ContractAddress, error) {
	hrp, data, err := DecodeBech32(s)
	if err != nil {
		return ContractAddress{}, fmt.Errorf("%w: %q: %v", ErrInvalidAddress, s, err)
	}
	if hrp != AddressPrefix {
		return ContractAddress{}, fmt.Errorf("%w: %q has prefix %q, want %q", ErrAddressPrefix, s, hrp, AddressPrefix)
	}
	var a ContractAddress
	if len(data) != len(a) {
		return ContractAddress{}, fmt.Errorf("%w: %q is %d bytes, a contract address is %d", ErrInvalidAddress, s, len(data), len(a))
	}
	copy(a[:], data)
	return a, nil
}

// MarshalText encodes the address as bech32 (and so as a JSON string).
func (a ContractAddress) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a bech32 contract address.
func (a *ContractAddress) UnmarshalText(b []byte) error {
	p, err := ParseContractAddress(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
