package wat

import (
	"context"
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// TestEncodingGolden checks exact bytes against encodings worked out by hand
// from the binary format specification.
func TestEncodingGolden(t *testing.T) {
	const header = "0061736d01000000"
	// The classic "add" module; this is also what wat2wasm produces.
	const addModule = header +
		"0107" + "01" + "60" + "027f7f" + "017f" + // type section: (i32 i32) -> i32
		"0302" + "01" + "00" + // function section: func 0 has type 0
		"0707" + "01" + "03616464" + "00" + "00" + // export "add" func 0
		"0a09" + "01" + "07" + "00" + "2000" + "2001" + "6a" + "0b" // code
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"empty module", "(module)", header},
		{"empty source", "", header},
		{"named empty module", "(module $m) ;; trailing comment", header},
		{"add flat", `(module
			(func (export "add") (param i32 i32) (result i32)
				local.get 0
				local.get 1
				i32.add))`, addModule},
		{"add folded with names", `(module
			(func $add (param $a i32) (param $b i32) (result i32)
				(i32.add (local.get $a) (local.get $b)))
			(export "add" (func $add)))`, addModule},
		{"memory", "(module (memory 1))", header + "0503" + "01" + "0001"},
		{"memory with max and export", `(module (memory $m (export "mem") 1 16))`,
			header + "0504" + "01" + "010110" + "0707" + "01" + "036d656d" + "02" + "00"},
		{"mutable global", "(module (global (mut i32) (i32.const -1)))",
			header + "0606" + "01" + "7f01" + "417f" + "0b"},
		{"i64 const and locals", `(module (func (local i32 i32) (local $x i64) (drop (i64.const 0x80))))`,
			header + "0104" + "01" + "60" + "00" + "00" + "0302" + "0100" +
				"0a0c" + "01" + "0a" + "02" + "027f" + "017e" + "42" + "8001" + "1a" + "0b"},
		{"import", `(module (import "env" "f" (func $f (param i32))))`,
			header + "0105" + "01" + "60017f00" + "0209" + "01" + "03656e76" + "0166" + "00" + "00"},
		{"data", `(module (memory 1) (data (i32.const 16) "a\00\41"))`,
			header + "0503" + "010001" + "0b09" + "01" + "00" + "4110" + "0b" + "03" + "610041"},
		{"memarg", `(module (memory 1) (func (drop (i64.load offset=8 align=4 (i32.const 0)))))`,
			header + "0104" + "0160" + "0000" + "0302" + "0100" + "0503" + "010001" +
				"0a0a" + "01" + "08" + "00" + "4100" + "29" + "02" + "08" + "1a" + "0b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := Compile(tc.src)
			require.NoError(t, err)
			require.Equal(t, tc.want, hex.EncodeToString(bin))
		})
	}
}

// call describes one exported-function invocation and its expected results.
type call struct {
	fn   string
	args []uint64
	want []uint64
}

