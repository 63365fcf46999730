package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/node"
)

// globals are the flags every command shares.
type globals struct {
	home     string
	output   string
	nodeURL  string
	logLevel string
}

func defaultHome() string {
	if h := os.Getenv("HERMETIC_HOME"); h != "" {
		return h
	}
	d, err := os.UserHomeDir()
	if err != nil {
		return ".hermetic"
	}
	return filepath.Join(d, ".hermetic")
}

func newRootCmd() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:           "hermeticd",
		Short:         "Hermetic: a confidential-computing blockchain for industrial data sharing",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.home, "home", defaultHome(), "node home directory (env HERMETIC_HOME)")
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.nodeURL, "node", client.DefaultNode, "API address of the node to talk to")
	pf.StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn, error (default: the home's config)")
	root.AddCommand(
		devnetCmd(g), initCmd(g), startCmd(g), testnetCmd(g),
		joinCmd(g), enclaveCmd(g), contractCmd(g), permitCmd(g),
		keysCmd(g), txCmd(g), queryCmd(g), benchCmd(g), attackCmd(g),
	)
	return root
}

// logger returns the slog logger for node commands, at the flag's level or
// else the configured one.
func (g *globals) logger(configured string) (*slog.Logger, error) {
	lvl := configured
	if g.logLevel != "" {
		lvl = g.logLevel
	}
	if lvl == "" {
		lvl = "info"
	}
	l, err := node.ParseLevel(lvl)
	if err != nil {
		return nil, fmt.Errorf("bad log level %q: %w", lvl, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func (g *globals) client() *client.Client { return client.New(g.nodeURL) }

// print writes v as JSON with -o json, else calls text.
func (g *globals) print(w io.Writer, v any, text func(w io.Writer)) error {
	switch g.output {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "text", "":
		text(w)
		return nil
	default:
		return fmt.Errorf("unknown output format %q: want text or json", g.output)
	}
}

// addressFlags registers the listen-address flags of a new home.
func addressFlags(cmd *cobra.Command, a *node.Addresses, when string) {
	suffix := ""
	if when != "" {
		suffix = " (" + when + ")"
	}
	cmd.Flags().StringVar(&a.P2P, "p2p-address", node.DefaultP2PAddress, "p2p listen address"+suffix)
	cmd.Flags().StringVar(&a.RPC, "rpc-address", node.DefaultRPCAddress, "CometBFT RPC listen address"+suffix)
	cmd.Flags().StringVar(&a.API, "api-address", node.DefaultAPIAddress, "HTTP API listen address"+suffix)
}
