package contract

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
)

// Fast JSON for the messages and records a contract handles on every call.
//
// encoding/json works by reflection, which inside the VM costs 100,000 to
// 200,000 gas for a small document: for a token transfer, more than its
// storage and cryptography together. ReadObject and AppendJSONString read
// and write the plain shapes of such documents by hand, and give up – the
// caller then uses encoding/json, whose answer counts – on anything else,
// so that a contract's answers never depend on which path ran.

// ReadObject reads the JSON object b in one pass, calling field with each
// member's key and a reader for its value, which field must read (or
// return false). It returns false – and the caller should decode b with
// encoding/json instead – if b is not an object, if a key has escapes or
// appears twice, if field returns false or leaves its value unread or
// misread, or if anything but white space follows the object. When it
// returns true, encoding/json with DisallowUnknownFields would have
// decoded the same values into a struct whose tags are the keys field
// accepts.
func ReadObject(b []byte, field func(key string, v *JSONValue) bool) bool {
	s := &scanner{b: b}
	v := &JSONValue{s: s}
	s.space()
	s.expect('{')
	s.space()
	var seen []string
	if s.peek() == '}' {
		s.i++
	} else {
		for !s.bad {
			k := s.str()
			for _, o := range seen {
				if o == k {
					s.fail()
				}
			}
			seen = append(seen, k)
			s.space()
			s.expect(':')
			s.space()
			if s.bad {
				break
			}
			start := s.i
			if !field(k, v) || s.i == start {
				s.fail()
			}
			s.space()
			if s.peek() == ',' {
				s.i++
				s.space()
				continue
			}
			s.expect('}')
			break
		}
	}
	s.space()
	s.end()
	return !s.bad
}

// JSONValue reads one value for ReadObject's field function. Each method
// reads the value if it has the kind asked for; otherwise it makes
// ReadObject return false.
type JSONValue struct{ s *scanner }

// String reads a string of ASCII without escapes or control characters.
func (v *JSONValue) String() string { return v.s.str() }

// Uint64 reads a non-negative integer that fits in 64 bits.
func (v *JSONValue) Uint64() uint64 { return v.s.uint(64) }

// Null reads null and returns true if the value is null; otherwise it
// reads nothing and returns false.
func (v *JSONValue) Null() bool {
	if v.s.peek() != 'n' {
		return false
	}
	v.s.literal("null")
	return true
}

// space skips JSON white space.
func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// AppendJSONString appends str as a JSON string exactly as encoding/json
// writes it (with its HTML escaping), quickly when str is printable ASCII
// that needs no escape.
func AppendJSONString(b []byte, str string) []byte {
	for i := 0; i < len(str); i++ {
		if c := str[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(str) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, str...)
	return append(b, '"')
}

// encodeValue encodes v as encoding/json does, by hand for the integer and
// string types storage most often holds.
func encodeValue[T any](v T) ([]byte, error) {
	switch x := any(v).(type) {
	case uint64:
		return strconv.AppendUint(nil, x, 10), nil
	case uint32:
		return strconv.AppendUint(nil, uint64(x), 10), nil
	case int64:
		return strconv.AppendInt(nil, x, 10), nil
	case string:
		return AppendJSONString(nil, x), nil
	}
	return json.Marshal(v)
}

// decodeValue decodes b into v as encoding/json does, by hand for a plain
// unsigned integer or string.
func decodeValue[T any](b []byte, v *T) error {
	switch p := any(v).(type) {
	case *uint64:
		s := &scanner{b: b}
		if n := s.uint(64); !s.bad && s.i == len(b) {
			*p = n
			return nil
		}
	case *string:
		s := &scanner{b: b}
		if str := s.str(); !s.bad && s.i == len(b) {
			*p = str
			return nil
		}
	}
	return json.Unmarshal(b, v)
}

// appendResponseOk appends {"ok": r} for a normalized r as encoding/json
// writes it; ok is false for a response with messages, which the caller
// leaves to encoding/json.
func appendResponseOk(b []byte, r Response) (_ []byte, ok bool) {
	if len(r.Messages) > 0 {
		return b, false
	}
	b = append(b, `{"ok":{"messages":[],"attributes":`...)
	b = appendAttributes(b, r.Attributes)
	b = append(b, `,"events":[`...)
	for i, e := range r.Events {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":`...)
		b = AppendJSONString(b, e.Type)
		b = append(b, `,"attributes":`...)
		b = appendAttributes(b, e.Attributes)
		b = append(b, '}')
	}
	b = append(b, ']')
	if len(r.Data) > 0 {
		b = append(b, `,"data":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Data)
		b = append(b, '"')
	}
	return append(b, "}}"...), true
}

func appendAttributes(b []byte, as []Attribute) []byte {
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = AppendJSONString(b, a.Key)
		b = append(b, `,"value":`...)
		b = AppendJSONString(b, a.Value)
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendQueryOk appends {"ok": data} as encoding/json writes it for
// non-nil data.
func appendQueryOk(b, data []byte) []byte {
	b = append(b, `{"ok":"`...)
	b = base64.StdEncoding.AppendEncode(b, data)
	return append(b, `"}`...)
}

// appendResultErr appends {"error": msg} as encoding/json writes it.
func appendResultErr(b []byte, msg string) []byte {
	b = append(b, `{"error":`...)
	b = AppendJSONString(b, msg)
	return append(b, '}')
}
