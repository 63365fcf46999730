// Package app is Hermetic's ABCI++ application: the deterministic state
// machine that CometBFT drives. It checks transactions for the mempool,
// executes blocks (accounts, fees, gas, bank sends, bonding), reports
// validator-set changes and commits the state to a Merkle tree whose root is
// the app hash in the next block header.
//
// Every method that runs in consensus (InitChain, ProcessProposal,
// FinalizeBlock, Commit) is deterministic: it reads only the request and the
// committed state, writes the tree in execution order, and uses no clock,
// randomness, map order or floating point.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

// AppVersion is the version of the state machine's rules, reported to CometBFT.
const AppVersion = 1

// FeeCollector is the account that receives transaction fees. No key controls
// it: its address is a hash of a fixed name.
var FeeCollector = moduleAddress("fee_collector")

func moduleAddress(name string) keys.Address {
	h := sha256.Sum256([]byte("hermetic/module/" + name))
	var a keys.Address
	copy(a[:], h[:])
	return a
}

// Meta keys outside the account and staking tables.
var (
	keyParams  = []byte{prefixParams}
	keyChainID = []byte{prefixParams + 1}
	keyMaxGas  = []byte{prefixParams + 2}
	keyEnclave = []byte{prefixParams + 3}
	// keyBlockTime holds the time of the block that wrote the version, in
	// Unix nanoseconds, so that queries and the mempool know the chain's
	// time after a restart (before the next block) from the state itself.
	keyBlockTime = []byte{prefixParams + 4}
)

// Options configure an App.
type Options struct {
	// Logger receives the application's logs; nil discards them.
	Logger *slog.Logger
	// Enclave is the node's enclave. The app asks it to encrypt the seeds
	// for accepted registrations; a node without one cannot execute them.
	Enclave enclave.Enclave
	// Verifiers check attestation reports (default: enclave.DefaultVerifiers).
	Verifiers enclave.Verifiers
	// VM runs contracts; with Enclave it enables the compute module.
	VM *vm.VM
	// Hold bounds the transactions the mempool holds for an earlier
	// sequence; the zero value means DefaultHoldLimits.
	Hold HoldLimits
	// QueryGasLimit bounds each contract query, in VM gas; 0 means
	// DefaultQueryGasLimit.
	QueryGasLimit uint64
}

// App implements abci.Application.
//
// Concurrency: the node gives each ABCI connection its own lock (CometBFT's
// connection-synchronised local client), so that the mempool's CheckTx runs
// while a block executes instead of waiting for it: a validator keeps
// accepting transactions during FinalizeBlock. The app keeps the two sides
// apart itself. The consensus side (InitChain, Info, Prepare/Process
// Proposal, FinalizeBlock, Commit) holds mu and alone touches the working
// tree and the block context. The mempool side (CheckTx) holds mempoolMu and
// works on check, a cache over the last committed version — an immutable
// snapshot — plus the transactions it accepted; Commit resets it under
// mempoolMu. Before the first commit there is no snapshot, and CheckTx takes
// mu as well. What both sides read (chain id, parameters, gas limit,
// enclave configuration) is written only by InitChain and at start-up; the
// signature cache has its own lock. Contracts never run in CheckTx, so the
// enclave and the VM are used by the consensus side and by queries only.
// Lock order: mu before mempoolMu. The read-only query methods (Account,
// Validators, ...) work on immutable snapshots and take no lock.
type App struct {
	abci.BaseApplication

	mu        sync.Mutex // the consensus side
	mempoolMu sync.Mutex // the mempool side: check and pending

	log       *slog.Logger
	tree      *state.Tree
	routes    map[string]handler
	enclave   enclave.Enclave
	verifiers enclave.Verifiers

	enclaveCfg EnclaveGenesis // network keys and attestation policy
	compute    *compute.Keeper

	lastNanos atomic.Int64 // time of the last committed block (keyBlockTime), for queries and CheckTx

	chainID string
	params  Params
	maxGas  int64 // the block gas limit from the consensus parameters; -1 for none

	check *state.Cache // mempool state: committed state plus checked txs
	holds *holdPool    // checked txs waiting for an earlier sequence
	block blockContext

	queryGas  uint64       // VM gas of a contract query
	committed atomic.Int64 // last committed height, for concurrent readers
	// view is the last committed version, read without a lock by CheckTx's
	// cheap checks (nil before the first commit).
	view atomic.Pointer[state.ReadStore]
	txs  *txCache // transactions decoded, and whether their signature verified
}

