package meter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// goWasm is testdata/goprog built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared.
var goWasm []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "meter-goprog")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(dir, "goprog.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./testdata/goprog")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/goprog: %v\n%s", err, b)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	goWasm, err = os.ReadFile(out)
	os.RemoveAll(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// zeroReader is a deterministic randomness source.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i*31 + 7)
	}
	return len(p), nil
}

var instanceSeq atomic.Int64

type vm struct {
	ctx      context.Context
	r        wazero.Runtime
	compiled map[string]wazero.CompiledModule
}

func newVM(t testing.TB) *vm {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	t.Cleanup(func() { r.Close(ctx) })
	wasi_snapshot_preview1.MustInstantiate(ctx, r)
	return &vm{ctx: ctx, r: r, compiled: map[string]wazero.CompiledModule{}}
}

// instantiate runs start as start functions (none if empty).
func (v *vm) instantiate(t testing.TB, wasm []byte, start ...string) api.Module {
	t.Helper()
	cfg := wazero.NewModuleConfig().
		WithName(fmt.Sprintf("m%d", instanceSeq.Add(1))).
		WithRandSource(zeroReader{}).
		WithStartFunctions(start...)
	cm, ok := v.compiled[string(wasm)]
	if !ok {
		var err error
		cm, err = v.r.CompileModule(v.ctx, wasm)
		require.NoError(t, err)
		v.compiled[string(wasm)] = cm
	}
	m, err := v.r.InstantiateModule(v.ctx, cm, cfg)
	require.NoError(t, err)
	return m
}

func setGas(t testing.TB, m api.Module, gas uint64) {
	t.Helper()
	g, ok := m.ExportedGlobal(GasGlobalName).(api.MutableGlobal)
	require.True(t, ok, "gas global missing or immutable")
	g.Set(gas)
}

func getGas(t testing.TB, m api.Module) uint64 {
	t.Helper()
	g := m.ExportedGlobal(GasGlobalName)
	require.NotNil(t, g)
	return g.Get()
}

// call sets the gas, calls fn and returns its results, the gas used and the error.
func call(t testing.TB, m api.Module, gas uint64, fn string, args ...uint64) ([]uint64, uint64, error) {
	t.Helper()
	setGas(t, m, gas)
	f := m.ExportedFunction(fn)
	require.NotNil(t, f, fn)
	res, err := f.Call(context.Background(), args...)
	return res, gas - getGas(t, m), err
}

func mustInstrument(t testing.TB, wasm []byte, cfg Config) ([]byte, Info) {
	t.Helper()
	out, info, err := Instrument(wasm, cfg)
	require.NoError(t, err)
	return out, info
}

func TestExactGas(t *testing.T) {
	tests := []struct {
		name    string
		wasm    []byte
		fn      string
		args    []uint64
		want    uint64
		wantGas uint64
	}{
		{"add", modAdd, "add", []uint64{2, 3}, 5, 4},
		{"count 1", modCount, "count", []uint64{1}, 1, 7 + 4},
		{"count 10", modCount, "count", []uint64{10}, 10, 70 + 4},
		{"count 1000", modCount, "count", []uint64{1000}, 1000, 7000 + 4},
		{"grow 0", modGrow, "grow", []uint64{0}, 1, 3},
		{"size", modGrow, "size", nil, 1, 2},
		{"blocks", modCtl, "blocks", nil, 2, 8},
		{"if", modCtl, "ifelse", []uint64{1}, 10, 5},
		{"else", modCtl, "ifelse", []uint64{0}, 20, 5},
	}
	v := newVM(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := mustInstrument(t, tc.wasm, Config{})
			m := v.instantiate(t, out)
			res, used, err := call(t, m, 1<<40, tc.fn, tc.args...)
			require.NoError(t, err)
			require.Equal(t, tc.want, res[0])
			require.Equal(t, tc.wantGas, used)

			// Exactly enough gas succeeds, one less traps.
			m = v.instantiate(t, out)
			_, used, err = call(t, m, tc.wantGas, tc.fn, tc.args...)
			require.NoError(t, err)
			require.Equal(t, tc.wantGas, used)
			_, _, err = call(t, m, tc.wantGas-1, tc.fn, tc.args...)
			require.ErrorContains(t, err, "unreachable")
		})
	}
}

