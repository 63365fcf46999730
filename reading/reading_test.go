package reading

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/stretchr/testify/require"
	"github.com/veraison/go-cose"
)

// testKeys returns an ed25519 and a P-256 signer.
func testKeys(t testing.TB) map[string]Signer {
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	out := map[string]Signer{}
	s, err := NewSigner(edKey)
	require.NoError(t, err)
	out["ed25519"] = s
	s, err = NewSigner(ecKey)
	require.NoError(t, err)
	out["p256"] = s
	return out
}

// sample is an AI4I-like reading.
func sample(seq uint64, prev Digest) *Reading {
	return &Reading{Device: "mill-7", Stream: "spindle", Seq: seq, Time: 1_700_000_000_000_000_000 + int64(seq)*1_000_000_000, Prev: prev,
		Values: []Value{
			{Name: "air_temperature", Unit: "K", Value: 298.1},
			{Name: "process_temperature", Unit: "K", Value: 308.6},
			{Name: "rotational_speed", Unit: "rpm", Value: 1551},
			{Name: "tool_wear", Unit: "min", Value: 0},
			{Name: "torque", Unit: "N.m", Value: 42.8},
		}}
}

func TestSignVerify(t *testing.T) {
	for name, s := range testKeys(t) {
		t.Run(name, func(t *testing.T) {
			r := sample(1, Digest{})
			rec, err := Sign(rand.Reader, s, r)
			require.NoError(t, err)
			got, err := Verify(rec, s.Public())
			require.NoError(t, err)
			require.Equal(t, *r, got)

			// Any COSE library reads it: go-cose alone, no Hermetic code.
			var msg cose.Sign1Message
			require.NoError(t, msg.UnmarshalCBOR(rec))
			alg, err := msg.Headers.Protected.Algorithm()
			require.NoError(t, err)
			v, err := cose.NewVerifier(alg, s.Public())
			require.NoError(t, err)
			require.NoError(t, msg.Verify(nil, v))

			r2, kid, err := Inspect(rec)
			require.NoError(t, err)
			require.Equal(t, *r, r2)
			want, err := KeyID(s.Public())
			require.NoError(t, err)
			require.Equal(t, want, kid)
		})
	}
}

