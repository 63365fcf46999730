package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/keys"
)

func queryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "query", Aliases: []string{"q"}, Short: "Read the chain"}
	cmd.AddCommand(queryAccountCmd(g), queryBalanceCmd(g), queryTxCmd(g), queryBlockCmd(g), queryValidatorsCmd(g), queryEnclaveCmd(g), queryComputeCmd(g), queryDataCmd(g))
	return cmd
}

func queryAccountCmd(g *globals) *cobra.Command {
	var prove bool
	var height int64
	cmd := &cobra.Command{
		Use:   "account ADDRESS",
		Short: "Show an account; --prove verifies it against a block header's app hash",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseAddress(args[0])
			if err != nil {
				return err
			}
			c := g.client()
			if prove && height == 0 {
				// Prove against the newest state whose header (the next
				// block's) already exists.
				st, err := c.Status(cmd.Context())
				if err != nil {
					return err
				}
				height = max(st.LatestHeight-1, 1)
			}
			r, err := c.Account(cmd.Context(), addr, height, prove)
			if err != nil {
				return err
			}
			var root []byte
			if prove {
				if root, err = c.VerifyAccount(cmd.Context(), r); err != nil {
					return err
				}
			}
			type out struct {
				api.AccountResponse
				Verified    bool   `json:"verified,omitempty"`
				VerifiedApp string `json:"verified_against_app_hash,omitempty"`
			}
			o := out{AccountResponse: r, Verified: prove, VerifiedApp: fmt.Sprintf("%X", root)}
			return g.print(cmd.OutOrStdout(), o, func(w io.Writer) {
				a := r.Account
				fmt.Fprintf(w, "address:  %s\n", a.Address)
				if a.PubKey != nil {
					fmt.Fprintf(w, "pub key:  %s %X\n", a.PubKey.Type, a.PubKey.Key)
				}
				fmt.Fprintf(w, "balance:  %duherm\nsequence: %d\nheight:   %d\n", a.Balance, a.Sequence, a.Height)
				if prove {
					fmt.Fprintf(w, "proof:    verified against app hash %X of block %d\n", root, a.Height+1)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&prove, "prove", false, "fetch Merkle proofs and verify them against the block header")
	cmd.Flags().Int64Var(&height, "height", 0, "state height to read (default: latest)")
	return cmd
}

func queryBalanceCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "balance ADDRESS",
		Short: "Show an account's balance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseAddress(args[0])
			if err != nil {
				return err
			}
			b, err := g.client().Balance(cmd.Context(), addr)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), b, func(w io.Writer) { fmt.Fprintf(w, "%d%s\n", b.Amount, b.Denom) })
		},
	}
}

func queryTxCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tx HASH",
		Short: "Show a committed transaction and its result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := g.client().Tx(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
				fmt.Fprintf(w, "hash:     %s\nheight:   %d\nindex:    %d\ngas used: %d of %d\n", res.Hash, res.Height, res.Index, res.GasUsed, res.GasWanted)
				if res.Code == 0 {
					fmt.Fprintln(w, "result:   ok")
				} else {
					fmt.Fprintf(w, "result:   failed (code %d): %s\n", res.Code, res.Log)
				}
				for _, e := range res.Events {
					fmt.Fprintf(w, "event:    %s", e.Type)
					for _, a := range e.Attributes {
						fmt.Fprintf(w, " %s=%s", a.Key, a.Value)
					}
					fmt.Fprintln(w)
				}
				if len(res.Tx) > 0 {
					fmt.Fprintf(w, "tx:       %s\n", res.Tx)
				}
			})
		},
	}
}

func queryBlockCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "block [HEIGHT|latest]",
		Short: "Show a block's header and transactions (default: the latest)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h int64
			if len(args) == 1 && args[0] != "latest" {
				var err error
				if h, err = strconv.ParseInt(args[0], 10, 64); err != nil || h <= 0 {
					return fmt.Errorf("bad height %q: want a positive integer", args[0])
				}
			}
			b, err := g.client().Block(cmd.Context(), h)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), b, func(w io.Writer) {
				fmt.Fprintf(w, "height:   %d\nhash:     %s\ntime:     %s\nproposer: %s\napp hash: %s\ntxs:      %d\n",
					b.Height, b.Hash, b.Time.Format("2006-01-02T15:04:05.000Z07:00"), b.Proposer, b.AppHash, len(b.Txs))
				for _, t := range b.Txs {
					fmt.Fprintf(w, "  %s\n", t)
				}
			})
		},
	}
}

func queryValidatorsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validators",
		Short: "Show the validator set and voting power",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := g.client().Validators(cmd.Context())
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), v, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintf(tw, "MONIKER\tOPERATOR\tPOWER\tBONDED\n")
				for _, val := range v.Validators {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%duherm\n", val.Moniker, val.Operator, val.Power, val.Tokens)
				}
				tw.Flush()
			})
		},
	}
}

func queryEnclaveCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "enclave",
		Short: "Show the network's tx key, seed-exchange key and attestation policy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := g.client().EnclaveInfo(cmd.Context())
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), e, func(w io.Writer) {
				sim := "refused"
				if e.AllowSimulated {
					sim = "accepted (development network: they prove nothing)"
				}
				fmt.Fprintf(w, "tx key:            %x\nseed exchange key: %x\nsimulated reports: %s\n", e.TxKey, e.SeedExchangeKey, sim)
				for _, m := range e.Measurements {
					fmt.Fprintf(w, "measurement:       %x\n", m)
				}
			})
		},
	}
}