func TestCostTable(t *testing.T) {
	costs := DefaultCosts()
	costs[ClassControl] = 0
	costs[ClassLocal] = 10
	costs[ClassInt] = 100
	out, _ := mustInstrument(t, modAdd, Config{Costs: costs})
	m := newVM(t).instantiate(t, out)
	_, used, err := call(t, m, 1<<40, "add", 1, 2)
	require.NoError(t, err)
	require.Equal(t, uint64(10+10+100+0), used)
}

func TestOutOfGas(t *testing.T) {
	v := newVM(t)
	t.Run("infinite loop traps at the same gas", func(t *testing.T) {
		out, _ := mustInstrument(t, modSpin, Config{})
		var left []uint64
		for range 2 {
			m := v.instantiate(t, out)
			_, used, err := call(t, m, 1_000_000, "spin")
			require.ErrorContains(t, err, "unreachable")
			left = append(left, 1_000_000-used)
		}
		require.Equal(t, left[0], left[1])
		require.Zero(t, left[0]) // every run of the loop costs 1
	})
	t.Run("counting loop traps at the same gas", func(t *testing.T) {
		out, _ := mustInstrument(t, modCount, Config{})
		var left []uint64
		for range 2 {
			m := v.instantiate(t, out)
			_, used, err := call(t, m, 1000, "count", 1_000_000)
			require.ErrorContains(t, err, "unreachable")
			left = append(left, 1000-used)
		}
		require.Equal(t, left[0], left[1])
		// The loop ran until less than one iteration's 7 was left; the
		// meter then zeroed the counter to mark its own trap.
		require.Zero(t, left[0])
	})
	t.Run("enough gas completes", func(t *testing.T) {
		out, _ := mustInstrument(t, modCount, Config{})
		m := v.instantiate(t, out)
		res, used, err := call(t, m, 7_000_004, "count", 1_000_000)
		require.NoError(t, err)
		require.Equal(t, uint64(1_000_000), res[0])
		require.Equal(t, uint64(7_000_004), used)
		require.Zero(t, getGas(t, m))
	})
	t.Run("zero gas global at instantiation", func(t *testing.T) {
		out, _ := mustInstrument(t, modBare, Config{})
		_, err := v.r.Instantiate(v.ctx, out) // start function runs with gas 0
		require.ErrorContains(t, err, "unreachable")
		out, _ = mustInstrument(t, modBare, Config{InitialGas: 3})
		m := v.instantiate(t, out)
		require.Zero(t, getGas(t, m))
	})
}

func TestMemoryGrow(t *testing.T) {
	v := newVM(t)
	out, _ := mustInstrument(t, modGrow, Config{GrowPageCost: 1000})

	m := v.instantiate(t, out)
	res, used, err := call(t, m, 10_000, "grow", 3)
	require.NoError(t, err)
	require.Equal(t, uint64(1), res[0]) // previous size
	require.Equal(t, uint64(3+3*1000), used)
	require.Equal(t, uint32(4*65536), m.Memory().Size())

	// Too little gas: traps before growing.
	m = v.instantiate(t, out)
	_, _, err = call(t, m, 2_500, "grow", 3)
	require.ErrorContains(t, err, "unreachable")
	require.Equal(t, uint32(65536), m.Memory().Size())

	// A failing grow is charged too (the operand is what is asked for).
	m = v.instantiate(t, out)
	res, used, err = call(t, m, 1<<40, "grow", 1<<20)
	require.NoError(t, err)
	require.Equal(t, uint64(math.MaxUint32), res[0]) // -1
	require.Equal(t, uint64(3+(1<<20)*1000), used)

	// Huge operands cannot wrap the charge.
	out, _ = mustInstrument(t, modGrow, Config{GrowPageCost: math.MaxUint32})
	m = v.instantiate(t, out)
	_, _, err = call(t, m, math.MaxUint64, "grow", math.MaxUint32)
	require.NoError(t, err)
	_, _, err = call(t, m, math.MaxUint32*math.MaxUint32+2, "grow", math.MaxUint32)
	require.ErrorContains(t, err, "unreachable")
}

