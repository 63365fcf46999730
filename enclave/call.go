package enclave

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/state"
)

// Call is one contract call handed to the enclave.
type Call struct {
	// Contract is the contract's address; its state keys derive from it.
	Contract []byte
	// CodeHash is the SHA-256 of the code about to run; an encrypted input
	// must name it (CRYPTO.md §2).
	CodeHash [32]byte
	// Input is the encrypted wire, or the message itself when Plaintext.
	Input []byte
	// Plaintext marks an input the transaction declared unencrypted; its
	// output is then plaintext too.
	Plaintext bool
	// KeysFrom, when set (and not Plaintext), is an encrypted input of this
	// contract whose sender the outputs are encrypted for, while Input is a
	// plaintext message that carries no secret of its own — the reply to a
	// sub-message, which holds only the id and the callee's already
	// encrypted outputs.
	KeysFrom []byte
	// State is the contract's stored (encrypted) state.
	State state.Store
	// Pos is where the call's writes happen; WriteIndex advances with each
	// write so every validator encrypts identically (CRYPTO.md §4).
	Pos *cryptobox.WritePos
}

// Runner runs a contract on its plaintext message inside the enclave, with
// the contract's state decrypted. The VM implements it.
type Runner interface {
	Run(ctx context.Context, msg []byte, store state.Store) ([]byte, error)
}

// Output is a call's result as it leaves the enclave.
type Output struct {
	// Data is the result, or the contract's error message when Failed;
	// encrypted to the sender unless the input was plaintext.
	Data []byte
	// Failed reports a contract error; the call's state writes were
	// discarded.
	Failed bool
	// Encrypted reports whether Data is encrypted.
	Encrypted bool
}

// ErrEncryptedState: a stored value does not decrypt (tampered state, or a
// seed this enclave lacks).
var ErrEncryptedState = errors.New("contract state does not decrypt")

// StateKeys are the keys of one contract's state.
type StateKeys struct {
	keyKey    [32]byte
	valueKeys [][32]byte // by seed index
	current   uint8
}

// NewStateKeys derives a contract's state keys from the state IKMs, oldest
// seed first (CRYPTO.md §4). Backends call it; nothing outside enclave/
// holds the IKMs it takes.
func NewStateKeys(stateIKMs [][]byte, contract []byte) StateKeys {
	ck := cryptobox.ContractKey(stateIKMs[0], contract)
	k := StateKeys{keyKey: cryptobox.StateKeyKey(stateIKMs[0], ck), current: uint8(len(stateIKMs) - 1)}
	for _, ikm := range stateIKMs {
		k.valueKeys = append(k.valueKeys, cryptobox.StateValueKey(ikm, ck))
	}
	return k
}

// contractStore is a contract's plaintext view of its encrypted state: keys
// are encrypted deterministically for lookups, values with the write
// position as a salt.
type contractStore struct {
	keys   StateKeys
	cipher *cryptobox.StateCipher // keys', prepared once per call
	parent state.Store
	pos    *cryptobox.WritePos
}

var _ state.Store = (*contractStore)(nil)

func (s *contractStore) storedKey(k []byte) ([]byte, error) {
	if len(k) == 0 {
		return nil, state.ErrEmptyKey
	}
	return s.cipher.EncryptKey(k), nil
}

func (s *contractStore) open(sk, stored []byte) ([]byte, error) {
	v, err := s.cipher.DecryptValue(sk, stored)
	if err != nil {
		return nil, ErrEncryptedState
	}
	return v, nil
}

func (s *contractStore) Get(k []byte) ([]byte, error) {
	sk, err := s.storedKey(k)
	if err != nil {
		return nil, err
	}
	stored, err := s.parent.Get(sk)
	if err != nil || stored == nil {
		return nil, err
	}
	return s.open(sk, stored)
}

func (s *contractStore) Has(k []byte) (bool, error) {
	sk, err := s.storedKey(k)
	if err != nil {
		return false, err
	}
	return s.parent.Has(sk)
}

