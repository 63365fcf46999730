package loadgen

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/node"
)

// TestQueriesRefusesBadConfig: a configuration Queries cannot run is
// refused with ErrQueryConfig before any node is asked (the node address
// here listens nowhere).
func TestQueriesRefusesBadConfig(t *testing.T) {
	k, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	good := QueryConfig{Nodes: []string{"127.0.0.1:1"}, Funder: k, TokenWASM: []byte("\x00asm"), Queries: 10, Concurrency: 2}
	for _, tc := range []struct {
		name   string
		change func(*QueryConfig)
		want   string
	}{
		{"no nodes", func(c *QueryConfig) { c.Nodes = nil }, "no node addresses"},
		{"no funder", func(c *QueryConfig) { c.Funder = nil }, "no funder key"},
		{"no token wasm", func(c *QueryConfig) { c.TokenWASM = nil }, "no token wasm"},
		{"zero queries", func(c *QueryConfig) { c.Queries = 0 }, "queries must be positive, got 0"},
		{"negative queries", func(c *QueryConfig) { c.Queries = -5 }, "queries must be positive, got -5"},
		{"zero concurrency", func(c *QueryConfig) { c.Concurrency = 0 }, "concurrency must be positive, got 0"},
		{"negative concurrency", func(c *QueryConfig) { c.Concurrency = -1 }, "concurrency must be positive, got -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			_, err := Queries(context.Background(), cfg)
			require.ErrorIs(t, err, ErrQueryConfig)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestQueryResult checks the summary of a run's latencies.
func TestQueryResult(t *testing.T) {
	var lat []time.Duration
	for i := range 200 {
		lat = append(lat, time.Duration(200-i)*time.Millisecond) // 200 ms .. 1 ms, unsorted
	}
	r := queryResult(lat, 2*time.Second)
	require.Equal(t, 200, r.Queries)
	require.InDelta(t, 100.0, r.QPS, 1e-9)
	require.Equal(t, 101*time.Millisecond, r.P50)
	require.Equal(t, 181*time.Millisecond, r.P90)
	require.Equal(t, 199*time.Millisecond, r.P99)
	require.Equal(t, 200*time.Millisecond, r.Max)
}

// TestBalanceQueryCheck: only the expected balance is an answer.
func TestBalanceQueryCheck(t *testing.T) {
	q := balanceQuery{want: "1000"}
	require.NoError(t, q.check([]byte(`{"balance":{"amount":"1000"}}   `)))
	for _, bad := range []string{``, `{}`, `{"balance":{}}`, `{"balance":{"amount":"999"}}`, `not json`, `{"error":"x"}`} {
		require.Error(t, q.check([]byte(bad)), bad)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestQueriesAgainstANode runs a small query benchmark against a devnet
// node started in this process: every query is answered with the funder's
// balance, and the latencies are positive and ordered.
func TestQueriesAgainstANode(t *testing.T) {
	wasm := contracttest.Build(t, "../contracts/token")
	h := node.Home(filepath.Join(t.TempDir(), "home"))
	require.NoError(t, node.Init(h, node.InitOptions{
		ChainID: "loadgen-test", Moniker: "m", KeyringBackend: "test", DevAccounts: true, AllowSimulatedAttestation: true,
		Addresses: node.Addresses{P2P: "tcp://" + freeAddr(t), RPC: "tcp://" + freeAddr(t), API: freeAddr(t)},
	}))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := node.Start(context.Background(), h, log)
	require.NoError(t, err)
	t.Cleanup(n.Stop)
	c := client.New("http://" + n.APIAddr)
	require.Eventually(t, func() bool {
		st, err := c.Status(context.Background())
		return err == nil && st.LatestHeight >= 1
	}, 30*time.Second, 50*time.Millisecond, "no block")
	kr, err := keyring.Open(h.Keyring(), "test", nil)
	require.NoError(t, err)
	alice, err := kr.Key("alice")
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Queries(ctx, QueryConfig{
		Nodes: []string{n.APIAddr}, Funder: alice, TokenWASM: wasm, Queries: 30, Concurrency: 3, Logger: log,
	})
	require.NoError(t, err)
	require.Equal(t, 30, r.Queries)
	require.Equal(t, 3, r.Concurrency)
	require.Positive(t, r.Duration)
	require.Positive(t, r.QPS)
	require.Positive(t, r.P50)
	require.LessOrEqual(t, r.P50, r.P90)
	require.LessOrEqual(t, r.P90, r.P99)
	require.LessOrEqual(t, r.P99, r.Max)
	require.LessOrEqual(t, r.Max, r.Duration)
}
