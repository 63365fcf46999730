package meter

import "fmt"

// reader decodes a byte slice. Every method checks bounds; a failure is
// reported as an error wrapping ErrMalformed, never as a panic.
type reader struct {
	b   []byte
	off int // offset of b[0] in the whole module, for messages
	pos int
}

func (r *reader) errf(format string, args ...any) error {
	return fmt.Errorf("%w: at offset %#x: %s", ErrMalformed, r.off+r.pos, fmt.Sprintf(format, args...))
}

func (r *reader) remaining() int { return len(r.b) - r.pos }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errf("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

func (r *reader) bytes(n int) ([]byte, error) {
	if n < 0 || n > r.remaining() {
		return nil, r.errf("unexpected end: need %d bytes, have %d", n, r.remaining())
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s, nil
}

// u32 reads an unsigned LEB128 value of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == 4 && c&0xf0 != 0 {
			return 0, r.errf("bad LEB128: u32 overflow")
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, r.errf("bad LEB128: u32 longer than 5 bytes")
}

// signed reads a signed LEB128 value of at most bits bits (32, 33 or 64).
func (r *reader) signed(bits int) (int64, error) {
	var v int64
	maxBytes := (bits + 6) / 7
	for i := 0; i < maxBytes; i++ {
		c, err := r.byte()
		if err != nil {
			return 0, err
		}
		if i == maxBytes-1 {
			// The bits of the last byte beyond the value must extend its sign.
			used := bits - 7*i // value bits in this byte, the top one is the sign
			if c&0x80 != 0 {
				return 0, r.errf("bad LEB128: s%d longer than %d bytes", bits, maxBytes)
			}
			rest := c >> (used - 1) // sign bit and the unused bits above it
			if rest != 0 && rest != 0x7f>>(used-1) {
				return 0, r.errf("bad LEB128: s%d overflow", bits)
			}
		}
		v |= int64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if s := 7 * (i + 1); s < 64 && c&0x40 != 0 {
				v |= -1 << s
			}
			return v, nil
		}
	}
	return 0, r.errf("bad LEB128")
}

// count reads a vector length and checks that at least min bytes per element
// remain, so that a hostile count cannot make the caller allocate or loop.
func (r *reader) count(what string, min int) (int, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	if min > 0 && uint64(n)*uint64(min) > uint64(r.remaining()) {
		return 0, r.errf("%s count %d exceeds the remaining %d bytes", what, n, r.remaining())
	}
	return int(n), nil
}

func (r *reader) name() (string, error) {
	n, err := r.count("name byte", 1)
	if err != nil {
		return "", err
	}
	b, err := r.bytes(n)
	return string(b), err
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

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

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}
