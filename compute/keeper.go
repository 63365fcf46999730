// Package compute is the contract module of the chain: it stores code,
// instantiates contracts, executes, queries and migrates them. Every call
// goes through the enclave, which decrypts the input, runs the contract in
// the VM on its decrypted state, and encrypts the output for the sender
// (docs/compute.md); the chain's state holds only the contract state's
// ciphertext.
//
// State layout (one byte of prefix, under the app's tree):
//
//	0x40 ‖ u64be(code id)   → CodeInfo (JSON)
//	0x41 ‖ u64be(code id)   → the module as uploaded, uncompressed
//	0x42                    → the last code id, u64be
//	0x43                    → the number of contracts instantiated, u64be
//	0x48 ‖ contract address → ContractInfo (JSON)
//	0x49 ‖ contract address ‖ … → the contract's encrypted state
package compute

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

const (
	prefixCode          = 0x40
	prefixCodeBytes     = 0x41
	keyLastCodeID       = 0x42
	keyContractCount    = 0x43
	prefixContract      = 0x48
	prefixContractState = 0x49
)

// Errors of the module, for the app to map to result codes.
var (
	ErrUnknownCode     = errors.New("unknown code id")
	ErrUnknownContract = errors.New("unknown contract")
	ErrNotAdmin        = errors.New("only the contract's admin may migrate it")
	// ErrContractFailed: the contract returned an error or trapped; the
	// message (encrypted for the sender when the input was) follows.
	ErrContractFailed = errors.New("contract failed")
	// ErrInput: the enclave refused the encrypted input (the wrapped
	// error says why: tampered, wrong code hash, low-order key, too short).
	ErrInput = errors.New("contract input refused")
	// ErrUnsupportedMsg: a contract emitted a message Hermetic does not
	// carry out yet.
	ErrUnsupportedMsg = errors.New("unsupported contract message")
	// ErrInvalidMsg: a message a contract emitted cannot be carried out as
	// written (a malformed address, another denomination, an amount that is
	// not a number, a call of a contract that does not exist).
	ErrInvalidMsg = errors.New("invalid message from contract")
	// ErrInvalidResponse: a contract's response breaks CosmWasm's rules for
	// attributes and events (an empty or reserved key, a too-short event
	// type).
	ErrInvalidResponse = errors.New("invalid response from contract")
)

// EncryptedPrefix starts an error message that is encrypted for the
// sender: base64 of the ciphertext follows (client.Session.DecryptError).
const EncryptedPrefix = "encrypted: "

// CodeInfo describes stored code.
type CodeInfo struct {
	CodeHash     string       `json:"code_hash"` // hex
	Creator      keys.Address `json:"creator"`
	Size         int          `json:"size"`
	Capabilities []string     `json:"capabilities"`
	EntryPoints  []string     `json:"entry_points"`
	// ReadyAt is the block time from which contracts can be made from the
	// code (instantiate, migrate): code larger than SyncCompileMax is
	// compiled in the background. Zero: at once.
	ReadyAt time.Time `json:"ready_at,omitzero"`
}

// ContractInfo describes a contract.
type ContractInfo struct {
	Address keys.ContractAddress `json:"address"`
	CodeID  uint64               `json:"code_id"`
	Creator keys.Address         `json:"creator"`
	Admin   keys.Address         `json:"admin"`
	Label   string               `json:"label"`
	Created int64                `json:"created"`
}

// Bank moves native tokens between accounts and contracts (raw addresses:
// 20 bytes for accounts, 32 for contracts).
type Bank interface {
	Transfer(s state.Store, from, to []byte, amount uint64) error
}

// Block is what a call knows of the block and transaction it runs in.
type Block struct {
	Height  int64
	Time    time.Time
	ChainID string
	TxIndex uint32
	// Pos counts the block's contract-state writes (CRYPTO.md §4).
	Pos *cryptobox.WritePos
}

// Keeper is the compute module.
type Keeper struct {
	vm      *vm.VM
	enclave enclave.Enclave
	bank    Bank

	mu       sync.Mutex
	compiled map[[32]byte]bool // code this node's VM has compiled since start
	compiles compileQueue      // code being compiled in the background

	contracts memo[ContractInfo] // stored ContractInfo → decoded
	codes     memo[[32]byte]     // stored CodeInfo → its code hash
}

