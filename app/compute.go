package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
	"github.com/hermetic-chain/hermetic/vm/meter"
)

// Gas of the compute module on top of what the VM meters (docs/gas.md).
const (
	// VMGasPerGas is how many units of VM gas make one unit of transaction
	// gas: VM gas is about 0.1 ns (one plain wasm instruction), transaction
	// gas about 1 ns.
	VMGasPerGas = 10
	// GasStoreCodePerByte is charged per byte of the uncompressed module
	// before anything else is done with it: unpacking, instrumenting and
	// validating it take about 0.2 µs a byte (vm.UploadCost;
	// store/go-token). Once the module is validated, the upload is charged
	// what the model says its validation took beyond that (large functions
	// take longer a byte) and, if the block compiles it
	// (compute.SyncCompileMax), GasCompileCodeFlat plus one unit a ns of its
	// estimated compile time (store/wat, store/wat-200KiB).
	GasStoreCodePerByte = 200
	GasCompileCodeFlat  = 2_000_000
	// GasContractCall: the enclave opens the input and seals the outputs,
	// the keeper reads the contract and code records, the VM takes a pooled
	// instance and passes env and info (call/wat-confidential).
	GasContractCall = 100_000
	// DefaultQueryGasLimit bounds a contract query served by the API
	// unless Options.QueryGasLimit says otherwise, in VM gas: about 50 ms
	// of a core at the schedule's rate (it was 50,000,000 of the old VM gas,
	// one per instruction, which a tight loop took about as long to burn). A
	// query costs its sender nothing, so this, the API's query slots and
	// its time budget are what bound what strangers can take.
	DefaultQueryGasLimit = 500_000_000
)

// Errors of contract calls, each with its own code.
var (
	ErrContractFailed = compute.ErrContractFailed
	ErrContractInput  = compute.ErrInput
	ErrUnknownCode    = compute.ErrUnknownCode
	ErrNoContract     = compute.ErrUnknownContract
	ErrNotAdmin       = compute.ErrNotAdmin
	ErrContractMsg    = compute.ErrUnsupportedMsg
	ErrInvalidCode    = vm.ErrInvalidCode
	ErrNoCompute      = errors.New("this node runs no contract VM")
)

// Transfer implements compute.Bank over raw addresses: 20-byte accounts and
// 32-byte contracts share the balance table.
func (a *App) Transfer(s state.Store, from, to []byte, amount uint64) error {
	fb, err := getU64(s, rawBalanceKey(from))
	if err != nil {
		return err
	}
	if fb < amount {
		return fmt.Errorf("%w: has %d%s, needs %d%s", ErrInsufficientFunds, fb, Denom, amount, Denom)
	}
	tb, err := getU64(s, rawBalanceKey(to))
	if err != nil {
		return err
	}
	if tb+amount < tb {
		return fmt.Errorf("%w: balance overflow", ErrInvalidMessage)
	}
	if err := setU64(s, rawBalanceKey(from), fb-amount); err != nil {
		return err
	}
	return setU64(s, rawBalanceKey(to), tb+amount)
}

func rawBalanceKey(addr []byte) []byte { return append([]byte{prefixBalance}, addr...) }

// computeBlock is the block a contract call sees. Contracts run only in
// FinalizeBlock (CheckTx does not run them).
func (a *App) computeBlock(b *blockContext) compute.Block {
	b.pos.TxIndex = uint64(b.txIndex)
	return compute.Block{Height: b.height, Time: b.time, ChainID: a.chainID, TxIndex: b.txIndex, Pos: &b.pos}
}

// computeStore splits a message's store into the state the contract call
// writes (whose gas the VM meters itself) and the transaction's meter.
func computeStore(s state.Store) (state.Store, *GasMeter) {
	if g, ok := s.(gasStore); ok {
		return g.parent, g.meter
	}
	return s, NewGasMeter(1 << 62)
}

func (a *App) keeperFor() (*compute.Keeper, error) {
	if a.compute == nil {
		return nil, ErrNoCompute
	}
	return a.compute, nil
}

// charge adds a contract call's VM gas, scaled, to the transaction's meter
// and maps the VM's out-of-gas to the app's.
func charge(meter *GasMeter, used uint64, err error) error {
	if cerr := meter.Consume((used+VMGasPerGas-1)/VMGasPerGas, "contract"); cerr != nil {
		return cerr
	}
	if errors.Is(err, vm.ErrOutOfGas) {
		return fmt.Errorf("%w: contract", ErrOutOfGas)
	}
	return err
}

