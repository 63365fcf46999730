package app

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

// TestUploads stores modules through blocks: one the block compiles, one
// compiled in the background that cannot be instantiated before its
// ReadyAt, one with a function too large to compile in reasonable time,
// and one whose compilation its gas does not cover; two apps given the same
// blocks agree on every result and app hash.
func TestUploads(t *testing.T) {
	a := newHarness(t)
	b := newHarnessAt(t, t.TempDir(), a)
	alice := a.alice.PubKey().Address()
	seq := uint64(0)
	send := func(gas uint64, m tx.Msg) *abciResult {
		t.Helper()
		raw := a.txWith(a.alice, func(t *tx.Tx) { t.Sequence = seq; t.GasLimit = gas; t.Fee.Amount = DefaultParams().MinFee(gas) }, m)
		seq++
		ra, rb := a.block(raw), b.block(raw)
		require.Equal(t, ra.AppHash, rb.AppHash)
		require.Equal(t, ra.TxResults[0].Code, rb.TxResults[0].Code)
		r := ra.TxResults[0]
		evs, _ := json.Marshal(r.Events)
		return &abciResult{code: r.Code, log: r.Log, gas: r.GasUsed, events: string(evs)}
	}
	gasFor := func(wasm []byte) uint64 {
		g, err := StoreCodeGas(wasm)
		require.NoError(t, err)
		return g + 1_000_000
	}
	instantiate := func(id uint64) *abciResult {
		return send(5_000_000, &tx.MsgInstantiate{Sender: alice, CodeID: id, Label: "l", Msg: []byte(`{}`), Plaintext: true})
	}

	// Small: compiled in its block, usable in the next.
	small := fillerModule(t, 2, 10)
	r := send(gasFor(small), &tx.MsgStoreCode{Sender: alice, WASM: small})
	require.Zero(t, r.code, r.log)
	require.NotContains(t, r.events, "ready_at")
	r = instantiate(1)
	require.Zero(t, r.code, r.log)

	// Large: validated, compiled in the background, ready later.
	big := fillerModule(t, 2, 800)
	r = send(gasFor(big), &tx.MsgStoreCode{Sender: alice, WASM: big})
	require.Zero(t, r.code, r.log)
	require.Contains(t, r.events, "ready_at")
	info, err := a.app.CodeInfo(2)
	require.NoError(t, err)
	require.False(t, info.ReadyAt.IsZero())
	r = instantiate(2)
	require.Equal(t, Code(compute.ErrCodeNotReady), r.code, r.log)
	require.Contains(t, r.log, "can be used from")
	a.untilReady(2)
	for b.height < a.height {
		b.block()
	}
	r = instantiate(2)
	require.Zero(t, r.code, r.log)

	// A function too large is refused before anything is compiled.
	huge := fillerModule(t, 1, 2_000) // one function of about 78 KB
	r = send(gasFor(small)+200*uint64(len(huge)), &tx.MsgStoreCode{Sender: alice, WASM: huge})
	require.Equal(t, Code(vm.ErrInvalidCode), r.code, r.log)
	require.Contains(t, r.log, "at most 65536")

	// Gas for the bytes but not for compiling them: out of gas, nothing
	// stored.
	other := fillerModule(t, 3, 10)
	r = send(GasStoreCodePerByte*uint64(len(other))+400_000, &tx.MsgStoreCode{Sender: alice, WASM: other})
	require.Equal(t, Code(ErrOutOfGas), r.code, r.log)
	_, err = a.app.CodeInfo(3)
	require.Error(t, err)
}

type abciResult struct {
	code   uint32
	log    string
	gas    int64
	events string
}
