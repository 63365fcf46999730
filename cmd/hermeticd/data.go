package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/reading"
)

// The data commands speak to the data-registry contract
// (contracts/registry, docs/registry.md): `tx data …` sends its messages,
// encrypted, and `query data …` its queries, authorised with a viewing key
// or a permit. Every command names the contract with --registry.

// dataMsg is one `tx data` subcommand: the registry message name, its
// arguments and how they make the message's body.
type dataMsg struct {
	use, short, name string
	args             int
	body             func(cmd *cobra.Command, args []string) (map[string]any, error)
	flags            func(cmd *cobra.Command)
}

func txDataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Machine data in the registry contract: organisations, gateways, devices, streams, grants, key releases (docs/registry.md)"}
	var values, name, note, keyFile string
	for _, m := range []dataMsg{
		{use: "create-org NAME", short: "Create an organisation; you become its first admin", name: "create_org", args: 1,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) { return map[string]any{"name": a[0]}, nil }},
		{use: "add-admin ORG ADDRESS", short: "Add an admin to an organisation", name: "add_admin", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				return map[string]any{"org_id": a[0], "admin": a[1]}, nil
			}},
		{use: "add-gateway ORG ADDRESS", short: "Authorise a gateway account to anchor the organisation's batches", name: "add_gateway", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				return map[string]any{"org_id": a[0], "gateway": a[1]}, nil
			}},
		{use: "remove-gateway ORG ADDRESS", short: "Withdraw a gateway's authorisation", name: "remove_gateway", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				return map[string]any{"org_id": a[0], "gateway": a[1]}, nil
			}},
		{use: "register-device ORG DEVICE --key-file FILE", short: "Register a device with the public key of a hermetic-edge device key file", name: "register_device", args: 2,
			flags: func(c *cobra.Command) {
				c.Flags().StringVar(&keyFile, "key-file", "", "the device's key file (hermetic-edge device init)")
				c.Flags().StringVar(&name, "name", "", "the device's name")
				_ = c.MarkFlagRequired("key-file")
			},
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				s, err := edge.LoadKeyFile(filepath.Clean(keyFile))
				if err != nil {
					return nil, err
				}
				pub, err := reading.PublicKeyBytes(s.Public())
				if err != nil {
					return nil, err
				}
				typ := edge.KeyEd25519
				if len(pub) == 33 {
					typ = edge.KeyP256
				}
				b := map[string]any{"org_id": a[0], "device_id": a[1], "key": map[string]string{"type": typ, "value": base64.StdEncoding.EncodeToString(pub)}}
				if name != "" {
					b["name"] = name
				}
				return b, nil
			}},
		{use: "revoke-device ORG DEVICE", short: "Revoke a device's key from this block on", name: "revoke_device", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				return map[string]any{"org_id": a[0], "device_id": a[1]}, nil
			}},
		{use: "create-stream ORG STREAM DEVICE --values NAME:UNIT,…", short: "Create a stream of a device, with its value names and units", name: "create_stream", args: 3,
			flags: func(c *cobra.Command) {
				c.Flags().StringVar(&values, "values", "", "the stream's values, NAME:UNIT separated by commas (the unit may be empty)")
				c.Flags().StringVar(&name, "name", "", "the stream's name (default its id)")
				c.Flags().StringVar(&note, "sampling-note", "", "how the stream is sampled")
				_ = c.MarkFlagRequired("values")
			},
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				var vs []map[string]string
				for _, v := range strings.Split(values, ",") {
					n, u, _ := strings.Cut(strings.TrimSpace(v), ":")
					vs = append(vs, map[string]string{"name": n, "unit": u})
				}
				n := name
				if n == "" {
					n = a[1]
				}
				b := map[string]any{"org_id": a[0], "stream_id": a[1], "device_id": a[2], "name": n, "values": vs}
				if note != "" {
					b["sampling_note"] = note
				}
				return b, nil
			}},
		{use: "grant ORG GRANTEE STREAM FROM TO", short: "Grant GRANTEE the stream's batches with source times in [FROM, TO) (Unix nanoseconds)", name: "grant_read", args: 5,
			flags: func(c *cobra.Command) {
				c.Flags().StringVar(&values, "values", "", "only these value names, separated by commas")
			},
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				b := map[string]any{"org_id": a[0], "grantee": a[1], "stream_id": a[2], "from": a[3], "to": a[4]}
				if values != "" {
					b["values"] = strings.Split(values, ",")
				}
				return b, nil
			}},
		{use: "revoke-grant ORG GRANT", short: "Revoke a grant from this block on", name: "revoke_grant", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				id, err := strconv.ParseUint(a[1], 10, 64)
				return map[string]any{"org_id": a[0], "grant_id": id}, err
			}},
		{use: "release-keys ORG STREAM GRANT FROM_BATCH TO_BATCH", short: "As a grantee, have the batch keys of a range released to you (an audited release)", name: "release_keys", args: 5,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				var n [3]uint64
				for i, s := range a[2:] {
					v, err := strconv.ParseUint(s, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("%q is not a number", s)
					}
					n[i] = v
				}
				return map[string]any{"org_id": a[0], "stream_id": a[1], "grant_id": n[0], "from_batch": n[1], "to_batch": n[2]}, nil
			}},
		{use: "shred ORG STREAM FROM_BATCH TO_BATCH", short: "Delete the keys of a range of batches for good (keys already released cannot be recalled)", name: "shred_batches", args: 4,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				from, err1 := strconv.ParseUint(a[2], 10, 64)
				to, err2 := strconv.ParseUint(a[3], 10, 64)
				if err := errors.Join(err1, err2); err != nil {
					return nil, fmt.Errorf("batches: %w", err)
				}
				return map[string]any{"org_id": a[0], "stream_id": a[1], "from_batch": from, "to_batch": to}, nil
			}},
		{use: "shred-stream ORG STREAM", short: "Close a stream and delete its keys for good (send again while more_keys is true)", name: "shred_stream", args: 2,
			body: func(_ *cobra.Command, a []string) (map[string]any, error) {
				return map[string]any{"org_id": a[0], "stream_id": a[1]}, nil
			}},
	} {
		cmd.AddCommand(dataTxCmd(g, m))
	}
	return cmd
}

