package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

const testAddr = "herm1account"

func TestWithViewingKey(t *testing.T) {
	tests := []struct {
		name    string
		msg     string
		address string
		want    string // JSON; empty when an error is wanted
		err     string
	}{
		{"balance", `{"balance":{}}`, testAddr, `{"balance":{"address":"` + testAddr + `","key":"K"}}`, ""},
		{"null body", `{"balance":null}`, testAddr, `{"balance":{"address":"` + testAddr + `","key":"K"}}`, ""},
		{"keeps other fields", `{"transfer_history":{"page":2,"page_size":5}}`, testAddr,
			`{"transfer_history":{"address":"` + testAddr + `","key":"K","page":2,"page_size":5}}`, ""},
		{"address in the body", `{"balance":{"address":"herm1x"}}`, "", `{"balance":{"address":"herm1x","key":"K"}}`, ""},
		{"allowance names its accounts", `{"allowance":{"owner":"a","spender":"b"}}`, "", `{"allowance":{"key":"K","owner":"a","spender":"b"}}`, ""},
		{"address missing", `{"balance":{}}`, "", "", "--address is required"},
		{"address twice", `{"balance":{"address":"herm1x"}}`, testAddr, "", "drop --address"},
		{"address with allowance", `{"allowance":{"owner":"a","spender":"b"}}`, testAddr, "", "drop --address"},
		{"key in MSG", `{"balance":{"key":"other"}}`, testAddr, "", `already has a "key"`},
		{"two keys", `{"balance":{},"token_info":{}}`, testAddr, "", "exactly one key, e.g. {\"balance\":{}}; it has 2"},
		{"no key", `{}`, testAddr, "", "it has 0"},
		{"array", `[{"balance":{}}]`, testAddr, "", "must be a JSON object"},
		{"string", `"balance"`, testAddr, "", "must be a JSON object"},
		{"null", `null`, testAddr, "", "must be a JSON object"},
		{"not JSON", `{balance}`, testAddr, "", "must be a JSON object"},
		{"body not an object", `{"balance":"x"}`, testAddr, "", `the body of "balance" must be a JSON object`},
		{"body an array", `{"balance":[]}`, testAddr, "", `the body of "balance" must be a JSON object`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := withViewingKey([]byte(tc.msg), "K", tc.address)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
}

// TestWithViewingKeyErrorsHideTheKey: an error never shows the key, even
// when MSG holds one.
func TestWithViewingKeyErrorsHideTheKey(t *testing.T) {
	const secret = "api_key_SECRET"
	for _, msg := range []string{`{"balance":{"key":"` + secret + `"}}`, `{"balance":"` + secret + `"}`, `{` + secret} {
		_, err := withViewingKey([]byte(msg), secret, testAddr)
		require.Error(t, err)
		require.NotContains(t, err.Error(), secret)
	}
}

func TestQueryAuthCheck(t *testing.T) {
	tests := []struct {
		name string
		auth queryAuth
		err  string
	}{
		{"nothing", queryAuth{}, ""},
		{"permit", queryAuth{permit: "p.json"}, ""},
		{"viewing key", queryAuth{viewingKey: "K", address: testAddr}, ""},
		{"viewing key without address", queryAuth{viewingKey: "K"}, ""}, // MSG may name it; withViewingKey decides
		{"plaintext alone", queryAuth{plaintext: true}, ""},
		{"both", queryAuth{permit: "p.json", viewingKey: "K"}, "--viewing-key and --permit are mutually exclusive"},
		{"both with address", queryAuth{permit: "p.json", viewingKey: "K", address: testAddr}, "mutually exclusive"},
		{"address alone", queryAuth{address: testAddr}, "--address applies only with --viewing-key"},
		{"address with permit", queryAuth{permit: "p.json", address: testAddr}, "--address applies only with --viewing-key"},
		{"plaintext viewing key", queryAuth{viewingKey: "K", address: testAddr, plaintext: true}, "--plaintext would reveal the viewing key"},
		{"plaintext permit", queryAuth{permit: "p.json", plaintext: true}, "--plaintext would reveal the permit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.auth.check()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.err)
		})
	}
}

func TestRevokeAllPermitsMsg(t *testing.T) {
	tests := []struct {
		before string
		want   string
		err    string
	}{
		{"", `{"revoke_all_permits":{}}`, ""},
		{"1767366245", `{"revoke_all_permits":{"before":1767366245}}`, ""},
		{"0", `{"revoke_all_permits":{"before":0}}`, ""},
		{"2026-01-02T15:04:05Z", `{"revoke_all_permits":{"before":1767366245}}`, ""},
		{"2026-01-02T16:04:05+01:00", `{"revoke_all_permits":{"before":1767366245}}`, ""},
		{"1969-12-31T23:59:59Z", "", "before 1970"},
		{"-5", "", "want RFC 3339"},
		{"2026-01-02", "", "want RFC 3339"},
		{"yesterday", "", "want RFC 3339"},
		{"1.5", "", "want RFC 3339"},
		{"18446744073709551615", "", "too far in the future"},
		{"99999999999999999999", "", "want RFC 3339"},
	}
	for _, tc := range tests {
		t.Run(tc.before, func(t *testing.T) {
			got, err := revokeAllPermitsMsg(tc.before)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, err, "--before")
				return
			}
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestAccessExecuteMsgs(t *testing.T) {
	random := bytes.NewReader(bytes.Repeat([]byte{7}, entropySize))
	drawn := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, entropySize))
	tests := []struct {
		name string
		msg  func() ([]byte, error)
		want string
		err  string
	}{
		{"create with entropy", func() ([]byte, error) { return createViewingKeyMsg("dice", nil) }, `{"create_viewing_key":{"entropy":"dice"}}`, ""},
		{"create with random entropy", func() ([]byte, error) { return createViewingKeyMsg("", random) }, `{"create_viewing_key":{"entropy":"` + drawn + `"}}`, ""},
		{"create without random", func() ([]byte, error) {
			return createViewingKeyMsg("", iotest.ErrReader(errors.New("no randomness")))
		}, "", "draw entropy: no randomness"},
		{"set", func() ([]byte, error) { return setViewingKeyMsg(`my "key"`) }, `{"set_viewing_key":{"key":"my \"key\""}}`, ""},
		{"set empty", func() ([]byte, error) { return setViewingKeyMsg("") }, "", "viewing key: empty"},
		{"revoke", func() ([]byte, error) { return revokePermitMsg("auditor") }, `{"revoke_permit":{"permit_name":"auditor"}}`, ""},
		{"revoke empty", func() ([]byte, error) { return revokePermitMsg(" ") }, "", "permit name: empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.msg()
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
}

func TestViewingKeyFromData(t *testing.T) {
	const key = "api_key_abc"
	tests := []struct {
		name string
		data string
		err  string
	}{
		{"padded", `{"create_viewing_key":{"key":"` + key + `"}}` + strings.Repeat(" ", 200), ""},
		{"empty", "", "no data"},
		{"spaces", "   ", "no data"},
		{"not JSON", "api_key_abc", "not JSON"},
		{"other answer", `{"set_viewing_key":{"status":"success"}}`, "has no"},
		{"empty key", `{"create_viewing_key":{"key":""}}`, "has no"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := viewingKeyFromData([]byte(tc.data))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.NotContains(t, err.Error(), key)
				return
			}
			require.NoError(t, err)
			require.Equal(t, key, got)
		})
	}
}

func TestReadSecretLine(t *testing.T) {
	for in, want := range map[string]string{"k1\n": "k1", "k2\r\nrest\n": "k2", "k3": "k3", "": ""} {
		got, err := readSecretLine(strings.NewReader(in))
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

// TestQueryFlagsThroughTheCommand runs `query compute query` with bad
// flag combinations and MSGs: each fails before it reaches a node.
func TestQueryFlagsThroughTheCommand(t *testing.T) {
	permit := filepath.Join(t.TempDir(), "permit.json")
	require.NoError(t, os.WriteFile(permit, []byte(`{}`), 0o600))
	contract := keys.ContractAddress{1}.String()
	testAddr := keys.Address{1}.String()
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"both credentials", []string{contract, `{"balance":{}}`, "--viewing-key", "K", "--permit", permit}, "mutually exclusive"},
		{"bad MSG", []string{contract, `{"balance":{},"x":{}}`, "--viewing-key", "K", "--address", testAddr}, "exactly one key"},
		{"no address", []string{contract, `{"balance":{}}`, "--viewing-key", "K"}, "--address is required"},
		{"plaintext key", []string{contract, `{"balance":{}}`, "--viewing-key", "K", "--address", testAddr, "--plaintext"}, "--plaintext would reveal"},
		{"bad contract", []string{"herm1nope", `{"balance":{}}`}, "contract:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, runRoot(append([]string{"query", "compute", "query", "--node", "http://127.0.0.1:1"}, tc.args...)...), tc.err)
		})
	}
}

