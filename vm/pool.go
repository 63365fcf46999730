package vm

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/hermetic-chain/hermetic/vm/meter"
)

// Instance pooling.
//
// Starting a Go contract's runtime (its WASI reactor's _initialize) costs
// milliseconds, more than most calls. So the VM runs _initialize once per
// code, snapshots the initialised instance – its memory and every mutable
// global, which the metering rewrite exports for this purpose – and runs
// calls in pooled instances that are reset to the snapshot after each call.
// More instances of the same code are made by instantiating the module and
// restoring the snapshot into it, without running _initialize again.
//
// Determinism rule: a call's results and gas do not depend on whether it ran
// in a fresh or a pooled instance, on the pool's history or on restarts.
// Hence:
//
//   - _initialize runs in a fixed environment that depends on the code alone:
//     its random bytes come from a stream seeded by the code hash, its clocks
//     read fixed values (wall clock 0, monotonic clock initNanotime), it can
//     call no host function, and its gas comes from a fixed budget
//     (InitGas), not from the call: start-up is never charged to a call.
//     Every node computes the same initialised instance, so a snapshot is
//     the same everywhere, and a code whose _initialize fails fails every
//     call the same way.
//   - Before every call the instance's WASI random source and clocks are
//     pointed at the call's values (a stream seeded by chain id, block height
//     and contract address; the block time), through an indirection each
//     instance gets at instantiation (wazero fixes a module's random source
//     and clock functions then).
//   - Resetting restores memory and mutable globals; immutable globals
//     cannot change. Memory cannot shrink, so an instance whose memory grew
//     during a call is discarded, as is one whose call failed (trap, out of
//     gas, abort). The rest of an instance's state is kept out of reach:
//     WASI's fd_close and fd_renumber are refused (the file table never
//     changes), and modules that use instructions changing tables or
//     segments (meter.Info.StateOps) are never pooled: every call of theirs
//     gets a fresh instance.
//
// Which instance a call gets, how many are pooled and when snapshots are
// dropped affect only speed.
//
// On Linux a reset maps the snapshot copy-on-write instead of copying it
// (memory_linux.go); the memory's contents afterwards are the same.

// InitGas is the gas budget of a contract's _initialize (a Go contract's
// runtime start-up: 10.9 million gas for contracts/counter). It is not
// charged to any call; a code whose start-up needs more cannot be called.
const InitGas = 1 << 32

// initNanotime is what the monotonic clock reads during _initialize: the Go
// runtime refuses to start if it reads zero.
const initNanotime = 1

// Pool sizes (defaults; they affect speed and memory only).
const (
	defaultPoolPerCode  = 4  // idle instances kept per code
	defaultMaxPooled    = 64 // idle instances kept in all
	defaultMaxSnapshots = 64 // codes whose snapshot is kept
)

// program is a stored code: its compiled module and its instance pool.
type program struct {
	hash [32]byte
	cm   wazero.CompiledModule
	// globals are the export names of every global of the instrumented
	// module, the gas counter last.
	globals []string
	// stateOps are the instructions that make instances of the module
	// impossible to reset (meter.Info.StateOps); if any, no pooling.
	stateOps []string
	hasInit  bool

	mu      sync.Mutex
	snap    *snapshot   // nil until the first pooled call, or once evicted
	initErr error       // _initialize failed: every call fails the same way
	free    []*instance // reset instances, ready for a call
	lastUse uint64      // VM.clock at the last call, for eviction
}

func newProgram(hash [32]byte, cm wazero.CompiledModule, info meter.Info) *program {
	_, hasInit := cm.ExportedFunctions()["_initialize"]
	return &program{
		hash:     hash,
		cm:       cm,
		globals:  append(append([]string(nil), info.GlobalNames...), GasGlobal),
		stateOps: info.StateOps,
		hasInit:  hasInit,
	}
}

// snapshot is an initialised instance's state.
type snapshot struct {
	mem    []byte
	names  []string // the mutable globals, by export name
	values []uint64 // their values
	// file holds mem for copy-on-write resets (Linux); nil: resets copy.
	// The program that holds the snapshot and every instance attached to
	// it hold a reference.
	file *snapshotFile
}

func (s *snapshot) retain() {
	if s.file != nil {
		s.file.retain()
	}
}

