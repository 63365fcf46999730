package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

// TestDataCommandRefusals: the data commands refuse what they cannot send,
// before anything reaches a node (the node given does not exist).
func TestDataCommandRefusals(t *testing.T) {
	reg := keys.ContractAddress{1}.String()
	node := []string{"--home", t.TempDir(), "--node", "http://127.0.0.1:1"}
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"no registry", []string{"tx", "data", "create-org", "Acme", "--from", "alice"}, `required flag(s) "registry" not set`},
		{"a malformed registry", []string{"tx", "data", "create-org", "Acme", "--from", "alice", "--registry", "nope"}, "--registry"},
		{"too few arguments", []string{"tx", "data", "add-gateway", "org", "--from", "alice", "--registry", reg}, "accepts 2 arg(s)"},
		{"a grant id that is not a number", []string{"tx", "data", "revoke-grant", "org", "seven", "--from", "alice", "--registry", reg}, "invalid syntax"},
		{"a device without its key file", []string{"tx", "data", "register-device", "org", "mill", "--from", "alice", "--registry", reg}, `required flag(s) "key-file" not set`},
		{"a query without authorisation", []string{"query", "data", "streams", "org", "--registry", reg}, "needs --viewing-key and --address, or --permit"},
		{"a viewing key without its account", []string{"query", "data", "streams", "org", "--registry", reg, "--viewing-key", "k"}, "needs --address"},
		{"a viewing key and a permit", []string{"query", "data", "streams", "org", "--registry", reg, "--viewing-key", "k", "--permit", "p.json"}, "mutually exclusive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, runRoot(append(tc.args, node...)...), tc.err)
		})
	}
}
