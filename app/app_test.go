package app

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

const testChainID = "hermetic-test"

// harness is an App on a fresh tree with a funded genesis.
type harness struct {
	t      testing.TB
	app    *App
	tree   *state.Tree
	height int64
	alice  keys.PrivKey // ed25519
	bob    keys.PrivKey // ed25519
	dave   keys.PrivKey // P-256
	op     keys.PrivKey // the validator's operator
	op2    keys.PrivKey // a second validator's operator
	enc    *sim.Enclave // the node's enclave (shared by apps that must agree)
}

const startBalance = 10_000_000_000

func genKey(t testing.TB, typ keys.KeyType) keys.PrivKey {
	t.Helper()
	k, err := keys.Generate(typ)
	require.NoError(t, err)
	return k
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	return newHarnessAt(t, t.TempDir(), nil)
}

// newHarnessAt opens dir; fixed gives fixed keys (for two apps that must agree).
func newHarnessAt(t testing.TB, dir string, fixed *harness) *harness {
	t.Helper()
	tree, err := state.Open(dir, state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tree.Close() })
	h := &harness{t: t, tree: tree}
	if fixed != nil {
		h.alice, h.bob, h.dave, h.op, h.op2, h.enc = fixed.alice, fixed.bob, fixed.dave, fixed.op, fixed.op2, fixed.enc
	} else {
		h.enc, err = sim.Open(t.TempDir(), nil)
		require.NoError(t, err)
		_, err = h.enc.Bootstrap(context.Background())
		require.NoError(t, err)
		h.alice, h.bob, h.dave = genKey(t, keys.KeyEd25519), genKey(t, keys.KeyEd25519), genKey(t, keys.KeyP256)
		h.op, h.op2 = genKey(t, keys.KeyEd25519), genKey(t, keys.KeyEd25519)
	}
	cons := func(seed byte) []byte {
		s := make([]byte, 32)
		s[0] = seed
		return ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
	}
	v, err := vm.New(context.Background(), vm.Config{CacheDir: t.TempDir()})
	require.NoError(t, err)
	t.Cleanup(func() { v.Close(context.Background()) })
	a, err := New(tree, Options{Enclave: h.enc, VM: v})
	require.NoError(t, err)
	t.Cleanup(a.Close) // before the VM closes
	h.app = a
	nk, err := h.enc.NetworkKeys()
	require.NoError(t, err)
	g := GenesisState{Params: DefaultParams(), Enclave: EnclaveGenesis{Keys: nk, Policy: enclave.Policy{Measurements: [][]byte{enclave.SimMeasurement}, AllowSimulated: true}}}
	for _, k := range []keys.PrivKey{h.alice, h.bob, h.dave, h.op, h.op2} {
		g.Accounts = append(g.Accounts, GenesisAccount{Address: k.PubKey().Address(), Balance: startBalance})
	}
	g.Validators = []GenesisValidator{
		{Operator: h.op.PubKey().Address(), ConsKey: cons(1), Bonded: 10_000_000, Moniker: "v1"},
		{Operator: h.op2.PubKey().Address(), ConsKey: cons(2), Bonded: 5_000_000, Moniker: "v2"},
	}
	bz, err := json.Marshal(g)
	require.NoError(t, err)
	resp, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testChainID, AppStateBytes: bz,
		ConsensusParams: &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: 4 << 20, MaxGas: 50_000_000}},
	})
	require.NoError(t, err)
	require.Len(t, resp.Validators, 2)
	return h
}

// tx signs msgs from k with sequence seq and returns the encoded bytes.
func (h *harness) tx(k keys.PrivKey, seq uint64, msgs ...tx.Msg) []byte {
	return h.txWith(k, func(t *tx.Tx) { t.Sequence = seq }, msgs...)
}