func TestBadRecords(t *testing.T) {
	keys := testKeys(t)
	s, other := keys["ed25519"], keys["p256"]
	_, otherEd, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	rec, err := Sign(rand.Reader, s, sample(1, Digest{}))
	require.NoError(t, err)
	var msg cose.Sign1Message
	require.NoError(t, msg.UnmarshalCBOR(rec))
	remarshal := func(edit func(m *cose.Sign1Message)) []byte {
		var m cose.Sign1Message
		require.NoError(t, m.UnmarshalCBOR(rec))
		m.Headers.RawProtected, m.Headers.RawUnprotected = nil, nil
		edit(&m)
		b, err := m.MarshalCBOR()
		require.NoError(t, err)
		return b
	}
	flip := func(i int) []byte {
		b := bytes.Clone(rec)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		record []byte
		key    any
		want   error
	}{
		{"signature flipped", flip(len(rec) - 1), s.Public(), ErrSignature},
		{"payload edited", remarshal(func(m *cose.Sign1Message) {
			r := sample(1, Digest{})
			r.Values[4].Value = 99
			m.Payload, _ = r.MarshalPayload()
		}), s.Public(), ErrSignature},
		{"another device's key", rec, otherEd.Public(), ErrKey},
		{"a key of another algorithm", rec, other.Public(), ErrKey},
		{"an unprotected header", remarshal(func(m *cose.Sign1Message) {
			m.Headers.Unprotected = cose.UnprotectedHeader{cose.HeaderLabelKeyID: []byte("x")}
		}), s.Public(), ErrEncoding},
		{"another content type", remarshal(func(m *cose.Sign1Message) {
			m.Headers.Protected[cose.HeaderLabelContentType] = "application/json"
		}), s.Public(), ErrEncoding},
		{"not CBOR", []byte("hello"), s.Public(), ErrEncoding},
		{"truncated", rec[:len(rec)-3], s.Public(), ErrEncoding},
		{"trailing bytes", append(bytes.Clone(rec), 0), s.Public(), ErrEncoding},
		{"too large", make([]byte, MaxRecordSize+1), s.Public(), ErrEncoding},
		{"the empty unprotected header encoded long", longEmptyMap(t, rec), s.Public(), ErrEncoding},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Verify(tc.record, tc.key)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestPayloadRules(t *testing.T) {
	ok := sample(2, Digest{1})
	edit := func(f func(r *Reading)) *Reading {
		r := *ok
		r.Values = append([]Value(nil), ok.Values...)
		f(&r)
		return &r
	}
	tests := []struct {
		name string
		r    *Reading
	}{
		{"no device", edit(func(r *Reading) { r.Device = "" })},
		{"stream name too long", edit(func(r *Reading) { r.Stream = string(make([]byte, MaxNameBytes+1)) })},
		{"sequence 0", edit(func(r *Reading) { r.Seq = 0 })},
		{"first reading with a previous record", edit(func(r *Reading) { r.Seq = 1 })},
		{"later reading without one", edit(func(r *Reading) { r.Prev = Digest{} })},
		{"no values", edit(func(r *Reading) { r.Values = nil })},
		{"values not sorted", edit(func(r *Reading) { r.Values[0], r.Values[1] = r.Values[1], r.Values[0] })},
		{"a value twice", edit(func(r *Reading) { r.Values[1].Name = r.Values[0].Name })},
		{"NaN", edit(func(r *Reading) { r.Values[2].Value = math.NaN() })},
		{"infinity", edit(func(r *Reading) { r.Values[2].Value = math.Inf(-1) })},
		{"unit too long", edit(func(r *Reading) { r.Values[0].Unit = "kelvin-and-then-some-more-letters" })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.r.MarshalPayload()
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	// A payload that decodes but is not in deterministic CBOR: the same
	// reading with its map keys in another order.
	good, err := ok.MarshalPayload()
	require.NoError(t, err)
	_, err = UnmarshalPayload(good)
	require.NoError(t, err)
	em, err := cbor.EncOptions{Sort: cbor.SortNone}.EncMode()
	require.NoError(t, err)
	loose, err := em.Marshal(map[int]any{7: ok.Prev[:], 1: ok.Device, 2: ok.Stream, 3: ok.Seq, 4: ok.Time, 5: ok.Values, 6: ok.Quality})
	require.NoError(t, err)
	_, err = UnmarshalPayload(loose)
	require.ErrorIs(t, err, ErrEncoding)
	// An unknown field.
	extra, err := encMode.Marshal(map[int]any{1: ok.Device, 2: ok.Stream, 3: ok.Seq, 4: ok.Time, 5: ok.Values, 6: ok.Quality, 7: ok.Prev[:], 8: "x"})
	require.NoError(t, err)
	_, err = UnmarshalPayload(extra)
	require.ErrorIs(t, err, ErrEncoding)
	// A previous hash of 31 bytes.
	short, err := encMode.Marshal(map[int]any{1: ok.Device, 2: ok.Stream, 3: ok.Seq, 4: ok.Time, 5: ok.Values, 6: ok.Quality, 7: ok.Prev[:31]})
	require.NoError(t, err)
	_, err = UnmarshalPayload(short)
	require.Error(t, err)
}

func TestChain(t *testing.T) {
	s := testKeys(t)["ed25519"]
	// Records 1..5 of mill-7/spindle, chained.
	var recs [][]byte
	var rs []Reading
	prev := Digest{}
	for seq := uint64(1); seq <= 5; seq++ {
		r := sample(seq, prev)
		rec, err := Sign(rand.Reader, s, r)
		require.NoError(t, err)
		recs, rs = append(recs, rec), append(rs, *r)
		prev = Hash(rec)
	}
	var c Chain
	for i := range 3 {
		require.NoError(t, c.Add(rs[i], recs[i]))
	}
	forged := sample(4, Digest{9})
	forgedRec, err := Sign(rand.Reader, s, forged)
	require.NoError(t, err)
	other := sample(4, Hash(recs[2]))
	other.Stream = "coolant"
	otherRec, err := Sign(rand.Reader, s, other)
	require.NoError(t, err)
	tests := []struct {
		name   string
		r      Reading
		record []byte
		want   error
	}{
		{"the same reading again", rs[2], recs[2], ErrReplay},
		{"going backwards", rs[0], recs[0], ErrReplay},
		{"skipping one", rs[4], recs[4], ErrGap},
		{"not chained to the last", *forged, forgedRec, ErrBrokenChain},
		{"another stream", *other, otherRec, ErrOtherStream},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := c
			err := c.Add(tc.r, tc.record)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), "mill-7/")
			require.Equal(t, before, c, "a refused record changes nothing")
		})
	}
	require.NoError(t, c.Add(rs[3], recs[3]))
	require.NoError(t, c.Add(rs[4], recs[4]))

	// After a restart, from the last record kept.
	var resumed Chain
	resumed.Resume("mill-7", "spindle", 4, Hash(recs[3]))
	require.Equal(t, uint64(5), resumed.Next())
	require.NoError(t, resumed.Add(rs[4], recs[4]))
}

func TestCheckTime(t *testing.T) {
	r := *sample(1, Digest{})
	at := time.Unix(0, r.Time)
	require.NoError(t, CheckTime(r, at, 0))
	require.NoError(t, CheckTime(r, at.Add(-time.Second), 2*time.Second))
	err := CheckTime(r, at.Add(-time.Minute), 5*time.Second)
	require.ErrorIs(t, err, ErrFuture)
	require.Contains(t, err.Error(), "mill-7/spindle reading 1")
}

func TestKeys(t *testing.T) {
	for name, s := range testKeys(t) {
		b, err := PublicKeyBytes(s.Public())
		require.NoError(t, err, name)
		pub, err := ParsePublicKey(b)
		require.NoError(t, err, name)
		b2, err := PublicKeyBytes(pub)
		require.NoError(t, err)
		require.Equal(t, b, b2)
	}
	for _, bad := range [][]byte{nil, make([]byte, 31), append([]byte{2}, bytes.Repeat([]byte{0xff}, 32)...), make([]byte, 65)} {
		_, err := ParsePublicKey(bad)
		require.ErrorIs(t, err, ErrKey)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	_, err = NewSigner(p384)
	require.ErrorIs(t, err, ErrKey)
	require.True(t, errors.Is(err, ErrKey))
}

// longEmptyMap re-encodes rec's empty unprotected header (0xa0) as a map
// with a one-byte length of zero (0xb8 0x00): the same record, not in
// deterministic encoding, so with another hash.
func longEmptyMap(t *testing.T, rec []byte) []byte {
	var m cose.Sign1Message
	require.NoError(t, m.UnmarshalCBOR(rec))
	i := bytes.Index(rec, append(bytes.Clone(m.Headers.RawProtected), 0xa0))
	require.Positive(t, i)
	i += len(m.Headers.RawProtected)
	return append(append(bytes.Clone(rec[:i]), 0xb8, 0x00), rec[i+1:]...)
}
