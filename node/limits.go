package node

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
)

// Limits bound what clients of the node's HTTP API can hold: connections,
// the time a request may take, concurrent contract queries; and the file
// descriptors the node keeps for its own files. They are the [api] and
// [limits] settings of hermetic.toml; docs/operations.md explains each.
type Limits struct {
	// APIMaxConnections is how many API connections are open at once;
	// more wait in the kernel's listen backlog until one closes.
	APIMaxConnections int
	// APIMaxConnectionsPerIP is how many of them one remote address may
	// hold; more from it are closed at once.
	APIMaxConnectionsPerIP int
	// APIReadHeaderTimeout bounds the arrival of a request's headers.
	APIReadHeaderTimeout time.Duration
	// APIReadTimeout bounds the arrival of a whole request, headers and
	// body: it must allow the largest body (api.MaxBroadcastBody) at the
	// slowest rate a legitimate client sends.
	APIReadTimeout time.Duration
	// APIIdleTimeout closes a kept-alive connection idle this long.
	APIIdleTimeout time.Duration
	// APIBroadcastCommitTimeout bounds a "commit" broadcast's wait for its
	// block (api.Options.CommitTimeout).
	APIBroadcastCommitTimeout time.Duration
	// APIMaxConcurrentQueries is how many contract queries run at once; 0
	// means half the CPUs (at least one).
	APIMaxConcurrentQueries int
	// APIQueryTimeout bounds a contract query's run.
	APIQueryTimeout time.Duration
	// QueryGasLimit bounds a contract query's VM gas
	// (app.Options.QueryGasLimit).
	QueryGasLimit uint64
	// APIQueryTimePerSecond bounds the time all contract queries together
	// take per second (api.Options.QueryTimePerSecond); 0 means
	// api.DefaultQueryTimePerCPU per CPU.
	APIQueryTimePerSecond time.Duration
	// APIBroadcastBytes bounds the bytes of large broadcast bodies in
	// flight (api.Options.BroadcastBytes).
	APIBroadcastBytes int
	// Hold bounds the transactions the mempool holds for an earlier
	// sequence of their sender (app.Options.Hold).
	Hold app.HoldLimits
	// FDReserve is the number of file descriptors kept for databases, the
	// WAL, state files and logs when the listeners' caps are checked
	// against the process's descriptor limit.
	FDReserve int
}

// Defaults of Limits and of the CometBFT limits Hermetic writes into a new
// config.toml. With them a node needs DefaultFDNeed file descriptors.
const (
	DefaultAPIMaxConnections         = 1000
	DefaultAPIMaxConnectionsPerIP    = 100
	DefaultAPIReadHeaderTimeout      = 5 * time.Second
	DefaultAPIReadTimeout            = 20 * time.Second
	DefaultAPIIdleTimeout            = 30 * time.Second
	DefaultAPIBroadcastCommitTimeout = api.DefaultCommitTimeout
	DefaultAPIQueryTimeout           = api.DefaultQueryTimeout
	// DefaultFDReserve: five goleveldb databases (the app's state,
	// CometBFT's blocks, state, tx index and evidence), each keeping up to
	// 500 table files open, and 500 for the WAL, state files, the wasm
	// cache and logs.
	DefaultFDReserve = 3000

	DefaultRPCMaxOpenConnections = 900
	DefaultRPCMaxSubscriptions   = 100
	DefaultRPCMaxBodyBytes       = 1_000_000
	DefaultRPCMaxHeaderBytes     = 64 << 10
	DefaultRPCBroadcastCommit    = 10 * time.Second
	DefaultP2PMaxInboundPeers    = 40
	DefaultP2PMaxOutboundPeers   = 10

	// DefaultFDNeed is what the defaults add up to (see fdBudget).
	DefaultFDNeed = DefaultAPIMaxConnections + DefaultRPCMaxOpenConnections +
		DefaultP2PMaxInboundPeers + DefaultP2PMaxOutboundPeers + DefaultFDReserve
)

// apiMaxHeaderBytes bounds an API request's headers (the request line
// included); the API's paths and headers are short.
const apiMaxHeaderBytes = 64 << 10

// writeTimeoutMargin is what an API answer has to be written after the
// body's arrival and the handler's longest wait.
const writeTimeoutMargin = 5 * time.Second

// minListenerConns is the least a listener's cap is lowered to, to fit the
// descriptor limit.
const minListenerConns = 64

// ErrBadConfig is returned by LoadConfig for a setting out of its range.
var ErrBadConfig = errors.New("invalid configuration")

// DefaultLimits returns the default Limits.
func DefaultLimits() Limits {
	return Limits{
		APIMaxConnections:         DefaultAPIMaxConnections,
		APIMaxConnectionsPerIP:    DefaultAPIMaxConnectionsPerIP,
		APIReadHeaderTimeout:      DefaultAPIReadHeaderTimeout,
		APIReadTimeout:            DefaultAPIReadTimeout,
		APIIdleTimeout:            DefaultAPIIdleTimeout,
		APIBroadcastCommitTimeout: DefaultAPIBroadcastCommitTimeout,
		APIQueryTimeout:           DefaultAPIQueryTimeout,
		APIBroadcastBytes:         api.DefaultBroadcastBytes,
		QueryGasLimit:             app.DefaultQueryGasLimit,
		Hold:                      app.DefaultHoldLimits(),
		FDReserve:                 DefaultFDReserve,
	}
}

