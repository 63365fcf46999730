package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/keys"
)

// echoWAT is a small contract: instantiate stores its message; execute
// answers the data "secret" and an attribute, or the error "no" when its
// message starts with 'f'; query answers "query".
func echoWAT() string {
	ok := `{"ok":{"messages":[],"attributes":[{"key":"k","value":"v"}],"events":[],"data":"c2VjcmV0"}}`
	fail := `{"error":"no"}`
	query := `{"ok":"cXVlcnk="}`
	return fmt.Sprintf(`(module
  (import "env" "db_write" (func $db_write (param i32 i32)))
`+wat.ContractPrelude+`  (data (i32.const 1000) "m")
  (data (i32.const 1024) %q)
  (data (i32.const 2048) %q)
  (data (i32.const 3072) %q)
  (func (export "instantiate") (param i32) (param i32) (param $msg i32) (result i32)
    (call $db_write (call $region (i32.const 1000) (i32.const 1)) (local.get $msg))
    (call $region (i32.const 1024) (i32.const %d)))
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (i32.load (local.get $msg))) (i32.const 102))
      (then (call $region (i32.const 2048) (i32.const %d)))
      (else (call $region (i32.const 1024) (i32.const %d)))))
  (func (export "query") (param i32) (param i32) (result i32)
    (call $region (i32.const 3072) (i32.const %d))))`, ok, fail, query, len(ok), len(fail), len(ok), len(query))
}

