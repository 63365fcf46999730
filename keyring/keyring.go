// Package keyring stores Hermetic account keys on disk, one file per key.
//
// Two backends exist:
//
//   - "file": the secret of every key is encrypted with a passphrase, using
//     Argon2id to derive a 256-bit key and XChaCha20-Poly1305 to encrypt. The
//     passphrase function is called lazily, at most once per Keyring (unless
//     it returned a wrong passphrase), the first time a secret is read or
//     written.
//   - "test": secrets are stored UNENCRYPTED. It exists for development
//     networks and tests only and must never hold keys of value.
//
// Each key lives in <dir>/<name>.key, a JSON document holding the public
// record (name, type, public key, address) in plaintext, so listing and
// showing keys never needs the passphrase, beside the sealed secret. The key
// name and public key are bound into the ciphertext as associated data, so
// files cannot be renamed or swapped undetected. Files are written with mode
// 0600 atomically (temporary file, fsync, link/rename).
package keyring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/hermetic-chain/hermetic/keys"
)

// Backend names accepted by Open.
const (
	// BackendFile encrypts secrets with a passphrase.
	BackendFile = "file"
	// BackendTest stores secrets in plaintext. Development only.
	BackendTest = "test"
)

// Sentinel errors returned (wrapped) by this package.
var (
	// ErrNotFound reports a key name with no key.
	ErrNotFound = errors.New("key not found")
	// ErrExists reports that a key with the name already exists.
	ErrExists = errors.New("key already exists")
	// ErrWrongPassphrase reports a passphrase that does not decrypt the key
	// (or data that was tampered with).
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrBadName reports an invalid key name: names are 1–64 characters of
	// [A-Za-z0-9._-] and do not start with '.'.
	ErrBadName = errors.New("invalid key name")
	// ErrBadArmor reports malformed exported key text.
	ErrBadArmor = errors.New("invalid armored key")
	// ErrCorrupt reports a key file that cannot be parsed or is inconsistent.
	ErrCorrupt = errors.New("corrupt key file")
	// ErrUnknownBackend reports a backend name other than "file" or "test".
	ErrUnknownBackend = errors.New("unknown keyring backend")
	// ErrEmptyPassphrase reports an empty keyring or export passphrase.
	ErrEmptyPassphrase = errors.New("empty passphrase")
	// ErrEncrypted reports an encrypted key read through the "test" backend.
	ErrEncrypted = errors.New("key is encrypted; use the file backend")
)

const (
	fileVersion   = 1
	keyExt        = ".key"
	maxNameLen    = 64
	maxFileSize   = 64 << 10
	passPrompt    = "Keyring passphrase"
	fileADPrefix  = "hermetic/keyring/v1"
	tempPrefix    = ".tmp-"
	dirPerm       = 0o700
	keyFilePerm   = 0o600
	maxArmorBytes = 64 << 10
)

// Record is the public part of a key.
type Record struct {
	// Name is the key's name in the keyring.
	Name string `json:"name"`
	// Type is the key's signature scheme.
	Type keys.KeyType `json:"type"`
	// PubKey is the public key.
	PubKey keys.PubKey `json:"pubkey"`
	// Address is the account address of PubKey.
	Address keys.Address `json:"address"`
}

// keyFile is the on-disk JSON form of a key.
type keyFile struct {
	Version int `json:"version"`
	Record
	sealed
}

// Keyring is a directory of keys. It is safe for concurrent use by multiple
// goroutines; concurrent processes are safe for distinct names, and creating
// the same name twice yields ErrExists for one of them.
type Keyring struct {
	dir     string
	backend string
	prompt  func(prompt string) ([]byte, error)

	// kdf are the Argon2id parameters for newly sealed secrets. Tests lower
	// them for speed.
	kdf kdfParams

	mu       sync.Mutex
	pass     []byte // cached keyring passphrase, nil until first needed
	verified bool   // pass has decrypted at least one key
}

