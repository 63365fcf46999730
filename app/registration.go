package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// EnclaveGenesis is the confidential core's part of genesis: the network's
// public keys (from the bootstrapping enclave), the attestation policy, and
// the registrations of the enclaves of the first validators.
type EnclaveGenesis struct {
	Keys          enclave.NetworkKeys  `json:"network_keys"`
	Policy        enclave.Policy       `json:"policy"`
	Registrations []RegistrationRecord `json:"registrations,omitempty"`
}

// RegistrationRecord is an accepted enclave registration as the chain
// stores it: the key, its report, and the network seeds encrypted to the key
// (CRYPTO.md §5), which the registered node fetches and installs.
type RegistrationRecord struct {
	enclave.Registration
	EncryptedSeeds [][]byte `json:"encrypted_seeds"`
	Height         int64    `json:"height"` // 0: genesis
}

// Errors of registration.
var (
	// ErrNoNetworkKeys: genesis lacks the network's public keys.
	ErrNoNetworkKeys = errors.New("genesis has no enclave network keys")
	// ErrAlreadyRegistered: the registration key is registered already.
	ErrAlreadyRegistered = errors.New("enclave registration key already registered")
	// ErrRegistration: the attestation report was refused; the wrapped
	// enclave error says why.
	ErrRegistration = errors.New("enclave registration refused")
	// ErrNotRegistered: no registration for that key.
	ErrNotRegistered = errors.New("enclave registration key not registered")
)

// GasRegistration is the gas a registration costs on top of its bytes: a
// report verification and a seed encryption per seed, which no other
// transaction does.
const GasRegistration = 100_000

func registrationKey(pub []byte) []byte { return append([]byte{prefixRegistration}, pub...) }

func (g EnclaveGenesis) validate() error {
	if len(g.Keys.TxKey) != 32 || len(g.Keys.SeedExchangeKey) != 32 {
		return ErrNoNetworkKeys
	}
	return nil
}

// initEnclave stores the enclave genesis: keys, policy, and each genesis
// registration after verifying its report and recomputing its encrypted
// seeds with this node's enclave (every validator must compute the same).
func (a *App) initEnclave(s state.Store, g EnclaveGenesis) error {
	if err := g.validate(); err != nil {
		return err
	}
	bz, err := json.Marshal(EnclaveGenesis{Keys: g.Keys, Policy: g.Policy})
	if err != nil {
		return err
	}
	if err := s.Set(keyEnclave, bz); err != nil {
		return err
	}
	a.enclaveCfg = EnclaveGenesis{Keys: g.Keys, Policy: g.Policy}
	regs := slices.Clone(g.Registrations)
	slices.SortFunc(regs, func(x, y RegistrationRecord) int { return bytes.Compare(x.PubKey, y.PubKey) })
	for i, r := range regs {
		seeds, err := a.register(s, r.Registration, 0)
		if err != nil {
			return fmt.Errorf("genesis registration %d: %w", i, err)
		}
		if !slices.EqualFunc(seeds, r.EncryptedSeeds, bytes.Equal) {
			return fmt.Errorf("genesis registration %d: encrypted seeds differ from this enclave's: %w", i, enclave.ErrSeedMismatch)
		}
	}
	return nil
}

// register verifies reg against the chain's policy and stores it with the
// seeds encrypted to it.
func (a *App) register(s state.Store, reg enclave.Registration, height int64) ([][]byte, error) {
	if err := a.verifiers.VerifyRegistration(a.enclaveCfg.Policy, a.chainID, reg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	k := registrationKey(reg.PubKey)
	if has, err := s.Has(k); err != nil || has {
		if err != nil {
			return nil, err
		}
		return nil, ErrAlreadyRegistered
	}
	if a.enclave == nil {
		return nil, fmt.Errorf("%w: this node runs no enclave", ErrNodeFault)
	}
	seeds, err := a.enclave.EncryptSeeds(reg.PubKey)
	switch {
	case errors.Is(err, enclave.ErrNoSeed):
		// A validator whose enclave cannot do this must not commit a
		// state the others may not share.
		return nil, fmt.Errorf("%w: encrypt seeds: %w", ErrNodeFault, err)
	case err != nil:
		// The registration's key is unusable (a low-order point, say):
		// the same on every node, so a refused registration.
		return nil, fmt.Errorf("%w: encrypt seeds: %w", ErrRegistration, err)
	}
	bz, err := json.Marshal(RegistrationRecord{Registration: reg, EncryptedSeeds: seeds, Height: height})
	if err != nil {
		return nil, err
	}
	return seeds, s.Set(k, bz)
}

func handleRegister(a *App, env *txEnv, s state.Store, _ keys.Address, m *tx.MsgRegisterEnclave) ([]abci.Event, error) {
	reg := enclave.Registration{PubKey: m.PubKey, Report: enclave.Report{
		Type: m.ReportType, Measurement: m.Measurement, ReportData: m.ReportData, Evidence: m.Evidence,
	}}
	if _, err := a.register(s, reg, env.block.height); err != nil {
		return nil, err
	}
	return []abci.Event{{Type: "enclave_registered", Attributes: []abci.EventAttribute{
		{Key: "pub_key", Value: fmt.Sprintf("%x", m.PubKey), Index: true},
		{Key: "height", Value: strconv.FormatInt(env.block.height, 10)},
	}}}, nil
}

// Registration reads the registration of an enclave key at the latest
// height.
func (a *App) Registration(pub []byte) (RegistrationRecord, error) {
	s, err := a.snapshot(0)
	if err != nil {
		return RegistrationRecord{}, err
	}
	bz, err := s.Get(registrationKey(pub))
	if err != nil {
		return RegistrationRecord{}, err
	}
	if bz == nil {
		return RegistrationRecord{}, ErrNotRegistered
	}
	var r RegistrationRecord
	return r, json.Unmarshal(bz, &r)
}

// EnclaveConfig returns the network's enclave keys and attestation policy.
func (a *App) EnclaveConfig() EnclaveGenesis { return a.enclaveCfg }
