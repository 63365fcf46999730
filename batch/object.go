package batch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/fxamacker/cbor/v2"
)

// KeySize is the size of a batch key: AES-256.
const KeySize = 32

// MaxObject bounds a batch object.
const MaxObject = 256 << 20

// ErrObject: a batch object cannot be opened: the key is wrong, or the
// object was truncated or edited.
var ErrObject = errors.New("batch: object does not open")

// Contents is what a batch object holds: a stream's records from First on,
// in order, as they were signed.
type Contents struct {
	Stream  string   `cbor:"1,keyasint"`
	Batch   uint64   `cbor:"2,keyasint"`
	First   uint64   `cbor:"3,keyasint"`
	Records [][]byte `cbor:"4,keyasint"`
}

var (
	objEnc = must(cbor.CoreDetEncOptions().EncMode())
	objDec = must(cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		MaxArrayElements:  MaxLeaves,
	}.DecMode())
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// NewKey makes a batch key from rand (crypto/rand if nil).
func NewKey(r io.Reader) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	k := make([]byte, KeySize)
	if _, err := io.ReadFull(r, k); err != nil {
		return nil, fmt.Errorf("batch: make a key: %w", err)
	}
	return k, nil
}

// Seal encrypts c under key as a batch object: a 12-byte random nonce and
// the AES-256-GCM ciphertext of c's deterministic CBOR. The object's
// SHA-256 names it in the store and in the anchor.
func Seal(key []byte, c *Contents) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	plain, err := objEnc.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("batch: encode object: %w", err)
	}
	out := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("batch: nonce: %w", err)
	}
	out = aead.Seal(out, out, plain, nil)
	if len(out) > MaxObject {
		return nil, fmt.Errorf("batch: object of %d bytes, at most %d", len(out), MaxObject)
	}
	return out, nil
}

// Open decrypts a batch object with its key.
func Open(key, object []byte) (Contents, error) {
	aead, err := gcm(key)
	if err != nil {
		return Contents{}, err
	}
	if len(object) < aead.NonceSize()+aead.Overhead() || len(object) > MaxObject {
		return Contents{}, fmt.Errorf("%w: %d bytes", ErrObject, len(object))
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, object[:n], object[n:], nil)
	if err != nil {
		return Contents{}, fmt.Errorf("%w: wrong key, or truncated or edited", ErrObject)
	}
	var c Contents
	if err := objDec.Unmarshal(plain, &c); err != nil {
		return Contents{}, fmt.Errorf("%w: contents: %v", ErrObject, err)
	}
	return c, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("batch: a key is %d bytes, not %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