// txWith builds a valid transaction, lets edit change it, then signs it.
func (h *harness) txWith(k keys.PrivKey, edit func(*tx.Tx), msgs ...tx.Msg) []byte {
	h.t.Helper()
	t := &tx.Tx{Version: tx.Version, ChainID: testChainID, Signer: k.PubKey(), GasLimit: 300_000,
		Fee: tx.Coin{Denom: Denom, Amount: 3_000}}
	for _, m := range msgs {
		t.Msgs = append(t.Msgs, tx.NewAny(m))
	}
	if edit != nil {
		edit(t)
	}
	require.NoError(h.t, t.Sign(k))
	return t.Marshal()
}

// block executes and commits one block.
func (h *harness) block(txs ...[]byte) *abci.ResponseFinalizeBlock {
	h.t.Helper()
	h.height++
	resp, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Height: h.height, Time: time.Unix(1_700_000_000+h.height, 0), Txs: txs,
	})
	require.NoError(h.t, err)
	_, err = h.app.Commit(context.Background(), &abci.RequestCommit{})
	require.NoError(h.t, err)
	return resp
}

// untilReady makes empty blocks until contracts can be made from stored
// code id: a module larger than compute.SyncCompileMax is compiled in the
// background until its ReadyAt.
func (h *harness) untilReady(id uint64) {
	h.t.Helper()
	info, err := h.app.CodeInfo(id)
	require.NoError(h.t, err)
	for time.Unix(1_700_000_000+h.height+1, 0).Before(info.ReadyAt) {
		h.block()
	}
}

func (h *harness) check(raw []byte) *abci.ResponseCheckTx {
	h.t.Helper()
	resp, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: raw})
	require.NoError(h.t, err)
	return resp
}

func (h *harness) account(k keys.PrivKey) Account {
	h.t.Helper()
	acc, _, err := h.app.Account(k.PubKey().Address(), 0, false)
	require.NoError(h.t, err)
	return acc
}

func send(from, to keys.PrivKey, amount uint64) *tx.MsgSend {
	return &tx.MsgSend{From: from.PubKey().Address(), To: to.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: amount}}
}

func TestSendMovesFundsAndPaysFee(t *testing.T) {
	h := newHarness(t)
	h.block() // genesis state committed with block 1
	for _, k := range []keys.PrivKey{h.alice, h.dave} {
		res := h.block(h.tx(k, 0, send(k, h.bob, 500)))
		require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
		require.Greater(t, res.TxResults[0].GasUsed, int64(0))
		acc := h.account(k)
		require.Equal(t, uint64(startBalance-500-3_000), acc.Balance)
		require.Equal(t, uint64(1), acc.Sequence)
		require.NotNil(t, acc.PubKey)
		require.Equal(t, k.PubKey().Type, acc.PubKey.Type)
	}
	require.Equal(t, uint64(startBalance+1_000), h.account(h.bob).Balance)
	fc, _, err := h.app.Account(FeeCollector, 0, false)
	require.NoError(t, err)
	require.Equal(t, uint64(6_000), fc.Balance)
}

