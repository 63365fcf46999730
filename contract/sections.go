package contract

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// encodeSections joins byte sections as cosmwasm-std's encode_sections
// does: each section followed by its length as a big-endian u32.
func encodeSections(sections ...[]byte) []byte {
	n := 0
	for _, s := range sections {
		n += len(s) + 4
	}
	out := make([]byte, 0, n)
	for _, s := range sections {
		out = append(out, s...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(s)))
	}
	return out
}

var errSections = errors.New("malformed sections")

// decodeSections splits what encodeSections joined, reading from the end.
// The sections alias b.
func decodeSections(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated length", errSections)
		}
		n := binary.BigEndian.Uint32(b[len(b)-4:])
		b = b[:len(b)-4]
		if uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: section of %d bytes in %d", errSections, n, len(b))
		}
		out = append(out, b[len(b)-int(n):len(b):len(b)])
		b = b[:len(b)-int(n)]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// decodeNext reads what db_next returns: key and value as two sections,
// both empty at the end of the range.
func decodeNext(b []byte) (key, value []byte, ok bool, err error) {
	s, err := decodeSections(b)
	if err != nil {
		return nil, nil, false, err
	}
	if len(s) != 2 {
		return nil, nil, false, fmt.Errorf("%w: db_next gave %d sections, want 2", errSections, len(s))
	}
	if len(s[0]) == 0 {
		return nil, nil, false, nil
	}
	return s[0], s[1], true, nil
}
