package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/loadgen"
)

// tokenGasLimit is bench's gas limit for a token transfer: 1.09× the
// 839,000 a transfer of contracts/token uses, so that the block gas limit
// (1,000,000,000: about a second of execution, docs/gas.md; a block counts
// gas limits, not gas used) holds 1,092 of them. A transfer that runs out
// of gas fails the run.
const tokenGasLimit = 915_000

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
and report committed transactions per second (those that succeeded: a run
with failed transactions reports them and exits with an error) and commit
latency: from submission to the first sight of the block that holds the
transaction with its results (CometBFT stores a decided block before it
executes it; a transaction counts once executed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Funder, err = kf.key(g, from); err != nil {
				return err
			}
			if tokenWASM != "" {
				wasm, err := os.ReadFile(filepath.Clean(tokenWASM))
				if err != nil {
					return err
				}
				cfg.Token = &loadgen.TokenLoad{WASM: wasm, Plaintext: plaintext}
				if !cmd.Flags().Changed("gas") {
					cfg.GasLimit = tokenGasLimit
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
			if err != nil && !errors.Is(err, loadgen.ErrIncomplete) && !errors.Is(err, loadgen.ErrFailed) {
				return err // nothing was measured: no zero figures
			}
			if perr := g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "sent %d, committed %d (%d failed), refused %d in %s over %d blocks (max %d txs per block)\n",
					res.Sent, res.Committed, res.Failed, res.Rejected, res.Duration.Round(time.Millisecond), res.Blocks, res.MaxPerBlk)
				fmt.Fprintf(w, "throughput: %.0f committed tx/s (succeeded)\n", res.TPS)
				fmt.Fprintf(w, "commit latency: p50 %s  p90 %s  p99 %s\n", res.LatencyP50.Round(time.Millisecond), res.LatencyP90.Round(time.Millisecond), res.LatencyP99.Round(time.Millisecond))
			}); perr != nil {
				return perr
			}
			return err
		},
	}
	kf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&from, "from", "alice", "key that funds the sender accounts")
	f.StringVar(&nodes, "nodes", "", "comma-separated API addresses (default: --node)")
	f.IntVar(&cfg.Senders, "senders", 32, "concurrent sender accounts")
	f.IntVar(&cfg.Txs, "txs", 20000, "total transfers")
	f.IntVar(&cfg.Rate, "rate", 0, "submissions per second over all senders (0: as fast as accepted)")
	f.Uint64Var(&cfg.GasLimit, "gas", loadgen.SendGasLimit, "gas limit of each transfer (900,000 with --token-wasm)")
	f.StringVar(&tokenWASM, "token-wasm", "", "send token transfers of this contract (contracts/token built with `contract build`) instead of bank sends")
	f.BoolVar(&plaintext, "plaintext", false, "with --token-wasm: send the transfers unencrypted")
	cmd.AddCommand(benchQueriesCmd(g))
	return cmd
}

// benchQueriesCmd is `hermeticd bench queries`: latency and rate of
// encrypted token balance queries authorised by a permit.
func benchQueriesCmd(g *globals) *cobra.Command {
	var (
		kf        keyringFlags
		cfg       loadgen.QueryConfig
		from      string
		nodes     string
		tokenWASM string
	)
	cmd := &cobra.Command{
		Use:   "queries --token-wasm FILE",
		Short: "Encrypted, permit-authenticated contract queries: latency percentiles and queries per second",
		Long: `Store and instantiate the token (--token-wasm, contracts/token built with
` + "`contract build`" + `) with a balance for the key --from, sign one permit for it
offline, and have --concurrency workers send --queries encrypted
{"with_permit":{"permit":...,"query":{"balance":{}}}} queries to the nodes in
--nodes (round-robin), after ` + fmt.Sprint(loadgen.QueryWarmup) + ` unmeasured warm-up queries. Every answer
must be the right balance. Latency runs from the query's encryption to its
decrypted answer.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if tokenWASM == "" {
				return errors.New("--token-wasm is required: the token contract, built with 'hermeticd contract build contracts/token'")
			}
			var err error
			if cfg.TokenWASM, err = os.ReadFile(filepath.Clean(tokenWASM)); err != nil {
				return fmt.Errorf("read --token-wasm: %w", err)
			}
			if cfg.Funder, err = kf.key(g, from); err != nil {
				return err
			}
			cfg.Nodes = strings.Split(nodes, ",")
			if nodes == "" {
				cfg.Nodes = []string{g.nodeURL}
			}
			if cfg.Logger, err = g.logger("info"); err != nil {
				return err
			}
			res, err := loadgen.Queries(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				r := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
				fmt.Fprintf(w, "%d permit queries in %s (%d workers): %.0f q/s; latency p50 %s  p90 %s  p99 %s  max %s\n",
					res.Queries, res.Duration.Round(time.Millisecond), res.Concurrency, res.QPS, r(res.P50), r(res.P90), r(res.P99), r(res.Max))
			})
		},
	}
	kf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&tokenWASM, "token-wasm", "", "the token contract's wasm `FILE` (contracts/token built with 'hermeticd contract build')")
	f.IntVar(&cfg.Queries, "queries", loadgen.DefaultQueries, "measured queries")
	f.IntVar(&cfg.Concurrency, "concurrency", loadgen.DefaultConcurrency, "concurrent workers, each with one query in flight")
	f.StringVar(&from, "from", "alice", "key that instantiates the token, holds a balance and signs the permit")
	f.StringVar(&nodes, "nodes", "", "comma-separated API addresses (default: --node)")
	return cmd
}