func (s *snapshot) release() {
	if s.file != nil {
		s.file.release()
	}
}

// instance is an instantiated module.
type instance struct {
	mod     api.Module
	gas     api.MutableGlobal
	price   api.MutableGlobal // the price of a load or store (accessTiers)
	wasi    *wasiState
	mem     *cowMemory          // the memory, if a reserved mapping; nil: a Go slice
	snap    *snapshot           // what the instance resets to; nil: not poolable
	globals []api.MutableGlobal // snap.names, in order
	// funcs are the exports the VM has called, kept: wazero's
	// ExportedFunction makes a new call engine (and stack) each time,
	// about 10 µs, and a call uses allocate once per input and per host
	// result.
	funcs map[string]api.Function
}

// export returns the exported function name, or nil.
func (in *instance) export(name string) api.Function {
	if f, ok := in.funcs[name]; ok {
		return f
	}
	f := in.mod.ExportedFunction(name)
	if f != nil {
		if in.funcs == nil {
			in.funcs = map[string]api.Function{}
		}
		in.funcs[name] = f
	}
	return f
}

func (in *instance) close(ctx context.Context) {
	_ = in.mod.Close(ctx)
	if in.mem != nil {
		in.mem.unmap()
	}
	if in.snap != nil {
		in.snap.release()
		in.snap = nil
	}
}

// attach makes snap the state the instance resets to, holding a reference
// to it; the caller must hold one across the call.
func (in *instance) attach(snap *snapshot) error {
	gs := make([]api.MutableGlobal, len(snap.names))
	for i, n := range snap.names {
		g, ok := in.mod.ExportedGlobal(n).(api.MutableGlobal)
		if !ok {
			return fmt.Errorf("vm: snapshot global %s missing", n)
		}
		gs[i] = g
	}
	snap.retain()
	in.snap, in.globals = snap, gs
	return nil
}

// reset restores the snapshot, growing memory to its size first (an
// instance fresh from instantiation has its initial size). It fails if the
// memory is larger than the snapshot's: memory cannot shrink. A memory
// that is copy-on-write gets the snapshot mapped over it; others get it
// copied.
func (in *instance) reset() bool {
	mem := in.mod.Memory()
	want := uint32(len(in.snap.mem))
	size := mem.Size()
	if size > want {
		return false
	}
	if size < want {
		if _, ok := mem.Grow((want - size) / 65536); !ok || mem.Size() != want {
			return false
		}
	}
	mapped := false
	if in.mem != nil && in.snap.file != nil {
		ok, broken := in.mem.restore(in.snap.file, in.snap.mem)
		if broken {
			return false
		}
		mapped = ok
	}
	if !mapped {
		view, ok := mem.Read(0, want)
		if !ok {
			return false
		}
		copy(view, in.snap.mem)
	}
	for i, g := range in.globals {
		g.Set(in.snap.values[i])
	}
	return true
}

// takeSnapshot captures an initialised instance.
func takeSnapshot(in *instance, globals []string) (*snapshot, error) {
	mem := in.mod.Memory()
	view, ok := mem.Read(0, mem.Size())
	if !ok {
		return nil, errors.New("vm: read memory for the snapshot")
	}
	s := &snapshot{mem: append([]byte(nil), view...)}
	for _, n := range globals {
		g := in.mod.ExportedGlobal(n)
		if g == nil {
			return nil, fmt.Errorf("vm: global %s missing", n)
		}
		if mg, ok := g.(api.MutableGlobal); ok {
			s.names = append(s.names, n)
			s.values = append(s.values, mg.Get())
		}
	}
	return s, nil
}

// wasiState is what an instance's WASI random source and clocks read: the
// fixed start-up values during _initialize, the call's values during a
// call. An instance serves one call at a time.
type wasiState struct {
	rand hashStream
	wall int64 // nanoseconds since the Unix epoch
	mono int64
}

func (w *wasiState) Read(p []byte) (int, error) { return w.rand.Read(p) }

func (w *wasiState) walltime() (int64, int32) { return w.wall / 1e9, int32(w.wall % 1e9) }

func (w *wasiState) nanotime() int64 { return w.mono }

