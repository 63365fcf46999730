// Package node assembles a Hermetic validator: the ABCI application, its
// Merkle state and CometBFT consensus in one process, plus the HTTP JSON API.
// It also writes homes: the one-validator development network (devnet), a
// single validator (init) and an N-validator network on loopback (testnet).
//
// A home directory holds:
//
//	config/config.toml        CometBFT's configuration (standard format)
//	config/hermetic.toml      Hermetic's own settings (API address, connection and query limits; docs/operations.md)
//	config/genesis.json       the chain's genesis
//	config/node_key.json      p2p identity
//	config/priv_validator_key.json   consensus signing key
//	data/                     CometBFT's block store and consensus state
//	data/app/                 the application's IAVL state
//	data/wasm-cache/          compiled contract code (wazero's cache)
//	enclave/                  the enclave's sealed files
//	keyring/                  account keys (devnet and testnet: "test" backend)
package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Home is a node's home directory.
type Home string

// Paths inside a home.
func (h Home) Config() string         { return filepath.Join(string(h), "config") }
func (h Home) Data() string           { return filepath.Join(string(h), "data") }
func (h Home) AppData() string        { return filepath.Join(string(h), "data", "app") }
func (h Home) Keyring() string        { return filepath.Join(string(h), "keyring") }
func (h Home) Enclave() string        { return filepath.Join(string(h), "enclave") }
func (h Home) WasmCache() string      { return filepath.Join(string(h), "data", "wasm-cache") }
func (h Home) Genesis() string        { return filepath.Join(h.Config(), "genesis.json") }
func (h Home) HermeticConfig() string { return filepath.Join(h.Config(), "hermetic.toml") }
func (h Home) CometConfig() string    { return filepath.Join(h.Config(), "config.toml") }

// ErrNoHome is returned when a home has not been initialised.
var ErrNoHome = errors.New("home not initialised")

// Exists reports whether the home holds a genesis and configuration.
func (h Home) Exists() bool {
	for _, p := range []string{h.Genesis(), h.CometConfig()} {
		if _, err := os.Stat(p); err != nil {
			return false
		}
	}
	return true
}

// mustNotExist refuses to overwrite an initialised home.
func (h Home) mustNotExist() error {
	if h.Exists() {
		return fmt.Errorf("home %s already holds a node (remove it or choose another --home)", h)
	}
	return nil
}
