package vm

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"

	"github.com/hermetic-chain/hermetic/state"
)

// Call is one call of a contract entry point.
type Call struct {
	// Code is the hash of the stored code to run.
	Code [32]byte
	// Entry is the entry point: instantiate, execute, query, migrate,
	// reply or sudo.
	Entry string
	Env   Env
	// Info is the sender and funds; instantiate and execute only.
	Info *MessageInfo
	// Msg is the JSON message (for reply, the JSON Reply).
	Msg []byte
	// Store is the contract's state, as the contract sees it.
	Store state.Store
	// Querier answers query_chain; nil refuses every query.
	Querier Querier
	// GasLimit is the gas the call may use.
	GasLimit uint64
	// Debug receives the contract's debug messages; nil drops them.
	Debug func(string)
}

// Result is what a call returned: the entry point's JSON result (a
// ContractResult, or a QueryResult for query) and the gas it used.
type Result struct {
	JSON    []byte
	GasUsed uint64
}

// maxResult bounds what a contract may return.
const maxResult = 4 << 20

// Call runs an entry point in an initialised instance of the code, fresh or
// pooled: the result and gas are the same either way. The error is
// ErrOutOfGas, ErrTrap (with the contract's abort message; also when the
// code's _initialize fails, with GasUsed 0), ErrMemory or ErrNoEntryPoint;
// a contract that returns {"error": ...} is not an error here, its Result
// says so. Result.GasUsed is set in every case.
func (v *VM) Call(ctx context.Context, c Call) (Result, error) {
	p, err := v.program(c.Code)
	if err != nil {
		return Result{}, err
	}
	withInfo := c.Entry == "instantiate" || c.Entry == "execute"
	if _, ok := p.cm.ExportedFunctions()[c.Entry]; !ok {
		return Result{}, fmt.Errorf("%w: %s", ErrNoEntryPoint, c.Entry)
	}
	if withInfo && c.Info == nil {
		return Result{}, fmt.Errorf("%s needs the message info", c.Entry)
	}
	ce := &callEnv{store: c.Store, querier: c.Querier, debug: c.Debug}
	defer func() {
		for _, it := range ce.iterators {
			it.Close()
		}
	}()
	ctx = context.WithValue(ctx, callEnvKey{}, ce)

	in, err := v.acquire(ctx, p)
	if err != nil {
		return Result{}, err
	}
	ce.inst = in
	in.wasi.setCall(c.Env)
	in.gas.Set(c.GasLimit)
	in.price.Set(accessPrice(in.mod.Memory().Size()))
	stop := interruptOnDone(ctx, in.gas)
	res, err := v.run(ctx, in, c, withInfo)
	stop()
	left := in.gas.Get()
	v.release(ctx, p, in, err == nil)
	if err != nil && ctx.Err() != nil {
		return Result{GasUsed: c.GasLimit - left}, fmt.Errorf("contract stopped: %w", ctx.Err())
	}
	if err != nil {
		return Result{GasUsed: c.GasLimit - left}, classify(err, left, ce)
	}
	return Result{JSON: res, GasUsed: c.GasLimit - left}, nil
}

// callPageGas is what a call's reset costs for a memory of pages pages:
// GasPerCallPage for each of the first CallPagesInCache, which the copy
// finds in the cache, and GasPerCallPageBeyondCache for each page after.
func callPageGas(pages uint64) uint64 {
	in := min(pages, CallPagesInCache)
	return in*GasPerCallPage + (pages-in)*GasPerCallPageBeyondCache
}

// interruptOnDone stops a running call when ctx is done, the way running
// out of gas stops it: it keeps the call's gas counter at zero, so the
// metering code traps at the next basic block (or host function), until the
// returned stop is called; stop waits for it to have finished. A context
// that can never be done (every transaction's) costs nothing.
//
// The counter is a wasm global that the guest reads and writes at every
// basic block; this goroutine's writes to it are single aligned 64-bit
// stores, and it repeats them every millisecond because a guest store of
// the value it read just before may overwrite one. Only the gas word is
// shared, and only until stop returns, before the instance goes back to
// the pool or is closed.
func interruptOnDone(ctx context.Context, gas api.MutableGlobal) (stop func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	var finished atomic.Bool
	exited := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		defer close(exited)
		for !finished.Load() {
			gas.Set(0)
			time.Sleep(time.Millisecond)
		}
	})
	return func() {
		finished.Store(true)
		if !cancel() {
			<-exited
		}
	}
}

