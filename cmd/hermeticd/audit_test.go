package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

func TestAuditMessages(t *testing.T) {
	for _, tc := range []struct {
		name, query, want, err string
	}{
		{"balance", `{"balance":{}}`, `{"audited_query":{"query":{"balance":{}}}}`, ""},
		{"permit", `{"with_permit":{"permit":{},"query":{"balance":{}}}}`, `{"audited_query":{"query":{"with_permit":{"permit":{},"query":{"balance":{}}}}}}`, ""},
		{"not JSON", `{"balance":`, "", "not valid JSON"},
		{"empty", ``, "", "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := auditedQueryMsg([]byte(tc.query))
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.JSONEq(t, tc.want, string(got))
		})
	}
	for _, tc := range []struct {
		page, size uint32
		want, err  string
	}{
		{0, 10, `{"access_records":{"page":0,"page_size":10}}`, ""},
		{3, 100, `{"access_records":{"page":3,"page_size":100}}`, ""},
		{0, 0, "", "--page-size 0"},
		{0, 101, "", "--page-size 101"},
	} {
		got, err := accessRecordsMsg(tc.page, tc.size)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err)
		require.JSONEq(t, tc.want, string(got))
	}
}

func TestPrintAccessPage(t *testing.T) {
	var b bytes.Buffer
	printAccessPage(&b, contract.AccessPage{Total: 7, Records: []contract.AccessRecord{{
		ID: 7, Reader: "herm1reader", Owner: "herm1owner", Auth: "permit:audit", Scope: "balance", Data: "balance",
		AnswerSHA256: "ab", Height: 12, Time: "1700000000000000000",
	}}}, 0, 10)
	out := b.String()
	require.Contains(t, out, "7 access records in all; page 0 (10 a page)")
	require.Contains(t, out, "2023-11-14T22:13:20Z")
	line := strings.Fields(strings.Split(out, "\n")[2])
	require.Equal(t, []string{"7", "12", "2023-11-14T22:13:20Z", "herm1reader", "permit:audit", "balance", "balance", "ab"}, line)
	require.Equal(t, "not a number", blockTime("not a number"))
}

func TestAccessCommandsRefuseBadFlags(t *testing.T) {
	contractArg := keys.ContractAddress{1}.String()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"records without auth", []string{"query", "compute", "access-records", contractArg}, "give --permit or --viewing-key"},
		{"records bad contract", []string{"query", "compute", "access-records", "nope", "--viewing-key", "k", "--address", "a"}, "contract"},
		{"records both auths", []string{"query", "compute", "access-records", contractArg, "--viewing-key", "k", "--permit", "p"}, "mutually exclusive"},
		{"audited plaintext key", []string{"tx", "compute", "audited-query", contractArg, `{"balance":{}}`, "--from", "a", "--viewing-key", "k", "--address", "a", "--plaintext"}, "--plaintext"},
		{"audited bad contract", []string{"tx", "compute", "audited-query", "nope", `{"balance":{}}`, "--from", "a"}, "contract"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorContains(t, runRoot(append(tc.args, "--home", t.TempDir(), "--node", "http://127.0.0.1:1")...), tc.want)
		})
	}
}
