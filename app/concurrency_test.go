package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/tx"
)

// TestCheckTxDuringBlocks runs CheckTx without pause — bank sends, and bonds
// that touch a validator — while blocks execute and commit, as the node's
// connection-synchronised client lets the mempool do, and the same blocks
// on a second app that checks nothing. The blocks' results, validator
// updates and app hashes must be the same: the mempool side never reaches
// the block being executed. Run with -race, it also shows the two sides
// share no unguarded state.
func TestCheckTxDuringBlocks(t *testing.T) {
	a := newHarness(t)
	b := newHarnessAt(t, t.TempDir(), a)
	op := a.op.PubKey().Address()
	var blocks [][][]byte
	for i := range uint64(6) {
		blocks = append(blocks, [][]byte{
			a.tx(a.alice, 2*i, send(a.alice, a.bob, 5+i)),
			a.tx(a.alice, 2*i+1, &tx.MsgBond{Delegator: a.alice.PubKey().Address(), Validator: op, Amount: tx.Coin{Denom: Denom, Amount: 1_000_000}}),
		})
	}
	// dave's transactions are only ever checked: each commit resets the
	// mempool state, so they pass again and again.
	var checks [][]byte
	for i := range uint64(8) {
		checks = append(checks, a.tx(a.dave, i, send(a.dave, a.bob, 1)))
	}
	checks = append(checks, a.tx(a.op2, 0, &tx.MsgBond{Delegator: a.op2.PubKey().Address(), Validator: a.op2.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: 1_000_000}}))

	stop := make(chan struct{})
	var (
		wg       sync.WaitGroup
		checked  atomic.Int64
		checkErr atomic.Value
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, raw := range checks {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := a.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw}); err != nil {
					checkErr.Store(err)
					return
				}
				checked.Add(1)
			}
		}
	}()
	for _, txs := range blocks {
		ra, rb := a.block(txs...), b.block(txs...)
		require.Equal(t, rb.AppHash, ra.AppHash)
		require.Equal(t, rb.ValidatorUpdates, ra.ValidatorUpdates)
		require.Len(t, ra.ValidatorUpdates, 1, "only op's bond touches a validator in the block")
		for i := range ra.TxResults {
			require.Zero(t, ra.TxResults[i].Code, ra.TxResults[i].Log)
			require.Equal(t, rb.TxResults[i].GasUsed, ra.TxResults[i].GasUsed)
		}
	}
	close(stop)
	wg.Wait()
	if err, _ := checkErr.Load().(error); err != nil {
		t.Fatal(err)
	}
	require.Positive(t, checked.Load())

	// After the blocks, the mempool side reads the last committed state.
	require.Zero(t, a.check(a.tx(a.alice, 12, send(a.alice, a.bob, 1))).Code)
	require.NotZero(t, a.check(a.tx(a.alice, 11, send(a.alice, a.bob, 1))).Code, "sequence 11 is used")
}
