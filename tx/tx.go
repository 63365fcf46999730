// Package tx defines Hermetic's transaction envelope and its native
// messages: a versioned, deterministic protobuf encoding, domain-separated
// sign bytes and strict decoding that accepts exactly one encoding of each
// transaction (so a transaction's hash cannot be changed by re-encoding it).
//
// The schema, as protobuf (field numbers are the wire format):
//
//	message Tx {
//	  uint32 version   = 1;  // 1
//	  string chain_id  = 2;
//	  PubKey signer    = 3;  // { uint32 type = 1; bytes key = 2; }
//	  uint64 sequence  = 4;
//	  Coin   fee       = 5;  // { string denom = 1; uint64 amount = 2; }
//	  uint64 gas_limit = 6;
//	  repeated Any msgs = 7; // { string type_url = 1; bytes value = 2; }
//	  string memo      = 8;
//	  bytes  signature = 9;
//	}
//
// The signature covers SignBytes: "hermetic/tx/v1" 0x00 followed by the
// encoding of the transaction without field 9. docs/tx.md describes it for
// client authors.
package tx

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hermetic-chain/hermetic/keys"
)

const (
	// Version is the envelope version this package writes and accepts.
	Version = 1
	// Denom is the native token's base denomination.
	Denom = "uherm"
	// MaxTxBytes is the largest encoded transaction accepted: room for a
	// gzipped Go contract (about 1 MB); every byte costs gas.
	MaxTxBytes = 2 << 20
	// MaxMemoBytes is the longest memo accepted.
	MaxMemoBytes = 256
	// MaxChainIDBytes is the longest chain id accepted.
	MaxChainIDBytes = 64
	// signDomain separates transaction signatures from every other use of
	// an account key.
	signDomain = "hermetic/tx/v1\x00"
)

// Errors Decode and VerifySignature return, for callers to test.
var (
	// ErrMalformed: the bytes are not a canonical encoding of a transaction.
	ErrMalformed = errors.New("malformed transaction")
	// ErrTooLarge: the transaction exceeds MaxTxBytes.
	ErrTooLarge = errors.New("transaction too large")
	// ErrUnsupportedVersion: the envelope version is not Version.
	ErrUnsupportedVersion = errors.New("unsupported transaction version")
	// ErrBadSignature: the signature does not verify with the signer's key.
	ErrBadSignature = errors.New("invalid signature")
	// ErrInvalidMessage: a message's fields are invalid on their own.
	ErrInvalidMessage = errors.New("invalid message")
)

// Coin is an amount of one denomination.
type Coin struct {
	Denom  string `json:"denom"`
	Amount uint64 `json:"amount,string"`
}

// String renders the coin as "123uherm".
func (c Coin) String() string { return fmt.Sprintf("%d%s", c.Amount, c.Denom) }

func (c Coin) marshal() []byte {
	var e encoder
	e.string(1, c.Denom)
	e.uint(2, c.Amount)
	return e.b
}

func (c *Coin) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			c.Denom = string(f.bytes)
		case 2:
			if err := f.want(protowire.VarintType); err != nil {
				return err
			}
			c.Amount = f.u
		default:
			return fmt.Errorf("coin: unknown field %d", f.num)
		}
	}
	return nil
}

// Any is a message with its type: TypeURL names the message type, Value is
// its protobuf encoding.
type Any struct {
	TypeURL string `json:"type_url"`
	Value   []byte `json:"value"`
}

func (a Any) marshal() []byte {
	var e encoder
	e.string(1, a.TypeURL)
	e.bytes(2, a.Value)
	return e.b
}

func (a *Any) unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		switch f.num {
		case 1:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			a.TypeURL = string(f.bytes)
		case 2:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			a.Value = f.bytes
		default:
			return fmt.Errorf("any: unknown field %d", f.num)
		}
	}
	return nil
}

// NewAny wraps a message for a transaction.
func NewAny(m Msg) Any { return Any{TypeURL: m.TypeURL(), Value: m.Marshal()} }

// Tx is a signed transaction.
type Tx struct {
	Version   uint32      `json:"version"`
	ChainID   string      `json:"chain_id"`
	Signer    keys.PubKey `json:"signer"`
	Sequence  uint64      `json:"sequence,string"`
	Fee       Coin        `json:"fee"`
	GasLimit  uint64      `json:"gas_limit,string"`
	Msgs      []Any       `json:"msgs"`
	Memo      string      `json:"memo,omitempty"`
	Signature []byte      `json:"signature"`
}

func marshalPubKey(p keys.PubKey) []byte {
	var e encoder
	e.uint(1, uint64(p.Type))
	e.bytes(2, p.Key)
	return e.b
}

func unmarshalPubKey(b []byte) (keys.PubKey, error) {
	fs, err := fields(b)
	if err != nil {
		return keys.PubKey{}, err
	}
	var p keys.PubKey
	for _, f := range fs {
		switch f.num {
		case 1:
			if err := f.want(protowire.VarintType); err != nil {
				return p, err
			}
			if f.u > 0xff {
				return p, fmt.Errorf("pubkey: type %d", f.u)
			}
			p.Type = keys.KeyType(f.u)
		case 2:
			if err := f.want(protowire.BytesType); err != nil {
				return p, err
			}
			p.Key = f.bytes
		default:
			return p, fmt.Errorf("pubkey: unknown field %d", f.num)
		}
	}
	return p, nil
}

