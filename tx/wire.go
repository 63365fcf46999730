package tx

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// encoder appends protobuf fields, omitting zero values as proto3 does, so
// the encoding of a value is unique.
type encoder struct{ b []byte }

func (e *encoder) uint(num protowire.Number, v uint64) {
	if v == 0 {
		return
	}
	e.b = protowire.AppendTag(e.b, num, protowire.VarintType)
	e.b = protowire.AppendVarint(e.b, v)
}

func (e *encoder) bytes(num protowire.Number, v []byte) {
	if len(v) == 0 {
		return
	}
	e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
	e.b = protowire.AppendBytes(e.b, v)
}

func (e *encoder) string(num protowire.Number, v string) {
	if v == "" {
		return
	}
	e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
	e.b = protowire.AppendString(e.b, v)
}

// message encodes a nested message; an empty one is omitted.
func (e *encoder) message(num protowire.Number, v []byte) { e.bytes(num, v) }

// repeated encodes one element of a repeated message field, even if empty.
func (e *encoder) repeated(num protowire.Number, v []byte) {
	e.b = protowire.AppendTag(e.b, num, protowire.BytesType)
	e.b = protowire.AppendBytes(e.b, v)
}

// field is one decoded protobuf field.
type field struct {
	num   protowire.Number
	typ   protowire.Type
	u     uint64
	bytes []byte
}

var errTruncated = errors.New("truncated or invalid field")

// fields splits b into fields. It accepts only varint and length-delimited
// fields; the strictness that matters (order, no unknown or duplicate
// fields, no explicit zero values) is enforced by decoding and re-encoding.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, errTruncated
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.u, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			return nil, fmt.Errorf("field %d: wire type %d not used by Hermetic", num, typ)
		}
		if n < 0 {
			return nil, fmt.Errorf("field %d: %w", num, errTruncated)
		}
		b = b[n:]
		out = append(out, f)
	}
	return out, nil
}

// want checks that f has the wire type a schema expects.
func (f field) want(typ protowire.Type) error {
	if f.typ != typ {
		return fmt.Errorf("field %d: wire type %d, want %d", f.num, f.typ, typ)
	}
	return nil
}
