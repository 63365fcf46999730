package tx

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hermetic-chain/hermetic/keys"
)

// Messages of the compute module (docs/compute.md): store contract code,
// instantiate it, execute and migrate contracts. A contract message is the
// encrypted wire of CRYPTO.md §2 unless Plaintext says otherwise.
//
//	message MsgStoreCode   { bytes sender = 1; bytes wasm = 2; }
//	message MsgInstantiate { bytes sender = 1; uint64 code_id = 2; string label = 3; bytes admin = 4;
//	                         bytes msg = 5; bool plaintext = 6; Coin funds = 7; }
//	message MsgExecute     { bytes sender = 1; bytes contract = 2; bytes msg = 3; bool plaintext = 4; Coin funds = 5; }
//	message MsgMigrate     { bytes sender = 1; bytes contract = 2; uint64 code_id = 3; bytes msg = 4; bool plaintext = 5; }
type (
	// MsgStoreCode uploads contract code (a wasm module, gzip accepted).
	MsgStoreCode struct {
		Sender keys.Address `json:"sender"`
		WASM   []byte       `json:"wasm"`
	}
	// MsgInstantiate creates a contract from stored code.
	MsgInstantiate struct {
		Sender    keys.Address `json:"sender"`
		CodeID    uint64       `json:"code_id,string"`
		Label     string       `json:"label"`
		Admin     keys.Address `json:"admin"` // zero: no admin, never migratable
		Msg       []byte       `json:"msg"`
		Plaintext bool         `json:"plaintext,omitempty"`
		Funds     Coin         `json:"funds"`
	}
	// MsgExecute calls a contract.
	MsgExecute struct {
		Sender    keys.Address         `json:"sender"`
		Contract  keys.ContractAddress `json:"contract"`
		Msg       []byte               `json:"msg"`
		Plaintext bool                 `json:"plaintext,omitempty"`
		Funds     Coin                 `json:"funds"`
	}
	// MsgMigrate moves a contract to new code; only its admin may.
	MsgMigrate struct {
		Sender    keys.Address         `json:"sender"`
		Contract  keys.ContractAddress `json:"contract"`
		CodeID    uint64               `json:"code_id,string"`
		Msg       []byte               `json:"msg"`
		Plaintext bool                 `json:"plaintext,omitempty"`
	}
)

// Limits of compute messages.
const (
	MaxLabelBytes = 128
	MaxWASMBytes  = MaxTxBytes // the upload as sent (gzip accepted)
)

// TypeURL implements Msg.
func (*MsgStoreCode) TypeURL() string { return "/hermetic.compute.v1.MsgStoreCode" }

// TypeURL implements Msg.
func (*MsgInstantiate) TypeURL() string { return "/hermetic.compute.v1.MsgInstantiate" }

// TypeURL implements Msg.
func (*MsgExecute) TypeURL() string { return "/hermetic.compute.v1.MsgExecute" }

// TypeURL implements Msg.
func (*MsgMigrate) TypeURL() string { return "/hermetic.compute.v1.MsgMigrate" }

func addrBytes(a keys.Address) []byte {
	if a.IsZero() {
		return nil
	}
	return a[:]
}

func boolU(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// Marshal implements Msg.
func (m *MsgStoreCode) Marshal() []byte {
	var e encoder
	e.bytes(1, addrBytes(m.Sender))
	e.bytes(2, m.WASM)
	return e.b
}

// Marshal implements Msg.
func (m *MsgInstantiate) Marshal() []byte {
	var e encoder
	e.bytes(1, addrBytes(m.Sender))
	e.uint(2, m.CodeID)
	e.string(3, m.Label)
	e.bytes(4, addrBytes(m.Admin))
	e.bytes(5, m.Msg)
	e.uint(6, boolU(m.Plaintext))
	e.message(7, m.Funds.marshal())
	return e.b
}

// Marshal implements Msg.
func (m *MsgExecute) Marshal() []byte {
	var e encoder
	e.bytes(1, addrBytes(m.Sender))
	if !m.Contract.IsZero() {
		e.bytes(2, m.Contract[:])
	}
	e.bytes(3, m.Msg)
	e.uint(4, boolU(m.Plaintext))
	e.message(5, m.Funds.marshal())
	return e.b
}

// Marshal implements Msg.
func (m *MsgMigrate) Marshal() []byte {
	var e encoder
	e.bytes(1, addrBytes(m.Sender))
	if !m.Contract.IsZero() {
		e.bytes(2, m.Contract[:])
	}
	e.uint(3, m.CodeID)
	e.bytes(4, m.Msg)
	e.uint(5, boolU(m.Plaintext))
	return e.b
}

// fieldSet decodes into named destinations by field number, then checks
// that the message re-encodes to the same bytes.
type fieldSet map[protowire.Number]func(field) error

func (fs fieldSet) decode(b []byte, re func() []byte) error {
	fields, err := fields(b)
	if err != nil {
		return err
	}
	for _, f := range fields {
		set, ok := fs[f.num]
		if !ok {
			return fmt.Errorf("unknown field %d", f.num)
		}
		if err := set(f); err != nil {
			return fmt.Errorf("field %d: %w", f.num, err)
		}
	}
	if string(re()) != string(b) {
		return errNotCanonical
	}
	return nil
}

func setBytes(dst *[]byte) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		*dst = f.bytes
		return nil
	}
}

