package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/internal/hostile"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// mirrorContract is hostile.Mirror: executed in plaintext, a transaction
// chooses the contract's response byte for byte. It is the adversary a
// contract author can be.
func mirrorContract(t testing.TB) []byte {
	bin, err := hostile.Mirror()
	require.NoError(t, err)
	return bin
}

// mirrorNet is two apps that must agree, with the mirror contract
// instantiated (and funded) on both.
type mirrorNet struct {
	a, b     *harness
	contract keys.ContractAddress
	seq      uint64
}

func newMirrorNet(t testing.TB) *mirrorNet {
	a := newHarness(t)
	b := newHarnessAt(t, t.TempDir(), a)
	n := &mirrorNet{a: a, b: b}
	alice := a.alice.PubKey().Address()
	for _, m := range []tx.Msg{
		&tx.MsgStoreCode{Sender: alice, WASM: mirrorContract(t)},
		&tx.MsgInstantiate{Sender: alice, CodeID: 1, Label: "mirror", Msg: []byte(`{}`), Plaintext: true,
			Funds: tx.Coin{Denom: Denom, Amount: 1_000_000}},
	} {
		ra, rb := a.block(n.tx(m)), b.block(n.tx(m))
		require.Zero(t, ra.TxResults[0].Code, ra.TxResults[0].Log)
		require.Equal(t, ra.AppHash, rb.AppHash)
		n.seq++
	}
	n.contract = compute.Address(1, 1)
	return n
}

func (n *mirrorNet) tx(m tx.Msg) []byte {
	return n.a.txWith(n.a.alice, func(t *tx.Tx) { t.Sequence = n.seq; t.GasLimit = 20_000_000; t.Fee.Amount = 200_000 }, m)
}

// respond has the contract answer resp in a block on both apps and
// returns the transaction's result. FinalizeBlock must not fail and both
// apps must end with the same app hash, whatever resp is.
func (n *mirrorNet) respond(t *testing.T, resp []byte) *abci.ExecTxResult {
	t.Helper()
	// Signed here, not with the harness's helpers: those fail the test
	// they were made with, which inside a fuzz target is the wrong one.
	exec := &tx.Tx{Version: tx.Version, ChainID: testChainID, Signer: n.a.alice.PubKey(), Sequence: n.seq,
		GasLimit: 20_000_000, Fee: tx.Coin{Denom: Denom, Amount: 200_000},
		Msgs: []tx.Any{tx.NewAny(&tx.MsgExecute{Sender: n.a.alice.PubKey().Address(), Contract: n.contract, Msg: resp, Plaintext: true})}}
	require.NoError(t, exec.Sign(n.a.alice))
	raw := exec.Marshal()
	n.seq++
	var results [2]*abci.ResponseFinalizeBlock
	for i, h := range []*harness{n.a, n.b} {
		h.height++
		res, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
			Height: h.height, Time: time.Unix(1_700_000_000+h.height, 0), Txs: [][]byte{raw},
		})
		require.NoError(t, err, "FinalizeBlock must not fail on a contract's response")
		_, err = h.app.Commit(context.Background(), &abci.RequestCommit{})
		require.NoError(t, err)
		results[i] = res
	}
	require.Equal(t, results[0].AppHash, results[1].AppHash)
	ra, rb := results[0].TxResults[0], results[1].TxResults[0]
	require.Equal(t, ra.Code, rb.Code)
	require.Equal(t, ra.Log, rb.Log)
	require.Equal(t, ra.GasUsed, rb.GasUsed)
	require.Equal(t, ra.Data, rb.Data)
	require.Equal(t, ra.Events, rb.Events)
	require.NotEqual(t, uint32(CodeNodeFault), ra.Code, "a contract's response is never a node fault: %s", ra.Log)
	return ra
}

