//go:build !wasip1

package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/contract/contracttest/vmtest"
	"github.com/hermetic-chain/hermetic/vm"
)

// harness runs the token in the real VM (vmtest.Harness: calls run on the
// store directly, with no rollback of failed calls, so the tests also check
// that the contract never writes before it fails) and adds the token's
// own helpers.
type harness struct{ *vmtest.Harness }

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := vmtest.New(t, ".")
	require.Equal(t, []string{"iterator"}, h.Code.Capabilities)
	h.PadBlock = padBlock
	return &harness{h}
}

func (h *harness) balance(who string) string {
	h.T.Helper()
	var d struct {
		Balance struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	require.NoError(h.T, json.Unmarshal([]byte(h.OK(who, `{"balance":{}}`)), &d))
	return d.Balance.Amount
}

type parties struct{ alice, bob, carol, dave string }

func newParties(t testing.TB) parties {
	return parties{contracttest.Account(t, 1), contracttest.Account(t, 2), contracttest.Account(t, 3), contracttest.Account(t, 4)}
}

// setup instantiates the token with alice 1000 and bob 500.
func setup(t testing.TB) (*harness, parties) {
	h := newHarness(t)
	p := newParties(t)
	out, _ := h.Call("instantiate", p.alice, `{"name":"Secret Token","symbol":"STKN","decimals":6,
		"initial_balances":[{"address":"`+p.alice+`","amount":"1000"},{"address":"`+p.bob+`","amount":"500"}],
		"prng_seed":"`+base64.StdEncoding.EncodeToString([]byte("seed"))+`"}`)
	require.JSONEq(t, `{"ok":{"messages":[],"attributes":[{"key":"action","value":"instantiate"}],"events":[]}}`, string(out))
	return h, p
}

func TestInstantiateAndTransfer(t *testing.T) {
	h, p := setup(t)
	info, qerr := h.Query(`{"token_info":{}}`)
	require.Empty(t, qerr)
	require.JSONEq(t, `{"token_info":{"name":"Secret Token","symbol":"STKN","decimals":6,"total_supply":null}}`, info)

	require.Equal(t, "1000", h.balance(p.alice))
	require.Equal(t, "500", h.balance(p.bob))
	require.Equal(t, "0", h.balance(p.carol))

	h.Height++
	require.JSONEq(t, `{"transfer":{"status":"success"}}`,
		h.OK(p.alice, `{"transfer":{"recipient":"`+p.bob+`","amount":"100","memo":"rent"}}`))
	h.Height++
	require.JSONEq(t, `{"transfer":{"status":"success"}}`,
		h.OK(p.bob, `{"transfer":{"recipient":"`+p.carol+`","amount":"250"}}`))
	require.Equal(t, "900", h.balance(p.alice))
	require.Equal(t, "350", h.balance(p.bob))
	require.Equal(t, "250", h.balance(p.carol))

	// A transfer to oneself changes nothing but the history (one entry).
	h.OK(p.carol, `{"transfer":{"recipient":"`+p.carol+`","amount":"250"}}`)
	require.Equal(t, "250", h.balance(p.carol))
	require.Contains(t, h.OK(p.carol, `{"transfer_history":{}}`), `"total":2`)

	// An upper-case address is the same account.
	h.OK(p.alice, `{"transfer":{"recipient":"`+strings.ToUpper(p.dave)+`","amount":"1"}}`)
	require.Equal(t, "1", h.balance(p.dave))

	// The whole balance can be moved.
	h.OK(p.carol, `{"transfer":{"recipient":"`+p.alice+`","amount":"250"}}`)
	require.Equal(t, "0", h.balance(p.carol))
	require.Equal(t, "1149", h.balance(p.alice))
}

func TestInsufficientFundsLeavesStateUnchanged(t *testing.T) {
	h, p := setup(t)
	before := h.Snapshot()
	err := h.Fails(p.alice, `{"transfer":{"recipient":"`+p.bob+`","amount":"1001"}}`)
	require.Equal(t, "insufficient funds", err)
	require.NotContains(t, err, "1000", "the error must not reveal the balance")
	err = h.Fails(p.carol, `{"send":{"contract":"`+h.Self+`","amount":"1","msg":"e30="}}`)
	require.Equal(t, "insufficient funds", err)
	require.Equal(t, before, h.Snapshot(), "a failed transfer wrote to the state")
	require.Equal(t, "1000", h.balance(p.alice))
	require.Equal(t, "500", h.balance(p.bob))
}

func TestAllowances(t *testing.T) {
	h, p := setup(t) // height 100
	allowance := func(reader string) string {
		return h.OK(reader, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`"}}`)
	}
	require.JSONEq(t, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"0","expiration":null}}`, allowance(p.alice))

	require.JSONEq(t, `{"increase_allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"300","expiration":110}}`,
		h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"300","expiration":110}}`))
	want := `{"allowance":{"owner":"` + p.alice + `","spender":"` + p.bob + `","allowance":"300","expiration":110}}`
	require.JSONEq(t, want, allowance(p.alice))
	require.JSONEq(t, want, allowance(p.bob))
	require.Equal(t, "unauthorized: only the owner or the spender may read an allowance",
		h.Fails(p.carol, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`"}}`))

	// Within the allowance.
	h.Height = 105
	require.JSONEq(t, `{"transfer_from":{"status":"success"}}`,
		h.OK(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"200"}}`))
	require.Equal(t, "800", h.balance(p.alice))
	require.Equal(t, "500", h.balance(p.bob))
	require.Equal(t, "200", h.balance(p.carol))
	require.Contains(t, allowance(p.bob), `"allowance":"100"`)

	// Over it: nothing changes.
	before := h.Snapshot()
	require.Equal(t, "insufficient allowance",
		h.Fails(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"101"}}`))
	require.Equal(t, "insufficient allowance", // carol has none
		h.Fails(p.carol, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"1"}}`))
	require.Equal(t, before, h.Snapshot())

	// The allowance is not the balance: bob may move up to 1000 of carol's
	// 200, but not more than she has.
	h.OK(p.carol, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"1000"}}`)
	before = h.Snapshot()
	require.Equal(t, "insufficient funds",
		h.Fails(p.bob, `{"transfer_from":{"owner":"`+p.carol+`","recipient":"`+p.bob+`","amount":"201"}}`))
	require.Equal(t, before, h.Snapshot())

	// Expiration by block height: valid up to 109, expired from 110.
	h.Height = 109
	h.OK(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.bob+`","amount":"10"}}`)
	h.Height = 110
	before = h.Snapshot()
	require.Equal(t, "allowance expired at height 110",
		h.Fails(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.bob+`","amount":"10"}}`))
	require.Equal(t, before, h.Snapshot())
	require.JSONEq(t, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"0","expiration":110}}`, allowance(p.bob))

	// Increasing an expired allowance starts from zero, without expiration.
	require.JSONEq(t, `{"increase_allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"50","expiration":null}}`,
		h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"50"}}`))
	require.JSONEq(t, `{"decrease_allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"20","expiration":null}}`,
		h.OK(p.alice, `{"decrease_allowance":{"spender":"`+p.bob+`","amount":"30"}}`))
	// A decrease below zero clamps to zero.
	require.JSONEq(t, `{"decrease_allowance":{"owner":"`+p.alice+`","spender":"`+p.bob+`","allowance":"0","expiration":null}}`,
		h.OK(p.alice, `{"decrease_allowance":{"spender":"`+p.bob+`","amount":"1000"}}`))
	require.Equal(t, "insufficient allowance",
		h.Fails(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.bob+`","amount":"1"}}`))
	// Increases saturate.
	h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"18446744073709551615"}}`)
	require.Contains(t, h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"5"}}`), `"allowance":"18446744073709551615"`)
}