// run passes the inputs, calls the entry point and reads its result. The
// instance is initialised already.
func (v *VM) run(ctx context.Context, in *instance, c Call, withInfo bool) ([]byte, error) {
	mod := in.mod
	envJSON, err := json.Marshal(c.Env)
	if err != nil {
		return nil, err
	}
	args := make([]uint64, 0, 3)
	inputs := [][]byte{envJSON}
	if withInfo {
		infoJSON, err := json.Marshal(c.Info)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, infoJSON)
	}
	inputs = append(inputs, c.Msg)
	// Every call starts from a reset instance: its memory was copied back
	// from the snapshot, per page (docs/gas.md).
	if err := take(mod, callPageGas(uint64(mod.Memory().Size()/65536))); err != nil {
		return nil, err
	}
	for _, input := range inputs {
		if err := take(mod, GasPerByte*uint64(len(input))); err != nil {
			return nil, err
		}
		ptr, err := passBytes(ctx, mod, input)
		if err != nil {
			return nil, err
		}
		args = append(args, uint64(ptr))
	}
	out, err := in.export(c.Entry).Call(ctx, args...)
	if err != nil {
		return nil, err
	}
	return readBytes(mod.Memory(), uint32(out[0]), maxResult)
}

// classify maps what ended a call to the package's errors. The metering
// code sets the gas counter to zero before it traps for lack of gas.
func classify(err error, gasLeft uint64, ce *callEnv) error {
	switch {
	case errors.Is(err, ErrOutOfGas), gasLeft == 0:
		return ErrOutOfGas
	case errors.Is(err, ErrMemory), errors.Is(err, ErrTrap), errors.Is(err, ErrInvalidCode):
		return unwrapRecovered(err)
	}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		return fmt.Errorf("%w: exited with code %d", ErrTrap, exit.ExitCode())
	}
	return fmt.Errorf("%w: %s", ErrTrap, firstLine(err.Error()))
}

// unwrapRecovered drops wazero's stack trace from a host error.
func unwrapRecovered(err error) error {
	for _, target := range []error{ErrMemory, ErrTrap, ErrInvalidCode} {
		if errors.Is(err, target) {
			return fmt.Errorf("%w: %s", target, trimPrefix(firstLine(err.Error()), target.Error()+": "))
		}
	}
	return err
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			s = s[:i]
			break
		}
	}
	const suffix = " (recovered by wazero)"
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		s = s[:len(s)-len(suffix)]
	}
	return s
}

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

// moduleConfig gives an instance nothing of the host: no files, arguments,
// environment or stdio. Its clocks and random bytes come from w, which the
// VM sets before _initialize (fixed values) and before every call (the
// block time; a stream seeded by the block and contract), so a Go contract
// behaves the same on every validator.
func (v *VM) moduleConfig(w *wasiState) wazero.ModuleConfig {
	return wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions().
		WithRandSource(w).
		WithWalltime(w.walltime, sys.ClockResolution(1)).
		WithNanotime(w.nanotime, sys.ClockResolution(1))
}

// hashStream is a deterministic byte stream: SHA-256(seed ‖ counter) blocks.
type hashStream struct {
	seed [32]byte
	n    uint64
	buf  []byte
}

func (h *hashStream) Read(p []byte) (int, error) {
	for i := range p {
		if len(h.buf) == 0 {
			var c [8]byte
			binary.BigEndian.PutUint64(c[:], h.n)
			h.n++
			b := sha256.Sum256(append(h.seed[:], c[:]...))
			h.buf = b[:]
		}
		p[i], h.buf = h.buf[0], h.buf[1:]
	}
	return len(p), nil
}