// withDefaults returns l with each unset field (zero) at its default;
// APIMaxConcurrentQueries stays 0 (half the CPUs).
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.APIMaxConnections, d.APIMaxConnections)
	set(&l.APIMaxConnectionsPerIP, d.APIMaxConnectionsPerIP)
	setD(&l.APIReadHeaderTimeout, d.APIReadHeaderTimeout)
	setD(&l.APIReadTimeout, d.APIReadTimeout)
	setD(&l.APIIdleTimeout, d.APIIdleTimeout)
	setD(&l.APIBroadcastCommitTimeout, d.APIBroadcastCommitTimeout)
	setD(&l.APIQueryTimeout, d.APIQueryTimeout)
	set(&l.APIBroadcastBytes, d.APIBroadcastBytes)
	if l.QueryGasLimit == 0 {
		l.QueryGasLimit = d.QueryGasLimit
	}
	set(&l.Hold.PerSender, d.Hold.PerSender)
	set(&l.Hold.PerSenderBytes, d.Hold.PerSenderBytes)
	set(&l.Hold.Total, d.Hold.Total)
	set(&l.Hold.TotalBytes, d.Hold.TotalBytes)
	if l.Hold.ExpiryBlocks == 0 {
		l.Hold.ExpiryBlocks = d.Hold.ExpiryBlocks
	}
	set(&l.FDReserve, d.FDReserve)
	return l
}

// validate refuses settings out of range; a bare number where a duration
// belongs reads as nanoseconds, which the minimum of 100 ms catches.
func (l Limits) validate() error {
	if l.APIMaxConnections < 1 {
		return fmt.Errorf("%w: api.max_connections is %d, want at least 1", ErrBadConfig, l.APIMaxConnections)
	}
	if l.APIMaxConnectionsPerIP < 1 {
		return fmt.Errorf("%w: api.max_connections_per_ip is %d, want at least 1", ErrBadConfig, l.APIMaxConnectionsPerIP)
	}
	if l.APIQueryTimePerSecond != 0 && l.APIQueryTimePerSecond < time.Millisecond {
		return fmt.Errorf("%w: api.query_time_per_second is %s, want 0s (the default) or at least 1ms such as \"250ms\"", ErrBadConfig, l.APIQueryTimePerSecond)
	}
	if l.APIBroadcastBytes < api.MaxBroadcastBody {
		return fmt.Errorf("%w: api.broadcast_bytes is %d, want at least %d (one transaction of the largest size)", ErrBadConfig, l.APIBroadcastBytes, api.MaxBroadcastBody)
	}
	if l.APIMaxConcurrentQueries < 0 {
		return fmt.Errorf("%w: api.max_concurrent_queries is %d, want 0 (half the CPUs) or more", ErrBadConfig, l.APIMaxConcurrentQueries)
	}
	if l.FDReserve < 0 {
		return fmt.Errorf("%w: limits.fd_reserve is %d, want 0 or more", ErrBadConfig, l.FDReserve)
	}
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"mempool.held_per_sender", int64(l.Hold.PerSender)},
		{"mempool.held_per_sender_bytes", int64(l.Hold.PerSenderBytes)},
		{"mempool.held_total", int64(l.Hold.Total)},
		{"mempool.held_total_bytes", int64(l.Hold.TotalBytes)},
		{"mempool.held_expiry_blocks", l.Hold.ExpiryBlocks},
	} {
		if n.v < 1 {
			return fmt.Errorf("%w: %s is %d, want at least 1", ErrBadConfig, n.name, n.v)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"api.read_header_timeout", l.APIReadHeaderTimeout},
		{"api.read_timeout", l.APIReadTimeout},
		{"api.idle_timeout", l.APIIdleTimeout},
		{"api.broadcast_commit_timeout", l.APIBroadcastCommitTimeout},
		{"api.query_timeout", l.APIQueryTimeout},
	} {
		if d.v < 100*time.Millisecond {
			return fmt.Errorf("%w: %s is %s, want a duration of at least 100ms such as \"5s\"", ErrBadConfig, d.name, d.v)
		}
	}
	if l.APIReadHeaderTimeout > l.APIReadTimeout {
		return fmt.Errorf("%w: api.read_header_timeout (%s) exceeds api.read_timeout (%s)", ErrBadConfig, l.APIReadHeaderTimeout, l.APIReadTimeout)
	}
	return nil
}

// apiOptions are the API handler's limits.
func (l Limits) apiOptions() api.Options {
	return api.Options{
		CommitTimeout:        l.APIBroadcastCommitTimeout,
		MaxConcurrentQueries: l.APIMaxConcurrentQueries,
		QueryTimeout:         l.APIQueryTimeout,
		QueryTimePerSecond:   l.APIQueryTimePerSecond,
		BroadcastBytes:       int64(l.APIBroadcastBytes),
	}
}

