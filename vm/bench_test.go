package vm

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkCall measures one call of a small contract (the kv contract's
// instantiate: four writes and a delete) in a fresh instance: what every
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
