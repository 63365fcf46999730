package e2e

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keys"
)

// TestJoinByRegistration: a node joins a running network the way CRYPTO.md
// §5 describes. Before its enclave is registered it refuses to start; the
// registration transaction carries its attestation report, the chain stores
// the seeds encrypted to it, the node's enclave installs them, and the node
// then syncs and computes the same state as the network.
func TestJoinByRegistration(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end join test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ip := loopbackBase(t, 2)
	a, b := ipPlus(ip, 0), ipPlus(ip, 1)
	devHome := filepath.Join(t.TempDir(), "devnet")
	startProcess(t, "devnet", t.TempDir(), "devnet", "--home", devHome, "--log-level", "warn",
		"--p2p-address", "tcp://"+net.JoinHostPort(a, "26656"), "--rpc-address", "tcp://"+net.JoinHostPort(a, "26657"),
		"--api-address", net.JoinHostPort(a, "1317"))
	dev := client.New(apiURL(ip, 0, 1317))
	_, err := waitHeight(ctx, dev, 2)
	require.NoError(t, err)
	st, err := dev.Status(ctx)
	require.NoError(t, err)

	// The tx key is where Secret Network's client libraries look for it.
	txKey, err := dev.TxKey(ctx)
	require.NoError(t, err)
	info, err := dev.EnclaveInfo(ctx)
	require.NoError(t, err)
	require.Equal(t, info.TxKey, txKey)
	require.True(t, info.AllowSimulated)

	home := filepath.Join(t.TempDir(), "joining")
	hermeticd(t, "join", "--home", home, "--genesis", filepath.Join(devHome, "config", "genesis.json"),
		"--peers", st.NodeID+"@"+net.JoinHostPort(a, "26656"), "--allow-simulated-attestation",
		"--p2p-address", "tcp://"+net.JoinHostPort(b, "26656"), "--rpc-address", "tcp://"+net.JoinHostPort(b, "26657"),
		"--api-address", net.JoinHostPort(b, "1317"))

	// Not registered yet: it refuses to start, and says what to do.
	_, err = hermeticdErr("start", "--home", home)
	require.ErrorContains(t, err, "not registered")
	require.ErrorContains(t, err, "hermeticd enclave register")

	out := hermeticd(t, "enclave", "register", "--home", home, "--from", "carol", "--keyring-backend", "test",
		"--keyring-dir", filepath.Join(devHome, "keyring"), "--node", apiURL(ip, 0, 1317))
	require.Contains(t, out, "1 network seed(s) installed")
	require.Contains(t, hermeticd(t, "enclave", "info", "--home", home), "seeds:       1")

	startProcess(t, "joining", t.TempDir(), "start", "--home", home, "--log-level", "warn")
	joined := client.New(apiURL(ip, 1, 1317))
	st, err = dev.Status(ctx)
	require.NoError(t, err)
	_, err = waitHeight(ctx, joined, st.LatestHeight+1)
	require.NoError(t, err, "the joined node did not sync")

	// Same blocks, and the joined node's own state proves against them.
	for h := int64(1); h <= st.LatestHeight; h++ {
		x, err := dev.Block(ctx, h)
		require.NoError(t, err)
		y, err := joined.Block(ctx, h)
		require.NoError(t, err)
		require.Equal(t, x.AppHash, y.AppHash, "height %d", h)
	}
	r, err := joined.Account(ctx, keys.Address{7}, st.LatestHeight, true)
	require.NoError(t, err)
	_, err = joined.VerifyAccount(ctx, r)
	require.NoError(t, err)
	k2, err := joined.TxKey(ctx)
	require.NoError(t, err)
	require.Equal(t, txKey, k2)
}