// TestBadTransactions covers every refusal the node issue lists: each has
// its own code and a clear log, CheckTx refuses it, and a block containing it
// changes no state — except that a transaction whose messages fail (after
// its fee and signature checked out) pays its fee and uses its sequence.
func TestBadTransactions(t *testing.T) {
	cases := []struct {
		name string
		raw  func(h *harness) []byte
		want error
		// paysFee: the failure comes while the messages run, after the fee
		// was paid, so the block charges the fee and uses the sequence.
		paysFee bool
	}{
		{"bad signature", func(h *harness) []byte {
			t, err := tx.Decode(h.tx(h.alice, 1, send(h.alice, h.bob, 1)))
			require.NoError(h.t, err)
			t.Signature[len(t.Signature)-1] ^= 1
			return t.Marshal()
		}, ErrBadSignature, false},
		{"wrong chain id", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.ChainID = "other-chain" }, send(h.alice, h.bob, 1))
		}, ErrWrongChainID, false},
		{"replayed sequence", func(h *harness) []byte { return h.tx(h.alice, 0, send(h.alice, h.bob, 1)) }, ErrSequenceReplayed, false},
		{"skipped sequence", func(h *harness) []byte {
			return h.tx(h.alice, 2+uint64(DefaultHoldLimits().PerSender), send(h.alice, h.bob, 1))
		}, ErrSequenceSkipped, false},
		{"insufficient funds", func(h *harness) []byte { return h.tx(h.alice, 1, send(h.alice, h.bob, startBalance)) }, ErrInsufficientFunds, true},
		{"insufficient funds for the fee", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.Fee.Amount = startBalance }, send(h.alice, h.bob, 1))
		}, ErrInsufficientFunds, false},
		{"fee too low", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.Fee.Amount = 999 }, send(h.alice, h.bob, 1))
		}, ErrFeeTooLow, false},
		{"wrong fee denom", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.Fee.Denom = "uatom" }, send(h.alice, h.bob, 1))
		}, ErrWrongDenom, false},
		{"malformed bytes", func(*harness) []byte { return []byte{0xff, 0x01, 0x02} }, ErrTxDecode, false},
		{"oversize", func(*harness) []byte { return make([]byte, DefaultParams().MaxTxBytes+1) }, ErrTxTooLarge, false},
		{"unknown message type", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) {
				t.Sequence = 1
				t.Msgs = []tx.Any{{TypeURL: "/hermetic.nothing.v1.MsgNothing", Value: []byte{1}}}
			})
		}, ErrUnknownMessage, true},
		{"no messages", func(h *harness) []byte { return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1 }) }, ErrNoMessages, false},
		{"sender is not the signer", func(h *harness) []byte { return h.tx(h.alice, 1, send(h.bob, h.alice, 1)) }, ErrUnauthorized, true},
		{"zero gas limit", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.GasLimit = 0 }, send(h.alice, h.bob, 1))
		}, ErrGasLimit, false},
		{"gas limit above the block's", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.GasLimit = 60_000_000; t.Fee.Amount = 600_000 }, send(h.alice, h.bob, 1))
		}, ErrGasLimit, false},
		{"out of gas", func(h *harness) []byte {
			return h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 1; t.GasLimit = 120_000; t.Fee.Amount = 3_000 }, send(h.alice, h.bob, 1))
		}, ErrOutOfGas, true},
		{"bond to an unknown validator", func(h *harness) []byte {
			return h.tx(h.alice, 1, &tx.MsgBond{Delegator: h.alice.PubKey().Address(), Validator: h.bob.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: 1}})
		}, ErrUnknownValidator, true},
		{"unbond more than bonded", func(h *harness) []byte {
			return h.tx(h.alice, 1, &tx.MsgUnbond{Delegator: h.alice.PubKey().Address(), Validator: h.op.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: 1}})
		}, ErrInsufficientBond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			twin := newHarnessAt(t, t.TempDir(), h) // runs the same blocks without the bad transaction
			first := h.tx(h.alice, 0, send(h.alice, h.bob, 1))
			h.block(first) // alice at sequence 1
			twin.block(first)
			raw := c.raw(h)
			res := h.check(raw)
			require.Equal(t, Code(c.want), res.Code, "CheckTx log: %s", res.Log)
			require.NotEmpty(t, res.Log)
			require.ErrorIs(t, ErrorForCode(res.Code, res.Log), c.want)

			aliceBefore := h.account(h.alice)
			fb := h.block(raw)
			r := fb.TxResults[0]
			require.Equal(t, Code(c.want), r.Code, r.Log)
			require.Equal(t, Codespace, r.Codespace)
			after := h.account(h.alice)
			if c.paysFee {
				require.Equal(t, aliceBefore.Balance-3_000, after.Balance, "fee paid, nothing else")
				require.Equal(t, aliceBefore.Sequence+1, after.Sequence)
				require.Equal(t, r.GasWanted >= r.GasUsed, true)
				return
			}
			require.Equal(t, aliceBefore.Balance, after.Balance)
			require.Equal(t, aliceBefore.Sequence, after.Sequence)
			require.Equal(t, twin.block().AppHash, fb.AppHash, "state changed")
		})
	}
}

