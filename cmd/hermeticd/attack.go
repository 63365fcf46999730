package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/loadgen/attack"
)

// attackCmd runs the denial-of-service attacks of loadgen/attack against a
// node, for operators checking their limits and for the benchmarks that
// measure honest throughput under attack (BENCHMARKS.md).
func attackCmd(g *globals) *cobra.Command {
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "Attack a node's API as a stranger would (mempool flood, looping queries, idle connections), to test its limits",
		Long: `Run one of the denial-of-service attacks Hermetic's limits are built to
withstand against the node at --node, for --duration, and report how many
attempts it accepted, refused or left unanswered. Run an honest load
(hermeticd bench) at the same time to see what it keeps; docs/security.md
says which limit stops each attack. Only attack nodes you run.`,
	}
	cmd.PersistentFlags().DurationVar(&duration, "duration", 30*time.Second, "how long the attack runs")
	run := func(cmd *cobra.Command, f func(ctx context.Context) (attack.Report, error)) error {
		ctx, cancel := context.WithTimeout(cmd.Context(), duration)
		defer cancel()
		r, err := f(ctx)
		if err != nil {
			return err
		}
		return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
			fmt.Fprintf(w, "%s for %s: %d attempts, %d accepted, %d refused, %d unanswered\n",
				r.Kind, r.Duration.Round(time.Millisecond), r.Attempts, r.Accepted, r.Refused, r.Errors)
			codes := make([]string, 0, len(r.Codes))
			for c := range r.Codes {
				codes = append(codes, c)
			}
			slices.Sort(codes)
			for _, c := range codes {
				fmt.Fprintf(w, "  refused with %s: %d\n", c, r.Codes[c])
			}
		})
	}

	var fc attack.FloodConfig
	var funder string
	var kf keyringFlags
	flood := &cobra.Command{
		Use:   "flood",
		Short: "Flood the mempool with transfers of fresh, unfunded accounts that can never execute (sequences 1..--ahead)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fc.Node = g.nodeURL
			if funder != "" {
				var err error
				if fc.Funder, err = kf.key(g, funder); err != nil {
					return err
				}
			}
			return run(cmd, func(ctx context.Context) (attack.Report, error) { return attack.Flood(ctx, fc) })
		},
	}
	kf.register(flood)
	flood.Flags().IntVar(&fc.Accounts, "accounts", 300, "fresh accounts per round")
	flood.Flags().IntVar(&fc.Ahead, "ahead", 63, "future sequences each account sends")
	flood.Flags().IntVar(&fc.Workers, "workers", 16, "concurrent broadcasts")
	flood.Flags().StringVar(&funder, "from", "", "also flood from this funded key (its balance bounds what it may hold)")

	var qc attack.QueryConfig
	var qkf keyringFlags
	var qfrom string
	queries := &cobra.Command{
		Use:   "queries",
		Short: "Keep --in-flight queries of a contract whose query loops forever running (deploys it with --from)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			k, err := qkf.key(g, qfrom)
			if err != nil {
				return err
			}
			qc.Node = g.nodeURL
			if qc.Contract, err = attack.DeployLoop(cmd.Context(), g.nodeURL, k); err != nil {
				return err
			}
			return run(cmd, func(ctx context.Context) (attack.Report, error) { return attack.Queries(ctx, qc) })
		},
	}
	qkf.register(queries)
	queries.Flags().IntVar(&qc.InFlight, "in-flight", 64, "queries kept running at once")
	queries.Flags().StringVar(&qfrom, "from", "", "funded key that deploys the looping contract")
	_ = queries.MarkFlagRequired("from")

	var cc attack.ConnConfig
	conns := &cobra.Command{
		Use:   "conns",
		Short: "Hold --conns connections that announce a request body and never send it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cc.Addr == "" {
				u, err := url.Parse(g.nodeURL)
				if err != nil || u.Host == "" {
					return fmt.Errorf("bad --node %q: want http://HOST:PORT", g.nodeURL)
				}
				cc.Addr = u.Host
			}
			return run(cmd, func(ctx context.Context) (attack.Report, error) { return attack.IdleConns(ctx, cc) })
		},
	}
	conns.Flags().IntVar(&cc.Conns, "conns", 10_000, "connections held open")
	conns.Flags().StringVar(&cc.Addr, "addr", "", "host:port to connect to (default: --node's; e.g. the CometBFT RPC's)")
	conns.Flags().StringVar(&cc.Source, "source", "", "local address to connect from (e.g. 127.0.0.2, to attack from another address than honest clients)")

	cmd.AddCommand(flood, queries, conns)
	return cmd
}
