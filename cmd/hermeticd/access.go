package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/keys"
)

// The access-control commands of SNIP-20 contracts (the token, for one):
// viewing keys and permit revocations are execute messages that go through
// the path of `tx compute execute`; viewing-key queries are built by
// `query compute query --viewing-key`. See docs/access.md.

// entropySize is the number of random bytes create-viewing-key sends as
// entropy when --entropy is not given.
const entropySize = 32

// accessTxCmds are the access-control subcommands of `tx compute`.
func accessTxCmds(g *globals) []*cobra.Command {
	return []*cobra.Command{createViewingKeyCmd(g), setViewingKeyCmd(g), revokePermitCmd(g), revokeAllPermitsCmd(g)}
}

// errPlaintextSecret refuses --plaintext for a message or query that holds
// a credential: unencrypted, it would be readable by the node (and, for a
// transaction, by everyone, forever).
var errPlaintextSecret = errors.New("--plaintext would reveal the viewing key: it is refused for viewing keys")

func createViewingKeyCmd(g *globals) *cobra.Command {
	var (
		f       contractTxFlags
		entropy string
	)
	cmd := &cobra.Command{
		Use:   "create-viewing-key CONTRACT --from KEY [--entropy S]",
		Short: "Have a SNIP-20 contract create a viewing key for --from's account, and show it",
		Long: `Have a SNIP-20 contract create a viewing key for the account of --from: executes
{"create_viewing_key":{"entropy":S}} (S: --entropy, or 32 random bytes in base64) and shows the new
key from the decrypted answer. The key replaces any key the account had.

The viewing key is a secret: anyone who has it reads the account's balance, history and allowances.
Keep it out of logs and shared terminals; -o json prints it too.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			if f.plaintext {
				return errPlaintextSecret
			}
			msg, err := createViewingKeyMsg(entropy, rand.Reader)
			if err != nil {
				return err
			}
			r, err := executeContract(g, cmd, &f, addr, msg, 0)
			if err != nil {
				return err
			}
			key, err := viewingKeyFromData(r.Data)
			if err != nil {
				return fmt.Errorf("transaction %s: %w", r.TxHash, err)
			}
			out := viewingKeyResult{TxHash: r.TxHash, Height: r.Height, GasUsed: r.GasUsed, ViewingKey: key}
			return g.print(cmd.OutOrStdout(), out, func(w io.Writer) {
				fmt.Fprintf(w, "hash:        %s\nheight:      %d\ngas used:    %d\nviewing key: %s\n", r.TxHash, r.Height, r.GasUsed, key)
			})
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&entropy, "entropy", "", "entropy mixed into the key (default: 32 random bytes)")
	return cmd
}

// viewingKeyResult is what create-viewing-key prints with -o json.
type viewingKeyResult struct {
	TxHash     string
	Height     int64
	GasUsed    int64
	ViewingKey string
}

func setViewingKeyCmd(g *globals) *cobra.Command {
	var f contractTxFlags
	cmd := &cobra.Command{
		Use:   "set-viewing-key CONTRACT KEY --from KEY_NAME",
		Short: "Set the viewing key of --from's account in a SNIP-20 contract (KEY '-': read it from standard input)",
		Long: `Set the viewing key of the account of --from in a SNIP-20 contract: executes
{"set_viewing_key":{"key":KEY}}. The key replaces any key the account had.

The viewing key is a secret: anyone who has it reads the account's balance, history and allowances.
Given as an argument it shows in the shell's history and the process list; KEY '-' reads it from the
first line of standard input instead.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			if f.plaintext {
				return errPlaintextSecret
			}
			key := args[1]
			if key == "-" {
				if key, err = readSecretLine(cmd.InOrStdin()); err != nil {
					return fmt.Errorf("viewing key: %w", err)
				}
			}
			msg, err := setViewingKeyMsg(key)
			if err != nil {
				return err
			}
			return executeAndPrint(g, cmd, &f, addr, msg)
		},
	}
	f.register(cmd)
	return cmd
}

