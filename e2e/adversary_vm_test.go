package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/internal/hostile"
	"github.com/hermetic-chain/hermetic/tx"
)

// TestAdversaryBlockTime: a contract author's attacks on how long a block
// takes. The attacker uploads a module of functions just under the size
// cap, which an optimising compiler takes seconds for (one 277 KB function
// took 37 s, in the block, until ca79abb); and runs a contract that chases
// pointers at random through 16 MiB of its memory for a whole
// transaction's gas (every load waits for main memory: one such
// transaction took 36.6 s until ca79abb). Meanwhile an honest client sends
// transfers through another validator.
//
// What must hold: the upload commits at once and its code is compiled in
// the background — an instantiate before its ready_at fails with
// ErrCodeNotReady, one after it succeeds; the chase runs out of gas and
// pays its fee; blocks keep coming, the honest transfers commit, and the
// four validators agree on every app hash.
func TestAdversaryBlockTime(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end adversary test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := startAdversaryNet(ctx, t)
	attacker := n.key(t, "carol")
	c := n.clients[1]

	chaseBin, err := hostile.Chase(256)
	require.NoError(t, err)
	chase := n.deploy(t, 1, "carol", "chase", chaseBin)

	h0 := n.settledHeight(ctx, t)
	alice := n.key(t, "alice")
	_, aliceSeq := n.account(ctx, t, alice.PubKey().Address(), h0)
	honest := startHonestSender(ctx, t, n.clients[0], n.chainID, alice)
	blocks := watchBlocks(ctx, n.clients)

	// The upload: committed in its block, compiled later.
	bomb, err := hostile.CompileBomb(3)
	require.NoError(t, err)
	stored, err := c.SendTx(ctx, attacker, []tx.Msg{&tx.MsgStoreCode{Sender: attacker.PubKey().Address(), WASM: bomb}},
		client.TxOptions{GasLimit: client.StoreCodeGasLimit(len(bomb), bomb)}, true)
	require.NoError(t, err)
	require.Zero(t, stored.Code, stored.Log)
	info, err := c.CodeInfo(ctx, 2)
	require.NoError(t, err)
	require.False(t, info.ReadyAt.IsZero(), "a module this size is compiled in the background")
	t.Logf("upload committed at height %d, ready at %s", stored.Height, info.ReadyAt)
	_, err = c.Instantiate(ctx, attacker, 2, "early", attacker.PubKey().Address(), []byte(`{}`), true, client.TxOptions{})
	require.ErrorIs(t, err, compute.ErrCodeNotReady)

	// The chase, for a whole transaction's gas.
	res, err := c.Execute(ctx, attacker, chase, []byte(`{}`), true, 0, client.TxOptions{GasLimit: app.MaxGasPerTx})
	require.ErrorIs(t, err, app.ErrOutOfGas, "tx %s", res.TxHash)
	r, err := c.Tx(ctx, res.TxHash)
	require.NoError(t, err)
	require.Equal(t, int64(app.MaxGasPerTx), r.GasUsed)
	t.Logf("chase: out of gas at height %d", r.Height)

	require.NoError(t, c.WaitCodeReady(ctx, info.ReadyAt))
	made, err := c.Instantiate(ctx, attacker, 2, "ready", attacker.PubKey().Address(), []byte(`{}`), true, client.TxOptions{})
	require.NoError(t, err)
	t.Logf("instantiated at height %d: %s", made.Height, made.Contract)

	// Every validator gets past the attack's blocks (four of them share
	// this machine's cores: each executes the chase and compiles the
	// upload).
	for k, cl := range n.clients {
		_, err := waitHeight(ctx, cl, made.Height+3)
		require.NoError(t, err, "node%d: %s", k, n.nodes[k].logTail())
	}
	blocks.finish(t, 30*time.Second, 5)
	honest.finish(t)
	n.finish(ctx, t)
	h1 := n.settledHeight(ctx, t)
	honest.requireSinkMatchesSequence(ctx, t, n, aliceSeq, h1)
}