func TestRun(t *testing.T) {
	i32 := func(v int32) uint64 { return uint64(uint32(v)) }
	tests := []struct {
		name  string
		src   string
		calls []call
	}{
		{
			name: "arithmetic",
			src: `(module
				(func (export "calc") (param $a i32) (param $b i32) (result i32)
					(i32.sub (i32.mul (local.get $a) (i32.const 10)) (local.get $b)))
				(func (export "mix64") (param i64) (result i64)
					local.get 0
					i64.const 0xFFFF_FFFF
					i64.and
					i64.const -2
					i64.mul)
				(func (export "divs") (param i32 i32) (result i32)
					(i32.div_s (local.get 0) (local.get 1)))
				(func (export "bits") (result i32)
					(i32.add (i32.popcnt (i32.const 0xff))
						(i32.add (i32.clz (i32.const 1)) (i32.rotl (i32.const 1) (i32.const 4))))))`,
			calls: []call{
				{"calc", []uint64{7, 5}, []uint64{65}},
				{"mix64", []uint64{0xAAAA_BBBB_0000_0003}, []uint64{uint64(-6 & math.MaxUint64)}},
				{"divs", []uint64{i32(-9), 2}, []uint64{i32(-4)}},
				{"bits", nil, []uint64{8 + 31 + 16}},
			},
		},
		{
			name: "factorial recursive and iterative",
			src: `(module
				(func $fac (export "fac") (param $n i64) (result i64)
					(if (result i64) (i64.eqz (local.get $n))
						(then (i64.const 1))
						(else (i64.mul (local.get $n)
							(call $fac (i64.sub (local.get $n) (i64.const 1)))))))
				(func (export "fac_loop") (param $n i64) (result i64) (local $acc i64)
					i64.const 1
					local.set $acc
					block $done
						loop $again
							local.get $n
							i64.eqz
							br_if $done
							local.get $acc
							local.get $n
							i64.mul
							local.set $acc
							local.get $n
							i64.const 1
							i64.sub
							local.set $n
							br $again
						end
					end
					local.get $acc))`,
			calls: []call{
				{"fac", []uint64{0}, []uint64{1}},
				{"fac", []uint64{10}, []uint64{3628800}},
				{"fac_loop", []uint64{20}, []uint64{2432902008176640000}},
			},
		},
		{
			name: "branches flat and folded",
			src: `(module
				(func (export "max") (param $a i32) (param $b i32) (result i32)
					local.get $a
					local.get $b
					i32.gt_s
					if (result i32)
						local.get $a
					else
						local.get $b
					end)
				(func (export "sign") (param $x i32) (result i32)
					(block $out (result i32)
						(drop (br_if $out (i32.const 1) (i32.gt_s (local.get $x) (i32.const 0))))
						(drop (br_if 0 (i32.const -1) (i32.lt_s (local.get $x) (i32.const 0))))
						(i32.const 0)))
				(func (export "select") (param i32) (result i32)
					(select (i32.const 10) (i32.const 20) (local.get 0)))
				(func (export "early") (param i32) (result i32)
					(if (local.get 0) (then (return (i32.const 1))))
					(i32.const 2)))`,
			calls: []call{
				{"max", []uint64{3, 9}, []uint64{9}},
				{"max", []uint64{i32(-3), i32(-9)}, []uint64{i32(-3)}},
				{"sign", []uint64{5}, []uint64{1}},
				{"sign", []uint64{i32(-5)}, []uint64{i32(-1)}},
				{"sign", []uint64{0}, []uint64{0}},
				{"select", []uint64{1}, []uint64{10}},
				{"select", []uint64{0}, []uint64{20}},
				{"early", []uint64{1}, []uint64{1}},
				{"early", []uint64{0}, []uint64{2}},
			},
		},
		{
			name: "br_table",
			src: `(module
				(func (export "classify") (param $i i32) (result i32)
					(block $default
						(block $two
							(block $one
								(block $zero
									(br_table $zero $one $two $default (local.get $i)))
								(return (i32.const 100)))
							(return (i32.const 101)))
						(return (i32.const 102)))
					(i32.const 999))
				(func (export "depths") (param i32) (result i32)
					block
						block
							local.get 0
							br_table 1 0
						end
						i32.const 7
						return
					end
					i32.const 8))`,
			calls: []call{
				{"classify", []uint64{0}, []uint64{100}},
				{"classify", []uint64{1}, []uint64{101}},
				{"classify", []uint64{2}, []uint64{102}},
				{"classify", []uint64{3}, []uint64{999}},
				{"classify", []uint64{77}, []uint64{999}},
				{"depths", []uint64{0}, []uint64{8}},
				{"depths", []uint64{1}, []uint64{7}},
			},
		},
		{
			name: "memory and data",
			src: `(module
				(memory (export "memory") 1)
				(data (i32.const 1024) "hi\00\n\"\41\u{263a}")
				(func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
				(func (export "roundtrip") (result i64)
					(i64.store offset=8 (i32.const 2048) (i64.const -42))
					(i64.load offset=4 align=8 (i32.const 2052)))
				(func (export "narrow") (result i32)
					(i32.store16 (i32.const 16) (i32.const 0xfffe))
					(i32.load16_s (i32.const 16)))
				(func (export "grow") (result i32)
					(drop (memory.grow (i32.const 2)))
					memory.size)
				(func (export "bulk") (result i32)
					(memory.fill (i32.const 100) (i32.const 7) (i32.const 4))
					(memory.copy (i32.const 200) (i32.const 100) (i32.const 4))
					(i32.load (i32.const 200))))`,
			calls: []call{
				{"load8", []uint64{1024}, []uint64{'h'}},
				{"load8", []uint64{1026}, []uint64{0}},
				{"load8", []uint64{1028}, []uint64{'"'}},
				{"load8", []uint64{1029}, []uint64{'A'}},
				{"load8", []uint64{1030}, []uint64{0xE2}},
				{"roundtrip", nil, []uint64{uint64(-42 & math.MaxUint64)}},
				{"narrow", nil, []uint64{i32(-2)}},
				{"bulk", nil, []uint64{0x07070707}},
				{"grow", nil, []uint64{3}},
			},
		},
		{
			name: "globals",
			src: `(module
				(global $counter (export "counter") (mut i64) (i64.const 0))
				(global $step i32 (i32.const 5))
				(func (export "bump") (result i64)
					(global.set $counter (i64.add (global.get $counter)
						(i64.extend_i32_u (global.get $step))))
					global.get $counter)
				(func (export "step") (result i32) global.get 1))`,
			calls: []call{
				{"bump", nil, []uint64{5}},
				{"bump", nil, []uint64{10}},
				{"step", nil, []uint64{5}},
			},
		},
		{
			name: "floats and conversions",
			src: `(module
				(func (export "hyp") (param f64 f64) (result f64)
					(f64.sqrt (f64.add (f64.mul (local.get 0) (local.get 0))
						(f64.mul (local.get 1) (local.get 1)))))
				(func (export "f32") (result f32)
					(f32.add (f32.const 1.5) (f32.const 0x1p-1)))
				(func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
				(func (export "sat") (result i32) (i32.trunc_sat_f64_u (f64.const -inf)))
				(func (export "isnan") (result i32) (f64.ne (f64.const nan) (f64.const nan)))
				(func (export "bits") (result i64) (i64.reinterpret_f64 (f64.const -0.0)))
				(func (export "conv") (result f64)
					(f64.promote_f32 (f32.demote_f64 (f64.convert_i64_u (i64.const -1)))))
				(func (export "ext") (result i64) (i64.extend8_s (i64.const 0x80)))
				(func (export "wrap") (result i32) (i32.wrap_i64 (i64.const 0x1_0000_0007))))`,
			calls: []call{
				{"hyp", []uint64{api.EncodeF64(3), api.EncodeF64(4)}, []uint64{api.EncodeF64(5)}},
				{"f32", nil, []uint64{api.EncodeF32(2)}},
				{"trunc", []uint64{api.EncodeF64(-7.9)}, []uint64{i32(-7)}},
				{"sat", nil, []uint64{0}},
				{"isnan", nil, []uint64{1}},
				{"bits", nil, []uint64{1 << 63}},
				{"conv", nil, []uint64{api.EncodeF64(18446744073709551616.0)}},
				{"ext", nil, []uint64{uint64(-128 & math.MaxUint64)}},
				{"wrap", nil, []uint64{7}},
			},
		},
		{
			name: "call_indirect and start",
			src: `(module
				(type $binop (func (param i32 i32) (result i32)))
				(table 2 funcref)
				(elem (i32.const 0) $add $sub)
				(global $started (mut i32) (i32.const 0))
				(func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
				(func $sub (type $binop) (param $a i32) (param $b i32) (result i32)
					(i32.sub (local.get $a) (local.get $b)))
				(func $init (global.set $started (i32.const 1)))
				(start $init)
				(func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
					(call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op)))
				(func (export "started") (result i32) (global.get $started)))`,
			calls: []call{
				{"apply", []uint64{0, 7, 3}, []uint64{10}},
				{"apply", []uint64{1, 7, 3}, []uint64{4}},
				{"started", nil, []uint64{1}},
			},
		},
		{
			name: "abbreviations and flat call_indirect",
			src: `(module
				(type $unary (func (param i32) (result i32)))
				(table $t (export "table") funcref (elem $double $square))
				(memory (data "\01\02\03\04"))
				(func $double (param i32) (result i32) local.get 0 i32.const 2 i32.mul)
				(func $square (param i32) (result i32) local.get 0 local.get 0 i32.mul)
				(func (export "apply") (param $f i32) (param $x i32) (result i32)
					local.get $x
					local.get $f
					call_indirect $t (type $unary))
				(func (export "word") (result i32) i32.const 0 i32.load align=1)
				(func (export "typed_select") (param i32) (result i64)
					i64.const 1
					i64.const 2
					local.get 0
					select (result i64)))`,
			calls: []call{
				{"apply", []uint64{0, 21}, []uint64{42}},
				{"apply", []uint64{1, 9}, []uint64{81}},
				{"word", nil, []uint64{0x04030201}},
				{"typed_select", []uint64{0}, []uint64{2}},
			},
		},
		{
			name: "block comments, multi-value block and numeric labels",
			src: `(; a (; nested ;) comment ;)
				(func (export "swap") (param i32 i32) (result i32 i32)
					(block (result i32 i32) (local.get 1) (local.get 0)))
				(func (export "tee") (param i32) (result i32) (local i32)
					(i32.add (local.tee 1 (i32.const 3)) (local.get 1)))
				(func (export "loop") (param $n i32) (result i32) (local $sum i32)
					(loop $l
						(local.set $sum (i32.add (local.get $sum) (local.get $n)))
						(local.set $n (i32.sub (local.get $n) (i32.const 1)))
						(br_if $l (local.get $n)))
					(local.get $sum))`,
			calls: []call{
				{"swap", []uint64{1, 2}, []uint64{2, 1}},
				{"tee", []uint64{0}, []uint64{6}},
				{"loop", []uint64{100}, []uint64{5050}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin, err := Compile(tc.src)
			require.NoError(t, err)
			ctx := context.Background()
			r := wazero.NewRuntime(ctx)
			defer func() { require.NoError(t, r.Close(ctx)) }()
			mod, err := r.Instantiate(ctx, bin)
			require.NoError(t, err)
			for _, c := range tc.calls {
				fn := mod.ExportedFunction(c.fn)
				require.NotNil(t, fn, "export %q", c.fn)
				got, err := fn.Call(ctx, c.args...)
				require.NoError(t, err, "call %s%v", c.fn, c.args)
				// Only the low 32 bits of i32/f32 results are meaningful.
				for i, rt := range fn.Definition().ResultTypes() {
					if rt == api.ValueTypeI32 || rt == api.ValueTypeF32 {
						got[i] &= math.MaxUint32
					}
				}
				require.Equal(t, c.want, got, "call %s%v", c.fn, c.args)
			}
		})
	}
}

// TestHostImportAndExports exercises imported host functions plus exported
// memory and globals, the way CosmWasm-ABI test contracts use them.
func TestHostImportAndExports(t *testing.T) {
	const src = `
	(module
		(type $read_t (func (param i32) (result i32)))
		(import "env" "db_read" (func $db_read (type $read_t)))
		(import "env" "debug" (func $debug (param i32 i32)))
		(memory $mem 1)
		(export "memory" (memory 0))
		(global $last (mut i32) (i32.const 0))
		(export "last" (global $last))
		(data (i32.const 1024) "key")
		(func $query (export "query") (param $key i32) (result i32)
			(call $debug (i32.const 1024) (i32.const 3))
			(global.set $last (call $db_read (local.get $key)))
			(global.get $last)))`
	bin, err := Compile(src)
	require.NoError(t, err)

	ctx := context.Background()
	r := wazero.NewRuntime(ctx)
	defer func() { require.NoError(t, r.Close(ctx)) }()
	var logged string
	_, err = r.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func(_ context.Context, key uint32) uint32 { return key * 2 }).Export("db_read").
		NewFunctionBuilder().WithFunc(func(_ context.Context, m api.Module, ptr, n uint32) {
		b, ok := m.Memory().Read(ptr, n)
		require.True(t, ok)
		logged = string(b)
	}).Export("debug").
		Instantiate(ctx)
	require.NoError(t, err)

	mod, err := r.Instantiate(ctx, bin)
	require.NoError(t, err)
	got, err := mod.ExportedFunction("query").Call(ctx, 21)
	require.NoError(t, err)
	require.Equal(t, []uint64{42}, got)
	require.Equal(t, "key", logged)

	require.NotNil(t, mod.ExportedMemory("memory"))
	require.Equal(t, uint32(65536), mod.ExportedMemory("memory").Size())
	require.Equal(t, uint64(42), mod.ExportedGlobal("last").Get())

	// Imports come first in the function index space: $query is index 2.
	defs := mod.ExportedFunctionDefinitions()
	require.Contains(t, defs, "query")
	require.Equal(t, uint32(2), defs["query"].Index())
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		msg       string
	}{
		{"unknown instruction", "(module\n  (func\n    i32.frobnicate))", 3, 5, `unknown instruction "i32.frobnicate"`},
		{"unknown label", "(module (func\n (block (br $nope))))", 2, 13, "unknown label $nope"},
		{"label depth", "(module (func (br 3)))", 1, 19, "label depth 3 out of range"},
		{"unclosed paren", "(module\n  (func (nop)", 2, 3, "expected ')'"},
		{"extra close paren", "(module))", 1, 9, "unexpected ')'"},
		{"bad number", "(module (func (drop (i32.const 12x))))", 1, 32, `bad i32 literal "12x"`},
		{"i32 out of range", "(module (func (drop (i32.const 0x1_0000_0000))))", 1, 32, "out of range"},
		{"bad float", "(module (func (drop (f32.const abc))))", 1, 32, `bad f32 literal "abc"`},
		{"missing const", "(module (func (drop (i64.const))))", 1, 31, "expected i64 literal, got ')'"},
		{"unknown local", "(module (func (local.get $x)))", 1, 26, "unknown local $x"},
		{"unknown function", "(module (func (call $f)))", 1, 21, "unknown function $f"},
		{"unknown global", "(module (func (global.get 0)))", 1, 27, "global index 0 out of range"},
		{"missing end", "(module (func block nop))", 1, 24, "expected 'end' closing 'block' opened at 1:15"},
		{"stray end", "(module (func nop end))", 1, 19, "unexpected 'end'"},
		{"else without if", "(module (func block else end))", 1, 21, "unexpected 'else'"},
		{"bad field", "(module (funk))", 1, 10, `unknown module field "funk"`},
		{"bad type", "(module (func (param i33)))", 1, 22, `expected value type (i32, i64, f32, f64), got "i33"`},
		{"if without then", "(module (func (if (i32.const 1) nop)))", 1, 33, "expected folded condition or '(then ...)'"},
		{"if without then at end", "(module (func (if (i32.const 1))))", 1, 32, "expected '(then ...)', got ')'"},
		{"unterminated string", "(module (data (i32.const 0) \"abc))", 1, 29, "unterminated string"},
		{"bad escape", `(module (data (i32.const 0) "\q"))`, 1, 30, "bad escape"},
		{"unterminated comment", "(module (; oops", 1, 9, "unterminated block comment"},
		{"bad align", "(module (memory 1) (func (drop (i32.load align=3 (i32.const 0)))))", 1, 42, "power of two"},
		{"duplicate export", `(module (func (export "a")) (func (export "a")))`, 1, 43, "duplicate export name"},
		{"atom operand in folded", "(module (func (drop 1)))", 1, 21, "expected folded operand"},
		{"signature mismatch", "(module (type (func)) (func (type 0) (param i32)))", 1, 29, "does not match type 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.src)
			require.Error(t, err)
			var se *SyntaxError
			require.True(t, errors.As(err, &se), "error %v is not a *SyntaxError", err)
			require.Contains(t, err.Error(), tc.msg)
			require.Equal(t, [2]int{tc.line, tc.col}, [2]int{se.Line, se.Column}, "error: %v", err)
		})
	}
}

