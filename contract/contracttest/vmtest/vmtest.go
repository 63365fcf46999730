//go:build !wasip1

// Package vmtest runs a contract, built with contracttest.Build, in
// Hermetic's VM (package vm) for the contract's tests, so that they see its
// real gas and the host's real address and signature checks.
//
// It is apart from contracttest because package vm's own tests build
// contracts with contracttest: contracttest cannot import vm.
package vmtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// MaxCodeSize is the code size limit the shared VM has: a Go contract using
// encoding/json is over vm.DefaultMaxCodeSize even stripped (see package
// contract's documentation).
const MaxCodeSize = 8 << 20

// The block of a call: the chain, and the time of each height.
const (
	ChainID = "hermetic-test"
	// BaseTime is the block time at height 0, in nanoseconds since the
	// Unix epoch; each height adds BlockInterval.
	BaseTime      = 1_700_000_000_000_000_000
	BlockInterval = 5_000_000_000
)

// BlockTime is the block time, in nanoseconds, of height.
func BlockTime(height uint64) uint64 { return BaseTime + height*BlockInterval }

// The VM is shared by the tests of a binary: compiling a module is the slow
// part (about 2 s), storing it again is cheap. It has no cache directory,
// so compiled code stays in memory for the binary's lifetime.
var (
	vmOnce   sync.Once
	sharedVM *vm.VM
	vmErr    error
)

// Store builds the contract package in dir (see contracttest.Build) and
// stores it in the VM the binary's tests share, whose code size limit is
// MaxCodeSize.
func Store(t testing.TB, dir string) (*vm.VM, vm.Code) {
	t.Helper()
	wasm := contracttest.Build(t, dir)
	vmOnce.Do(func() {
		sharedVM, vmErr = vm.New(context.Background(), vm.Config{MaxCodeSize: MaxCodeSize})
	})
	require.NoError(t, vmErr)
	code, err := sharedVM.Store(context.Background(), wasm)
	require.NoError(t, err)
	return sharedVM, code
}

// Harness runs a stored contract on a fresh state at height 100, with
// the address contracttest.ContractAddress(t, 0xC0). Calls run on the
// store directly, with no rollback of failed calls, so a test can check
// (with Snapshot) that the contract never writes before it fails.
type Harness struct {
	T      testing.TB
	VM     *vm.VM
	Code   vm.Code
	Store  state.Store
	Height uint64          // the block height of the next call
	Self   string          // the contract's address
	Gas    []uint64        // the gas of every call, in order
	Wall   []time.Duration // the wall time of every call, in order

	// PadBlock, if not 0, is the block size the data of every execute
	// Exec runs and every answer QueryOK gets must be padded to.
	PadBlock int
}

// New stores the contract package in dir (see Store) and returns a
// harness for it on a fresh state, which the test's cleanup closes.
func New(t testing.TB, dir string) *Harness {
	t.Helper()
	v, code := Store(t, dir)
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return &Harness{T: t, VM: v, Code: code, Store: state.NewCache(tr), Height: 100, Self: contracttest.ContractAddress(t, 0xC0)}
}

// Call runs an entry point in a block at h.Height (time BlockTime) with a
// gas limit of 2⁴⁰ and returns the result's JSON and the gas used; it
// fails the test if the VM fails (a trap, not an error result). A query
// has no transaction; sender, if not empty, is the message's sender (for
// instantiate and execute).
func (h *Harness) Call(entry, sender, msg string) ([]byte, uint64) {
	h.T.Helper()
	env := vm.Env{
		Block:       vm.BlockInfo{Height: h.Height, Time: fmt.Sprint(BlockTime(h.Height)), ChainID: ChainID},
		Transaction: &vm.TransactionInfo{Index: 0},
		Contract:    vm.ContractInfo{Address: h.Self},
	}
	c := vm.Call{Code: h.Code.Hash, Entry: entry, Env: env, Msg: []byte(msg), Store: h.Store, GasLimit: 1 << 40}
	if entry == "query" {
		c.Env.Transaction = nil
	}
	if sender != "" {
		c.Info = &vm.MessageInfo{Sender: sender, Funds: []vm.Coin{}}
	}
	start := time.Now()
	res, err := h.VM.Call(context.Background(), c)
	h.Wall = append(h.Wall, time.Since(start))
	require.NoError(h.T, err, "%s %s", entry, msg)
	h.Gas = append(h.Gas, res.GasUsed)
	return res.JSON, res.GasUsed
}

