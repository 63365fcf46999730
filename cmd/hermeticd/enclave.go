package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/node"
	"github.com/hermetic-chain/hermetic/tx"
)

func enclaveCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "enclave", Short: "The node's enclave: attestation and registration"}
	cmd.AddCommand(enclaveInfoCmd(g), enclaveInitCmd(g), enclaveRegisterCmd(g))
	return cmd
}

func enclaveInfoCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info",
		Short: "Show the home's enclave: backend, measurement, how many seeds it holds",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := sim.Open(node.Home(g.home).Enclave(), nil)
			if err != nil {
				return err
			}
			info := e.Info()
			return g.print(cmd.OutOrStdout(), info, func(w io.Writer) {
				fmt.Fprintf(w, "backend:     %s\nmeasurement: %x\nseeds:       %d\n", info.Backend, info.Measurement, info.Seeds)
				if info.Simulated {
					fmt.Fprintln(w, "warning:     "+sim.Warning)
				}
			})
		},
	}
}

// registrationOutput is what `enclave init` prints.
type registrationOutput struct {
	ChainID      string               `json:"chain_id"`
	Registration enclave.Registration `json:"registration"`
}

func enclaveInitCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Make the enclave's registration keypair and its attestation report",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, chainID, err := node.EnclaveRegistration(cmd.Context(), node.Home(g.home))
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), registrationOutput{chainID, reg}, func(w io.Writer) {
				fmt.Fprintf(w, "chain:            %s\nregistration key: %x\nreport:           %s, measurement %x\n",
					chainID, reg.PubKey, reg.Report.Type, reg.Report.Measurement)
			})
		},
	}
}

func enclaveRegisterCmd(g *globals) *cobra.Command {
	var (
		f    txFlags
		from string
	)
	cmd := &cobra.Command{
		Use:   "register --from KEY",
		Short: "Register the home's enclave with the chain (via --node) and install the network seeds it receives",
		Long: `Send the enclave's registration key and attestation report in a transaction
signed by --from, through the node at --node. The chain verifies the report against
its genesis policy and stores the network seeds encrypted to the key; this command
then fetches them, and the enclave decrypts and seals them. Afterwards
'hermeticd start' runs the node.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			h := node.Home(g.home)
			ctx := cmd.Context()
			reg, _, err := node.EnclaveRegistration(ctx, h)
			if err != nil {
				return err
			}
			c := g.client()
			rec, err := c.Registration(ctx, reg.PubKey)
			if errors.Is(err, client.ErrNotFound) {
				kr, err := f.open(g, readPassphrase)
				if err != nil {
					return err
				}
				m := &tx.MsgRegisterEnclave{PubKey: reg.PubKey, ReportType: reg.Report.Type, Measurement: reg.Report.Measurement,
					ReportData: reg.Report.ReportData, Evidence: reg.Report.Evidence}
				if err := runTx(g, cmd, &f, kr, from, m); err != nil {
					return err
				}
				rec, err = waitRegistration(ctx, c, reg.PubKey)
				if err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
			if err := node.InstallRegisteredSeeds(h, rec); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "registered at height %d; %d network seed(s) installed and sealed in %s\n", rec.Height, len(rec.EncryptedSeeds), h.Enclave())
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&from, "from", "", "key that signs and pays for the registration")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// waitRegistration polls the node until the registration is readable (the
// transaction committed and the state caught up).
func waitRegistration(ctx context.Context, c *client.Client, pub []byte) (app.RegistrationRecord, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		rec, err := c.Registration(ctx, pub)
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, client.ErrNotFound) {
			return rec, err
		}
		select {
		case <-ctx.Done():
			return rec, fmt.Errorf("registration not visible on the node: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func joinCmd(g *globals) *cobra.Command {
	var (
		o       node.JoinOptions
		genesis string
	)
	cmd := &cobra.Command{
		Use:   "join --genesis FILE --peers ID@HOST:PORT[,...]",
		Short: "Write a home for a node joining an existing network (then: enclave register, start)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := types.GenesisDocFromFile(genesis)
			if err != nil {
				return fmt.Errorf("read genesis %s: %w", genesis, err)
			}
			// A chain that forbids simulated attestation cannot be
			// joined by this build's simulated enclave: say so before
			// writing a home that could never start.
			if err := node.CheckGenesisBackend(doc); err != nil {
				return err
			}
			o.Genesis = doc
			id, err := node.Join(node.Home(g.home), o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "node %s of chain %s in %s\nnext: hermeticd enclave register --from KEY --node API-URL --home %s; then hermeticd start --home %s\n",
				id, doc.ChainID, g.home, g.home, g.home)
			return nil
		},
	}
	cmd.Flags().StringVar(&genesis, "genesis", "", "the network's genesis.json")
	cmd.Flags().StringVar(&o.Peers, "peers", "", "nodes to dial: id@host:port, comma-separated")
	cmd.Flags().StringVar(&o.Moniker, "moniker", "node", "node name")
	cmd.Flags().BoolVar(&o.AllowSimulatedAttestation, "allow-simulated-attestation", false,
		"agree to a genesis that accepts simulated attestation (development and test networks)")
	_ = cmd.MarkFlagRequired("genesis")
	addressFlags(cmd, &o.Addresses, "")
	return cmd
}