// NewKeeper returns the module over a VM and an enclave.
func NewKeeper(v *vm.VM, e enclave.Enclave, bank Bank) *Keeper {
	return &Keeper{vm: v, enclave: e, bank: bank, compiled: map[[32]byte]bool{}}
}

func u64key(prefix byte, n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{prefix}, n) }

func contractKey(a keys.ContractAddress) []byte { return append([]byte{prefixContract}, a[:]...) }

func contractStore(s state.Store, a keys.ContractAddress) state.Store {
	return state.NewPrefix(s, append([]byte{prefixContractState}, a[:]...))
}

func nextCounter(s state.Store, key byte) (uint64, error) {
	bz, err := s.Get([]byte{key})
	if err != nil {
		return 0, err
	}
	var n uint64
	if bz != nil {
		n = binary.BigEndian.Uint64(bz)
	}
	n++
	return n, s.Set([]byte{key}, binary.BigEndian.AppendUint64(nil, n))
}

func getJSON(s state.Store, key []byte, v any, missing func() error) error {
	bz, err := stored(s, key, missing)
	if err != nil {
		return err
	}
	return json.Unmarshal(bz, v)
}

func setJSON(s state.Store, key []byte, v any) error {
	bz, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.Set(key, bz)
}

// StoreCode validates and stores a module and returns its code id. A
// module whose estimated compile time is at most SyncCompileMax is compiled
// here, in the block, and can be used at once; a larger one only
// validated, and compiled in the background once the block is final
// (CompileStored), with a ReadyAt that the compile queue gives it. charge is
// called once the module is validated, before it is compiled, with what
// validating took and what compiling here will take (zero if deferred), as
// the model estimates them (vm.Code): it takes the gas for them, and its
// error fails the upload.
func (k *Keeper) StoreCode(ctx context.Context, s state.Store, b Block, creator keys.Address, upload []byte, charge func(validate, compile time.Duration) error) (uint64, CodeInfo, error) {
	code, err := k.vm.Validate(ctx, upload)
	if err != nil {
		return 0, CodeInfo{}, err
	}
	wasm, err := vm.Unpack(upload, vm.DefaultMaxCodeSize)
	if err != nil {
		return 0, CodeInfo{}, err
	}
	info := CodeInfo{CodeHash: fmt.Sprintf("%x", code.Hash), Creator: creator, Size: code.Size, Capabilities: code.Capabilities, EntryPoints: code.EntryPoints}
	deferred := code.CompileCost > SyncCompileMax
	compileHere := code.CompileCost
	if deferred {
		compileHere = 0
		if info.ReadyAt, err = readyAt(s, b.Time, code.CompileCost); err != nil {
			return 0, CodeInfo{}, err
		}
	}
	if err := charge(code.ValidateCost, compileHere); err != nil {
		return 0, CodeInfo{}, err
	}
	id, err := nextCounter(s, keyLastCodeID)
	if err != nil {
		return 0, CodeInfo{}, err
	}
	if err := setJSON(s, u64key(prefixCode, id), info); err != nil {
		return 0, CodeInfo{}, err
	}
	if err := s.Set(u64key(prefixCodeBytes, id), wasm); err != nil {
		return 0, CodeInfo{}, err
	}
	if deferred {
		k.compiles.stored(id, code.Hash, wasm)
		return id, info, nil
	}
	if _, err := k.vm.Store(ctx, wasm); err != nil {
		return 0, CodeInfo{}, err
	}
	k.mu.Lock()
	k.compiled[code.Hash] = true
	k.mu.Unlock()
	return id, info, nil
}

// Code returns stored code's info.
func Code(s state.Store, id uint64) (CodeInfo, error) {
	var c CodeInfo
	err := getJSON(s, u64key(prefixCode, id), &c, unknownCode(id))
	return c, err
}

// stored returns the record under key, or missing() if there is none.
func stored(s state.Store, key []byte, missing func() error) ([]byte, error) {
	bz, err := s.Get(key)
	if err != nil {
		return nil, err
	}
	if bz == nil {
		return nil, missing()
	}
	return bz, nil
}

// unknownContract and unknownCode make the errors for a missing record
// (only then: formatting an address is not free).
func unknownContract(a keys.ContractAddress) func() error {
	return func() error { return fmt.Errorf("%w: %s", ErrUnknownContract, a) }
}