func revokePermitCmd(g *globals) *cobra.Command {
	var f contractTxFlags
	cmd := &cobra.Command{
		Use:   "revoke-permit CONTRACT PERMIT_NAME --from KEY",
		Short: "Revoke --from's permits named PERMIT_NAME in a contract (for good)",
		Long: `Revoke the query permits of the account of --from named PERMIT_NAME (the --name of
'permit sign') in a contract: executes {"revoke_permit":{"permit_name":PERMIT_NAME}}. The contract
refuses them from now on ("permit: revoked"), whatever their other parameters; a revocation cannot
be undone.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			msg, err := revokePermitMsg(args[1])
			if err != nil {
				return err
			}
			return executeAndPrint(g, cmd, &f, addr, msg)
		},
	}
	f.register(cmd)
	return cmd
}

func revokeAllPermitsCmd(g *globals) *cobra.Command {
	var (
		f      contractTxFlags
		before string
	)
	cmd := &cobra.Command{
		Use:   "revoke-all-permits CONTRACT --from KEY [--before TIME]",
		Short: "Revoke every permit of --from created before a time in a contract (for good)",
		Long: `Revoke the query permits of the account of --from created before TIME in a contract:
executes {"revoke_all_permits":{"before":UNIX_SECONDS}}. TIME is RFC 3339 (2026-01-02T15:04:05Z) or
Unix seconds; without --before the contract takes the block's time, so every permit created so far
(permit sign dates them five minutes back) is revoked. A revocation cannot be undone: an earlier time
than a previous revocation's changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			msg, err := revokeAllPermitsMsg(before)
			if err != nil {
				return err
			}
			return executeAndPrint(g, cmd, &f, addr, msg)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&before, "before", "", "revoke the permits created before this time: RFC 3339 or Unix seconds (default: the block's time)")
	return cmd
}

// createViewingKeyMsg is {"create_viewing_key":{"entropy":entropy}}; an
// empty entropy is replaced by entropySize bytes of random, in base64.
func createViewingKeyMsg(entropy string, random io.Reader) ([]byte, error) {
	if entropy == "" {
		b := make([]byte, entropySize)
		if _, err := io.ReadFull(random, b); err != nil {
			return nil, fmt.Errorf("draw entropy: %w", err)
		}
		entropy = base64.StdEncoding.EncodeToString(b)
	}
	return json.Marshal(map[string]map[string]string{"create_viewing_key": {"entropy": entropy}})
}

// setViewingKeyMsg is {"set_viewing_key":{"key":key}}.
func setViewingKeyMsg(key string) ([]byte, error) {
	if key == "" {
		return nil, errors.New("viewing key: empty")
	}
	return json.Marshal(map[string]map[string]string{"set_viewing_key": {"key": key}})
}

// revokePermitMsg is {"revoke_permit":{"permit_name":name}}.
func revokePermitMsg(name string) ([]byte, error) {
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("permit name: empty")
	}
	return json.Marshal(map[string]map[string]string{"revoke_permit": {"permit_name": name}})
}

// revokeAllPermitsMsg is {"revoke_all_permits":{"before":SECONDS}}, or
// {"revoke_all_permits":{}} (the contract takes the block's time) when
// before is empty.
func revokeAllPermitsMsg(before string) ([]byte, error) {
	body := map[string]uint64{}
	if before != "" {
		t, err := parseBefore(before)
		if err != nil {
			return nil, err
		}
		body["before"] = t
	}
	return json.Marshal(map[string]map[string]uint64{"revoke_all_permits": body})
}

// parseBefore reads a time as RFC 3339 or Unix seconds, at or after 1970.
func parseBefore(s string) (uint64, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("bad --before %q: too far in the future", s)
		}
		return n, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, fmt.Errorf("bad --before %q: want RFC 3339 (2026-01-02T15:04:05Z) or Unix seconds", s)
	}
	if t.Unix() < 0 {
		return 0, fmt.Errorf("bad --before %q: before 1970", s)
	}
	return uint64(t.Unix()), nil
}

// viewingKeyFromData is the key in a create_viewing_key answer,
// {"create_viewing_key":{"key":KEY}} (padded with spaces). Errors never
// show the data: it may hold the key.
func viewingKeyFromData(data []byte) (string, error) {
	var a struct {
		CreateViewingKey *struct {
			Key string `json:"key"`
		} `json:"create_viewing_key"`
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "", errors.New("the contract answered create_viewing_key with no data")
	}
	if err := json.Unmarshal(data, &a); err != nil {
		return "", errors.New("the contract's answer to create_viewing_key is not JSON")
	}
	if a.CreateViewingKey == nil || a.CreateViewingKey.Key == "" {
		return "", errors.New(`the contract's answer to create_viewing_key has no "create_viewing_key":{"key":...}`)
	}
	return a.CreateViewingKey.Key, nil
}

