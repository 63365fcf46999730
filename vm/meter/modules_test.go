package meter

import "math"

// Test modules, built as raw bytes.

// modAdd: add(a, b) = a + b. Cost: local.get, local.get, i32.add, end = 4.
var modAdd = simple([][]byte{tI32x2I32}, -1,
	fn{typ: 0, export: "add", code: []byte{0x20, 0, 0x20, 1, 0x6a, 0x0b}})

// modCount: count(n) loops max(n,1) times and returns the counter.
// Cost: [loop] 1 + 7 per iteration + [end] 1 + [local.get end] 2 = 7·iters + 4.
var modCount = simple([][]byte{tI32I32}, -1,
	fn{typ: 0, export: "count", locals: [][2]byte{{1, valI32}}, code: []byte{
		0x03, 0x40, // loop
		0x20, 1, 0x41, 1, 0x6a, 0x22, 1, // i = i + 1
		0x20, 0, 0x49, 0x0d, 0, // br_if 0 (i < n)
		0x0b,
		0x20, 1, 0x0b,
	}})

// modSpin: spin() never returns.
var modSpin = simple([][]byte{tVoid}, -1,
	fn{typ: 0, export: "spin", code: []byte{0x03, 0x40, 0x0c, 0, 0x0b, 0x0b}})

// modGrow: grow(n) = memory.grow(n); size() = memory.size. Memory: 1 page.
var modGrow = simple([][]byte{tI32I32, tI32}, 1,
	fn{typ: 0, export: "grow", code: []byte{0x20, 0, 0x40, 0, 0x0b}},
	fn{typ: 1, export: "size", code: []byte{0x3f, 0, 0x0b}})

func f64bytes(v float64) []byte {
	b := make([]byte, 8)
	u := math.Float64bits(v)
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return b
}

func f32bytes(v float32) []byte {
	b := make([]byte, 4)
	u := math.Float32bits(v)
	for i := range b {
		b[i] = byte(u >> (8 * i))
	}
	return b
}

// modNaN: functions returning the bits of float results.
var modNaN = simple([][]byte{tI64, tI32}, -1,
	// nanadd: reinterpret(0x7ff4000000000001) + 1.0
	fn{typ: 0, export: "nanadd", code: cat([]byte{0x42}, sleb(0x7ff4000000000001), []byte{0xbf, 0x44}, f64bytes(1), []byte{0xa0, 0xbd, 0x0b})},
	// nandiv: 0.0 / 0.0 (the default NaN of x86-64 is negative)
	fn{typ: 0, export: "nandiv", code: cat([]byte{0x44}, f64bytes(0), []byte{0x44}, f64bytes(0), []byte{0xa3, 0xbd, 0x0b})},
	// nansqrt: sqrt(-1)
	fn{typ: 0, export: "nansqrt", code: cat([]byte{0x44}, f64bytes(-1), []byte{0x9f, 0xbd, 0x0b})},
	// negzero: -0.0 + -0.0 = -0.0 (must be preserved)
	fn{typ: 0, export: "negzero", code: cat([]byte{0x44}, f64bytes(math.Copysign(0, -1)), []byte{0x44}, f64bytes(math.Copysign(0, -1)), []byte{0xa0, 0xbd, 0x0b})},
	// plain: 1.5 * 2.25
	fn{typ: 0, export: "plain", code: cat([]byte{0x44}, f64bytes(1.5), []byte{0x44}, f64bytes(2.25), []byte{0xa2, 0xbd, 0x0b})},
	// promote: f64.promote_f32(reinterpret(0xffa00001))
	fn{typ: 0, export: "promote", code: cat([]byte{0x41}, sleb(int64(int32(-0x5fffff))), []byte{0xbe, 0xbb, 0xbd, 0x0b})},
	// nanadd32: reinterpret(0x7fa00001) + 1.0f
	fn{typ: 1, export: "nanadd32", code: cat([]byte{0x41}, sleb(0x7fa00001), []byte{0xbe, 0x43}, f32bytes(1), []byte{0x92, 0xbc, 0x0b})},
	// demote: f32.demote_f64(reinterpret(0xfff4000000000001))
	fn{typ: 1, export: "demote", code: cat([]byte{0x42}, sleb(-0x000bffffffffffff), []byte{0xbf, 0xb6, 0xbc, 0x0b})},
)

// modGlobals: g0 mut i32 = 7 (unexported), g1 i64 = 42 exported as
// "answer", g2 mut f64 = 1.5 (unexported); bump() increments g0 and returns it.
var modGlobals = mod(
	sect(secType, vec(tI32)),
	sect(secFunction, vec(leb(0))),
	sect(secGlobal, vec(
		cat([]byte{valI32, 1, 0x41}, sleb(7), []byte{0x0b}),
		cat([]byte{valI64, 0, 0x42}, sleb(42), []byte{0x0b}),
		cat([]byte{valF64, 1, 0x44}, f64bytes(1.5), []byte{0x0b}),
	)),
	exportSec(export{"bump", 0, 0}, export{"answer", 3, 1}),
	sect(secCode, vec(fbody(nil, 0x23, 0, 0x41, 1, 0x6a, 0x24, 0, 0x23, 0, 0x0b))),
	sect(secCustom, cat(str("hermetic.test"), []byte{1, 2, 3})), // opaque, copied as is
)