func unknownCode(id uint64) func() error {
	return func() error { return fmt.Errorf("%w: %d", ErrUnknownCode, id) }
}

// Hash returns the code hash as bytes.
func (c CodeInfo) Hash() ([32]byte, error) {
	var h [32]byte
	b, err := hex.DecodeString(c.CodeHash)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("stored code hash %q is not 32 bytes of hex", c.CodeHash)
	}
	copy(h[:], b)
	return h, nil
}

// Contract returns a contract's info.
func Contract(s state.Store, a keys.ContractAddress) (ContractInfo, error) {
	var c ContractInfo
	err := getJSON(s, contractKey(a), &c, unknownContract(a))
	return c, err
}

// ContractExists returns ErrUnknownContract if there is no contract at a.
func ContractExists(s state.Store, a keys.ContractAddress) error {
	_, err := stored(s, contractKey(a), unknownContract(a))
	return err
}

// contract is Contract through the keeper's memo.
func (k *Keeper) contract(s state.Store, a keys.ContractAddress) (ContractInfo, error) {
	bz, err := stored(s, contractKey(a), unknownContract(a))
	if err != nil {
		return ContractInfo{}, err
	}
	return k.contracts.get(bz, func(bz []byte) (c ContractInfo, err error) {
		if err := json.Unmarshal(bz, &c); err != nil {
			return c, fmt.Errorf("decode contract %s: %w", a, err)
		}
		return c, nil
	})
}

// codeHash returns a code's hash, compiling it in this node's VM if it was
// stored before the node started.
func (k *Keeper) codeHash(ctx context.Context, s state.Store, id uint64) ([32]byte, error) {
	bz, err := stored(s, u64key(prefixCode, id), unknownCode(id))
	if err != nil {
		return [32]byte{}, err
	}
	h, err := k.codes.get(bz, func(bz []byte) ([32]byte, error) {
		var info CodeInfo
		if err := json.Unmarshal(bz, &info); err != nil {
			return [32]byte{}, fmt.Errorf("decode code %d: %w", id, err)
		}
		return info.Hash()
	})
	if err != nil {
		return h, err
	}
	k.mu.Lock()
	done := k.compiled[h]
	k.mu.Unlock()
	if done {
		return h, nil
	}
	if job := k.compiles.job(h); job != nil {
		// Compiling in the background: normally done by the code's
		// ReadyAt, otherwise this waits for it.
		select {
		case <-job.done:
		case <-ctx.Done():
			return h, fmt.Errorf("wait for code %d to compile: %w", id, ctx.Err())
		}
		k.mu.Lock()
		done = k.compiled[h]
		k.mu.Unlock()
		if done {
			return h, nil
		}
		// The background compile failed (or could not read the module):
		// compile here, from this block's state, so that what the call
		// gets is the same on every node.
	}
	wasm, err := s.Get(u64key(prefixCodeBytes, id))
	if err != nil {
		return h, err
	}
	if _, err := k.vm.Store(ctx, wasm); err != nil {
		return h, fmt.Errorf("compile stored code %d: %w", id, err)
	}
	k.mu.Lock()
	k.compiled[h] = true
	k.mu.Unlock()
	return h, nil
}

// Result is a call's outcome as the chain records it.
type Result struct {
	// Data is the response data; encrypted for the sender unless the input
	// was plaintext.
	Data []byte
	// Attributes are the contract's attributes and events, attribute keys
	// and values encrypted (base64) unless the input was plaintext.
	Attributes []vm.Attribute
	Events     []vm.Event
	Encrypted  bool
	GasUsed    uint64
	// Callee is the contract that produced the result (for replies).
	Callee keys.ContractAddress
}

// Address derives a new contract's address from its code id and the
// number of contracts before it.
func Address(codeID, seq uint64) keys.ContractAddress {
	h := sha256.New()
	h.Write([]byte("hermetic/contract/v1"))
	h.Write(binary.BigEndian.AppendUint64(nil, codeID))
	h.Write(binary.BigEndian.AppendUint64(nil, seq))
	var a keys.ContractAddress
	copy(a[:], h.Sum(nil))
	return a
}