// Open opens (creating with mode 0700 if needed) the keyring in dir. backend
// is "file" or "test" (see the package documentation). passphrase is called
// lazily by the "file" backend; it may be nil for "test".
func Open(dir string, backend string, passphrase func(prompt string) ([]byte, error)) (*Keyring, error) {
	switch backend {
	case BackendFile:
		if passphrase == nil {
			return nil, fmt.Errorf("open keyring: backend %q needs a passphrase function", backend)
		}
	case BackendTest:
	default:
		return nil, fmt.Errorf("open keyring: backend %q: %w", backend, ErrUnknownBackend)
	}
	if dir == "" {
		return nil, errors.New("open keyring: empty directory")
	}
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return nil, fmt.Errorf("open keyring: %w", err)
	}
	return &Keyring{dir: dir, backend: backend, prompt: passphrase, kdf: defaultKDF()}, nil
}

// validateName checks a key name.
func validateName(name string) error {
	if len(name) == 0 || len(name) > maxNameLen || name[0] == '.' {
		return fmt.Errorf("key name %q: %w", name, ErrBadName)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("key name %q: %w", name, ErrBadName)
		}
	}
	return nil
}

func (k *Keyring) path(name string) string { return filepath.Join(k.dir, name+keyExt) }

// Add generates a new key of type t and stores it under name.
func (k *Keyring) Add(name string, t keys.KeyType) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, fmt.Errorf("add key: %w", err)
	}
	priv, err := keys.Generate(t)
	if err != nil {
		return Record{}, fmt.Errorf("add key %q: %w", name, err)
	}
	r, err := k.store(name, priv)
	if err != nil {
		return Record{}, fmt.Errorf("add key %q: %w", name, err)
	}
	return r, nil
}

// ImportPrivKey stores an existing private key under name.
func (k *Keyring) ImportPrivKey(name string, priv keys.PrivKey) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, fmt.Errorf("import key: %w", err)
	}
	if priv == nil {
		return Record{}, fmt.Errorf("import key %q: nil private key", name)
	}
	r, err := k.store(name, priv)
	if err != nil {
		return Record{}, fmt.Errorf("import key %q: %w", name, err)
	}
	return r, nil
}

// List returns the public records of all keys, sorted by name.
func (k *Keyring) List() ([]Record, error) {
	names, err := k.names()
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	recs := make([]Record, 0, len(names))
	for _, n := range names {
		f, err := k.read(n)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		recs = append(recs, f.Record)
	}
	return recs, nil
}

// Show returns the public record of name. It never needs the passphrase.
func (k *Keyring) Show(name string) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, fmt.Errorf("show key: %w", err)
	}
	f, err := k.read(name)
	if err != nil {
		return Record{}, fmt.Errorf("show key: %w", err)
	}
	return f.Record, nil
}

// Key returns the private key stored under name, decrypting it with the
// keyring passphrase for the "file" backend.
func (k *Keyring) Key(name string) (keys.PrivKey, error) {
	if err := validateName(name); err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	f, err := k.read(name)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	priv, err := k.unseal(f)
	if err != nil {
		return nil, fmt.Errorf("load key %q: %w", name, err)
	}
	return priv, nil
}

// Delete removes the key stored under name. It does not need the passphrase.
func (k *Keyring) Delete(name string) error {
	if err := validateName(name); err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	if err := os.Remove(k.path(name)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("delete key %q: %w", name, ErrNotFound)
		}
		return fmt.Errorf("delete key %q: %w", name, err)
	}
	if err := syncDir(k.dir); err != nil {
		return fmt.Errorf("delete key %q: %w", name, err)
	}
	return nil
}

