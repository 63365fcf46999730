// Package keys implements the account keys of the Hermetic blockchain:
// key types, public and private keys for ed25519 and ECDSA P-256, signature
// creation and verification (with low-S enforcement for P-256), and
// bech32-encoded account addresses derived from public keys.
package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrInvalidAddress reports a malformed bech32 address.
	ErrInvalidAddress = errors.New("invalid address")
	// ErrAddressPrefix reports an address whose human-readable part is not AddressPrefix.
	// Errors wrapping it also wrap ErrInvalidAddress.
	ErrAddressPrefix = errors.New("wrong address prefix")
	// ErrInvalidPubKey reports a malformed public key.
	ErrInvalidPubKey = errors.New("invalid public key")
	// ErrUnknownKeyType reports an unsupported key type.
	ErrUnknownKeyType = errors.New("unknown key type")
	// ErrInvalidPrivKey reports malformed private key bytes.
	ErrInvalidPrivKey = errors.New("invalid private key")
)

// KeyType identifies a signature scheme.
type KeyType uint8

// Supported key types. The numeric values are part of the address derivation
// and must never change.
const (
	// KeyEd25519 is Ed25519 (RFC 8032).
	KeyEd25519 KeyType = 1
	// KeyP256 is ECDSA over NIST P-256 (secp256r1) with SHA-256.
	KeyP256 KeyType = 2
)

// Key sizes in bytes.
const (
	// Ed25519PubKeySize is the size of an ed25519 public key.
	Ed25519PubKeySize = ed25519.PublicKeySize
	// P256PubKeySize is the size of a SEC1-compressed P-256 public key.
	P256PubKeySize = 33
	// PrivKeySize is the size of the raw secret of every key type.
	PrivKeySize = 32
	// SignatureSize is the size of a signature of every key type.
	SignatureSize = 64
)

// String returns the canonical name of t ("ed25519", "p256").
func (t KeyType) String() string {
	switch t {
	case KeyEd25519:
		return "ed25519"
	case KeyP256:
		return "p256"
	default:
		return fmt.Sprintf("KeyType(%d)", uint8(t))
	}
}

// Valid reports whether t is a supported key type.
func (t KeyType) Valid() bool { return t == KeyEd25519 || t == KeyP256 }

// ParseKeyType parses a key type name. It accepts "ed25519", "p256",
// "secp256r1" and "ecdsa-p256" (case-insensitively).
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(s) {
	case "ed25519":
		return KeyEd25519, nil
	case "p256", "secp256r1", "ecdsa-p256":
		return KeyP256, nil
	default:
		return 0, fmt.Errorf("parse key type %q: %w", s, ErrUnknownKeyType)
	}
}

// MarshalText encodes t as its name, so it appears as a JSON string. The
// zero KeyType (unset) encodes as the empty string; other unknown types are
// an error.
func (t KeyType) MarshalText() ([]byte, error) {
	if t == 0 {
		return []byte{}, nil
	}
	if !t.Valid() {
		return nil, fmt.Errorf("marshal key type %d: %w", uint8(t), ErrUnknownKeyType)
	}
	return []byte(t.String()), nil
}

// UnmarshalText decodes a key type name as accepted by ParseKeyType. The
// empty string decodes to the zero (unset) KeyType, mirroring MarshalText.
func (t *KeyType) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*t = 0
		return nil
	}
	v, err := ParseKeyType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// PubKey is a typed public key. Key holds 32 bytes for ed25519 and a 33-byte
// SEC1 compressed point for P-256.
type PubKey struct {
	// Type is the signature scheme.
	Type KeyType `json:"type"`
	// Key is the encoded public key.
	Key []byte `json:"key"`
}

// Validate checks that p has a known type, the right length and, for P-256,
// encodes a point on the curve.
func (p PubKey) Validate() error {
	switch p.Type {
	case KeyEd25519:
		if len(p.Key) != Ed25519PubKeySize {
			return fmt.Errorf("ed25519 public key length %d, want %d: %w", len(p.Key), Ed25519PubKeySize, ErrInvalidPubKey)
		}
		return nil
	case KeyP256:
		if _, err := p256PublicKey(p.Key); err != nil {
			return err
		}
		return nil
	default:
		return fmt.Errorf("public key type %d: %w: %w", uint8(p.Type), ErrInvalidPubKey, ErrUnknownKeyType)
	}
}

