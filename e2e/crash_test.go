package e2e

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// TestDevnetCrash kills the devnet with SIGKILL while it commits a stream of
// transfers, three times, and checks after each restart that the chain
// resumes and that every transaction reported committed is still there.
func TestDevnetCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := startDevnet(ctx, t)
	home, dev, c := d.home, d.proc, client.New(d.api)

	kr, err := keyring.Open(filepath.Join(home, "keyring"), "test", nil)
	require.NoError(t, err)
	var senders []keys.PrivKey
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		k, err := kr.Key(name)
		require.NoError(t, err)
		senders = append(senders, k)
	}
	sink := keys.Address{9, 9, 9}

	var (
		mu        sync.Mutex
		committed = map[string]bool{}
	)
	for round := range 3 {
		// Load: alice and bob send transfers in commit mode and record
		// each one the node reports committed; carol and dave flood the
		// mempool with pipelined transfers (sync mode, their own sequence
		// counters) so blocks are full when the node dies.
		var wg sync.WaitGroup
		lctx, stopLoad := context.WithCancel(ctx)
		for i, k := range senders {
			send := func(seq *uint64) (api.TxResult, error) {
				t, err := client.NewTx("hermetic-devnet", k, *seq, []tx.Msg{&tx.MsgSend{From: k.PubKey().Address(), To: sink, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{})
				if err != nil {
					return api.TxResult{}, err
				}
				return c.Broadcast(lctx, t.Marshal(), false)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i >= 2 {
					acc, err := c.Account(lctx, k.PubKey().Address(), 0, false)
					if err != nil {
						return
					}
					seq := acc.Account.Sequence
					for lctx.Err() == nil {
						res, err := send(&seq)
						if err != nil || res.Code != 0 {
							return
						}
						seq++
					}
					return
				}
				for lctx.Err() == nil {
					res, err := c.SendTx(lctx, k, []tx.Msg{&tx.MsgSend{From: k.PubKey().Address(), To: sink, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{}, true)
					if err == nil && res.Code == 0 && res.Height > 0 {
						mu.Lock()
						committed[res.Hash] = true
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(2500+round*700) * time.Millisecond)
		dev.kill()
		stopLoad()
		wg.Wait()

		dev.start()
		h, err := waitHeight(ctx, c, 1)
		require.NoError(t, err, "devnet did not restart after kill -9: %s", dev.logTail())
		_, err = waitHeight(ctx, c, h+2)
		require.NoError(t, err, "devnet did not resume committing: %s", dev.logTail())
		mu.Lock()
		n := len(committed)
		for hash := range committed {
			r, err := c.Tx(ctx, hash)
			require.NoError(t, err, "round %d: committed tx %s lost", round, hash)
			require.Equal(t, uint32(0), r.Code)
		}
		mu.Unlock()
		t.Logf("round %d: %d confirmed transactions all present after kill -9 at height %d", round, n, h)
	}
	require.NotEmpty(t, committed, "the load committed nothing")

	// Every transfer committed exactly once: the sink holds one uherm per
	// sequence number the senders used (they sent nothing else), and its
	// balance proves against a header.
	st, err := c.Status(ctx)
	require.NoError(t, err)
	_, err = waitHeight(ctx, c, st.LatestHeight+1)
	require.NoError(t, err)
	var seqs uint64
	for _, k := range senders {
		r, err := c.Account(ctx, k.PubKey().Address(), st.LatestHeight, false)
		require.NoError(t, err)
		seqs += r.Account.Sequence
	}
	r, err := c.Account(ctx, sink, st.LatestHeight, true)
	require.NoError(t, err)
	_, err = c.VerifyAccount(ctx, r)
	require.NoError(t, err)
	require.Equal(t, seqs, r.Account.Balance)
	require.GreaterOrEqual(t, r.Account.Balance, uint64(len(committed)))
	dev.stop()
}
