package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hermetic-chain/hermetic/contract"
)

// Limits of what the contract stores.
const (
	maxIDLen        = 64
	maxNameLen      = 100
	maxNoteLen      = 1024
	maxLocationLen  = 1024
	maxUnitLen      = 32
	maxValues       = 64
	maxAdmins       = 32
	maxDeviceKeys   = 256
	maxReleaseBatch = 100  // batches a release_keys may ask for
	maxShredBatch   = 1000 // keys a shred deletes in one message
)

// Key types of devices, and the lengths of their public keys.
const (
	keyEd25519 = "ed25519"
	keyP256    = "p256"
)

// Errors every refusal wraps, so callers (and tests) can tell the kinds
// apart; the message adds what was refused.
var (
	errUnauthorized = errors.New("unauthorized")
	errInvalid      = errors.New("invalid")
	errNotFound     = errors.New("not found")
	errAnchor       = errors.New("anchor refused")
	errRelease      = errors.New("release refused")
)

// address validates a human-readable address with the chain and returns its
// normal (lower-case) form, the form the contract stores.
func address(deps contract.Deps, field, human string) (string, error) {
	if err := deps.API.AddrValidate(human); err != nil {
		return "", fmt.Errorf("%w %s: %v", errInvalid, field, err)
	}
	return strings.ToLower(human), nil
}

// validateID checks an id an admin chooses (device, stream): 1 to 64
// characters of a-z, 0-9, '.', '_' and '-'.
func validateID(field, id string) error {
	ok := len(id) >= 1 && len(id) <= maxIDLen
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
	}
	if !ok {
		return fmt.Errorf("%w %s: %q must be 1 to %d characters of a-z, 0-9, '.', '_', '-'", errInvalid, field, id, maxIDLen)
	}
	return nil
}

// validateText checks free text: valid UTF-8 without control characters,
// between min and max bytes.
func validateText(field, s string, min, max int) error {
	if len(s) < min || len(s) > max || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return fmt.Errorf("%w %s: must be %d to %d bytes of UTF-8 text without control characters", errInvalid, field, min, max)
	}
	return nil
}

// validateOrgID checks an organisation id's form (32 hex digits), so that a
// malformed one is refused before anything is looked up.
func validateOrgID(id string) error {
	if len(id) != 32 || strings.ToLower(id) != id {
		return fmt.Errorf("%w org_id: %q is not 32 lower-case hex digits", errInvalid, id)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return fmt.Errorf("%w org_id: %q is not 32 lower-case hex digits", errInvalid, id)
	}
	return nil
}

// validateDeviceKey checks a device's public key: 32 bytes for ed25519, a
// compressed SEC1 point on the curve (33 bytes) for p256. The point is
// checked by the host: secp256r1_verify decodes the key before it looks at
// the signature and answers a crypto error for a key that is not a point;
// with a well-formed dummy signature (r = s = 1) a valid key answers "not
// verified" and nothing else.
func validateDeviceKey(deps contract.Deps, typ string, key []byte) error {
	switch typ {
	case keyEd25519:
		if len(key) != 32 {
			return fmt.Errorf("%w key: an ed25519 public key is 32 bytes, got %d", errInvalid, len(key))
		}
		return nil
	case keyP256:
		if len(key) != 33 || (key[0] != 2 && key[0] != 3) {
			return fmt.Errorf("%w key: a p256 public key is a 33-byte compressed SEC1 point (02 or 03 first), got %d bytes", errInvalid, len(key))
		}
		var hash [32]byte
		var sig [64]byte
		sig[31], sig[63] = 1, 1
		if _, err := deps.API.Secp256r1Verify(hash[:], sig[:], key); err != nil {
			return fmt.Errorf("%w key: not a point of P-256: %v", errInvalid, err)
		}
		return nil
	}
	return fmt.Errorf("%w key: type %q is neither %q nor %q", errInvalid, typ, keyEd25519, keyP256)
}

// parseHash32 decodes a 32-byte hash written as 64 hex digits and returns
// it in lower case.
func parseHash32(field, s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return "", fmt.Errorf("%w %s: want 32 bytes as 64 hex digits, got %q", errInvalid, field, s)
	}
	return hex.EncodeToString(b), nil
}

// validateSecretKey checks a batch or value key: 16 or 32 bytes.
func validateSecretKey(field string, k []byte) error {
	if len(k) != 16 && len(k) != 32 {
		return fmt.Errorf("%w %s: a key is 16 or 32 bytes, got %d", errInvalid, field, len(k))
	}
	return nil
}

// validateValues checks a stream's unit schema: 1 to 64 values with
// distinct names.
func validateValues(values []ValueSchema) error {
	if len(values) == 0 || len(values) > maxValues {
		return fmt.Errorf("%w values: want 1 to %d values, got %d", errInvalid, maxValues, len(values))
	}
	for i, v := range values {
		if err := validateID(fmt.Sprintf("values[%d].name", i), v.Name); err != nil {
			return err
		}
		if err := validateText(fmt.Sprintf("values[%d].unit", i), v.Unit, 0, maxUnitLen); err != nil {
			return err
		}
		for _, w := range values[:i] {
			if w.Name == v.Name {
				return fmt.Errorf("%w values: %q appears twice", errInvalid, v.Name)
			}
		}
	}
	return nil
}

// hasValue reports whether the stream's schema has a value named name.
func (s Stream) hasValue(name string) bool {
	for _, v := range s.Values {
		if v.Name == name {
			return true
		}
	}
	return false
}
