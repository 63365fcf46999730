package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// echoContract answers execute with its stored instantiate message as data
// and fails with {"error":"no"} when the message starts with 'f'.
func echoContract(t testing.TB) []byte {
	fail := `{"error":"no"}`
	ok := `{"ok":{"messages":[],"attributes":[{"key":"k","value":"v"}],"events":[],"data":"c2VjcmV0"}}`
	bin, err := wat.Compile(fmt.Sprintf(`(module
  (import "env" "db_write" (func $db_write (param i32 i32)))
`+wat.ContractPrelude+`  (data (i32.const 1000) "m")
  (data (i32.const 1024) %q)
  (data (i32.const 2048) %q)
  (func (export "instantiate") (param i32) (param i32) (param $msg i32) (result i32)
    (call $db_write (call $region (i32.const 1000) (i32.const 1)) (local.get $msg))
    (call $region (i32.const 1024) (i32.const %d)))
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (i32.load (local.get $msg))) (i32.const 102))
      (then (call $region (i32.const 2048) (i32.const %d)))
      (else (call $region (i32.const 1024) (i32.const %d))))))`, ok, fail, len(ok), len(fail), len(ok)))
	require.NoError(t, err)
	return bin
}

// TestContractTransactions runs the compute messages through blocks: store,
// an encrypted instantiate and execute whose data and attributes only the
// sender reads, a contract error that comes back encrypted, and refusals.
func TestContractTransactions(t *testing.T) {
	h := newHarness(t)
	seq := uint64(0)
	send := func(k keys.PrivKey, m tx.Msg) (code uint32, log string, data []byte, events string) {
		t.Helper()
		raw := h.txWith(k, func(t *tx.Tx) { t.Sequence = seq; t.GasLimit = 5_000_000; t.Fee.Amount = 50_000 }, m)
		seq++
		r := h.block(raw).TxResults[0]
		evs, _ := json.Marshal(r.Events)
		return r.Code, r.Log, r.Data, string(evs)
	}
	alice := h.alice.PubKey().Address()
	code, log, data, _ := send(h.alice, &tx.MsgStoreCode{Sender: alice, WASM: echoContract(t)})
	require.Zero(t, code, log)
	require.Contains(t, string(data), base64.StdEncoding.EncodeToString([]byte("1")))
	info, err := h.app.CodeInfo(1)
	require.NoError(t, err)
	hash, err := info.Hash()
	require.NoError(t, err)

	nk, err := h.enc.NetworkKeys()
	require.NoError(t, err)
	enc := func(msg string) ([]byte, *cryptobox.Session) {
		w, s, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, hash, []byte(msg))
		require.NoError(t, err)
		return w, s
	}
	wire, _ := enc(`{"sensor":"line-3"}`)
	code, log, data, _ = send(h.alice, &tx.MsgInstantiate{Sender: alice, CodeID: 1, Label: "echo", Admin: alice, Msg: wire})
	require.Zero(t, code, log)
	var datas [][]byte
	require.NoError(t, json.Unmarshal(data, &datas))
	contractStr, _, _ := strings.Cut(string(datas[0]), "\n")
	contract, err := keys.ParseContractAddress(contractStr)
	require.NoError(t, err)

	wire, sess := enc(`{"go":{}}`)
	code, log, data, events := send(h.alice, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wire})
	require.Zero(t, code, log)
	require.NoError(t, json.Unmarshal(data, &datas))
	pt, err := sess.DecryptOutput(datas[0])
	require.NoError(t, err)
	require.Equal(t, "secret", string(pt))
	require.NotContains(t, events, `"v"`)
	require.Contains(t, events, contract.String())

	wire, sess = enc(`fail`)
	code, log, _, _ = send(h.alice, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wire})
	require.Equal(t, Code(ErrContractFailed), code, log)
	_, b64, ok := strings.Cut(log, "encrypted: ")
	require.True(t, ok, log)
	ct, err := base64.StdEncoding.DecodeString(b64)
	require.NoError(t, err)
	pt, err = sess.DecryptOutput(ct)
	require.NoError(t, err)
	require.Contains(t, string(pt), "no")

	// CheckTx does not run contracts: it checks the transaction and that
	// the contract exists.
	chk := func(k keys.PrivKey, seq uint64, m tx.Msg) uint32 {
		raw := h.txWith(k, func(t *tx.Tx) { t.Sequence = seq; t.GasLimit = 5_000_000; t.Fee.Amount = 50_000 }, m)
		return h.check(raw).Code
	}
	require.Zero(t, chk(h.alice, seq, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wire}), "a call that will fail in the block passes CheckTx")
	bob := h.bob.PubKey().Address()
	require.Equal(t, Code(ErrNoContract), chk(h.bob, 0, &tx.MsgExecute{Sender: bob, Contract: keys.ContractAddress{3}, Msg: wire}))

	// Refusals, each with its own code.
	other := hash
	other[0] ^= 1
	wrong, _, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, other, []byte(`{}`))
	require.NoError(t, err)
	cases := []struct {
		name string
		msg  tx.Msg
		want error
	}{
		{"wrong code hash", &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wrong}, cryptobox.ErrWrongCodeHash},
		{"unknown contract", &tx.MsgExecute{Sender: alice, Contract: keys.ContractAddress{1}, Msg: wire}, ErrNoContract},
		{"unknown code", &tx.MsgInstantiate{Sender: alice, CodeID: 7, Label: "x", Msg: wire}, ErrUnknownCode},
		{"invalid code", &tx.MsgStoreCode{Sender: alice, WASM: []byte("not wasm")}, ErrInvalidCode},
		{"migrate by a non-admin", &tx.MsgMigrate{Sender: h.bob.PubKey().Address(), Contract: contract, CodeID: 1, Msg: []byte(`{}`), Plaintext: true}, ErrNotAdmin},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := h.alice
			if c.name == "migrate by a non-admin" {
				k = h.bob
				seq0 := seq
				seq = 0
				defer func() { seq = seq0 }()
			}
			code, log, _, _ := send(k, c.msg)
			require.Equal(t, Code(c.want), code, log)
		})
	}
}

