//go:build linux

package vm

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/internal/wat"
)

// BenchmarkPageTouch: a call that writes one byte in every 4 KiB page of a
// 32 MiB memory, on pooled instances, with copy-on-write resets and with
// copying ones. What a reset costs a call that touches every page is what
// the per-page call charge (callPageGas) must cover; on 2026-12-06 here
// copying took 2.6-5.9 ms a call (0.07-0.15 ns a VM gas with the charge for
// pages beyond the cache) and copy-on-write 27-42 ms (1 ns a VM gas, ten
// times the schedule's 0.1): why Config.CopyOnWriteReset is off.
func BenchmarkPageTouch(b *testing.B) {
	src := `(module
` + strings.Replace(wat.ContractPrelude, `(memory (export "memory") 4)`, `(memory (export "memory") 512)`, 1) + `
  (data (i32.const 1024) "{\"ok\":{\"messages\":[],\"attributes\":[],\"events\":[]}}")
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $region (i32.const 1024) (i32.const 50)))
  (func (export "execute") (param i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 65536))
    (loop $touch
      (i32.store8 (local.get $p) (i32.const 1))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $touch (i32.lt_u (local.get $p) (i32.const 33554432))))
    (call $region (i32.const 1024) (i32.const 50))))`
	bin, err := wat.Compile(src)
	require.NoError(b, err)
	for _, cow := range []bool{true, false} {
		name := map[bool]string{true: "cow", false: "copy"}[cow]
		b.Run(name, func(b *testing.B) {
			v, err := New(context.Background(), Config{MemoryLimitPages: 512})
			require.NoError(b, err)
			defer v.Close(context.Background())
			v.cow = cow && cowSupported()
			c, err := v.Store(context.Background(), bin)
			require.NoError(b, err)
			call := Call{Code: c.Hash, Entry: "execute", Env: testEnv, Msg: []byte(`{}`), Store: newState(b), GasLimit: 1 << 40,
				Info: &MessageInfo{Sender: "herm1sender", Funds: []Coin{}}}
			var gas uint64
			for b.Loop() {
				res, err := v.Call(context.Background(), call)
				if err != nil {
					b.Fatal(err)
				}
				gas += res.GasUsed
			}
			// VM gas is 0.1 ns by the schedule (docs/gas.md): ns per VM
			// gas over 0.1 is how far the call is underpriced.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(gas), "ns/VMgas")
		})
	}
}