// remaining is the VM gas a contract call may use: what is left of the
// transaction's gas, scaled.
func remaining(m *GasMeter) uint64 {
	left := m.Limit() - m.Used()
	if left > math.MaxUint64/VMGasPerGas {
		return math.MaxUint64
	}
	return left * VMGasPerGas
}

// Contract messages are not run in CheckTx: the mempool checks the
// signature, fee, sequence and the message's form, and that the code or
// contract exists; compiling code and running contracts happen once, in
// the block (as the Cosmos SDK's CheckTx runs only its ante handler).
// Their gas is charged in the block.

// StoreCodeGas is the gas an upload of the module wasm (uncompressed) is
// charged for the module, besides the transaction's own; an error if the
// module does not instrument (the chain refuses it).
func StoreCodeGas(wasm []byte) (uint64, error) {
	_, info, err := meter.Instrument(wasm, vm.MeterConfig())
	if err != nil {
		return 0, fmt.Errorf("%w: %v", vm.ErrInvalidCode, err)
	}
	validate, compile := vm.UploadCost(info.BodySizes)
	return uploadGas(len(wasm), validate, compile), nil
}

// uploadGas is what a module of size bytes whose validation and
// compilation take validate and compile costs: the per-byte price, or what
// validating took if more, and the compilation if the block does it.
func uploadGas(size int, validate, compile time.Duration) uint64 {
	gas := max(GasStoreCodePerByte*uint64(size), uint64(validate))
	if compile > 0 && compile <= compute.SyncCompileMax {
		gas += GasCompileCodeFlat + uint64(compile)
	}
	return gas
}

func handleStoreCode(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgStoreCode) (msgResult, error) {
	if err := authorize(signer, m.Sender); err != nil {
		return msgResult{}, err
	}
	k, err := a.keeperFor()
	if err != nil {
		return msgResult{}, err
	}
	st, meter := computeStore(s)
	size := len(m.WASM)
	if wasm, err := vm.Unpack(m.WASM, vm.DefaultMaxCodeSize); err == nil {
		size = max(size, len(wasm)) // compilation works on the uncompressed module
	}
	upfront := GasStoreCodePerByte * uint64(size)
	if err := meter.Consume(upfront, "store code"); err != nil {
		return msgResult{}, err
	}
	if env.check {
		return msgResult{}, nil
	}
	charge := func(validate, compile time.Duration) error {
		return meter.Consume(uploadGas(size, validate, compile)-upfront, "validate and compile code")
	}
	id, info, err := k.StoreCode(context.Background(), st, a.computeBlock(env.block), m.Sender, m.WASM, charge)
	if err != nil {
		return msgResult{}, err
	}
	attrs := []abci.EventAttribute{
		{Key: "code_id", Value: strconv.FormatUint(id, 10), Index: true},
		{Key: "code_hash", Value: info.CodeHash, Index: true},
		{Key: "creator", Value: m.Sender.String()},
	}
	if !info.ReadyAt.IsZero() {
		attrs = append(attrs, abci.EventAttribute{Key: "ready_at", Value: info.ReadyAt.Format(time.RFC3339Nano)})
	}
	return msgResult{events: []abci.Event{{Type: "store_code", Attributes: attrs}}, data: []byte(strconv.FormatUint(id, 10))}, nil
}

func contractEvents(addr keys.ContractAddress, res compute.Result) []abci.Event {
	event := func(typ string, attrs []vm.Attribute) abci.Event {
		ev := abci.Event{Type: typ, Attributes: []abci.EventAttribute{{Key: "contract_address", Value: addr.String(), Index: true}}}
		for _, at := range attrs {
			ev.Attributes = append(ev.Attributes, abci.EventAttribute{Key: at.Key, Value: at.Value})
		}
		return ev
	}
	evs := []abci.Event{event("wasm", res.Attributes)}
	for _, e := range res.Events {
		evs = append(evs, event("wasm-"+e.Type, e.Attributes))
	}
	return evs
}

