package node

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/enclave"
)

// TestPrepareEnclaveChecksThePolicy: a simulated enclave runs only on a
// chain whose genesis accepts simulated attestation, and only if the
// node's configuration agrees; the refusal comes before any seed is
// touched.
func TestPrepareEnclaveChecksThePolicy(t *testing.T) {
	tests := []struct {
		name                    string
		genesisAllows, cfgAgree bool
		want                    error
	}{
		{"production genesis", false, false, ErrSimulationForbidden},
		{"production genesis, config agreeing to simulation", false, true, ErrSimulationForbidden},
		{"development genesis, config not agreeing", true, false, ErrSimulatedAttestation},
		{"development genesis", true, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := Home(t.TempDir())
			e, err := openEnclave(h, nil)
			require.NoError(t, err)
			g, err := bootstrapEnclave(context.Background(), e, tc.genesisAllows)
			require.NoError(t, err)
			appState, err := json.Marshal(app.GenesisState{Enclave: g})
			require.NoError(t, err)
			doc := &types.GenesisDoc{ChainID: "policy-test", AppState: appState}
			cfg := &Config{Comet: defaultCometConfig(h, "m"), AllowSimulatedAttestation: tc.cfgAgree}
			err = prepareEnclave(context.Background(), e, doc, cfg, slog.New(slog.DiscardHandler))
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			if tc.want == ErrSimulationForbidden {
				require.ErrorIs(t, err, enclave.ErrSimulatedNotAllowed)
				require.ErrorContains(t, err, "hermeticd devnet")
				require.ErrorContains(t, err, "--allow-simulated-attestation")
			}
		})
	}
}

// TestInitRefusesSimulationWithoutTheFlag: without AllowSimulatedAttestation
// the genesis would forbid the only backend this build has, so Init says
// why and what to run instead, and writes nothing.
func TestInitRefusesSimulationWithoutTheFlag(t *testing.T) {
	h := Home(filepath.Join(t.TempDir(), "home"))
	err := Init(h, InitOptions{ChainID: "prod-1", Moniker: "m", KeyringBackend: "test"})
	require.ErrorIs(t, err, ErrSimulationForbidden)
	require.ErrorIs(t, err, enclave.ErrSimulatedNotAllowed)
	require.ErrorContains(t, err, "hermeticd devnet")
	require.ErrorContains(t, err, "--allow-simulated-attestation")
	_, statErr := os.Stat(string(h))
	require.ErrorIs(t, statErr, os.ErrNotExist, "a refused init writes nothing")
}

// TestStartRefusesSimulationOnAProductionGenesis: a home whose genesis
// forbids simulated attestation (as `hermeticd init` without the flag used
// to write) does not start on the simulation backend.
func TestStartRefusesSimulationOnAProductionGenesis(t *testing.T) {
	h := Home(filepath.Join(t.TempDir(), "home"))
	require.NoError(t, Init(h, InitOptions{ChainID: "prod-1", Moniker: "m", KeyringBackend: "test", AllowSimulatedAttestation: true,
		Addresses: Addresses{P2P: "tcp://127.0.0.1:" + freePort(t), RPC: "tcp://127.0.0.1:" + freePort(t), API: "127.0.0.1:" + freePort(t)}}))
	doc, err := types.GenesisDocFromFile(h.Genesis())
	require.NoError(t, err)
	var g app.GenesisState
	require.NoError(t, json.Unmarshal(doc.AppState, &g))
	g.Enclave.Policy.AllowSimulated = false
	doc.AppState, err = json.Marshal(g)
	require.NoError(t, err)
	require.NoError(t, doc.SaveAs(h.Genesis()))
	require.NoError(t, CheckGenesisBackend(&types.GenesisDoc{ChainID: "dev", AppState: mustJSON(t, app.GenesisState{Enclave: app.EnclaveGenesis{Policy: enclave.Policy{AllowSimulated: true}}})}))
	require.ErrorIs(t, CheckGenesisBackend(doc), ErrSimulationForbidden, "join refuses the same genesis")

	_, err = Start(context.Background(), h, slog.New(slog.DiscardHandler))
	require.ErrorIs(t, err, ErrSimulationForbidden)
	require.ErrorContains(t, err, h.Genesis())
	require.ErrorContains(t, err, "hermeticd devnet")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
