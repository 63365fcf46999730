//go:build !wasip1

package contract_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// The SDK's ABI glue in the real VM, through contract/internal/sdktest.

type querier func(req []byte) ([]byte, error)

func (q querier) QueryChain(_ context.Context, req []byte) ([]byte, error) { return q(req) }

type sdkHarness struct {
	t      *testing.T
	v      *vm.VM
	code   vm.Code
	store  state.Store
	env    vm.Env
	debugs []string
	q      vm.Querier
}

// One VM for the binary's tests: compiling a Go contract takes seconds.
var (
	vmOnce   sync.Once
	sharedVM *vm.VM
	vmErr    error
)

func newSDKHarness(t *testing.T) *sdkHarness {
	ctx := context.Background()
	wasm := contracttest.Build(t, "./internal/sdktest")
	vmOnce.Do(func() { sharedVM, vmErr = vm.New(ctx, vm.Config{MaxCodeSize: 8 << 20}) })
	require.NoError(t, vmErr)
	v := sharedVM
	code, err := v.Store(ctx, wasm)
	require.NoError(t, err)
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return &sdkHarness{t: t, v: v, code: code, store: state.NewCache(tr), env: vm.Env{
		Block:       vm.BlockInfo{Height: 7, Time: "1700000000123456789", ChainID: "sdk-test"},
		Transaction: &vm.TransactionInfo{},
		Contract:    vm.ContractInfo{Address: "herm1contract"},
	}}
}

// exec runs an execute message and returns the response's data, or the
// error result's message prefixed "error: ".
func (h *sdkHarness) exec(msg string) (string, error) {
	h.t.Helper()
	res, err := h.v.Call(context.Background(), vm.Call{
		Code: h.code.Hash, Entry: "execute", Env: h.env, Info: &vm.MessageInfo{Sender: "herm1s", Funds: []vm.Coin{}},
		Msg: []byte(msg), Store: h.store, GasLimit: 1 << 40, Querier: h.q,
		Debug: func(s string) { h.debugs = append(h.debugs, s) },
	})
	if err != nil {
		return "", err
	}
	var r vm.ContractResult
	require.NoError(h.t, json.Unmarshal(res.JSON, &r), string(res.JSON))
	if r.Err != nil {
		return "error: " + *r.Err, nil
	}
	return string(r.Ok.Data), nil
}

func (h *sdkHarness) must(msg string) string {
	h.t.Helper()
	out, err := h.exec(msg)
	require.NoError(h.t, err, msg)
	require.False(h.t, strings.HasPrefix(out, "error: "), "%s: %s", msg, out)
	return out
}

func b64(b []byte) string { return `"` + base64.StdEncoding.EncodeToString(b) + `"` }

