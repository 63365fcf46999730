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