// setInit sets the start-up environment of a code: it depends on the code
// hash alone.
func (w *wasiState) setInit(code [32]byte) {
	w.rand = hashStream{seed: sha256.Sum256(append([]byte("hermetic/vm/rand/init/v1\x00"), code[:]...))}
	w.wall, w.mono = 0, initNanotime
}

// setCall sets a call's environment: clocks at the block time, random bytes
// from a stream seeded by the chain id, block height and contract address.
func (w *wasiState) setCall(env Env) {
	nanos, _ := strconv.ParseInt(env.Block.Time, 10, 64)
	w.rand = hashStream{seed: sha256.Sum256(fmt.Appendf(nil, "hermetic/vm/rand/v1\x00%s\x00%d\x00%s", env.Block.ChainID, env.Block.Height, env.Contract.Address))}
	w.wall, w.mono = nanos, nanos
}

// instantiate makes an instance of p, in p's start-up environment.
func (v *VM) instantiate(ctx context.Context, p *program) (*instance, error) {
	w := &wasiState{}
	w.setInit(p.hash)
	// The memory is a mapping reserved at its maximum size where the
	// system has them (Linux), whether or not resets are copy-on-write: a
	// load at random through it takes a half to a third of the time it
	// takes in a Go slice of the same size (wasm/memory-chase-8MiB: 22–28
	// ns against 88–143; -16MiB: 76–84 against 123–335, 2026-12-06), which
	// is what bounds the price of a load (accessTiers); and growing it
	// copies nothing.
	var cm *cowMemory
	ctx = experimental.WithMemoryAllocator(ctx, experimental.MemoryAllocatorFunc(
		func(capacity, max uint64) experimental.LinearMemory {
			if cm = newCowMemory(max); cm != nil {
				return cm
			}
			return &heapMemory{max: max}
		}))
	mod, err := v.rt.InstantiateModule(ctx, p.cm, v.moduleConfig(w))
	if err != nil {
		if cm != nil {
			cm.unmap()
		}
		return nil, fmt.Errorf("%w: instantiate: %v", ErrTrap, err)
	}
	gas, ok := mod.ExportedGlobal(GasGlobal).(api.MutableGlobal)
	if !ok {
		_ = mod.Close(ctx)
		if cm != nil {
			cm.unmap()
		}
		return nil, fmt.Errorf("%w: no gas counter", ErrInvalidCode)
	}
	price, ok := mod.ExportedGlobal(meter.AccessPriceGlobalName).(api.MutableGlobal)
	if !ok {
		_ = mod.Close(ctx)
		if cm != nil {
			cm.unmap()
		}
		return nil, fmt.Errorf("%w: no access price", ErrInvalidCode)
	}
	return &instance{mod: mod, gas: gas, price: price, wasi: w, mem: cm}, nil
}

// initialize runs _initialize, if the module exports it, in the start-up
// environment and with the InitGas budget. Host functions refuse to run
// (there is no call).
func (v *VM) initialize(ctx context.Context, p *program, in *instance) error {
	if !p.hasInit {
		return nil
	}
	in.wasi.setInit(p.hash)
	in.gas.Set(InitGas)
	in.price.Set(accessPrice(in.mod.Memory().Size()))
	ctx = context.WithValue(ctx, callEnvKey{}, (*callEnv)(nil))
	_, err := in.export("_initialize").Call(ctx)
	if err == nil {
		return nil
	}
	err = classify(err, in.gas.Get(), nil)
	if errors.Is(err, ErrOutOfGas) {
		return fmt.Errorf("%w: _initialize needs more than %d gas", ErrTrap, uint64(InitGas))
	}
	return fmt.Errorf("%w: _initialize: %s", ErrTrap, trimPrefix(err.Error(), ErrTrap.Error()+": "))
}