// receiveOf decodes the one message of a send's response: a wasm execute
// of contract with {"receive": ...}.
func receiveOf(t *testing.T, res *vm.Response) (string, map[string]ReceiveMsg) {
	require.Len(t, res.Messages, 1)
	sm := res.Messages[0]
	require.Equal(t, "never", sm.ReplyOn)
	var m struct {
		Wasm struct {
			Execute struct {
				ContractAddr string    `json:"contract_addr"`
				Msg          []byte    `json:"msg"`
				Funds        []vm.Coin `json:"funds"`
			} `json:"execute"`
		} `json:"wasm"`
	}
	require.NoError(t, json.Unmarshal(sm.Msg, &m), string(sm.Msg))
	require.Empty(t, m.Wasm.Execute.Funds)
	var recv map[string]ReceiveMsg
	require.NoError(t, json.Unmarshal(m.Wasm.Execute.Msg, &recv), string(m.Wasm.Execute.Msg))
	return m.Wasm.Execute.ContractAddr, recv
}

func TestSend(t *testing.T) {
	h, p := setup(t)
	receiver := contracttest.ContractAddress(t, 0xAB)
	inner := base64.StdEncoding.EncodeToString([]byte(`{"deposit":{}}`))

	r := h.Exec(p.alice, `{"send":{"contract":"`+receiver+`","amount":"100","msg":"`+inner+`","memo":"hi"}}`)
	require.Empty(t, r.Err)
	require.JSONEq(t, `{"send":{"status":"success"}}`, r.Data)
	to, recv := receiveOf(t, r.Response)
	require.Equal(t, receiver, to)
	memo := "hi"
	require.Equal(t, map[string]ReceiveMsg{"receive": {Sender: p.alice, From: p.alice, Amount: "100",
		Msg: []byte(`{"deposit":{}}`), Memo: &memo}}, recv)
	require.Equal(t, "900", h.balance(p.alice))

	// Without msg: a plain transfer, no message.
	r = h.Exec(p.alice, `{"send":{"contract":"`+receiver+`","amount":"1"}}`)
	require.Empty(t, r.Err)
	require.Empty(t, r.Response.Messages)

	// send_from: the spender is the sender, the owner is from.
	h.OK(p.bob, `{"increase_allowance":{"spender":"`+p.carol+`","amount":"50"}}`)
	r = h.Exec(p.carol, `{"send_from":{"owner":"`+p.bob+`","contract":"`+receiver+`","amount":"50","msg":"`+inner+`"}}`)
	require.Empty(t, r.Err)
	require.JSONEq(t, `{"send_from":{"status":"success"}}`, r.Data)
	to, recv = receiveOf(t, r.Response)
	require.Equal(t, receiver, to)
	require.Equal(t, map[string]ReceiveMsg{"receive": {Sender: p.carol, From: p.bob, Amount: "50",
		Msg: []byte(`{"deposit":{}}`)}}, recv)
	require.Equal(t, "450", h.balance(p.bob))
	require.Equal(t, "151", h.balance(receiver))
	require.Equal(t, "insufficient allowance",
		h.Fails(p.carol, `{"send_from":{"owner":"`+p.bob+`","contract":"`+receiver+`","amount":"1","msg":"`+inner+`"}}`))
}

