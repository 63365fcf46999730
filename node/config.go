package node

import (
	"fmt"
	"os"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/tx"
)

// Default listen addresses: the ecosystem's usual ports, on loopback.
const (
	DefaultP2PAddress = "tcp://127.0.0.1:26656"
	DefaultRPCAddress = "tcp://127.0.0.1:26657"
	DefaultAPIAddress = "127.0.0.1:1317"
)

// Config is what a node reads from its home at start.
type Config struct {
	// Comet is CometBFT's configuration, from config/config.toml.
	Comet *cmtcfg.Config
	// APIAddress is where the HTTP JSON API listens (host:port); empty
	// disables it.
	APIAddress string
	// LogLevel is the level of Hermetic's logs: debug, info, warn or error.
	// CometBFT's own logs are shown from warn up unless it is debug.
	LogLevel string
	// AllowSimulatedAttestation agrees to run on a chain whose genesis
	// accepts simulated attestation reports (development networks). A
	// node refuses such a chain unless this is set.
	AllowSimulatedAttestation bool
	// Limits bound the API's connections, requests and contract queries;
	// unset (zero) fields are written and read as their defaults.
	Limits Limits
}

// defaultCometConfig is CometBFT's default configuration with Hermetic's
// changes: a home root, loopback listeners, a larger mempool (the load the
// chain is built for), fast gossip, the kv tx indexer (for tx queries), and
// its connection limits stated (docs/operations.md): the RPC's and the
// peers' caps count against the descriptor limit with the API's (fdBudget),
// and the RPC's request headers are bounded to 64 KiB (CometBFT: 1 MiB).
func defaultCometConfig(h Home, moniker string) *cmtcfg.Config {
	c := cmtcfg.DefaultConfig()
	c.SetRoot(string(h))
	c.Moniker = moniker
	c.P2P.ListenAddress = DefaultP2PAddress
	c.RPC.ListenAddress = DefaultRPCAddress
	c.Mempool.Size = 50_000
	c.Mempool.CacheSize = 100_000
	c.Mempool.MaxTxBytes = tx.MaxTxBytes
	c.Consensus.TimeoutCommit = time.Second
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.TxIndex.Indexer = "kv"
	c.RPC.MaxOpenConnections = DefaultRPCMaxOpenConnections
	c.RPC.MaxSubscriptionClients = DefaultRPCMaxSubscriptions
	c.RPC.TimeoutBroadcastTxCommit = DefaultRPCBroadcastCommit
	c.RPC.MaxBodyBytes = DefaultRPCMaxBodyBytes
	c.RPC.MaxHeaderBytes = DefaultRPCMaxHeaderBytes
	c.P2P.MaxNumInboundPeers = DefaultP2PMaxInboundPeers
	c.P2P.MaxNumOutboundPeers = DefaultP2PMaxOutboundPeers
	return c
}