// Verify reports whether sig is a valid signature of msg by p. It returns
// false for malformed keys or signatures, and for P-256 signatures whose S
// component is not in the lower half of the group order.
func (p PubKey) Verify(msg, sig []byte) bool {
	if len(sig) != SignatureSize {
		return false
	}
	switch p.Type {
	case KeyEd25519:
		if len(p.Key) != Ed25519PubKeySize {
			return false
		}
		return ed25519.Verify(ed25519.PublicKey(p.Key), msg, sig)
	case KeyP256:
		pub, err := p256PublicKey(p.Key)
		if err != nil {
			return false
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if r.Sign() == 0 || s.Sign() == 0 || s.Cmp(p256HalfOrder) > 0 {
			return false
		}
		h := sha256.Sum256(msg)
		return ecdsa.Verify(pub, h[:], r, s)
	default:
		return false
	}
}

// Address derives the account address of p (see Address).
func (p PubKey) Address() Address {
	h := sha256.New()
	h.Write([]byte(addressDomain))
	h.Write([]byte{byte(p.Type)})
	h.Write(p.Key)
	var a Address
	copy(a[:], h.Sum(nil))
	return a
}

// Equal reports whether p and o are the same key.
func (p PubKey) Equal(o PubKey) bool {
	return p.Type == o.Type && bytes.Equal(p.Key, o.Key)
}

// String returns a short human-readable form "type:hex".
func (p PubKey) String() string {
	return fmt.Sprintf("%s:%x", p.Type, p.Key)
}

// PrivKey is a private signing key.
type PrivKey interface {
	// Type returns the signature scheme of the key.
	Type() KeyType
	// PubKey returns the corresponding public key.
	PubKey() PubKey
	// Sign signs msg. P-256 signatures are over SHA-256(msg) and low-S.
	Sign(msg []byte) ([]byte, error)
	// Bytes returns the raw 32-byte secret: the ed25519 seed or the
	// big-endian P-256 scalar. Handle with care.
	Bytes() []byte
}

// Generate creates a new random key of type t using crypto/rand.
func Generate(t KeyType) (PrivKey, error) {
	switch t {
	case KeyEd25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate ed25519 key: %w", err)
		}
		return ed25519Key{priv: priv}, nil
	case KeyP256:
		priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("generate p256 key: %w", err)
		}
		return newP256Key(priv)
	default:
		return nil, fmt.Errorf("generate key of type %d: %w", uint8(t), ErrUnknownKeyType)
	}
}

// PrivKeyFromBytes reconstructs a private key of type t from its raw secret
// as returned by PrivKey.Bytes.
func PrivKeyFromBytes(t KeyType, b []byte) (PrivKey, error) {
	switch t {
	case KeyEd25519:
		if len(b) != ed25519.SeedSize {
			return nil, fmt.Errorf("ed25519 seed length %d, want %d: %w", len(b), ed25519.SeedSize, ErrInvalidPrivKey)
		}
		return ed25519Key{priv: ed25519.NewKeyFromSeed(b)}, nil
	case KeyP256:
		if len(b) != PrivKeySize {
			return nil, fmt.Errorf("p256 scalar length %d, want %d: %w", len(b), PrivKeySize, ErrInvalidPrivKey)
		}
		priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), b)
		if err != nil {
			// The underlying error does not contain the secret.
			return nil, fmt.Errorf("p256 scalar out of range: %w", ErrInvalidPrivKey)
		}
		return newP256Key(priv)
	default:
		return nil, fmt.Errorf("private key of type %d: %w", uint8(t), ErrUnknownKeyType)
	}
}

// ed25519Key is an ed25519 PrivKey.
type ed25519Key struct {
	priv ed25519.PrivateKey
}

func (k ed25519Key) Type() KeyType { return KeyEd25519 }

func (k ed25519Key) PubKey() PubKey {
	pub := k.priv.Public().(ed25519.PublicKey)
	return PubKey{Type: KeyEd25519, Key: bytes.Clone(pub)}
}

func (k ed25519Key) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(k.priv, msg), nil
}

func (k ed25519Key) Bytes() []byte { return bytes.Clone(k.priv.Seed()) }

// p256Key is an ECDSA P-256 PrivKey.
type p256Key struct {
	priv *ecdsa.PrivateKey
	pub  []byte // compressed public key
}

// p256Order and p256HalfOrder are the group order n and n/2 (floor).
var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

func newP256Key(priv *ecdsa.PrivateKey) (p256Key, error) {
	unc, err := priv.PublicKey.Bytes()
	if err != nil {
		return p256Key{}, fmt.Errorf("encode p256 public key: %w", err)
	}
	return p256Key{priv: priv, pub: compressP256(unc)}, nil
}

func (k p256Key) Type() KeyType { return KeyP256 }

func (k p256Key) PubKey() PubKey { return PubKey{Type: KeyP256, Key: bytes.Clone(k.pub)} }

func (k p256Key) Sign(msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, k.priv, h[:])
	if err != nil {
		return nil, fmt.Errorf("p256 sign: %w", err)
	}
	if s.Cmp(p256HalfOrder) > 0 {
		s.Sub(p256Order, s)
	}
	sig := make([]byte, SignatureSize)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

func (k p256Key) Bytes() []byte {
	b, err := k.priv.Bytes()
	if err != nil {
		// Unreachable for keys built by this package.
		panic(fmt.Sprintf("keys: encode p256 private key: %v", err))
	}
	return b
}

// compressP256 turns a 65-byte uncompressed SEC1 point into 33-byte
// compressed form.
func compressP256(unc []byte) []byte {
	out := make([]byte, P256PubKeySize)
	out[0] = 2 | unc[64]&1
	copy(out[1:], unc[1:33])
	return out
}

// p256PublicKey decodes a compressed SEC1 point into an *ecdsa.PublicKey.
func p256PublicKey(b []byte) (*ecdsa.PublicKey, error) {
	if len(b) != P256PubKeySize {
		return nil, fmt.Errorf("p256 public key length %d, want %d: %w", len(b), P256PubKeySize, ErrInvalidPubKey)
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, fmt.Errorf("p256 public key not a compressed curve point: %w", ErrInvalidPubKey)
	}
	unc := make([]byte, 65)
	unc[0] = 4
	x.FillBytes(unc[1:33])
	y.FillBytes(unc[33:])
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unc)
	if err != nil {
		return nil, fmt.Errorf("p256 public key: %w: %w", ErrInvalidPubKey, err)
	}
	return pub, nil
}
