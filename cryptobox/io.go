package cryptobox

import (
	"crypto/subtle"
	"encoding/hex"
	"io"
)

// Sizes of the parts of an encrypted input (CRYPTO.md §2).
const (
	nonceSize    = 32
	codeHashSize = 64 // lowercase hex characters
	wireHeader   = nonceSize + KeySize
	minWire      = wireHeader + blockSize + codeHashSize // 144
)

// emptyAD is the associated-data list [""] of CRYPTO.md §2 and §3.
var emptyAD = [][]byte{{}}

// txKeyFrom is tx_key = HKDF(shared ‖ nonce, "").
func txKeyFrom(shared, nonce []byte) [32]byte {
	return hkdf2(shared, nonce, "")
}

// SealInput encrypts msg for the contract code with hash codeHash, from the user private key userSK
// with the given 32-byte nonce, to the network tx key txKeyPub (CRYPTO.md §2). It returns the wire
// bytes nonce ‖ pk_u ‖ SIV(tx_key, [""], code_hash_hex ‖ msg) and tx_key. It is deterministic; real
// clients use [EncryptInput], which draws a fresh key pair and nonce. Errors: ErrBadKey for wrong
// lengths, ErrLowOrder for a low-order txKeyPub.
func SealInput(userSK, nonce, txKeyPub []byte, codeHash [32]byte, msg []byte) (wire []byte, txKey [32]byte, err error) {
	if len(nonce) != nonceSize {
		return nil, txKey, ErrBadKey
	}
	user, err := NewExchangeKey(userSK)
	if err != nil {
		return nil, txKey, err
	}
	userPub := user.PublicKey()
	shared, err := user.Shared(txKeyPub)
	if err != nil {
		return nil, txKey, err
	}
	txKey = txKeyFrom(shared, nonce)
	clear(shared)

	pt := make([]byte, codeHashSize+len(msg))
	hex.Encode(pt, codeHash[:])
	copy(pt[codeHashSize:], msg)
	wire = make([]byte, wireHeader+blockSize+len(pt))
	copy(wire, nonce)
	copy(wire[nonceSize:], userPub)
	err = sealInto(wire[wireHeader:], txKey[:], emptyAD, pt)
	clear(pt)
	if err != nil {
		return nil, [32]byte{}, err
	}
	return wire, txKey, nil
}

// EncryptInput encrypts msg like [SealInput] with a fresh user key pair and nonce read from rand
// (normally crypto/rand.Reader). It returns the wire bytes and the [Session] that decrypts the
// answers to this input.
func EncryptInput(rand io.Reader, txKeyPub []byte, codeHash [32]byte, msg []byte) (wire []byte, s *Session, err error) {
	var buf [KeySize + nonceSize]byte
	defer clear(buf[:])
	if _, err := io.ReadFull(rand, buf[:]); err != nil {
		return nil, nil, err
	}
	wire, txKey, err := SealInput(buf[:KeySize], buf[KeySize:], txKeyPub, codeHash, msg)
	if err != nil {
		return nil, nil, err
	}
	return wire, &Session{txKey: txKey}, nil
}

// Session is what a client keeps after sending an encrypted input: the input's tx key, which
// decrypts every output of that call (CRYPTO.md §3).
type Session struct {
	txKey [32]byte
}

// NewSession recomputes the session of an input sent with user private key userSK and nonce to the
// network tx key txKeyPub, for wallets that keep one key pair and remember nonces.
// Errors: ErrBadKey, ErrLowOrder.
func NewSession(userSK, nonce, txKeyPub []byte) (*Session, error) {
	if len(nonce) != nonceSize {
		return nil, ErrBadKey
	}
	shared, err := X25519(userSK, txKeyPub)
	if err != nil {
		return nil, err
	}
	s := &Session{txKey: txKeyFrom(shared, nonce)}
	clear(shared)
	return s, nil
}

// DecryptOutput decrypts one output of the call, SIV(tx_key, [""], bytes) (CRYPTO.md §3), after
// base64 decoding. It returns ErrDecrypt if ct was not made with this session's tx key.
func (s *Session) DecryptOutput(ct []byte) ([]byte, error) {
	return SIVOpen(s.txKey[:], emptyAD, ct)
}

// Input is an encrypted input opened by the enclave (CRYPTO.md §2).
type Input struct {
	// Nonce is the client's nonce.
	Nonce [32]byte
	// UserPub is the client's X25519 public key.
	UserPub [32]byte
	// TxKey is the key that encrypts every output of the call ([EncryptOutput]).
	TxKey [32]byte
	// CodeHashHex is the code hash the client encrypted for: 64 lowercase hex characters, not yet
	// checked against the code to run (see [Input.CheckCodeHash]).
	CodeHashHex string
	// Msg is the message after the code hash.
	Msg []byte
}

// OpenInput decrypts the wire bytes of an encrypted input on the enclave side. shared computes
// X25519(io_sk, userPub) — the enclave passes a closure over its I/O-exchange key, possibly cached —
// and its error is returned unchanged (normally ErrLowOrder from [X25519]).
//
// Checks run in this order, each with its own error: a wire too short to hold the nonce and public
// key (ErrShortWire); a low-order public key (ErrLowOrder); a wire shorter than 64 + 16 + 64 bytes
// (ErrShortWire); authentication (ErrDecrypt); a plaintext not starting with 64 lowercase hex
// characters (ErrBadCodeHash). The public key is checked before the full length so that a low-order
// key is reported as such whatever follows it. The caller must then call [Input.CheckCodeHash].
func OpenInput(shared func(userPub []byte) ([]byte, error), wire []byte) (*Input, error) {
	if len(wire) < wireHeader {
		return nil, ErrShortWire
	}
	in := &Input{}
	copy(in.Nonce[:], wire[:nonceSize])
	copy(in.UserPub[:], wire[nonceSize:wireHeader])
	sec, err := shared(in.UserPub[:])
	if err != nil {
		return nil, err
	}
	if len(sec) != KeySize {
		return nil, ErrBadKey
	}
	if isZero(sec) {
		return nil, ErrLowOrder
	}
	if len(wire) < minWire {
		return nil, ErrShortWire
	}
	in.TxKey = txKeyFrom(sec, in.Nonce[:])
	pt, err := SIVOpen(in.TxKey[:], emptyAD, wire[wireHeader:])
	if err != nil {
		return nil, ErrDecrypt
	}
	if !isLowerHex(pt[:codeHashSize]) {
		clear(pt)
		return nil, ErrBadCodeHash
	}
	in.CodeHashHex = string(pt[:codeHashSize])
	in.Msg = pt[codeHashSize:]
	return in, nil
}

func isLowerHex(b []byte) bool {
	ok := true
	for _, c := range b {
		ok = ok && ('0' <= c && c <= '9' || 'a' <= c && c <= 'f')
	}
	return ok
}

// CheckCodeHash checks, in constant time, that the input was encrypted for the contract code with
// SHA-256 hash codeHash. It returns ErrWrongCodeHash otherwise.
func (in *Input) CheckCodeHash(codeHash [32]byte) error {
	var want [codeHashSize]byte
	hex.Encode(want[:], codeHash[:])
	if subtle.ConstantTimeCompare(want[:], []byte(in.CodeHashHex)) != 1 {
		return ErrWrongCodeHash
	}
	return nil
}

// EncryptOutput encrypts one output of a call under the input's tx key: SIV(tx_key, [""],
// plaintext) (CRYPTO.md §3).
func EncryptOutput(txKey [32]byte, plaintext []byte) ([]byte, error) {
	return SIVSeal(txKey[:], emptyAD, plaintext)
}
