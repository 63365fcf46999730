package app

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/tx"
)

// TestGasLimitBounds: a transaction's gas limit is at most MaxGasPerTx and
// at most the block's gas limit, in CheckTx and in the block; the default
// block limit admits a transaction of MaxGasPerTx.
func TestGasLimitBounds(t *testing.T) {
	require.LessOrEqual(t, MaxGasPerTx, uint64(DefaultBlockMaxGas), "a transaction must fit a block")

	withLimit := func(h *harness, gas uint64) []byte {
		return h.txWith(h.alice, func(t *tx.Tx) {
			t.GasLimit = gas
			t.Fee.Amount = DefaultParams().MinFee(gas)
		}, send(h.alice, h.bob, 1))
	}
	cases := []struct {
		name     string
		blockGas int64 // -1: none
		gas      uint64
		want     error
	}{
		{"at the block's limit", 50_000_000, 50_000_000, nil},
		{"above the block's limit", 50_000_000, 50_000_001, ErrGasLimit},
		{"at MaxGasPerTx, no block limit", -1, MaxGasPerTx, nil},
		{"above MaxGasPerTx, no block limit", -1, MaxGasPerTx + 1, ErrGasLimit},
		{"at MaxGasPerTx, the default block limit", DefaultBlockMaxGas, MaxGasPerTx, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.app.maxGas = c.blockGas
			raw := withLimit(h, c.gas)
			res := h.check(raw)
			r := h.block(raw).TxResults[0]
			if c.want == nil {
				require.Zero(t, res.Code, res.Log)
				require.Zero(t, r.Code, r.Log)
				return
			}
			require.Equal(t, Code(c.want), res.Code, res.Log)
			require.Equal(t, Code(c.want), r.Code, r.Log)
		})
	}
}