func TestNaNCanonical(t *testing.T) {
	const canon64, canon32 = 0x7ff8000000000000, 0x7fc00000
	tests := []struct {
		fn   string
		want uint64
	}{
		{"nanadd", canon64},
		{"nandiv", canon64},
		{"nansqrt", canon64},
		{"promote", canon64},
		{"nanadd32", canon32},
		{"demote", canon32},
		{"negzero", 0x8000000000000000},
		{"plain", math.Float64bits(1.5 * 2.25)},
	}
	v := newVM(t)
	orig := v.instantiate(t, modNaN)
	out, _ := mustInstrument(t, modNaN, Config{})
	m := v.instantiate(t, out)
	for _, tc := range tests {
		t.Run(tc.fn, func(t *testing.T) {
			o, err := orig.ExportedFunction(tc.fn).Call(v.ctx)
			require.NoError(t, err)
			res, _, err := call(t, m, 1000, tc.fn)
			require.NoError(t, err)
			require.Equal(t, tc.want, res[0], "got %#x, uninstrumented %#x", res[0], o[0])
			t.Logf("%s: uninstrumented %#x, instrumented %#x", tc.fn, o[0], res[0])
		})
	}
	// On x86-64 these are not canonical without the rewrite.
	if runtime.GOARCH == "amd64" {
		o, err := orig.ExportedFunction("nandiv").Call(v.ctx)
		require.NoError(t, err)
		require.NotEqual(t, uint64(canon64), o[0])
	}
}

func TestExportedGlobals(t *testing.T) {
	out, info := mustInstrument(t, modGlobals, Config{})
	require.Equal(t, GasGlobalName, info.GasGlobal)
	require.Equal(t, uint32(3), info.GasGlobalIndex)
	require.Equal(t, []string{"hermetic_global_0", "hermetic_global_2"}, info.ExportedGlobals)
	require.Equal(t, []string{"hermetic_global_0", "answer", "hermetic_global_2"}, info.GlobalNames)

	v := newVM(t)
	cm, err := v.r.CompileModule(v.ctx, out)
	require.NoError(t, err)
	require.Len(t, cm.CustomSections(), 1)
	require.Equal(t, []byte{1, 2, 3}, cm.CustomSections()[0].Data())

	m := v.instantiate(t, out)
	for _, n := range []string{"hermetic_global_0", "answer", "hermetic_global_2", GasGlobalName} {
		require.NotNil(t, m.ExportedGlobal(n), n)
	}
	_, ok := m.ExportedGlobal("hermetic_global_0").(api.MutableGlobal)
	require.True(t, ok)
	_, ok = m.ExportedGlobal("answer").(api.MutableGlobal)
	require.False(t, ok)
	require.Equal(t, api.ValueTypeI64, m.ExportedGlobal(GasGlobalName).Type())
	require.Equal(t, uint64(7), m.ExportedGlobal("hermetic_global_0").Get())
	require.Equal(t, uint64(42), m.ExportedGlobal("answer").Get())
	require.Equal(t, math.Float64bits(1.5), m.ExportedGlobal("hermetic_global_2").Get())
	res, _, err := call(t, m, 100, "bump")
	require.NoError(t, err)
	require.Equal(t, uint64(8), res[0])
	require.Equal(t, uint64(8), m.ExportedGlobal("hermetic_global_0").Get())
	// Restore a snapshot value.
	m.ExportedGlobal("hermetic_global_0").(api.MutableGlobal).Set(100)
	res, _, err = call(t, m, 100, "bump")
	require.NoError(t, err)
	require.Equal(t, uint64(101), res[0])

	// A module without global and export sections gets both.
	out, info = mustInstrument(t, modBare, Config{InitialGas: 10})
	require.Empty(t, info.ExportedGlobals)
	require.Equal(t, uint32(0), info.GasGlobalIndex)
	m = v.instantiate(t, out)
	require.Equal(t, uint64(7), getGas(t, m)) // start: nop nop end
}