// Result is an execute's outcome: the response and its data (padding
// trimmed), or the error result's message.
type Result struct {
	Response *vm.Response
	Data     string
	Err      string
	Gas      uint64
}

// Exec runs an execute message {name: ...} from sender. A contract that
// hides what it did answers every execute alike, and Exec checks that it
// does: the response has the one attribute action=name and data, padded to
// PadBlock.
func (h *Harness) Exec(sender, msg string) Result {
	h.T.Helper()
	out, gas := h.Call("execute", sender, msg)
	var cr vm.ContractResult
	require.NoError(h.T, json.Unmarshal(out, &cr), string(out))
	if cr.Err != nil {
		return Result{Err: *cr.Err, Gas: gas}
	}
	require.NotNil(h.T, cr.Ok, string(out))
	name := msg[2 : strings.IndexByte(msg[2:], '"')+2]
	require.Equal(h.T, []vm.Attribute{{Key: "action", Value: name}}, cr.Ok.Attributes, msg)
	require.NotEmpty(h.T, cr.Ok.Data, msg)
	h.checkPadded("data", cr.Ok.Data)
	return Result{Response: cr.Ok, Data: strings.TrimRight(string(cr.Ok.Data), " "), Gas: gas}
}

// OK runs an execute that must succeed and returns its data.
func (h *Harness) OK(sender, msg string) string {
	h.T.Helper()
	r := h.Exec(sender, msg)
	require.Empty(h.T, r.Err, msg)
	return r.Data
}

// Fails runs an execute that must fail and returns its error.
func (h *Harness) Fails(sender, msg string) string {
	h.T.Helper()
	r := h.Exec(sender, msg)
	require.NotEmpty(h.T, r.Err, "%s succeeded: %s", msg, r.Data)
	return r.Err
}

// Query runs a query and returns its answer (trailing spaces, padding,
// trimmed) or its error.
func (h *Harness) Query(msg string) (answer, err string) {
	h.T.Helper()
	qr := h.query(msg)
	if qr.Err != nil {
		return "", *qr.Err
	}
	return strings.TrimRight(string(qr.Ok), " "), ""
}

// QueryOK runs a query that must succeed, with an answer padded to
// PadBlock, and returns the answer, padding trimmed.
func (h *Harness) QueryOK(msg string) string {
	h.T.Helper()
	qr := h.query(msg)
	if qr.Err != nil {
		require.FailNow(h.T, "query failed", "%s: %s", msg, *qr.Err)
	}
	h.checkPadded("answer", qr.Ok)
	return strings.TrimRight(string(qr.Ok), " ")
}

func (h *Harness) query(msg string) vm.QueryResult {
	h.T.Helper()
	out, _ := h.Call("query", "", msg)
	var qr vm.QueryResult
	require.NoError(h.T, json.Unmarshal(out, &qr), string(out))
	return qr
}

// QueryFails runs a query that must fail and returns its error.
func (h *Harness) QueryFails(msg string) string {
	h.T.Helper()
	a, err := h.Query(msg)
	require.NotEmpty(h.T, err, "%s answered: %s", msg, a)
	return err
}

func (h *Harness) checkPadded(what string, b []byte) {
	h.T.Helper()
	if h.PadBlock != 0 {
		require.Zero(h.T, len(b)%h.PadBlock, "%s of %d bytes is not padded", what, len(b))
	}
}

// Snapshot is every key and value of the store.
func (h *Harness) Snapshot() map[string]string {
	h.T.Helper()
	it, err := h.Store.Iterator(nil, nil, false)
	require.NoError(h.T, err)
	defer it.Close()
	out := map[string]string{}
	for ; it.Valid(); it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	require.NoError(h.T, it.Error())
	return out
}