func TestOutOfGasUsesWholeLimitDeterministically(t *testing.T) {
	h := newHarness(t)
	raw := h.txWith(h.alice, func(t *tx.Tx) { t.GasLimit = 120_000; t.Fee.Amount = 1_200 }, send(h.alice, h.bob, 1))
	res := h.block(raw).TxResults[0]
	require.Equal(t, Code(ErrOutOfGas), res.Code, res.Log)
	require.Equal(t, int64(120_000), res.GasUsed)
	require.Equal(t, uint64(startBalance-1_200), h.account(h.alice).Balance)
	require.Equal(t, uint64(startBalance), h.account(h.bob).Balance)
}

func TestCheckTxTracksPendingSequences(t *testing.T) {
	h := newHarness(t)
	var txs [][]byte
	for seq := range uint64(5) {
		raw := h.tx(h.alice, seq, send(h.alice, h.bob, 10))
		require.Equal(t, uint32(0), h.check(raw).Code)
		txs = append(txs, raw)
	}
	// The same sequence again is a replay even before the block.
	require.Equal(t, Code(ErrSequenceReplayed), h.check(h.tx(h.alice, 2, send(h.alice, h.bob, 10))).Code)
	for _, r := range h.block(txs...).TxResults {
		require.Equal(t, uint32(0), r.Code, r.Log)
	}
	require.Equal(t, uint64(5), h.account(h.alice).Sequence)
	require.Equal(t, uint32(0), h.check(h.tx(h.alice, 5, send(h.alice, h.bob, 10))).Code)
}

func TestBondAndUnbondChangeVotingPower(t *testing.T) {
	h := newHarness(t)
	op := h.op.PubKey().Address()
	bond := &tx.MsgBond{Delegator: h.alice.PubKey().Address(), Validator: op, Amount: tx.Coin{Denom: Denom, Amount: 3_000_000}}
	stakingFrom := func(k keys.PrivKey, seq uint64, m tx.Msg) []byte { // bonding writes more than a send
		return h.txWith(k, func(t *tx.Tx) { t.Sequence, t.GasLimit, t.Fee.Amount = seq, 500_000, 5_000 }, m)
	}
	staking := func(seq uint64, m tx.Msg) []byte { return stakingFrom(h.alice, seq, m) }
	res := h.block(staking(0, bond))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Len(t, res.ValidatorUpdates, 1)
	require.Equal(t, int64(13), res.ValidatorUpdates[0].Power)

	unbond := &tx.MsgUnbond{Delegator: h.alice.PubKey().Address(), Validator: op, Amount: tx.Coin{Denom: Denom, Amount: 3_000_000}}
	res = h.block(staking(1, unbond))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, int64(10), res.ValidatorUpdates[0].Power)
	require.Equal(t, uint64(startBalance-10_000), h.account(h.alice).Balance)

	// The second validator may leave; the last one may not.
	op2 := h.op2.PubKey().Address()
	res = h.block(stakingFrom(h.op2, 0, &tx.MsgUnbond{Delegator: op2, Validator: op2, Amount: tx.Coin{Denom: Denom, Amount: 5_000_000}}))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Equal(t, int64(0), res.ValidatorUpdates[0].Power)
	res = h.block(stakingFrom(h.op, 0, &tx.MsgUnbond{Delegator: op, Validator: op, Amount: tx.Coin{Denom: Denom, Amount: 10_000_000}}))
	require.Equal(t, Code(ErrLastValidator), res.TxResults[0].Code, res.TxResults[0].Log)
	require.Empty(t, res.ValidatorUpdates)
}

