package contract

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
)

// Deps is what a handler may use besides its inputs: the contract's state,
// the chain's API and the querier.
type Deps struct {
	Storage Storage
	API     API
	Querier Querier
}

// Order is the direction of a range.
type Order uint32

// The orders, numbered as cosmwasm-std passes them to db_scan.
const (
	Ascending  Order = 1
	Descending Order = 2
)

// Storage is the contract's key-value state. Keys are ordered bytewise.
// Neither a key nor a value may be empty: Set panics on an empty value (the
// host refuses it, as cosmwasm-std does) — store a marker byte instead.
// A failure of the host (a query writing, a key over 64 KiB, a value over
// 128 KiB) ends the call with a trap.
type Storage interface {
	// Get returns the value of key, or nil if key is not set.
	Get(key []byte) []byte
	// Set sets key to value.
	Set(key, value []byte)
	// Remove deletes key; removing a missing key does nothing.
	Remove(key []byte)
	// Range walks the keys in [start, end) in order; a nil start or end is
	// unbounded. The key and value slices are the caller's to keep. Writing
	// to the storage while ranging is undefined; collect first.
	Range(start, end []byte, order Order) iter.Seq2[[]byte, []byte]
}

// API is what the chain offers besides storage: addresses (bech32 "herm")
// and signature verification, computed by the host.
type API interface {
	// AddrValidate checks a human-readable address.
	AddrValidate(human string) error
	// AddrCanonicalize returns the bytes of a human-readable address.
	AddrCanonicalize(human string) ([]byte, error)
	// AddrHumanize returns the human-readable form of address bytes.
	AddrHumanize(canonical []byte) (string, error)
	// Secp256k1Verify checks an ECDSA signature (64 bytes r‖s) of a 32-byte
	// message hash by a public key (33 or 65 bytes).
	Secp256k1Verify(hash, signature, pubkey []byte) (bool, error)
	// Secp256k1RecoverPubkey returns the uncompressed public key (65 bytes)
	// that made signature of hash, recoveryParam being 0 or 1.
	Secp256k1RecoverPubkey(hash, signature []byte, recoveryParam uint8) ([]byte, error)
	// Secp256r1Verify checks an ECDSA P-256 signature (64 bytes r‖s, low-S:
	// a high-S signature is not valid) of a 32-byte SHA-256 hash by a
	// 33-byte compressed SEC1 public key. It is a Hermetic extension (the
	// host import env.secp256r1_verify), not in cosmwasm-std.
	Secp256r1Verify(hash, signature, pubkey []byte) (bool, error)
	// Ed25519Verify checks an Ed25519 signature of message by pubkey.
	Ed25519Verify(message, signature, pubkey []byte) (bool, error)
	// Ed25519BatchVerify checks many signatures at once: one message may
	// go with many signatures and keys, or one key with many messages.
	Ed25519BatchVerify(messages, signatures, pubkeys [][]byte) (bool, error)
	// Debug prints msg where the node's operator can see it (in tests and
	// with debug enabled; a no-op otherwise). It costs gas.
	Debug(msg string)
}

// Querier queries the chain. QueryChain takes the JSON of a cosmwasm-std
// QueryRequest and returns the binary result, or an error if the chain
// could not answer (a SystemError) or the queried contract returned one.
type Querier interface {
	QueryChain(request []byte) ([]byte, error)
}

// QueryContract queries another contract: it sends
// {"wasm":{"smart":{"contract_addr":addr,"msg":base64(msg)}}} (msg as in
// NewWasmExecute) and returns the contract's answer.
func QueryContract(q Querier, addr string, msg any) ([]byte, error) {
	b, err := toJSON(msg)
	if err != nil {
		return nil, err
	}
	req, err := json.Marshal(map[string]any{"wasm": map[string]any{"smart": map[string]any{"contract_addr": addr, "msg": b}}})
	if err != nil {
		return nil, err
	}
	return q.QueryChain(req)
}

// Errors of the querier and the crypto API.
var (
	// ErrSystem: the chain could not answer a query (unknown contract,
	// unsupported request...).
	ErrSystem = errors.New("query system error")
	// ErrQueried: the queried contract returned an error.
	ErrQueried = errors.New("queried contract error")
	// ErrCrypto: a malformed hash, signature, key or recovery parameter.
	ErrCrypto = errors.New("crypto error")
)

// parseSystemResult unwraps the host's SystemResult<ContractResult<Binary>>:
// {"ok":{"ok":"<base64>"}}, {"ok":{"error":"..."}} or {"error":{...}}.
func parseSystemResult(b []byte) ([]byte, error) {
	var sr struct {
		Ok  *json.RawMessage `json:"ok"`
		Err json.RawMessage  `json:"error"`
	}
	if err := json.Unmarshal(b, &sr); err != nil {
		return nil, fmt.Errorf("%w: undecodable answer: %v", ErrSystem, err)
	}
	if sr.Ok == nil {
		return nil, fmt.Errorf("%w: %s", ErrSystem, sr.Err)
	}
	var cr struct {
		Ok  *string `json:"ok"`
		Err *string `json:"error"`
	}
	if err := json.Unmarshal(*sr.Ok, &cr); err != nil {
		return nil, fmt.Errorf("%w: undecodable answer: %v", ErrSystem, err)
	}
	if cr.Ok == nil {
		msg := "(no message)"
		if cr.Err != nil {
			msg = *cr.Err
		}
		return nil, fmt.Errorf("%w: %s", ErrQueried, msg)
	}
	return base64.StdEncoding.DecodeString(*cr.Ok)
}

// cryptoResult interprets what the host's verification functions return:
// 0 verified, 1 not, anything else a cosmwasm-crypto error code.
func cryptoResult(code uint32) (bool, error) {
	switch code {
	case 0:
		return true, nil
	case 1:
		return false, nil
	}
	return false, cryptoError(code)
}

func cryptoError(code uint32) error {
	switch code {
	case 3:
		return fmt.Errorf("%w: invalid hash format", ErrCrypto)
	case 4:
		return fmt.Errorf("%w: invalid signature format", ErrCrypto)
	case 5:
		return fmt.Errorf("%w: invalid public key format", ErrCrypto)
	case 6:
		return fmt.Errorf("%w: invalid recovery parameter", ErrCrypto)
	}
	return fmt.Errorf("%w: code %d", ErrCrypto, code)
}
