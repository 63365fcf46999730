package node

import (
	"testing"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
)

// TestGenesisBlockGasLimit: a new home's genesis limits a block to
// BlockMaxGas (app.DefaultBlockMaxGas, about a second of execution:
// docs/gas.md), and a transaction may ask for no more than that.
func TestGenesisBlockGasLimit(t *testing.T) {
	h := Home(t.TempDir())
	require.NoError(t, Init(h, InitOptions{ChainID: "g", Moniker: "m", KeyringBackend: "test", AllowSimulatedAttestation: true}))
	doc, err := types.GenesisDocFromFile(h.Genesis())
	require.NoError(t, err)
	require.Equal(t, int64(BlockMaxGas), doc.ConsensusParams.Block.MaxGas)
	require.Equal(t, int64(app.DefaultBlockMaxGas), doc.ConsensusParams.Block.MaxGas)
	require.LessOrEqual(t, app.MaxGasPerTx, uint64(doc.ConsensusParams.Block.MaxGas))
}