// TestDeterminism runs the same blocks on two apps and on a restarted one:
// the app hashes and gas must be identical.
func TestDeterminism(t *testing.T) {
	a := newHarness(t)
	dirB := t.TempDir()
	b := newHarnessAt(t, dirB, a)
	require.Equal(t, a.tree.WorkingHash(), b.tree.WorkingHash())
	var blocks [][][]byte
	for i := range uint64(5) {
		blocks = append(blocks, [][]byte{
			a.tx(a.alice, i, send(a.alice, a.bob, 7+i)),
			a.tx(a.dave, i, send(a.dave, a.alice, 3)),
			a.tx(a.bob, 0, send(a.bob, a.alice, 1)), // valid once, then replays
		})
	}
	for _, txs := range blocks {
		ra, rb := a.block(txs...), b.block(txs...)
		require.Equal(t, ra.AppHash, rb.AppHash)
		for i := range ra.TxResults {
			require.Equal(t, ra.TxResults[i].Code, rb.TxResults[i].Code)
			require.Equal(t, ra.TxResults[i].GasUsed, rb.TxResults[i].GasUsed)
		}
	}
	// Restart b from disk: Info reports the same height and hash.
	info, err := b.app.Info(context.Background(), &abci.RequestInfo{})
	require.NoError(t, err)
	require.Equal(t, int64(5), info.LastBlockHeight)
	require.Equal(t, a.tree.Hash(), info.LastBlockAppHash)
	require.NoError(t, b.tree.Close())
	tree, err := state.Open(dirB, state.Options{})
	require.NoError(t, err)
	defer tree.Close()
	re, err := New(tree, Options{})
	require.NoError(t, err)
	require.Equal(t, testChainID, re.ChainID())
	require.Equal(t, a.tree.Hash(), tree.Hash())
}

func TestAccountProofVerifies(t *testing.T) {
	h := newHarness(t)
	h.block(h.tx(h.alice, 0, send(h.alice, h.bob, 1)))
	acc, proofs, err := h.app.Account(h.alice.PubKey().Address(), 0, true)
	require.NoError(t, err)
	require.Len(t, proofs, 2)
	root := h.tree.Hash()
	for _, p := range proofs {
		cp, err := state.UnmarshalProof(p.Proof)
		require.NoError(t, err)
		require.NoError(t, state.VerifyMembership(root, p.Key, p.Value, cp))
	}
	require.Equal(t, uint64(1), acc.Sequence)
	// A fresh address: both keys absent, proven so.
	fresh := genKey(t, keys.KeyEd25519).PubKey().Address()
	_, proofs, err = h.app.Account(fresh, 0, true)
	require.NoError(t, err)
	for _, p := range proofs {
		require.Empty(t, p.Value)
		cp, err := state.UnmarshalProof(p.Proof)
		require.NoError(t, err)
		require.NoError(t, state.VerifyNonMembership(root, p.Key, cp))
	}
}

func TestProcessProposalRejectsGarbageAndGasOverflow(t *testing.T) {
	h := newHarness(t)
	resp, err := h.app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: [][]byte{{0xff}}})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, resp.Status)
	var txs [][]byte
	for i := range uint64(6) { // 6 × 10M gas > the 50M block limit
		txs = append(txs, h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = i; t.GasLimit = 10_000_000; t.Fee.Amount = 100_000 }, send(h.alice, h.bob, 1)))
	}
	resp, err = h.app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: txs})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, resp.Status)
	resp, err = h.app.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: txs[:5]})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_ACCEPT, resp.Status)
}

