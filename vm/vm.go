// Package vm runs Hermetic's smart contracts: WebAssembly modules that follow
// the CosmWasm 1.x contract ABI, on the wazero runtime with its compiler
// engine. Uploaded code is validated (size, one memory, the required
// exports, the capabilities it asks for) and rewritten for deterministic gas
// metering (package vm/meter) before it is compiled; compiled code is cached
// on disk in the node's home.
//
// Every call runs in an instance of its own, initialised (a Go contract's
// runtime started) and reset to the same snapshot whether it is fresh or
// pooled (see pool.go), with a memory limit, the CosmWasm host functions
// ("env" imports) bound to that call's state, and a gas limit. Out of gas, a
// memory limit, a trap or an abort end the call with an error and the caller
// discards its writes.
//
// Determinism: the engine runs integer code deterministically, the metering
// rewrite canonicalises NaNs, the host functions give the same answers on
// every node (no clock, randomness or map order reaches a contract except
// through Env), and a contract's start-up runs in a fixed environment of its
// own, uncharged, so that pooling cannot change a call's result or gas.
package vm

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero"
)

// Config tunes a VM.
type Config struct {
	// CacheDir keeps compiled code between runs (the node's home); empty
	// keeps it in memory only.
	CacheDir string
	// MemoryLimitPages caps a contract's memory, in 64 KiB pages
	// (default 512: 32 MiB).
	MemoryLimitPages uint32
	// MaxCodeSize caps an uploaded module, uncompressed (default 8 MiB: a Go
	// contract using encoding/json is about 3.4 MB).
	MaxCodeSize int
	// CopyOnWriteReset resets pooled instances copy-on-write on Linux
	// (memory_linux.go) instead of copying the whole snapshot back. It is
	// off by default: it makes a token transfer about a quarter faster, but
	// a call that writes one byte in every 4 KiB page of a 32 MiB memory
	// then takes 27-42 ms in page faults on this machine, against 3-6 ms
	// with copying (BenchmarkPageTouch), and the gas schedule prices the
	// copy (callPageGas), not the faults: a block of such calls would take
	// ten seconds. It may be turned on once page faults are priced.
	CopyOnWriteReset bool
}

// Defaults.
const (
	DefaultMemoryLimitPages = 512
	DefaultMaxCodeSize      = 8 << 20
)

// VM compiles and runs contracts. It is safe for concurrent use; each call
// runs in its own instance.
type VM struct {
	cfg   Config
	rt    wazero.Runtime
	cache wazero.CompilationCache
	// checker is an interpreter runtime that only validates (Validate).
	checker wazero.Runtime

	wasiFuncs []string // the WASI functions a Go contract may import

	mu       sync.Mutex
	compiled map[[32]byte]*program

	// Instance pooling (pool.go); poolPerCode 0 gives every call a fresh
	// instance that runs _initialize.
	poolPerCode  int
	maxPooled    int
	maxSnapshots int
	cow          bool          // copy-on-write resets (Linux; memory_linux.go)
	pooled       atomic.Int64  // idle instances in all pools
	clock        atomic.Uint64 // counts calls, for eviction
	closed       atomic.Bool
}

// Errors callers can test for.
var (
	// ErrInvalidCode: the module is not valid WebAssembly or breaks an
	// upload rule; the message says which.
	ErrInvalidCode = errors.New("invalid contract code")
	// ErrCodeTooLarge: the module exceeds MaxCodeSize.
	ErrCodeTooLarge = errors.New("contract code too large")
	// ErrMissingExport: a required export is missing.
	ErrMissingExport = errors.New("contract lacks a required export")
	// ErrCapability: the contract requires a capability Hermetic lacks.
	ErrCapability = errors.New("contract requires a capability Hermetic does not offer")
	// ErrUnknownImport: the contract imports a function Hermetic does not
	// provide.
	ErrUnknownImport = errors.New("contract imports an unknown function")
	// ErrOutOfGas: the call used up its gas.
	ErrOutOfGas = errors.New("out of gas")
	// ErrTrap: the contract trapped (unreachable, bad memory access, a
	// division by zero...) or aborted; the message says why.
	ErrTrap = errors.New("contract trapped")
	// ErrMemory: the contract passed a region outside its memory or
	// exceeded the memory limit.
	ErrMemory = errors.New("contract memory error")
	// ErrNoEntryPoint: the contract does not export the entry point called.
	ErrNoEntryPoint = errors.New("contract has no such entry point")
	// ErrUnknownCode: no code with that hash was stored in this VM.
	ErrUnknownCode = errors.New("unknown code")
)

// New returns a VM.
func New(ctx context.Context, cfg Config) (*VM, error) {
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = DefaultMemoryLimitPages
	}
	if cfg.MaxCodeSize == 0 {
		cfg.MaxCodeSize = DefaultMaxCodeSize
	}
	v := &VM{cfg: cfg, compiled: map[[32]byte]*program{},
		poolPerCode: defaultPoolPerCode, maxPooled: defaultMaxPooled, maxSnapshots: defaultMaxSnapshots,
		cow: cfg.CopyOnWriteReset && cowSupported()}
	rc := wazero.NewRuntimeConfigCompiler().
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		// wazero's own check of the context at every function entry and
		// loop header costs 40-50% of a token transfer's time; a call
		// whose context ends is stopped through its gas instead (see
		// interruptOnDone).
		WithCloseOnContextDone(false)
	if cfg.CacheDir != "" {
		c, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("open compilation cache in %s: %w", cfg.CacheDir, err)
		}
		v.cache = c
		rc = rc.WithCompilationCache(c)
	}
	v.rt = wazero.NewRuntimeWithConfig(ctx, rc)
	// Validate decodes and validates modules with wazero's interpreter,
	// which does what the compiler does before generating machine code
	// (and lowers to its own instructions): about a seventh of the
	// compiler's time for the Go token.
	v.checker = wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter().
		WithMemoryLimitPages(cfg.MemoryLimitPages).
		WithCloseOnContextDone(false))
	if err := v.instantiateHost(ctx); err != nil {
		v.rt.Close(ctx)
		v.checker.Close(ctx)
		return nil, err
	}
	return v, nil
}

// Close releases the pooled instances, the runtime and compiled code.
func (v *VM) Close(ctx context.Context) error {
	v.closed.Store(true)
	v.mu.Lock()
	programs := make([]*program, 0, len(v.compiled))
	for _, p := range v.compiled {
		programs = append(programs, p)
	}
	v.mu.Unlock()
	for _, p := range programs {
		p.drop(ctx, v)
	}
	err := v.rt.Close(ctx)
	if cerr := v.checker.Close(ctx); err == nil {
		err = cerr
	}
	if v.cache != nil {
		if cerr := v.cache.Close(ctx); err == nil {
			err = cerr
		}
	}
	return err
}
