package reading

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"fmt"
	"io"

	"github.com/veraison/go-cose"
)

// ContentType is the COSE content type of a record's payload.
const ContentType = "application/vnd.hermetic.reading+cbor"

// Signer signs records: a device key behind whatever holds it (a key file,
// an HSM, a TPM). Algorithm and Sign are go-cose's; Public names the key.
type Signer interface {
	cose.Signer
	Public() crypto.PublicKey
}

// keySigner is a Signer over an in-memory key.
type keySigner struct {
	cose.Signer
	pub crypto.PublicKey
}

func (s keySigner) Public() crypto.PublicKey { return s.pub }

// NewSigner returns a Signer over an ed25519 or ECDSA P-256 private key.
func NewSigner(key crypto.Signer) (Signer, error) {
	alg, err := algorithm(key.Public())
	if err != nil {
		return nil, err
	}
	s, err := cose.NewSigner(alg, key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return keySigner{Signer: s, pub: key.Public()}, nil
}

// algorithm is the COSE algorithm of a public key: EdDSA for ed25519,
// ES256 for P-256; ErrKey for any other.
func algorithm(pub crypto.PublicKey) (cose.Algorithm, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return cose.AlgorithmEdDSA, nil
		}
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return cose.AlgorithmES256, nil
		}
	}
	return 0, fmt.Errorf("%w: want an ed25519 or ECDSA P-256 key, not %T", ErrKey, pub)
}

// PublicKeyBytes is a public key as the registry stores it: the 32 bytes of
// an ed25519 key, or the 33-byte compressed SEC1 point of a P-256 key.
func PublicKeyBytes(pub crypto.PublicKey) ([]byte, error) {
	if _, err := algorithm(pub); err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case ed25519.PublicKey:
		return bytes.Clone(k), nil
	case *ecdsa.PublicKey:
		return elliptic.MarshalCompressed(k.Curve, k.X, k.Y), nil
	}
	return nil, fmt.Errorf("%w: %T", ErrKey, pub)
}

// ParsePublicKey is the inverse of PublicKeyBytes.
func ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	switch len(b) {
	case ed25519.PublicKeySize:
		return ed25519.PublicKey(bytes.Clone(b)), nil
	case 33:
		x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
		if x == nil {
			return nil, fmt.Errorf("%w: not a compressed P-256 point", ErrKey)
		}
		return &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}, nil
	}
	return nil, fmt.Errorf("%w: a public key is 32 (ed25519) or 33 (P-256, compressed) bytes, not %d", ErrKey, len(b))
}

// KeyID is the COSE key id (kid) a record signed by pub carries: the first
// 16 bytes of the SHA-256 of PublicKeyBytes(pub). It tells a verifier which
// of a device's keys (rotated over time) signed.
func KeyID(pub crypto.PublicKey) ([]byte, error) {
	b, err := PublicKeyBytes(pub)
	if err != nil {
		return nil, err
	}
	h := sha256.Sum256(b)
	return h[:16], nil
}

// Sign returns the record of r signed by s: a tagged COSE_Sign1 whose
// protected header holds the algorithm, the key id and ContentType, with
// an empty unprotected header and r's deterministic CBOR as payload.
func Sign(rand io.Reader, s Signer, r *Reading) ([]byte, error) {
	payload, err := r.MarshalPayload()
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(s.Public())
	if err != nil {
		return nil, err
	}
	headers := cose.Headers{Protected: cose.ProtectedHeader{
		cose.HeaderLabelAlgorithm:   s.Algorithm(),
		cose.HeaderLabelKeyID:       kid,
		cose.HeaderLabelContentType: ContentType,
	}}
	record, err := cose.Sign1(rand, s, headers, payload, nil)
	if err != nil {
		return nil, fmt.Errorf("sign reading %d of %s/%s: %w", r.Seq, r.Device, r.Stream, err)
	}
	if len(record) > MaxRecordSize {
		return nil, fmt.Errorf("%w: record of %d bytes, at most %d", ErrInvalid, len(record), MaxRecordSize)
	}
	return record, nil
}

// Inspect decodes a record without verifying its signature: the reading
// and the key id it names, so that a verifier can find the device's key.
// It checks everything Verify checks but the signature and the key.
func Inspect(record []byte) (Reading, []byte, error) {
	msg, err := decodeRecord(record)
	if err != nil {
		return Reading{}, nil, err
	}
	r, err := UnmarshalPayload(msg.Payload)
	if err != nil {
		return Reading{}, nil, err
	}
	kid, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	return r, kid, nil
}

// Verify checks record against the device's public key and returns its
// reading: the one deterministic encoding of a tagged COSE_Sign1 with the
// headers Sign writes, signed by pub (algorithm and key id must match it).
func Verify(record []byte, pub crypto.PublicKey) (Reading, error) {
	msg, err := decodeRecord(record)
	if err != nil {
		return Reading{}, err
	}
	alg, err := algorithm(pub)
	if err != nil {
		return Reading{}, err
	}
	if got, _ := msg.Headers.Protected.Algorithm(); got != alg {
		return Reading{}, fmt.Errorf("%w: record signed with %v, the key is for %v", ErrKey, got, alg)
	}
	kid, err := KeyID(pub)
	if err != nil {
		return Reading{}, err
	}
	if got, _ := msg.Headers.Protected[cose.HeaderLabelKeyID].([]byte); !bytes.Equal(got, kid) {
		return Reading{}, fmt.Errorf("%w: record signed by key %x, not %x", ErrKey, got, kid)
	}
	v, err := cose.NewVerifier(alg, pub)
	if err != nil {
		return Reading{}, fmt.Errorf("%w: %v", ErrKey, err)
	}
	r, err := UnmarshalPayload(msg.Payload)
	if err != nil {
		return Reading{}, err
	}
	if err := msg.Verify(nil, v); err != nil {
		return Reading{}, fmt.Errorf("%w: reading %d of %s/%s", ErrSignature, r.Seq, r.Device, r.Stream)
	}
	return r, nil
}

// decodeRecord parses a record and checks its form: size, the headers
// Sign writes and nothing else, and that its bytes are the deterministic
// encoding of what they hold (so that a record has one hash).
func decodeRecord(record []byte) (*cose.Sign1Message, error) {
	if len(record) > MaxRecordSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrEncoding, len(record), MaxRecordSize)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(record); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEncoding, err)
	}
	p := msg.Headers.Protected
	if len(p) != 3 || len(msg.Headers.Unprotected) != 0 {
		return nil, fmt.Errorf("%w: headers must be exactly alg, kid and content type, protected", ErrEncoding)
	}
	if ct, _ := p[cose.HeaderLabelContentType].(string); ct != ContentType {
		return nil, fmt.Errorf("%w: content type %v, want %s", ErrEncoding, p[cose.HeaderLabelContentType], ContentType)
	}
	if kid, _ := p[cose.HeaderLabelKeyID].([]byte); len(kid) != 16 {
		return nil, fmt.Errorf("%w: key id must be 16 bytes", ErrEncoding)
	}
	// Encoded again from what was decoded — go-cose would reuse the raw
	// header bytes — the record must come out byte for byte.
	canonical := msg
	canonical.Headers.RawProtected, canonical.Headers.RawUnprotected = nil, nil
	again, err := canonical.MarshalCBOR()
	if err != nil || !bytes.Equal(again, record) {
		return nil, fmt.Errorf("%w: the bytes are not the deterministic encoding of the record", ErrEncoding)
	}
	return &msg, nil
}