func TestMixSameResults(t *testing.T) {
	v := newVM(t)
	orig := v.instantiate(t, modMix)
	out, _ := mustInstrument(t, modMix, Config{BulkUnitCost: 1})
	m := v.instantiate(t, out)
	var prevGas uint64
	for x := uint64(0); x < 40; x++ {
		want, err := orig.ExportedFunction("mix").Call(v.ctx, x)
		require.NoError(t, err)
		got, used, err := call(t, m, 1_000_000, "mix", x)
		require.NoError(t, err)
		require.Equal(t, want, got, "x=%d", x)
		require.Greater(t, used, uint64(16)) // includes 8+8 bytes of bulk work
		if x > 2 {
			require.NotZero(t, prevGas)
		}
		prevGas = used
	}
	// Bulk work is charged per byte.
	out0, _ := mustInstrument(t, modMix, Config{})
	m0 := v.instantiate(t, out0)
	_, used0, err := call(t, m0, 1_000_000, "mix", 5)
	require.NoError(t, err)
	_, used1, err := call(t, m, 1_000_000, "mix", 5)
	require.NoError(t, err)
	require.Equal(t, used0+16, used1)
}

func TestGoProgram(t *testing.T) {
	out, info := mustInstrument(t, goWasm, DefaultConfig())
	t.Logf("go module: %d bytes -> %d bytes (+%.1f%%), %d functions, %d charges, %d globals exported",
		len(goWasm), len(out), 100*float64(len(out)-len(goWasm))/float64(len(goWasm)), info.Functions, info.Charges, len(info.ExportedGlobals))
	require.NotEmpty(t, info.ExportedGlobals)

	v := newVM(t)
	orig := v.instantiate(t, goWasm, "_initialize")
	var want [][]uint64
	for _, n := range []uint64{1, 50, 300} {
		res, err := orig.ExportedFunction("compute").Call(v.ctx, n)
		require.NoError(t, err)
		want = append(want, res)
	}
	wantGrow, err := orig.ExportedFunction("grow").Call(v.ctx, 3000)
	require.NoError(t, err)

	type run struct{ initGas, gas []uint64 }
	var runs []run
	for range 2 {
		m := v.instantiate(t, out) // _initialize is called below, metered
		var rn run
		_, used, err := call(t, m, 1<<50, "_initialize")
		require.NoError(t, err)
		rn.initGas = append(rn.initGas, used)
		for i, n := range []uint64{1, 50, 300} {
			res, used, err := call(t, m, 1<<50, "compute", n)
			require.NoError(t, err)
			require.Equal(t, want[i], res)
			require.Greater(t, used, uint64(0))
			rn.gas = append(rn.gas, used)
		}
		res, used, err := call(t, m, 1<<50, "grow", 3000)
		require.NoError(t, err)
		require.Equal(t, wantGrow, res)
		rn.gas = append(rn.gas, used)
		runs = append(runs, rn)
	}
	require.Equal(t, runs[0], runs[1])
	t.Logf("gas: _initialize %d, compute(1) %d, compute(50) %d, compute(300) %d, grow(3000 KiB) %d",
		runs[0].initGas[0], runs[0].gas[0], runs[0].gas[1], runs[0].gas[2], runs[0].gas[3])

	// Running out of gas in the middle of the Go runtime is a trap, at the
	// same point every time.
	var left []uint64
	for range 2 {
		m := v.instantiate(t, out)
		_, _, err := call(t, m, 1<<50, "_initialize")
		require.NoError(t, err)
		_, used, err := call(t, m, runs[0].gas[2]/2, "compute", 300)
		require.ErrorContains(t, err, "unreachable")
		left = append(left, runs[0].gas[2]/2-used)
	}
	require.Equal(t, left[0], left[1])

	// InitialGas lets wazero run _initialize during instantiation.
	out2, _ := mustInstrument(t, goWasm, Config{InitialGas: 1 << 50})
	m := v.instantiate(t, out2, "_initialize")
	res, _, err := call(t, m, 1<<50, "compute", 50)
	require.NoError(t, err)
	require.Equal(t, want[1], res)

	// Snapshot and restore: memory plus every global, on a pooled instance.
	m = v.instantiate(t, out)
	_, _, err = call(t, m, 1<<50, "_initialize")
	require.NoError(t, err)
	mem, ok := m.Memory().Read(0, m.Memory().Size())
	require.True(t, ok)
	memSnap := append([]byte(nil), mem...)
	globSnap := make([]uint64, len(info.GlobalNames))
	for i, n := range info.GlobalNames {
		globSnap[i] = m.ExportedGlobal(n).Get()
	}
	first, _, err := call(t, m, 1<<50, "compute", 50)
	require.NoError(t, err)
	second, _, err := call(t, m, 1<<50, "compute", 50)
	require.NoError(t, err)
	require.NotEqual(t, first, second) // the program keeps state between calls
	require.Equal(t, uint32(len(memSnap)), m.Memory().Size())
	require.True(t, m.Memory().Write(0, memSnap))
	for i, n := range info.GlobalNames {
		if g, ok := m.ExportedGlobal(n).(api.MutableGlobal); ok {
			g.Set(globSnap[i])
		}
	}
	again, _, err := call(t, m, 1<<50, "compute", 50)
	require.NoError(t, err)
	require.Equal(t, first, again)
}

