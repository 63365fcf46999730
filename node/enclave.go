package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cometbft/cometbft/types"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
)

// Errors of a node's enclave at start.
var (
	// ErrNotRegistered: the node's enclave holds no seed and the chain has
	// no registration for it yet.
	ErrNotRegistered = errors.New("this node's enclave holds no network seed and is not registered")
	// ErrSimulatedAttestation: the genesis accepts simulated attestation
	// and the node's configuration did not say that is intended.
	ErrSimulatedAttestation = errors.New("genesis accepts simulated attestation reports, which prove nothing")
	// ErrSimulationForbidden: the genesis forbids simulated attestation (a
	// production network's policy) and this node's enclave is the
	// simulation backend, which gives no hardware protection, so the node
	// must not hold the network's seeds or make blocks. It wraps
	// enclave.ErrSimulatedNotAllowed.
	ErrSimulationForbidden = fmt.Errorf("this node's enclave is a simulation (this build has no TEE backend): %w", enclave.ErrSimulatedNotAllowed)
)

// developmentNetworkHint says how to run a network on the simulation
// backend instead.
const developmentNetworkHint = "for a development network run `hermeticd devnet`, or create a home with `hermeticd init --allow-simulated-attestation` (`hermeticd testnet` for several validators)"

// backendSimulated reports whether the enclave backend openEnclave opens is
// a simulation. Only enclave/sim exists; a build with a TEE backend answers
// false.
func backendSimulated() bool { return true }

// CheckGenesisBackend returns ErrSimulationForbidden if the genesis doc
// forbids simulated attestation and this build's enclave backend is the
// simulation: a node of that chain could never start here. `hermeticd join`
// calls it before writing a home.
func CheckGenesisBackend(doc *types.GenesisDoc) error {
	g, err := genesisEnclave(doc)
	if err != nil {
		return err
	}
	if backendSimulated() && !g.Policy.AllowSimulated {
		return fmt.Errorf("%w: the genesis of chain %s sets allow_simulated: false, so a node of it could not start here; %s", ErrSimulationForbidden, doc.ChainID, developmentNetworkHint)
	}
	return nil
}

// openEnclave opens the home's enclave. Only the simulation backend exists;
// it logs that it gives no hardware protection.
func openEnclave(h Home, log *slog.Logger) (*sim.Enclave, error) {
	e, err := sim.Open(h.Enclave(), log)
	if err != nil {
		return nil, fmt.Errorf("open enclave: %w", err)
	}
	return e, nil
}

// bootstrapEnclave makes e the network's first enclave and returns the
// enclave part of a new genesis.
func bootstrapEnclave(ctx context.Context, e enclave.Enclave, allowSimulated bool) (app.EnclaveGenesis, error) {
	keys, err := e.Bootstrap(ctx)
	if err != nil {
		return app.EnclaveGenesis{}, fmt.Errorf("bootstrap enclave: %w", err)
	}
	return app.EnclaveGenesis{
		Keys:   keys,
		Policy: enclave.Policy{Measurements: [][]byte{enclave.SimMeasurement}, AllowSimulated: allowSimulated},
	}, nil
}

// registerAtGenesis verifies a joining enclave's registration against the
// genesis policy and has the bootstrapping enclave encrypt the seeds to it,
// as the chain does for a registration transaction.
func registerAtGenesis(ctx context.Context, boot enclave.Enclave, joining enclave.Enclave, chainID string, g *app.EnclaveGenesis) error {
	reg, err := joining.Registration(ctx, chainID)
	if err != nil {
		return fmt.Errorf("registration report: %w", err)
	}
	if err := enclave.DefaultVerifiers().VerifyRegistration(g.Policy, chainID, reg); err != nil {
		return fmt.Errorf("verify registration: %w", err)
	}
	seeds, err := boot.EncryptSeeds(reg.PubKey)
	if err != nil {
		return fmt.Errorf("encrypt seeds: %w", err)
	}
	g.Registrations = append(g.Registrations, app.RegistrationRecord{Registration: reg, EncryptedSeeds: seeds})
	return nil
}

// genesisEnclave reads the enclave part of a genesis document.
func genesisEnclave(doc *types.GenesisDoc) (app.EnclaveGenesis, error) {
	var g app.GenesisState
	if err := json.Unmarshal(doc.AppState, &g); err != nil {
		return app.EnclaveGenesis{}, fmt.Errorf("decode genesis app_state: %w", err)
	}
	return g.Enclave, nil
}

// prepareEnclave checks that the node may run: a simulated enclave only on
// a chain whose genesis accepts simulated attestation (ErrSimulationForbidden
// otherwise, before the enclave touches any seed), the attestation policy is
// one its configuration agrees to, and the enclave holds the network's
// seeds — installing them from the chain's record of its registration
// (genesis, for the first validators) if it does not yet.
func prepareEnclave(ctx context.Context, e enclave.Enclave, doc *types.GenesisDoc, cfg *Config, log *slog.Logger) error {
	g, err := genesisEnclave(doc)
	if err != nil {
		return err
	}
	if e.Info().Simulated && !g.Policy.AllowSimulated {
		return fmt.Errorf("%w: the genesis of chain %s (%s) sets allow_simulated: false, so the node does not start; %s",
			ErrSimulationForbidden, doc.ChainID, cfg.Comet.GenesisFile(), developmentNetworkHint)
	}
	if g.Policy.AllowSimulated && !cfg.AllowSimulatedAttestation {
		return fmt.Errorf("%w: set allow_simulated_attestation = true under [enclave] in %s if this is a development or test network",
			ErrSimulatedAttestation, "config/hermetic.toml")
	}
	if e.Info().Seeds > 0 {
		keys, err := e.NetworkKeys()
		if err != nil {
			return err
		}
		if !bytes.Equal(keys.TxKey, g.Keys.TxKey) {
			return fmt.Errorf("%w: the enclave's seeds belong to another network", enclave.ErrSeedMismatch)
		}
		return nil
	}
	reg, err := e.Registration(ctx, doc.ChainID)
	if err != nil {
		return err
	}
	for _, r := range g.Registrations {
		if bytes.Equal(r.PubKey, reg.PubKey) {
			if err := e.InstallSeeds(r.EncryptedSeeds, g.Keys); err != nil {
				return fmt.Errorf("install seeds from the genesis registration: %w", err)
			}
			log.Info("enclave seeds installed from the genesis registration", "registration_key", fmt.Sprintf("%x", reg.PubKey))
			return nil
		}
	}
	return fmt.Errorf("%w: register it with `hermeticd enclave register --from KEY --node URL-of-a-running-node --home %s`, which installs the seeds; see docs/enclave.md",
		ErrNotRegistered, cfg.Comet.RootDir)
}
