package vm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/state"
)

// BenchmarkCall measures one call of a small contract (the kv contract's
// instantiate: four writes and a delete) in a pooled instance: what every
// call of a hand-written or Rust contract costs in the VM, without the
// enclave's cryptography.
func BenchmarkCall(b *testing.B) {
	v := newVM(b)
	c := store(b, v, module(b, kv))
	s := newState(b)
	for b.Loop() {
		if _, err := call(b, v, c, "instantiate", `"value"`, s, 10_000_000); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStore measures validating, instrumenting and compiling a small
// module at upload.
func BenchmarkStore(b *testing.B) {
	bin := module(b, kv)
	for b.Loop() {
		v := newVM(b)
		_, err := v.Store(b.Context(), bin)
		require.NoError(b, err)
	}
}

// BenchmarkGoCounter measures the Go counter's execute {"increment":{}}
// (a read, two writes, JSON in and out) the ways a call can run:
//
//	fresh        instantiate, _initialize, call (no pool)
//	pooled       a pooled instance: call, then reset
//	entry        passing the inputs and running the entry point alone, in
//	             an instance reset (untimed) before each call: the contract's
//	             own work from the initialised state
//	overhead     what a pooled call adds around the entry point: take an
//	             instance from the pool, point its clocks and random source
//	             at the call, set the gas, reset it and pool it again
//	reset        restoring the snapshot (memory and globals) alone
//	restore      a new pooled instance: instantiate and restore the snapshot
//
// The VM's overhead per pooled call is overhead (about pooled minus entry);
// a fresh instance's is fresh minus entry.
func BenchmarkGoCounter(b *testing.B) {
	bin := goCounter(b)
	setup := func(b *testing.B, pool int) (*VM, Code, state.Store, Call) {
		v := newVMWith(b, pool)
		c := store(b, v, bin)
		s := newState(b)
		info := &MessageInfo{Sender: sender, Funds: []Coin{}}
		_, err := v.Call(b.Context(), Call{Code: c.Hash, Entry: "instantiate", Env: testEnv, Info: info,
			Msg: []byte(`{"count": 0}`), Store: s, GasLimit: 1 << 32})
		require.NoError(b, err)
		return v, c, s, Call{Code: c.Hash, Entry: "execute", Env: testEnv, Info: info,
			Msg: []byte(`{"increment": {}}`), Store: s, GasLimit: 1 << 32}
	}
	perCall := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/call")
	}
	for _, bc := range []struct {
		name string
		pool int
	}{{"fresh", 0}, {"pooled", defaultPoolPerCode}} {
		b.Run(bc.name, func(b *testing.B) {
			v, _, _, cl := setup(b, bc.pool)
			for b.Loop() {
				if _, err := v.Call(b.Context(), cl); err != nil {
					b.Fatal(err)
				}
			}
			perCall(b)
		})
	}
	b.Run("entry", func(b *testing.B) {
		v, c, s, cl := setup(b, defaultPoolPerCode)
		p, err := v.program(c.Hash)
		require.NoError(b, err)
		ce := &callEnv{store: s}
		ctx := context.WithValue(b.Context(), callEnvKey{}, ce)
		in, err := v.acquire(ctx, p)
		require.NoError(b, err)
		ce.inst = in
		defer in.close(ctx)
		for b.Loop() {
			b.StopTimer()
			if !in.reset() {
				b.Fatal("reset")
			}
			b.StartTimer()
			in.wasi.setCall(cl.Env)
			in.gas.Set(cl.GasLimit)
			if _, err := v.run(ctx, in, cl, true); err != nil {
				b.Fatal(err)
			}
		}
		perCall(b)
	})
	b.Run("overhead", func(b *testing.B) {
		v, c, _, cl := setup(b, defaultPoolPerCode)
		p, err := v.program(c.Hash)
		require.NoError(b, err)
		for b.Loop() {
			in, err := v.acquire(b.Context(), p)
			if err != nil {
				b.Fatal(err)
			}
			in.wasi.setCall(cl.Env)
			in.gas.Set(cl.GasLimit)
			v.release(b.Context(), p, in, true)
		}
		require.Equal(b, 1, freeCount(v, c))
	})
	b.Run("reset", func(b *testing.B) {
		v, c, _, _ := setup(b, defaultPoolPerCode)
		p, err := v.program(c.Hash)
		require.NoError(b, err)
		in, err := v.acquire(b.Context(), p)
		require.NoError(b, err)
		defer in.close(b.Context())
		for b.Loop() {
			if !in.reset() {
				b.Fatal("reset")
			}
		}
		b.ReportMetric(float64(len(in.snap.mem))/(1<<20), "MiB-snapshot")
	})
	b.Run("restore", func(b *testing.B) {
		v, c, _, _ := setup(b, defaultPoolPerCode)
		p, err := v.program(c.Hash)
		require.NoError(b, err)
		p.mu.Lock()
		snap := p.snap
		p.mu.Unlock()
		for b.Loop() {
			in, err := v.instantiate(b.Context(), p)
			if err != nil {
				b.Fatal(err)
			}
			if err := in.attach(snap); err != nil || !in.reset() {
				b.Fatal("restore", err)
			}
			in.close(b.Context())
		}
	})
}
