package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// txFlags are the flags of every transaction command.
type txFlags struct {
	keyringFlags
	gas  uint64
	fee  string
	memo string
	mode string
	seq  int64
	wait time.Duration
}

func (f *txFlags) register(cmd *cobra.Command) {
	f.keyringFlags.register(cmd)
	fl := cmd.Flags()
	fl.Uint64Var(&f.gas, "gas", client.DefaultGasLimit, "gas limit")
	fl.StringVar(&f.fee, "fees", "", "fee, e.g. 600uherm (default: the minimum for --gas)")
	fl.StringVar(&f.memo, "memo", "", "memo")
	fl.StringVar(&f.mode, "broadcast-mode", "commit", "commit (wait for the block) or sync (after CheckTx)")
	fl.Int64Var(&f.seq, "sequence", -1, "sequence number (default: ask the node)")
	fl.DurationVar(&f.wait, "wait", time.Minute, "with --broadcast-mode commit: how long to wait for the block before reporting the transaction pending")
}

// waitContext bounds a transaction command by --wait: a transaction not in
// a block by then is reported pending (client.ErrPending), with its hash.
func (f *txFlags) waitContext(cmd *cobra.Command) (context.Context, context.CancelFunc) {
	return context.WithTimeout(cmd.Context(), f.wait)
}

func (f *txFlags) options() (client.TxOptions, error) {
	o := client.TxOptions{GasLimit: f.gas, Memo: f.memo}
	if f.fee != "" {
		c, err := parseCoin(f.fee)
		if err != nil {
			return o, fmt.Errorf("--fees: %w", err)
		}
		o.Fee = c.Amount
	}
	if f.seq >= 0 {
		s := uint64(f.seq)
		o.Sequence = &s
	}
	return o, nil
}

// parseCoin reads an amount in uherm: "1000uherm", "1000" or "2.5herm".
func parseCoin(in string) (tx.Coin, error) {
	s := in
	switch {
	case strings.HasSuffix(s, tx.Denom):
		s = strings.TrimSuffix(s, tx.Denom)
	case strings.HasSuffix(s, "herm"):
		whole, frac, _ := strings.Cut(strings.TrimSuffix(s, "herm"), ".")
		if len(frac) > 6 {
			return tx.Coin{}, fmt.Errorf("amount %q has more than 6 decimals", in)
		}
		if whole == "" {
			whole = "0"
		}
		s = whole + frac + strings.Repeat("0", 6-len(frac))
	default:
		return tx.Coin{}, fmt.Errorf("bad amount %q: want e.g. 1000uherm or 1.5herm", in)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 {
		return tx.Coin{}, fmt.Errorf("bad amount %q: want a positive amount, e.g. 1000uherm or 1.5herm", in)
	}
	return tx.Coin{Denom: tx.Denom, Amount: n}, nil
}

// resolveAddress takes a bech32 address or the name of a key in kr.
func resolveAddress(kr *keyring.Keyring, s string) (keys.Address, error) {
	if a, err := keys.ParseAddress(s); err == nil {
		return a, nil
	}
	r, err := kr.Show(s)
	if err != nil {
		return keys.Address{}, fmt.Errorf("%q is neither an address nor a key name: %w", s, err)
	}
	return r.Address, nil
}

// runTx signs msgs with the key named from and broadcasts them.
func runTx(g *globals, cmd *cobra.Command, f *txFlags, kr *keyring.Keyring, from string, msgs ...tx.Msg) error {
	key, err := kr.Key(from)
	if err != nil {
		return fmt.Errorf("key %s: %w", from, err)
	}
	o, err := f.options()
	if err != nil {
		return err
	}
	if f.mode != "commit" && f.mode != "sync" {
		return fmt.Errorf("bad --broadcast-mode %q: want commit or sync", f.mode)
	}
	ctx, cancel := f.waitContext(cmd)
	defer cancel()
	res, err := g.client().SendTx(ctx, key, msgs, o, f.mode == "commit")
	if errors.Is(err, client.ErrPending) {
		// Neither committed nor failed as far as anyone knows: the error
		// says so and names the hash to look up.
		return err
	}
	if err != nil {
		if res.Hash != "" {
			return fmt.Errorf("transaction %s failed: %w", res.Hash, err)
		}
		return err
	}
	return printTxResult(g, cmd, res)
}

func printTxResult(g *globals, cmd *cobra.Command, res api.TxResult) error {
	return g.print(cmd.OutOrStdout(), res, func(w io.Writer) {
		fmt.Fprintf(w, "hash:     %s\n", res.Hash)
		if res.Height > 0 {
			fmt.Fprintf(w, "height:   %d\n", res.Height)
			fmt.Fprintf(w, "gas used: %d of %d\n", res.GasUsed, res.GasWanted)
		}
		if res.Code == 0 {
			fmt.Fprintln(w, "result:   ok")
		} else {
			fmt.Fprintf(w, "result:   failed (code %d): %s\n", res.Code, res.Log)
		}
	})
}

func txCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Sign and send transactions"}
	bank := &cobra.Command{Use: "bank", Short: "Token transfers"}
	bank.AddCommand(bankSendCmd(g))
	staking := &cobra.Command{Use: "staking", Short: "Bond and unbond tokens to validators"}
	staking.AddCommand(bondCmd(g, true), bondCmd(g, false))
	cmd.AddCommand(bank, staking, txComputeCmd(g), txDataCmd(g))
	return cmd
}

func bankSendCmd(g *globals) *cobra.Command {
	var f txFlags
	cmd := &cobra.Command{
		Use:   "send FROM_KEY TO AMOUNT",
		Short: "Send tokens (TO: an address or a key name; AMOUNT: e.g. 1000uherm)",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := f.open(g, readPassphrase)
			if err != nil {
				return err
			}
			from, err := kr.Show(args[0])
			if err != nil {
				return fmt.Errorf("key %s: %w", args[0], err)
			}
			to, err := resolveAddress(kr, args[1])
			if err != nil {
				return err
			}
			amt, err := parseCoin(args[2])
			if err != nil {
				return err
			}
			return runTx(g, cmd, &f, kr, args[0], &tx.MsgSend{From: from.Address, To: to, Amount: amt})
		},
	}
	f.register(cmd)
	return cmd
}

func bondCmd(g *globals, bond bool) *cobra.Command {
	var f txFlags
	var from string
	use, short := "bond VALIDATOR AMOUNT", "Bond tokens to a validator (VALIDATOR: its operator address)"
	if !bond {
		use, short = "unbond VALIDATOR AMOUNT", "Unbond tokens from a validator; they return at once"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := f.open(g, readPassphrase)
			if err != nil {
				return err
			}
			del, err := kr.Show(from)
			if err != nil {
				return fmt.Errorf("key %s: %w", from, err)
			}
			val, err := resolveAddress(kr, args[0])
			if err != nil {
				return err
			}
			amt, err := parseCoin(args[1])
			if err != nil {
				return err
			}
			var m tx.Msg = &tx.MsgBond{Delegator: del.Address, Validator: val, Amount: amt}
			if !bond {
				m = &tx.MsgUnbond{Delegator: del.Address, Validator: val, Amount: amt}
			}
			return runTx(g, cmd, &f, kr, from, m)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "key name of the delegator")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}