// TestMempoolHoldsOutOfOrderTransactions: a sender's transactions that reach
// CheckTx out of order (gossip paths differ; CometBFT may swap two checked
// transactions) are all admitted, and the mempool state ends in order.
func TestMempoolHoldsOutOfOrderTransactions(t *testing.T) {
	h := newHarness(t)
	t2, t1, t0 := h.tx(h.alice, 2, send(h.alice, h.bob, 1)), h.tx(h.alice, 1, send(h.alice, h.bob, 1)), h.tx(h.alice, 0, send(h.alice, h.bob, 1))
	for _, raw := range [][]byte{t2, t1, t0} {
		res := h.check(raw)
		require.Equal(t, uint32(0), res.Code, res.Log)
	}
	// The mempool state is at sequence 3: 3 is next, 2 is a replay.
	require.Equal(t, uint32(0), h.check(h.tx(h.alice, 3, send(h.alice, h.bob, 1))).Code)
	require.Equal(t, Code(ErrSequenceReplayed), h.check(h.tx(h.alice, 2, send(h.alice, h.bob, 2))).Code)

	// A held transaction still needs a valid signature and fee.
	bad := h.txWith(h.alice, func(t *tx.Tx) { t.Sequence = 9; t.Fee.Amount = 1 }, send(h.alice, h.bob, 1))
	require.Equal(t, Code(ErrFeeTooLow), h.check(bad).Code)
	forged, err := tx.Decode(h.tx(h.alice, 9, send(h.alice, h.bob, 1)))
	require.NoError(t, err)
	forged.Signature[0] ^= 1
	require.Equal(t, Code(ErrBadSignature), h.check(forged.Marshal()).Code)
	// One waiting transaction per sequence.
	require.Equal(t, uint32(0), h.check(h.tx(h.alice, 9, send(h.alice, h.bob, 1))).Code)
	require.Equal(t, Code(ErrSequenceSkipped), h.check(h.tx(h.alice, 9, send(h.alice, h.bob, 7))).Code)
}

// TestPrepareProposalOrdersSequences: the proposer puts each sender's
// transactions in sequence order whatever the mempool's order, and leaves
// out what cannot execute after the committed sequence.
func TestPrepareProposalOrdersSequences(t *testing.T) {
	h := newHarness(t)
	a0, a1, a2 := h.tx(h.alice, 0, send(h.alice, h.bob, 1)), h.tx(h.alice, 1, send(h.alice, h.bob, 1)), h.tx(h.alice, 2, send(h.alice, h.bob, 1))
	b0 := h.tx(h.bob, 0, send(h.bob, h.alice, 1))
	gap := h.tx(h.bob, 5, send(h.bob, h.alice, 1))
	resp, err := h.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{
		MaxTxBytes: 1 << 20, Txs: [][]byte{a2, b0, a1, gap, a0},
	})
	require.NoError(t, err)
	require.Equal(t, [][]byte{b0, a0, a1, a2}, resp.Txs)
	res := h.block(resp.Txs...)
	for _, r := range res.TxResults {
		require.Equal(t, uint32(0), r.Code, r.Log)
	}
	// A transaction already committed is not proposed again.
	resp, err = h.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{MaxTxBytes: 1 << 20, Txs: [][]byte{a1}})
	require.NoError(t, err)
	require.Empty(t, resp.Txs)
	// The byte limit cuts the block.
	resp, err = h.app.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{
		MaxTxBytes: int64(len(a0)) + 10, Txs: [][]byte{h.tx(h.alice, 3, send(h.alice, h.bob, 1)), h.tx(h.alice, 4, send(h.alice, h.bob, 1))},
	})
	require.NoError(t, err)
	require.Len(t, resp.Txs, 1)
}

// TestBlockTimeSurvivesRestart: the last block's time is part of the state,
// so an app opened on it after a restart judges permits by the chain's time
// before the next block, not by zero.
func TestBlockTimeSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	h.block()
	h.block()
	want := time.Unix(1_700_000_000+h.height, 0).UTC()
	require.Equal(t, want, h.app.LastBlockTime())
	again, err := New(h.tree, Options{})
	require.NoError(t, err)
	require.Equal(t, want, again.LastBlockTime())
	require.Equal(t, h.height, again.LastHeight())
}