// TestAccessTxFlagsThroughTheCommand runs the access transactions with bad
// arguments: each fails before it opens a keyring or reaches a node.
func TestAccessTxFlagsThroughTheCommand(t *testing.T) {
	contract := keys.ContractAddress{1}.String()
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"bad --before", []string{"revoke-all-permits", contract, "--before", "tomorrow"}, "bad --before"},
		{"empty permit name", []string{"revoke-permit", contract, ""}, "permit name: empty"},
		{"empty key", []string{"set-viewing-key", contract, ""}, "viewing key: empty"},
		{"plaintext set", []string{"set-viewing-key", contract, "K", "--plaintext"}, "--plaintext would reveal the viewing key"},
		{"plaintext create", []string{"create-viewing-key", contract, "--plaintext"}, "--plaintext would reveal the viewing key"},
		{"bad contract", []string{"create-viewing-key", "herm1nope"}, "contract:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, runRoot(append([]string{"tx", "compute"}, append(tc.args, "--from", "nobody", "--home", t.TempDir(), "--node", "http://127.0.0.1:1")...)...), tc.err)
		})
	}
}

// runRoot runs the command line args, its output discarded.
func runRoot(args ...string) error {
	root := newRootCmd()
	root.SetArgs(args)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	return root.Execute()
}
