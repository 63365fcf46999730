package wat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// appendU32 appends v as unsigned LEB128.
func appendU32(b []byte, v uint32) []byte { return appendU64(b, uint64(v)) }

func appendU64(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// appendS64 appends v as signed LEB128.
func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// appendName appends a length-prefixed byte string.
func appendName(b []byte, s []byte) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}

// cleanDigits removes '_' separators, which must sit between two digits.
func cleanDigits(s string, hex bool) (string, bool) {
	if !strings.Contains(s, "_") {
		return s, true
	}
	isDigit := func(c byte) bool {
		if hex {
			_, ok := hexDigit(c)
			return ok
		}
		return c >= '0' && c <= '9'
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '_' && (i == 0 || i == len(s)-1 || !isDigit(s[i-1]) || !isDigit(s[i+1])) {
			return "", false
		}
	}
	return strings.ReplaceAll(s, "_", ""), true
}

// parseUnsigned parses an unsigned decimal or 0x-hex integer with optional
// '_' separators.
func parseUnsigned(s string) (uint64, error) {
	base := 10
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base = 16
		s = s[2:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' {
		return 0, errors.New("malformed integer")
	}
	digits, ok := cleanDigits(s, base == 16)
	if !ok {
		return 0, errors.New("misplaced '_' in integer")
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return 0, errors.New("integer out of range")
		}
		return 0, errors.New("malformed integer")
	}
	return v, nil
}

// parseU32 parses an unsigned 32-bit integer (indices, offsets, limits).
func parseU32(s string) (uint32, error) {
	v, err := parseUnsigned(s)
	if err != nil {
		return 0, err
	}
	if v > math.MaxUint32 {
		return 0, errors.New("integer out of range for u32")
	}
	return uint32(v), nil
}

// parseInt parses a signed or unsigned integer literal of the given bit width
// (32 or 64) and returns its two's-complement bit pattern.
func parseInt(s string, width uint) (uint64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mag, err := parseUnsigned(s)
	if err != nil {
		return 0, err
	}
	maxU := uint64(math.MaxUint64) >> (64 - width)
	if neg {
		if mag > uint64(1)<<(width-1) {
			return 0, fmt.Errorf("integer out of range for i%d", width)
		}
		return -mag & maxU, nil
	}
	if mag > maxU {
		return 0, fmt.Errorf("integer out of range for i%d", width)
	}
	return mag, nil
}

// parseFloat parses a float literal (decimal, hex, inf, nan, nan:0x...) of the
// given width (32 or 64) and returns its IEEE-754 bit pattern.
func parseFloat(s string, width int) (uint64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	mantBits := 52
	expMask := uint64(0x7ff) << 52
	if width == 32 {
		mantBits = 23
		expMask = uint64(0xff) << 23
	}
	signBit := uint64(1) << (width - 1)
	var v uint64
	switch {
	case s == "inf":
		v = expMask
	case s == "nan":
		v = expMask | uint64(1)<<(mantBits-1)
	case strings.HasPrefix(s, "nan:0x"):
		payload, err := parseUnsigned(s[4:])
		if err != nil || payload == 0 || payload >= uint64(1)<<mantBits {
			return 0, errors.New("malformed NaN payload")
		}
		v = expMask | payload
	default:
		if s == "" || !(s[0] >= '0' && s[0] <= '9') {
			return 0, errors.New("malformed float")
		}
		hex := strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")
		digits, ok := cleanDigits(s, hex)
		if !ok {
			return 0, errors.New("misplaced '_' in float")
		}
		if hex && !strings.ContainsAny(digits, "pP") {
			digits += "p0"
		}
		f, err := strconv.ParseFloat(digits, width)
		if err != nil {
			var ne *strconv.NumError
			if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) && math.IsInf(f, 0) {
				return 0, errors.New("float constant out of range")
			}
			if !(errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange)) {
				return 0, errors.New("malformed float")
			}
		}
		if width == 32 {
			v = uint64(math.Float32bits(float32(f)))
		} else {
			v = math.Float64bits(f)
		}
	}
	if neg {
		v |= signBit
	}
	return v, nil
}

func appendF32(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint32(b, uint32(v)) }

func appendF64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

// log2 returns the base-2 logarithm of a power of two, or false.
func log2(v uint32) (uint32, bool) {
	if v == 0 || v&(v-1) != 0 {
		return 0, false
	}
	return uint32(bits.TrailingZeros32(v)), true
}