// TestErrorCodesAreDistinct: every sentinel has its own code, and a code
// maps back to its sentinel.
func TestErrorCodesAreDistinct(t *testing.T) {
	seen := map[uint32]error{}
	for _, c := range codes {
		require.NotContains(t, seen, c.code, "code %d used twice", c.code)
		seen[c.code] = c.err
		require.ErrorIs(t, ErrorForCode(c.code, "x"), c.err)
	}
}

// TestContractDeterminism runs the same contract blocks on two apps, each
// with its own VM and state: app hashes, result codes, data and gas agree.
func TestContractDeterminism(t *testing.T) {
	a := newHarness(t)
	b := newHarnessAt(t, t.TempDir(), a)
	alice := a.alice.PubKey().Address()
	nk, err := a.enc.NetworkKeys()
	require.NoError(t, err)
	mk := func(seq uint64, m tx.Msg) []byte {
		return a.txWith(a.alice, func(t *tx.Tx) { t.Sequence = seq; t.GasLimit = 5_000_000; t.Fee.Amount = 50_000 }, m)
	}
	run := func(txs ...[]byte) {
		t.Helper()
		ra, rb := a.block(txs...), b.block(txs...)
		require.Equal(t, ra.AppHash, rb.AppHash)
		for i := range ra.TxResults {
			require.Equal(t, ra.TxResults[i].Code, rb.TxResults[i].Code, ra.TxResults[i].Log)
			require.Equal(t, ra.TxResults[i].GasUsed, rb.TxResults[i].GasUsed)
			require.Equal(t, ra.TxResults[i].Data, rb.TxResults[i].Data)
		}
	}
	run(mk(0, &tx.MsgStoreCode{Sender: alice, WASM: echoContract(t)}))
	info, err := a.app.CodeInfo(1)
	require.NoError(t, err)
	hash, err := info.Hash()
	require.NoError(t, err)
	wire := func(msg string) []byte {
		w, _, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, hash, []byte(msg))
		require.NoError(t, err)
		return w
	}
	run(mk(1, &tx.MsgInstantiate{Sender: alice, CodeID: 1, Label: "a", Msg: wire(`{"a":1}`)}),
		mk(2, &tx.MsgInstantiate{Sender: alice, CodeID: 1, Label: "b", Msg: wire(`{"b":2}`)}))
	contract := compute.Address(1, 1)
	run(mk(3, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wire(`{"x":{}}`)}),
		mk(4, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: wire(`fail`)}),
		mk(5, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: []byte(`{}`), Plaintext: true}))
}
