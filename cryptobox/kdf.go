package cryptobox

import (
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
)

// KeySize is the length in bytes of every symmetric key and X25519 key in CRYPTO.md.
const KeySize = 32

// Salt is the HKDF salt SALT of CRYPTO.md §0 (the same as Secret Network's).
var Salt = [32]byte{
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4b, 0xea, 0xd8, 0xdf, 0x69, 0x99,
	0x08, 0x52, 0xc2, 0x02, 0xdb, 0x0e, 0x00, 0x97, 0xc1, 0xa1, 0x2e, 0xa6, 0x37, 0xd7, 0xe9, 0x6d,
}

// HKDF is HKDF-SHA256 (RFC 5869) with salt [Salt] and a 32-byte output: HKDF(ikm, info) of
// CRYPTO.md §0.
func HKDF(ikm []byte, info string) [32]byte {
	salt := Salt
	k, err := hkdf.Key(sha256.New, ikm, salt[:], info, KeySize)
	if err != nil {
		// Only possible for an output length over 255*32 bytes, or if the FIPS module forbids it.
		panic("cryptobox: HKDF failed")
	}
	var out [32]byte
	copy(out[:], k)
	clear(k)
	return out
}

// hkdf2 is HKDF(a ‖ b, info) without keeping the concatenation around.
func hkdf2(a, b []byte, info string) [32]byte {
	ikm := make([]byte, 0, len(a)+len(b))
	ikm = append(append(ikm, a...), b...)
	out := HKDF(ikm, info)
	clear(ikm)
	return out
}

// X25519 computes the RFC 7748 function X25519(sk, pk). It returns ErrBadKey if either argument is
// not 32 bytes and ErrLowOrder if pk is a low-order point (the result would be all zero).
func X25519(sk, pk []byte) ([]byte, error) {
	x, err := NewExchangeKey(sk)
	if err != nil {
		return nil, err
	}
	return x.Shared(pk)
}

// ExchangeKey is an X25519 private key parsed once: parsing derives its
// public key (a base-point multiplication, about 40% of an X25519), which a
// holder computing many shared secrets with one key — the enclave's I/O key,
// a client sealing an input — should pay once.
type ExchangeKey struct{ priv *ecdh.PrivateKey }

// NewExchangeKey parses the 32-byte private key sk. It returns ErrBadKey for
// a wrong length.
func NewExchangeKey(sk []byte) (*ExchangeKey, error) {
	if len(sk) != KeySize {
		return nil, ErrBadKey
	}
	priv, err := ecdh.X25519().NewPrivateKey(sk)
	if err != nil {
		return nil, ErrBadKey
	}
	return &ExchangeKey{priv: priv}, nil
}

// PublicKey returns the key's X25519 public key.
func (x *ExchangeKey) PublicKey() []byte { return x.priv.PublicKey().Bytes() }

// Shared computes X25519(sk, pk), with the errors of X25519.
func (x *ExchangeKey) Shared(pk []byte) ([]byte, error) {
	if len(pk) != KeySize {
		return nil, ErrBadKey
	}
	priv := x.priv
	pub, err := ecdh.X25519().NewPublicKey(pk)
	if err != nil {
		return nil, ErrBadKey
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		// crypto/ecdh's only X25519 failure for well-sized keys is the all-zero output.
		return nil, ErrLowOrder
	}
	if isZero(shared) {
		return nil, ErrLowOrder
	}
	return shared, nil
}

// isZero reports in constant time whether b is all zero.
func isZero(b []byte) bool {
	var acc byte
	for _, x := range b {
		acc |= x
	}
	return subtle.ConstantTimeByteEq(acc, 0) == 1
}

// PublicKey returns the X25519 public key of the 32-byte private key sk (base point
// multiplication). It returns ErrBadKey for a wrong length.
func PublicKey(sk []byte) ([]byte, error) {
	x, err := NewExchangeKey(sk)
	if err != nil {
		return nil, err
	}
	return x.PublicKey(), nil
}

// Orders of the keys derived from a seed with [Derive] (CRYPTO.md §1).
const (
	// OrderSeedExchange derives the seed-exchange X25519 private key (current seed).
	OrderSeedExchange = 1
	// OrderIOExchange derives the I/O-exchange X25519 private key, whose public key is the
	// network's tx key (current seed).
	OrderIOExchange = 2
	// OrderStateIKM derives the state IKM (every seed).
	OrderStateIKM = 3
	// OrderCallback derives the callback secret (current seed).
	OrderCallback = 4
	// OrderRandomness derives the randomness key (current seed).
	OrderRandomness = 5
)

// Derive is derive(seed, order) = HKDF(seed ‖ u32be(order), "seed") of CRYPTO.md §1.
func Derive(seed []byte, order uint32) [32]byte {
	var o [4]byte
	binary.BigEndian.PutUint32(o[:], order)
	return hkdf2(seed, o[:], "seed")
}
