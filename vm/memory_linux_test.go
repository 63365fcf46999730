//go:build linux

package vm

import (
	"context"
	"encoding/binary"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// snapshotOf returns the snapshot of a code, made by a first call if need be.
func snapshotOf(t *testing.T, v *VM, c Code) (*program, *snapshot) {
	t.Helper()
	p, err := v.program(c.Hash)
	require.NoError(t, err)
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotNil(t, p.snap)
	return p, p.snap
}

// requireSnapshot checks that an instance holds its snapshot, byte for byte
// over the whole memory, and its globals.
func requireSnapshot(t *testing.T, in *instance, snap *snapshot, msg string) {
	t.Helper()
	mem := in.mod.Memory()
	require.Equal(t, uint32(len(snap.mem)), mem.Size(), "%s: memory size", msg)
	view, ok := mem.Read(0, mem.Size())
	require.True(t, ok)
	if string(view) != string(snap.mem) {
		for i := range view {
			if view[i] != snap.mem[i] {
				t.Fatalf("%s: memory differs from the snapshot at byte %d (page %d)", msg, i, i/65536)
			}
		}
	}
	for i, g := range in.globals {
		require.Equal(t, snap.values[i], g.Get(), "%s: global %s", msg, snap.names[i])
	}
}

// privatePages counts the pages of in's memory that are private copies of
// the snapshot's.
func privatePages(t *testing.T, in *instance) int {
	t.Helper()
	n := len(in.snap.mem) / pageSize
	e := make([]byte, 8*n)
	_, err := pagemap().ReadAt(e, pagemapOffset(in.mem.base))
	require.NoError(t, err)
	k := 0
	for i := range n {
		if privatePage(binary.LittleEndian.Uint64(e[8*i:])) {
			k++
		}
	}
	return k
}

func TestCopyOnWriteSupported(t *testing.T) {
	require.True(t, cowSupported(), "this kernel tells private pages apart in /proc/self/pagemap")
}

// Copy-on-write resets leave exactly the snapshot in memory, after calls
// that write, grow memory or trap, and after writes all over the memory;
// and calls give the same results and gas as with copying resets.
func TestCopyOnWriteReset(t *testing.T) {
	cases := []struct {
		name  string
		code  func(testing.TB) []byte
		steps []step
	}{
		{"wat counter", func(t testing.TB) []byte { return module(t, counterValue) }, []step{
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
			for _, cow := range []bool{false, true} {
				v := newVMWith(t, defaultPoolPerCode)
				v.cow = cow
				c := store(t, v, bin)
				s := newState(t)
				var out []outcome
				for i, st := range tc.steps {
					out = append(out, runSteps(t, v, c, s, []step{st})...)
					if !cow {
						continue
					}
					// Every pooled instance was reset: it holds the
					// snapshot, mapped copy-on-write.
					p, snap := snapshotOf(t, v, c)
					require.NotNil(t, snap.file, "the snapshot has a memfd")
					p.mu.Lock()
					free := append([]*instance(nil), p.free...)
					p.mu.Unlock()
					for _, in := range free {
						require.NotNil(t, in.mem, "copy-on-write memory")
						require.False(t, in.mem.copying)
						require.Equal(t, snap.file, in.mem.mapped)
						requireSnapshot(t, in, snap, tc.steps[i].msg)
					}
				}
				results = append(results, out)
			}
			require.Equal(t, results[0], results[1], "copying vs copy-on-write resets")
		})
	}

	t.Run("direct", func(t *testing.T) {
		v := newVMWith(t, defaultPoolPerCode)
		v.cow = true
		c := store(t, v, module(t, counterValue))
		_, err := call(t, v, c, "query", "q", newState(t), 10_000_000)
		require.NoError(t, err)
		p, snap := snapshotOf(t, v, c)
		ctx := context.WithValue(context.Background(), callEnvKey{}, &callEnv{store: newState(t)})
		in, err := v.acquire(ctx, p)
		require.NoError(t, err)
		defer in.close(ctx)
		ce := ctx.Value(callEnvKey{}).(*callEnv)
		ce.inst = in
		query := func(msg string) error {
			in.wasi.setCall(testEnv)
			in.gas.Set(10_000_000)
			_, err := v.run(ctx, in, Call{Entry: "query", Env: testEnv, Msg: []byte(msg)}, false)
			return err
		}
		mem := in.mod.Memory()
		base := unsafe.Pointer(unsafe.SliceData(firstByte(mem.Read(0, 1))))

		// A call that writes: a few private pages, copied back.
		require.NoError(t, query("q"))
		require.Positive(t, privatePages(t, in))
		require.True(t, in.reset())
		requireSnapshot(t, in, snap, "after a call")
		require.Positive(t, privatePages(t, in), "the pages stay private")

		// A call that traps after writing.
		require.ErrorIs(t, classify(query("trap"), in.gas.Get(), nil), ErrTrap)
		require.True(t, in.reset())
		requireSnapshot(t, in, snap, "after a trap")

		// Writes all over the memory: mapped again, nothing private.
		fill := make([]byte, len(snap.mem))
		for i := range fill {
			fill[i] = byte(i*7 + 1)
		}
		require.True(t, mem.Write(0, fill))
		require.True(t, in.reset())
		requireSnapshot(t, in, snap, "after writing every byte")
		require.Zero(t, privatePages(t, in), "mapped again")
		require.NoError(t, query("q"))
		require.True(t, in.reset())
		requireSnapshot(t, in, snap, "after a call in the new mapping")

		// A call that grows memory: refused, as memory cannot shrink; the
		// new page was zero.
		require.NoError(t, query("grow"))
		grown, ok := mem.Read(uint32(len(snap.mem)), 65536)
		require.True(t, ok)
		require.Equal(t, make([]byte, 65536), grown)
		require.False(t, in.reset())

		require.Equal(t, base, unsafe.Pointer(unsafe.SliceData(firstByte(mem.Read(0, 1)))), "the memory never moves")
	})
}

func firstByte(b []byte, ok bool) []byte {
	if !ok {
		panic("read")
	}
	return b
}

// A snapshot's memfd is held by its program and by each instance attached
// to it, and closed when the last lets go, also when calls are running as
// the snapshot is dropped.
func TestSnapshotFileReferences(t *testing.T) {
	v := newVMWith(t, defaultPoolPerCode)
	v.cow = cowSupported()
	c := store(t, v, module(t, counterValue))
	_, err := call(t, v, c, "query", "q", newState(t), 10_000_000)
	require.NoError(t, err)
	p, snap := snapshotOf(t, v, c)
	require.NotNil(t, snap.file)
	require.EqualValues(t, 2, snap.file.refs.Load(), "the program and its pooled instance")

	// Two instances in use when the snapshot is dropped.
	ctx := context.Background()
	a, err := v.acquire(ctx, p)
	require.NoError(t, err)
	b, err := v.acquire(ctx, p)
	require.NoError(t, err)
	require.EqualValues(t, 3, snap.file.refs.Load())
	p.drop(ctx, v)
	require.EqualValues(t, 2, snap.file.refs.Load())
	require.True(t, a.reset(), "a reset still maps the memfd")
	requireSnapshot(t, a, snap, "after the drop")
	v.release(ctx, p, a, true) // not pooled: the snapshot is gone
	require.EqualValues(t, 1, snap.file.refs.Load())
	v.release(ctx, p, b, true)
	require.Zero(t, snap.file.refs.Load(), "closed")
}
