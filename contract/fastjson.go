package contract

import (
	"encoding/json"
	"strconv"
)

// A fast path for the JSON every call decodes: the env and info the VM
// passes, and the {"variant": body} shape of messages. encoding/json works
// by reflection, which inside the VM costs about 200,000 gas (and as many
// nanoseconds) per small document; these parsers read the exact shapes the
// VM writes and give up — falling back to encoding/json, whose answer then
// counts — on anything else: escapes in strings, unknown or repeated keys,
// floats, white space where the VM writes none. They never accept what
// encoding/json would refuse, and where they accept they give what it would
// give (contract/fastjson_test.go compares them).

// scanner reads JSON from b at i.
type scanner struct {
	b   []byte
	i   int
	bad bool // the input left the fast path
}

func (s *scanner) fail() { s.bad = true }

// expect consumes c or fails.
func (s *scanner) expect(c byte) {
	if s.bad || s.i >= len(s.b) || s.b[s.i] != c {
		s.fail()
		return
	}
	s.i++
}

func (s *scanner) peek() byte {
	if s.bad || s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// str reads a string without escapes or control characters.
func (s *scanner) str() string {
	s.expect('"')
	start := s.i
	for !s.bad && s.i < len(s.b) {
		switch c := s.b[s.i]; {
		case c == '"':
			out := string(s.b[start:s.i])
			s.i++
			return out
		case c == '\\' || c < 0x20 || c >= 0x80:
			s.fail() // escapes and non-ASCII: leave validation to encoding/json
			return ""
		}
		s.i++
	}
	s.fail()
	return ""
}

// uint reads a non-negative integer without sign, fraction or exponent.
func (s *scanner) uint(bits int) uint64 {
	start := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	if s.bad || s.i == start || (s.b[start] == '0' && s.i-start > 1) {
		s.fail()
		return 0
	}
	if c := s.peek(); c == '.' || c == 'e' || c == 'E' {
		s.fail()
		return 0
	}
	n, err := strconv.ParseUint(string(s.b[start:s.i]), 10, bits)
	if err != nil {
		s.fail()
	}
	return n
}

// object reads {"k": v, ...}, calling field for each key in order; field
// reads the value. Keys must come as want lists them, each once.
func (s *scanner) object(want []string, field func(k string)) {
	s.expect('{')
	for n, k := range want {
		if n > 0 {
			s.expect(',')
		}
		if s.str() != k || s.bad {
			s.fail()
			return
		}
		s.expect(':')
		field(k)
	}
	s.expect('}')
}

// literal consumes lit or fails.
func (s *scanner) literal(lit string) {
	for i := 0; i < len(lit); i++ {
		s.expect(lit[i])
	}
}

// end fails unless the input is fully read.
func (s *scanner) end() {
	if s.i != len(s.b) {
		s.fail()
	}
}

// decodeEnv decodes the env the VM passes.
func decodeEnv(b []byte, env *Env) error {
	e, ok := fastEnv(b)
	if !ok {
		return json.Unmarshal(b, env)
	}
	*env = e
	return nil
}

// fastEnv decodes env's exact shape; ok is false off the fast path.
func fastEnv(b []byte) (e Env, ok bool) {
	s := &scanner{b: b}
	s.object([]string{"block", "transaction", "contract"}, func(k string) {
		switch k {
		case "block":
			s.object([]string{"height", "time", "chain_id"}, func(k string) {
				switch k {
				case "height":
					e.Block.Height = s.uint(64)
				case "time":
					e.Block.Time = s.str()
				case "chain_id":
					e.Block.ChainID = s.str()
				}
			})
		case "transaction":
			if s.peek() == 'n' {
				s.literal("null")
				return
			}
			e.Transaction = &TransactionInfo{}
			s.object([]string{"index"}, func(string) { e.Transaction.Index = uint32(s.uint(32)) })
		case "contract":
			s.object([]string{"address"}, func(string) { e.Contract.Address = s.str() })
		}
	})
	s.end()
	return e, !s.bad
}

// decodeInfo decodes the message info the VM passes.
func decodeInfo(b []byte, info *MessageInfo) error {
	m, ok := fastInfo(b)
	if !ok {
		return json.Unmarshal(b, info)
	}
	*info = m
	return nil
}

// fastInfo decodes info's exact shape; ok is false off the fast path.
func fastInfo(b []byte) (m MessageInfo, ok bool) {
	s := &scanner{b: b}
	s.object([]string{"sender", "funds"}, func(k string) {
		switch k {
		case "sender":
			m.Sender = s.str()
		case "funds":
			s.expect('[')
			m.Funds = []Coin{}
			for n := 0; !s.bad && s.peek() != ']'; n++ {
				if n > 0 {
					s.expect(',')
				}
				var c Coin
				s.object([]string{"denom", "amount"}, func(k string) {
					if k == "denom" {
						c.Denom = s.str()
					} else {
						c.Amount = s.str()
					}
				})
				m.Funds = append(m.Funds, c)
			}
			s.expect(']')
		}
	})
	s.end()
	return m, !s.bad
}

// variantFast splits {"name": body} when msg is valid JSON of that shape
// with a plain key; ok is false otherwise (Variant then uses encoding/json).
func variantFast(msg []byte) (name string, body json.RawMessage, ok bool) {
	if !json.Valid(msg) {
		return "", nil, false
	}
	s := &scanner{b: msg}
	s.expect('{')
	name = s.str()
	s.expect(':')
	if s.bad {
		return "", nil, false
	}
	// msg is valid JSON: the value runs to the object's last '}', unless
	// another key follows at depth 1.
	start, depth, inStr := s.i, 0, false
	for i := start; i < len(msg); i++ {
		c := msg[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth == 0 {
				if i != len(msg)-1 {
					return "", nil, false
				}
				return name, json.RawMessage(trimSpace(msg[start:i])), true
			}
			depth--
		case c == ',' && depth == 0:
			return "", nil, false // a second key
		}
	}
	return "", nil, false
}

func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}