// historyReply is the data of transfer_history, as a client decodes it.
type historyReply struct {
	TransferHistory struct {
		Txs   []Tx   `json:"txs"`
		Total uint64 `json:"total"`
	} `json:"transfer_history"`
}

func (h *harness) history(who string, page, size int) (historyReply, uint64) {
	h.T.Helper()
	r := h.Exec(who, fmt.Sprintf(`{"transfer_history":{"page":%d,"page_size":%d}}`, page, size))
	require.Empty(h.T, r.Err)
	var a historyReply
	require.NoError(h.T, json.Unmarshal([]byte(r.Data), &a), r.Data)
	return a, r.Gas
}

func ids(txs []Tx) []uint64 {
	out := []uint64{}
	for _, tx := range txs {
		out = append(out, tx.ID)
	}
	return out
}

func TestHistoryPaging(t *testing.T) {
	h, p := setup(t)
	// 25 transfers alice → bob, one a block, then bob spends 5 of
	// alice's through an allowance to carol.
	for i := 1; i <= 25; i++ {
		h.Height++
		h.OK(p.alice, fmt.Sprintf(`{"transfer":{"recipient":"%s","amount":"%d","memo":"n%d"}}`, p.bob, i, i))
	}
	h.Height++
	h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"5"}}`)
	h.OK(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"5"}}`)

	a, _ := h.history(p.alice, 0, 10)
	require.EqualValues(t, 26, a.TransferHistory.Total)
	require.Equal(t, []uint64{26, 25, 24, 23, 22, 21, 20, 19, 18, 17}, ids(a.TransferHistory.Txs))
	memo := "n25"
	require.Equal(t, Tx{ID: 25, From: p.alice, Sender: p.alice, Receiver: p.bob, Coins: Coin{Denom: "STKN", Amount: "25"},
		Memo: &memo, BlockHeight: 125, BlockTime: 1_700_000_000 + 125*5}, a.TransferHistory.Txs[1])
	require.Equal(t, Tx{ID: 26, From: p.alice, Sender: p.bob, Receiver: p.carol, Coins: Coin{Denom: "STKN", Amount: "5"},
		BlockHeight: 126, BlockTime: 1_700_000_000 + 126*5}, a.TransferHistory.Txs[0])

	a, _ = h.history(p.alice, 1, 10)
	require.Equal(t, []uint64{16, 15, 14, 13, 12, 11, 10, 9, 8, 7}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.alice, 2, 10)
	require.Equal(t, []uint64{6, 5, 4, 3, 2, 1}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.alice, 3, 10)
	require.Empty(t, a.TransferHistory.Txs)
	require.EqualValues(t, 26, a.TransferHistory.Total)
	a, _ = h.history(p.alice, 4, 7)
	require.Equal(t, []uint64{}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.alice, 3, 7)
	require.Equal(t, []uint64{5, 4, 3, 2, 1}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.alice, 0, 100)
	require.Len(t, a.TransferHistory.Txs, 26)
	a, _ = h.history(p.alice, 25, 1)
	require.Equal(t, []uint64{1}, ids(a.TransferHistory.Txs))

	// Each party sees the transactions it took part in, spender included.
	a, _ = h.history(p.bob, 0, 3)
	require.EqualValues(t, 26, a.TransferHistory.Total)
	require.Equal(t, []uint64{26, 25, 24}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.carol, 0, 10)
	require.EqualValues(t, 1, a.TransferHistory.Total)
	require.Equal(t, []uint64{26}, ids(a.TransferHistory.Txs))
	a, _ = h.history(p.dave, 0, 10)
	require.EqualValues(t, 0, a.TransferHistory.Total)
	require.Empty(t, a.TransferHistory.Txs)

	// The default page is 10.
	require.Len(t, decodeHistory(t, h.OK(p.alice, `{"transfer_history":{}}`)).TransferHistory.Txs, 10)
}

