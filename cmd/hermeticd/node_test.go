package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/node"
)

// TestProductionGenesisIsRefusedOnTheSimulation: this build's enclave is
// the simulation, so `init` without --allow-simulated-attestation and `join`
// of a genesis that forbids simulated attestation refuse, say what to run
// instead, and write no home.
func TestProductionGenesisIsRefusedOnTheSimulation(t *testing.T) {
	dir := t.TempDir()
	genesis := filepath.Join(dir, "genesis.json")
	doc := &types.GenesisDoc{ChainID: "prod-1", GenesisTime: time.Now(),
		AppState: []byte(`{"enclave":{"policy":{"allow_simulated":false}}}`)}
	require.NoError(t, doc.ValidateAndComplete())
	require.NoError(t, doc.SaveAs(genesis))
	tests := []struct {
		name string
		args []string
	}{
		{"init without the flag", []string{"init", "--keyring-backend", "test"}},
		{"join of a production genesis", []string{"join", "--genesis", genesis, "--allow-simulated-attestation"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := filepath.Join(dir, "home")
			cmd := newRootCmd()
			var out bytes.Buffer
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(append(tc.args, "--home", home))
			err := cmd.Execute()
			require.ErrorIs(t, err, node.ErrSimulationForbidden)
			require.ErrorContains(t, err, "hermeticd devnet")
			require.ErrorContains(t, err, "--allow-simulated-attestation")
			_, err = os.Stat(home)
			require.ErrorIs(t, err, os.ErrNotExist, "no home written")
		})
	}
}
