package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

// permitCmd signs query permits offline: a contract (the token, for one)
// that supports them answers a query authorised by a permit without a
// transaction (contract/permit.go defines the format).
func permitCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "permit", Short: "Sign query permits (scoped, expiring, revocable) offline"}
	var (
		kf          keyringFlags
		from, name  string
		chainID     string
		contracts   []string
		permissions []string
		expires     time.Duration
		out         string
	)
	sign := &cobra.Command{
		Use:   "sign --from KEY --name NAME --contracts ADDR,... --permissions P,... --chain-id ID",
		Short: "Sign a permit with an account key and write it as JSON",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(contracts) == 0 || len(permissions) == 0 {
				return fmt.Errorf("a permit needs --contracts (or '*') and --permissions")
			}
			for _, c := range contracts {
				if c == "*" {
					continue
				}
				if _, err := keys.ParseContractAddress(c); err != nil {
					return fmt.Errorf("--contracts: %w", err)
				}
			}
			if expires <= 0 {
				return fmt.Errorf("--expires must be positive")
			}
			if chainID == "" {
				st, err := g.client().Status(cmd.Context())
				if err != nil {
					return fmt.Errorf("--chain-id not given and the node cannot tell it: %w", err)
				}
				chainID = st.ChainID
			}
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			k, err := kr.Key(from)
			if err != nil {
				return fmt.Errorf("key %s: %w", from, err)
			}
			p, err := client.SignPermit(k, chainID, name, contracts, permissions, expires)
			if err != nil {
				return err
			}
			bz, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				return err
			}
			if out == "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", bz)
				return err
			}
			return os.WriteFile(filepath.Clean(out), append(bz, '\n'), 0o600)
		},
	}
	kf.register(sign)
	f := sign.Flags()
	f.StringVar(&from, "from", "", "key that signs (ed25519 or p256)")
	f.StringVar(&name, "name", "", "the permit's name (revoke it by this name)")
	f.StringVar(&chainID, "chain-id", "", "chain the permit is for (default: ask --node)")
	f.StringSliceVar(&contracts, "contracts", nil, "contracts it may be used with, or '*'")
	f.StringSliceVar(&permissions, "permissions", nil, "what it allows, as the contract defines it (e.g. balance,history)")
	f.DurationVar(&expires, "expires", 24*time.Hour, "how long it is valid")
	f.StringVarP(&out, "out", "O", "", "write it to this file (default: standard output)")
	_ = sign.MarkFlagRequired("from")
	_ = sign.MarkFlagRequired("name")
	cmd.AddCommand(sign)
	return cmd
}

// withPermit wraps a query in the SNIP-24 shape a permit-aware contract
// expects: {"with_permit":{"permit":...,"query":...}}.
func withPermit(file string, query []byte) ([]byte, error) {
	pb, err := os.ReadFile(filepath.Clean(file))
	if err != nil {
		return nil, err
	}
	var p contract.Permit
	if err := json.Unmarshal(pb, &p); err != nil {
		return nil, fmt.Errorf("permit %s: %w", file, err)
	}
	return client.WithPermit(p, query)
}
