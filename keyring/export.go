package keyring

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hermetic-chain/hermetic/keys"
)

// ArmorType is the PEM block type of exported keys:
// "-----BEGIN HERMETIC PRIVATE KEY-----".
const ArmorType = "HERMETIC PRIVATE KEY"

const (
	exportVersion  = 1
	exportADPrefix = "hermetic/export/v1"
	armorTypeHdr   = "type"
	armorKDFHdr    = "kdf"
)

// exportBlob is the JSON payload of an armored export.
type exportBlob struct {
	Version int          `json:"version"`
	Type    keys.KeyType `json:"type"`
	sealed
}

// exportAD binds the key type into an export's ciphertext.
func exportAD(t keys.KeyType) []byte {
	return append([]byte(exportADPrefix+"\x00"), byte(t))
}

// Export returns the private key stored under name as ASCII-armored text,
// encrypted with exportPass (Argon2id + XChaCha20-Poly1305). It needs the
// keyring passphrase for the "file" backend.
func (k *Keyring) Export(name string, exportPass []byte) ([]byte, error) {
	if len(exportPass) == 0 {
		return nil, fmt.Errorf("export key %q: %w", name, ErrEmptyPassphrase)
	}
	priv, err := k.Key(name)
	if err != nil {
		return nil, fmt.Errorf("export key: %w", err)
	}
	secret := priv.Bytes()
	defer clear(secret)
	s, err := seal(exportPass, secret, exportAD(priv.Type()), k.kdf)
	if err != nil {
		return nil, fmt.Errorf("export key %q: %w", name, err)
	}
	blob, err := json.Marshal(exportBlob{Version: exportVersion, Type: priv.Type(), sealed: s})
	if err != nil {
		return nil, fmt.Errorf("export key %q: encode: %w", name, err)
	}
	return pem.EncodeToMemory(&pem.Block{
		Type:    ArmorType,
		Headers: map[string]string{armorTypeHdr: priv.Type().String(), armorKDFHdr: kdfArgon2id},
		Bytes:   blob,
	}), nil
}

// Import decrypts armored text produced by Export with exportPass and
// stores the key under name. Malformed text yields ErrBadArmor; a wrong
// exportPass (or tampered ciphertext) yields ErrWrongPassphrase.
func (k *Keyring) Import(name string, armored []byte, exportPass []byte) (Record, error) {
	if err := validateName(name); err != nil {
		return Record{}, fmt.Errorf("import key: %w", err)
	}
	// Fail fast, before the expensive KDF, if the name is taken.
	if _, err := os.Lstat(k.path(name)); err == nil {
		return Record{}, fmt.Errorf("import key %q: %w", name, ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return Record{}, fmt.Errorf("import key %q: %w", name, err)
	}
	blob, err := parseArmor(armored)
	if err != nil {
		return Record{}, fmt.Errorf("import key %q: %w", name, err)
	}
	key := deriveKey(exportPass, blob.Salt, *blob.KDFParams)
	secret, err := blob.openWithKey(key, exportAD(blob.Type))
	clear(key)
	if err != nil {
		return Record{}, fmt.Errorf("import key %q: %w", name, err)
	}
	priv, err := keys.PrivKeyFromBytes(blob.Type, secret)
	clear(secret)
	if err != nil {
		return Record{}, fmt.Errorf("import key %q: %w: %w", name, ErrBadArmor, err)
	}
	r, err := k.store(name, priv)
	if err != nil {
		return Record{}, fmt.Errorf("import key %q: %w", name, err)
	}
	return r, nil
}

// parseArmor decodes and structurally checks an armored export.
func parseArmor(armored []byte) (exportBlob, error) {
	if len(armored) > maxArmorBytes {
		return exportBlob{}, fmt.Errorf("%w: %d bytes", ErrBadArmor, len(armored))
	}
	block, rest := pem.Decode(armored)
	if block == nil {
		return exportBlob{}, fmt.Errorf("%w: no %s block", ErrBadArmor, ArmorType)
	}
	if block.Type != ArmorType {
		return exportBlob{}, fmt.Errorf("%w: block type %q", ErrBadArmor, block.Type)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return exportBlob{}, fmt.Errorf("%w: trailing data", ErrBadArmor)
	}
	var b exportBlob
	if err := json.Unmarshal(block.Bytes, &b); err != nil {
		return exportBlob{}, fmt.Errorf("%w: payload: %w", ErrBadArmor, err)
	}
	if b.Version != exportVersion {
		return exportBlob{}, fmt.Errorf("%w: version %d", ErrBadArmor, b.Version)
	}
	if !b.Type.Valid() {
		return exportBlob{}, fmt.Errorf("%w: key type %d", ErrBadArmor, uint8(b.Type))
	}
	if h := block.Headers[armorTypeHdr]; h != b.Type.String() {
		return exportBlob{}, fmt.Errorf("%w: type header %q does not match payload type %s", ErrBadArmor, h, b.Type)
	}
	if len(b.Secret) != 0 {
		return exportBlob{}, fmt.Errorf("%w: unencrypted secret", ErrBadArmor)
	}
	if err := b.sealed.check(); err != nil {
		return exportBlob{}, fmt.Errorf("%w: %w", ErrBadArmor, err)
	}
	return b, nil
}