// hostileResponses are responses a contract may return, each with the
// error it must give (nil: the call succeeds).
func hostileResponses(self keys.ContractAddress) []struct {
	name string
	resp string
	want error
} {
	bank := func(send string) string {
		return `{"ok":{"messages":[{"id":0,"msg":{"bank":{"send":` + send + `}},"reply_on":"never"}],"attributes":[],"events":[]}}`
	}
	wasm := func(exec string, replyOn string) string {
		return `{"ok":{"messages":[{"id":7,"msg":{"wasm":{"execute":` + exec + `}},"reply_on":"` + replyOn + `"}],"attributes":[],"events":[]}}`
	}
	herm := "herm1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"
	bob := keys.Address{7}.String()
	selfCall := func(inner string) string {
		return fmt.Sprintf(`{"contract_addr":%q,"msg":%q,"funds":[]}`, self, base64.StdEncoding.EncodeToString([]byte(inner)))
	}
	return []struct {
		name string
		resp string
		want error
	}{
		{"empty response", `{"ok":{"messages":[],"attributes":[],"events":[]}}`, nil},
		{"bank send", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uherm","amount":"5"}]}`), nil},
		{"bank send to a malformed address", bank(`{"to_address":"not-an-address","amount":[{"denom":"uherm","amount":"5"}]}`), compute.ErrInvalidMsg},
		{"bank send to a bad checksum", bank(`{"to_address":"` + herm + `","amount":[{"denom":"uherm","amount":"5"}]}`), compute.ErrInvalidMsg},
		{"bank send of an unknown denom", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uatom","amount":"5"}]}`), compute.ErrInvalidMsg},
		{"bank send of a non-numeric amount", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uherm","amount":"five"}]}`), compute.ErrInvalidMsg},
		{"bank send of a negative amount", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uherm","amount":"-5"}]}`), compute.ErrInvalidMsg},
		{"bank send overflowing", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uherm","amount":"18446744073709551615"},{"denom":"uherm","amount":"2"}]}`), compute.ErrInvalidMsg},
		{"bank send of more than the contract has", bank(`{"to_address":"` + bob + `","amount":[{"denom":"uherm","amount":"999999999999"}]}`), ErrInsufficientFunds},
		{"bank send without fields", bank(`{}`), compute.ErrInvalidMsg},
		{"bank send that is null", bank(`null`), compute.ErrUnsupportedMsg},
		{"staking message", `{"ok":{"messages":[{"id":0,"msg":{"staking":{"delegate":{}}},"reply_on":"never"}],"attributes":[],"events":[]}}`, compute.ErrUnsupportedMsg},
		{"message that is not an object", `{"ok":{"messages":[{"id":0,"msg":42,"reply_on":"never"}],"attributes":[],"events":[]}}`, compute.ErrUnsupportedMsg},
		{"wasm execute of a malformed address", wasm(`{"contract_addr":"nope","msg":"e30=","funds":[]}`, "never"), compute.ErrInvalidMsg},
		{"wasm execute of a missing contract", wasm(fmt.Sprintf(`{"contract_addr":%q,"msg":"e30=","funds":[]}`, keys.ContractAddress{9}), "never"), compute.ErrInvalidMsg},
		{"wasm execute of a missing contract, reply on error", wasm(fmt.Sprintf(`{"contract_addr":%q,"msg":"e30=","funds":[]}`, keys.ContractAddress{9}), "error"), nil},
		{"wasm execute with bad funds", wasm(fmt.Sprintf(`{"contract_addr":%q,"msg":"e30=","funds":[{"denom":"x","amount":"1"}]}`, self), "never"), compute.ErrInvalidMsg},
		{"wasm execute of itself", wasm(selfCall(`{"ok":{"messages":[],"attributes":[{"key":"inner","value":"1"}],"events":[]}}`), "never"), nil},
		{"wasm execute of itself that fails, reply always", wasm(selfCall(`{"error":"no"}`), "always"), nil},
		{"wasm execute of itself with a bad response", wasm(selfCall(`{"ok":{"messages":[],"attributes":[{"key":"","value":"1"}],"events":[]}}`), "never"), compute.ErrInvalidResponse},
		{"reply_on nonsense", wasm(selfCall(`{"ok":{"messages":[],"attributes":[],"events":[]}}`), "sometimes"), compute.ErrInvalidResponse},
		{"empty attribute key", `{"ok":{"messages":[],"attributes":[{"key":" ","value":"v"}],"events":[]}}`, compute.ErrInvalidResponse},
		{"reserved attribute key", `{"ok":{"messages":[],"attributes":[{"key":"_contract_address","value":"v"}],"events":[]}}`, compute.ErrInvalidResponse},
		{"one-letter event type", `{"ok":{"messages":[],"attributes":[],"events":[{"type":"x","attributes":[]}]}}`, compute.ErrInvalidResponse},
		{"event attribute without key", `{"ok":{"messages":[],"attributes":[],"events":[{"type":"xy","attributes":[{"key":"","value":""}]}]}}`, compute.ErrInvalidResponse},
		{"data that is not base64", `{"ok":{"messages":[],"attributes":[],"events":[],"data":"%%%"}}`, ErrContractFailed},
		{"ok that is null", `{"ok":null}`, ErrContractFailed},
		{"not JSON", `\x00\xff{`, ErrContractFailed},
		{"error", `{"error":"refused"}`, ErrContractFailed},
		{"huge attribute", `{"ok":{"messages":[],"attributes":[{"key":"k","value":"` + strings.Repeat("v", 200_000) + `"}],"events":[]}}`, nil},
		{"many events", `{"ok":{"messages":[],"attributes":[],"events":[` + strings.Repeat(`{"type":"ev","attributes":[{"key":"a","value":"b"}]},`, 2000) + `{"type":"ev","attributes":[]}]}}`, nil},
	}
}

// TestContractResponsesNeverHaltTheChain: whatever a contract answers, the
// block executes, the transaction fails with a code that says why (or
// succeeds), and two apps agree on the result.
func TestContractResponsesNeverHaltTheChain(t *testing.T) {
	n := newMirrorNet(t)
	for _, c := range hostileResponses(n.contract) {
		t.Run(c.name, func(t *testing.T) {
			r := n.respond(t, []byte(c.resp))
			if c.want == nil {
				require.Zero(t, r.Code, r.Log)
				return
			}
			require.Equal(t, Code(c.want), r.Code, r.Log)
			require.Equal(t, Codespace, r.Codespace)
		})
	}
}

// FuzzContractResponse executes arbitrary contract responses through
// FinalizeBlock on two apps: never an error, always the same app hash.
// The seed corpus (testdata/fuzz/FuzzContractResponse) holds the hostile
// responses above.
func FuzzContractResponse(f *testing.F) {
	n := newMirrorNet(f)
	for _, c := range hostileResponses(n.contract) {
		if len(c.resp) < 4096 {
			f.Add([]byte(c.resp))
		}
	}
	f.Fuzz(func(t *testing.T, resp []byte) {
		n.respond(t, resp)
	})
}