// Instantiate creates a contract from code id and runs its instantiate
// entry point with msg (encrypted unless plaintext).
func (k *Keeper) Instantiate(ctx context.Context, s state.Store, b Block, m *tx.MsgInstantiate, gasLimit uint64) (keys.ContractAddress, Result, error) {
	if err := codeReady(s, b, m.CodeID); err != nil {
		return keys.ContractAddress{}, Result{}, err
	}
	hash, err := k.codeHash(ctx, s, m.CodeID)
	if err != nil {
		return keys.ContractAddress{}, Result{}, err
	}
	seq, err := nextCounter(s, keyContractCount)
	if err != nil {
		return keys.ContractAddress{}, Result{}, err
	}
	addr := Address(m.CodeID, seq)
	info := ContractInfo{Address: addr, CodeID: m.CodeID, Creator: m.Sender, Admin: m.Admin, Label: m.Label, Created: b.Height}
	if err := setJSON(s, contractKey(addr), info); err != nil {
		return addr, Result{}, err
	}
	res, err := k.call(ctx, s, b, "instantiate", addr, hash, account(m.Sender), m.Funds, m.Msg, m.Plaintext, gasLimit, 0)
	return addr, res, err
}

// Execute runs a contract's execute entry point.
func (k *Keeper) Execute(ctx context.Context, s state.Store, b Block, m *tx.MsgExecute, gasLimit uint64) (Result, error) {
	info, err := k.contract(s, m.Contract)
	if err != nil {
		return Result{}, err
	}
	hash, err := k.codeHash(ctx, s, info.CodeID)
	if err != nil {
		return Result{}, err
	}
	return k.call(ctx, s, b, "execute", m.Contract, hash, account(m.Sender), m.Funds, m.Msg, m.Plaintext, gasLimit, 0)
}

// Migrate moves a contract to new code and runs the new code's migrate
// entry point; only the admin may, and the contract keeps its address and
// so its state keys.
func (k *Keeper) Migrate(ctx context.Context, s state.Store, b Block, m *tx.MsgMigrate, gasLimit uint64) (Result, error) {
	info, err := k.contract(s, m.Contract)
	if err != nil {
		return Result{}, err
	}
	if info.Admin.IsZero() || info.Admin != m.Sender {
		return Result{}, ErrNotAdmin
	}
	if err := codeReady(s, b, m.CodeID); err != nil {
		return Result{}, err
	}
	hash, err := k.codeHash(ctx, s, m.CodeID)
	if err != nil {
		return Result{}, err
	}
	info.CodeID = m.CodeID
	if err := setJSON(s, contractKey(m.Contract), info); err != nil {
		return Result{}, err
	}
	return k.call(ctx, s, b, "migrate", m.Contract, hash, account(m.Sender), tx.Coin{}, m.Msg, m.Plaintext, gasLimit, 0)
}

func env(b Block, addr keys.ContractAddress) vm.Env {
	return vm.Env{
		Block:       vm.BlockInfo{Height: uint64(b.Height), Time: strconv.FormatInt(b.Time.UnixNano(), 10), ChainID: b.ChainID},
		Transaction: &vm.TransactionInfo{Index: b.TxIndex},
		Contract:    vm.ContractInfo{Address: addr.String()},
	}
}

// MaxCallDepth bounds how deep contracts may call each other.
const MaxCallDepth = 10

// ErrCallDepth: contracts called each other deeper than MaxCallDepth.
var ErrCallDepth = errors.New("contract call depth limit reached")

// caller is who calls a contract: an account or, for a message one
// contract sends another, a contract.
type caller struct {
	raw   []byte
	human string
}

func account(a keys.Address) caller                { return caller{raw: a[:], human: a.String()} }
func contractCaller(a keys.ContractAddress) caller { return caller{raw: a[:], human: a.String()} }

// call runs an entry point that may change state, carries out the
// messages the contract sends (bank transfers, calls of other contracts,
// depth-limited), and returns the result.
func (k *Keeper) call(ctx context.Context, s state.Store, b Block, entry string, addr keys.ContractAddress, hash [32]byte,
	from caller, funds tx.Coin, msg []byte, plaintext bool, gasLimit uint64, depth int) (Result, error) {
	return k.callWith(ctx, s, b, entry, addr, hash, from, funds, msg, nil, plaintext, gasLimit, depth)
}