// blockContext is what the App knows about the block being executed.
type blockContext struct {
	height  int64
	time    time.Time
	touched []keys.Address // validators whose power may have changed
	txIndex uint32
	pos     cryptobox.WritePos // counts the block's contract-state writes
}

// txEnv is what a transaction runs in: the block (FinalizeBlock's, or a
// stand-in in CheckTx, which never reaches the chain) and whether the
// transaction is only being checked for the mempool, in which case no
// contract runs.
type txEnv struct {
	check bool
	block *blockContext
}

func (b *blockContext) touchValidator(op keys.Address) {
	if !slices.Contains(b.touched, op) {
		b.touched = append(b.touched, op)
	}
}

// New returns an App over tree, loading the chain id and parameters if the
// tree already holds a chain.
func New(tree *state.Tree, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{log: log, tree: tree, routes: routes(), maxGas: -1, enclave: opts.Enclave, verifiers: opts.Verifiers,
		txs: newTxCache(txCacheSize)}
	hold := opts.Hold
	if hold == (HoldLimits{}) {
		hold = DefaultHoldLimits()
	}
	a.holds = newHoldPool(hold)
	a.queryGas = opts.QueryGasLimit
	if a.queryGas == 0 {
		a.queryGas = DefaultQueryGasLimit
	}
	if a.verifiers == nil {
		a.verifiers = enclave.DefaultVerifiers()
	}
	if opts.VM != nil && opts.Enclave != nil {
		a.compute = compute.NewKeeper(opts.VM, opts.Enclave, a)
	}
	a.committed.Store(tree.Version())
	if tree.Version() > 0 {
		if err := a.loadMeta(tree); err != nil {
			return nil, fmt.Errorf("load chain metadata at height %d: %w", tree.Version(), err)
		}
		if a.compute != nil {
			// Stored code, compiled in the background rather than by
			// the first block that calls it.
			view, err := tree.ReadOnly(tree.Version())
			if err != nil {
				return nil, fmt.Errorf("compile stored code: %w", err)
			}
			if err := a.compute.CompileAll(view); err != nil {
				return nil, fmt.Errorf("compile stored code: %w", err)
			}
		}
	}
	return a, nil
}

func (a *App) loadMeta(s state.Store) error {
	id, err := s.Get(keyChainID)
	if err != nil {
		return err
	}
	a.chainID = string(id)
	pbz, err := s.Get(keyParams)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(pbz, &a.params); err != nil {
		return fmt.Errorf("decode params: %w", err)
	}
	mg, err := getU64(s, keyMaxGas)
	if err != nil {
		return err
	}
	a.maxGas = int64(mg) - 1 // stored +1 so that "no limit" (-1) is representable
	ebz, err := s.Get(keyEnclave)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(ebz, &a.enclaveCfg); err != nil {
		return fmt.Errorf("decode enclave config: %w", err)
	}
	nanos, err := getU64(s, keyBlockTime)
	if err != nil {
		return fmt.Errorf("read last block time: %w", err)
	}
	a.lastNanos.Store(int64(nanos))
	return nil
}

// ChainID returns the chain's id (empty before InitChain).
func (a *App) ChainID() string { return a.chainID }

// Params returns the chain parameters.
func (a *App) Params() Params { return a.params }

// Info tells CometBFT how far the application's state is, so that it replays
// the blocks the application has not committed (after a crash, for instance).
func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	resp := &abci.ResponseInfo{Data: "hermetic", Version: "1", AppVersion: AppVersion, LastBlockHeight: a.tree.Version()}
	if resp.LastBlockHeight > 0 {
		resp.LastBlockAppHash = a.tree.Hash()
	}
	return resp, nil
}