// writeConfig writes both configuration files into the home.
func writeConfig(h Home, c *Config) error {
	if err := os.MkdirAll(h.Config(), 0o700); err != nil {
		return fmt.Errorf("create config dir: %w", err)
	}
	if err := os.MkdirAll(h.Data(), 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	cmtcfg.WriteConfigFile(h.CometConfig(), c.Comet)
	l := c.Limits.withDefaults()
	body := fmt.Sprintf(`# Hermetic's node settings (CometBFT's are in config.toml).
# docs/operations.md explains every limit and how to tune it.

[api]
# Where the HTTP JSON API listens; empty disables it.
address = %q
# Connections open at once; more wait until one closes. This, CometBFT's
# rpc.max_open_connections, the peers and limits.fd_reserve must fit in
# the process's file descriptor limit (ulimit -n).
max_connections = %d
# Of those, how many one remote address may hold; more from it are closed
# at once, so that one host cannot take every slot.
max_connections_per_ip = %d
# Time for a request's headers, and for the whole request with its body
# (allow the largest broadcast, about 2.8 MB, at the slowest client's rate).
read_header_timeout = %q
read_timeout = %q
# A kept-alive connection idle this long is closed.
idle_timeout = %q
# How long a broadcast in "commit" mode waits for its block.
broadcast_commit_timeout = %q
# Bytes of broadcast bodies larger than 64 KiB being received at once; one
# more is refused with 503 and Retry-After (smaller ones are not counted).
broadcast_bytes = %d
# Contract queries running at once (0: half the CPUs, at least 1); one more waits 50 ms
# for a slot, then is refused with 503 and Retry-After.
max_concurrent_queries = %d
# A contract query's deadline; past it the answer is 504.
query_timeout = %q
# A contract query's gas, in VM gas (about 0.1 ns each, docs/gas.md); past it the
# query fails with out of gas (code 15). Queries cost their sender nothing.
query_gas_limit = %d
# Time all contract queries together may take per second ("0s": 125ms per
# CPU, an eighth of the machine); a query after it is used up gets 503 with
# Retry-After. Raise it on a node that serves queries and validates nothing.
query_time_per_second = %q

[mempool]
# Transactions ahead of their sender's next sequence wait in the mempool for
# the ones before them, if signed, paying the minimum fee and covered by
# the sender's balance. Per sender: how many (also how far ahead) and bytes.
held_per_sender = %d
held_per_sender_bytes = %d
# All held transactions together; when full, the oldest are evicted.
held_total = %d
held_total_bytes = %d
# Blocks a held transaction may wait before it is dropped.
held_expiry_blocks = %d

[limits]
# File descriptors kept for databases, the WAL, state files and logs when
# the connection caps are checked against the descriptor limit at start.
fd_reserve = %d

[log]
# debug, info, warn or error. CometBFT's own logs show from warn up unless debug.
level = %q

[enclave]
# The enclave backend is "sim": SIMULATION, no hardware protection.
# Run on a chain whose genesis accepts simulated attestation reports, which
# prove nothing: true only for development and test networks.
allow_simulated_attestation = %t
`, c.APIAddress, l.APIMaxConnections, l.APIMaxConnectionsPerIP, l.APIReadHeaderTimeout, l.APIReadTimeout, l.APIIdleTimeout,
		l.APIBroadcastCommitTimeout, l.APIBroadcastBytes, l.APIMaxConcurrentQueries, l.APIQueryTimeout, l.QueryGasLimit, l.APIQueryTimePerSecond,
		l.Hold.PerSender, l.Hold.PerSenderBytes, l.Hold.Total, l.Hold.TotalBytes, l.Hold.ExpiryBlocks, l.FDReserve,
		c.LogLevel, c.AllowSimulatedAttestation)
	if err := os.WriteFile(h.HermeticConfig(), []byte(body), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", h.HermeticConfig(), err)
	}
	return nil
}

// LoadConfig reads a home's configuration files.
func LoadConfig(h Home) (*Config, error) {
	if !h.Exists() {
		return nil, fmt.Errorf("%w: %s (run `hermeticd init` or `hermeticd devnet`)", ErrNoHome, h)
	}
	c := &Config{Comet: cmtcfg.DefaultConfig()}
	v := viper.New()
	v.SetConfigFile(h.CometConfig())
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", h.CometConfig(), err)
	}
	if err := v.Unmarshal(c.Comet); err != nil {
		return nil, fmt.Errorf("parse %s: %w", h.CometConfig(), err)
	}
	c.Comet.SetRoot(string(h))
	if err := c.Comet.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("check %s: %w", h.CometConfig(), err)
	}
	hv := viper.New()
	hv.SetConfigFile(h.HermeticConfig())
	hv.SetDefault("api.address", DefaultAPIAddress)
	hv.SetDefault("log.level", "info")
	d := DefaultLimits()
	hv.SetDefault("api.max_connections", d.APIMaxConnections)
	hv.SetDefault("api.max_connections_per_ip", d.APIMaxConnectionsPerIP)
	hv.SetDefault("api.read_header_timeout", d.APIReadHeaderTimeout)
	hv.SetDefault("api.read_timeout", d.APIReadTimeout)
	hv.SetDefault("api.idle_timeout", d.APIIdleTimeout)
	hv.SetDefault("api.broadcast_commit_timeout", d.APIBroadcastCommitTimeout)
	hv.SetDefault("api.broadcast_bytes", d.APIBroadcastBytes)
	hv.SetDefault("api.max_concurrent_queries", d.APIMaxConcurrentQueries)
	hv.SetDefault("api.query_timeout", d.APIQueryTimeout)
	hv.SetDefault("api.query_gas_limit", d.QueryGasLimit)
	hv.SetDefault("api.query_time_per_second", d.APIQueryTimePerSecond)
	hv.SetDefault("mempool.held_per_sender", d.Hold.PerSender)
	hv.SetDefault("mempool.held_per_sender_bytes", d.Hold.PerSenderBytes)
	hv.SetDefault("mempool.held_total", d.Hold.Total)
	hv.SetDefault("mempool.held_total_bytes", d.Hold.TotalBytes)
	hv.SetDefault("mempool.held_expiry_blocks", d.Hold.ExpiryBlocks)
	hv.SetDefault("limits.fd_reserve", d.FDReserve)
	if err := hv.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", h.HermeticConfig(), err)
	}
	c.APIAddress = hv.GetString("api.address")
	c.LogLevel = hv.GetString("log.level")
	c.AllowSimulatedAttestation = hv.GetBool("enclave.allow_simulated_attestation")
	c.Limits = Limits{
		APIMaxConnections:         hv.GetInt("api.max_connections"),
		APIMaxConnectionsPerIP:    hv.GetInt("api.max_connections_per_ip"),
		APIReadHeaderTimeout:      hv.GetDuration("api.read_header_timeout"),
		APIReadTimeout:            hv.GetDuration("api.read_timeout"),
		APIIdleTimeout:            hv.GetDuration("api.idle_timeout"),
		APIBroadcastCommitTimeout: hv.GetDuration("api.broadcast_commit_timeout"),
		APIBroadcastBytes:         hv.GetInt("api.broadcast_bytes"),
		APIMaxConcurrentQueries:   hv.GetInt("api.max_concurrent_queries"),
		APIQueryTimeout:           hv.GetDuration("api.query_timeout"),
		QueryGasLimit:             hv.GetUint64("api.query_gas_limit"),
		APIQueryTimePerSecond:     hv.GetDuration("api.query_time_per_second"),
		Hold: app.HoldLimits{
			PerSender:      hv.GetInt("mempool.held_per_sender"),
			PerSenderBytes: hv.GetInt("mempool.held_per_sender_bytes"),
			Total:          hv.GetInt("mempool.held_total"),
			TotalBytes:     hv.GetInt("mempool.held_total_bytes"),
			ExpiryBlocks:   hv.GetInt64("mempool.held_expiry_blocks"),
		},
		FDReserve: hv.GetInt("limits.fd_reserve"),
	}
	if err := c.Limits.validate(); err != nil {
		return nil, fmt.Errorf("check %s: %w", h.HermeticConfig(), err)
	}
	return c, nil
}