func TestSDKInVM(t *testing.T) {
	h := newSDKHarness(t)

	t.Run("storage", func(t *testing.T) {
		h.t = t
		h.must(`{"set":[{"key":"a","value":"1"},{"key":"b","value":"2"},{"key":"c","value":"3"},{"key":"d","value":"4"}]}`)
		require.Equal(t, `"2"`, h.must(`{"get":"b"}`))
		require.Equal(t, `null`, h.must(`{"get":"zz"}`))
		require.Equal(t, `true`, h.must(`{"remove":"c"}`))
		require.JSONEq(t, `[{"key":"a","value":"1"},{"key":"b","value":"2"},{"key":"d","value":"4"}]`, h.must(`{"range":{}}`))
		require.JSONEq(t, `[{"key":"d","value":"4"},{"key":"b","value":"2"}]`, h.must(`{"range":{"Start":"b","Desc":true}}`))
		require.JSONEq(t, `[{"key":"a","value":"1"}]`, h.must(`{"range":{"End":"b"}}`))
		require.JSONEq(t, `[{"key":"b","value":"2"}]`, h.must(`{"range":{"Start":"b","Limit":1}}`))
		require.JSONEq(t, `[]`, h.must(`{"range":{"Start":"x"}}`))
	})

	t.Run("stress", func(t *testing.T) {
		h.t = t
		require.Equal(t, `300`, h.must(`{"stress":300}`))
	})

	t.Run("addresses", func(t *testing.T) {
		h.t = t
		canon := make([]byte, 20)
		canon[0] = 9
		human, err := keys.EncodeBech32(keys.AddressPrefix, canon)
		require.NoError(t, err)
		require.JSONEq(t, `{"validate":"","canonical":`+b64(canon)+`,"canonicalize_error":"","human":"`+human+`","humanize_error":"",
			"bad_humanize_error":"invalid canonical address of 3 bytes, want 20 or 32"}`, h.must(`{"addr":"`+human+`"}`))
		out := h.must(`{"addr":"cosmos1xyz"}`)
		require.Contains(t, out, `"validate":"invalid address \"cosmos1xyz\"`)
		require.Contains(t, out, `"canonical":null`)
	})

	t.Run("secp256k1", func(t *testing.T) {
		h.t = t
		priv, err := secp256k1.GeneratePrivateKey()
		require.NoError(t, err)
		hash := sha256.Sum256([]byte("message"))
		compact := ecdsa.SignCompact(priv, hash[:], false) // [27+recid] r s
		sig, param := compact[1:], compact[0]-27
		pub := priv.PubKey().SerializeCompressed()
		out := h.must(fmt.Sprintf(`{"secp256k1":{"Hash":%s,"Sig":%s,"Pub":%s,"Param":%d}}`, b64(hash[:]), b64(sig), b64(pub), param))
		require.JSONEq(t, `{"verified":true,"error":"","recovered":`+b64(priv.PubKey().SerializeUncompressed())+`,"recover_error":""}`, out)
		other := sha256.Sum256([]byte("other"))
		out = h.must(fmt.Sprintf(`{"secp256k1":{"Hash":%s,"Sig":%s,"Pub":%s,"Param":%d}}`, b64(other[:]), b64(sig), b64(pub), param))
		require.Contains(t, out, `"verified":false`)
		out = h.must(fmt.Sprintf(`{"secp256k1":{"Hash":%s,"Sig":%s,"Pub":%s,"Param":5}}`, b64(hash[:3]), b64(sig), b64(pub)))
		require.Contains(t, out, `"error":"crypto error: invalid hash format"`)
		require.Contains(t, out, `"recover_error":"crypto error: invalid hash format"`)
		out = h.must(fmt.Sprintf(`{"secp256k1":{"Hash":%s,"Sig":%s,"Pub":%s,"Param":5}}`, b64(hash[:]), b64(sig), b64(pub)))
		require.Contains(t, out, `"recover_error":"crypto error: invalid recovery parameter"`)
	})

	t.Run("ed25519", func(t *testing.T) {
		h.t = t
		pub, priv, err := ed25519.GenerateKey(nil)
		require.NoError(t, err)
		m1, m2 := []byte("one"), []byte("two")
		s1, s2 := ed25519.Sign(priv, m1), ed25519.Sign(priv, m2)
		out := h.must(fmt.Sprintf(`{"ed25519":{"Msgs":[%s,%s],"Sigs":[%s,%s],"Pubs":[%s]}}`, b64(m1), b64(m2), b64(s1), b64(s2), b64(pub)))
		require.JSONEq(t, `{"verified":true,"error":"","batch":true,"batch_error":""}`, out)
		out = h.must(fmt.Sprintf(`{"ed25519":{"Msgs":[%s,%s],"Sigs":[%s,%s],"Pubs":[%s]}}`, b64(m1), b64(m2), b64(s1), b64(s1), b64(pub)))
		require.JSONEq(t, `{"verified":true,"error":"","batch":false,"batch_error":""}`, out)
		out = h.must(fmt.Sprintf(`{"ed25519":{"Msgs":[%s],"Sigs":[%s],"Pubs":[%s]}}`, b64(m1), b64(s1[:10]), b64(pub)))
		require.JSONEq(t, `{"verified":false,"error":"crypto error: invalid signature format","batch":false,"batch_error":"crypto error: invalid signature format"}`, out)
	})

	t.Run("debug", func(t *testing.T) {
		h.t = t
		h.must(`{"debug":"hello from Go"}`)
		require.Equal(t, []string{"hello from Go"}, h.debugs)
	})

	t.Run("querier", func(t *testing.T) {
		h.t = t
		out := h.must(`{"query_contract":{"Addr":"herm1other","Msg":{"x":1}}}`)
		require.JSONEq(t, `{"answer":"","error":"query system error: {\"unsupported_request\":{\"kind\":\"no querier\"}}","system":true,"queried":false}`, out)
		var got []byte
		h.q = querier(func(req []byte) ([]byte, error) {
			got = req
			if strings.Contains(string(req), "herm1bad") {
				return []byte(`{"ok":{"error":"bad query"}}`), nil
			}
			return []byte(`{"ok":{"ok":` + b64([]byte(`{"n":3}`)) + `}}`), nil
		})
		defer func() { h.q = nil }()
		out = h.must(`{"query_contract":{"Addr":"herm1other","Msg":{"x":1}}}`)
		require.JSONEq(t, `{"answer":"{\"n\":3}","error":"","system":false,"queried":false}`, out)
		require.JSONEq(t, `{"wasm":{"smart":{"contract_addr":"herm1other","msg":`+b64([]byte(`{"x":1}`))+`}}}`, string(got))
		out = h.must(`{"query_contract":{"Addr":"herm1bad","Msg":{}}}`)
		require.JSONEq(t, `{"answer":"","error":"queried contract error: bad query","system":false,"queried":true}`, out)
	})

	t.Run("failures", func(t *testing.T) {
		h.t = t
		out, err := h.exec(`{"panic":{}}`)
		require.NoError(t, err)
		require.Equal(t, "error: panic: handler panicked", out)
		out, err = h.exec(`{"nope":{}}`)
		require.NoError(t, err)
		require.Equal(t, `error: unknown message "nope"`, out)
		out, err = h.exec(`not json`)
		require.NoError(t, err)
		require.Contains(t, out, "error: message: invalid character")
		_, err = h.exec(`{"abort":{}}`)
		require.ErrorIs(t, err, vm.ErrTrap)
		require.ErrorContains(t, err, "giving up")
		out, err = h.exec(`{"write_empty":{}}`)
		require.NoError(t, err)
		require.Equal(t, "error: panic: contract: Storage.Set with an empty value", out)
	})

	t.Run("clock and randomness", func(t *testing.T) {
		h.t = t
		var a, b struct {
			Now, Block int64
			Rand       []byte
		}
		require.NoError(t, json.Unmarshal([]byte(h.must(`{"clock":{}}`)), &a))
		require.NoError(t, json.Unmarshal([]byte(h.must(`{"clock":{}}`)), &b))
		require.Equal(t, int64(1700000000123456789), a.Block)
		require.Equal(t, a.Block, a.Now, "time.Now() is the block time")
		require.Equal(t, a, b, "crypto/rand is the same stream in the same block")
		h.env.Block.Height++
		require.NoError(t, json.Unmarshal([]byte(h.must(`{"clock":{}}`)), &b))
		require.NotEqual(t, a.Rand, b.Rand, "and another in the next block")
		h.env.Block.Height--
	})

	t.Run("query is padded", func(t *testing.T) {
		h.t = t
		res, err := h.v.Call(context.Background(), vm.Call{Code: h.code.Hash, Entry: "query", Env: h.env,
			Msg: []byte(`{"get":"a"}`), Store: h.store, GasLimit: 1 << 40})
		require.NoError(t, err)
		var q vm.QueryResult
		require.NoError(t, json.Unmarshal(res.JSON, &q))
		require.Equal(t, `"1"`+strings.Repeat(" ", 29), string(q.Ok))
	})
}

// TestSDKRangeThenWrite writes while an earlier iterator of the same call is
// still open in the host (the VM closes iterators only when the call ends),
// on the node's two kinds of store.
func TestSDKRangeThenWrite(t *testing.T) {
	for _, cached := range []bool{true, false} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			h := newSDKHarness(t)
			tr, err := state.Open(t.TempDir(), state.Options{})
			require.NoError(t, err)
			t.Cleanup(func() { tr.Close() })
			h.store = tr
			if cached {
				h.store = state.NewCache(tr)
			}
			h.must(`{"set":[{"key":"a","value":"1"},{"key":"b","value":"2"}]}`)
			require.Equal(t, "22", h.must(`{"range_then_write":{}}`))
		})
	}
}
