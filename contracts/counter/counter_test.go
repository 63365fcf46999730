//go:build !wasip1

package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// maxCodeSize is the code size limit the integration tests give the VM: a
// Go contract that uses encoding/json is over 3 MiB (vm.DefaultMaxCodeSize)
// even stripped; see the contract package's documentation.
const maxCodeSize = 8 << 20

func addr(t testing.TB, b byte) string {
	s, err := keys.EncodeBech32(keys.AddressPrefix, bytesOf(b, 20))
	require.NoError(t, err)
	return s
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

// harness runs the counter in the real VM on a fresh state.
type harness struct {
	t      testing.TB
	v      *vm.VM
	code   vm.Code
	store  state.Store
	height uint64
	env    vm.Env
	gas    []uint64 // gas of every call, in order
	wall   []time.Duration
}

// The VM and the stored counter are shared by the tests of this binary:
// compiling the module is the slow part (about 2 s).
var (
	vmOnce   sync.Once
	sharedVM *vm.VM
	vmErr    error
)

func counterVM(t testing.TB) (*vm.VM, vm.Code) {
	t.Helper()
	wasm := contracttest.Build(t, ".")
	vmOnce.Do(func() {
		// No cache directory: compiled code stays in memory for the
		// binary's lifetime.
		sharedVM, vmErr = vm.New(context.Background(), vm.Config{MaxCodeSize: maxCodeSize})
	})
	require.NoError(t, vmErr)
	code, err := sharedVM.Store(context.Background(), wasm) // cheap after the first time
	require.NoError(t, err)
	return sharedVM, code
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	v, code := counterVM(t)
	require.Equal(t, []string{"iterator"}, code.Capabilities)
	require.Equal(t, []string{"instantiate", "execute", "query", "migrate", "reply"}, code.EntryPoints)
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	contractAddr, err := keys.EncodeBech32(keys.AddressPrefix, bytesOf(0xC0, 32))
	require.NoError(t, err)
	return &harness{t: t, v: v, code: code, store: state.NewCache(tr), height: 100, env: vm.Env{
		Block:       vm.BlockInfo{Height: 100, Time: "1700000000000000000", ChainID: "hermetic-test"},
		Transaction: &vm.TransactionInfo{Index: 0},
		Contract:    vm.ContractInfo{Address: contractAddr},
	}}
}

// call runs an entry point at the current height; sender is for
// instantiate and execute.
func (h *harness) call(entry, sender, msg string) (string, uint64) {
	h.t.Helper()
	env := h.env
	env.Block.Height = h.height
	env.Block.Time = fmt.Sprint(1_700_000_000_000_000_000 + h.height*5_000_000_000)
	c := vm.Call{Code: h.code.Hash, Entry: entry, Env: env, Msg: []byte(msg), Store: h.store, GasLimit: 1 << 40}
	if entry == "query" {
		c.Env.Transaction = nil
	}
	if sender != "" {
		c.Info = &vm.MessageInfo{Sender: sender, Funds: []vm.Coin{}}
	}
	start := time.Now()
	res, err := h.v.Call(context.Background(), c)
	h.wall = append(h.wall, time.Since(start))
	require.NoError(h.t, err, "%s %s", entry, msg)
	h.gas = append(h.gas, res.GasUsed)
	return string(res.JSON), res.GasUsed
}

// query returns the decoded answer of a successful query.
func (h *harness) query(msg string) string {
	h.t.Helper()
	out, _ := h.call("query", "", msg)
	var qr struct {
		Ok    []byte  `json:"ok"`
		Error *string `json:"error"`
	}
	require.NoError(h.t, json.Unmarshal([]byte(out), &qr), out)
	require.Nil(h.t, qr.Error, out)
	return string(qr.Ok)
}

// scenario is the sequence the tests run: instantiate with 5, two
// increments in blocks 101 and 102, a rejected reset and a third increment
// in block 103, then queries. It returns the gas of every call.
func scenario(t *testing.T, h *harness) []uint64 {
	owner, other := addr(t, 1), addr(t, 2)

	out, _ := h.call("instantiate", owner, `{"count":5}`)
	require.JSONEq(t, `{"ok":{"messages":[],"attributes":[
		{"key":"action","value":"instantiate"},{"key":"owner","value":"`+owner+`"},{"key":"count","value":"5"}],"events":[]}}`, out)

	for range 2 {
		h.height++
		out, _ = h.call("execute", other, `{"increment":{}}`)
		var res vm.ContractResult
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		require.NotNil(t, res.Ok, out)
		require.Equal(t, vm.Attribute{Key: "action", Value: "increment"}, res.Ok.Attributes[0])
	}
	require.JSONEq(t, `{"count":7}`, h.query(`{"get_count":{}}`))

	out, _ = h.call("execute", other, `{"reset":{"count":0}}`)
	require.JSONEq(t, `{"error":"unauthorized"}`, out)
	require.JSONEq(t, `{"count":7}`, h.query(`{"get_count":{}}`))

	h.height++
	h.call("execute", other, `{"increment":{}}`)
	require.JSONEq(t, `{"entries":[{"height":101,"count":6},{"height":102,"count":7},{"height":103,"count":8}]}`,
		h.query(`{"history":{}}`))
	require.JSONEq(t, `{"entries":[{"height":103,"count":8},{"height":102,"count":7}]}`,
		h.query(`{"history":{"limit":2,"descending":true}}`))

	out, _ = h.call("execute", owner, `{"reset":{"count":42}}`)
	require.Contains(t, out, `{"key":"action","value":"reset"}`)
	require.JSONEq(t, `{"count":42}`, h.query(`{"get_count":{}}`))

	out, _ = h.call("execute", owner, `{"launch":{}}`)
	require.JSONEq(t, `{"error":"unknown execute message \"launch\""}`, out)
	out, _ = h.call("migrate", "", `{}`)
	require.JSONEq(t, `{"error":"contract has no migrate entry point"}`, out)
	return h.gas
}

func TestCounterInVM(t *testing.T) {
	h := newHarness(t)
	gas := scenario(t, h)

	// The same calls on a fresh state use exactly the same gas.
	h2 := newHarness(t)
	require.Equal(t, gas, scenario(t, h2))

	var total time.Duration
	for i, g := range gas {
		t.Logf("call %2d: gas %11d, wall %v", i, g, h.wall[i])
		total += h.wall[i]
	}
	t.Logf("%d calls, mean wall %v; wasm %d bytes", len(gas), total/time.Duration(len(gas)), len(contracttest.Build(t, ".")))
}

func TestCounterQueryBeforeInstantiate(t *testing.T) {
	// A missing state is an error result, not a trap.
	h := newHarness(t)
	out, _ := h.call("query", "", `{"get_count":{}}`)
	require.Contains(t, out, `"error":"not found`)
}

func TestCounterRejectsBadSender(t *testing.T) {
	h := newHarness(t)
	out, _ := h.call("instantiate", "not-an-address", `{"count":1}`)
	require.Contains(t, out, `{"error":"sender: invalid address`)
}

// TestCounterOnHost runs the handlers without the VM, through
// contract.Dispatch and the SDK's test doubles.
func TestCounterOnHost(t *testing.T) {
	deps := contract.MockDeps()
	env := func(h uint64) []byte {
		return []byte(fmt.Sprintf(`{"block":{"height":%d,"time":"1700000000000000000","chain_id":"t"},"transaction":{"index":0},"contract":{"address":"herm1c"}}`, h))
	}
	info := func(s string) []byte { return []byte(`{"sender":"` + s + `","funds":[]}`) }

	out := contract.Dispatch("instantiate", deps, env(1), info("alice"), []byte(`{"count":5}`))
	require.Contains(t, string(out), `"ok"`)
	out = contract.Dispatch("execute", deps, env(2), info("bob"), []byte(`{"increment":{}}`))
	require.Contains(t, string(out), `{"key":"action","value":"increment"}`)
	out = contract.Dispatch("execute", deps, env(3), info("bob"), []byte(`{"reset":{"count":1}}`))
	require.JSONEq(t, `{"error":"unauthorized"}`, string(out))
	out = contract.Dispatch("query", deps, env(3), nil, []byte(`{"get_count":{}}`))
	require.JSONEq(t, `{"ok":"`+base64.StdEncoding.EncodeToString([]byte(`{"count":6}`))+`"}`, string(out))
	out = contract.Dispatch("query", deps, env(3), nil, []byte(`{"history":{}}`))
	require.JSONEq(t, `{"ok":"`+base64.StdEncoding.EncodeToString([]byte(`{"entries":[{"height":2,"count":6}]}`))+`"}`, string(out))
}
