package meter

import (
	"context"
	"testing"
	"time"

	"github.com/tetratelabs/wazero/api"
)

func BenchmarkInstrumentGo(b *testing.B) {
	b.SetBytes(int64(len(goWasm)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Instrument(goWasm, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCall returns a function calling fn(args) on a fresh instance of wasm
// (initialised with _initialize if it has one), resetting the gas if metered.
func benchCall(b *testing.B, v *vm, wasm []byte, metered bool, fn string, args ...uint64) func() {
	m := v.instantiate(b, wasm)
	ctx := context.Background()
	var gas api.MutableGlobal
	if metered {
		gas = m.ExportedGlobal(GasGlobalName).(api.MutableGlobal)
		gas.Set(1 << 62)
	}
	if init := m.ExportedFunction("_initialize"); init != nil {
		if _, err := init.Call(ctx); err != nil {
			b.Fatal(err)
		}
	}
	f := m.ExportedFunction(fn)
	return func() {
		if gas != nil {
			gas.Set(1 << 62)
		}
		if _, err := f.Call(ctx, args...); err != nil {
			b.Fatal(err)
		}
	}
}

// benchRatio runs the original and the instrumented module alternately and
// reports both times per call and the slowdown.
func benchRatio(b *testing.B, wasm []byte, fn string, args ...uint64) {
	out, _, err := Instrument(wasm, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	v := newVM(b)
	orig := benchCall(b, v, wasm, false, fn, args...)
	inst := benchCall(b, v, out, true, fn, args...)
	orig()
	inst()
	var to, ti time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		orig()
		t1 := time.Now()
		inst()
		ti += time.Since(t1)
		to += t1.Sub(t0)
	}
	n := float64(b.N)
	b.ReportMetric(float64(to.Nanoseconds())/n, "ns/orig")
	b.ReportMetric(float64(ti.Nanoseconds())/n, "ns/metered")
	b.ReportMetric(float64(ti)/float64(to), "slowdown")
}

// BenchmarkGoCompute: the Go program's compute(300) (maps, fmt, floats).
func BenchmarkGoCompute(b *testing.B) { benchRatio(b, goWasm, "compute", 300) }

// BenchmarkGoGrow: the Go program's grow(256): allocation and byte loops.
func BenchmarkGoGrow(b *testing.B) { benchRatio(b, goWasm, "grow", 256) }

// BenchmarkTightLoop: the worst case, a 7-instruction loop body.
func BenchmarkTightLoop(b *testing.B) { benchRatio(b, modCount, "count", 100_000) }
