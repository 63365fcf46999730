package e2e

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// floodTally counts what the nodes answered a flooding attacker, and
// remembers the hash of every transaction it sent.
type floodTally struct {
	accepted, refused, failed atomic.Int64
	mempoolFull               atomic.Int64

	mu            sync.Mutex
	hashes        map[string]bool // upper-case hex
	firstAccepted string
	firstFailure  error
}

func (f *floodTally) send(ctx context.Context, c *client.Client, t *tx.Tx) {
	raw := t.Marshal()
	f.mu.Lock()
	f.hashes[fmt.Sprintf("%X", sha256.Sum256(raw))] = true
	f.mu.Unlock()
	res, err := c.Broadcast(ctx, raw, false)
	switch {
	case ctx.Err() != nil:
	case err != nil:
		f.failed.Add(1)
		if strings.Contains(err.Error(), "mempool is full") {
			f.mempoolFull.Add(1)
		}
		f.mu.Lock()
		if f.firstFailure == nil {
			f.firstFailure = err
		}
		f.mu.Unlock()
	case res.Code == 0:
		f.accepted.Add(1)
		f.mu.Lock()
		if f.firstAccepted == "" {
			f.firstAccepted = res.Hash
		}
		f.mu.Unlock()
	default:
		f.refused.Add(1)
	}
}

// TestAdversaryMempoolFlood: an attack on the mempool. Fresh, unfunded
// accounts (a new one as soon as the last is used up; hundreds in all)
// each send transfers with sequences 1 to 63 — ahead of their next
// sequence 0, so never executable, the kind CheckTx holds until the
// predecessors arrive — as fast as the validators' APIs answer, for ten
// seconds, spread over all four validators; a funded attacker does the
// same with its own sequences from one past its next onwards, never
// sending the next. Meanwhile an honest client sends transfers.
//
// What must hold: every unfunded transaction is refused at CheckTx (a
// non-zero code: it cannot pay its fee); the honest transfers commit, and
// none is refused because the mempool is full; no transaction of either
// attacker is in any block, the funded attacker's balance and sequence are
// unchanged, and no unfunded account gained a sequence; blocks keep coming
// and the validators agree on every app hash.
func TestAdversaryMempoolFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end adversary test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startAdversaryNet(ctx, t)
	alice, bob := n.key(t, "alice"), n.key(t, "bob")
	h0 := n.settledHeight(ctx, t)
	_, aliceSeq := n.account(ctx, t, alice.PubKey().Address(), h0)
	bobBalance, bobSeq := n.account(ctx, t, bob.PubKey().Address(), h0)

	honest := startHonestSender(ctx, t, n.clients[0], n.chainID, alice)
	blocks := watchBlocks(ctx, n.clients)

	sinkKey, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	sink := sinkKey.PubKey().Address()
	transfer := func(k keys.PrivKey, seq uint64) *tx.Tx {
		t, err := client.NewTx(n.chainID, k, seq, []tx.Msg{&tx.MsgSend{From: k.PubKey().Address(), To: sink, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{})
		if err != nil {
			panic(err) // signing with a fresh in-memory key does not fail
		}
		return t
	}

	const attackFor = 10 * time.Second
	actx, stopAttack := context.WithTimeout(ctx, attackFor)
	defer stopAttack()
	unfunded := &floodTally{hashes: map[string]bool{}}
	funded := &floodTally{hashes: map[string]bool{}}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fresh []keys.Address // every unfunded account used
	)
	const workers = 12
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := n.clients[w%len(n.clients)]
			for actx.Err() == nil {
				k, err := keys.Generate(keys.KeyEd25519)
				if err != nil {
					panic(err)
				}
				mu.Lock()
				fresh = append(fresh, k.PubKey().Address())
				mu.Unlock()
				for seq := uint64(1); seq <= 63 && actx.Err() == nil; seq++ {
					unfunded.send(actx, c, transfer(k, seq))
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for seq := bobSeq + 1; actx.Err() == nil; seq++ {
			funded.send(actx, n.clients[int(seq)%len(n.clients)], transfer(bob, seq))
		}
	}()
	wg.Wait()
	t.Logf("unfunded attacker: %d accounts, %d transactions accepted, %d refused at CheckTx, %d not answered (%d: mempool full; first: %v)",
		len(fresh), unfunded.accepted.Load(), unfunded.refused.Load(), unfunded.failed.Load(), unfunded.mempoolFull.Load(), unfunded.firstFailure)
	t.Logf("funded attacker: %d transactions accepted, %d refused at CheckTx, %d not answered (%d: mempool full)",
		funded.accepted.Load(), funded.refused.Load(), funded.failed.Load(), funded.mempoolFull.Load())

	// The honest client goes on a little after the flood: what the flood
	// left in the mempools must not hold it up either.
	time.Sleep(5 * time.Second)
	honest.finish(t)
	blocks.finish(t, 30*time.Second, 5)
	committed := honest.committedBetween(time.Time{}, time.Now())
	t.Logf("honest transfers committed: %d", committed)
	require.NotZero(t, committed, "no honest transfer committed")

	require.Zero(t, unfunded.accepted.Load(), "an unfunded account's transaction passed CheckTx (first: %s)", unfunded.firstAccepted)
	require.NotZero(t, unfunded.refused.Load(), "the flood never reached CheckTx")
	require.Zero(t, unfunded.mempoolFull.Load()+funded.mempoolFull.Load(), "the mempool filled up")

	n.finish(ctx, t)

	// What the funded attacker got held expires: every mempool empties
	// (app.DefaultHoldLimits: 20 blocks).
	for k := range n.clients {
		var size int
		deadline := time.Now().Add(60 * time.Second)
		for {
			size, err = n.mempoolSize(ctx, k)
			require.NoError(t, err)
			if size == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		require.Zero(t, size, "node%d's mempool still holds the attackers' transactions", k)
	}
	h1 := n.settledHeight(ctx, t)

	// Nothing of either attacker is in a block.
	for h := h0 + 1; h <= h1; h++ {
		b, err := n.clients[0].Block(ctx, h)
		require.NoError(t, err)
		for _, hash := range b.Txs {
			hash = strings.ToUpper(hash)
			require.False(t, unfunded.hashes[hash], "an unfunded account's transaction %s is in block %d", hash, h)
			require.False(t, funded.hashes[hash], "a held transaction of the funded attacker %s is in block %d", hash, h)
		}
	}
	balance, seq := n.account(ctx, t, bob.PubKey().Address(), h1)
	require.Equal(t, bobSeq, seq, "the funded attacker's sequence moved")
	require.Equal(t, bobBalance, balance, "the funded attacker's balance moved")
	got, _ := n.account(ctx, t, sink, h1)
	require.Zero(t, got, "the attackers' transfers reached their sink")
	for i, addr := range fresh {
		if i%25 != 0 { // a sample: each is one request
			continue
		}
		r, err := n.clients[0].Account(ctx, addr, h1, false)
		if errors.Is(err, client.ErrNotFound) {
			continue
		}
		require.NoError(t, err)
		require.Zero(t, r.Account.Sequence, "unfunded account %s has a sequence", addr)
		require.Zero(t, r.Account.Balance)
	}
	honest.requireSinkMatchesSequence(ctx, t, n, aliceSeq, h1)
}
