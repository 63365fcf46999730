package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/loadgen"
)

func benchCmd(g *globals) *cobra.Command {
	var (
		kf        keyringFlags
		cfg       loadgen.Config
		from      string
		nodes     string
		tokenWASM string
		plaintext bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load generator: committed bank sends per second and commit latency",
		Long: `Fund --senders fresh accounts from the key --from, have them send --txs bank
transfers in total (signed beforehand) to the nodes in --nodes (round-robin),
and report committed transactions per second and commit latency (submission
to the first sight of the block that holds the transaction).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			if cfg.Funder, err = kr.Key(from); err != nil {
				return fmt.Errorf("key %s: %w", from, err)
			}
			if tokenWASM != "" {
				wasm, err := os.ReadFile(filepath.Clean(tokenWASM))
				if err != nil {
					return err
				}
				cfg.Token = &loadgen.TokenLoad{WASM: wasm, Plaintext: plaintext}
				if !cmd.Flags().Changed("gas") {
					cfg.GasLimit = 1_000_000
				}
			}
			cfg.Nodes = strings.Split(nodes, ",")
			if nodes == "" {
				cfg.Nodes = []string{g.nodeURL}
			}
			if cfg.Logger, err = g.logger("info"); err != nil {
				return err
			}
			res, err := loadgen.Run(cmd.Context(), cfg)
			perr := g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "sent %d, committed %d, refused %d in %s over %d blocks (max %d txs per block)\n",
					res.Sent, res.Committed, res.Rejected, res.Duration.Round(time.Millisecond), res.Blocks, res.MaxPerBlk)
				fmt.Fprintf(w, "throughput: %.0f committed tx/s\n", res.TPS)
				fmt.Fprintf(w, "commit latency: p50 %s  p90 %s  p99 %s\n", res.LatencyP50.Round(time.Millisecond), res.LatencyP90.Round(time.Millisecond), res.LatencyP99.Round(time.Millisecond))
			})
			if err != nil {
				return err
			}
			return perr
		},
	}
	kf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&from, "from", "alice", "key that funds the sender accounts")
	f.StringVar(&nodes, "nodes", "", "comma-separated API addresses (default: --node)")
	f.IntVar(&cfg.Senders, "senders", 32, "concurrent sender accounts")
	f.IntVar(&cfg.Txs, "txs", 20000, "total transfers")
	f.IntVar(&cfg.Rate, "rate", 0, "submissions per second over all senders (0: as fast as accepted)")
	f.Uint64Var(&cfg.GasLimit, "gas", 40_000, "gas limit of each transfer (1,000,000 with --token-wasm)")
	f.StringVar(&tokenWASM, "token-wasm", "", "send token transfers of this contract (contracts/token built with `contract build`) instead of bank sends")
	f.BoolVar(&plaintext, "plaintext", false, "with --token-wasm: send the transfers unencrypted")
	return cmd
}
