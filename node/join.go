package node

import (
	"context"
	"fmt"

	"github.com/cometbft/cometbft/types"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/enclave"
)

// JoinOptions describe a node joining an existing network.
type JoinOptions struct {
	// Genesis is the network's genesis document (public: any node's
	// config/genesis.json).
	Genesis *types.GenesisDoc
	Moniker string
	// Peers are the nodes to dial, as CometBFT's id@host:port list.
	Peers     string
	Addresses Addresses
	// AllowSimulatedAttestation agrees to a genesis that accepts simulated
	// attestation reports.
	AllowSimulatedAttestation bool
}

// Join writes a home for a node of an existing network: configuration, p2p
// and consensus keys, and the network's genesis. The node's enclave must be
// registered (RegisterEnclave) before the node can start; it then syncs the
// chain as a full node, and becomes a validator if an account bonds to it.
func Join(h Home, o JoinOptions) (NodeID string, err error) {
	if err := h.mustNotExist(); err != nil {
		return "", err
	}
	if o.Genesis == nil {
		return "", fmt.Errorf("join: no genesis")
	}
	c := &Config{Comet: defaultCometConfig(h, o.Moniker), APIAddress: DefaultAPIAddress, LogLevel: "info", AllowSimulatedAttestation: o.AllowSimulatedAttestation}
	o.Addresses.apply(c)
	c.Comet.P2P.PersistentPeers = o.Peers
	c.Comet.P2P.AllowDuplicateIP = true
	c.Comet.P2P.AddrBookStrict = false
	if err := writeConfig(h, c); err != nil {
		return "", err
	}
	id, err := newIdentity(c)
	if err != nil {
		return "", err
	}
	if err := writeGenesis(o.Genesis, h); err != nil {
		return "", err
	}
	return string(id.nodeID), nil
}

// EnclaveRegistration returns the registration (key and attestation
// report) of the home's enclave for the home's chain, creating the sealed
// registration key on first use.
func EnclaveRegistration(ctx context.Context, h Home) (enclave.Registration, string, error) {
	doc, err := types.GenesisDocFromFile(h.Genesis())
	if err != nil {
		return enclave.Registration{}, "", fmt.Errorf("read genesis: %w", err)
	}
	e, err := openEnclave(h, nil)
	if err != nil {
		return enclave.Registration{}, "", err
	}
	reg, err := e.Registration(ctx, doc.ChainID)
	return reg, doc.ChainID, err
}

// InstallRegisteredSeeds installs into the home's enclave the seeds that the
// chain encrypted to its registration (rec, fetched from any node), checking
// them against the network keys in the home's own genesis.
func InstallRegisteredSeeds(h Home, rec app.RegistrationRecord) error {
	doc, err := types.GenesisDocFromFile(h.Genesis())
	if err != nil {
		return fmt.Errorf("read genesis: %w", err)
	}
	g, err := genesisEnclave(doc)
	if err != nil {
		return err
	}
	e, err := openEnclave(h, nil)
	if err != nil {
		return err
	}
	if e.Info().Seeds > 0 {
		return enclave.ErrHasSeed
	}
	if err := e.InstallSeeds(rec.EncryptedSeeds, g.Keys); err != nil {
		return fmt.Errorf("install seeds: %w", err)
	}
	return nil
}