func TestReject(t *testing.T) {
	v128 := cat([]byte{0xfd, 0x0c}, make([]byte, 16))
	tests := []struct {
		name string
		wasm []byte
		cfg  Config
		want error
		msg  string
	}{
		{"SIMD opcode", simple([][]byte{tVoid}, -1, fn{code: cat(v128, []byte{0x1a, 0x0b})}), Config{}, ErrUnsupported, "function 0 at offset"},
		{"SIMD in second function", simple([][]byte{tVoid}, -1, fn{code: []byte{0x0b}}, fn{code: cat(v128, []byte{0x1a, 0x0b})}), Config{}, ErrUnsupported, "function 1 at offset"},
		{"v128 local", simple([][]byte{tVoid}, -1, fn{locals: [][2]byte{{1, valV128}}, code: []byte{0x0b}}), Config{}, ErrUnsupported, "SIMD"},
		{"atomics", simple([][]byte{tVoid}, 1, fn{code: []byte{0xfe, 0x03, 0x00, 0x0b}}), Config{}, ErrUnsupported, "0xfe"},
		{"tail call", simple([][]byte{tVoid}, -1, fn{code: []byte{0x12, 0, 0x0b}}), Config{}, ErrUnsupported, "return_call"},
		{"exception handling", simple([][]byte{tVoid}, -1, fn{code: []byte{0x06, 0x40, 0x0b, 0x0b}}), Config{}, ErrUnsupported, "exception"},
		{"externref table", mod(sect(secTable, vec([]byte{valExternref, 0, 1}))), Config{}, ErrUnsupported, "externref"},
		{"externref param", mod(sect(secType, vec(functype([]byte{valExternref}, nil)))), Config{}, ErrUnsupported, "externref"},
		{"two tables", mod(sect(secTable, vec([]byte{valFuncref, 0, 1}, []byte{valFuncref, 0, 1}))), Config{}, ErrUnsupported, "tables"},
		{"two memories", mod(sect(secMemory, vec([]byte{0, 1}, []byte{0, 1}))), Config{}, ErrUnsupported, "multiple memories"},
		{"imported and defined memory", mod(sect(secImport, vec(cat(str("env"), str("mem"), []byte{2, 0, 1}))), sect(secMemory, vec([]byte{0, 1}))), Config{}, ErrUnsupported, "multiple memories"},
		{"memory index in memarg", simple([][]byte{tI32}, 1, fn{code: []byte{0x41, 0, 0x28, 0x42, 1, 0, 0x0b}}), Config{}, ErrUnsupported, "multiple memories"},
		{"shared memory", mod(sect(secMemory, vec([]byte{3, 1, 1}))), Config{}, ErrUnsupported, "threads"},
		{"memory64", mod(sect(secMemory, vec([]byte{4, 1}))), Config{}, ErrUnsupported, "memory64"},
		{"already instrumented", mustOut(modAdd), Config{}, ErrUnsupported, GasGlobalName},
		{"export name taken", mod(sect(secGlobal, vec([]byte{valI32, 0, 0x41, 0, 0x0b})), exportSec(export{"hermetic_global_0", 0, 0})), Config{}, ErrUnsupported, "hermetic_global_0"},
		{"too many locals", bigLocals(MaxLocals + 1), Config{}, ErrUnsupported, "locals"},
		{"many locals", bigLocals(MaxLocals), Config{}, nil, ""},
		{"huge element count", mod(sect(secElement, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})), Config{}, ErrMalformed, "element"},
		{"huge data count", mod(sect(secData, vec(cat([]byte{1}, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})))), Config{}, ErrMalformed, "data"},
		{"huge name map", mod(sect(secCustom, cat(str("name"), []byte{1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f}))), Config{}, ErrMalformed, "name"},
		{"externref elements", mod(sect(secElement, vec([]byte{5, valExternref, 0}))), Config{}, ErrUnsupported, "externref"},

		{"truncated body", modAdd[:len(modAdd)-2], Config{}, ErrMalformed, "unexpected end"},
		{"body without end", simple([][]byte{tI32x2I32}, -1, fn{code: []byte{0x20, 0, 0x20, 1, 0x6a}}), Config{}, ErrMalformed, "missing end"},
		{"bytes after end", simple([][]byte{tVoid}, -1, fn{code: []byte{0x0b, 0x01}}), Config{}, ErrMalformed, "after the final end"},
		{"bad LEB128 too long", simple([][]byte{tI32}, -1, fn{code: []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0b}}), Config{}, ErrMalformed, "LEB128"},
		{"bad LEB128 overflow", simple([][]byte{tI32}, -1, fn{code: []byte{0x41, 0x80, 0x80, 0x80, 0x80, 0x10, 0x0b}}), Config{}, ErrMalformed, "LEB128"},
		{"bad LEB128 section size", cat([]byte("\x00asm\x01\x00\x00\x00"), []byte{1, 0xff, 0xff, 0xff, 0xff, 0x7f}), Config{}, ErrMalformed, "LEB128"},
		{"bad magic", []byte("\x00wasm\x01\x00\x00"), Config{}, ErrMalformed, "magic"},
		{"empty", nil, Config{}, ErrMalformed, "magic"},
		{"unknown opcode", simple([][]byte{tVoid}, -1, fn{code: []byte{0xc5, 0x0b}}), Config{}, ErrMalformed, "unknown opcode 0xc5"},
		{"unknown 0xfc", simple([][]byte{tVoid}, -1, fn{code: []byte{0xfc, 18, 0x0b}}), Config{}, ErrMalformed, "0xfc 18"},
		{"sections out of order", mod(sect(secFunction, vec()), sect(secType, vec())), Config{}, ErrMalformed, "out of order"},
		{"unknown section", mod(sect(42, nil)), Config{}, ErrMalformed, "unknown section"},
		{"code count mismatch", mod(sect(secType, vec(tVoid)), sect(secFunction, vec(leb(0), leb(0))), sect(secCode, vec(fbody(nil, 0x0b)))), Config{}, ErrMalformed, "2 functions"},
		{"no code section", mod(sect(secType, vec(tVoid)), sect(secFunction, vec(leb(0)))), Config{}, ErrMalformed, "no code section"},
		{"bad type index", mod(sect(secType, vec(tVoid)), sect(secFunction, vec(leb(1)))), Config{}, ErrMalformed, "type index"},
		{"bad block type", simple([][]byte{tVoid}, -1, fn{code: []byte{0x02, 0x05, 0x0b, 0x0b}}), Config{}, ErrMalformed, "block type"},
		{"huge vector count", mod(sect(secType, []byte{0xff, 0xff, 0xff, 0xff, 0x0f})), Config{}, ErrMalformed, "count"},
		{"trailing section bytes", mod(sect(secType, cat(vec(tVoid), []byte{0}))), Config{}, ErrMalformed, "trailing"},

		{"grow cost too big", modGrow, Config{GrowPageCost: 1 << 32}, ErrConfig, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := Instrument(tc.wasm, tc.cfg)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.Nil(t, out)
			require.ErrorContains(t, err, tc.msg)
			for _, other := range []error{ErrMalformed, ErrUnsupported, ErrConfig} {
				if other != tc.want {
					require.False(t, errors.Is(err, other), "%v is also %v", err, other)
				}
			}
		})
	}
}

