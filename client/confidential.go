package client

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/cryptobox"
)

// EnclaveInfo returns the network's enclave public keys and attestation
// policy.
func (c *Client) EnclaveInfo(ctx context.Context) (api.EnclaveInfo, error) {
	var e api.EnclaveInfo
	return e, c.do(ctx, http.MethodGet, "/hermetic/v1/enclave", nil, &e)
}

// TxKey returns the network's tx key (the public key inputs are encrypted
// to), from the Secret-compatible route.
func (c *Client) TxKey(ctx context.Context) ([]byte, error) {
	var k api.TxKey
	if err := c.do(ctx, http.MethodGet, "/registration/v1beta1/tx-key", nil, &k); err != nil {
		return nil, err
	}
	if len(k.Key) != 32 {
		return nil, fmt.Errorf("node answered a tx key of %d bytes", len(k.Key))
	}
	return k.Key, nil
}

// Registration returns the chain's record of an enclave registration key,
// with the seeds encrypted to it; ErrNotFound if it is not registered.
func (c *Client) Registration(ctx context.Context, pub []byte) (app.RegistrationRecord, error) {
	var r app.RegistrationRecord
	return r, c.do(ctx, http.MethodGet, "/hermetic/v1/enclave/registrations/"+hex.EncodeToString(pub), nil, &r)
}

// Encryptor encrypts contract inputs for one network and reads the answers.
// It fetches the tx key once (a failed fetch is tried again on the next
// call) and is safe for concurrent use.
type Encryptor struct {
	c     *Client
	mu    sync.Mutex
	txKey []byte
}

// Encryptor returns the client's encryptor for its network: the same one on
// every call, so the tx key is fetched once per client.
func (c *Client) Encryptor() *Encryptor {
	c.cache.encMaker.Do(func() { c.cache.enc = &Encryptor{c: c} })
	return c.cache.enc
}

// key returns the network's tx key, fetching it on first use.
func (e *Encryptor) key(ctx context.Context) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.txKey == nil {
		k, err := e.c.TxKey(ctx)
		if err != nil {
			return nil, fmt.Errorf("fetch tx key: %w", err)
		}
		e.txKey = k
	}
	return e.txKey, nil
}

// Encrypt encrypts msg for the contract whose code hash is codeHash (CRYPTO.md
// §2) with a fresh key and nonce. It returns the wire to put in the
// transaction and the session that decrypts the answer.
func (e *Encryptor) Encrypt(ctx context.Context, codeHash [32]byte, msg []byte) ([]byte, *Session, error) {
	txKey, err := e.key(ctx)
	if err != nil {
		return nil, nil, err
	}
	wire, s, err := cryptobox.EncryptInput(rand.Reader, txKey, codeHash, msg)
	if err != nil {
		return nil, nil, fmt.Errorf("encrypt input: %w", err)
	}
	return wire, &Session{s: s}, nil
}

// Session reads the outputs of one encrypted input: only its sender can.
type Session struct{ s *cryptobox.Session }

// Decrypt decrypts an output (result data, event attribute, ...), given raw
// or base64 as the API returns it.
func (s *Session) Decrypt(out []byte) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(string(out)); err == nil {
		out = b
	}
	return s.s.DecryptOutput(out)
}

// EncryptedErrorPrefix starts the log of a transaction whose contract
// failed with an encrypted error; base64 of the ciphertext follows.
const EncryptedErrorPrefix = "encrypted: "

// ErrContract is the error a contract returned, decrypted.
var ErrContract = errors.New("contract error")

// DecryptError turns a failed transaction's log back into a readable error:
// the contract's message if the log holds one encrypted to this session,
// else the log as it is.
func (s *Session) DecryptError(log string) error {
	i := strings.Index(log, EncryptedErrorPrefix)
	if i < 0 {
		return errors.New(log)
	}
	ct, err := base64.StdEncoding.DecodeString(strings.TrimSpace(log[i+len(EncryptedErrorPrefix):]))
	if err != nil {
		return fmt.Errorf("encrypted error is not base64: %w", err)
	}
	pt, err := s.s.DecryptOutput(ct)
	if err != nil {
		return fmt.Errorf("decrypt contract error: %w", err)
	}
	// The enclave pads an error with spaces to a multiple of
	// enclave.ErrorBlock, so its length does not tell which error it is.
	return fmt.Errorf("%w: %s", ErrContract, strings.TrimRight(string(pt), " "))
}
