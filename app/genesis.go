package app

import (
	"errors"
	"fmt"
	"slices"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// Denom is the native token's base denomination.
const Denom = tx.Denom

// Params are the chain parameters, fixed at genesis for now.
type Params struct {
	// MinGasPrice is the smallest fee per unit of gas limit, as the fraction
	// MinGasPriceNum/MinGasPriceDen uherm (integers: no floating point in
	// consensus). A transaction's fee must be at least ceil(gas_limit * price).
	MinGasPriceNum uint64 `json:"min_gas_price_num"`
	MinGasPriceDen uint64 `json:"min_gas_price_den"`
	// MaxTxBytes is the largest encoded transaction accepted.
	MaxTxBytes int `json:"max_tx_bytes"`
	// PowerReduction is how many bonded uherm make one unit of voting power.
	PowerReduction uint64 `json:"power_reduction"`
}

// DefaultParams are the parameters of a new network: 0.01 uherm per gas,
// 2 MiB transactions, 1 HERM (10^6 uherm) per unit of voting power.
func DefaultParams() Params {
	return Params{MinGasPriceNum: 1, MinGasPriceDen: 100, MaxTxBytes: tx.MaxTxBytes, PowerReduction: 1_000_000}
}

// MinFee returns the smallest fee for a gas limit under p.
func (p Params) MinFee(gasLimit uint64) uint64 {
	// ceil(gasLimit*num/den) without overflow for gasLimit ≤ MaxGasPerTx and
	// num ≤ 2^32.
	return (gasLimit*p.MinGasPriceNum + p.MinGasPriceDen - 1) / p.MinGasPriceDen
}

func (p Params) validate() error {
	switch {
	case p.MinGasPriceDen == 0:
		return errors.New("min_gas_price_den is zero")
	case p.MinGasPriceNum > 1<<32:
		return errors.New("min_gas_price_num too large")
	case p.MaxTxBytes <= 0:
		return errors.New("max_tx_bytes must be positive")
	case p.PowerReduction == 0:
		return errors.New("power_reduction is zero")
	}
	return nil
}

// GenesisAccount is an account funded at genesis.
type GenesisAccount struct {
	Address keys.Address `json:"address"`
	Balance uint64       `json:"balance"`
}

// GenesisValidator is a validator of the first block. Its operator account
// bonds Bonded uherm from its own genesis balance, which must cover it.
type GenesisValidator struct {
	Operator keys.Address `json:"operator"`
	ConsKey  []byte       `json:"cons_pub_key"` // ed25519 consensus key, 32 bytes
	Bonded   uint64       `json:"bonded"`
	Moniker  string       `json:"moniker"`
}

// GenesisState is the application's part of genesis.json (app_state).
type GenesisState struct {
	Params     Params             `json:"params"`
	Accounts   []GenesisAccount   `json:"accounts"`
	Validators []GenesisValidator `json:"validators"`
	// Enclave holds the network's enclave keys, the attestation policy and
	// the genesis validators' enclave registrations.
	Enclave EnclaveGenesis `json:"enclave"`
}

// Validate checks a genesis state for mistakes a user can make by hand.
func (g *GenesisState) Validate() error {
	if err := g.Params.validate(); err != nil {
		return fmt.Errorf("genesis params: %w", err)
	}
	if err := g.Enclave.validate(); err != nil {
		return err
	}
	seen := map[keys.Address]bool{}
	funds := map[keys.Address]uint64{}
	for _, a := range g.Accounts {
		if seen[a.Address] {
			return fmt.Errorf("genesis account %s listed twice", a.Address)
		}
		seen[a.Address] = true
		funds[a.Address] = a.Balance
	}
	if len(g.Validators) == 0 {
		return errors.New("genesis has no validators")
	}
	ops := map[keys.Address]bool{}
	for _, v := range g.Validators {
		if ops[v.Operator] {
			return fmt.Errorf("genesis validator %s listed twice", v.Operator)
		}
		ops[v.Operator] = true
		if len(v.ConsKey) != 32 {
			return fmt.Errorf("genesis validator %s: consensus key has %d bytes, want 32 (ed25519)", v.Operator, len(v.ConsKey))
		}
		if v.Bonded/g.Params.PowerReduction == 0 {
			return fmt.Errorf("genesis validator %s: bonded %d%s gives no voting power (need %d)", v.Operator, v.Bonded, Denom, g.Params.PowerReduction)
		}
		if funds[v.Operator] < v.Bonded {
			return fmt.Errorf("genesis validator %s bonds %d%s but its account holds %d", v.Operator, v.Bonded, Denom, funds[v.Operator])
		}
		funds[v.Operator] -= v.Bonded
	}
	return nil
}

// sortedGenesis returns the accounts and validators in address order, so that
// InitChain writes the tree in the same order on every node whatever order
// the file lists them in.
func (g *GenesisState) sorted() ([]GenesisAccount, []GenesisValidator) {
	accs := slices.Clone(g.Accounts)
	slices.SortFunc(accs, func(a, b GenesisAccount) int { return compareAddr(a.Address, b.Address) })
	vals := slices.Clone(g.Validators)
	slices.SortFunc(vals, func(a, b GenesisValidator) int { return compareAddr(a.Operator, b.Operator) })
	return accs, vals
}