// names lists the key names in the directory, sorted.
func (k *Keyring) names() ([]string, error) {
	ents, err := os.ReadDir(k.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n, ok := strings.CutSuffix(e.Name(), keyExt)
		if !ok || !e.Type().IsRegular() || validateName(n) != nil {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// read loads and checks the key file of name.
func (k *Keyring) read(name string) (keyFile, error) {
	fh, err := os.Open(k.path(name))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return keyFile{}, fmt.Errorf("key %q: %w", name, ErrNotFound)
		}
		return keyFile{}, fmt.Errorf("key %q: %w", name, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return keyFile{}, fmt.Errorf("read key %q: %w", name, err)
	}
	if len(data) > maxFileSize {
		return keyFile{}, fmt.Errorf("key %q: file too large: %w", name, ErrCorrupt)
	}
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return keyFile{}, fmt.Errorf("key %q: %w: %w", name, ErrCorrupt, err)
	}
	if err := f.check(name); err != nil {
		return keyFile{}, fmt.Errorf("key %q: %w: %w", name, ErrCorrupt, err)
	}
	return f, nil
}

// check verifies that a parsed key file is well formed and self-consistent.
func (f keyFile) check(name string) error {
	if f.Version != fileVersion {
		return fmt.Errorf("version %d, want %d", f.Version, fileVersion)
	}
	if f.Name != name {
		return fmt.Errorf("file holds key %q", f.Name)
	}
	if f.Type != f.PubKey.Type {
		return fmt.Errorf("type %s does not match public key type %s", f.Type, f.PubKey.Type)
	}
	if err := f.PubKey.Validate(); err != nil {
		return err
	}
	if f.Address != f.PubKey.Address() {
		return errors.New("address does not match public key")
	}
	switch f.KDF {
	case kdfNone:
		if len(f.Secret) == 0 || len(f.Ciphertext) != 0 {
			return errors.New("plaintext key without secret")
		}
		return nil
	case kdfArgon2id:
		if len(f.Secret) != 0 {
			return errors.New("encrypted key with plaintext secret")
		}
		return f.sealed.check()
	default:
		return fmt.Errorf("unknown kdf %q", f.KDF)
	}
}

// fileAD is the associated data binding a key file's ciphertext to its
// name and public key.
func fileAD(r Record) []byte {
	var b bytes.Buffer
	b.WriteString(fileADPrefix)
	b.WriteByte(0)
	b.WriteString(r.Name)
	b.WriteByte(0)
	b.WriteByte(byte(r.PubKey.Type))
	b.Write(r.PubKey.Key)
	return b.Bytes()
}

// recordOf builds the public record of priv under name.
func recordOf(name string, priv keys.PrivKey) Record {
	pub := priv.PubKey()
	return Record{Name: name, Type: priv.Type(), PubKey: pub, Address: pub.Address()}
}

// store seals priv and writes it under name, failing with ErrExists if the
// name is taken.
func (k *Keyring) store(name string, priv keys.PrivKey) (Record, error) {
	if _, err := os.Lstat(k.path(name)); err == nil {
		return Record{}, ErrExists
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Record{}, err
	}
	rec := recordOf(name, priv)
	if err := rec.PubKey.Validate(); err != nil {
		return Record{}, err
	}
	secret := priv.Bytes()
	defer clear(secret)
	f := keyFile{Version: fileVersion, Record: rec}
	switch k.backend {
	case BackendTest:
		f.sealed = sealed{KDF: kdfNone, Secret: secret}
	default:
		pass, err := k.passphrase(true)
		if err != nil {
			return Record{}, err
		}
		s, err := seal(pass, secret, fileAD(rec), k.kdf)
		if err != nil {
			return Record{}, err
		}
		f.sealed = s
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return Record{}, fmt.Errorf("encode key file: %w", err)
	}
	data = append(data, '\n')
	defer clear(data)
	if err := writeNewFile(k.dir, name+keyExt, data); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// unseal recovers the private key of a checked key file.
func (k *Keyring) unseal(f keyFile) (keys.PrivKey, error) {
	var secret []byte
	switch f.KDF {
	case kdfNone:
		secret = bytes.Clone(f.Secret)
	case kdfArgon2id:
		if k.backend == BackendTest {
			return nil, ErrEncrypted
		}
		pass, err := k.passphrase(false)
		if err != nil {
			return nil, err
		}
		key := deriveKey(pass, f.Salt, *f.KDFParams)
		defer clear(key)
		secret, err = f.openWithKey(key, fileAD(f.Record))
		if err != nil {
			k.passFailed()
			return nil, err
		}
		k.passOK()
	default:
		return nil, fmt.Errorf("unknown kdf %q: %w", f.KDF, ErrCorrupt)
	}
	defer clear(secret)
	priv, err := keys.PrivKeyFromBytes(f.Type, secret)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if !priv.PubKey().Equal(f.PubKey) {
		return nil, fmt.Errorf("secret does not match public key: %w", ErrCorrupt)
	}
	return priv, nil
}

// passphrase returns the keyring passphrase, asking for it the first time.
// With verify, a passphrase not yet known to be right is first checked
// against an existing encrypted key (if any), so that new keys are never
// sealed under a different passphrase than the existing ones.
func (k *Keyring) passphrase(verify bool) ([]byte, error) {
	k.mu.Lock()
	pass, verified := k.pass, k.verified
	k.mu.Unlock()
	if pass == nil {
		p, err := k.prompt(passPrompt)
		if err != nil {
			return nil, fmt.Errorf("read keyring passphrase: %w", err)
		}
		if len(p) == 0 {
			return nil, fmt.Errorf("keyring passphrase: %w", ErrEmptyPassphrase)
		}
		pass = bytes.Clone(p)
		k.mu.Lock()
		if k.pass == nil {
			k.pass, k.verified = pass, false
		}
		pass, verified = k.pass, k.verified
		k.mu.Unlock()
	}
	if verify && !verified {
		if err := k.verifyPassphrase(pass); err != nil {
			return nil, err
		}
	}
	return pass, nil
}

// verifyPassphrase decrypts the first encrypted key in the directory with
// pass. A keyring with no encrypted keys accepts any passphrase.
func (k *Keyring) verifyPassphrase(pass []byte) error {
	names, err := k.names()
	if err != nil {
		return fmt.Errorf("verify passphrase: %w", err)
	}
	for _, n := range names {
		f, err := k.read(n)
		if err != nil || f.KDF != kdfArgon2id {
			continue // corrupt or plaintext files cannot verify anything
		}
		key := deriveKey(pass, f.Salt, *f.KDFParams)
		secret, err := f.openWithKey(key, fileAD(f.Record))
		clear(key)
		clear(secret)
		if err != nil {
			k.passFailed()
			return fmt.Errorf("verify passphrase against key %q: %w", n, err)
		}
		break
	}
	k.passOK()
	return nil
}

// passOK records that the cached passphrase decrypted a key.
func (k *Keyring) passOK() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.pass != nil {
		k.verified = true
	}
}

// passFailed forgets a cached passphrase that has never decrypted a key, so
// that the next operation asks again.
func (k *Keyring) passFailed() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.verified {
		clear(k.pass)
		k.pass = nil
	}
}

// writeNewFile atomically creates dir/name with data and mode 0600: it
// writes and fsyncs a temporary file, then links it into place (failing
// with ErrExists if name exists), removes the temporary name and fsyncs the
// directory.
func writeNewFile(dir, name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("create temporary file: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if rmErr := os.Remove(tmpName); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) && err == nil {
			err = fmt.Errorf("remove temporary file: %w", rmErr)
		}
	}()
	if err := tmp.Chmod(keyFilePerm); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod temporary file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write temporary file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync temporary file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close temporary file: %w", err)
	}
	final := filepath.Join(dir, name)
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return ErrExists
		}
		// Filesystems without hard links: fall back to check-then-rename.
		if _, statErr := os.Lstat(final); statErr == nil {
			return ErrExists
		}
		if err := os.Rename(tmpName, final); err != nil {
			return fmt.Errorf("rename key file: %w", err)
		}
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that entry changes are durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}
