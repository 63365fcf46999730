package reading

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Limits of a Reading.
const (
	MaxNameBytes  = 128 // device and stream names
	MaxValues     = 256
	MaxValueName  = 64
	MaxUnitBytes  = 32
	MaxRecordSize = 64 << 10 // a whole record, signature included
)

// Errors of this package; test with errors.Is.
var (
	// ErrInvalid: a reading breaks the format (docs/data.md): a missing or
	// oversize field, values not sorted or repeated, a value that is not a
	// finite number.
	ErrInvalid = errors.New("invalid reading")
	// ErrEncoding: a record's bytes are not the one deterministic encoding
	// of a COSE_Sign1 reading.
	ErrEncoding = errors.New("reading: not a deterministic COSE_Sign1 record")
	// ErrSignature: the record's signature does not verify under the key.
	ErrSignature = errors.New("reading: bad signature")
	// ErrKey: the key is not one a reading may be signed with, or not the
	// one the record names.
	ErrKey = errors.New("reading: unsupported or mismatched key")
)

// Reading is one observation of a device's stream.
type Reading struct {
	// Device and Stream name the stream (the registry's names).
	Device string `cbor:"1,keyasint" json:"device"`
	Stream string `cbor:"2,keyasint" json:"stream"`
	// Seq numbers the stream's readings from 1, without gaps.
	Seq uint64 `cbor:"3,keyasint" json:"seq"`
	// Time is the source timestamp, in nanoseconds since the Unix epoch.
	Time int64 `cbor:"4,keyasint" json:"time_ns"`
	// Values are the named values, sorted by name, each name once.
	Values []Value `cbor:"5,keyasint" json:"values"`
	// Quality is the reading's quality: an OPC UA status code (0: Good).
	Quality uint32 `cbor:"6,keyasint" json:"quality"`
	// Prev is the SHA-256 of the stream's previous record (its COSE bytes);
	// all zero for Seq 1.
	Prev Digest `cbor:"7,keyasint" json:"prev"`
}

// Value is one named value of a reading.
type Value struct {
	Name  string  `cbor:"1,keyasint" json:"name"`
	Unit  string  `cbor:"2,keyasint,omitempty" json:"unit,omitempty"`
	Value float64 `cbor:"3,keyasint" json:"value"`
}

// Digest is a SHA-256 hash: a CBOR byte string of 32 bytes, hex in JSON.
type Digest [32]byte

// MarshalText writes d in hex.
func (d Digest) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(d[:])), nil }

// UnmarshalText reads 64 hex digits.
func (d *Digest) UnmarshalText(b []byte) error {
	if len(b) != 2*len(d) {
		return fmt.Errorf("a digest is %d hex digits, not %d", 2*len(d), len(b))
	}
	_, err := hex.Decode(d[:], b)
	return err
}

// Hash is a record's hash: the next record's Prev.
func Hash(record []byte) Digest { return sha256.Sum256(record) }

// The CBOR modes: RFC 8949 §4.2.1 core deterministic encoding (shortest
// integers and floats, sorted map keys, definite lengths), and a decoder
// that refuses duplicate keys, indefinite lengths, tags and unknown fields.
var (
	encMode = must(cbor.CoreDetEncOptions().EncMode())
	decMode = must(cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxArrayElements:  MaxValues,
		MaxMapPairs:       16,
		MaxNestedLevels:   4,
	}.DecMode())
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Check reports whether r is a valid reading (ErrInvalid, naming the
// field, if not).
func (r *Reading) Check() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	switch {
	case r.Device == "" || len(r.Device) > MaxNameBytes:
		return fail("device name must be 1-%d bytes", MaxNameBytes)
	case r.Stream == "" || len(r.Stream) > MaxNameBytes:
		return fail("stream name must be 1-%d bytes", MaxNameBytes)
	case r.Seq == 0:
		return fail("sequence numbers start at 1")
	case r.Seq == 1 && r.Prev != Digest{}:
		return fail("the first reading of a stream has no previous record")
	case r.Seq > 1 && r.Prev == Digest{}:
		return fail("reading %d names no previous record", r.Seq)
	case len(r.Values) == 0 || len(r.Values) > MaxValues:
		return fail("a reading has 1-%d values, not %d", MaxValues, len(r.Values))
	}
	for i, v := range r.Values {
		switch {
		case v.Name == "" || len(v.Name) > MaxValueName:
			return fail("value %d: name must be 1-%d bytes", i, MaxValueName)
		case len(v.Unit) > MaxUnitBytes:
			return fail("value %q: unit longer than %d bytes", v.Name, MaxUnitBytes)
		case math.IsNaN(v.Value) || math.IsInf(v.Value, 0):
			return fail("value %q is not a finite number", v.Name)
		case i > 0 && strings.Compare(r.Values[i-1].Name, v.Name) >= 0:
			return fail("values must be sorted by name, each once: %q after %q", v.Name, r.Values[i-1].Name)
		}
	}
	return nil
}

// SortValues sorts r's values by name, as Check requires.
func (r *Reading) SortValues() {
	slices.SortFunc(r.Values, func(a, b Value) int { return strings.Compare(a.Name, b.Name) })
}

// MarshalPayload returns the deterministic CBOR of a valid reading: the
// payload a record signs.
func (r *Reading) MarshalPayload() ([]byte, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	return encMode.Marshal(r)
}

// UnmarshalPayload decodes a record's payload, refusing anything but the
// deterministic encoding of a valid reading.
func UnmarshalPayload(b []byte) (Reading, error) {
	var r Reading
	if err := decMode.Unmarshal(b, &r); err != nil {
		return Reading{}, fmt.Errorf("%w: payload: %v", ErrEncoding, err)
	}
	if err := r.Check(); err != nil {
		return Reading{}, err
	}
	again, err := encMode.Marshal(&r)
	if err != nil || !bytes.Equal(again, b) {
		return Reading{}, fmt.Errorf("%w: payload is not in deterministic CBOR", ErrEncoding)
	}
	return r, nil
}
