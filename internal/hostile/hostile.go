// Package hostile holds contracts written to attack the chain, for the
// tests, fuzzers and tools that check it withstands them: the adversary
// tests (e2e/adversary_*_test.go), app's FuzzContractResponse, and
// `hermeticd attack queries`. They are hand-written WebAssembly text
// (compiled with internal/wat), so that each does exactly one hostile thing.
package hostile

import (
	"fmt"

	"github.com/hermetic-chain/hermetic/internal/wat"
)

// EmptyResponse is a contract response that does nothing.
const EmptyResponse = `{"ok":{"messages":[],"attributes":[],"events":[]}}`

// compile compiles a contract whose instantiate answers EmptyResponse, with
// the other entry points given as WAT functions; $empty makes the region of
// EmptyResponse.
func compile(entries string) ([]byte, error) {
	return wat.Compile(fmt.Sprintf(`(module
`+wat.ContractPrelude+`  (data (i32.const 1024) %q)
  (func $empty (result i32) (call $region (i32.const 1024) (i32.const %d)))
  (func (export "instantiate") (param i32) (param i32) (param i32) (result i32) (call $empty))
%s)`, EmptyResponse, len(EmptyResponse), entries))
}

// Mirror returns a contract whose execute answers its message as its whole
// result: executed in plaintext, a transaction chooses the contract's
// response byte for byte — messages, attributes, events, data,
// sub-messages, anything malformed. Instantiate and reply answer
// EmptyResponse.
func Mirror() ([]byte, error) {
	return compile(`  (func (export "reply") (param i32) (param i32) (result i32) (call $empty))
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (local.get $msg))`)
}

// Spin returns a contract whose query never returns by itself: an endless
// loop that only the VM's gas metering or the query's deadline stops.
// Instantiate and execute answer EmptyResponse.
func Spin() ([]byte, error) {
	return compile(`  (func (export "execute") (param i32) (param i32) (param i32) (result i32) (call $empty))
  (func (export "query") (param i32) (param i32) (result i32)
    (loop $spin (br $spin))
    (unreachable))`)
}

// Chase returns a contract whose execute grows its memory by pages 64 KiB
// pages, links every 4-byte slot of them into one cycle in an order that
// jumps around (a full-period linear congruential sequence), and then
// follows the cycle, eight dependent loads to a step, until its gas runs
// out: every load waits for main memory, the slowest thing per instruction
// a contract can do (docs/gas.md). pages must be a power of two.
// Instantiate answers EmptyResponse.
func Chase(pages int) ([]byte, error) {
	if pages <= 0 || pages&(pages-1) != 0 {
		return nil, fmt.Errorf("hostile: Chase needs a power of two of pages, not %d", pages)
	}
	return compile(fmt.Sprintf(`  (func (export "execute") (param i32) (param i32) (param i32) (result i32)
    (local $r i32) (local $next i32) (local $base i32)
    (local.set $base (i32.mul (memory.grow (i32.const %[1]d)) (i32.const 65536)))
    (block $built (loop $build
      (local.set $next (i32.and (i32.add (i32.mul (local.get $r) (i32.const 1664525)) (i32.const 1013904223)) (i32.const %[2]d)))
      (i32.store (i32.add (local.get $base) (i32.shl (local.get $r) (i32.const 2)))
        (i32.add (local.get $base) (i32.shl (local.get $next) (i32.const 2))))
      (local.set $r (local.get $next))
      (br_if $built (i32.eqz (local.get $r)))
      (br $build)))
    (local.set $r (local.get $base))
    (loop $chase
      (local.set $r (i32.load (i32.load (i32.load (i32.load (i32.load (i32.load (i32.load (i32.load (local.get $r))))))))))
      (br $chase))
    (unreachable))`, pages, pages*16384-1))
}

// CompileBomb returns a contract with n functions of about 62 KB each, just
// under the largest an upload may have (vm.MaxFunctionBytes): what takes a
// compiler longest per byte. Instantiate answers EmptyResponse.
func CompileBomb(n int) ([]byte, error) {
	return compile(wat.Filler(n, 1_600))
}
