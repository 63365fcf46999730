package compute

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hermetic-chain/hermetic/state"
)

// Uploads and compilation.
//
// Compiling a module to machine code takes about 1.1 µs a byte on the
// reference machine, and more for large functions (vm.UploadCost): a Go
// contract of 4 MB takes 4-5 s, far more than a block may. So a block only
// validates what it stores (vm.VM.Validate: decoding, instrumenting and
// wazero's validation, about 0.2 µs a byte, which the upload's gas pays),
// and compiles there only modules whose vm.Code.CompileCost is at most
// SyncCompileMax, whose compilation the upload also pays. A larger module
// is compiled in the background on every node once its block is final, and
// contracts can be made from it from its CodeInfo.ReadyAt on: the block time
// by which a node compiling at 100/CompileSlowdownPercent of the reference
// machine's speed has compiled it, after every deferred module stored before it.
// ReadyAt is in the state, so every node refuses an early instantiate
// alike; a node that has not finished by then waits for its compiler in the
// block that needs the code.
//
// What a stranger can take this way is bounded by the queue: ReadyAt is
// never more than MaxCompileBacklog after the block that stores the code
// (ErrCompileBacklog otherwise), so a node never has more than about
// MaxCompileBacklog of compilation waiting, and one core compiles while the
// other keeps consensus going.
const (
	// SyncCompileMax is the largest estimated compile time of a module
	// compiled in the block that stores it.
	SyncCompileMax = 250 * time.Millisecond
	// CompileSlowdownPercent is how much slower than the reference
	// machine ReadyAt lets a node compile: ReadyAt is CompileSlowdownPercent
	// % of the module's CompileCost after the queue's end.
	CompileSlowdownPercent = 150
	// MaxCompileBacklog bounds how far after its block a stored module's
	// ReadyAt may be.
	MaxCompileBacklog = 60 * time.Second
)

// keyCompileQueueEnd holds the ReadyAt of the last deferred module, in Unix
// nanoseconds: where the next one queues.
const keyCompileQueueEnd = 0x44

var (
	// ErrCodeNotReady: contracts cannot be made from the code yet; it is
	// being compiled until its ReadyAt.
	ErrCodeNotReady = errors.New("code not ready")
	// ErrCompileBacklog: more code is waiting to be compiled than the
	// chain queues (MaxCompileBacklog); the upload can be sent again later.
	ErrCompileBacklog = errors.New("too much code waiting to be compiled")
)

// readyAt queues a deferred module whose compilation takes cost (on the
// reference machine) stored at block time now and returns when it is
// ready, or ErrCompileBacklog.
func readyAt(s state.Store, now time.Time, cost time.Duration) (time.Time, error) {
	start := now
	bz, err := s.Get([]byte{keyCompileQueueEnd})
	if err != nil {
		return time.Time{}, err
	}
	if len(bz) == 8 {
		if end := time.Unix(0, int64(binary.BigEndian.Uint64(bz))); end.After(start) {
			start = end
		}
	}
	ready := start.Add(cost * CompileSlowdownPercent / 100).UTC()
	if wait := ready.Sub(now); wait > MaxCompileBacklog {
		return time.Time{}, fmt.Errorf("%w: this module would be ready in %s, the queue holds at most %s; send it again after %s",
			ErrCompileBacklog, wait.Round(time.Second), MaxCompileBacklog, start.Add(MaxCompileBacklog-wait).UTC().Format(time.RFC3339))
	}
	if err := s.Set([]byte{keyCompileQueueEnd}, binary.BigEndian.AppendUint64(nil, uint64(ready.UnixNano()))); err != nil {
		return time.Time{}, err
	}
	return ready, nil
}

// codeReady refuses code whose ReadyAt is after the block's time.
func codeReady(s state.Store, b Block, id uint64) error {
	info, err := Code(s, id)
	if err != nil {
		return err
	}
	if b.Time.Before(info.ReadyAt) {
		return fmt.Errorf("%w: code %d is being compiled and can be used from %s (%s after this block)",
			ErrCodeNotReady, id, info.ReadyAt.Format(time.RFC3339Nano), info.ReadyAt.Sub(b.Time).Round(time.Millisecond))
	}
	return nil
}

// CompileStored starts compiling, in the background, the deferred modules
// stored since the last call that s (the block's state after its
// transactions) holds: an upload whose transaction failed is dropped, so
// that a failed transaction costs no compilation. Call it at the end of
// every block.
func (k *Keeper) CompileStored(s state.Store) {
	for _, c := range k.compiles.takeStored() {
		info, err := Code(s, c.id)
		if err != nil {
			continue
		}
		if h, err := info.Hash(); err != nil || h != c.hash {
			continue
		}
		k.compiles.start(c, k.compile)
	}
}

