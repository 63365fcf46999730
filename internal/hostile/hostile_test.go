package hostile

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/vm"
)

// TestContractsPassUpload: both contracts pass the VM's upload checks and
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
	} {
		bin, err := c.build()
		require.NoError(t, err, name)
		code, err := v.Store(context.Background(), bin)
		require.NoError(t, err, name)
		require.ElementsMatch(t, c.entries, code.EntryPoints, name)
	}
}