func decodeHistory(t *testing.T, data string) historyReply {
	var a historyReply
	require.NoError(t, json.Unmarshal([]byte(data), &a), data)
	return a
}

func TestQueries(t *testing.T) {
	h, _ := setup(t)
	_, err := h.Query(`{"balance":{"address":"x","key":"k"}}`)
	require.True(t, strings.HasPrefix(err, `address: invalid address "x"`), err)
	_, err = h.Query(`{"balance":{"address":"x","key":"k","extra":1}}`)
	require.Contains(t, err, `invalid balance message: json: unknown field "extra"`)
	_, err = h.Query(`{"total_supply":{}}`)
	require.Equal(t, `unknown query "total_supply"`, err)
	_, err = h.Query(`{"token_info":{"x":1}}`)
	require.Contains(t, err, `invalid token_info message: json: unknown field "x"`)
}

func TestBadInputs(t *testing.T) {
	h, p := setup(t)
	before := h.Snapshot()
	for _, c := range []struct{ name, msg, err string }{
		{"bad address", `{"transfer":{"recipient":"bob","amount":"1"}}`, `recipient: invalid address "bob"`},
		{"wrong prefix", `{"transfer":{"recipient":"cosmos1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du","amount":"1"}}`, `recipient: invalid address`},
		{"bad checksum", `{"transfer":{"recipient":"` + p.bob[:len(p.bob)-1] + `x","amount":"1"}}`, `recipient: invalid address`},
		{"missing recipient", `{"transfer":{"amount":"1"}}`, `recipient: invalid address ""`},
		{"bad spender", `{"increase_allowance":{"spender":"nobody","amount":"1"}}`, `spender: invalid address "nobody"`},
		{"bad owner", `{"transfer_from":{"owner":"x","recipient":"` + p.bob + `","amount":"1"}}`, `owner: invalid address "x"`},
		{"bad contract", `{"send":{"contract":"herm1","amount":"1"}}`, `contract: invalid address "herm1"`},
		{"zero amount", `{"transfer":{"recipient":"` + p.bob + `","amount":"0"}}`, `amount: zero amount`},
		{"zero send", `{"send":{"contract":"` + p.bob + `","amount":"0"}}`, `amount: zero amount`},
		{"zero transfer_from", `{"transfer_from":{"owner":"` + p.alice + `","recipient":"` + p.bob + `","amount":"00"}}`, `amount: zero amount`},
		{"missing amount", `{"transfer":{"recipient":"` + p.bob + `"}}`, `amount: missing amount`},
		{"negative amount", `{"transfer":{"recipient":"` + p.bob + `","amount":"-1"}}`, `amount: invalid amount "-1": want a decimal string of digits`},
		{"amount over 64 bits", `{"transfer":{"recipient":"` + p.bob + `","amount":"18446744073709551616"}}`, `amount: amount "18446744073709551616" exceeds the maximum 18446744073709551615`},
		{"numeric amount", `{"transfer":{"recipient":"` + p.bob + `","amount":1}}`, `invalid transfer message: json: cannot unmarshal number`},
		{"unknown field", `{"transfer":{"recipient":"` + p.bob + `","amount":"1","fee":"1"}}`, `invalid transfer message: json: unknown field "fee"`},
		{"balance of another", `{"balance":{"address":"` + p.bob + `"}}`, `invalid balance message: json: unknown field "address"`},
		{"bad msg base64", `{"send":{"contract":"` + p.bob + `","amount":"1","msg":"!!"}}`, `invalid send message: illegal base64`},
		{"unknown message", `{"mint":{"amount":"1"}}`, `unknown execute message "mint"`},
		{"two variants", `{"balance":{},"transfer":{}}`, `invalid message: message: want an object with exactly one key, got 2`},
		{"malformed JSON", `{"transfer":`, `invalid message: message: unexpected end of JSON input`},
		{"not an object", `[1,2]`, `invalid message: message: json: cannot unmarshal array`},
		{"empty viewing key", `{"set_viewing_key":{"key":""}}`, `key: empty viewing key`},
		{"missing viewing key", `{"set_viewing_key":{}}`, `key: empty viewing key`},
		{"viewing key unknown field", `{"set_viewing_key":{"key":"k","address":"x"}}`, `invalid set_viewing_key message: json: unknown field "address"`},
		{"entropy not a string", `{"create_viewing_key":{"entropy":1}}`, `invalid create_viewing_key message: json: cannot unmarshal number`},
		{"page size 0", `{"transfer_history":{"page":0,"page_size":0}}`, `page_size: 0 is not between 1 and 100`},
		{"page size 101", `{"transfer_history":{"page_size":101}}`, `page_size: 101 is not between 1 and 100`},
		{"negative page", `{"transfer_history":{"page":-1}}`, `invalid transfer_history message: json: cannot unmarshal number -1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := h.Fails(p.alice, c.msg)
			require.Contains(t, err, c.err)
			require.True(t, strings.HasPrefix(err, c.err[:min(len(c.err), 20)]), "error %q", err)
		})
	}
	require.Equal(t, before, h.Snapshot())
}

func TestInstantiateValidation(t *testing.T) {
	a := contracttest.Account(t, 1)
	for _, c := range []struct{ name, msg, err string }{
		{"short name", `{"name":"ab","symbol":"ABC","decimals":6,"initial_balances":[]}`, `name: "ab" must be 3 to 30 characters`},
		{"long name", `{"name":"` + strings.Repeat("n", 31) + `","symbol":"ABC","decimals":6,"initial_balances":[]}`, `must be 3 to 30 characters`},
		{"lower-case symbol", `{"name":"Token","symbol":"Abc","decimals":6,"initial_balances":[]}`, `symbol: "Abc" must be 3 to 12 upper-case letters A-Z`},
		{"short symbol", `{"name":"Token","symbol":"AB","decimals":6,"initial_balances":[]}`, `symbol: "AB" must be`},
		{"long symbol", `{"name":"Token","symbol":"ABCDEFGHIJKLM","decimals":6,"initial_balances":[]}`, `symbol: "ABCDEFGHIJKLM" must be`},
		{"digit symbol", `{"name":"Token","symbol":"AB1","decimals":6,"initial_balances":[]}`, `symbol: "AB1" must be`},
		{"decimals", `{"name":"Token","symbol":"ABC","decimals":19,"initial_balances":[]}`, `decimals: 19 is over the maximum 18`},
		{"bad address", `{"name":"Token","symbol":"ABC","decimals":6,"initial_balances":[{"address":"alice","amount":"1"}]}`, `initial_balances[0].address: invalid address "alice"`},
		{"bad amount", `{"name":"Token","symbol":"ABC","decimals":6,"initial_balances":[{"address":"` + a + `","amount":"1.5"}]}`, `initial_balances[0].amount: invalid amount "1.5"`},
		{"supply overflow", `{"name":"Token","symbol":"ABC","decimals":6,"initial_balances":[{"address":"` + a + `","amount":"18446744073709551615"},{"address":"` + a + `","amount":"1"}]}`, `initial_balances: the total supply exceeds 2^64-1`},
		{"bad seed", `{"name":"Token","symbol":"ABC","decimals":6,"initial_balances":[],"prng_seed":"%%"}`, `invalid instantiate message: illegal base64`},
		{"unknown field", `{"name":"Token","symbol":"ABC","decimals":6,"initial_balances":[],"admin":"x"}`, `invalid instantiate message: json: unknown field "admin"`},
		{"malformed", `{"name":`, `invalid instantiate message: unexpected EOF`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			out, _ := h.Call("instantiate", a, c.msg)
			var cr vm.ContractResult
			require.NoError(t, json.Unmarshal(out, &cr), string(out))
			require.NotNil(t, cr.Err, string(out))
			require.Contains(t, *cr.Err, c.err)
			require.Empty(t, h.Snapshot(), "a failed instantiate wrote to the state")
		})
	}
	// Duplicates add up; the minimal valid token.
	h := newHarness(t)
	out, _ := h.Call("instantiate", a, `{"name":"Tok","symbol":"TOK","decimals":0,"initial_balances":[{"address":"`+a+`","amount":"2"},{"address":"`+a+`","amount":"3"}]}`)
	require.Contains(t, string(out), `"ok"`)
	require.Equal(t, "5", h.balance(a))
}

// scenario is a fixed sequence of calls; it returns the gas of each.
func scenario(t *testing.T) []uint64 {
	h, p := setup(t)
	for i := range 5 {
		h.Height++
		h.OK(p.alice, fmt.Sprintf(`{"transfer":{"recipient":"%s","amount":"%d"}}`, p.bob, i+1))
	}
	h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"100","expiration":1000}}`)
	h.OK(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"7"}}`)
	h.Fails(p.alice, `{"transfer":{"recipient":"`+p.bob+`","amount":"100000"}}`)
	h.OK(p.alice, `{"send":{"contract":"`+h.Self+`","amount":"3","msg":"e30="}}`)
	h.balance(p.alice)
	h.history(p.alice, 0, 10)
	h.history(p.bob, 1, 2)
	h.Query(`{"token_info":{}}`)
	key := h.createKey(p.alice, "entropy")
	h.OK(p.bob, `{"set_viewing_key":{"key":"bob key"}}`)
	h.QueryOK(balanceQuery(p.alice, key))
	h.QueryOK(historyQuery(p.bob, "bob key", 0, 10))
	h.QueryFails(balanceQuery(p.bob, key))
	h.QueryFails(balanceQuery(p.carol, key))
	return h.Gas
}

func TestDeterministicGas(t *testing.T) {
	first := scenario(t)
	require.Equal(t, first, scenario(t))
	t.Logf("gas of %d calls: %v", len(first), first)
}

// TestGasReport logs the gas of the main calls, and of history pages as
// the history grows.
func TestGasReport(t *testing.T) {
	h, p := setup(t)
	token, _ := h.Query(`{"token_info":{}}`)
	require.NotEmpty(t, token)
	_, qgas := h.Call("query", "", `{"token_info":{}}`)
	var transfer []uint64
	for i := 1; i <= 100; i++ {
		h.Height++
		r := h.Exec(p.alice, fmt.Sprintf(`{"transfer":{"recipient":"%s","amount":"1","memo":"payment %d"}}`, p.bob, i))
		require.Empty(t, r.Err)
		transfer = append(transfer, r.Gas)
	}
	first := h.Exec(p.carol, `{"transfer":{"recipient":"`+p.dave+`","amount":"1"}}`) // carol has nothing
	h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"100"}}`)
	allow := h.Exec(p.alice, `{"increase_allowance":{"spender":"`+p.bob+`","amount":"100"}}`)
	from := h.Exec(p.bob, `{"transfer_from":{"owner":"`+p.alice+`","recipient":"`+p.carol+`","amount":"1"}}`)
	send := h.Exec(p.alice, `{"send":{"contract":"`+h.Self+`","amount":"1","msg":"e30="}}`)
	bal := h.Exec(p.alice, `{"balance":{}}`)
	key := h.createKey(p.alice, "entropy")
	create := h.Gas[len(h.Gas)-1]
	h.QueryOK(balanceQuery(p.alice, key))
	qbal := h.Gas[len(h.Gas)-1]
	h.QueryFails(balanceQuery(p.alice, key+"x"))
	qwrong := h.Gas[len(h.Gas)-1]
	h.QueryFails(balanceQuery(p.dave, key))
	qnone := h.Gas[len(h.Gas)-1]
	t.Logf("token_info query:           %9d gas", qgas)
	t.Logf("create_viewing_key:         %9d gas", create)
	t.Logf("balance query (right key):  %9d gas", qbal)
	t.Logf("balance query (wrong key):  %9d gas (error)", qwrong)
	t.Logf("balance query (no key):     %9d gas (error)", qnone)
	t.Logf("balance:                    %9d gas", bal.Gas)
	t.Logf("transfer (1st, new payee):  %9d gas", transfer[0])
	t.Logf("transfer (100th):           %9d gas", transfer[99])
	t.Logf("transfer, insufficient:     %9d gas (error)", first.Gas)
	t.Logf("increase_allowance:         %9d gas", allow.Gas)
	t.Logf("transfer_from (3 parties):  %9d gas", from.Gas)
	t.Logf("send with receive message:  %9d gas", send.Gas)
	for _, size := range []int{1, 10, 50, 100} {
		_, g := h.history(p.alice, 0, size)
		_, gLast := h.history(p.alice, 100/size-1, size)
		t.Logf("transfer_history page_size %3d: page 0 %9d gas, page %2d %9d gas", size, g, 100/size-1, gLast)
	}
	_, g := h.history(p.dave, 0, 10)
	t.Logf("transfer_history, empty:    %9d gas", g)
}

