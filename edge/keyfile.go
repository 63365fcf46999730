package edge

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/hermetic-chain/hermetic/reading"
)

// Key types a device key file may hold.
const (
	KeyEd25519 = "ed25519"
	KeyP256    = "p256"
)

// ErrKeyFile: a device key file that cannot be used: unreadable, readable
// by others than its owner, or not a PKCS #8 ed25519 or P-256 key.
var ErrKeyFile = errors.New("device key file")

// NewKeyFile makes a device key of the given type and writes it to path
// as a PKCS #8 PEM file readable by its owner only; it refuses to
// overwrite a file.
func NewKeyFile(path, keyType string) (reading.Signer, error) {
	var key crypto.Signer
	switch keyType {
	case KeyEd25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	case KeyP256:
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("%w: key type %q: want %s or %s", ErrKeyFile, keyType, KeyEd25519, KeyP256)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: write %s: %v", ErrKeyFile, path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	return reading.NewSigner(key)
}

// LoadKeyFile reads a device key file written by NewKeyFile. It refuses a
// file that anyone but its owner may read or write.
func LoadKeyFile(path string) (reading.Signer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is accessible to others than its owner (mode %04o); chmod 600 it", ErrKeyFile, path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyFile, err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%w: %s holds no PKCS #8 private key", ErrKeyFile, path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	key, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %s: %T is not a signing key", ErrKeyFile, path, k)
	}
	s, err := reading.NewSigner(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrKeyFile, path, err)
	}
	return s, nil
}