func (s *contractStore) Set(k, v []byte) error {
	if v == nil {
		return state.ErrNilValue
	}
	sk, err := s.storedKey(k)
	if err != nil {
		return err
	}
	stored, err := s.cipher.EncryptValue(s.keys.current, sk, *s.pos, v)
	if err != nil {
		return err
	}
	s.pos.WriteIndex++
	return s.parent.Set(sk, stored)
}

func (s *contractStore) Delete(k []byte) error {
	sk, err := s.storedKey(k)
	if err != nil {
		return err
	}
	return s.parent.Delete(sk)
}

// Iterator decrypts every key of the contract, orders the plaintext keys
// and walks the range: iteration over confidential state. It costs a
// decryption per stored key, which the VM charges per entry through the
// iterator's Scanned.
func (s *contractStore) Iterator(start, end []byte, reverse bool) (state.Iterator, error) {
	it, err := s.parent.Iterator(nil, nil, false)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var entries []plainEntry
	scanned := 0
	for ; it.Valid(); it.Next() {
		scanned++
		k, err := s.cipher.DecryptKey(it.Key())
		if err != nil {
			return nil, ErrEncryptedState
		}
		if (start != nil && bytes.Compare(k, start) < 0) || (end != nil && bytes.Compare(k, end) >= 0) {
			continue
		}
		entries = append(entries, plainEntry{key: k, storedKey: bytes.Clone(it.Key()), stored: bytes.Clone(it.Value())})
	}
	if err := it.Error(); err != nil {
		return nil, err
	}
	slices.SortFunc(entries, func(a, b plainEntry) int { return bytes.Compare(a.key, b.key) })
	if reverse {
		slices.Reverse(entries)
	}
	return &plainIterator{store: s, entries: entries, scanned: scanned}, nil
}

type plainEntry struct{ key, storedKey, stored []byte }

type plainIterator struct {
	store   *contractStore
	entries []plainEntry
	value   []byte
	err     error
	scanned int
}

// Scanned is how many stored entries building the iterator decrypted: the
// VM charges db_scan for each (vm.GasDBScanPerEntry).
func (it *plainIterator) Scanned() int { return it.scanned }

func (it *plainIterator) Valid() bool { return it.err == nil && len(it.entries) > 0 }
func (it *plainIterator) Next()       { it.entries, it.value = it.entries[1:], nil }
func (it *plainIterator) Key() []byte { return it.entries[0].key }
func (it *plainIterator) Value() []byte {
	if it.value == nil {
		e := it.entries[0]
		v, err := it.store.open(e.storedKey, e.stored)
		if err != nil {
			it.err = err
			return nil
		}
		it.value = v
	}
	return it.value
}
func (it *plainIterator) Error() error { return it.err }
func (it *plainIterator) Close() error { return nil }

// ExecuteWith runs a call for a backend that holds the state keys and can open
// inputs: the shared part of every backend's Execute.
func ExecuteWith(ctx context.Context, call Call, keys StateKeys, open func(wire []byte) (*cryptobox.Input, error), run Runner) (Output, error) {
	return call.run(ctx, keys, open, run, false)
}

func (call Call) run(ctx context.Context, keys StateKeys, open func(wire []byte) (*cryptobox.Input, error), run Runner, query bool) (Output, error) {
	msg := call.Input
	var txKey *[32]byte
	var nonce, pub [32]byte
	if !call.Plaintext {
		wire := call.Input
		if call.KeysFrom != nil {
			wire = call.KeysFrom
		}
		in, err := open(wire)
		if err != nil {
			return Output{}, fmt.Errorf("decrypt input: %w", err)
		}
		if err := in.CheckCodeHash(call.CodeHash); err != nil {
			return Output{}, fmt.Errorf("decrypt input: %w", err)
		}
		txKey, nonce, pub = &in.TxKey, in.Nonce, in.UserPub
		if call.KeysFrom == nil {
			msg = in.Msg
		}
	}
	cache := state.NewCache(call.State)
	var store state.Store = &contractStore{keys: keys, cipher: cryptobox.NewStateCipher(keys.keyKey, keys.valueKeys), parent: cache, pos: call.Pos}
	if query {
		store = readOnly{store}
	}
	pos := *call.Pos
	data, runErr := run.Run(ctx, msg, store)
	out := Output{Data: data}
	if runErr != nil {
		cache.Discard()
		*call.Pos = pos // discarded writes do not count
		out = Output{Data: []byte(runErr.Error()), Failed: true}
	} else if err := cache.Write(); err != nil {
		return Output{}, fmt.Errorf("write contract state: %w", err)
	}
	if txKey != nil {
		var err error
		sl := inputSealer{txKey: *txKey, nonce: nonce, pub: pub}
		switch rs, ok := run.(ResultSealer); {
		case out.Failed:
			out.Data, err = sl.Encrypt(padError(out.Data))
		case ok:
			out.Data, err = rs.SealResult(out.Data, sl)
		default:
			out.Data, err = sl.Encrypt(out.Data)
		}
		if err != nil {
			return Output{}, fmt.Errorf("encrypt output: %w", err)
		}
		out.Encrypted = true
	}
	return out, nil
}

