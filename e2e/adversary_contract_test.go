package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/internal/hostile"
	"github.com/hermetic-chain/hermetic/keys"
)

// emptyResponse is a contract response that does nothing.
const emptyResponse = hostile.EmptyResponse

// bankSendResponse is a contract response that sends coins to to.
func bankSendResponse(to, denom, amount string) string {
	send, _ := json.Marshal(map[string]any{"to_address": to, "amount": []map[string]string{{"denom": denom, "amount": amount}}})
	return `{"ok":{"messages":[{"id":0,"msg":{"bank":{"send":` + string(send) + `}},"reply_on":"never"}],"attributes":[],"events":[]}}`
}

// wasmExecuteResponse is a contract response that calls contract.
func wasmExecuteResponse(contract string) string {
	return fmt.Sprintf(`{"ok":{"messages":[{"id":7,"msg":{"wasm":{"execute":{"contract_addr":%q,"msg":"e30=","funds":[]}}},"reply_on":"never"}],"attributes":[],"events":[]}}`, contract)
}

// TestAdversaryContractHalt: a contract author's attack on consensus. The
// attacker deploys a contract that answers whatever it is told and has it
// answer responses whose sub-messages cannot be carried out — a bank send
// to a malformed address, of an unknown denom or a non-numeric amount, a
// wasm execute of a malformed or missing contract (until 047fcae each of
// these stopped every validator with a consensus failure) — while an
// honest client sends transfers through another validator.
//
// What must hold: each hostile transaction commits as a failure with the
// code that names its fault; blocks keep coming and the honest transfers
// commit; the four validators agree on every app hash; and the attacker's
// account paid exactly its transactions' fees, while the contract lost
// only what its one valid bank send paid out.
func TestAdversaryContractHalt(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end adversary test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startAdversaryNet(ctx, t)
	attacker := n.key(t, "carol")
	c := n.clients[1] // the attacker's validator; the honest client uses node0

	// Deploy through the CLI: store, instantiate, fund.
	bin, err := hostile.Mirror()
	require.NoError(t, err)
	mirror := n.deploy(t, 1, "carol", "mirror", bin)
	const funds = 1_000_000
	n.cli(t, 1, "tx", "compute", "execute", mirror.String(), emptyResponse, "--amount", fmt.Sprint(funds)+"uherm", "--plaintext", "--from", "carol")

	h0 := n.settledHeight(ctx, t)
	startBalance, startSeq := n.account(ctx, t, attacker.PubKey().Address(), h0)
	alice := n.key(t, "alice")
	_, aliceSeq := n.account(ctx, t, alice.PubKey().Address(), h0)
	honest := startHonestSender(ctx, t, n.clients[0], n.chainID, alice)
	blocks := watchBlocks(ctx, n.clients)

	payee, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	to := payee.PubKey().Address().String()
	missing := keys.ContractAddress{9}.String()
	attacks := []struct {
		name string
		resp string
		want error // nil: the transaction succeeds
	}{
		{"bank send", bankSendResponse(to, "uherm", "5"), nil},
		{"bank send to a malformed address", bankSendResponse("not-an-address", "uherm", "5"), compute.ErrInvalidMsg},
		{"bank send to a bad checksum", bankSendResponse("herm1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq", "uherm", "5"), compute.ErrInvalidMsg},
		{"bank send of an unknown denom", bankSendResponse(to, "uatom", "5"), compute.ErrInvalidMsg},
		{"bank send of a non-numeric amount", bankSendResponse(to, "uherm", "five"), compute.ErrInvalidMsg},
		{"bank send of a negative amount", bankSendResponse(to, "uherm", "-5"), compute.ErrInvalidMsg},
		{"bank send of more than the contract has", bankSendResponse(to, "uherm", "999999999999"), app.ErrInsufficientFunds},
		{"wasm execute of a malformed address", wasmExecuteResponse("nope"), compute.ErrInvalidMsg},
		{"wasm execute of a missing contract", wasmExecuteResponse(missing), compute.ErrInvalidMsg},
		{"empty response", emptyResponse, nil},
	}
	opts := client.TxOptions{GasLimit: client.ContractGasLimit}
	for _, a := range attacks {
		res, err := c.Execute(ctx, attacker, mirror, []byte(a.resp), true, 0, opts)
		if res.TxHash == "" {
			t.Fatalf("%s: %v\nnode1 log: %s", a.name, err, n.nodes[1].logTail())
		}
		r, lookupErr := c.Tx(ctx, res.TxHash)
		require.NoError(t, lookupErr, "%s: not committed (%v): %s", a.name, err, n.nodes[1].logTail())
		require.Equal(t, app.Code(a.want), r.Code, "%s: %s", a.name, r.Log)
		if a.want != nil {
			require.Equal(t, app.Codespace, r.Codespace, a.name)
		}
		t.Logf("%s: code %d at height %d", a.name, r.Code, r.Height)
	}

	// The contract holds funds-5: one uherm more is refused, exactly that
	// much is paid out.
	left := uint64(funds - 5)
	res, err := c.Execute(ctx, attacker, mirror, []byte(bankSendResponse(to, "uherm", fmt.Sprint(left+1))), true, 0, opts)
	require.ErrorIs(t, err, app.ErrInsufficientFunds, "tx %s", res.TxHash)
	_, err = c.Execute(ctx, attacker, mirror, []byte(bankSendResponse(to, "uherm", fmt.Sprint(left))), true, 0, opts)
	require.NoError(t, err)

	blocks.finish(t, 30*time.Second, 5)
	honest.finish(t)
	n.finish(ctx, t)

	// The attacker paid its fees and nothing else; the payee got exactly
	// what the valid sends paid; the honest transfers all arrived.
	h1 := n.settledHeight(ctx, t)
	endBalance, endSeq := n.account(ctx, t, attacker.PubKey().Address(), h1)
	sent := endSeq - startSeq
	require.Equal(t, uint64(len(attacks)+2), sent, "every attack transaction committed")
	require.Equal(t, startBalance-sent*txFee(client.ContractGasLimit), endBalance, "the attacker pays its fees, nothing else")
	got, _ := n.account(ctx, t, payee.PubKey().Address(), h1)
	require.Equal(t, uint64(funds), got, "the payee got the contract's funds, all of them and no more")
	honest.requireSinkMatchesSequence(ctx, t, n, aliceSeq, h1)
	committed := honest.committedBetween(time.Time{}, time.Now())
	t.Logf("honest transfers committed during the attack: %d", committed)
	require.NotZero(t, committed, "no honest transfer committed")
}
