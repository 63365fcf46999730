package keys

import (
	"errors"
	"fmt"
	"strings"
)

// bech32Charset is the BIP-173 data alphabet.
const bech32Charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

// bech32MaxLen is the maximum length of a bech32 string per BIP-173.
const bech32MaxLen = 90

// Bech32 decoding errors. They are unexported building blocks; ParseAddress
// wraps them in ErrInvalidAddress.
var (
	errBech32Length   = errors.New("bech32: invalid length")
	errBech32Case     = errors.New("bech32: mixed case")
	errBech32Char     = errors.New("bech32: invalid character")
	errBech32Sep      = errors.New("bech32: missing or misplaced separator")
	errBech32Checksum = errors.New("bech32: invalid checksum")
	errBech32Padding  = errors.New("bech32: invalid padding")
)

// bech32Polymod computes the BCH checksum polynomial over values.
func bech32Polymod(values []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range values {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := 0; i < 5; i++ {
			if (top>>uint(i))&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// bech32HRPExpand expands the human-readable part for checksum computation.
func bech32HRPExpand(hrp string) []byte {
	out := make([]byte, 0, len(hrp)*2+1)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := 0; i < len(hrp); i++ {
		out = append(out, hrp[i]&31)
	}
	return out
}

// bech32Checksum returns the six 5-bit checksum values for hrp and data.
func bech32Checksum(hrp string, data []byte) []byte {
	values := append(bech32HRPExpand(hrp), data...)
	values = append(values, 0, 0, 0, 0, 0, 0)
	mod := bech32Polymod(values) ^ 1
	out := make([]byte, 6)
	for i := range out {
		out[i] = byte(mod>>uint(5*(5-i))) & 31
	}
	return out
}

// bech32Encode encodes 5-bit data values with the (lower-case) hrp.
func bech32Encode(hrp string, data []byte) (string, error) {
	if len(hrp)+1+len(data)+6 > bech32MaxLen {
		return "", errBech32Length
	}
	var sb strings.Builder
	sb.Grow(len(hrp) + 1 + len(data) + 6)
	sb.WriteString(hrp)
	sb.WriteByte('1')
	for _, d := range append(append([]byte(nil), data...), bech32Checksum(hrp, data)...) {
		if d > 31 {
			return "", errBech32Char
		}
		sb.WriteByte(bech32Charset[d])
	}
	return sb.String(), nil
}

// bech32Decode decodes s into its lower-case hrp and 5-bit data values
// (checksum removed), validating the checksum per BIP-173.
func bech32Decode(s string) (string, []byte, error) {
	if len(s) < 8 || len(s) > bech32MaxLen {
		return "", nil, errBech32Length
	}
	hasLower, hasUpper := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 {
			return "", nil, errBech32Char
		}
		switch {
		case c >= 'a' && c <= 'z':
			hasLower = true
		case c >= 'A' && c <= 'Z':
			hasUpper = true
		}
	}
	if hasLower && hasUpper {
		return "", nil, errBech32Case
	}
	s = strings.ToLower(s)
	pos := strings.LastIndexByte(s, '1')
	if pos < 1 || pos+7 > len(s) {
		return "", nil, errBech32Sep
	}
	hrp := s[:pos]
	data := make([]byte, 0, len(s)-pos-1)
	for i := pos + 1; i < len(s); i++ {
		d := strings.IndexByte(bech32Charset, s[i])
		if d < 0 {
			return "", nil, errBech32Char
		}
		data = append(data, byte(d))
	}
	if bech32Polymod(append(bech32HRPExpand(hrp), data...)) != 1 {
		return "", nil, errBech32Checksum
	}
	return hrp, data[:len(data)-6], nil
}

// convertBits regroups data from fromBits-wide values into toBits-wide
// values. With pad, a trailing partial group is zero-padded; without it,
// leftover bits must be fewer than fromBits and all zero.
func convertBits(data []byte, fromBits, toBits uint, pad bool) ([]byte, error) {
	acc, bits := uint32(0), uint(0)
	maxv := uint32(1)<<toBits - 1
	out := make([]byte, 0, len(data)*int(fromBits)/int(toBits)+1)
	for _, v := range data {
		if uint32(v)>>fromBits != 0 {
			return nil, fmt.Errorf("convert bits: value %d exceeds %d bits: %w", v, fromBits, errBech32Char)
		}
		acc = acc<<fromBits | uint32(v)
		bits += fromBits
		for bits >= toBits {
			bits -= toBits
			out = append(out, byte(acc>>bits&maxv))
		}
	}
	if pad {
		if bits > 0 {
			out = append(out, byte(acc<<(toBits-bits)&maxv))
		}
	} else if bits >= fromBits || acc<<(toBits-bits)&maxv != 0 {
		return nil, errBech32Padding
	}
	return out, nil
}

// EncodeBech32 encodes data as a BIP-173 bech32 string with the human-readable
// prefix hrp. Contract addresses, which are longer than account addresses,
// use it directly.
func EncodeBech32(hrp string, data []byte) (string, error) {
	conv, err := convertBits(data, 8, 5, true)
	if err != nil {
		return "", err
	}
	return bech32Encode(hrp, conv)
}

// DecodeBech32 decodes a BIP-173 bech32 string into its prefix and data.
func DecodeBech32(s string) (string, []byte, error) {
	hrp, data, err := bech32Decode(s)
	if err != nil {
		return "", nil, err
	}
	b, err := convertBits(data, 5, 8, false)
	if err != nil {
		return "", nil, err
	}
	return hrp, b, nil
}
