//go:build !wasip1

package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/contract/contracttest/vmtest"
	"github.com/hermetic-chain/hermetic/vm"
)

// harness runs the counter in the real VM (vmtest.Harness).
type harness struct{ *vmtest.Harness }

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := vmtest.New(t, ".")
	require.Equal(t, []string{"iterator"}, h.Code.Capabilities)
	require.Equal(t, []string{"instantiate", "execute", "query", "migrate", "reply"}, h.Code.EntryPoints)
	return &harness{h}
}

// call runs an entry point at the current height (vmtest.Harness.Call);
// sender is for instantiate and execute.
func (h *harness) call(entry, sender, msg string) (string, uint64) {
	h.T.Helper()
	out, gas := h.Call(entry, sender, msg)
	return string(out), gas
}

// scenario is the sequence the tests run: instantiate with 5, two
// increments in blocks 101 and 102, a rejected reset and a third increment
// in block 103, then queries. It returns the gas of every call.
func scenario(t *testing.T, h *harness) []uint64 {
	owner, other := contracttest.Account(t, 1), contracttest.Account(t, 2)

	out, _ := h.call("instantiate", owner, `{"count":5}`)
	require.JSONEq(t, `{"ok":{"messages":[],"attributes":[
		{"key":"action","value":"instantiate"},{"key":"owner","value":"`+owner+`"},{"key":"count","value":"5"}],"events":[]}}`, out)

	for range 2 {
		h.Height++
		out, _ = h.call("execute", other, `{"increment":{}}`)
		var res vm.ContractResult
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		require.NotNil(t, res.Ok, out)
		require.Equal(t, vm.Attribute{Key: "action", Value: "increment"}, res.Ok.Attributes[0])
	}
	require.JSONEq(t, `{"count":7}`, h.QueryOK(`{"get_count":{}}`))

	out, _ = h.call("execute", other, `{"reset":{"count":0}}`)
	require.JSONEq(t, `{"error":"unauthorized"}`, out)
	require.JSONEq(t, `{"count":7}`, h.QueryOK(`{"get_count":{}}`))

	h.Height++
	h.call("execute", other, `{"increment":{}}`)
	require.JSONEq(t, `{"entries":[{"height":101,"count":6},{"height":102,"count":7},{"height":103,"count":8}]}`,
		h.QueryOK(`{"history":{}}`))
	require.JSONEq(t, `{"entries":[{"height":103,"count":8},{"height":102,"count":7}]}`,
		h.QueryOK(`{"history":{"limit":2,"descending":true}}`))

	out, _ = h.call("execute", owner, `{"reset":{"count":42}}`)
	require.Contains(t, out, `{"key":"action","value":"reset"}`)
	require.JSONEq(t, `{"count":42}`, h.QueryOK(`{"get_count":{}}`))

	out, _ = h.call("execute", owner, `{"launch":{}}`)
	require.JSONEq(t, `{"error":"unknown execute message \"launch\""}`, out)
	out, _ = h.call("migrate", "", `{}`)
	require.JSONEq(t, `{"error":"contract has no migrate entry point"}`, out)
	return h.Gas
}

func TestCounterInVM(t *testing.T) {
	h := newHarness(t)
	gas := scenario(t, h)

	// The same calls on a fresh state use exactly the same gas.
	h2 := newHarness(t)
	require.Equal(t, gas, scenario(t, h2))

	var total time.Duration
	for i, g := range gas {
		t.Logf("call %2d: gas %11d, wall %v", i, g, h.Wall[i])
		total += h.Wall[i]
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