// contractCall is what the handlers that run a contract share: the message
// is the signer's, funds are in uherm, the call costs GasContractCall, and
// CheckTx only checks that the code or contract exists (exists) and runs
// nothing. Otherwise run gets what is left of the transaction's gas in VM
// gas, and what the VM used is charged. ran is false in CheckTx.
func (a *App) contractCall(env *txEnv, s state.Store, signer, sender keys.Address, funds tx.Coin, what string,
	exists func(state.Store) error,
	run func(k *compute.Keeper, st state.Store, b compute.Block, gas uint64) (compute.Result, error),
) (res compute.Result, ran bool, err error) {
	if err := authorize(signer, sender); err != nil {
		return res, false, err
	}
	if funds.Amount > 0 {
		if err := checkDenom(funds); err != nil {
			return res, false, err
		}
	}
	k, err := a.keeperFor()
	if err != nil {
		return res, false, err
	}
	st, meter := computeStore(s)
	if err := meter.Consume(GasContractCall, what); err != nil {
		return res, false, err
	}
	if env.check {
		return res, false, exists(st)
	}
	res, err = run(k, st, a.computeBlock(env.block), remaining(meter))
	return res, true, charge(meter, res.GasUsed, err)
}

func handleInstantiate(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgInstantiate) (msgResult, error) {
	var addr keys.ContractAddress
	res, ran, err := a.contractCall(env, s, signer, m.Sender, m.Funds, "instantiate",
		func(st state.Store) error { _, err := compute.Code(st, m.CodeID); return err },
		func(k *compute.Keeper, st state.Store, b compute.Block, gas uint64) (compute.Result, error) {
			var res compute.Result
			var err error
			addr, res, err = k.Instantiate(context.Background(), st, b, m, gas)
			return res, err
		})
	if err != nil || !ran {
		return msgResult{}, err
	}
	evs := append(contractEvents(addr, res), abci.Event{Type: "instantiate", Attributes: []abci.EventAttribute{
		{Key: "contract_address", Value: addr.String(), Index: true},
		{Key: "code_id", Value: strconv.FormatUint(m.CodeID, 10), Index: true},
	}})
	return msgResult{events: evs, data: append([]byte(addr.String()+"\n"), res.Data...)}, nil
}

func contractExists(addr keys.ContractAddress) func(state.Store) error {
	return func(st state.Store) error { return compute.ContractExists(st, addr) }
}

func handleExecute(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgExecute) (msgResult, error) {
	res, ran, err := a.contractCall(env, s, signer, m.Sender, m.Funds, "execute", contractExists(m.Contract),
		func(k *compute.Keeper, st state.Store, b compute.Block, gas uint64) (compute.Result, error) {
			return k.Execute(context.Background(), st, b, m, gas)
		})
	if err != nil || !ran {
		return msgResult{}, err
	}
	return msgResult{events: contractEvents(m.Contract, res), data: res.Data}, nil
}

func handleMigrate(a *App, env *txEnv, s state.Store, signer keys.Address, m *tx.MsgMigrate) (msgResult, error) {
	res, ran, err := a.contractCall(env, s, signer, m.Sender, tx.Coin{}, "migrate", contractExists(m.Contract),
		func(k *compute.Keeper, st state.Store, b compute.Block, gas uint64) (compute.Result, error) {
			return k.Migrate(context.Background(), st, b, m, gas)
		})
	if err != nil || !ran {
		return msgResult{}, err
	}
	return msgResult{events: contractEvents(m.Contract, res), data: res.Data}, nil
}

// ContractQuery runs a contract's query on the latest committed state. msg
// is the encrypted wire unless plaintext; so is the answer.
func (a *App) ContractQuery(ctx context.Context, addr keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error) {
	k, err := a.keeperFor()
	if err != nil {
		return nil, err
	}
	s, err := a.snapshot(0)
	if err != nil {
		return nil, err
	}
	b := compute.Block{Height: s.Version(), Time: a.LastBlockTime(), ChainID: a.chainID}
	out, _, err := k.Query(ctx, s, b, addr, msg, plaintext, a.queryGas)
	if errors.Is(err, vm.ErrOutOfGas) {
		return nil, fmt.Errorf("%w: the query used all of its %d VM gas", ErrOutOfGas, a.queryGas)
	}
	return out, err
}

// CodeInfo returns stored code's info at the latest height.
func (a *App) CodeInfo(id uint64) (compute.CodeInfo, error) {
	s, err := a.snapshot(0)
	if err != nil {
		return compute.CodeInfo{}, err
	}
	return compute.Code(s, id)
}

// ContractInfo returns a contract's info at the latest height.
func (a *App) ContractInfo(addr keys.ContractAddress) (compute.ContractInfo, error) {
	s, err := a.snapshot(0)
	if err != nil {
		return compute.ContractInfo{}, err
	}
	return compute.Contract(s, addr)
}
