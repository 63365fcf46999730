package wat

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
