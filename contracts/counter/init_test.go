//go:build !wasip1

package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/vm"
	"github.com/hermetic-chain/hermetic/vm/meter"
)

// TestInitializeCost measures what every call of a Go contract pays before
// its entry point runs: a fresh instance and the Go runtime's _initialize.
// It instruments the module as the VM does and runs it on wazero directly,
// with no-op env imports (the runtime's start-up calls none of them).
func TestInitializeCost(t *testing.T) {
	ctx := context.Background()
	wasm := contracttest.Build(t, ".")
	metered, _, err := meter.Instrument(wasm, vm.MeterConfig())
	require.NoError(t, err)
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithMemoryLimitPages(vm.DefaultMemoryLimitPages))
	defer rt.Close(ctx)
	cm, err := rt.CompileModule(ctx, metered)
	require.NoError(t, err)
	env := rt.NewHostModuleBuilder("env")
	for _, f := range cm.ImportedFunctions() {
		if mod, name, _ := f.Import(); mod == "env" {
			env.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(context.Context, api.Module, []uint64) {}),
				f.ParamTypes(), f.ResultTypes()).Export(name)
		}
	}
	_, err = env.Instantiate(ctx)
	require.NoError(t, err)
	_, err = wasi_snapshot_preview1.Instantiate(ctx, rt)
	require.NoError(t, err)

	const runs = 20
	var inst, init time.Duration
	var gas uint64
	var pagesBefore, pagesAfter uint32
	for i := range runs + 1 {
		if i == 1 { // the first run warms up
			inst, init = 0, 0
		}
		start := time.Now()
		mod, err := rt.InstantiateModule(ctx, cm, wazero.NewModuleConfig().WithName("").WithStartFunctions())
		require.NoError(t, err)
		inst += time.Since(start)
		g := mod.ExportedGlobal(vm.GasGlobal).(api.MutableGlobal)
		g.Set(1 << 40)
		pagesBefore = mod.Memory().Size() / 65536
		start = time.Now()
		_, err = mod.ExportedFunction("_initialize").Call(ctx)
		require.NoError(t, err)
		init += time.Since(start)
		pagesAfter = mod.Memory().Size() / 65536
		used := uint64(1<<40) - g.Get()
		if gas != 0 {
			require.Equal(t, gas, used, "_initialize uses the same gas every time")
		}
		gas = used
		mod.Close(ctx)
	}
	t.Logf("instantiate: %v; _initialize: %v, %d gas (%d of them for %d pages grown: %d → %d); wasm %d bytes",
		inst/runs, init/runs, gas, uint64(pagesAfter-pagesBefore)*vm.GasPerPage, pagesAfter-pagesBefore, pagesBefore, pagesAfter, len(wasm))
}