// readSecretLine reads the first line of r, without its line end.
func readSecretLine(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// queryAuth is how `query compute query` authorises a query: with a permit
// file, or with a viewing key for an account.
type queryAuth struct {
	permit     string // a permit file (from `permit sign`)
	viewingKey string
	address    string // the account of viewingKey: a bech32 address or a key name
	plaintext  bool
}

// check refuses contradictory flags before anything is read or resolved.
func (a queryAuth) check() error {
	switch {
	case a.permit != "" && a.viewingKey != "":
		return errors.New("--viewing-key and --permit are mutually exclusive: a query is authorised by one or the other")
	case a.address != "" && a.viewingKey == "":
		return errors.New("--address applies only with --viewing-key (a permit's signer is its account)")
	case a.plaintext && a.viewingKey != "":
		return errPlaintextSecret
	case a.plaintext && a.permit != "":
		return errors.New("--plaintext would reveal the permit to the node: it is refused with --permit")
	}
	return nil
}

// register adds --permit, --viewing-key and --address to cmd.
func (a *queryAuth) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&a.permit, "permit", "", "authorise the query with the permit in `FILE` (from 'permit sign'): sends {\"with_permit\":{\"permit\":...,\"query\":MSG}}")
	f.StringVar(&a.viewingKey, "viewing-key", "", "authorise the query with the viewing `KEY` (a secret): sets \"key\" (and \"address\") in MSG's body")
	f.StringVar(&a.address, "address", "", "with --viewing-key: the account whose key it is, a bech32 `ADDR` or a key name (required unless MSG names the account)")
}

// apply authorises msg as the flags say: wrapped with the permit, or with
// the viewing key (and account) in its body; unchanged with neither. A key
// name given as --address is resolved in the keyring of kf.
func (a queryAuth) apply(g *globals, kf *keyringFlags, msg []byte) ([]byte, error) {
	switch {
	case a.permit != "":
		return withPermit(a.permit, msg)
	case a.viewingKey != "":
		account := ""
		if a.address != "" {
			addr, err := queryAccount(g, kf, a.address)
			if err != nil {
				return nil, fmt.Errorf("--address: %w", err)
			}
			account = addr.String()
		}
		return withViewingKey(msg, a.viewingKey, account)
	}
	return msg, nil
}

// accountFields are the fields of a SNIP-20 query that name the account a
// viewing key is checked for: address for balance and transfer_history,
// owner or spender for allowance.
var accountFields = []string{"address", "owner", "spender"}

// withViewingKey puts the viewing key key, and the account address, into
// the body of the query msg, an object with exactly one key:
// {"balance":{}} becomes {"balance":{"address":ADDRESS,"key":KEY}}. address
// is left out when the body names its account itself (address, owner or
// spender: SNIP-20's allowance names both); otherwise it is required.
// Errors never show msg: it may hold a credential.
func withViewingKey(msg []byte, key, address string) ([]byte, error) {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(msg, &outer); err != nil || outer == nil {
		return nil, errors.New(`with --viewing-key, MSG must be a JSON object with exactly one key, e.g. {"balance":{}}`)
	}
	if len(outer) != 1 {
		return nil, fmt.Errorf(`with --viewing-key, MSG must be a JSON object with exactly one key, e.g. {"balance":{}}; it has %d`, len(outer))
	}
	var name string
	var raw json.RawMessage
	for name, raw = range outer {
	}
	body := map[string]json.RawMessage{}
	if s := bytes.TrimSpace(raw); len(s) > 0 && !bytes.Equal(s, []byte("null")) {
		if err := json.Unmarshal(s, &body); err != nil || body == nil {
			return nil, fmt.Errorf(`with --viewing-key, the body of %q must be a JSON object, e.g. {%q:{}}`, name, name)
		}
	}
	if _, ok := body["key"]; ok {
		return nil, fmt.Errorf(`MSG's %q already has a "key": give the viewing key with --viewing-key only`, name)
	}
	named := ""
	for _, f := range accountFields {
		if _, ok := body[f]; ok {
			named = f
			break
		}
	}
	switch {
	case named != "" && address != "":
		return nil, fmt.Errorf("MSG's %q names its account (%q): drop --address", name, named)
	case named == "" && address == "":
		return nil, fmt.Errorf("--address is required with --viewing-key: the account whose key it is (MSG's %q names none)", name)
	case named == "":
		a, err := json.Marshal(address)
		if err != nil {
			return nil, fmt.Errorf("address: %w", err)
		}
		body["address"] = a
	}
	k, err := json.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("viewing key: %w", err)
	}
	body["key"] = k
	return json.Marshal(map[string]map[string]json.RawMessage{name: body})
}
