package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keys"
)

// contractTxFlags are txFlags with a contract-sized default gas limit and
// the plaintext switch.
type contractTxFlags struct {
	txFlags
	from      string
	plaintext bool
}

func (f *contractTxFlags) register(cmd *cobra.Command) {
	f.txFlags.register(cmd)
	f.gas = client.ContractGasLimit
	cmd.Flags().Lookup("gas").DefValue = strconv.Itoa(client.ContractGasLimit)
	cmd.Flags().StringVar(&f.from, "from", "", "key that signs and pays")
	cmd.Flags().BoolVar(&f.plaintext, "plaintext", false, "send the message unencrypted (its output is then unencrypted too)")
	_ = cmd.MarkFlagRequired("from")
}

func (f *contractTxFlags) key(g *globals) (keys.PrivKey, client.TxOptions, error) {
	kr, err := f.open(g, readPassphrase)
	if err != nil {
		return nil, client.TxOptions{}, err
	}
	k, err := kr.Key(f.from)
	if err != nil {
		return nil, client.TxOptions{}, fmt.Errorf("key %s: %w", f.from, err)
	}
	o, err := f.options()
	return k, o, err
}

func printContractResult(g *globals, cmd *cobra.Command, r client.ContractResult) error {
	return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
		fmt.Fprintf(w, "hash:     %s\nheight:   %d\ngas used: %d\n", r.TxHash, r.Height, r.GasUsed)
		if r.CodeID != 0 {
			fmt.Fprintf(w, "code id:  %d\n", r.CodeID)
		}
		if !r.ReadyAt.IsZero() {
			fmt.Fprintf(w, "ready at: %s (compiled in the background until then)\n", r.ReadyAt.Format(time.RFC3339))
		}
		if !r.Contract.IsZero() {
			fmt.Fprintf(w, "contract: %s\n", r.Contract)
		}
		if len(r.Data) > 0 {
			fmt.Fprintf(w, "data:     %s\n", r.Data)
		}
	})
}

func txComputeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "compute", Short: "Store, instantiate, execute and migrate contracts, manage viewing keys and permits (inputs encrypted unless --plaintext)"}
	cmd.AddCommand(storeCodeCmd(g), instantiateCmd(g), executeCmd(g), migrateCmd(g))
	cmd.AddCommand(accessTxCmds(g)...)
	cmd.AddCommand(auditedQueryCmd(g))
	return cmd
}

