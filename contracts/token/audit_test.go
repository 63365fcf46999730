//go:build !wasip1

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

func audited(query string) string { return `{"audited_query":{"query":` + query + `}}` }

// accessPage decodes an access_records answer.
func accessPage(t *testing.T, data string) contract.AccessPage {
	t.Helper()
	var a struct {
		AccessRecords contract.AccessPage `json:"access_records"`
	}
	require.NoError(t, json.Unmarshal([]byte(data), &a), data)
	return a.AccessRecords
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestAuditedQuery(t *testing.T) {
	h, p := setup(t)
	owner, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	ownerAddr := owner.PubKey().Address().String()
	h.Height++
	h.OK(p.alice, `{"transfer":{"recipient":"`+ownerAddr+`","amount":"70"}}`)
	aliceKey := h.createKey(p.alice, "alice entropy")
	h.Height++

	// carol reads alice's balance with alice's viewing key, as a
	// transaction: she gets the answer a query gives, and alice's log
	// gets a record.
	vkQuery := balanceQuery(p.alice, aliceKey)
	answer := h.OK(p.carol, audited(vkQuery))
	require.JSONEq(t, h.QueryOK(vkQuery), answer)

	// bob reads the owner's history with the owner's permit.
	auditor := sign(t, owner, h.permit(t, owner, "auditor", "history"))
	h.Height++
	histAnswer := h.OK(p.bob, audited(withPermit(t, auditor, `{"transfer_history":{"page":0,"page_size":5}}`)))
	require.JSONEq(t, h.OK(ownerAddr, `{"transfer_history":{"page":0,"page_size":5}}`), histAnswer)

	// alice lists her log with her viewing key, by query and by execute.
	aliceLog := accessPage(t, h.QueryOK(`{"access_records":{"address":"`+p.alice+`","key":"`+aliceKey+`"}}`))
	require.Equal(t, uint64(1), aliceLog.Total)
	require.Equal(t, contract.AccessRecord{
		ID: 1, Reader: p.carol, Owner: p.alice, Auth: "viewing_key", Scope: "balance", Data: "balance",
		AnswerSHA256: sha(answer), Height: 102, Time: fmt.Sprint(1_700_000_000_000_000_000 + 102*5_000_000_000),
	}, aliceLog.Records[0])
	require.Equal(t, aliceLog, accessPage(t, h.OK(p.alice, `{"access_records":{}}`)))

	// The owner lists its log with a permit that grants access_records
	// (the auditor's permit does not).
	require.Contains(t, h.QueryFails(withPermit(t, auditor, `{"access_records":{}}`)), contract.ErrPermitPermission.Error())
	self := sign(t, owner, h.permit(t, owner, "self", "access_records"))
	ownerLog := accessPage(t, h.QueryOK(withPermit(t, self, `{"access_records":{"page":0,"page_size":10}}`)))
	require.Equal(t, uint64(1), ownerLog.Total)
	r := ownerLog.Records[0]
	require.Equal(t, []string{p.bob, ownerAddr, "permit:auditor", "history", "transfer_history page 0 page_size 5", sha(histAnswer)},
		[]string{r.Reader, r.Owner, r.Auth, r.Scope, r.Data, r.AnswerSHA256})
	require.Equal(t, uint64(103), r.Height)

	// Nobody else's log has these reads, and reading a log is not itself
	// recorded.
	require.Zero(t, accessPage(t, h.OK(p.carol, `{"access_records":{}}`)).Total)
	require.Zero(t, accessPage(t, h.OK(p.bob, `{"access_records":{}}`)).Total)
	require.Equal(t, uint64(1), accessPage(t, h.OK(p.alice, `{"access_records":{}}`)).Total)

	// More reads page newest first.
	for range 12 {
		h.OK(p.carol, audited(vkQuery))
	}
	page0 := accessPage(t, h.OK(p.alice, `{"access_records":{"page":0,"page_size":5}}`))
	require.Equal(t, uint64(13), page0.Total)
	require.Equal(t, uint64(13), page0.Records[0].ID)
	last := accessPage(t, h.OK(p.alice, `{"access_records":{"page":2,"page_size":5}}`))
	require.Len(t, last.Records, 3)
	require.Equal(t, uint64(1), last.Records[2].ID)
}

func TestAuditedQueryRefusals(t *testing.T) {
	h, p := setup(t)
	owner, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	aliceKey := h.createKey(p.alice, "e")
	h.Height++
	balanceOnly := sign(t, owner, h.permit(t, owner, "b", "balance"))
	expired := h.permit(t, owner, "old", "balance")
	expired.Expires = h.blockSeconds()
	before := h.Snapshot()
	for _, c := range []struct {
		name, msg, want string
	}{
		{"wrong viewing key", audited(balanceQuery(p.alice, aliceKey+"x")), contract.ErrViewingKey.Error()},
		{"no viewing key", audited(balanceQuery(p.bob, aliceKey)), contract.ErrViewingKey.Error()},
		{"permission not granted", audited(withPermit(t, balanceOnly, `{"transfer_history":{}}`)), contract.ErrPermitPermission.Error()},
		{"expired permit", audited(withPermit(t, sign(t, owner, expired), `{"balance":{}}`)), contract.ErrPermitExpired.Error()},
		{"public query", audited(`{"token_info":{}}`), `unknown query "token_info"`},
		{"unknown query", audited(`{"secrets":{}}`), `unknown query "secrets"`},
		{"not an enum", audited(`[]`), "invalid audited_query query"},
		{"no query", `{"audited_query":{}}`, "invalid audited_query query"},
		{"unknown field", `{"audited_query":{"query":{"balance":{}},"x":1}}`, "unknown field"},
		{"page too large", `{"access_records":{"page_size":101}}`, contract.ErrAccessPageSize.Error()},
	} {
		require.Contains(t, h.Fails(p.carol, c.msg), c.want, c.name)
	}
	require.Equal(t, before, h.Snapshot(), "a refused read writes nothing, no record either")
	require.Equal(t, contract.ErrViewingKey.Error(), h.QueryFails(`{"access_records":{"address":"`+p.alice+`","key":"nope"}}`))
}

// An audited read's transaction reports its gas on chain: a wrong viewing
// key must use the same gas whether the account has a key or not, or the gas
// would tell. The same message for the same account, before and after the
// account sets a key.
func TestAuditedQueryGasHidesWhetherAKeyExists(t *testing.T) {
	h, p := setup(t)
	key := h.createKey(p.alice, "e")
	msg := audited(balanceQuery(p.carol, key))
	before := h.Exec(p.dave, msg)
	h.createKey(p.carol, "carol's")
	after := h.Exec(p.dave, msg)
	require.Equal(t, contract.ErrViewingKey.Error(), before.Err)
	require.Equal(t, contract.ErrViewingKey.Error(), after.Err)
	require.Equal(t, before.Gas, after.Gas, "no key and a wrong key: the same gas")
}