// apiWriteTimeout is the API server's write timeout. net/http starts it
// when a request's headers have arrived, so it must cover the body's
// arrival (at most the read timeout), the handler's longest wait and the
// answer: it is derived from them, not set on its own.
func (l Limits) apiWriteTimeout() time.Duration {
	return l.APIReadTimeout + l.apiOptions().HandlerTimeout() + writeTimeoutMargin
}

// fdBudget is how many file descriptors the node may hold at once: the caps
// of its listeners (each accepted connection is a descriptor) and a reserve
// for its files.
type fdBudget struct {
	API     int // api.max_connections
	RPC     int // CometBFT rpc.max_open_connections
	GRPC    int // CometBFT rpc.grpc_max_open_connections, when gRPC is on
	P2P     int // inbound and outbound peers, persistent and unconditional ones included
	Reserve int // limits.fd_reserve
}

// newFDBudget reads the budget from the configuration.
func newFDBudget(c *cmtcfg.Config, l Limits) fdBudget {
	b := fdBudget{API: l.APIMaxConnections, RPC: c.RPC.MaxOpenConnections, Reserve: l.FDReserve}
	if c.RPC.GRPCListenAddress != "" {
		b.GRPC = c.RPC.GRPCMaxOpenConnections
	}
	b.P2P = c.P2P.MaxNumInboundPeers + c.P2P.MaxNumOutboundPeers +
		len(splitList(c.P2P.UnconditionalPeerIDs)) + len(splitList(c.P2P.PersistentPeers))
	return b
}

func (b fdBudget) total() int { return b.API + b.RPC + b.GRPC + b.P2P + b.Reserve }

// fit lowers the API's cap, then the RPC's, until the budget fits in limit
// descriptors, neither below minListenerConns (nor below where it is
// already). It reports whether the result fits.
func (b fdBudget) fit(limit uint64) (fdBudget, bool) {
	over := int64(b.total()) - int64(min(limit, uint64(1<<62)))
	for _, limitp := range []*int{&b.API, &b.RPC} {
		if over <= 0 {
			break
		}
		cut := min(over, int64(max(*limitp-minListenerConns, 0)))
		*limitp -= int(cut)
		over -= cut
	}
	return b, over <= 0
}

// applyFDLimits raises the process's descriptor limit to its hard limit and
// checks the listeners' caps against it. Where they do not fit it lowers
// the API's cap, then CometBFT's RPC cap, in c (not in the files), and warns
// with the `ulimit -n` that would fit them. An unlimited RPC (0) gets
// DefaultRPCMaxOpenConnections. It refuses nothing: a node whose limit
// cannot be read or raised runs with what it has.
func applyFDLimits(log *slog.Logger, c *Config) {
	if c.Comet.RPC.MaxOpenConnections <= 0 {
		log.Warn("rpc.max_open_connections is 0 (unlimited): idle connections could use up every file descriptor; capping it",
			"max_open_connections", DefaultRPCMaxOpenConnections)
		c.Comet.RPC.MaxOpenConnections = DefaultRPCMaxOpenConnections
	}
	if c.Comet.RPC.GRPCListenAddress != "" && c.Comet.RPC.GRPCMaxOpenConnections <= 0 {
		log.Warn("rpc.grpc_max_open_connections is 0 (unlimited); capping it", "grpc_max_open_connections", DefaultRPCMaxOpenConnections)
		c.Comet.RPC.GRPCMaxOpenConnections = DefaultRPCMaxOpenConnections
	}
	lim, err := raiseFDLimit()
	if err != nil {
		log.Warn("cannot raise the file descriptor limit; running with the current one", "err", err)
	}
	if lim.soft == 0 {
		return
	}
	b := newFDBudget(c.Comet, c.Limits)
	log.Info("file descriptor limit", "soft", lim.soft, "hard", lim.hard, "was", lim.before, "needed", b.total())
	if uint64(b.total()) <= lim.soft {
		return
	}
	fitted, ok := b.fit(lim.soft)
	hint := fmt.Sprintf("run the node with `ulimit -n %d` or more (LimitNOFILE= under systemd), or lower the caps", b.total())
	log.Warn("file descriptor limit too low for the configured connection caps; lowering them for this run",
		"limit", lim.soft, "needed", b.total(),
		"api.max_connections", fitted.API, "rpc.max_open_connections", fitted.RPC, "hint", hint)
	if !ok {
		log.Error("file descriptor limit too low even with lowered caps: connections can exhaust descriptors and halt consensus",
			"limit", lim.soft, "needed", fitted.total(), "hint", hint)
	}
	c.Limits.APIMaxConnections = fitted.API
	c.Comet.RPC.MaxOpenConnections = fitted.RPC
}

// fdLimit is the process's RLIMIT_NOFILE: soft and hard now, and the soft
// limit before raiseFDLimit.
type fdLimit struct {
	soft, hard, before uint64
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
