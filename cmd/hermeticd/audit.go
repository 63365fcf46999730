package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

// Audited access from the command line: a read that runs as a transaction
// and leaves a record in the data owner's access log (contract/audit.go),
// and the listing of that log. Both follow the messages of the shipped
// token (contracts/token): {"audited_query":{"query":Q}} and
// {"access_records":{"page","page_size"}}.

func auditedQueryCmd(g *globals) *cobra.Command {
	var (
		f    contractTxFlags
		auth queryAuth
	)
	cmd := &cobra.Command{
		Use:   "audited-query CONTRACT QUERY --from READER [--permit FILE | --viewing-key KEY --address ADDR]",
		Short: "Read an account's data as a transaction, leaving an access record for its owner",
		Long: `Run the account query QUERY (authorised by a permit or a viewing key, as 'query compute
query' does) as a transaction signed by --from: executes {"audited_query":{"query":QUERY}}. The
answer is the transaction's output, encrypted to --from and shown decrypted; the data's owner gets
a record of the read (who, authorised how, which data, when, the answer's SHA-256) that it lists
with 'query compute access-records'. A refused read fails the transaction and records nothing.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			auth.plaintext = f.plaintext
			if err := auth.check(); err != nil {
				return err
			}
			q, err := auth.apply(g, &f.keyringFlags, []byte(args[1]))
			if err != nil {
				return err
			}
			msg, err := auditedQueryMsg(q)
			if err != nil {
				return err
			}
			return executeAndPrint(g, cmd, &f, addr, msg)
		},
	}
	f.register(cmd)
	auth.register(cmd)
	return cmd
}

// auditedQueryMsg is {"audited_query":{"query":query}}.
func auditedQueryMsg(query []byte) ([]byte, error) {
	if !json.Valid(query) {
		return nil, fmt.Errorf("QUERY is not valid JSON")
	}
	return json.Marshal(map[string]map[string]json.RawMessage{"audited_query": {"query": query}})
}

func accessRecordsCmd(g *globals) *cobra.Command {
	var (
		kf             keyringFlags
		auth           queryAuth
		page, pageSize uint32
	)
	cmd := &cobra.Command{
		Use:   "access-records CONTRACT (--permit FILE | --viewing-key KEY --address ADDR) [--page N --page-size M]",
		Short: "List the audited reads of an account's data in a contract, newest first",
		Long: `List an account's access log in a contract: the audited reads of its data ('tx compute
audited-query'), newest first. The log is private to the account: the query is authorised by its
viewing key with --address, or by a permit it signed that grants "access_records" (which it may
give an auditor). Sends {"access_records":{"page":N,"page_size":M}}, encrypted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := keys.ParseContractAddress(args[0])
			if err != nil {
				return fmt.Errorf("contract: %w", err)
			}
			if auth.permit == "" && auth.viewingKey == "" {
				return fmt.Errorf("an access log is private: give --permit or --viewing-key")
			}
			if err := auth.check(); err != nil {
				return err
			}
			q, err := accessRecordsMsg(page, pageSize)
			if err != nil {
				return err
			}
			if q, err = auth.apply(g, &kf, q); err != nil {
				return err
			}
			out, err := g.client().Query(cmd.Context(), addr, q, false)
			if err != nil {
				return err
			}
			var a struct {
				AccessRecords contract.AccessPage `json:"access_records"`
			}
			if err := json.Unmarshal(out, &a); err != nil {
				return fmt.Errorf("decode the contract's answer: %w", err)
			}
			return g.print(cmd.OutOrStdout(), a.AccessRecords, func(w io.Writer) { printAccessPage(w, a.AccessRecords, page, pageSize) })
		},
	}
	kf.register(cmd)
	auth.register(cmd)
	cmd.Flags().Uint32Var(&page, "page", 0, "page number, from 0 (newest records first)")
	cmd.Flags().Uint32Var(&pageSize, "page-size", contract.DefaultAccessPageSize, fmt.Sprintf("records a page (1 to %d)", contract.MaxAccessPageSize))
	return cmd
}

// accessRecordsMsg is {"access_records":{"page":page,"page_size":size}}.
func accessRecordsMsg(page, size uint32) ([]byte, error) {
	if size < 1 || size > contract.MaxAccessPageSize {
		return nil, fmt.Errorf("--page-size %d: want 1 to %d", size, contract.MaxAccessPageSize)
	}
	return json.Marshal(map[string]map[string]uint32{"access_records": {"page": page, "page_size": size}})
}

// printAccessPage writes a page of access records as a table.
func printAccessPage(w io.Writer, p contract.AccessPage, page, size uint32) {
	fmt.Fprintf(w, "%d access records in all; page %d (%d a page):\n", p.Total, page, size)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tHEIGHT\tTIME\tREADER\tAUTH\tSCOPE\tDATA\tANSWER SHA-256")
	for _, r := range p.Records {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Height, blockTime(r.Time), r.Reader, r.Auth, r.Scope, r.Data, r.AnswerSHA256)
	}
	_ = tw.Flush()
}

// blockTime formats a block time given in nanoseconds since the Unix epoch
// (as a contract's env has it) in RFC 3339, or returns it as it is.
func blockTime(ns string) string {
	var n int64
	if _, err := fmt.Sscan(strings.TrimSpace(ns), &n); err != nil {
		return ns
	}
	return time.Unix(0, n).UTC().Format(time.RFC3339)
}
