package app

import (
	"context"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/proto/tendermint/crypto"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
)

// Account is an account as queries report it.
type Account struct {
	Address  keys.Address `json:"address"`
	PubKey   *keys.PubKey `json:"pub_key,omitempty"` // nil until the account's first transaction
	Sequence uint64       `json:"sequence"`
	Balance  uint64       `json:"balance"`
	// Height is the state version read. Its app hash is in the header of
	// block Height+1.
	Height int64 `json:"height"`
}

// Proof is an ICS-23 proof that a key holds a value (or is absent) in the
// state of Height, checked against the app hash of header Height+1.
type Proof struct {
	Key   []byte `json:"key"`
	Value []byte `json:"value,omitempty"` // empty: the key is absent
	Proof []byte `json:"proof"`           // ics23.CommitmentProof, protobuf
}

// LastHeight returns the height of the last committed block. Safe to call
// concurrently with block execution.
func (a *App) LastHeight() int64 { return a.committed.Load() }

// LastBlockTime returns the time of the last committed block, read from the
// state at start and kept with every commit (before the first block, the
// Unix epoch). Queries and CheckTx judge permits'
// validity by it.
func (a *App) LastBlockTime() time.Time { return time.Unix(0, a.lastNanos.Load()).UTC() }

// snapshot returns the committed state at height (0: the latest).
func (a *App) snapshot(height int64) (state.ReadStore, error) {
	if height < 0 || height > a.committed.Load() {
		return nil, fmt.Errorf("no state at height %d (latest is %d)", height, a.committed.Load())
	}
	if height == 0 {
		height = a.committed.Load()
	}
	if height == 0 {
		return nil, fmt.Errorf("%w: no block committed yet", state.ErrNoVersion)
	}
	return a.tree.ReadOnly(height)
}

// Account reads an account at height (0: latest). With prove, it also returns
// proofs for the balance and sequence keys.
func (a *App) Account(addr keys.Address, height int64, prove bool) (Account, []Proof, error) {
	s, err := a.snapshot(height)
	if err != nil {
		return Account{}, nil, err
	}
	acc := Account{Address: addr, Height: s.Version()}
	if acc.Balance, err = getU64(s, BalanceKey(addr)); err != nil {
		return Account{}, nil, err
	}
	if acc.Sequence, err = getU64(s, SequenceKey(addr)); err != nil {
		return Account{}, nil, err
	}
	pk, err := s.Get(PubKeyKey(addr))
	if err != nil {
		return Account{}, nil, err
	}
	if pk != nil {
		p, err := DecodePubKey(pk)
		if err != nil {
			return Account{}, nil, err
		}
		acc.PubKey = &p
	}
	if !prove {
		return acc, nil, nil
	}
	var proofs []Proof
	for _, k := range [][]byte{BalanceKey(addr), SequenceKey(addr)} {
		p, err := prove1(s, k)
		if err != nil {
			return Account{}, nil, err
		}
		proofs = append(proofs, p)
	}
	return acc, proofs, nil
}

func prove1(s state.ReadStore, key []byte) (Proof, error) {
	v, cp, err := s.Prove(key)
	if err != nil {
		return Proof{}, fmt.Errorf("prove key %x: %w", key, err)
	}
	bz, err := state.MarshalProof(cp)
	if err != nil {
		return Proof{}, err
	}
	return Proof{Key: key, Value: v, Proof: bz}, nil
}

// ValidatorSet returns the validators at height (0: latest).
func (a *App) ValidatorSet(height int64) ([]Validator, int64, error) {
	s, err := a.snapshot(height)
	if err != nil {
		return nil, 0, err
	}
	vals, err := Validators(s)
	return vals, s.Version(), err
}

// Query answers CometBFT's abci_query. Path "/key" reads the raw state key in
// Data at Height (0: latest) and, with Prove, returns an ICS-23 proof as a
// proof op of type "ics23:iavl".
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	if req.Path != "/key" {
		return &abci.ResponseQuery{Code: Code(ErrInvalidMessage), Codespace: Codespace, Log: fmt.Sprintf("unknown query path %q (known: /key)", req.Path)}, nil
	}
	s, err := a.snapshot(req.Height)
	if err != nil {
		return &abci.ResponseQuery{Code: Code(ErrInvalidMessage), Codespace: Codespace, Log: err.Error()}, nil
	}
	resp := &abci.ResponseQuery{Key: req.Data, Height: s.Version()}
	if !req.Prove {
		v, err := s.Get(req.Data)
		if err != nil {
			return nil, err
		}
		resp.Value = v
		return resp, nil
	}
	p, err := prove1(s, req.Data)
	if err != nil {
		return nil, err
	}
	resp.Value = p.Value
	resp.ProofOps = &crypto.ProofOps{Ops: []crypto.ProofOp{{Type: "ics23:iavl", Key: req.Data, Data: p.Proof}}}
	return resp, nil
}