// CompileAll starts compiling, in the background, every module s holds:
// for a node that starts on a chain with stored code, which it would
// otherwise compile in the block that first calls it. Modules are compiled
// in the order of their code ids, each read from s only when its turn
// comes, so that the queue holds ids, not every module a chain ever
// stored; s must stay readable (a read-only version of the state).
func (k *Keeper) CompileAll(s state.Store) error {
	it, err := s.Iterator([]byte{prefixCode}, []byte{prefixCode + 1}, false)
	if err != nil {
		return err
	}
	var codes []storedCode
	for ; it.Valid(); it.Next() {
		key := it.Key()
		if len(key) != 9 {
			continue
		}
		var info CodeInfo
		if err := json.Unmarshal(it.Value(), &info); err != nil {
			it.Close()
			return fmt.Errorf("decode code %x: %w", key[1:], err)
		}
		h, err := info.Hash()
		if err != nil {
			it.Close()
			return err
		}
		id := binary.BigEndian.Uint64(key[1:])
		codes = append(codes, storedCode{id: id, hash: h, load: func() ([]byte, error) { return s.Get(u64key(prefixCodeBytes, id)) }})
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, c := range codes {
		k.compiles.start(c, k.compile)
	}
	return nil
}

// compile compiles wasm in the VM, as the background compiler does.
func (k *Keeper) compile(c storedCode) error {
	wasm := c.wasm
	if c.load != nil {
		var err error
		if wasm, err = c.load(); err != nil {
			return fmt.Errorf("read code %d: %w", c.id, err)
		}
	}
	if _, err := k.vm.Store(context.Background(), wasm); err != nil {
		return err
	}
	k.mu.Lock()
	k.compiled[c.hash] = true
	k.mu.Unlock()
	return nil
}

// storedCode is a module to compile in the background: its bytes, or how
// to read them when its turn comes.
type storedCode struct {
	id   uint64
	hash [32]byte
	wasm []byte
	load func() ([]byte, error)
}

// compileJob is a module being compiled in the background; done closes
// when it is, with err set.
type compileJob struct {
	done chan struct{}
	err  error
}

// compileQueue compiles deferred modules one at a time, in the order their
// blocks stored them, on one goroutine that lives while there is work.
type compileQueue struct {
	mu      sync.Mutex
	pending []storedCode // stored in the current block, not yet final
	queue   []storedCode
	jobs    map[[32]byte]*compileJob
	working bool
	closed  bool
	worker  sync.WaitGroup
}

// errClosed fails the jobs a closing keeper drops.
var errClosed = errors.New("compute: keeper closed")

// Close stops compiling in the background: it drops the modules still
// queued and waits for the one being compiled. Call it before closing the
// VM.
func (k *Keeper) Close() { k.compiles.close() }

func (q *compileQueue) close() {
	q.mu.Lock()
	q.closed = true
	for _, c := range q.queue {
		job := q.jobs[c.hash]
		delete(q.jobs, c.hash)
		job.err = errClosed
		close(job.done)
	}
	q.queue = nil
	q.mu.Unlock()
	q.worker.Wait()
}

func (q *compileQueue) stored(id uint64, hash [32]byte, wasm []byte) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending = append(q.pending, storedCode{id: id, hash: hash, wasm: wasm})
}

func (q *compileQueue) takeStored() []storedCode {
	q.mu.Lock()
	defer q.mu.Unlock()
	p := q.pending
	q.pending = nil
	return p
}

// job returns the job compiling hash, or nil.
func (q *compileQueue) job(hash [32]byte) *compileJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.jobs[hash]
}

// start queues c for compile, unless it is queued already.
func (q *compileQueue) start(c storedCode, compile func(storedCode) error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.jobs[c.hash]; ok || q.closed {
		return
	}
	if q.jobs == nil {
		q.jobs = map[[32]byte]*compileJob{}
	}
	q.jobs[c.hash] = &compileJob{done: make(chan struct{})}
	q.queue = append(q.queue, c)
	if !q.working {
		q.working = true
		q.worker.Add(1)
		go q.work(compile)
	}
}

func (q *compileQueue) work(compile func(storedCode) error) {
	defer q.worker.Done()
	for {
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.working = false
			q.mu.Unlock()
			return
		}
		c := q.queue[0]
		q.queue = q.queue[1:]
		job := q.jobs[c.hash]
		q.mu.Unlock()

		err := compile(c)

		q.mu.Lock()
		job.err = err
		delete(q.jobs, c.hash)
		q.mu.Unlock()
		close(job.done)
	}
}
