package tx

import (
	"encoding/json"
	"fmt"
)

// DecodeMsg decodes a native message. It returns ErrInvalidMessage for a
// type this package does not know (contract messages are decoded by their
// modules).
func DecodeMsg(a Any) (Msg, error) {
	m := newMsg(a.TypeURL)
	if m == nil {
		return nil, fmt.Errorf("%w: unknown type %q", ErrInvalidMessage, a.TypeURL)
	}
	if err := m.Unmarshal(a.Value); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidMessage, a.TypeURL, err)
	}
	return m, nil
}

// decodable is a native message that can decode itself.
type decodable interface {
	Msg
	Unmarshal([]byte) error
}

// newMsg returns an empty native message of the type, or nil.
func newMsg(typeURL string) decodable {
	switch typeURL {
	case (*MsgSend)(nil).TypeURL():
		return new(MsgSend)
	case (*MsgBond)(nil).TypeURL():
		return new(MsgBond)
	case (*MsgUnbond)(nil).TypeURL():
		return new(MsgUnbond)
	case (*MsgRegisterEnclave)(nil).TypeURL():
		return new(MsgRegisterEnclave)
	case (*MsgStoreCode)(nil).TypeURL():
		return new(MsgStoreCode)
	case (*MsgInstantiate)(nil).TypeURL():
		return new(MsgInstantiate)
	case (*MsgExecute)(nil).TypeURL():
		return new(MsgExecute)
	case (*MsgMigrate)(nil).TypeURL():
		return new(MsgMigrate)
	}
	return nil
}

// anyJSON is how an Any appears in JSON: a native message as its fields
// under "msg", anything else as base64 under "value".
type anyJSON struct {
	TypeURL string          `json:"type_url"`
	Msg     json.RawMessage `json:"msg,omitempty"`
	Value   []byte          `json:"value,omitempty"`
}

// MarshalJSON renders a native message readably.
func (a Any) MarshalJSON() ([]byte, error) {
	if m, err := DecodeMsg(a); err == nil {
		bz, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		return json.Marshal(anyJSON{TypeURL: a.TypeURL, Msg: bz})
	}
	return json.Marshal(anyJSON{TypeURL: a.TypeURL, Value: a.Value})
}

// UnmarshalJSON reads either form MarshalJSON writes.
func (a *Any) UnmarshalJSON(b []byte) error {
	var j anyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	a.TypeURL, a.Value = j.TypeURL, j.Value
	if j.Msg == nil {
		return nil
	}
	m := newMsg(j.TypeURL)
	if m == nil {
		return fmt.Errorf("%w: unknown type %q", ErrInvalidMessage, j.TypeURL)
	}
	if err := json.Unmarshal(j.Msg, m); err != nil {
		return err
	}
	a.Value = m.Marshal()
	return nil
}
