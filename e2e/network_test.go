package e2e

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

const (
	apiPort = 1317
	rpcPort = 26657
	p2pPort = 26656
)

// TestFourValidators runs a 4-validator network in 4 processes: they agree on
// every app hash; the chain goes on with one node killed, stops with two, and
// resumes when both return, with no committed transaction lost.
func TestFourValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end network test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	ip := loopbackBase(t, 4)
	hermeticd(t, "testnet", "--validators", "4", "--output", dir, "--starting-ip", ip.String(),
		"--timeout-commit", "300ms", "--chain-id", "e2e-net")

	nodes := make([]*process, 4)
	clients := make([]*client.Client, 4)
	for k := range 4 {
		nodes[k] = startProcess(t, "node"+strconv.Itoa(k), dir, "start", "--home", filepath.Join(dir, "node"+strconv.Itoa(k)), "--log-level", "warn")
		clients[k] = client.New(apiURL(ip, k, apiPort))
	}
	for k, c := range clients {
		_, err := waitHeight(ctx, c, 2)
		require.NoError(t, err, "node%d: %s", k, nodes[k].logTail())
	}

	kr, err := keyring.Open(filepath.Join(dir, "keyring"), "test", nil)
	require.NoError(t, err)
	alice, err := kr.Key("alice")
	require.NoError(t, err)
	bob, err := kr.Show("bob")
	require.NoError(t, err)

	var committed []string // hashes of every transaction reported committed
	sendVia := func(c *client.Client, n int) {
		t.Helper()
		for range n {
			res, err := c.SendTx(ctx, alice, []tx.Msg{&tx.MsgSend{From: alice.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 10}}}, client.TxOptions{}, true)
			require.NoError(t, err)
			require.Equal(t, uint32(0), res.Code, res.Log)
			committed = append(committed, res.Hash)
		}
	}
	sendVia(clients[0], 3)
	sendVia(clients[1], 2)

	// Every node computed the same app hash at every height so far.
	requireSameAppHashes(ctx, t, clients)

	// One of four down: 3/4 of the power remains, more than 2/3.
	nodes[3].kill()
	h, err := waitHeight(ctx, clients[0], 0)
	require.NoError(t, err)
	sendVia(clients[0], 2)
	_, err = waitHeight(ctx, clients[1], h+3)
	require.NoError(t, err, "chain stopped with one node down")

	// Two of four down: half the power, not more than 2/3: no commits.
	nodes[2].kill()
	time.Sleep(time.Second) // let a block in flight finish
	stalled, err := waitHeight(ctx, clients[0], 0)
	require.NoError(t, err)
	// A transaction sent now enters the mempool but cannot commit yet.
	pending, err := client.New(apiURL(ip, 0, apiPort)).BuildTx(ctx, alice, []tx.Msg{&tx.MsgSend{From: alice.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 10}}}, client.TxOptions{})
	require.NoError(t, err)
	res, err := clients[0].Broadcast(ctx, pending.Marshal(), false)
	require.NoError(t, err)
	require.Equal(t, uint32(0), res.Code, res.Log)
	time.Sleep(4 * time.Second)
	for _, c := range clients[:2] {
		st, err := c.Status(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, st.LatestHeight, stalled+1, "chain committed blocks with half the voting power down")
	}

	// Both return: the chain resumes, they catch up, the pending tx commits.
	nodes[2].start()
	nodes[3].start()
	target := stalled + 5
	for k, c := range clients {
		_, err := waitHeight(ctx, c, target)
		require.NoError(t, err, "node%d did not catch up: %s", k, nodes[k].logTail())
	}
	got, err := clients[3].Tx(ctx, res.Hash)
	require.NoError(t, err, "transaction sent during the stall never committed")
	require.Equal(t, uint32(0), got.Code)
	committed = append(committed, res.Hash)

	// No committed transaction is missing on any node.
	for k, c := range clients {
		for _, hash := range committed {
			r, err := c.Tx(ctx, hash)
			require.NoError(t, err, "node%d lacks tx %s", k, hash)
			require.Equal(t, uint32(0), r.Code)
		}
	}
	requireSameAppHashes(ctx, t, clients)

	// And the state agrees: bob's balance with a proof, on every node.
	var want uint64
	for k, c := range clients {
		r, err := c.Account(ctx, bob.Address, target-1, true)
		require.NoError(t, err)
		_, err = c.VerifyAccount(ctx, r)
		require.NoError(t, err, "node%d proof", k)
		if k == 0 {
			want = r.Account.Balance
		}
		require.Equal(t, want, r.Account.Balance, "node%d", k)
	}
	for _, n := range nodes {
		n.stop()
	}
}

// requireSameAppHashes checks that every node's block at each common height
// carries the same app hash and that each node's own state hash at the
// latest common height matches the next header's.
func requireSameAppHashes(ctx context.Context, t *testing.T, clients []*client.Client) {
	t.Helper()
	top := int64(1 << 62)
	for _, c := range clients {
		st, err := c.Status(ctx)
		require.NoError(t, err)
		top = min(top, st.LatestHeight)
	}
	for h := int64(1); h <= top; h++ {
		var first api.Block
		for k, c := range clients {
			b, err := c.Block(ctx, h)
			require.NoError(t, err)
			if k == 0 {
				first = b
				continue
			}
			require.Equal(t, first.AppHash, b.AppHash, "app hash at height %d differs on node%d", h, k)
			require.Equal(t, first.Hash, b.Hash, "block hash at height %d differs on node%d", h, k)
		}
	}
	// Each node's own state (not only the agreed header) proves against
	// the header: a node that computed a different state would fail here.
	probe := keys.Address{1, 2, 3}
	for k, c := range clients {
		r, err := c.Account(ctx, probe, top-1, true)
		require.NoError(t, err)
		_, err = c.VerifyAccount(ctx, r)
		require.NoError(t, err, "node%d state does not match the agreed app hash", k)
	}
}
