package meter

import (
	"context"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero"
)

// FuzzInstrument: Instrument never panics, fails only with ErrMalformed or
// ErrUnsupported, its output parses again, and whenever wazero accepts the
// input it also accepts the output. Inputs of odd length are instrumented
// with access tiers, the others without.
func FuzzInstrument(f *testing.F) {
	for _, name := range sortedKeys(testModules) {
		f.Add(testModules[name])
	}
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer r.Close(ctx)
	compiles := func(b []byte) (bool, error) {
		cm, err := r.CompileModule(ctx, b)
		if err != nil {
			return false, err
		}
		_ = cm.Close(ctx)
		return true, nil
	}
	f.Fuzz(func(t *testing.T, wasm []byte) {
		cfg := Config{GrowPageCost: 7, BulkUnitCost: 3}
		if len(wasm)%2 == 1 {
			cfg.AccessTiers = []AccessTier{{MaxPages: 2, Cost: 5}, {MaxPages: 1 << 31, Cost: 50}}
		}
		out, info, err := Instrument(wasm, cfg)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if info.GasGlobal != GasGlobalName {
			t.Fatal("no gas global")
		}
		if _, err := parseModule(out); err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		// Only inputs Instrument accepts are given to wazero: its decoder
		// sizes allocations by untrusted counts (a 30-byte module can make it
		// allocate gigabytes), which Instrument's parser bounds.
		if validIn, _ := compiles(wasm); validIn {
			if ok, err := compiles(out); !ok {
				t.Fatalf("wazero accepts the input but not the output: %v", err)
			}
		}
	})
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