// dataTxCmd makes the subcommand of m.
func dataTxCmd(g *globals, m dataMsg) *cobra.Command {
	var (
		f        contractTxFlags
		registry string
	)
	c := &cobra.Command{
		Use:   m.use + " --registry ADDR --from KEY",
		Short: m.short,
		Args:  cobra.ExactArgs(m.args),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(registry)
			if err != nil {
				return fmt.Errorf("--registry: %w", err)
			}
			body, err := m.body(cmd, args)
			if err != nil {
				return err
			}
			msg, err := json.Marshal(map[string]any{m.name: body})
			if err != nil {
				return err
			}
			r, err := executeContract(g, cmd, &f, addr, msg, 0)
			if err != nil {
				return err
			}
			return printContractResult(g, cmd, r)
		},
	}
	f.register(c)
	c.Flags().StringVar(&registry, "registry", "", "the registry contract's address")
	_ = c.MarkFlagRequired("registry")
	if m.flags != nil {
		m.flags(c)
	}
	return c
}

// dataQueries are the registry's queries: name, arguments, their fields.
var dataQueries = []struct {
	use, name string
	fields    []string
}{
	{"org ORG", "org_info", []string{"org_id"}},
	{"devices ORG", "devices", []string{"org_id"}},
	{"gateways ORG", "gateways", []string{"org_id"}},
	{"streams ORG", "streams", []string{"org_id"}},
	{"anchors ORG STREAM", "anchors", []string{"org_id", "stream_id"}},
	{"grants ORG", "grants", []string{"org_id"}},
	{"access-records ORG", "access_records", []string{"org_id"}},
	{"my-grants", "my_grants", nil},
	{"device-key-at ORG DEVICE TIME", "device_key_at", []string{"org_id", "device_id", "time"}},
}

func queryDataCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "data", Short: "Read the registry contract: organisations, devices, gateways, streams, anchors, grants, access records"}
	for _, q := range dataQueries {
		var (
			kf                keyringFlags
			auth              queryAuth
			registry          string
			startBatch, limit uint64
		)
		c := &cobra.Command{
			Use:   q.use + " --registry ADDR (--viewing-key KEY --address ADDR | --permit FILE)",
			Short: "The registry's " + q.name + " query, authorised with a viewing key or a permit (whose permissions name the query)",
			Args:  cobra.ExactArgs(len(q.fields)),
			RunE: func(cmd *cobra.Command, args []string) error {
				addr, err := keys.ParseContractAddress(registry)
				if err != nil {
					return fmt.Errorf("--registry: %w", err)
				}
				if err := auth.check(); err != nil {
					return err
				}
				body := map[string]any{}
				for i, f := range q.fields {
					body[f] = args[i]
				}
				if q.name == "anchors" && startBatch > 0 {
					body["start_batch"] = startBatch
				}
				if limit > 0 {
					body["limit"] = limit
				}
				a, err := dataAuth(g, &kf, auth)
				if err != nil {
					return err
				}
				body["auth"] = a
				msg, err := json.Marshal(map[string]any{q.name: body})
				if err != nil {
					return err
				}
				out, err := g.client().Query(cmd.Context(), addr, msg, false)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s\n", strings.TrimRight(string(out), " "))
				return err
			},
		}
		kf.register(c)
		auth.register(c)
		c.Flags().StringVar(&registry, "registry", "", "the registry contract's address")
		c.Flags().Uint64Var(&limit, "limit", 0, "how many entries (the contract's default 10, at most 100)")
		if q.name == "anchors" {
			c.Flags().Uint64Var(&startBatch, "start-batch", 0, "the first batch to list")
		}
		_ = c.MarkFlagRequired("registry")
		cmd.AddCommand(c)
	}
	return cmd
}

// dataAuth is the registry's "auth" of a query: a permit from its file, or
// a viewing key of an account.
func dataAuth(g *globals, kf *keyringFlags, a queryAuth) (any, error) {
	switch {
	case a.permit != "":
		b, err := os.ReadFile(filepath.Clean(a.permit))
		if err != nil {
			return nil, err
		}
		var p contract.Permit
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("permit %s: %w", a.permit, err)
		}
		return map[string]any{"permit": p}, nil
	case a.viewingKey != "":
		if a.address == "" {
			return nil, errors.New("--viewing-key needs --address: the account whose key it is")
		}
		addr, err := queryAccount(g, kf, a.address)
		if err != nil {
			return nil, fmt.Errorf("--address: %w", err)
		}
		return map[string]any{"viewing_key": map[string]string{"address": addr.String(), "key": a.viewingKey}}, nil
	}
	return nil, errors.New("a registry query needs --viewing-key and --address, or --permit")
}