func TestNumbers(t *testing.T) {
	ints := []struct {
		in    string
		width uint
		want  uint64
		ok    bool
	}{
		{"0", 32, 0, true},
		{"-1", 32, 0xFFFFFFFF, true},
		{"4294967295", 32, 0xFFFFFFFF, true},
		{"4294967296", 32, 0, false},
		{"-2147483648", 32, 0x80000000, true},
		{"-2147483649", 32, 0, false},
		{"0xFF_FF", 32, 0xFFFF, true},
		{"1_000_000", 64, 1000000, true},
		{"-0x8000000000000000", 64, 1 << 63, true},
		{"18446744073709551615", 64, math.MaxUint64, true},
		{"1__0", 32, 0, false},
		{"_1", 32, 0, false},
		{"0x", 32, 0, false},
		{"--1", 32, 0, false},
	}
	for _, tc := range ints {
		t.Run("int "+tc.in, func(t *testing.T) {
			got, err := parseInt(tc.in, tc.width)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	floats := []struct {
		in    string
		width int
		want  uint64
		ok    bool
	}{
		{"1.5", 64, math.Float64bits(1.5), true},
		{"-0", 64, 1 << 63, true},
		{"1e10", 32, uint64(math.Float32bits(1e10)), true},
		{"0x1.8p1", 64, math.Float64bits(3), true},
		{"0x10", 32, uint64(math.Float32bits(16)), true},
		{"inf", 32, 0x7F800000, true},
		{"-inf", 64, 0xFFF0000000000000, true},
		{"nan", 32, 0x7FC00000, true},
		{"-nan", 64, 0xFFF8000000000000, true},
		{"nan:0x1", 32, 0x7F800001, true},
		{"nan:0x0", 32, 0, false},
		{"1e400", 64, 0, false},
		{"1_000.5", 64, math.Float64bits(1000.5), true},
		{"infinity", 64, 0, false},
		{"1.2.3", 64, 0, false},
	}
	for _, tc := range floats {
		t.Run("float "+tc.in, func(t *testing.T) {
			got, err := parseFloat(tc.in, tc.width)
			if !tc.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	leb := []struct {
		v    int64
		want string
	}{
		{0, "00"}, {-1, "7f"}, {63, "3f"}, {64, "c000"}, {-64, "40"}, {-65, "bf7f"}, {624485, "e58e26"},
		{math.MinInt64, "8080808080808080807f"},
	}
	for _, tc := range leb {
		require.Equal(t, tc.want, hex.EncodeToString(appendS64(nil, tc.v)), "sleb %d", tc.v)
	}
	require.Equal(t, "e58e26", hex.EncodeToString(appendU32(nil, 624485)))
}
