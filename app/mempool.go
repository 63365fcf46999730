package app

import (
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// Held transactions.
//
// CometBFT's mempool may store transactions in a different order from the one
// CheckTx saw them in (it adds a checked transaction after releasing the app,
// so two gossip routines can swap), and peers relay a sender's transactions
// along different paths. A strict "next sequence only" CheckTx then drops
// good transactions, and a proposer following the mempool's order puts
// transactions in a block before their predecessors. So CheckTx holds a
// signed transaction a little ahead of its sender's next sequence until its
// predecessors arrive (within HoldLimits), and PrepareProposal orders each
// sender's transactions by sequence.

// CheckTx admits a transaction to the mempool if it would succeed on the
// mempool state (committed state plus the transactions already admitted):
// well-formed, signed, the right sequence, a sufficient fee, and messages
// that execute. A transaction that passes updates the mempool state, so one
// sender can queue several transactions for a block. A transaction at most
// HoldLimits.PerSender ahead is held until the ones before it arrive, if it
// passes the same checks as one that executes at once (signature, fee, a
// balance that covers its fee and those of the sender's other held
// transactions) and fits the hold pool's limits.
//
// CheckTx runs alongside block execution (see App): it verifies the
// signature before taking any lock (the result lands in the signature
// cache), and reads the last committed state, not the block being executed.
//
// Cheap refusals come before expensive checks, as the Cosmos SDK deducts
// fees before it verifies signatures: a sender whose balance in the mempool
// state cannot pay the fee is refused before its signature is verified, so
// a flood of unfunded junk costs a balance lookup each, not an ed25519
// verification (which was a third of a node's time under such a flood).
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	t, decodeErr := a.txs.decode(req.Tx)
	if decodeErr == nil && a.mayPay(t) {
		_ = a.txs.verify(req.Tx, t) // a bad signature is reported by the checks below
	}
	if a.committed.Load() == 0 {
		// No committed version to read yet: wait for the consensus side.
		a.mu.Lock()
		defer a.mu.Unlock()
	}
	a.mempoolMu.Lock()
	defer a.mempoolMu.Unlock()
	if a.check == nil {
		base, err := a.checkBase()
		if err != nil {
			return nil, err
		}
		a.check = state.NewCache(base)
	}
	env := &txEnv{check: true, block: &blockContext{height: a.committed.Load() + 1, time: a.LastBlockTime()}}
	if decodeErr == nil {
		if res, err := a.refuseUnaffordable(t); res != nil || err != nil {
			if err != nil {
				return nil, err
			}
			return checkResponse(res), nil
		}
		res, held, err := a.holdIfAhead(t, req.Tx)
		if err != nil {
			return nil, err
		}
		if held {
			return checkResponse(res), nil
		}
	}
	res, err := a.checkAndApply(env, req.Tx)
	if err != nil {
		return nil, err
	}
	return checkResponse(res), nil
}

// mayPay reports whether t's sender could pay its fee in the last committed
// state, read without a lock; when it cannot tell, it says yes. CheckTx
// verifies a signature ahead of its lock only for a sender that may pay.
func (a *App) mayPay(t *tx.Tx) bool {
	v := a.view.Load()
	if v == nil {
		return true
	}
	bal, err := balance(*v, t.Sender())
	return err != nil || bal >= t.Fee.Amount
}

// refuseUnaffordable refuses, before any signature is verified, a
// transaction whose sender's balance in the mempool state does not cover
// its fee. It returns nil when the checks should go on.
func (a *App) refuseUnaffordable(t *tx.Tx) (*abci.ExecTxResult, error) {
	bal, err := balance(a.check, t.Sender())
	if err != nil {
		return nil, fmt.Errorf("read mempool balance: %w", err)
	}
	if bal < t.Fee.Amount {
		return result(fmt.Errorf("%w: fee: has %d%s, needs %d%s", ErrInsufficientFunds, bal, Denom, t.Fee.Amount, Denom), t.GasLimit, 0), nil
	}
	return nil, nil
}

// checkBase is the state CheckTx starts from after a commit: the last
// committed version, read-only; before the first commit, the tree itself
// (CheckTx then holds mu).
func (a *App) checkBase() (state.Store, error) {
	v := a.committed.Load()
	if v == 0 {
		return a.tree, nil
	}
	base, err := a.tree.ReadOnly(v)
	if err != nil {
		return nil, fmt.Errorf("mempool state at height %d: %w", v, err)
	}
	return base, nil
}

func checkResponse(r *abci.ExecTxResult) *abci.ResponseCheckTx {
	return &abci.ResponseCheckTx{Code: r.Code, Codespace: r.Codespace, Log: r.Log, GasWanted: r.GasWanted, GasUsed: r.GasUsed}
}