// InitChain writes the genesis state and returns the genesis validator set.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var g GenesisState
	if err := json.Unmarshal(req.AppStateBytes, &g); err != nil {
		return nil, fmt.Errorf("decode genesis app_state: %w", err)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	a.chainID, a.params = req.ChainId, g.Params
	a.maxGas = -1
	if req.ConsensusParams != nil && req.ConsensusParams.Block != nil {
		a.maxGas = req.ConsensusParams.Block.MaxGas
	}
	s := a.tree
	pbz, err := json.Marshal(g.Params)
	if err != nil {
		return nil, err
	}
	if err := s.Set(keyParams, pbz); err != nil {
		return nil, err
	}
	if err := s.Set(keyChainID, []byte(req.ChainId)); err != nil {
		return nil, err
	}
	if err := setU64(s, keyMaxGas, uint64(a.maxGas+1)); err != nil {
		return nil, err
	}
	if err := a.initEnclave(s, g.Enclave); err != nil {
		return nil, fmt.Errorf("genesis enclave: %w", err)
	}
	accs, vals := g.sorted()
	for _, acc := range accs {
		if err := addBalance(s, acc.Address, acc.Balance); err != nil {
			return nil, fmt.Errorf("genesis account %s: %w", acc.Address, err)
		}
	}
	updates := make([]abci.ValidatorUpdate, 0, len(vals))
	for _, gv := range vals {
		if err := subBalance(s, gv.Operator, gv.Bonded); err != nil {
			return nil, fmt.Errorf("genesis validator %s: %w", gv.Operator, err)
		}
		if err := setU64(s, delegationKey(gv.Operator, gv.Operator), gv.Bonded); err != nil {
			return nil, err
		}
		v := Validator{Operator: gv.Operator, ConsKey: gv.ConsKey, Tokens: gv.Bonded, Moniker: gv.Moniker}
		if err := setValidator(s, v); err != nil {
			return nil, err
		}
		updates = append(updates, abci.Ed25519ValidatorUpdate(v.ConsKey, v.Power(a.params)))
	}
	a.log.Info("genesis written", "chain_id", a.chainID, "accounts", len(accs), "validators", len(vals))
	return &abci.ResponseInitChain{Validators: updates, AppHash: a.tree.WorkingHash()}, nil
}