// modBare has neither a global nor an export section, and a start function.
var modBare = mod(
	sect(secType, vec(tVoid)),
	sect(secFunction, vec(leb(0))),
	sect(secStart, leb(0)),
	sect(secCode, vec(fbody(nil, 0x01, 0x01, 0x0b))),
)

// modMix exercises multi-value block types, br_table, if/else, call_indirect,
// memory.fill/copy, sign extension, saturating truncation and select.
var modMix = mod(
	sect(secType, vec(tI32I32, tI32I32R)),
	sect(secFunction, vec(leb(0), leb(0))),
	sect(secTable, vec([]byte{valFuncref, 1, 1, 1})),
	sect(secMemory, vec([]byte{0, 1})),
	exportSec(export{"mix", 0, 0}, export{"memory", 2, 0}),
	sect(secElement, vec(cat(leb(0), []byte{0x41, 0, 0x0b}, vec(leb(1))))),
	sect(secCode, vec(
		fbody([][2]byte{{1, valI32}}, cat(
			[]byte{0x20, 0, 0x02, 1, 0x20, 0, 0x41, 3, 0x6c, 0x0b, 0x6a, 0x21, 1},                                    // l1 = x + block(type 1){3x}
			[]byte{0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x20, 0, 0x41, 3, 0x70, 0x0e, 2, 0, 1, 2, 0x0b},               // br_table on x%3
			[]byte{0x20, 1, 0x41, 0xe4, 0, 0x6a, 0x21, 1, 0x0c, 1, 0x0b},                                             // case 0: l1 += 100
			[]byte{0x20, 1, 0x41, 2, 0x6c, 0x21, 1, 0x0b},                                                            // case 1 and default: l1 *= 2
			[]byte{0x20, 0, 0x41, 1, 0x71, 0x04, valI32, 0x20, 1, 0x41, 7, 0x6b, 0x05, 0x20, 1, 0xc0, 0x0b, 0x21, 1}, // if/else
			[]byte{0x20, 1, 0x41, 0, 0x11, 0, 0, 0x21, 1},                                                            // l1 = double(l1) via call_indirect
			[]byte{0x41, 16, 0x20, 0, 0x41, 8, 0xfc, 11, 0},                                                          // memory.fill(16, x, 8)
			[]byte{0x41, 32, 0x41, 16, 0x41, 8, 0xfc, 10, 0, 0},                                                      // memory.copy(32, 16, 8)
			[]byte{0x20, 1, 0x41, 35, 0x2d, 0, 0, 0x6a},                                                              // l1 + load8_u(35)
			[]byte{0x20, 0, 0xb7, 0x44}, f64bytes(1e10), []byte{0xa2, 0xfc, 2, 0x73},                                 // ^ trunc_sat_s(x * 1e10)
			[]byte{0x41, 11, 0x41, 13, 0x20, 0, 0x41, 5, 0x4b, 0x1b, 0x6a}, // + (x > 5 ? 11 : 13)
			[]byte{0x0b},
		)...),
		fbody(nil, 0x20, 0, 0x41, 1, 0x74, 0x0b), // double
	)),
)

// modCtl: blocks(): a block nothing branches to (merged into the entry run)
// and one left by br (its dead end is not charged): 6 + 2 = 8.
// ifelse(x): [local.get if] 2, [i32.const else] or [i32.const end] 2, [end] 1 = 5.
var modCtl = simple([][]byte{tI32, tI32I32}, -1,
	fn{typ: 0, export: "blocks", code: []byte{0x02, 0x40, 0x41, 1, 0x1a, 0x0b, 0x02, 0x40, 0x0c, 0, 0x0b, 0x41, 2, 0x0b}},
	fn{typ: 1, export: "ifelse", code: []byte{0x20, 0, 0x04, valI32, 0x41, 10, 0x05, 0x41, 20, 0x0b, 0x0b}})

var testModules = map[string][]byte{
	"ctl": modCtl,
	"add": modAdd, "count": modCount, "spin": modSpin, "grow": modGrow, "nan": modNaN,
	"globals": modGlobals, "bare": modBare, "mix": modMix, "access": modAccess,
}

// modAccess: load2(p) = mem[p] + mem[p] (two loads in one run: 6
// instructions); growload(n) grows the memory by n pages, then loads
// address 0 and stores it at 4 (a run of local.get and memory.grow, then
// one of drop, i32.const, i32.const, i32.load, i32.store, i32.const, end:
// 2 + 7 instructions, 2 accesses at the new price). Memory: 1 page.
var modAccess = simple([][]byte{tI32I32}, 1,
	fn{typ: 0, export: "load2", code: []byte{0x20, 0, 0x28, 2, 0, 0x20, 0, 0x28, 2, 0, 0x6a, 0x0b}},
	fn{typ: 0, export: "growload", code: []byte{0x20, 0, 0x40, 0, 0x1a, 0x41, 4, 0x41, 0, 0x28, 2, 0, 0x36, 2, 0, 0x41, 0, 0x0b}})