func setString(dst *string) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		*dst = string(f.bytes)
		return nil
	}
}

func setUint(dst *uint64) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.VarintType); err != nil {
			return err
		}
		*dst = f.u
		return nil
	}
}

func setBool(dst *bool) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.VarintType); err != nil {
			return err
		}
		if f.u > 1 {
			return fmt.Errorf("bool of %d", f.u)
		}
		*dst = f.u == 1
		return nil
	}
}

func setFixed(dst []byte) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		if len(f.bytes) != len(dst) {
			return fmt.Errorf("%d bytes, want %d", len(f.bytes), len(dst))
		}
		copy(dst, f.bytes)
		return nil
	}
}

func setCoin(dst *Coin) func(field) error {
	return func(f field) error {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		return dst.unmarshal(f.bytes)
	}
}

// Unmarshal decodes the canonical encoding.
func (m *MsgStoreCode) Unmarshal(b []byte) error {
	return fieldSet{1: setFixed(m.Sender[:]), 2: setBytes(&m.WASM)}.decode(b, m.Marshal)
}

// Unmarshal decodes the canonical encoding.
func (m *MsgInstantiate) Unmarshal(b []byte) error {
	return fieldSet{1: setFixed(m.Sender[:]), 2: setUint(&m.CodeID), 3: setString(&m.Label), 4: setFixed(m.Admin[:]),
		5: setBytes(&m.Msg), 6: setBool(&m.Plaintext), 7: setCoin(&m.Funds)}.decode(b, m.Marshal)
}

// Unmarshal decodes the canonical encoding.
func (m *MsgExecute) Unmarshal(b []byte) error {
	return fieldSet{1: setFixed(m.Sender[:]), 2: setFixed(m.Contract[:]), 3: setBytes(&m.Msg), 4: setBool(&m.Plaintext),
		5: setCoin(&m.Funds)}.decode(b, m.Marshal)
}

// Unmarshal decodes the canonical encoding.
func (m *MsgMigrate) Unmarshal(b []byte) error {
	return fieldSet{1: setFixed(m.Sender[:]), 2: setFixed(m.Contract[:]), 3: setUint(&m.CodeID), 4: setBytes(&m.Msg),
		5: setBool(&m.Plaintext)}.decode(b, m.Marshal)
}

func validFunds(c Coin) error {
	if c.Amount > 0 && c.Denom == "" {
		return fmt.Errorf("%w: funds have no denomination", ErrInvalidMessage)
	}
	return nil
}

// ValidateBasic implements Msg.
func (m *MsgStoreCode) ValidateBasic() error {
	switch {
	case m.Sender.IsZero():
		return fmt.Errorf("%w: no sender", ErrInvalidMessage)
	case len(m.WASM) == 0 || len(m.WASM) > MaxWASMBytes:
		return fmt.Errorf("%w: code must be 1 to %d bytes", ErrInvalidMessage, MaxWASMBytes)
	}
	return nil
}

// ValidateBasic implements Msg.
func (m *MsgInstantiate) ValidateBasic() error {
	switch {
	case m.Sender.IsZero():
		return fmt.Errorf("%w: no sender", ErrInvalidMessage)
	case m.CodeID == 0:
		return fmt.Errorf("%w: no code id", ErrInvalidMessage)
	case m.Label == "" || len(m.Label) > MaxLabelBytes || !utf8.ValidString(m.Label):
		return fmt.Errorf("%w: label must be 1 to %d bytes of UTF-8", ErrInvalidMessage, MaxLabelBytes)
	case len(m.Msg) == 0:
		return fmt.Errorf("%w: no message", ErrInvalidMessage)
	}
	return validFunds(m.Funds)
}

// ValidateBasic implements Msg.
func (m *MsgExecute) ValidateBasic() error {
	switch {
	case m.Sender.IsZero():
		return fmt.Errorf("%w: no sender", ErrInvalidMessage)
	case m.Contract.IsZero():
		return fmt.Errorf("%w: no contract", ErrInvalidMessage)
	case len(m.Msg) == 0:
		return fmt.Errorf("%w: no message", ErrInvalidMessage)
	}
	return validFunds(m.Funds)
}

// ValidateBasic implements Msg.
func (m *MsgMigrate) ValidateBasic() error {
	switch {
	case m.Sender.IsZero():
		return fmt.Errorf("%w: no sender", ErrInvalidMessage)
	case m.Contract.IsZero():
		return fmt.Errorf("%w: no contract", ErrInvalidMessage)
	case m.CodeID == 0:
		return fmt.Errorf("%w: no code id", ErrInvalidMessage)
	case len(m.Msg) == 0:
		return fmt.Errorf("%w: no message", ErrInvalidMessage)
	}
	return nil
}