// callWith is call with keysFrom: for a reply, the contract's own
// encrypted input, whose sender the reply's outputs are encrypted for.
func (k *Keeper) callWith(ctx context.Context, s state.Store, b Block, entry string, addr keys.ContractAddress, hash [32]byte,
	from caller, funds tx.Coin, msg, keysFrom []byte, plaintext bool, gasLimit uint64, depth int) (Result, error) {
	if depth > MaxCallDepth {
		return Result{}, fmt.Errorf("%w (%d)", ErrCallDepth, MaxCallDepth)
	}
	if funds.Amount > 0 {
		if err := k.bank.Transfer(s, from.raw, addr[:], funds.Amount); err != nil {
			return Result{}, err
		}
	}
	c := vm.Call{Code: hash, Entry: entry, Env: env(b, addr), GasLimit: gasLimit}
	if entry == "instantiate" || entry == "execute" {
		c.Info = &vm.MessageInfo{Sender: from.human, Funds: []vm.Coin{}}
		if funds.Amount > 0 {
			c.Info.Funds = []vm.Coin{{Denom: funds.Denom, Amount: strconv.FormatUint(funds.Amount, 10)}}
		}
	}
	r := &runner{vm: k.vm, call: c, codeHash: func(contract string) ([32]byte, error) {
		a, err := keys.ParseContractAddress(contract)
		if err != nil {
			return [32]byte{}, err
		}
		info, err := k.contract(s, a)
		if err != nil {
			return [32]byte{}, err
		}
		return k.codeHash(ctx, s, info.CodeID)
	}}
	out, err := k.enclave.Execute(ctx, enclave.Call{Contract: addr[:], CodeHash: hash, Input: msg, KeysFrom: keysFrom, Plaintext: plaintext,
		State: contractStore(s, addr), Pos: b.Pos}, r)
	if errors.Is(err, ErrInvalidMsg) {
		// A message the contract sent names a contract that cannot be
		// called: found while encrypting the message for it.
		return Result{GasUsed: r.gasUsed}, err
	}
	if err != nil {
		return Result{GasUsed: r.gasUsed}, fmt.Errorf("%w: %w", ErrInput, err)
	}
	res, cr, err := k.finish(out, r)
	res.Callee = addr
	if err != nil {
		return res, err
	}
	// The messages run after the call, in order. One whose reply_on asks
	// for a reply runs in its own cache (a failure then reverts only it)
	// and the contract's reply entry point hears how it went.
	replyKeys := msg
	if keysFrom != nil {
		replyKeys = keysFrom
	}
	for i, sm := range cr.Ok.Messages {
		left := gasLimit - min(gasLimit, res.GasUsed)
		wantReply := sm.ReplyOn == "always" || sm.ReplyOn == "success" || sm.ReplyOn == "error"
		if !wantReply && sm.ReplyOn != "" && sm.ReplyOn != "never" {
			return res, fmt.Errorf("message %d: %w: reply_on %q", i, ErrUnsupportedMsg, sm.ReplyOn)
		}
		sc := state.NewCache(s)
		sub, err := k.dispatch(ctx, sc, b, addr, sm, !out.Encrypted && plaintext, left, depth)
		res.GasUsed += sub.GasUsed
		if err != nil && (!wantReply || sm.ReplyOn == "success" || errors.Is(err, vm.ErrOutOfGas) || errors.Is(err, ErrCallDepth) || nodeFault(err)) {
			return res, fmt.Errorf("message %d: %w", i, err)
		}
		if err == nil {
			if werr := sc.Write(); werr != nil {
				return res, werr
			}
			res.Attributes = append(res.Attributes, sub.Attributes...)
			res.Events = append(res.Events, sub.Events...)
		}
		if !wantReply || (err == nil && sm.ReplyOn == "error") {
			continue
		}
		reply := vm.Reply{ID: sm.ID}
		if err != nil {
			e := err.Error()
			reply.Result.Err = &e
		} else {
			reply.Result.Ok = &vm.SubMsgResponse{Events: subEvents(sub), Data: sub.Data}
		}
		rj, jerr := json.Marshal(reply)
		if jerr != nil {
			return res, jerr
		}
		rr, err := k.callWith(ctx, s, b, "reply", addr, hash, caller{}, tx.Coin{}, rj, replyKeys, plaintext || !out.Encrypted,
			gasLimit-min(gasLimit, res.GasUsed), depth+1)
		res.GasUsed += rr.GasUsed
		if err != nil {
			return res, fmt.Errorf("reply to message %d: %w", i, err)
		}
		res.Attributes = append(res.Attributes, rr.Attributes...)
		res.Events = append(res.Events, rr.Events...)
		if rr.Data != nil {
			res.Data = rr.Data
		}
	}
	return res, nil
}