// body encodes every field but the signature.
func (t *Tx) body() encoder {
	var e encoder
	e.uint(1, uint64(t.Version))
	e.string(2, t.ChainID)
	e.message(3, marshalPubKey(t.Signer))
	e.uint(4, t.Sequence)
	e.message(5, t.Fee.marshal())
	e.uint(6, t.GasLimit)
	for _, m := range t.Msgs {
		e.repeated(7, m.marshal())
	}
	e.string(8, t.Memo)
	return e
}

// SignBytes returns the bytes the signer signs: a domain tag and the
// transaction without its signature.
func (t *Tx) SignBytes() []byte {
	e := t.body()
	return append([]byte(signDomain), e.b...)
}

// Marshal returns the transaction's canonical encoding.
func (t *Tx) Marshal() []byte {
	e := t.body()
	e.bytes(9, t.Signature)
	return e.b
}

// Hash returns the SHA-256 of the encoding: the id CometBFT indexes the
// transaction by.
func (t *Tx) Hash() []byte {
	h := sha256.Sum256(t.Marshal())
	return h[:]
}

// Sender returns the signer's address.
func (t *Tx) Sender() keys.Address { return t.Signer.Address() }

// Sign sets Signer to k's public key and Signature to k's signature.
func (t *Tx) Sign(k keys.PrivKey) error {
	t.Signer = k.PubKey()
	sig, err := k.Sign(t.SignBytes())
	if err != nil {
		return fmt.Errorf("sign transaction: %w", err)
	}
	t.Signature = sig
	return nil
}

// VerifySignature checks the signature against the signer's key.
func (t *Tx) VerifySignature() error {
	if err := t.Signer.Validate(); err != nil {
		return fmt.Errorf("%w: signer key: %v", ErrBadSignature, err)
	}
	if !t.Signer.Verify(t.SignBytes(), t.Signature) {
		return fmt.Errorf("%w: does not verify with the signer's %s key", ErrBadSignature, t.Signer.Type)
	}
	return nil
}

// Decode parses a transaction. It accepts only the canonical encoding (the
// one Marshal produces: fields in order, no unknown or repeated scalar
// fields, no explicit zero values), so every transaction has exactly one
// encoding and one hash. It checks the envelope's form, not the signature.
func Decode(b []byte) (*Tx, error) {
	if len(b) > MaxTxBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(b), MaxTxBytes)
	}
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty", ErrMalformed)
	}
	fs, err := fields(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	t := new(Tx)
	for _, f := range fs {
		if err := t.decodeField(f); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
	}
	if t.Version != Version {
		return nil, fmt.Errorf("%w: %d, this node accepts %d", ErrUnsupportedVersion, t.Version, Version)
	}
	if !bytes.Equal(t.Marshal(), b) {
		return nil, fmt.Errorf("%w: not the canonical encoding (field order, duplicate, unknown or zero-valued fields)", ErrMalformed)
	}
	if err := t.validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return t, nil
}

func (t *Tx) decodeField(f field) error {
	var err error
	switch f.num {
	case 1, 4, 6:
		if err = f.want(protowire.VarintType); err != nil {
			return err
		}
		switch f.num {
		case 1:
			if f.u > 0xffffffff {
				return fmt.Errorf("version %d out of range", f.u)
			}
			t.Version = uint32(f.u)
		case 4:
			t.Sequence = f.u
		case 6:
			t.GasLimit = f.u
		}
	case 2, 3, 5, 7, 8, 9:
		if err = f.want(protowire.BytesType); err != nil {
			return err
		}
		switch f.num {
		case 2:
			t.ChainID = string(f.bytes)
		case 3:
			t.Signer, err = unmarshalPubKey(f.bytes)
		case 5:
			err = t.Fee.unmarshal(f.bytes)
		case 7:
			var a Any
			if err = a.unmarshal(f.bytes); err == nil {
				t.Msgs = append(t.Msgs, a)
			}
		case 8:
			t.Memo = string(f.bytes)
		case 9:
			t.Signature = f.bytes
		}
	default:
		return fmt.Errorf("unknown field %d", f.num)
	}
	return err
}

// validate checks what a decoded envelope must satisfy whatever the chain's
// state: bounded, valid UTF-8 strings and a well-formed signer key.
func (t *Tx) validate() error {
	switch {
	case t.ChainID == "" || len(t.ChainID) > MaxChainIDBytes || !utf8.ValidString(t.ChainID):
		return fmt.Errorf("chain id must be 1 to %d bytes of UTF-8", MaxChainIDBytes)
	case len(t.Memo) > MaxMemoBytes || !utf8.ValidString(t.Memo):
		return fmt.Errorf("memo must be at most %d bytes of UTF-8", MaxMemoBytes)
	case len(t.Signature) == 0:
		return errors.New("no signature")
	}
	if err := t.Signer.Validate(); err != nil {
		return fmt.Errorf("signer: %w", err)
	}
	for i, m := range t.Msgs {
		if m.TypeURL == "" || !utf8.ValidString(m.TypeURL) {
			return fmt.Errorf("message %d has no type", i)
		}
	}
	return nil
}
