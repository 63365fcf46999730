package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/node"
)

// passphraseEnv, when set, is used instead of prompting: for scripts and
// tests. Interactive users should let the command prompt.
const passphraseEnv = "HERMETIC_KEYRING_PASSPHRASE"

// readPassphrase reads a passphrase from the environment or, without echo,
// from the terminal.
func readPassphrase(prompt string) ([]byte, error) {
	if p, ok := os.LookupEnv(passphraseEnv); ok {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprint(os.Stderr, prompt+": ")
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("read passphrase: %w", err)
	}
	return p, nil
}

// newPassphrase asks twice on a terminal, so a typo does not lock a key away.
func newPassphrase(prompt string) ([]byte, error) {
	p, err := readPassphrase(prompt)
	if err != nil {
		return nil, err
	}
	if _, ok := os.LookupEnv(passphraseEnv); ok || !term.IsTerminal(int(os.Stdin.Fd())) {
		return p, nil
	}
	again, err := readPassphrase("Repeat " + prompt)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(p, again) {
		return nil, errors.New("passphrases differ")
	}
	return p, nil
}

// keyringFlags select a keyring.
type keyringFlags struct {
	backend string
	dir     string
}

func (k *keyringFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&k.backend, "keyring-backend", "file", "keyring backend: file (encrypted) or test (plaintext, development only)")
	cmd.Flags().StringVar(&k.dir, "keyring-dir", "", "keyring directory (default: HOME/keyring)")
}

func (k *keyringFlags) open(g *globals, passphrase func(string) ([]byte, error)) (*keyring.Keyring, error) {
	dir := k.dir
	if dir == "" {
		dir = node.Home(g.home).Keyring()
	}
	kr, err := keyring.Open(dir, k.backend, passphrase)
	if err != nil {
		return nil, fmt.Errorf("open keyring %s: %w", dir, err)
	}
	return kr, nil
}

// key opens the keyring and returns the key named name from it.
func (k *keyringFlags) key(g *globals, name string) (keys.PrivKey, error) {
	kr, err := k.open(g, readPassphrase)
	if err != nil {
		return nil, err
	}
	key, err := kr.Key(name)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", name, err)
	}
	return key, nil
}

func keysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage account keys in the keyring"}
	cmd.AddCommand(keysAddCmd(g), keysListCmd(g), keysShowCmd(g), keysExportCmd(g), keysImportCmd(g), keysDeleteCmd(g))
	return cmd
}

func printRecord(g *globals, cmd *cobra.Command, r keyring.Record) error {
	return g.print(cmd.OutOrStdout(), r, func(w io.Writer) {
		fmt.Fprintf(w, "name:    %s\ntype:    %s\naddress: %s\n", r.Name, r.Type, r.Address)
	})
}

func keysAddCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	var typ string
	cmd := &cobra.Command{
		Use:   "add NAME",
		Short: "Create a new key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := keys.ParseKeyType(typ)
			if err != nil {
				return err
			}
			kr, err := kf.open(g, newPassphrase)
			if err != nil {
				return err
			}
			r, err := kr.Add(args[0], t)
			if err != nil {
				return err
			}
			return printRecord(g, cmd, r)
		},
	}
	kf.register(cmd)
	cmd.Flags().StringVar(&typ, "type", "ed25519", "key type: ed25519 or p256")
	return cmd
}

func keysListCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the keys",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			recs, err := kr.List()
			if err != nil {
				return err
			}
			if recs == nil {
				recs = []keyring.Record{}
			}
			return g.print(cmd.OutOrStdout(), recs, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NAME\tTYPE\tADDRESS")
				for _, r := range recs {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, r.Type, r.Address)
				}
				tw.Flush()
			})
		},
	}
	kf.register(cmd)
	return cmd
}

func keysShowCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	var addrOnly bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a key's type and address",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			r, err := kr.Show(args[0])
			if err != nil {
				return err
			}
			if addrOnly {
				fmt.Fprintln(cmd.OutOrStdout(), r.Address)
				return nil
			}
			return printRecord(g, cmd, r)
		},
	}
	kf.register(cmd)
	cmd.Flags().BoolVarP(&addrOnly, "address", "a", false, "print only the address")
	return cmd
}

func keysExportCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	cmd := &cobra.Command{
		Use:   "export NAME",
		Short: "Print a key encrypted with an export passphrase (armored text)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			pass, err := newPassphrase("Export passphrase")
			if err != nil {
				return err
			}
			armored, err := kr.Export(args[0], pass)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(armored)
			return err
		},
	}
	kf.register(cmd)
	return cmd
}

func keysImportCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	cmd := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Import a key exported with `keys export`",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			armored, err := os.ReadFile(filepath.Clean(args[1]))
			if err != nil {
				return err
			}
			kr, err := kf.open(g, newPassphrase)
			if err != nil {
				return err
			}
			pass, err := readPassphrase("Export passphrase")
			if err != nil {
				return err
			}
			r, err := kr.Import(args[0], armored, pass)
			if err != nil {
				return err
			}
			return printRecord(g, cmd, r)
		},
	}
	kf.register(cmd)
	return cmd
}

func keysDeleteCmd(g *globals) *cobra.Command {
	var kf keyringFlags
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kr, err := kf.open(g, readPassphrase)
			if err != nil {
				return err
			}
			if err := kr.Delete(args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted key %s\n", args[0])
			return nil
		},
	}
	kf.register(cmd)
	return cmd
}
