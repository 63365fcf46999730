package keyring

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// Names of key derivation functions stored in key files and exports.
const (
	kdfArgon2id = "argon2id"
	kdfNone     = "none"
)

const saltSize = 16

// Bounds on stored Argon2id parameters, so a hostile file cannot make the
// keyring allocate unbounded memory or spin forever.
const (
	maxKDFTime      = 64
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
	maxKDFThreads   = 64
)

// kdfParams are Argon2id parameters. They are stored beside every ciphertext
// so the defaults can change without breaking existing files.
type kdfParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// defaultKDF returns the Argon2id parameters for new secrets: t=3, m=64 MiB, p=1.
func defaultKDF() kdfParams { return kdfParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 1} }

// errBadParams reports out-of-range KDF parameters in stored data.
var errBadParams = errors.New("kdf parameters out of range")

func (p kdfParams) validate() error {
	if p.Time < 1 || p.Time > maxKDFTime || p.Threads < 1 || p.Threads > maxKDFThreads ||
		p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB {
		return fmt.Errorf("argon2id t=%d m=%dKiB p=%d: %w", p.Time, p.MemoryKiB, p.Threads, errBadParams)
	}
	return nil
}

// sealed is an encrypted (or, with kdf "none", plaintext) secret as stored
// in key files and export blobs.
type sealed struct {
	KDF        string     `json:"kdf"`
	KDFParams  *kdfParams `json:"kdf_params,omitempty"`
	Salt       []byte     `json:"salt,omitempty"`
	Nonce      []byte     `json:"nonce,omitempty"`
	Ciphertext []byte     `json:"ciphertext,omitempty"`
	// Secret is the unencrypted secret, only with kdf "none" (test backend).
	Secret []byte `json:"secret,omitempty"`
}

// deriveKey runs Argon2id.
func deriveKey(pass, salt []byte, p kdfParams) []byte {
	return argon2.IDKey(pass, salt, p.Time, p.MemoryKiB, p.Threads, chacha20poly1305.KeySize)
}

// seal encrypts secret under pass with fresh salt and nonce, binding ad.
func seal(pass, secret, ad []byte, p kdfParams) (sealed, error) {
	salt := make([]byte, saltSize)
	if _, err := rand.Read(salt); err != nil {
		return sealed{}, fmt.Errorf("read salt: %w", err)
	}
	key := deriveKey(pass, salt, p)
	defer clear(key)
	return sealWithKey(key, salt, secret, ad, p)
}

// sealWithKey encrypts secret under an already derived key.
func sealWithKey(key, salt, secret, ad []byte, p kdfParams) (sealed, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return sealed{}, fmt.Errorf("init cipher: %w", err)
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return sealed{}, fmt.Errorf("read nonce: %w", err)
	}
	pp := p
	return sealed{
		KDF:        kdfArgon2id,
		KDFParams:  &pp,
		Salt:       append([]byte(nil), salt...),
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, secret, ad),
	}, nil
}

// check validates the structure of an argon2id box (not its authenticity).
func (s sealed) check() error {
	if s.KDF != kdfArgon2id {
		return fmt.Errorf("kdf %q, want %q", s.KDF, kdfArgon2id)
	}
	if s.KDFParams == nil {
		return errors.New("missing kdf parameters")
	}
	if err := s.KDFParams.validate(); err != nil {
		return err
	}
	if len(s.Salt) < 8 || len(s.Salt) > 64 {
		return fmt.Errorf("salt length %d", len(s.Salt))
	}
	if len(s.Nonce) != chacha20poly1305.NonceSizeX {
		return fmt.Errorf("nonce length %d, want %d", len(s.Nonce), chacha20poly1305.NonceSizeX)
	}
	if len(s.Ciphertext) < chacha20poly1305.Overhead {
		return fmt.Errorf("ciphertext length %d", len(s.Ciphertext))
	}
	return nil
}

// openWithKey decrypts s with a derived key; any failure means the key
// (hence the passphrase) is wrong or the data was tampered with.
func (s sealed) openWithKey(key, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("init cipher: %w", err)
	}
	pt, err := aead.Open(nil, s.Nonce, s.Ciphertext, ad)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return pt, nil
}
