package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCLI drives a devnet through the hermeticd command line as a user would:
// keys, transfers, staking and queries in text and JSON, and bad input that
// must come back as an error in words, with a non-zero exit status and no
// stack trace.
func TestCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end CLI test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := startDevnet(ctx, t)
	home, api := d.home, d.api
	run := func(args ...string) string { t.Helper(); return d.run(t, args...) }
	query := func(args ...string) string { t.Helper(); return hermeticd(t, append(args, "--node", api)...) }

	// Keys: an encrypted keyring of our own, with the passphrase from the
	// environment.
	t.Setenv("HERMETIC_KEYRING_PASSPHRASE", "correct horse battery staple")
	kdir := filepath.Join(t.TempDir(), "keys")
	hermeticd(t, "keys", "add", "plant-gw", "--type", "p256", "--keyring-dir", kdir)
	var list []struct{ Name, Type, Address string }
	require.NoError(t, json.Unmarshal([]byte(hermeticd(t, "-o", "json", "keys", "list", "--keyring-dir", kdir)), &list))
	require.Len(t, list, 1)
	require.Equal(t, "p256", list[0].Type)
	gw := strings.TrimSpace(hermeticd(t, "keys", "show", "plant-gw", "-a", "--keyring-dir", kdir))
	require.Equal(t, list[0].Address, gw)
	armored := hermeticd(t, "keys", "export", "plant-gw", "--keyring-dir", kdir)
	require.Contains(t, armored, "BEGIN HERMETIC PRIVATE KEY")
	armorFile := filepath.Join(t.TempDir(), "gw.key")
	require.NoError(t, os.WriteFile(armorFile, []byte(armored), 0o600))
	kdir2 := filepath.Join(t.TempDir(), "keys2")
	hermeticd(t, "keys", "import", "gw-copy", armorFile, "--keyring-dir", kdir2)
	require.Equal(t, gw, strings.TrimSpace(hermeticd(t, "keys", "show", "gw-copy", "-a", "--keyring-dir", kdir2)))
	hermeticd(t, "keys", "delete", "gw-copy", "--keyring-dir", kdir2)

	// A transfer to the new key, then a query of its balance.
	out := run("tx", "bank", "send", "alice", gw, "2500000uherm")
	require.Contains(t, out, "result:   ok")
	require.Contains(t, query("query", "balance", gw), "2500000uherm")

	// The gateway key (P-256, encrypted keyring) sends back, in JSON.
	var res struct {
		Hash   string `json:"hash"`
		Height int64  `json:"height"`
		Code   uint32 `json:"code"`
	}
	out = hermeticd(t, "-o", "json", "tx", "bank", "send", "plant-gw", strings.TrimSpace(run("keys", "show", "bob", "-a")), "1000uherm",
		"--keyring-dir", kdir, "--node", api, "--home", home)
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	require.Zero(t, res.Code)
	require.Contains(t, query("query", "tx", res.Hash), res.Hash)
	require.Contains(t, query("query", "block", "latest"), "height")

	// Staking changes the validator's power.
	op := strings.TrimSpace(run("keys", "show", "operator", "-a"))
	require.Contains(t, run("tx", "staking", "bond", op, "7000000uherm", "--from", "carol"), "result:   ok")
	require.Contains(t, query("query", "validators"), "107")
	require.Contains(t, run("tx", "staking", "unbond", op, "7000000uherm", "--from", "carol"), "result:   ok")
	var acc struct {
		Account struct {
			Sequence uint64 `json:"sequence"`
		} `json:"account"`
	}
	require.NoError(t, json.Unmarshal([]byte(query("-o", "json", "query", "account", strings.TrimSpace(run("keys", "show", "carol", "-a")))), &acc))
	require.Equal(t, uint64(2), acc.Account.Sequence)

	// Bad input: an error in words, exit status 1, no stack trace.
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"wrong denomination", []string{"tx", "bank", "send", "alice", "bob", "5uatom"}, "want e.g. 1000uherm"},
		{"insufficient funds", []string{"tx", "bank", "send", "bob", "alice", "999999999999999uherm"}, "insufficient funds"},
		{"unknown key", []string{"tx", "bank", "send", "nobody", "bob", "5uherm"}, "not found"},
		{"bad amount", []string{"tx", "bank", "send", "alice", "bob", "lots"}, "amount"},
		{"bad address", []string{"query", "account", "herm1xyz"}, "address"},
		{"unbond more than bonded", []string{"tx", "staking", "unbond", op, "1uherm", "--from", "bob"}, "insufficient bonded amount"},
		{"node unreachable", []string{"tx", "bank", "send", "alice", "bob", "5uherm", "--node", "http://127.0.0.1:1"}, "reach node"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			args := b.args
			if args[0] == "tx" {
				args = append(args, "--home", home, "--keyring-backend", "test")
			}
			if !strings.Contains(strings.Join(args, " "), "--node") {
				args = append(args, "--node", api)
			}
			_, err := hermeticdErr(args...)
			require.Error(t, err)
			msg := err.Error()
			require.Contains(t, msg, "exit status 1")
			require.Contains(t, msg, b.want)
			require.NotContains(t, msg, "goroutine")
			require.NotContains(t, msg, "panic")
		})
	}
}