// ProcessProposal rejects a proposed block whose transactions do not decode
// or together exceed the block gas limit. It is deterministic.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var gas int64
	for _, raw := range req.Txs {
		if len(raw) > a.params.MaxTxBytes {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		t, err := a.txs.decode(raw)
		if err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		gas += int64(t.GasLimit)
		if a.maxGas >= 0 && gas > a.maxGas {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes a decided block's transactions in order and returns
// their results, the validator updates and the new app hash.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.block = blockContext{height: req.Height, time: req.Time, pos: cryptobox.WritePos{Height: uint64(req.Height)}}
	if err := setU64(a.tree, keyBlockTime, uint64(req.Time.UnixNano())); err != nil {
		return nil, fmt.Errorf("block %d: record block time: %w", req.Height, err)
	}
	env := &txEnv{block: &a.block}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, raw := range req.Txs {
		a.block.txIndex = uint32(i)
		results[i] = a.runTx(env, a.tree, raw)
		switch r := results[i]; {
		case r.Code == CodeNodeFault && r.Codespace == "":
			// This node's store or enclave failed: stop rather than
			// commit a state other nodes may not share. Nothing a
			// transaction or a contract sends gets here (see Code).
			return nil, fmt.Errorf("block %d tx %d: %s", req.Height, i, r.Log)
		case r.Code == codeUnclassified || r.Code == Code(ErrPanic):
			// A failed transaction like any other, but a gap in the
			// classification or a bug: say so loudly.
			a.log.Error("transaction failed for a reason without its own code", "height", req.Height, "tx", i, "code", r.Code, "log", r.Log)
		}
	}
	if a.compute != nil {
		a.compute.CompileStored(a.tree) // modules the block stored, to compile in the background
	}
	updates, err := a.validatorUpdates()
	if err != nil {
		return nil, fmt.Errorf("block %d validator updates: %w", req.Height, err)
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, ValidatorUpdates: updates, AppHash: a.tree.WorkingHash()}, nil
}

// validatorUpdates reports the current power of every validator the block
// touched, in operator-address order.
func (a *App) validatorUpdates() ([]abci.ValidatorUpdate, error) {
	if len(a.block.touched) == 0 {
		return nil, nil
	}
	slices.SortFunc(a.block.touched, compareAddr)
	updates := make([]abci.ValidatorUpdate, 0, len(a.block.touched))
	for _, op := range a.block.touched {
		v, err := getValidator(a.tree, op)
		if err != nil {
			return nil, err
		}
		updates = append(updates, abci.Ed25519ValidatorUpdate(v.ConsKey, v.Power(a.params)))
	}
	return updates, nil
}

// Close stops the app's background work (compiling stored code); call it
// before closing the VM and the state.
func (a *App) Close() {
	if a.compute != nil {
		a.compute.Close()
	}
}

// Commit makes the block's state durable, atomically, and resets the mempool
// state to it.
func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, version, err := a.tree.Commit()
	if err != nil {
		return nil, fmt.Errorf("commit state at height %d: %w", a.block.height, err)
	}
	a.committed.Store(version)
	if v, err := a.tree.ReadOnly(version); err == nil {
		a.view.Store(&v)
	}
	if !a.block.time.IsZero() {
		a.lastNanos.Store(a.block.time.UnixNano())
	}
	a.mempoolMu.Lock()
	a.check = nil
	a.holds.reset(version)
	a.mempoolMu.Unlock()
	return &abci.ResponseCommit{}, nil
}

// result turns an error into an ABCI transaction result.
func result(err error, gasWanted, gasUsed uint64) *abci.ExecTxResult {
	r := &abci.ExecTxResult{GasWanted: int64(gasWanted), GasUsed: int64(gasUsed)}
	if err != nil {
		r.Code = Code(err)
		r.Log = err.Error()
		if r.Code != 1 {
			r.Codespace = Codespace
		}
	}
	return r
}

// runTx checks and, unless the checks fail, executes one transaction on s.
// Checks come first and change nothing; then the fee is paid and the
// sequence advances; then the messages run in a cache that is written only
// if all of them succeed. So a transaction whose messages fail (out of gas
// included) still pays its fee and uses its sequence number. CheckTx
// discards everything unless the whole transaction succeeds.
func (a *App) runTx(env *txEnv, s state.Store, raw []byte) *abci.ExecTxResult {
	if len(raw) > a.params.MaxTxBytes {
		return result(fmt.Errorf("%w: %d bytes, limit %d", ErrTxTooLarge, len(raw), a.params.MaxTxBytes), 0, 0)
	}
	t, err := a.txs.decode(raw)
	if err != nil {
		return result(classifyDecode(err), 0, 0)
	}
	meter := NewGasMeter(t.GasLimit)
	if err := a.checkTx(s, t, raw, meter); err != nil {
		return result(err, t.GasLimit, meter.Used())
	}
	signer := t.Sender()
	// The fee payment's cost is part of GasTxBase; it is not metered, so a
	// transaction whose checks pass always pays, and pays whole.
	fee := state.NewCache(s)
	if err := a.payFee(fee, signer, t); err != nil {
		fee.Discard()
		return result(err, t.GasLimit, meter.Used())
	}
	if err := fee.Write(); err != nil {
		return result(fmt.Errorf("write fee payment: %w", err), t.GasLimit, meter.Used())
	}
	msgs := state.NewCache(s)
	ms := gasStore{parent: msgs, meter: meter}
	var evs []abci.Event
	var data [][]byte
	for i, m := range t.Msgs {
		h, ok := a.routes[m.TypeURL]
		if !ok {
			msgs.Discard()
			return result(fmt.Errorf("%w: message %d has type %q", ErrUnknownMessage, i, m.TypeURL), t.GasLimit, meter.Used())
		}
		mr, err := runMsg(h, a, env, ms, signer, m.Value)
		if err != nil {
			msgs.Discard()
			return result(fmt.Errorf("message %d: %w", i, err), t.GasLimit, meter.Used())
		}
		evs = append(evs, mr.events...)
		data = append(data, mr.data)
	}
	if err := msgs.Write(); err != nil {
		return result(fmt.Errorf("write messages' state: %w", err), t.GasLimit, meter.Used())
	}
	r := result(nil, t.GasLimit, meter.Used())
	r.Events = evs
	if slices.ContainsFunc(data, func(d []byte) bool { return d != nil }) {
		// The data of each message, in order, as a JSON list of base64
		// strings (null for a message without data).
		r.Data, _ = json.Marshal(data)
	}
	return r
}

// runMsg runs one message's handler. A panic in it (a bug that some input
// reaches) fails the transaction with ErrPanic instead of stopping the
// node: the message's state changes are in a cache that is then discarded.
func runMsg(h handler, a *App, env *txEnv, s state.Store, signer keys.Address, msg []byte) (mr msgResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			mr, err = msgResult{}, fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	return h(a, env, s, signer, msg)
}

// classifyDecode maps the tx package's decoding errors to the app's codes.
func classifyDecode(err error) error {
	switch {
	case errors.Is(err, tx.ErrTooLarge):
		return fmt.Errorf("%w: %v", ErrTxTooLarge, err)
	case errors.Is(err, tx.ErrUnsupportedVersion):
		return fmt.Errorf("%w: %v", ErrUnsupportedVersion, err)
	default:
		return fmt.Errorf("%w: %v", ErrTxDecode, err)
	}
}

// checkStateless runs the checks that do not read state: chain, gas limit,
// fee and signature.
func (a *App) checkStateless(t *tx.Tx, raw []byte, meter *GasMeter) error {
	if t.ChainID != a.chainID {
		return fmt.Errorf("%w: transaction is for %q, this chain is %q", ErrWrongChainID, t.ChainID, a.chainID)
	}
	if len(t.Msgs) == 0 {
		return ErrNoMessages
	}
	if t.GasLimit == 0 || t.GasLimit > MaxGasPerTx || (a.maxGas >= 0 && t.GasLimit > uint64(a.maxGas)) {
		return fmt.Errorf("%w: %d (1 to %d)", ErrGasLimit, t.GasLimit, min(MaxGasPerTx, uint64(a.maxGas)))
	}
	if err := checkDenom(t.Fee); err != nil {
		return fmt.Errorf("fee: %w", err)
	}
	if minFee := a.params.MinFee(t.GasLimit); t.Fee.Amount < minFee {
		return fmt.Errorf("%w: %d%s for gas limit %d, minimum %d%s", ErrFeeTooLow, t.Fee.Amount, Denom, t.GasLimit, minFee, Denom)
	}
	if err := meter.Consume(GasTxBase+GasTxPerByte*uint64(len(raw)), "transaction size"); err != nil {
		return err
	}
	verifyGas := uint64(GasVerifyEd25519)
	if t.Signer.Type == keys.KeyP256 {
		verifyGas = GasVerifyP256
	}
	if err := meter.Consume(verifyGas, "signature"); err != nil {
		return err
	}
	if err := a.txs.verify(raw, t); err != nil { // the same bytes verified before: the same answer
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// checkTx runs the checks that must pass before a transaction may pay a fee.
// It reads state but writes nothing.
func (a *App) checkTx(s state.Store, t *tx.Tx, raw []byte, meter *GasMeter) error {
	if err := a.checkStateless(t, raw, meter); err != nil {
		return err
	}
	seq, err := getU64(gasStore{parent: s, meter: meter}, SequenceKey(t.Sender()))
	if err != nil {
		return err
	}
	switch {
	case t.Sequence < seq:
		return fmt.Errorf("%w: got %d, account is at %d", ErrSequenceReplayed, t.Sequence, seq)
	case t.Sequence > seq:
		return fmt.Errorf("%w: got %d, account is at %d", ErrSequenceSkipped, t.Sequence, seq)
	}
	return nil
}

// payFee moves the fee to the fee collector, advances the sender's sequence
// and records its public key on its first transaction.
func (a *App) payFee(s state.Store, signer keys.Address, t *tx.Tx) error {
	if err := subBalance(s, signer, t.Fee.Amount); err != nil {
		return fmt.Errorf("fee: %w", err)
	}
	if err := addBalance(s, FeeCollector, t.Fee.Amount); err != nil {
		return err
	}
	if t.Sequence == 0 {
		if err := s.Set(PubKeyKey(signer), encodePubKey(t.Signer)); err != nil {
			return err
		}
	}
	return setU64(s, SequenceKey(signer), t.Sequence+1)
}