// nodeFault reports a failure of this node rather than of the call (its
// store, or an enclave without the network's seeds): never handed to a
// contract as a reply, since other nodes would not see it.
func nodeFault(err error) bool {
	return errors.Is(err, state.ErrStore) || errors.Is(err, enclave.ErrNoSeed)
}

// subEvents are a sub-call's outputs as a Reply carries them: the callee's
// attributes under a "wasm" event, and its own events (all still encrypted
// for the sender when the call was).
func subEvents(r Result) []vm.Event {
	if r.Callee.IsZero() {
		return []vm.Event{}
	}
	evs := []vm.Event{{Type: "wasm", Attributes: append([]vm.Attribute{{Key: "contract_address", Value: r.Callee.String()}}, r.Attributes...)}}
	for _, e := range r.Events {
		evs = append(evs, vm.Event{Type: "wasm-" + e.Type, Attributes: e.Attributes})
	}
	return evs
}

// finish turns the enclave's output into a Result, classifying failures,
// and returns the parsed result for its messages.
func (k *Keeper) finish(out enclave.Output, r *runner) (Result, vm.ContractResult, error) {
	res := Result{GasUsed: r.gasUsed, Encrypted: out.Encrypted}
	var cr vm.ContractResult
	if out.Failed {
		if errors.Is(r.vmErr, vm.ErrOutOfGas) {
			return res, cr, vm.ErrOutOfGas
		}
		if r.respErr != nil {
			// Says which rule the response broke, not what it held.
			return res, cr, r.respErr
		}
		msg := string(out.Data)
		if out.Encrypted {
			msg = EncryptedPrefix + base64.StdEncoding.EncodeToString(out.Data)
		}
		return res, cr, fmt.Errorf("%w: %s", ErrContractFailed, msg)
	}
	if err := json.Unmarshal(out.Data, &cr); err != nil || cr.Ok == nil {
		return res, cr, fmt.Errorf("%w: unreadable result", ErrContractFailed)
	}
	res.Data, res.Attributes, res.Events = cr.Ok.Data, cr.Ok.Attributes, cr.Ok.Events
	return res, cr, nil
}

// dispatch carries out a message a contract sent: a bank send from its
// balance, or a call of another contract (whose message the enclave has
// encrypted for it, unless the whole call is plaintext). Whatever the
// contract wrote, the outcome is a classified error at worst: a message
// that cannot be carried out wraps ErrInvalidMsg or ErrUnsupportedMsg.
func (k *Keeper) dispatch(ctx context.Context, s state.Store, b Block, from keys.ContractAddress, sm vm.SubMsg, plaintext bool, gasLimit uint64, depth int) (Result, error) {
	var w wasmExecute
	if json.Unmarshal(sm.Msg, &w) == nil && w.Wasm != nil && w.Wasm.Execute != nil {
		to, err := keys.ParseContractAddress(w.Wasm.Execute.ContractAddr)
		if err != nil {
			return Result{}, fmt.Errorf("%w: wasm execute: contract_addr: %v", ErrInvalidMsg, err)
		}
		funds, err := sumFunds(w.Wasm.Execute.Funds)
		if err != nil {
			return Result{}, fmt.Errorf("%w: wasm execute: %v", ErrInvalidMsg, err)
		}
		info, err := k.contract(s, to)
		if errors.Is(err, ErrUnknownContract) {
			return Result{}, fmt.Errorf("%w: wasm execute: %w", ErrInvalidMsg, err)
		}
		if err != nil {
			return Result{}, err
		}
		hash, err := k.codeHash(ctx, s, info.CodeID)
		if err != nil {
			return Result{}, err
		}
		return k.call(ctx, s, b, "execute", to, hash, contractCaller(from), funds, w.Wasm.Execute.Msg, plaintext, gasLimit, depth+1)
	}
	var msg struct {
		Bank *struct {
			Send *struct {
				ToAddress string    `json:"to_address"`
				Amount    []vm.Coin `json:"amount"`
			} `json:"send"`
		} `json:"bank"`
	}
	if err := json.Unmarshal(sm.Msg, &msg); err != nil || msg.Bank == nil || msg.Bank.Send == nil {
		return Result{}, fmt.Errorf("%w: %s", ErrUnsupportedMsg, firstKey(sm.Msg))
	}
	to, err := rawAddress(msg.Bank.Send.ToAddress)
	if err != nil {
		return Result{}, fmt.Errorf("%w: bank send: to_address: %v", ErrInvalidMsg, err)
	}
	amount, err := sumFunds(msg.Bank.Send.Amount)
	if err != nil {
		return Result{}, fmt.Errorf("%w: bank send: %v", ErrInvalidMsg, err)
	}
	if amount.Amount > 0 {
		if err := k.bank.Transfer(s, from[:], to, amount.Amount); err != nil {
			return Result{}, err
		}
	}
	return Result{}, nil
}