// acquire returns an initialised instance of p for one call: a pooled one,
// one restored from p's snapshot, or – the first time, or when p cannot be
// pooled – a fresh one that ran _initialize.
func (v *VM) acquire(ctx context.Context, p *program) (*instance, error) {
	if v.poolPerCode <= 0 || len(p.stateOps) > 0 {
		return v.fresh(ctx, p)
	}
	p.mu.Lock()
	p.lastUse = v.clock.Add(1)
	if p.initErr != nil {
		err := p.initErr
		p.mu.Unlock()
		return nil, err
	}
	if n := len(p.free); n > 0 {
		in := p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
		v.pooled.Add(-1)
		p.mu.Unlock()
		return in, nil
	}
	snap := p.snap
	if snap == nil {
		// First use: make the snapshot, holding the lock so that
		// concurrent first calls wait for it rather than run _initialize
		// too.
		in, err := v.instantiate(ctx, p)
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		if err := v.initialize(ctx, p, in); err != nil {
			p.initErr = err // the start-up environment is fixed: it will fail again
			p.mu.Unlock()
			in.close(ctx)
			return nil, err
		}
		snap, err := takeSnapshot(in, p.globals)
		if err == nil && v.cow {
			// The copy-on-write resets' memfd; without one, resets
			// copy. p holds the one reference.
			snap.file, _ = newSnapshotFile(snap.mem)
		}
		if err == nil {
			if err = in.attach(snap); err != nil {
				snap.release()
			}
		}
		if err != nil {
			p.mu.Unlock()
			in.close(ctx)
			return nil, err
		}
		p.snap = snap
		p.mu.Unlock()
		v.evictSnapshots(ctx, p)
		return in, nil
	}
	snap.retain() // p may drop it meanwhile
	p.mu.Unlock()
	defer snap.release()
	in, err := v.instantiate(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := in.attach(snap); err != nil || !in.reset() {
		in.close(ctx)
		return nil, fmt.Errorf("%w: restore the snapshot of the initialised instance", ErrTrap)
	}
	return in, nil
}

// fresh returns a new instance that ran _initialize, not poolable.
func (v *VM) fresh(ctx context.Context, p *program) (*instance, error) {
	in, err := v.instantiate(ctx, p)
	if err != nil {
		return nil, err
	}
	if err := v.initialize(ctx, p, in); err != nil {
		in.close(ctx)
		return nil, err
	}
	return in, nil
}

// release ends a call's use of an instance: after a successful call it is
// reset and pooled, unless its memory grew, the pool is full or its
// snapshot was dropped; otherwise it is closed.
func (v *VM) release(ctx context.Context, p *program, in *instance, ok bool) {
	if !ok || in.snap == nil || !in.reset() {
		in.close(ctx)
		return
	}
	p.mu.Lock()
	if p.snap != in.snap || len(p.free) >= v.poolPerCode || v.pooled.Load() >= int64(v.maxPooled) || v.closed.Load() {
		p.mu.Unlock()
		in.close(ctx)
		return
	}
	p.free = append(p.free, in)
	v.pooled.Add(1)
	p.mu.Unlock()
}

// evictSnapshots drops the snapshots and pools of the least recently used
// codes while more than maxSnapshots codes have one; keep is spared.
func (v *VM) evictSnapshots(ctx context.Context, keep *program) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for {
		var oldest *program
		var oldestUse uint64
		n := 0
		for _, p := range v.compiled {
			p.mu.Lock()
			if p.snap != nil {
				n++
				if p != keep && (oldest == nil || p.lastUse < oldestUse) {
					oldest, oldestUse = p, p.lastUse
				}
			}
			p.mu.Unlock()
		}
		if n <= v.maxSnapshots || oldest == nil {
			return
		}
		oldest.drop(ctx, v)
	}
}

// drop closes p's pooled instances and forgets its snapshot.
func (p *program) drop(ctx context.Context, v *VM) {
	p.mu.Lock()
	free, snap := p.free, p.snap
	p.free, p.snap = nil, nil
	v.pooled.Add(-int64(len(free)))
	p.mu.Unlock()
	for _, in := range free {
		in.close(ctx)
	}
	if snap != nil {
		snap.release()
	}
}

// heapMemory is a linear memory in a Go slice, for when a copy-on-write
// one cannot be reserved (as wazero's own: it may move when it grows).
type heapMemory struct {
	buf []byte
	max uint64
}

func (h *heapMemory) Reallocate(size uint64) []byte {
	if size > h.max {
		return nil
	}
	if size > uint64(cap(h.buf)) {
		buf := make([]byte, size, min(max(size, 2*uint64(cap(h.buf))), h.max))
		copy(buf, h.buf)
		h.buf = buf
	}
	h.buf = h.buf[:size]
	return h.buf
}

func (h *heapMemory) Free() { h.buf = nil }
