package node

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestFDBudgetFit(t *testing.T) {
	base := fdBudget{API: 1000, RPC: 900, P2P: 50, Reserve: 3000} // 4950
	tests := []struct {
		name   string
		b      fdBudget
		limit  uint64
		want   fdBudget
		fits   bool
		reason string
	}{
		{"fits", base, 65536, base, true, "nothing to lower"},
		{"exactly", base, 4950, base, true, "nothing to lower"},
		{"API lowered", base, 4096, fdBudget{API: 146, RPC: 900, P2P: 50, Reserve: 3000}, true, "the API gives up 854"},
		{"API to its floor, then RPC", base, 3500, fdBudget{API: 64, RPC: 386, P2P: 50, Reserve: 3000}, true, "API at 64, RPC gives the rest"},
		{"both at their floor", base, 1024, fdBudget{API: 64, RPC: 64, P2P: 50, Reserve: 3000}, false, "the reserve alone exceeds the limit"},
		{"below the floor already", fdBudget{API: 10, RPC: 20, Reserve: 100}, 50, fdBudget{API: 10, RPC: 20, Reserve: 100}, false, "caps are never raised"},
		{"unlimited", base, ^uint64(0), base, true, "RLIM_INFINITY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fits := tc.b.fit(tc.limit)
			require.Equal(t, tc.want, got, tc.reason)
			require.Equal(t, tc.fits, fits, tc.reason)
		})
	}
}

func TestDefaultFDNeed(t *testing.T) {
	c := &Config{Comet: defaultCometConfig(Home(t.TempDir()), "m")}
	require.Equal(t, DefaultFDNeed, newFDBudget(c.Comet, DefaultLimits()).total())
	c.Comet.P2P.PersistentPeers = "a@1.2.3.4:26656, b@1.2.3.5:26656"
	c.Comet.P2P.UnconditionalPeerIDs = "a"
	c.Comet.RPC.GRPCListenAddress = "tcp://127.0.0.1:9090"
	require.Equal(t, DefaultFDNeed+3+c.Comet.RPC.GRPCMaxOpenConnections, newFDBudget(c.Comet, DefaultLimits()).total())
}

func TestApplyFDLimits(t *testing.T) {
	lim, err := raiseFDLimit()
	if err != nil {
		t.Skip("no RLIMIT_NOFILE here:", err)
	}
	require.Equal(t, lim.hard, lim.soft, "the soft limit is raised to the hard one")
	huge := int(min(lim.soft, 1<<30)) // more API connections than descriptors
	tests := []struct {
		name    string
		api     int
		rpc     int
		wantAPI int // after applyFDLimits
		wantRPC int
		wantLog string
	}{
		{"fits", 10, 10, 10, 10, "file descriptor limit"},
		{"unlimited RPC is capped", 10, 0, 10, DefaultRPCMaxOpenConnections, "unlimited"},
		{"too many for the limit: the API gives way", huge, 100, huge - 100 - DefaultP2PMaxInboundPeers - DefaultP2PMaxOutboundPeers, 100, "ulimit -n " + fmt.Sprint(huge+150)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Comet: defaultCometConfig(Home(t.TempDir()), "m"), Limits: DefaultLimits()}
			c.Limits.APIMaxConnections, c.Limits.FDReserve = tc.api, 0
			c.Comet.RPC.MaxOpenConnections = tc.rpc
			var buf bytes.Buffer
			applyFDLimits(slog.New(slog.NewTextHandler(&buf, nil)), c)
			require.Equal(t, tc.wantAPI, c.Limits.APIMaxConnections)
			require.Equal(t, tc.wantRPC, c.Comet.RPC.MaxOpenConnections)
			require.Contains(t, buf.String(), tc.wantLog)
		})
	}
}