// TestContractsThroughTheCLI stores, instantiates, executes and queries a
// contract on a devnet with the hermeticd commands: inputs go encrypted, and
// the CLI shows the decrypted answers and errors.
func TestContractsThroughTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end contract test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := startDevnet(ctx, t)
	api, dev := d.api, d.flags()
	run := func(args ...string) string { t.Helper(); return d.run(t, args...) }

	bin, err := wat.Compile(echoWAT())
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "echo.wasm")
	require.NoError(t, os.WriteFile(file, bin, 0o600))

	out := run("tx", "compute", "store", file, "--from", "alice")
	require.Contains(t, out, "code id:  1")
	require.Contains(t, hermeticd(t, "query", "compute", "code", "1", "--node", api), "entry points: [instantiate execute query]")

	out = run("tx", "compute", "instantiate", "1", `{"line":"3"}`, "--label", "echo", "--admin", "alice", "--from", "alice")
	m := regexp.MustCompile(`contract: (herm1\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	contract := m[1]
	require.Contains(t, hermeticd(t, "query", "compute", "contract", contract, "--node", api), "label:   echo")

	require.Contains(t, run("tx", "compute", "execute", contract, `{"go":{}}`, "--from", "bob"), "data:     secret")
	require.Contains(t, hermeticd(t, "query", "compute", "query", contract, `{"get":{}}`, "--node", api), "query")
	require.Contains(t, run("tx", "compute", "execute", contract, `{"go":{}}`, "--from", "bob", "--plaintext"), "data:     secret")

	// The contract's error reaches its sender decrypted.
	_, err = hermeticdErr(append([]string{"tx", "compute", "execute", contract, `fail`, "--from", "bob"}, dev...)...)
	require.ErrorContains(t, err, "contract error: no")

	// Blocks carry each transaction's result code, the failed execute's
	// non-zero (the load generator counts failures by them).
	c := client.New(api)
	st, err := c.Status(ctx)
	require.NoError(t, err)
	var codes []uint32
	for h := int64(1); h <= st.LatestHeight; h++ {
		b, err := c.Block(ctx, h)
		require.NoError(t, err)
		require.Len(t, b.TxCodes, len(b.Txs), "height %d", h)
		codes = append(codes, b.TxCodes...)
	}
	require.Contains(t, codes, uint32(0))
	require.True(t, slices.ContainsFunc(codes, func(c uint32) bool { return c != 0 }), "codes %v", codes)

	bad := []struct {
		name string
		args []string
		want string
	}{
		{"unknown contract", []string{"tx", "compute", "execute", keys.ContractAddress{1}.String(), `{}`, "--from", "bob"}, "unknown contract"},
		{"not wasm", []string{"tx", "compute", "store", "/etc/hostname", "--from", "bob"}, "invalid contract code"},
		{"unknown code", []string{"tx", "compute", "instantiate", "9", `{}`, "--label", "x", "--from", "bob"}, "unknown code"},
		{"migrate by a non-admin", []string{"tx", "compute", "migrate", contract, "1", `{}`, "--from", "bob"}, "admin"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			_, err := hermeticdErr(append(b.args, dev...)...)
			require.ErrorContains(t, err, b.want)
			require.NotContains(t, err.Error(), "goroutine")
		})
	}
}

// TestGoCounterContract builds the Go counter with `hermeticd contract
// build`, and runs it on a devnet with encrypted inputs: the count comes
// back decrypted, and the owner check's error too.
func TestGoCounterContract(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end contract test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wasm := filepath.Join(t.TempDir(), "counter.wasm")
	hermeticd(t, "contract", "build", filepath.Join("..", "contracts", "counter"), "-O", wasm)

	d := startDevnet(ctx, t)
	api, dev := d.api, d.flags()
	run := func(args ...string) string { t.Helper(); return d.run(t, args...) }

	require.Contains(t, run("tx", "compute", "store", wasm, "--from", "alice"), "code id:  1")
	out := run("tx", "compute", "instantiate", "1", `{"count":5}`, "--label", "counter", "--from", "alice")
	m := regexp.MustCompile(`contract: (herm1\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	contract := m[1]
	run("tx", "compute", "execute", contract, `{"increment":{}}`, "--from", "bob")
	run("tx", "compute", "execute", contract, `{"increment":{}}`, "--from", "carol")
	require.Contains(t, hermeticd(t, "query", "compute", "query", contract, `{"get_count":{}}`, "--node", api), `{"count":7}`)

	_, err := hermeticdErr(append([]string{"tx", "compute", "execute", contract, `{"reset":{"count":0}}`, "--from", "bob"}, dev...)...)
	require.ErrorContains(t, err, "unauthorized")
	run("tx", "compute", "execute", contract, `{"reset":{"count":1}}`, "--from", "alice")
	require.Contains(t, hermeticd(t, "query", "compute", "query", contract, `{"get_count":{}}`, "--node", api), `{"count":1}`)
}

// TestTokenPermitThroughTheCLI: a token balance read with a permit signed
// offline by `hermeticd permit sign` (a P-256 key here, as a device holds),
// and refused for a contract the permit does not name; then read with a
// viewing key the CLI has the token create or set, and refused with a wrong
// one; and the permits, revoked by name and all at once with the CLI,
// refused.
func TestTokenPermitThroughTheCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end contract test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	wasm := filepath.Join(t.TempDir(), "token.wasm")
	hermeticd(t, "contract", "build", filepath.Join("..", "contracts", "token"), "-O", wasm)

	d := startDevnet(ctx, t)
	api := d.api
	run := func(args ...string) string { t.Helper(); return d.run(t, args...) }

	dave := strings.TrimSpace(run("keys", "show", "dave", "-a")) // P-256
	require.Contains(t, run("tx", "compute", "store", wasm, "--from", "alice"), "code id:  1")
	init := fmt.Sprintf(`{"name":"Plant Token","symbol":"PLNT","decimals":6,"initial_balances":[{"address":%q,"amount":"4200"}]}`, dave)
	m := regexp.MustCompile(`contract: (herm1\S+)`).FindStringSubmatch(run("tx", "compute", "instantiate", "1", init, "--label", "token", "--from", "alice"))
	require.NotNil(t, m)
	token := m[1]

	permit := filepath.Join(t.TempDir(), "permit.json")
	run("permit", "sign", "--from", "dave", "--name", "auditor", "--contracts", token, "--permissions", "balance", "--expires", "1h", "-O", permit)
	out := hermeticd(t, "query", "compute", "query", token, `{"balance":{}}`, "--permit", permit, "--node", api)
	require.Contains(t, out, `"amount":"4200"`)

	// The same permit does not authorise another scope or contract.
	_, err := hermeticdErr("query", "compute", "query", token, `{"transfer_history":{}}`, "--permit", permit, "--node", api)
	require.ErrorContains(t, err, "permission")
	other := filepath.Join(t.TempDir(), "other.json")
	run("permit", "sign", "--from", "dave", "--name", "other", "--contracts", keys.ContractAddress{7}.String(), "--permissions", "balance", "-O", other)
	_, err = hermeticdErr("query", "compute", "query", token, `{"balance":{}}`, "--permit", other, "--node", api)
	require.ErrorContains(t, err, "contract")

	// Viewing keys. A failing command must not show its arguments or its
	// output: they hold the key.
	quiet := func(args ...string) (string, error) {
		return hermeticdErr(append(args, d.flags()...)...)
	}
	out, err = quiet("tx", "compute", "create-viewing-key", token, "--from", "dave")
	require.NoError(t, err)
	km := regexp.MustCompile(`(?m)^viewing key: (api_key_\S+)$`).FindStringSubmatch(out)
	if km == nil {
		t.Fatal("create-viewing-key printed no viewing key")
	}
	first := km[1]
	// -o json gives the structured result; the new key replaces the first.
	out, err = quiet("tx", "compute", "create-viewing-key", token, "--from", "dave", "--entropy", "plant 7", "-o", "json")
	require.NoError(t, err)
	var res struct{ TxHash, ViewingKey string }
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.NotEmpty(t, res.TxHash)
	if !strings.HasPrefix(res.ViewingKey, "api_key_") || res.ViewingKey == first {
		t.Fatal("create-viewing-key -o json gave no new viewing key")
	}
	created := res.ViewingKey
	_, err = quiet("query", "compute", "query", token, `{"balance":{}}`, "--viewing-key", first, "--address", dave)
	require.ErrorContains(t, err, "wrong viewing key")
	// --address by key name (from the keyring), then by address.
	out, err = quiet("query", "compute", "query", token, `{"balance":{}}`, "--viewing-key", created, "--address", "dave")
	require.NoError(t, err)
	require.Contains(t, out, `"amount":"4200"`)
	_, err = quiet("query", "compute", "query", token, `{"balance":{}}`, "--viewing-key", "api_key_wrong", "--address", dave)
	require.ErrorContains(t, err, "wrong viewing key")
	_, err = quiet("query", "compute", "query", token, `{"balance":{}}`, "--viewing-key", created, "--permit", permit)
	require.ErrorContains(t, err, "mutually exclusive")

	// A key dave sets replaces the created one.
	const own = "dave-plant-7-audit"
	_, err = quiet("tx", "compute", "set-viewing-key", token, own, "--from", "dave")
	require.NoError(t, err)
	out, err = quiet("query", "compute", "query", token, `{"transfer_history":{}}`, "--viewing-key", own, "--address", dave)
	require.NoError(t, err)
	require.Contains(t, out, `"total":0`)
	_, err = quiet("query", "compute", "query", token, `{"balance":{}}`, "--viewing-key", created, "--address", dave)
	require.ErrorContains(t, err, "wrong viewing key")

	// Audited access: alice reads dave's data as transactions, with dave's
	// permit and with dave's viewing key; dave lists the records.
	alice := strings.TrimSpace(run("keys", "show", "alice", "-a"))
	out = run("tx", "compute", "audited-query", token, `{"balance":{}}`, "--permit", permit, "--from", "alice")
	require.Contains(t, out, `"amount":"4200"`)
	_, err = quiet("tx", "compute", "audited-query", token, `{"transfer_history":{}}`, "--viewing-key", own, "--address", dave, "--from", "alice")
	require.NoError(t, err)
	_, err = quiet("tx", "compute", "audited-query", token, `{"balance":{}}`, "--viewing-key", "api_key_wrong", "--address", dave, "--from", "alice")
	require.ErrorContains(t, err, "wrong viewing key")
	out, err = quiet("query", "compute", "access-records", token, "--viewing-key", own, "--address", "dave", "-o", "json")
	require.NoError(t, err)
	var log contract.AccessPage
	require.NoError(t, json.Unmarshal([]byte(out), &log), out)
	require.Equal(t, uint64(2), log.Total, "two reads recorded, the refused one not")
	require.Equal(t, []string{alice, "viewing_key", "history"}, []string{log.Records[0].Reader, log.Records[0].Auth, log.Records[0].Scope})
	require.Equal(t, []string{alice, "permit:auditor", "balance"}, []string{log.Records[1].Reader, log.Records[1].Auth, log.Records[1].Scope})
	out, err = quiet("query", "compute", "access-records", token, "--viewing-key", own, "--address", dave)
	require.NoError(t, err)
	require.Contains(t, out, "2 access records in all")
	_, err = hermeticdErr("query", "compute", "access-records", token, "--permit", permit, "--node", api)
	require.ErrorContains(t, err, "permission", "the auditor's permit does not grant access_records")

	// Revocations: by name, then every permit created so far.
	fresh := filepath.Join(t.TempDir(), "fresh.json")
	run("permit", "sign", "--from", "dave", "--name", "fresh", "--contracts", token, "--permissions", "balance", "--expires", "1h", "-O", fresh)
	require.Contains(t, run("tx", "compute", "revoke-permit", token, "auditor", "--from", "dave"), "revoke_permit")
	_, err = hermeticdErr("query", "compute", "query", token, `{"balance":{}}`, "--permit", permit, "--node", api)
	require.ErrorContains(t, err, "permit: revoked")
	require.Contains(t, hermeticd(t, "query", "compute", "query", token, `{"balance":{}}`, "--permit", fresh, "--node", api), `"amount":"4200"`)
	run("tx", "compute", "revoke-all-permits", token, "--from", "dave")
	_, err = hermeticdErr("query", "compute", "query", token, `{"balance":{}}`, "--permit", fresh, "--node", api)
	require.ErrorContains(t, err, "permit: revoked")
}