// bigLocals is a module whose function declares n i32 locals.
func bigLocals(n uint32) []byte {
	return mod(sect(secType, vec(tVoid)), sect(secFunction, vec(leb(0))),
		sect(secCode, vec(func() []byte {
			b := cat(vec(cat(leb(n), []byte{valI32})), []byte{0x0b})
			return cat(leb(uint32(len(b))), b)
		}())))
}

func mustOut(wasm []byte) []byte {
	out, _, err := Instrument(wasm, Config{})
	if err != nil {
		panic(err)
	}
	return out
}

// TestAllOutputsCompile checks that every instrumented test module is
// accepted by wazero and that custom sections survive.
func TestAllOutputsCompile(t *testing.T) {
	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer r.Close(ctx)
	for name, wasm := range testModules {
		t.Run(name, func(t *testing.T) {
			out, info := mustInstrument(t, wasm, DefaultConfig())
			cm, err := r.CompileModule(ctx, out)
			require.NoError(t, err)
			require.NotEmpty(t, info.GasGlobal)
			require.NoError(t, cm.Close(ctx))
		})
	}
}

func TestStateOps(t *testing.T) {
	cases := []struct {
		name string
		code []byte
		want []string
	}{
		{"none", []byte{0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 11, 0, 0x0b}, nil}, // memory.fill
		{"data.drop", []byte{0xfc, 9, 0, 0x0b}, []string{"data.drop"}},
		{"table.set and elem.drop twice", []byte{0x41, 0, 0xd0, 0x70, 0x26, 0, 0xfc, 13, 0, 0xfc, 13, 0, 0x0b},
			[]string{"elem.drop", "table.set"}},
		{"table.grow, table.fill, table.copy, table.init", []byte{
			0xd0, 0x70, 0x41, 1, 0xfc, 15, 0, 0x1a,
			0x41, 0, 0xd0, 0x70, 0x41, 1, 0xfc, 17, 0,
			0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 14, 0, 0,
			0x41, 0, 0x41, 0, 0x41, 0, 0xfc, 12, 0, 0, 0x0b},
			[]string{"table.copy", "table.fill", "table.grow", "table.init"}},
		{"table.get and table.size only", []byte{0x41, 0, 0x25, 0, 0x1a, 0xfc, 16, 0, 0x1a, 0x0b}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, info, err := Instrument(simple([][]byte{tVoid}, 1, fn{code: tc.code}), Config{})
			require.NoError(t, err)
			require.Equal(t, tc.want, info.StateOps)
		})
	}
}

