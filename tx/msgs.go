package tx

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hermetic-chain/hermetic/keys"
)

// Msg is a message a transaction carries.
type Msg interface {
	// TypeURL names the message type, as in a protobuf Any.
	TypeURL() string
	// Marshal returns the canonical protobuf encoding.
	Marshal() []byte
	// ValidateBasic checks the message on its own, without state.
	ValidateBasic() error
}

// MsgSend moves coins between accounts.
//
//	message MsgSend { bytes from = 1; bytes to = 2; Coin amount = 3; }
type MsgSend struct {
	From   keys.Address `json:"from"`
	To     keys.Address `json:"to"`
	Amount Coin         `json:"amount"`
}

// MsgBond bonds a delegator's coins to a validator, adding to its voting
// power.
//
//	message MsgBond { bytes delegator = 1; bytes validator = 2; Coin amount = 3; }
type MsgBond struct {
	Delegator keys.Address `json:"delegator"`
	Validator keys.Address `json:"validator"`
	Amount    Coin         `json:"amount"`
}

// MsgUnbond returns bonded coins to the delegator, reducing the validator's
// voting power.
//
//	message MsgUnbond { bytes delegator = 1; bytes validator = 2; Coin amount = 3; }
type MsgUnbond MsgBond

// TypeURL implements Msg.
func (*MsgSend) TypeURL() string { return "/hermetic.bank.v1.MsgSend" }

// TypeURL implements Msg.
func (*MsgBond) TypeURL() string { return "/hermetic.staking.v1.MsgBond" }

// TypeURL implements Msg.
func (*MsgUnbond) TypeURL() string { return "/hermetic.staking.v1.MsgUnbond" }

// Marshal implements Msg.
func (m *MsgSend) Marshal() []byte { return marshalTransfer(m.From, m.To, m.Amount) }

// Marshal implements Msg.
func (m *MsgBond) Marshal() []byte { return marshalTransfer(m.Delegator, m.Validator, m.Amount) }

// Marshal implements Msg.
func (m *MsgUnbond) Marshal() []byte { return marshalTransfer(m.Delegator, m.Validator, m.Amount) }

// Unmarshal decodes the canonical encoding.
func (m *MsgSend) Unmarshal(b []byte) error {
	return unmarshalTransfer(b, &m.From, &m.To, &m.Amount)
}

// Unmarshal decodes the canonical encoding.
func (m *MsgBond) Unmarshal(b []byte) error {
	return unmarshalTransfer(b, &m.Delegator, &m.Validator, &m.Amount)
}

// Unmarshal decodes the canonical encoding.
func (m *MsgUnbond) Unmarshal(b []byte) error {
	return unmarshalTransfer(b, &m.Delegator, &m.Validator, &m.Amount)
}

// ValidateBasic implements Msg.
func (m *MsgSend) ValidateBasic() error {
	return validateTransfer("from", m.From, "to", m.To, m.Amount)
}

// ValidateBasic implements Msg.
func (m *MsgBond) ValidateBasic() error {
	return validateTransfer("delegator", m.Delegator, "validator", m.Validator, m.Amount)
}

// ValidateBasic implements Msg.
func (m *MsgUnbond) ValidateBasic() error {
	return validateTransfer("delegator", m.Delegator, "validator", m.Validator, m.Amount)
}

// The three native messages share one shape: two addresses and a coin.
func marshalTransfer(a, b keys.Address, c Coin) []byte {
	var e encoder
	if !a.IsZero() {
		e.bytes(1, a[:])
	}
	if !b.IsZero() {
		e.bytes(2, b[:])
	}
	e.message(3, c.marshal())
	return e.b
}

var errNotCanonical = errors.New("not the canonical encoding")

func unmarshalTransfer(b []byte, a1, a2 *keys.Address, c *Coin) error {
	fs, err := fields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		switch f.num {
		case 1, 2:
			if len(f.bytes) != len(keys.Address{}) {
				return fmt.Errorf("field %d: address of %d bytes, want %d", f.num, len(f.bytes), len(keys.Address{}))
			}
			if f.num == 1 {
				copy(a1[:], f.bytes)
			} else {
				copy(a2[:], f.bytes)
			}
		case 3:
			if err := c.unmarshal(f.bytes); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown field %d", f.num)
		}
	}
	if string(marshalTransfer(*a1, *a2, *c)) != string(b) {
		return errNotCanonical
	}
	return nil
}

func validateTransfer(n1 string, a1 keys.Address, n2 string, a2 keys.Address, c Coin) error {
	switch {
	case a1.IsZero():
		return fmt.Errorf("%w: no %s address", ErrInvalidMessage, n1)
	case a2.IsZero():
		return fmt.Errorf("%w: no %s address", ErrInvalidMessage, n2)
	case c.Amount == 0:
		return fmt.Errorf("%w: amount must be positive", ErrInvalidMessage)
	case c.Denom == "":
		return fmt.Errorf("%w: amount has no denomination", ErrInvalidMessage)
	}
	return nil
}
