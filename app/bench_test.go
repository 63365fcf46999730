package app

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/keys"
)

// BenchmarkBlockOfSends measures executing and committing a block of 1,000
// bank sends (FinalizeBlock + Commit, on LevelDB) per transaction, for each
// signature scheme. Signature checks run in FinalizeBlock, as on a node.
func BenchmarkBlockOfSends(b *testing.B) {
	const perBlock = 1000
	for _, typ := range []keys.KeyType{keys.KeyEd25519, keys.KeyP256} {
		b.Run(typ.String(), func(b *testing.B) {
			h := newHarness(b)
			from := h.alice
			if typ == keys.KeyP256 {
				from = h.dave
			}
			to := genKey(b, keys.KeyEd25519)
			blocks := make([][][]byte, b.N)
			seq := uint64(0)
			for i := range blocks {
				for range perBlock {
					blocks[i] = append(blocks[i], h.tx(from, seq, send(from, to, 1)))
					seq++
				}
			}
			b.ResetTimer()
			for i := range b.N {
				res := h.block(blocks[i]...)
				if res.TxResults[perBlock-1].Code != 0 {
					b.Fatal(res.TxResults[perBlock-1].Log)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBlock), "ns/tx")
			b.ReportMetric(float64(b.N*perBlock)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// BenchmarkCheckTx measures admitting a bank send to the mempool.
func BenchmarkCheckTx(b *testing.B) {
	h := newHarness(b)
	to := genKey(b, keys.KeyEd25519)
	txs := make([][]byte, b.N)
	for i := range txs {
		txs[i] = h.tx(h.alice, uint64(i), send(h.alice, to, 1))
	}
	b.ResetTimer()
	for i := range b.N {
		res, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: txs[i]})
		if err != nil || res.Code != 0 {
			b.Fatal(err, res.Log)
		}
	}
}