func TestAccessTiers(t *testing.T) {
	tiers := []AccessTier{{MaxPages: 1, Cost: 10}, {MaxPages: 4, Cost: 100}, {MaxPages: 16, Cost: 1000}}
	for _, tc := range []struct {
		pages uint32
		want  uint64
	}{{0, 10}, {1, 10}, {2, 100}, {4, 100}, {5, 1000}, {16, 1000}, {17, 1000}, {math.MaxUint32, 1000}} {
		require.Equal(t, tc.want, AccessCost(tiers, tc.pages), "pages %d", tc.pages)
	}
	require.Zero(t, AccessCost(nil, 7))

	v := newVM(t)
	out, info := mustInstrument(t, modAccess, Config{AccessTiers: tiers})
	require.Equal(t, AccessPriceGlobalName, info.AccessPriceGlobal)
	m := v.instantiate(t, out)
	price, ok := m.ExportedGlobal(AccessPriceGlobalName).(api.MutableGlobal)
	require.True(t, ok)
	require.Equal(t, uint64(1000), price.Get(), "before the host sets it, the highest price")

	tests := []struct {
		name    string
		fn      string
		arg     uint64
		price   uint64 // set by the host before the call
		wantGas uint64
		after   uint64 // the price after the call
	}{
		{"two loads at the first tier", "load2", 8, 10, 6 + 2*10, 10},
		{"two loads at a price the host set", "load2", 8, 100, 6 + 2*100, 100},
		{"grow within the tier", "growload", 0, 10, 9 + 2*10, 10},
		{"grow to the second tier", "growload", 2, 10, 9 + 2*100, 100},
		{"grow past the last tier", "growload", 20, 100, 9 + 2*1000, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := v.instantiate(t, out)
			price := m.ExportedGlobal(AccessPriceGlobalName).(api.MutableGlobal)
			price.Set(tc.price)
			_, used, err := call(t, m, 1<<40, tc.fn, tc.arg)
			require.NoError(t, err)
			require.Equal(t, tc.wantGas, used)
			require.Equal(t, tc.after, price.Get())

			// Exactly enough gas succeeds, one less traps.
			m = v.instantiate(t, out)
			m.ExportedGlobal(AccessPriceGlobalName).(api.MutableGlobal).Set(tc.price)
			_, _, err = call(t, m, tc.wantGas-1, tc.fn, tc.arg)
			require.ErrorContains(t, err, "unreachable")
		})
	}

	// Without tiers nothing is added, and the accesses cost their class.
	out, info = mustInstrument(t, modAccess, Config{})
	require.Empty(t, info.AccessPriceGlobal)
	m = v.instantiate(t, out)
	require.Nil(t, m.ExportedGlobal(AccessPriceGlobalName))
	_, used, err := call(t, m, 1<<40, "load2", 8)
	require.NoError(t, err)
	require.Equal(t, uint64(6), used)
}

func TestAccessTiersRejected(t *testing.T) {
	for name, tiers := range map[string][]AccessTier{
		"unsorted":  {{MaxPages: 4, Cost: 1}, {MaxPages: 2, Cost: 2}},
		"duplicate": {{MaxPages: 4, Cost: 1}, {MaxPages: 4, Cost: 2}},
		"too dear":  {{MaxPages: 4, Cost: MaxAccessCost + 1}},
		"too many":  make([]AccessTier, MaxAccessTiers+1),
	} {
		_, _, err := Instrument(modAccess, Config{AccessTiers: tiers})
		require.ErrorIs(t, err, ErrConfig, name)
	}
}
