// Package cryptobox implements the cryptography of design/CRYPTO.md version 1 (sections 0 to 6):
// HKDF and X25519 helpers, AES-SIV (RFC 5297), the derivation of network keys from seeds, the
// Secret-compatible input and output encryption for both the client and the enclave side, contract
// state encryption, the seed exchange for a joining node, and node-local sealing.
//
// The package is pure computation and holds no keys: every key is passed in by the caller and no
// function keeps one beyond its call (a [Session] keeps only the per-message tx key, for the client
// that made it). Only package enclave holds network secrets (seeds, the I/O and seed-exchange private
// keys, state IKMs). Errors are the sentinels below, testable with errors.Is; no error ever contains
// key, seed or plaintext bytes.
package cryptobox

import "errors"

// Sentinel errors. Each names what went wrong and nothing else.
var (
	// ErrDecrypt reports that a ciphertext failed authentication (wrong key, wrong associated data,
	// tampered or truncated bytes). It never says which.
	ErrDecrypt = errors.New("cryptobox: decryption failed")
	// ErrLowOrder reports an X25519 public key of low order: the shared secret would be all zero.
	ErrLowOrder = errors.New("cryptobox: low-order X25519 public key")
	// ErrShortWire reports an encrypted input too short to hold the nonce, the public key, the SIV tag
	// and the 64-character code hash (64 + 16 + 64 bytes).
	ErrShortWire = errors.New("cryptobox: encrypted input too short")
	// ErrWrongCodeHash reports an input encrypted for other contract code than the code about to run.
	ErrWrongCodeHash = errors.New("cryptobox: input was encrypted for another code hash")
	// ErrBadCodeHash reports a decrypted input whose first 64 bytes are not lowercase hex.
	ErrBadCodeHash = errors.New("cryptobox: input does not start with a hex code hash")
	// ErrBadKey reports a key, nonce or public key of the wrong length.
	ErrBadKey = errors.New("cryptobox: bad key length")
	// ErrShortValue reports a stored state value too short to hold the seed index, the salt and the
	// SIV tag (1 + 24 + 16 bytes).
	ErrShortValue = errors.New("cryptobox: stored value too short")
	// ErrTooManyAD reports more associated-data components than AES-SIV allows (RFC 5297 limits
	// S2V to 126 of them besides the plaintext).
	ErrTooManyAD = errors.New("cryptobox: too many associated data components")
)