func storeCodeCmd(g *globals) *cobra.Command {
	var f contractTxFlags
	cmd := &cobra.Command{
		Use:   "store FILE.wasm --from KEY",
		Short: "Upload contract code (wasm, or gzipped wasm); waits until it can be instantiated",
		Long: `Upload contract code (wasm, or gzipped wasm).

A module larger than 256 KiB is compiled by the chain in the background
after its block; contracts can be made from it from the "ready at" time
printed (for a Go contract of 4 MB, about 8 s later). The command waits
until then.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			wasm, err := os.ReadFile(filepath.Clean(args[0]))
			if err != nil {
				return err
			}
			k, o, err := f.key(g)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("gas") {
				o.GasLimit = 0 // sized to the code by the client
			}
			ctx, cancel := f.waitContext(cmd)
			defer cancel()
			r, err := g.client().StoreCode(ctx, k, wasm, o)
			if err != nil && r.CodeID != 0 {
				// Stored, but the wait for its compilation ended.
				_ = printContractResult(g, cmd, r)
			}
			if err != nil {
				return err
			}
			return printContractResult(g, cmd, r)
		},
	}
	f.register(cmd)
	return cmd
}

func instantiateCmd(g *globals) *cobra.Command {
	var (
		f     contractTxFlags
		label string
		admin string
	)
	cmd := &cobra.Command{
		Use:   "instantiate CODE_ID MSG --label LABEL --from KEY",
		Short: "Create a contract from stored code with the JSON message MSG",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("bad code id %q: want a positive integer", args[0])
			}
			k, o, err := f.key(g)
			if err != nil {
				return err
			}
			var adm keys.Address
			if admin != "" {
				kr, err := f.open(g, readPassphrase)
				if err != nil {
					return err
				}
				if adm, err = resolveAddress(kr, admin); err != nil {
					return err
				}
			}
			ctx, cancel := f.waitContext(cmd)
			defer cancel()
			r, err := g.client().Instantiate(ctx, k, id, label, adm, []byte(args[1]), f.plaintext, o)
			if err != nil {
				return err
			}
			return printContractResult(g, cmd, r)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&label, "label", "", "a name for the contract")
	cmd.Flags().StringVar(&admin, "admin", "", "address or key name that may migrate the contract (default: nobody)")
	_ = cmd.MarkFlagRequired("label")
	return cmd
}

func executeCmd(g *globals) *cobra.Command {
	var (
		f      contractTxFlags
		amount string
	)
	cmd := &cobra.Command{
		Use:   "execute CONTRACT MSG --from KEY",
		Short: "Call a contract with the JSON message MSG; its answer is decrypted and shown",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return err
			}
			var funds uint64
			if amount != "" {
				c, err := parseCoin(amount)
				if err != nil {
					return err
				}
				funds = c.Amount
			}
			r, err := executeContract(g, cmd, &f, addr, []byte(args[1]), funds)
			if err != nil {
				return err
			}
			return printContractResult(g, cmd, r)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&amount, "amount", "", "funds to send with the call, e.g. 100uherm")
	return cmd
}

// executeContract calls contract addr with msg (and funds uherm), signed by
// f's --from key: it is encrypted for the contract unless --plaintext,
// broadcast, waited for, and the answer decrypted. It is the path of
// `tx compute execute` and of the access commands (access.go).
func executeContract(g *globals, cmd *cobra.Command, f *contractTxFlags, addr keys.ContractAddress, msg []byte, funds uint64) (client.ContractResult, error) {
	k, o, err := f.key(g)
	if err != nil {
		return client.ContractResult{}, err
	}
	ctx, cancel := f.waitContext(cmd)
	defer cancel()
	return g.client().Execute(ctx, k, addr, msg, f.plaintext, funds, o)
}

// executeAndPrint executes msg (no funds) and prints the result.
func executeAndPrint(g *globals, cmd *cobra.Command, f *contractTxFlags, addr keys.ContractAddress, msg []byte) error {
	r, err := executeContract(g, cmd, f, addr, msg, 0)
	if err != nil {
		return err
	}
	return printContractResult(g, cmd, r)
}

func migrateCmd(g *globals) *cobra.Command {
	var f contractTxFlags
	cmd := &cobra.Command{
		Use:   "migrate CONTRACT CODE_ID MSG --from ADMIN_KEY",
		Short: "Move a contract to new code (admin only); it keeps its address and state",
		Args:  cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("bad code id %q: want a positive integer", args[1])
			}
			k, o, err := f.key(g)
			if err != nil {
				return err
			}
			ctx, cancel := f.waitContext(cmd)
			defer cancel()
			r, err := g.client().Migrate(ctx, k, addr, id, []byte(args[2]), f.plaintext, o)
			if err != nil {
				return err
			}
			return printContractResult(g, cmd, r)
		},
	}
	f.register(cmd)
	return cmd
}

func queryComputeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "compute", Short: "Read contracts: code, contract, query"}
	var (
		kf        keyringFlags
		plaintext bool
		auth      queryAuth
	)
	q := &cobra.Command{
		Use:   "query CONTRACT MSG [--permit FILE | --viewing-key KEY --address ADDR]",
		Short: "Ask a contract (encrypted unless --plaintext); its answer is decrypted and shown",
		Long: `Ask a contract with the JSON query MSG; it is encrypted for the contract unless --plaintext, and
the answer is decrypted and shown. A query of an account's private data is authorised one of two
ways (SNIP-20 / SNIP-24), not both:

  --permit FILE       a permit signed with 'permit sign': sends
                      {"with_permit":{"permit":...,"query":MSG}}; the permit's signer is the account.
  --viewing-key KEY   the account's viewing key: MSG must be an object with exactly one key, and KEY
                      and the account go into its body: {"balance":{}} --address herm1… sends
                      {"balance":{"address":"herm1…","key":KEY}}.
  --address ADDR      with --viewing-key: the account whose key it is, a bech32 address or the name
                      of a key in the keyring (--keyring-backend, --keyring-dir). A query signs
                      nothing, so there is no --from: --address is required, unless MSG's body
                      names its account itself ("address", or "owner"/"spender" as SNIP-20's
                      allowance does).

A viewing key or a permit is a secret: --plaintext is refused with either. An argument shows in the
shell's history and the process list.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			auth.plaintext = plaintext
			if err := auth.check(); err != nil {
				return err
			}
			msg, err := auth.apply(g, &kf, []byte(args[1]))
			if err != nil {
				return err
			}
			out, err := g.client().Query(cmd.Context(), addr, msg, plaintext)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out)
			return err
		},
	}
	kf.register(q)
	q.Flags().BoolVar(&plaintext, "plaintext", false, "send the query unencrypted")
	auth.register(q)
	code := &cobra.Command{
		Use:   "code CODE_ID",
		Short: "Show stored code: hash, size, capabilities, entry points",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("bad code id %q: want a positive integer", args[0])
			}
			ci, err := g.client().CodeInfo(cmd.Context(), id)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), ci, func(w io.Writer) {
				fmt.Fprintf(w, "code hash:    %s\ncreator:      %s\nsize:         %d\ncapabilities: %v\nentry points: %v\n",
					ci.CodeHash, ci.Creator, ci.Size, ci.Capabilities, ci.EntryPoints)
			})
		},
	}
	contract := &cobra.Command{
		Use:   "contract CONTRACT",
		Short: "Show a contract: code id, creator, admin, label",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return err
			}
			ci, err := g.client().ContractInfo(cmd.Context(), addr)
			if err != nil {
				return err
			}
			return g.print(cmd.OutOrStdout(), ci, func(w io.Writer) {
				admin := "none"
				if !ci.Admin.IsZero() {
					admin = ci.Admin.String()
				}
				fmt.Fprintf(w, "address: %s\ncode id: %d\ncreator: %s\nadmin:   %s\nlabel:   %s\ncreated: %d\n",
					ci.Address, ci.CodeID, ci.Creator, admin, ci.Label, ci.Created)
			})
		},
	}
	cmd.AddCommand(code, contract, q, accessRecordsCmd(g))
	return cmd
}