// checkAndApply runs raw on the mempool state, keeps its effects if it
// passes, and then applies any held successors of the same sender.
func (a *App) checkAndApply(env *txEnv, raw []byte) (*abci.ExecTxResult, error) {
	txc := state.NewCache(a.check)
	res := a.runTx(env, txc, raw)
	if res.Code != 0 {
		txc.Discard()
		return res, nil
	}
	if err := txc.Write(); err != nil {
		return nil, fmt.Errorf("write mempool state: %w", err)
	}
	t, err := a.txs.decode(raw)
	if err != nil {
		return nil, fmt.Errorf("decode checked transaction: %w", err)
	}
	sender := t.Sender()
	for next := t.Sequence + 1; ; next++ {
		held, ok := a.holds.take(sender, next)
		if !ok {
			break
		}
		hc := state.NewCache(a.check)
		if r := a.runTx(env, hc, held); r.Code != 0 {
			// It no longer executes (funds spent meanwhile): the recheck
			// after the next block removes it from the mempool.
			hc.Discard()
			break
		}
		if err := hc.Write(); err != nil {
			return nil, fmt.Errorf("write mempool state: %w", err)
		}
	}
	return res, nil
}

// holdIfAhead holds t if its sequence is ahead of the sender's next one in
// the mempool state, after the checks a transaction that executes at once
// passes too: signature, fee, and a balance that covers the fees of all
// the sender's held transactions.
func (a *App) holdIfAhead(t *tx.Tx, raw []byte) (*abci.ExecTxResult, bool, error) {
	sender := t.Sender()
	next, err := getU64(a.check, SequenceKey(sender))
	if err != nil {
		return nil, false, fmt.Errorf("read mempool sequence: %w", err)
	}
	if t.Sequence <= next || t.Sequence > next+uint64(a.holds.limits.PerSender) {
		return nil, false, nil
	}
	if a.holds.has(sender, t.Sequence) {
		return result(fmt.Errorf("%w: another transaction with sequence %d is waiting for %d", ErrSequenceSkipped, t.Sequence, next), t.GasLimit, 0), true, nil
	}
	// The balance first: it costs a lookup, the signature a verification.
	bal, err := balance(a.check, sender)
	if err != nil {
		return nil, false, fmt.Errorf("read mempool balance: %w", err)
	}
	if need := a.holds.feesOf(sender) + t.Fee.Amount; need > bal || need < t.Fee.Amount {
		return result(fmt.Errorf("%w: has %d%s, the fees of this and the sender's other waiting transactions need %d%s",
			ErrInsufficientFunds, bal, Denom, need, Denom), t.GasLimit, 0), true, nil
	}
	meter := NewGasMeter(t.GasLimit)
	if err := a.checkStateless(t, raw, meter); err != nil {
		return result(err, t.GasLimit, meter.Used()), true, nil
	}
	if err := a.holds.add(sender, t.Sequence, t.Fee.Amount, raw, a.committed.Load()+1); err != nil {
		return result(err, t.GasLimit, meter.Used()), true, nil
	}
	return result(nil, t.GasLimit, meter.Used()), true, nil
}

// PrepareProposal builds the block from the mempool's transactions: in the
// mempool's order, except that each sender's transactions go in sequence
// order (a transaction waits for its predecessor; one that cannot follow the
// committed sequence is left out), while they fit the block's byte and gas
// limits.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var bytes, gas int64
	txs := make([][]byte, 0, len(req.Txs))
	next := map[keys.Address]uint64{}
	waiting := map[keys.Address]map[uint64][]byte{}
	full := false
	include := func(raw []byte, t *tx.Tx) bool {
		if bytes+int64(len(raw)) > req.MaxTxBytes || (a.maxGas >= 0 && gas+int64(t.GasLimit) > a.maxGas) {
			full = true
			return false
		}
		bytes += int64(len(raw))
		gas += int64(t.GasLimit)
		txs = append(txs, raw)
		return true
	}
	for _, raw := range req.Txs {
		if full {
			break
		}
		t, err := a.txs.decode(raw)
		if err != nil {
			continue // cannot have passed CheckTx; never propose it
		}
		sender := t.Sender()
		n, ok := next[sender]
		if !ok {
			if n, err = getU64(a.tree, SequenceKey(sender)); err != nil {
				return nil, fmt.Errorf("read sequence: %w", err)
			}
		}
		switch {
		case t.Sequence < n:
			continue // already used
		case t.Sequence > n:
			if waiting[sender] == nil {
				waiting[sender] = map[uint64][]byte{}
			}
			waiting[sender][t.Sequence] = raw
			next[sender] = n
			continue
		}
		if !include(raw, t) {
			break
		}
		n++
		for {
			held, ok := waiting[sender][n]
			if !ok {
				break
			}
			delete(waiting[sender], n)
			ht, _ := a.txs.decode(held)
			if !include(held, ht) {
				break
			}
			n++
		}
		next[sender] = n
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}
