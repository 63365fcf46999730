package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/node"
)

// DevnetChainID is the chain id of the development network.
const DevnetChainID = "hermetic-devnet"

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func devnetCmd(g *globals) *cobra.Command {
	var (
		reset bool
		addrs node.Addresses
	)
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Run a one-validator development network (created on first run, resumed after)",
		Long: `Run a one-validator development network in --home (default ~/.hermetic).

The first run creates the home: a genesis with funded development accounts
(alice, bob, carol and dave, whose key is P-256) whose keys are kept in the
home's keyring with the plaintext "test" backend — development only. Later
runs resume the same chain; --reset deletes the home and starts over.
Ctrl-C stops the node cleanly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := node.Home(g.home)
			if reset {
				if err := os.RemoveAll(g.home); err != nil {
					return fmt.Errorf("reset %s: %w", g.home, err)
				}
			}
			fresh := !h.Exists()
			if fresh {
				if err := node.Init(h, node.InitOptions{
					ChainID: DevnetChainID, Moniker: "devnet", KeyringBackend: "test", DevAccounts: true,
					Addresses: addrs, AllowSimulatedAttestation: true,
				}); err != nil {
					return fmt.Errorf("create devnet home: %w", err)
				}
			}
			cfg, err := node.LoadConfig(h)
			if err != nil {
				return err
			}
			log, err := g.logger(cfg.LogLevel)
			if err != nil {
				return err
			}
			if fresh {
				log.Info("created development network", "home", g.home, "chain_id", DevnetChainID)
			} else {
				log.Info("resuming development network", "home", g.home)
			}
			if err := printDevAccounts(cmd, h); err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return node.Run(ctx, h, log)
		},
	}
	cmd.Flags().BoolVar(&reset, "reset", false, "delete the home and start a new chain")
	addressFlags(cmd, &addrs, "used when the home is created")
	return cmd
}

func printDevAccounts(cmd *cobra.Command, h node.Home) error {
	kr, err := keyring.Open(h.Keyring(), "test", nil)
	if err != nil {
		return fmt.Errorf("open devnet keyring: %w", err)
	}
	recs, err := kr.List()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "Development accounts (keyring %s, backend test: development only):\n", h.Keyring())
	for _, r := range recs {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", r.Name, r.Type, r.Address)
	}
	fmt.Fprintf(w, "Send with: hermeticd tx bank send alice <address> 1000uherm --keyring-backend test --home %s\n", h)
	return w.Flush()
}

func initCmd(g *globals) *cobra.Command {
	var o node.InitOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a validator's home with a single-validator genesis",
		Long: `Create a validator's home: configuration, node and consensus keys, an operator
account (in the keyring; "file" backend asks for a passphrase) bonded as the
only validator of a new genesis. For a multi-validator network on one machine
use "hermeticd testnet".

Without --allow-simulated-attestation the genesis forbids simulated
attestation, as a production network's must. This build's only enclave
backend is the simulation, which gives no hardware protection and could
never start on such a genesis, so init then refuses and writes nothing: for a
development network use "hermeticd devnet" or pass
--allow-simulated-attestation.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Passphrase = newPassphrase
			if err := node.Init(node.Home(g.home), o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "initialised %s for chain %s; start with: hermeticd start --home %s\n", g.home, o.ChainID, g.home)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.ChainID, "chain-id", "hermetic-1", "chain id")
	cmd.Flags().StringVar(&o.Moniker, "moniker", "validator", "validator name")
	cmd.Flags().StringVar(&o.KeyringBackend, "keyring-backend", "file", "keyring backend for the operator key: file or test")
	cmd.Flags().BoolVar(&o.AllowSimulatedAttestation, "allow-simulated-attestation", false,
		"accept simulated enclaves, whose reports prove nothing (required without a TEE): development and test networks only")
	addressFlags(cmd, &o.Addresses, "")
	return cmd
}

func startCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "start",
		Short: "Run the validator whose home is --home",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			h := node.Home(g.home)
			cfg, err := node.LoadConfig(h)
			if err != nil {
				return err
			}
			log, err := g.logger(cfg.LogLevel)
			if err != nil {
				return err
			}
			ctx, stop := signalContext()
			defer stop()
			return node.Run(ctx, h, log)
		},
	}
}

func testnetCmd(_ *globals) *cobra.Command {
	var (
		o   node.TestnetOptions
		dir string
		ip  string
	)
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write an N-validator network on loopback addresses",
		Long: `Write DIR/node0 … DIR/node{N-1}: validator homes whose nodes listen on
127.0.0.1, 127.0.0.2, … (from --starting-ip) with the same ports, each
started with "hermeticd start --home DIR/nodeK". DIR/keyring holds funded
development accounts. All keys use the plaintext "test" keyring backend.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.StartingIP = net.ParseIP(ip)
			if o.StartingIP == nil {
				return fmt.Errorf("bad --starting-ip %q", ip)
			}
			if err := node.Testnet(dir, o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d validators in %s\n", o.Validators, dir)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Validators, "validators", 4, "number of validators")
	f.StringVar(&dir, "output", "./testnet", "directory to write")
	f.StringVar(&o.ChainID, "chain-id", "hermetic-testnet", "chain id")
	f.StringVar(&ip, "starting-ip", "127.0.0.1", "address of node0; node k gets this plus k")
	f.IntVar(&o.P2PPort, "p2p-port", 26656, "p2p port of every node")
	f.IntVar(&o.RPCPort, "rpc-port", 26657, "CometBFT RPC port of every node")
	f.IntVar(&o.APIPort, "api-port", 1317, "API port of every node")
	f.DurationVar(&o.TimeoutCommit, "timeout-commit", time.Second, "pause after each block")
	return cmd
}