// queryAccount resolves the --address of a viewing-key query: a bech32
// address, or else the name of a key in the keyring (opened only then).
func queryAccount(g *globals, kf *keyringFlags, s string) (keys.Address, error) {
	if a, err := keys.ParseAddress(s); err == nil {
		return a, nil
	}
	kr, err := kf.open(g, readPassphrase)
	if err != nil {
		return keys.Address{}, err
	}
	return resolveAddress(kr, s)
}

func contractCmd(_ *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "contract", Short: "Contract development"}
	var out string
	build := &cobra.Command{
		Use:   "build DIR",
		Short: "Build the Go contract in DIR to wasm (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, stripped)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := filepath.Clean(args[0])
			if out == "" {
				out = filepath.Join(dir, filepath.Base(dir)+".wasm")
			}
			abs, err := filepath.Abs(out)
			if err != nil {
				return err
			}
			b := exec.CommandContext(cmd.Context(), "go", "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", abs, ".")
			b.Dir = dir
			b.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
			b.Stdout, b.Stderr = cmd.OutOrStdout(), cmd.ErrOrStderr()
			if err := b.Run(); err != nil {
				return fmt.Errorf("go build: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", abs)
			return nil
		},
	}
	build.Flags().StringVarP(&out, "out", "O", "", "output file (default: DIR/<dir name>.wasm)")
	cmd.AddCommand(build)
	return cmd
}
