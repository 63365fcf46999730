package node

import (
	"fmt"
	"os"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"

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
}

// defaultCometConfig is CometBFT's default configuration with Hermetic's
// changes: a home root, loopback listeners, a larger mempool (the load the
// chain is built for), fast gossip, and the kv tx indexer (for tx queries).
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
	body := fmt.Sprintf(`# Hermetic's node settings (CometBFT's are in config.toml).

[api]
# Where the HTTP JSON API listens; empty disables it.
address = %q

[log]
# debug, info, warn or error. CometBFT's own logs show from warn up unless debug.
level = %q

[enclave]
# The enclave backend is "sim": SIMULATION, no hardware protection.
# Run on a chain whose genesis accepts simulated attestation reports, which
# prove nothing: true only for development and test networks.
allow_simulated_attestation = %t
`, c.APIAddress, c.LogLevel, c.AllowSimulatedAttestation)
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
	if err := hv.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", h.HermeticConfig(), err)
	}
	c.APIAddress = hv.GetString("api.address")
	c.LogLevel = hv.GetString("log.level")
	c.AllowSimulatedAttestation = hv.GetBool("enclave.allow_simulated_attestation")
	return c, nil
}