// createKey runs create_viewing_key for who and returns the key.
func (h *harness) createKey(who, entropy string) string {
	h.T.Helper()
	var d struct {
		CreateViewingKey struct {
			Key string `json:"key"`
		} `json:"create_viewing_key"`
	}
	data := h.OK(who, `{"create_viewing_key":{"entropy":"`+entropy+`"}}`)
	require.NoError(h.T, json.Unmarshal([]byte(data), &d), data)
	require.True(h.T, strings.HasPrefix(d.CreateViewingKey.Key, "api_key_"), data)
	return d.CreateViewingKey.Key
}

func balanceQuery(addr, key string) string {
	return `{"balance":{"address":"` + addr + `","key":"` + key + `"}}`
}

func historyQuery(addr, key string, page, size int) string {
	return fmt.Sprintf(`{"transfer_history":{"address":"%s","key":"%s","page":%d,"page_size":%d}}`, addr, key, page, size)
}

func allowanceQuery(owner, spender, key string) string {
	return `{"allowance":{"owner":"` + owner + `","spender":"` + spender + `","key":"` + key + `"}}`
}

func TestViewingKeys(t *testing.T) {
	h, p := setup(t)
	h.Height++
	h.OK(p.alice, `{"transfer":{"recipient":"`+p.bob+`","amount":"100","memo":"rent"}}`)
	h.OK(p.alice, `{"increase_allowance":{"spender":"`+p.carol+`","amount":"50","expiration":1000}}`)

	// Alice sets her key; bob has the contract create his.
	require.JSONEq(t, `{"set_viewing_key":{"status":"success"}}`, h.OK(p.alice, `{"set_viewing_key":{"key":"alice key"}}`))
	bobKey := h.createKey(p.bob, "bob's dice")
	require.Len(t, bobKey, len("api_key_")+44)

	// Balances through the real query entry point.
	require.JSONEq(t, `{"balance":{"amount":"900"}}`, h.QueryOK(balanceQuery(p.alice, "alice key")))
	require.JSONEq(t, `{"balance":{"amount":"600"}}`, h.QueryOK(balanceQuery(p.bob, bobKey)))
	// Any case of the address is the same account.
	require.JSONEq(t, `{"balance":{"amount":"900"}}`, h.QueryOK(balanceQuery(strings.ToUpper(p.alice), "alice key")))

	// History: the same answer as the execute message.
	for _, c := range []struct {
		who, key   string
		page, size int
	}{{p.alice, "alice key", 0, 10}, {p.bob, bobKey, 0, 1}, {p.bob, bobKey, 1, 1}} {
		q := h.QueryOK(historyQuery(c.who, c.key, c.page, c.size))
		e := h.OK(c.who, fmt.Sprintf(`{"transfer_history":{"page":%d,"page_size":%d}}`, c.page, c.size))
		require.JSONEq(t, e, q)
	}
	a := decodeHistory(t, h.QueryOK(historyQuery(p.bob, bobKey, 0, 10)))
	require.EqualValues(t, 1, a.TransferHistory.Total)
	require.Equal(t, p.alice, a.TransferHistory.Txs[0].From)
	require.Len(t, decodeHistory(t, h.QueryOK(`{"transfer_history":{"address":"`+p.alice+`","key":"alice key"}}`)).TransferHistory.Txs, 1)
	require.Equal(t, "page_size: 0 is not between 1 and 100", h.QueryFails(historyQuery(p.alice, "alice key", 0, 0)))

	// Allowance: with the owner's key or the spender's.
	want := h.OK(p.alice, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.carol+`"}}`)
	require.JSONEq(t, want, h.QueryOK(allowanceQuery(p.alice, p.carol, "alice key")))
	carolKey := h.createKey(p.carol, "")
	require.JSONEq(t, want, h.QueryOK(allowanceQuery(p.alice, p.carol, carolKey)))

	// Wrong key, empty key, no key field, an account without a key: one
	// error.
	const wrong = "wrong viewing key"
	for _, q := range []string{
		balanceQuery(p.alice, "alice key!"),
		balanceQuery(p.alice, ""),
		`{"balance":{"address":"` + p.alice + `"}}`,
		balanceQuery(p.dave, "alice key"), // dave has no key
		balanceQuery(p.dave, ""),
		historyQuery(p.alice, "wrong", 0, 10),
		historyQuery(p.dave, "", 0, 10),
		allowanceQuery(p.alice, p.carol, "wrong"),
		allowanceQuery(p.alice, p.dave, ""),
	} {
		require.Equal(t, wrong, h.QueryFails(q), q)
	}

	// A key of account A does not read account B.
	require.Equal(t, wrong, h.QueryFails(balanceQuery(p.bob, "alice key")))
	require.Equal(t, wrong, h.QueryFails(balanceQuery(p.alice, bobKey)))
	require.Equal(t, wrong, h.QueryFails(historyQuery(p.bob, "alice key", 0, 10)))
	require.Equal(t, wrong, h.QueryFails(historyQuery(p.alice, bobKey, 0, 10)))
	// Not even an allowance between two others: bob's key reads neither
	// alice's allowance to carol nor carol's to alice.
	require.Equal(t, wrong, h.QueryFails(allowanceQuery(p.alice, p.carol, bobKey)))
	require.Equal(t, wrong, h.QueryFails(allowanceQuery(p.carol, p.alice, bobKey+"x")))

	// A new key replaces the old one; two keys created in one block differ.
	aliceKey := h.createKey(p.alice, "more entropy")
	aliceKey2 := h.createKey(p.alice, "more entropy")
	require.NotEqual(t, aliceKey, aliceKey2)
	require.Equal(t, wrong, h.QueryFails(balanceQuery(p.alice, "alice key")))
	require.Equal(t, wrong, h.QueryFails(balanceQuery(p.alice, aliceKey)))
	require.JSONEq(t, `{"balance":{"amount":"900"}}`, h.QueryOK(balanceQuery(p.alice, aliceKey2)))

	// The state holds no key, only hashes.
	for k, v := range h.Snapshot() {
		for _, secret := range []string{"alice key", bobKey, carolKey, aliceKey, aliceKey2, strings.TrimPrefix(bobKey, "api_key_")} {
			require.NotContains(t, k, secret)
			require.NotContains(t, v, secret)
		}
	}

	// Inside the VM, created keys are deterministic (the same on every
	// validator): the same calls in the same blocks give the same key.
	h2, _ := setup(t)
	h2.Height++
	h2.OK(p.alice, `{"transfer":{"recipient":"`+p.bob+`","amount":"100","memo":"rent"}}`)
	h2.OK(p.alice, `{"increase_allowance":{"spender":"`+p.carol+`","amount":"50","expiration":1000}}`)
	h2.OK(p.alice, `{"set_viewing_key":{"key":"alice key"}}`)
	require.Equal(t, bobKey, h2.createKey(p.bob, "bob's dice"))
}