// ErrorBlock is the block size, in bytes, that the plaintext of an encrypted
// contract error is padded to before it is encrypted: trailing spaces up to
// the next multiple, at least one block. Its ciphertext's length then tells
// only how many blocks the message spans, not which error occurred — as
// contracts pad their answers (contract.Pad). Readers trim trailing spaces
// after decrypting (client.Session.DecryptError). Plaintext calls' errors
// are not padded: nothing about them is hidden.
const ErrorBlock = 256

// padError returns msg followed by spaces up to the next multiple of
// ErrorBlock, and one whole block for an empty msg.
func padError(msg []byte) []byte {
	n := max(ErrorBlock, (len(msg)+ErrorBlock-1)/ErrorBlock*ErrorBlock)
	out := make([]byte, n)
	copy(out, msg)
	for i := len(msg); i < n; i++ {
		out[i] = ' '
	}
	return out
}

// Sealer encrypts a call's outputs for its sender.
type Sealer interface {
	// Encrypt encrypts bytes for the sender (CRYPTO.md §3).
	Encrypt(plaintext []byte) ([]byte, error)
	// Wire encrypts a message for another contract, on the sender's
	// behalf: the §2 wire with the sender's public key and nonce, so the
	// callee's enclave decrypts it, checks its code hash, and encrypts the
	// callee's outputs for the same sender.
	Wire(codeHash [32]byte, msg []byte) ([]byte, error)
}

// ResultSealer is a Runner that knows the structure of its results and
// encrypts their parts itself (CRYPTO.md §3: the data, each event
// attribute, each contract-to-contract message), leaving in the clear what
// the chain must act on (bank transfers, the list of messages). A Runner
// that is not one has its whole result encrypted.
type ResultSealer interface {
	SealResult(result []byte, s Sealer) ([]byte, error)
}

type inputSealer struct {
	txKey [32]byte
	nonce [32]byte
	pub   [32]byte
}

func (s inputSealer) Encrypt(pt []byte) ([]byte, error) { return cryptobox.EncryptOutput(s.txKey, pt) }

func (s inputSealer) Wire(codeHash [32]byte, msg []byte) ([]byte, error) {
	pt := append([]byte(hex.EncodeToString(codeHash[:])), msg...)
	ct, err := cryptobox.SIVSeal(s.txKey[:], [][]byte{{}}, pt)
	if err != nil {
		return nil, err
	}
	return slices.Concat(s.nonce[:], s.pub[:], ct), nil
}

// readOnly refuses writes: the store a query runs on.
type readOnly struct{ state.Store }

func (readOnly) Set(_, _ []byte) error { return state.ErrReadOnly }
func (readOnly) Delete(_ []byte) error { return state.ErrReadOnly }

// QueryWith runs a query for a backend: ExecuteWith on a read-only view of
// the contract's state.
func QueryWith(ctx context.Context, call Call, keys StateKeys, open func(wire []byte) (*cryptobox.Input, error), run Runner) (Output, error) {
	call.Pos = &cryptobox.WritePos{}
	return call.run(ctx, keys, open, run, true)
}
