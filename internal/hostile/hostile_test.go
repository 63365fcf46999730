package hostile

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/vm"
)

// TestContractsPassUpload: the contracts pass the VM's upload checks and
// export what their doc comments say.
func TestContractsPassUpload(t *testing.T) {
	v, err := vm.New(context.Background(), vm.Config{})
	require.NoError(t, err)
	defer v.Close(context.Background())
	for name, c := range map[string]struct {
		build   func() ([]byte, error)
		entries []string
	}{
		"mirror": {Mirror, []string{"execute", "instantiate", "reply"}},
		"spin":   {Spin, []string{"execute", "instantiate", "query"}},
		"chase":  {func() ([]byte, error) { return Chase(256) }, []string{"execute", "instantiate"}},
		"bomb":   {func() ([]byte, error) { return CompileBomb(2) }, []string{"instantiate"}},
	} {
		bin, err := c.build()
		require.NoError(t, err, name)
		code, err := v.Validate(context.Background(), bin)
		require.NoError(t, err, name)
		require.ElementsMatch(t, c.entries, code.EntryPoints, name)
	}
}

// TestCompileBombIsExpensive: the model prices the bomb's functions near
// their cap, at many times what the same bytes of small functions cost.
func TestCompileBombIsExpensive(t *testing.T) {
	v, err := vm.New(context.Background(), vm.Config{})
	require.NoError(t, err)
	defer v.Close(context.Background())
	bin, err := CompileBomb(2)
	require.NoError(t, err)
	code, err := v.Validate(context.Background(), bin)
	require.NoError(t, err)
	require.Greater(t, code.CompileCost.Seconds(), 2.0)
	_, err = Chase(3)
	require.Error(t, err)
}
