package vm

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
)

// newVMWith returns a VM with poolPerCode idle instances per code (0: every
// call gets a fresh instance that runs _initialize, the reference the pool
// must match).
func newVMWith(t testing.TB, poolPerCode int) *VM {
	t.Helper()
	v, err := New(context.Background(), Config{MemoryLimitPages: 512})
	require.NoError(t, err)
	v.poolPerCode = poolPerCode
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

// Go contracts, built once per test binary.
func goCounter(t testing.TB) []byte { return contracttest.Build(t, "../contracts/counter") }
func goSDKTest(t testing.TB) []byte { return contracttest.Build(t, "../contract/internal/sdktest") }

// freeCount is the number of idle instances pooled for a code.
func freeCount(v *VM, c Code) int {
	p, err := v.program(c.Hash)
	if err != nil {
		return -1
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// sender is a valid account address.
var sender = func() string {
	s, err := keys.EncodeBech32(keys.AddressPrefix, make([]byte, 20))
	if err != nil {
		panic(err)
	}
	return s
}()

// step is one call of a sequence.
type step struct {
	entry, msg string
	gas        uint64
	height     uint64 // 0: testEnv's
}

// outcome is what a call gave, comparable across VMs.
type outcome struct {
	JSON    string
	GasUsed uint64
	Err     string
}

func runSteps(t *testing.T, v *VM, c Code, s state.Store, steps []step) []outcome {
	t.Helper()
	var out []outcome
	for _, st := range steps {
		env := testEnv
		if st.height != 0 {
			env.Block.Height = st.height
		}
		cl := Call{Code: c.Hash, Entry: st.entry, Env: env, Msg: []byte(st.msg), Store: s, GasLimit: st.gas}
		if st.entry == "instantiate" || st.entry == "execute" {
			cl.Info = &MessageInfo{Sender: sender, Funds: []Coin{}}
		}
		res, err := v.Call(context.Background(), cl)
		o := outcome{JSON: string(res.JSON), GasUsed: res.GasUsed}
		if err != nil {
			o.Err = err.Error()
		}
		out = append(out, o)
	}
	return out
}

// counterValue is a WAT contract whose entry points increment a mutable
// global and a memory cell and answer, as raw bytes, three digits: the
// global, the cell and the memory size in pages. A message starting with
// 'g' grows memory by a page first; one starting with 't' traps after the
// writes.
const counterValue = `
  (global $calls (mut i32) (i32.const 0))
  (func $digit (param $at i32) (param $n i32)
    (i32.store8 (local.get $at) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))
  (func $answer (param $msg i32) (result i32)
    (local $m i32)
    (local.set $m (i32.load (local.get $msg)))
    (if (i32.eq (i32.load8_u (local.get $m)) (i32.const 103)) ;; 'g'
      (then (drop (memory.grow (i32.const 1)))))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.store (i32.const 2500) (i32.add (i32.load (i32.const 2500)) (i32.const 1)))
    (if (i32.eq (i32.load8_u (local.get $m)) (i32.const 116)) ;; 't'
      (then unreachable))
    (call $digit (i32.const 3100) (global.get $calls))
    (call $digit (i32.const 3101) (i32.load (i32.const 2500)))
    (call $digit (i32.const 3102) (memory.size))
    (call $region (i32.const 3100) (i32.const 3)))
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $answer (local.get 2)))
  (func (export "query") (param i32 i32) (result i32) (call $answer (local.get 1)))
`

func TestPoolMatchesFresh(t *testing.T) {
	wat := func(body string) func(testing.TB) []byte {
		return func(t testing.TB) []byte { return module(t, body) }
	}
	cases := []struct {
		name  string
		code  func(testing.TB) []byte
		steps []step
	}{
		{"wat kv", wat(kv), []step{
			{entry: "instantiate", msg: `"a"`, gas: 10_000_000},
			{entry: "execute", msg: `{}`, gas: 10_000_000},
			{entry: "query", msg: `1`, gas: 10_000_000},
			{entry: "instantiate", msg: `"b"`, gas: 1_000}, // out of gas: discarded
			{entry: "query", msg: `2`, gas: 10_000_000},
			{entry: "execute", msg: `{}`, gas: 10_000_000},
		}},
		{"wat counter", wat(counterValue), []step{
			{entry: "query", msg: `q`, gas: 10_000_000},
			{entry: "query", msg: `q`, gas: 10_000_000},
			{entry: "query", msg: `grow`, gas: 10_000_000},
			{entry: "query", msg: `q`, gas: 10_000_000},
			{entry: "query", msg: `trap`, gas: 10_000_000},
			{entry: "query", msg: `q`, gas: 10_000_000},
		}},
		{"go counter", goCounter, []step{
			{entry: "instantiate", msg: `{"count": 5}`, gas: 1 << 30},
			{entry: "execute", msg: `{"increment": {}}`, gas: 1 << 30},
			{entry: "execute", msg: `{"increment": {}}`, gas: 1 << 30, height: 13},
			{entry: "query", msg: `{"get_count": {}}`, gas: 1 << 30},
			{entry: "execute", msg: `{"increment": {}}`, gas: 50_000}, // out of gas
			{entry: "execute", msg: `{"reset": {"count": 1}}`, gas: 1 << 30},
			{entry: "execute", msg: `{"nonsense": {}}`, gas: 1 << 30},
			{entry: "query", msg: `{"history": {"descending": true}}`, gas: 1 << 30},
			{entry: "execute", msg: `{"increment": {}}`, gas: 1 << 30, height: 14},
			{entry: "query", msg: `{"get_count": {}}`, gas: 1 << 30},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bin := tc.code(t)
			var results [][]outcome
			for _, pool := range []int{0, defaultPoolPerCode} {
				v := newVMWith(t, pool)
				c := store(t, v, bin)
				results = append(results, runSteps(t, v, c, newState(t), tc.steps))
				if pool > 0 {
					require.Equal(t, 1, freeCount(v, c), "the last call's instance is pooled")
				}
			}
			for i, o := range results[0] {
				t.Logf("%d %s: gas %d %s%s", i, tc.steps[i].entry, o.GasUsed, o.Err, firstN(o.JSON, 80))
			}
			require.Equal(t, results[0], results[1], "pooled vs fresh")
		})
	}
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func TestPoolIsolationGrowthAndTraps(t *testing.T) {
	v := newVMWith(t, defaultPoolPerCode)
	c := store(t, v, module(t, counterValue))
	s := newState(t)
	q := func(msg string) (string, error) {
		res, err := call(t, v, c, "query", msg, s, 10_000_000)
		return string(res.JSON), err
	}
	steps := []struct {
		msg, want string
		err       error
		free      int // idle instances after the call
	}{
		{"q", "114", nil, 1},     // first call: the global and the cell are 1, 4 pages
		{"q", "114", nil, 1},     // the same instance, reset: nothing carried over
		{"q", "114", nil, 1},     //
		{"grow", "115", nil, 0},  // memory grew: the instance is discarded
		{"q", "114", nil, 1},     // a new one, restored from the snapshot
		{"trap", "", ErrTrap, 0}, // a trap discards
		{"q", "114", nil, 1},
	}
	for i, st := range steps {
		got, err := q(st.msg)
		if st.err != nil {
			require.ErrorIs(t, err, st.err, "step %d", i)
		} else {
			require.NoError(t, err, "step %d", i)
			require.Equal(t, st.want, got, "step %d", i)
		}
		require.Equal(t, st.free, freeCount(v, c), "step %d: idle instances", i)
	}

	// Concurrent calls each get an instance of their own; at most
	// poolPerCode stay pooled.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := v.Call(context.Background(), Call{Code: c.Hash, Entry: "query", Env: testEnv, Msg: []byte("q"), Store: newState(t), GasLimit: 10_000_000})
			if err == nil && string(res.JSON) != "114" {
				err = fmt.Errorf("got %s", res.JSON)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.LessOrEqual(t, freeCount(v, c), defaultPoolPerCode)
	require.Positive(t, freeCount(v, c))
}

// A module that changes a table cannot be reset by restoring memory and
// globals: its calls get fresh instances.
func TestPoolSkipsTableWriters(t *testing.T) {
	v := newVMWith(t, defaultPoolPerCode)
	bin := module(t, `
  (table $t 2 funcref)
  (elem (i32.const 1) $one)
  (func $one (result i32) (i32.const 1))
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (table.set $t (i32.const 0) (table.get $t (i32.const 1)))
    (if (i32.ne (call_indirect (result i32) (i32.const 0)) (i32.const 1)) (then unreachable))
    (call $okResponse))`)
	c := store(t, v, bin)
	p, err := v.program(c.Hash)
	require.NoError(t, err)
	require.Equal(t, []string{"table.set"}, p.stateOps)
	for range 3 {
		_, err := call(t, v, c, "instantiate", `{}`, newState(t), 10_000_000)
		require.NoError(t, err)
		require.Zero(t, freeCount(v, c))
	}
}

// WASI's fd_close and fd_renumber are refused: the file table, which a
// snapshot does not cover, never changes.
func TestWASIFileTableIsFixed(t *testing.T) {
	v := newVMWith(t, defaultPoolPerCode)
	bin := module(t, `
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_renumber" (func $renumber (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $stat (param i32 i32) (result i32)))
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (if (i32.ne (call $stat (i32.const 1) (i32.const 2600)) (i32.const 0)) (then unreachable))
    (if (i32.ne (call $close (i32.const 1)) (i32.const 58)) (then unreachable))
    (if (i32.ne (call $renumber (i32.const 2) (i32.const 1)) (i32.const 58)) (then unreachable))
    (if (i32.ne (call $close (i32.const 7)) (i32.const 8)) (then unreachable))
    (if (i32.ne (call $stat (i32.const 1) (i32.const 2600)) (i32.const 0)) (then unreachable))
    (call $okResponse))`)
	c := store(t, v, bin)
	for range 2 {
		_, err := call(t, v, c, "instantiate", `{}`, newState(t), 10_000_000)
		require.NoError(t, err)
	}
}

// A Go contract reads the call's block time and random stream through WASI
// on a pooled instance, as on a fresh one; its start-up is not charged.
func TestPoolGoClockAndRandomness(t *testing.T) {
	bin := goSDKTest(t)
	type answer struct {
		Now, Block int64
		Rand       []byte
	}
	clock := func(v *VM, c Code, s state.Store, height uint64, time string) (answer, uint64) {
		env := testEnv
		env.Block.Height, env.Block.Time = height, time
		res, err := v.Call(context.Background(), Call{Code: c.Hash, Entry: "execute", Env: env,
			Info: &MessageInfo{Sender: "herm1s", Funds: []Coin{}}, Msg: []byte(`{"clock":{}}`), Store: s, GasLimit: 1 << 32})
		require.NoError(t, err)
		var r ContractResult
		require.NoError(t, json.Unmarshal(res.JSON, &r), string(res.JSON))
		require.NotNil(t, r.Ok, string(res.JSON))
		var a answer
		require.NoError(t, json.Unmarshal(r.Ok.Data, &a))
		return a, res.GasUsed
	}
	fresh, pooled := newVMWith(t, 0), newVMWith(t, defaultPoolPerCode)
	fc, pc := store(t, fresh, bin), store(t, pooled, bin)
	fs, ps := newState(t), newState(t)
	blocks := []struct {
		height uint64
		time   string
	}{{12, "1700000000000000000"}, {13, "1700000006123456789"}, {12, "1700000000000000000"}, {99, "1800000000000000001"}}
	var seen []answer
	for i, b := range blocks {
		fa, fg := clock(fresh, fc, fs, b.height, b.time)
		pa, pg := clock(pooled, pc, ps, b.height, b.time)
		require.Equal(t, fa, pa, "block %d: pooled vs fresh", i)
		require.Equal(t, fg, pg, "block %d: gas", i)
		require.Equal(t, pa.Block, pa.Now, "time.Now() is the block time")
		require.Len(t, pa.Rand, 16)
		seen = append(seen, pa)
		require.Equal(t, 1, freeCount(pooled, pc))
	}
	require.Equal(t, seen[0], seen[2], "same block, same stream")
	require.NotEqual(t, seen[0].Rand, seen[1].Rand)
	require.NotEqual(t, seen[1].Rand, seen[3].Rand)
}

// _initialize is not charged to the call, and every instance starts from
// the same initialised state.
func TestInitializeIsNotCharged(t *testing.T) {
	v := newVMWith(t, 0)
	c := store(t, v, goCounter(t))
	p, err := v.program(c.Hash)
	require.NoError(t, err)
	in, err := v.fresh(context.Background(), p)
	require.NoError(t, err)
	defer in.close(context.Background())
	used := InitGas - in.gas.Get()
	t.Logf("the Go counter's _initialize used %d gas (budget %d)", used, uint64(InitGas))
	require.Less(t, used, uint64(InitGas)/10, "the budget has a wide margin")

	// An instance restored from a snapshot equals one that ran _initialize.
	snap, err := takeSnapshot(in, p.globals)
	require.NoError(t, err)
	in2, err := v.instantiate(context.Background(), p)
	require.NoError(t, err)
	defer in2.close(context.Background())
	require.NoError(t, in2.attach(snap))
	require.True(t, in2.reset())
	snap2, err := takeSnapshot(in2, p.globals)
	require.NoError(t, err)
	require.Equal(t, snap.values, snap2.values)
	require.True(t, string(snap.mem) == string(snap2.mem))
	in3, err := v.fresh(context.Background(), p)
	require.NoError(t, err)
	defer in3.close(context.Background())
	snap3, err := takeSnapshot(in3, p.globals)
	require.NoError(t, err)
	require.Equal(t, snap.values, snap3.values, "start-up is deterministic")
	require.True(t, string(snap.mem) == string(snap3.mem), "start-up is deterministic")
}

func TestPoolEviction(t *testing.T) {
	v := newVMWith(t, defaultPoolPerCode)
	v.maxSnapshots = 2
	var codes []Code
	for i := range 4 {
		codes = append(codes, store(t, v, module(t, counterValue+fmt.Sprintf(`(func (export "v%d"))`, i))))
	}
	for _, c := range codes {
		res, err := call(t, v, c, "query", "q", newState(t), 10_000_000)
		require.NoError(t, err)
		require.Equal(t, "114", string(res.JSON))
	}
	n := 0
	for _, c := range codes {
		p, _ := v.program(c.Hash)
		p.mu.Lock()
		if p.snap != nil {
			n++
		}
		p.mu.Unlock()
	}
	require.Equal(t, 2, n)
	require.Equal(t, int64(2), v.pooled.Load())
	for _, c := range codes { // evicted codes are rebuilt
		res, err := call(t, v, c, "query", "q", newState(t), 10_000_000)
		require.NoError(t, err)
		require.Equal(t, "114", string(res.JSON))
	}
}

// _initialize (a WASI reactor's start-up) runs once per instance, in a fixed
// environment, uncharged; if it fails, every call fails the same way.
func TestInitializeRules(t *testing.T) {
	cases := []struct {
		name, init string
		want       string // the answer, or the error text
		err        error
	}{
		{"sets state", `(i32.store (i32.const 2500) (i32.const 7)) (global.set $calls (i32.const 2))`, "384", nil},
		{"burns gas", `(local $i i32) (loop $l (local.set $i (i32.add (local.get $i) (i32.const 1)))
			(br_if $l (i32.lt_u (local.get $i) (i32.const 100000))))`, "114", nil},
		{"traps", `unreachable`, "contract trapped: _initialize: wasm error: unreachable", ErrTrap},
		{"calls the host", `(call $debug (i32.const 0))`, "_initialize: vm: host function called outside a contract call", ErrTrap},
	}
	mod := func(init string) []byte {
		return module(t, `(import "env" "debug" (func $debug (param i32)))`+counterValue+
			`(func (export "_initialize") `+init+`)`)
	}
	// What the query alone costs: with an _initialize that does nothing.
	v := newVMWith(t, 0)
	base, err := call(t, v, store(t, v, mod(``)), "query", "q", newState(t), 10_000_000)
	require.NoError(t, err)
	require.NotZero(t, base.GasUsed)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bin := mod(tc.init)
			for _, pool := range []int{0, defaultPoolPerCode} {
				v := newVMWith(t, pool)
				c := store(t, v, bin)
				for range 3 {
					res, err := call(t, v, c, "query", "q", newState(t), 10_000_000)
					if tc.err != nil {
						require.ErrorIs(t, err, tc.err)
						require.ErrorContains(t, err, tc.want)
						require.Zero(t, res.GasUsed)
						continue
					}
					require.NoError(t, err)
					require.Equal(t, tc.want, string(res.JSON))
					require.Equal(t, base.GasUsed, res.GasUsed, "start-up is not charged")
				}
			}
		})
	}
}