func TestLimitsConfig(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(toml string) string // changes to the written hermetic.toml
		want    func(l *Limits)          // the expected limits, from the defaults
		wantErr string
	}{
		{"defaults written", nil, func(*Limits) {}, ""},
		{"missing keys take the defaults", func(s string) string {
			return "[api]\naddress = \"127.0.0.1:1317\"\n"
		}, func(*Limits) {}, ""},
		{"tuned", func(s string) string {
			s = strings.Replace(s, "max_connections = 1000", "max_connections = 50", 1)
			s = strings.Replace(s, `read_timeout = "20s"`, `read_timeout = "1m"`, 1)
			s = strings.Replace(s, "max_concurrent_queries = 0", "max_concurrent_queries = 3", 1)
			return strings.Replace(s, `query_timeout = "2s"`, `query_timeout = "500ms"`, 1)
		}, func(l *Limits) {
			l.APIMaxConnections, l.APIReadTimeout, l.APIMaxConcurrentQueries, l.APIQueryTimeout = 50, time.Minute, 3, 500*time.Millisecond
		}, ""},
		{"tuned mempool and query gas", func(s string) string {
			s = strings.Replace(s, "held_total = 5000", "held_total = 100", 1)
			s = strings.Replace(s, "held_expiry_blocks = 20", "held_expiry_blocks = 5", 1)
			return strings.Replace(s, "query_gas_limit = 500000000", "query_gas_limit = 1000000", 1)
		}, func(l *Limits) {
			l.Hold.Total, l.Hold.ExpiryBlocks, l.QueryGasLimit = 100, 5, 1_000_000
		}, ""},
		{"no held transactions", func(s string) string {
			return strings.Replace(s, "held_per_sender = 64", "held_per_sender = 0", 1)
		}, nil, "mempool.held_per_sender is 0"},
		{"zero connections", func(s string) string {
			return strings.Replace(s, "max_connections = 1000", "max_connections = 0", 1)
		}, nil, "api.max_connections is 0"},
		{"a bare number is nanoseconds", func(s string) string {
			return strings.Replace(s, `idle_timeout = "30s"`, `idle_timeout = 30`, 1)
		}, nil, "api.idle_timeout is 30ns"},
		{"header timeout beyond read timeout", func(s string) string {
			return strings.Replace(s, `read_header_timeout = "5s"`, `read_header_timeout = "1m"`, 1)
		}, nil, "exceeds api.read_timeout"},
		{"negative reserve", func(s string) string {
			return strings.Replace(s, "fd_reserve = 3000", "fd_reserve = -1", 1)
		}, nil, "limits.fd_reserve is -1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Home(filepath.Join(t.TempDir(), "home"))
			require.NoError(t, writeConfig(h, &Config{Comet: defaultCometConfig(h, "m"), APIAddress: DefaultAPIAddress, LogLevel: "info"}))
			require.NoError(t, os.WriteFile(h.Genesis(), []byte("{}"), 0o600))
			if tc.edit != nil {
				bz, err := os.ReadFile(h.HermeticConfig())
				require.NoError(t, err)
				edited := tc.edit(string(bz))
				require.NotEqual(t, string(bz), edited, "the edit changed nothing")
				require.NoError(t, os.WriteFile(h.HermeticConfig(), []byte(edited), 0o600))
			}
			c, err := LoadConfig(h)
			if tc.wantErr != "" {
				require.ErrorIs(t, err, ErrBadConfig)
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			want := DefaultLimits()
			tc.want(&want)
			require.Equal(t, want, c.Limits)
			require.Equal(t, DefaultRPCMaxHeaderBytes, c.Comet.RPC.MaxHeaderBytes)
		})
	}
}

func TestAPIWriteTimeoutCoversTheHandlers(t *testing.T) {
	l := DefaultLimits()
	require.Greater(t, l.apiWriteTimeout(), l.APIReadTimeout+l.APIBroadcastCommitTimeout)
	require.Greater(t, l.apiWriteTimeout(), l.APIReadTimeout+l.APIQueryTimeout)
}

// TestAPIConnectionCap starts a devnet whose API takes 3 connections and
// reads a request in 1 s: 3 idle clients that announce a body and never send
// it hold every slot, a 4th waits; the server drops the idle ones at the
// read timeout, and the 4th is served.
func TestAPIConnectionCap(t *testing.T) {
	h := Home(filepath.Join(t.TempDir(), "home"))
	require.NoError(t, Init(h, InitOptions{
		ChainID: "limits-test", Moniker: "test", KeyringBackend: "test", DevAccounts: true, AllowSimulatedAttestation: true,
		Addresses: Addresses{P2P: "tcp://127.0.0.1:" + freePort(t), RPC: "tcp://127.0.0.1:" + freePort(t), API: "127.0.0.1:" + freePort(t)},
	}))
	cfg, err := LoadConfig(h)
	require.NoError(t, err)
	cfg.Comet.Consensus.TimeoutCommit = 100 * time.Millisecond
	cfg.Comet.P2P.PexReactor = false
	cfg.Limits.APIMaxConnections = 3
	cfg.Limits.APIReadHeaderTimeout = 500 * time.Millisecond
	cfg.Limits.APIReadTimeout = time.Second
	require.NoError(t, writeConfig(h, cfg))
	n, err := Start(context.Background(), h, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	require.NoError(t, err)
	t.Cleanup(n.Stop)
	// No keep-alive: the cap counts kept-alive connections too.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	status := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+n.APIAddr+"/hermetic/v1/status", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %s", resp.Status)
		}
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for status(context.Background()) != nil {
		require.True(t, time.Now().Before(deadline), "the API never answered")
		time.Sleep(50 * time.Millisecond)
	}

	var idle []net.Conn
	for range 3 {
		conn, err := net.Dial("tcp", n.APIAddr)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		_, err = fmt.Fprintf(conn, "POST /hermetic/v1/txs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
		require.NoError(t, err)
		idle = append(idle, conn)
	}
	time.Sleep(100 * time.Millisecond) // let the server accept them

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = status(ctx)
	cancel()
	require.Error(t, err, "a 4th connection is served while 3 hold every slot")

	begin := time.Now()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = status(ctx)
	require.NoError(t, err, "the idle connections were not dropped")
	require.Less(t, time.Since(begin), 5*time.Second)
	for _, conn := range idle {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		_, err := io.ReadAll(conn) // the server's answer, then EOF
		require.NoError(t, err, "the server did not close an idle connection")
	}
}
