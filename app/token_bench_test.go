package app

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// BenchmarkTokenBlock executes and commits blocks of 100 transfers of the
// Go token contract (contracts/token) — FinalizeBlock and Commit, as a
// validator does — with plaintext inputs and with encrypted ones (a wallet
// reusing its key), in one run. Reported per transfer.
func BenchmarkTokenBlock(b *testing.B) {
	raw := contracttest.Build(b, "../contracts/token")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(raw)
	require.NoError(b, zw.Close())

	h := newHarness(b)
	h.app.maxGas = -1 // the harness's block limit is below what storing a Go contract costs
	alice := h.alice.PubKey().Address()
	seq := uint64(0)
	gasLimit := MaxGasPerTx // storing the code
	mk := func(m tx.Msg) []byte {
		t := h.txWith(h.alice, func(t *tx.Tx) {
			t.Sequence = seq
			t.GasLimit = gasLimit
			t.Fee.Amount = DefaultParams().MinFee(t.GasLimit)
		}, m)
		seq++
		return t
	}
	r := h.block(mk(&tx.MsgStoreCode{Sender: alice, WASM: gz.Bytes()}))
	require.Zero(b, r.TxResults[0].Code, r.TxResults[0].Log)
	h.untilReady(1)
	init := fmt.Sprintf(`{"name":"Tok","symbol":"TOK","decimals":6,"initial_balances":[{"address":"%s","amount":"1000000000"}]}`, alice)
	r = h.block(mk(&tx.MsgInstantiate{Sender: alice, CodeID: 1, Label: "t", Msg: []byte(init), Plaintext: true}))
	require.Zero(b, r.TxResults[0].Code, r.TxResults[0].Log)
	contract := compute.Address(1, 1)
	body := []byte(fmt.Sprintf(`{"transfer":{"recipient":"%s","amount":"1"}}`, keys.Address{9}))

	info, err := h.app.CodeInfo(1)
	require.NoError(b, err)
	hash, err := info.Hash()
	require.NoError(b, err)
	nk, err := h.enc.NetworkKeys()
	require.NoError(b, err)
	wallet := make([]byte, 32)
	_, _ = rand.Read(wallet)

	gasLimit = 3_000_000 // a transfer uses about a third (docs/gas.md)
	const perBlock = 100
	var gasUsed int64
	for _, plaintext := range []bool{true, false} {
		name := map[bool]string{true: "plaintext", false: "confidential"}[plaintext]
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				txs := make([][]byte, perBlock)
				for i := range txs {
					m := &tx.MsgExecute{Sender: alice, Contract: contract, Msg: body, Plaintext: plaintext}
					if !plaintext {
						nonce := make([]byte, 32)
						_, _ = rand.Read(nonce)
						if m.Msg, _, err = cryptobox.SealInput(wallet, nonce, nk.TxKey, hash, body); err != nil {
							b.Fatal(err)
						}
					}
					txs[i] = mk(m)
				}
				b.StartTimer()
				r := h.block(txs...)
				for _, res := range r.TxResults {
					if res.Code != 0 {
						b.Fatal(res.Log)
					}
				}
				gasUsed = r.TxResults[perBlock-1].GasUsed
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perBlock), "µs/transfer")
			b.ReportMetric(float64(gasUsed), "gas/transfer")
		})
	}
}
