package wat

import (
	"fmt"
	"strings"
)

// ContractPrelude is WAT text for the module fields every hand-written
// CosmWasm-ABI test contract needs: an exported memory of 4 pages, a bump
// allocator ($allocate, exported as "allocate", handing out regions from
// 32 KiB up, so test data can live below), "deallocate" (a no-op),
// "interface_version_8", and $region, which makes a region over
// [ptr, ptr+len) — the usual way a test contract returns its data
// segments. Put it after the contract's imports inside (module ...).
const ContractPrelude = `
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 32768))
  (func $allocate (export "allocate") (param $size i32) (result i32)
    (local $r i32)
    (local.set $r (global.get $heap))
    (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
    (i32.store offset=4 (local.get $r) (local.get $size))
    (i32.store offset=8 (local.get $r) (i32.const 0))
    (global.set $heap (i32.add (i32.add (local.get $r) (i32.const 12)) (local.get $size)))
    (local.get $r))
  (func (export "deallocate") (param i32))
  (func (export "interface_version_8"))
  (func $region (param $ptr i32) (param $len i32) (result i32)
    (local $r i32)
    (local.set $r (call $allocate (i32.const 0)))
    (i32.store (local.get $r) (local.get $ptr))
    (i32.store offset=4 (local.get $r) (local.get $len))
    (i32.store offset=8 (local.get $r) (local.get $len))
    (local.get $r))
`

// Filler is WAT text for n module fields: functions of m branches each
// (about 39 bytes of body a branch), with loads, stores and arithmetic in
// every branch — code that keeps an optimising compiler busy, for tests
// and benchmarks of what uploads cost. The functions need a memory of at
// least 2 pages.
func Filler(n, m int) string {
	var b strings.Builder
	for f := range n {
		fmt.Fprintf(&b, "  (func $filler%d (param $i i32) (result i64) (local $x i64)\n", f)
		for i := range m {
			addr := 0x10000 + 8*(i%4096)
			fmt.Fprintf(&b, `    (if (i32.eq (local.get $i) (i32.const %d))
      (then (local.set $x (i64.add (i64.load (i32.const %d)) (i64.mul (local.get $x) (i64.const %d)))))
      (else (i64.store (i32.const %d) (i64.xor (local.get $x) (i64.const %d)))))
`, i, addr, i|1, addr, i+f)
		}
		b.WriteString("    (local.get $x))\n")
	}
	return b.String()
}