// sumFunds adds up coins a contract sends, all of which must be uherm with
// a decimal amount, without overflow.
func sumFunds(coins []vm.Coin) (tx.Coin, error) {
	total := tx.Coin{Denom: tx.Denom}
	for _, c := range coins {
		n, err := parseFunds(c)
		if err != nil {
			return tx.Coin{}, err
		}
		if total.Amount+n < total.Amount {
			return tx.Coin{}, fmt.Errorf("funds overflow")
		}
		total.Amount += n
	}
	return total, nil
}

func parseFunds(c vm.Coin) (uint64, error) {
	if c.Denom != tx.Denom {
		return 0, fmt.Errorf("funds in %q: this chain has only %s", c.Denom, tx.Denom)
	}
	n, err := strconv.ParseUint(c.Amount, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("funds amount %q: %w", c.Amount, err)
	}
	return n, nil
}

func rawAddress(s string) ([]byte, error) {
	if a, err := keys.ParseAddress(s); err == nil {
		return a[:], nil
	}
	c, err := keys.ParseContractAddress(s)
	if err != nil {
		return nil, err
	}
	return c[:], nil
}

// firstKey names a message's kind for an error: its first key in sorted
// order, so that every node writes the same text (a map's order would
// not), cut to a readable length.
func firstKey(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return "malformed"
	}
	if len(m) == 0 {
		return "empty"
	}
	name := slices.Min(slices.Collect(maps.Keys(m)))
	if len(name) > 64 {
		name = name[:64] + "…"
	}
	return strconv.Quote(name)
}

// Query runs a contract's query entry point on a read-only view of its
// state (msg encrypted unless plaintext) and returns the answer, encrypted
// for the sender unless plaintext.
func (k *Keeper) Query(ctx context.Context, s state.Store, b Block, addr keys.ContractAddress, msg []byte, plaintext bool, gasLimit uint64) ([]byte, uint64, error) {
	info, err := k.contract(s, addr)
	if err != nil {
		return nil, 0, err
	}
	hash, err := k.codeHash(ctx, s, info.CodeID)
	if err != nil {
		return nil, 0, err
	}
	e := env(b, addr)
	e.Transaction = nil
	r := &runner{vm: k.vm, call: vm.Call{Code: hash, Entry: "query", Env: e, GasLimit: gasLimit}}
	out, err := k.enclave.Query(ctx, enclave.Call{Contract: addr[:], CodeHash: hash, Input: msg, Plaintext: plaintext, State: contractStore(s, addr)}, r)
	if err != nil {
		return nil, r.gasUsed, fmt.Errorf("%w: %w", ErrInput, err)
	}
	if out.Failed {
		if errors.Is(r.vmErr, vm.ErrOutOfGas) {
			return nil, r.gasUsed, vm.ErrOutOfGas
		}
		if errors.Is(r.vmErr, context.DeadlineExceeded) || errors.Is(r.vmErr, context.Canceled) {
			return nil, r.gasUsed, r.vmErr // ctx ended the query, not the contract
		}
		m := string(out.Data)
		if out.Encrypted {
			m = EncryptedPrefix + base64.StdEncoding.EncodeToString(out.Data)
		}
		return nil, r.gasUsed, fmt.Errorf("%w: %s", ErrContractFailed, m)
	}
	return out.Data, r.gasUsed, nil
}
