package node

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
)

// Token amounts of the homes this package writes, in uherm.
const (
	DevAccountBalance = 1_000_000_000_000 // 1,000,000 HERM per development account
	ValidatorBond     = 100_000_000       // 100 HERM: voting power 100
)

// DevAccounts are the development accounts a devnet or testnet funds, with
// their key types: dave's is P-256, as a TPM or secure element would hold.
var DevAccounts = []struct {
	Name string
	Type keys.KeyType
}{
	{"alice", keys.KeyEd25519},
	{"bob", keys.KeyEd25519},
	{"carol", keys.KeyEd25519},
	{"dave", keys.KeyP256},
}

// OperatorKeyName is the keyring name of a validator's operator account.
const OperatorKeyName = "operator"

// InitOptions describe a new home.
type InitOptions struct {
	ChainID string
	Moniker string
	// KeyringBackend stores the operator key: "file" (encrypted, needs
	// Passphrase) or "test" (plaintext, for development only).
	KeyringBackend string
	Passphrase     func(prompt string) ([]byte, error)
	// DevAccounts funds DevAccounts too, with keys in the home's keyring.
	DevAccounts bool
	// GenesisTime is the chain's genesis time; zero means now.
	GenesisTime time.Time
	// Addresses are the listen addresses; empty ones take the defaults.
	Addresses Addresses
	// AllowSimulatedAttestation makes a genesis that accepts simulated
	// attestation reports (development networks only) and a configuration
	// that agrees to run on it. Without it, Init fails with
	// ErrSimulationForbidden on a build whose enclave backend is the
	// simulation: the node could never start on the genesis it would write.
	AllowSimulatedAttestation bool
}

// Addresses are a node's listen addresses.
type Addresses struct {
	P2P string // tcp://host:port
	RPC string // tcp://host:port
	API string // host:port
}

func (a Addresses) apply(c *Config) {
	if a.P2P != "" {
		c.Comet.P2P.ListenAddress = a.P2P
	}
	if a.RPC != "" {
		c.Comet.RPC.ListenAddress = a.RPC
	}
	if a.API != "" {
		c.APIAddress = a.API
	}
}

// Init writes a home for a single-validator chain: configuration, node and
// consensus keys, an operator account bonded as the validator, and genesis.
// It writes nothing if the genesis would forbid simulated attestation while
// this build's enclave is the simulation (ErrSimulationForbidden).
func Init(h Home, o InitOptions) error {
	if err := h.mustNotExist(); err != nil {
		return err
	}
	if backendSimulated() && !o.AllowSimulatedAttestation {
		return fmt.Errorf("%w: the new chain's genesis would forbid it (allow_simulated: false, a production network's policy), so this node could never start; %s",
			ErrSimulationForbidden, developmentNetworkHint)
	}
	c := &Config{Comet: defaultCometConfig(h, o.Moniker), APIAddress: DefaultAPIAddress, LogLevel: "info", AllowSimulatedAttestation: o.AllowSimulatedAttestation}
	o.Addresses.apply(c)
	if o.DevAccounts {
		// A development network has no peers to exchange addresses with.
		c.Comet.P2P.PexReactor = false
	}
	if err := writeConfig(h, c); err != nil {
		return err
	}
	id, err := newIdentity(c)
	if err != nil {
		return err
	}
	kr, err := keyring.Open(h.Keyring(), o.KeyringBackend, o.Passphrase)
	if err != nil {
		return fmt.Errorf("open keyring: %w", err)
	}
	op, err := kr.Add(OperatorKeyName, keys.KeyEd25519)
	if err != nil {
		return fmt.Errorf("create operator key: %w", err)
	}
	g := &app.GenesisState{Params: app.DefaultParams()}
	e, err := openEnclave(h, nil)
	if err != nil {
		return err
	}
	if g.Enclave, err = bootstrapEnclave(context.Background(), e, o.AllowSimulatedAttestation); err != nil {
		return err
	}
	g.Accounts = append(g.Accounts, app.GenesisAccount{Address: op.Address, Balance: DevAccountBalance})
	g.Validators = append(g.Validators, app.GenesisValidator{Operator: op.Address, ConsKey: id.consKey, Bonded: ValidatorBond, Moniker: o.Moniker})
	if o.DevAccounts {
		for _, d := range DevAccounts {
			r, err := kr.Add(d.Name, d.Type)
			if err != nil {
				return fmt.Errorf("create development key %s: %w", d.Name, err)
			}
			g.Accounts = append(g.Accounts, app.GenesisAccount{Address: r.Address, Balance: DevAccountBalance})
		}
	}
	gt := o.GenesisTime
	if gt.IsZero() {
		gt = time.Now()
	}
	doc, err := newGenesis(o.ChainID, g, gt)
	if err != nil {
		return err
	}
	return writeGenesis(doc, h)
}

// TestnetOptions describe an N-validator network on one machine.
type TestnetOptions struct {
	ChainID    string
	Validators int
	// StartingIP is node 0's address; node k listens on StartingIP+k, all
	// with the same ports. Every 127.0.0.0/8 address is local on Linux.
	StartingIP                net.IP
	P2PPort, RPCPort, APIPort int
	// TimeoutCommit is the pause after each block (CometBFT's timeout_commit).
	TimeoutCommit time.Duration
	GenesisTime   time.Time
}

// Testnet writes DIR/node0 … DIR/node{N-1}, each a validator's home started
// with `hermeticd start --home DIR/nodeK`, and DIR/keyring with the funded
// development accounts. Every key is in a "test" keyring: the network is for
// testing on one machine.
func Testnet(dir string, o TestnetOptions) error {
	if o.Validators < 1 {
		return fmt.Errorf("testnet needs at least one validator, got %d", o.Validators)
	}
	ip4 := o.StartingIP.To4()
	if ip4 == nil {
		return fmt.Errorf("starting IP %s is not IPv4", o.StartingIP)
	}
	if int(ip4[3])+o.Validators-1 > 254 {
		return fmt.Errorf("starting IP %s leaves no room for %d validators", o.StartingIP, o.Validators)
	}
	homes := make([]Home, o.Validators)
	configs := make([]*Config, o.Validators)
	ids := make([]nodeIdentity, o.Validators)
	g := &app.GenesisState{Params: app.DefaultParams()}
	var boot enclave.Enclave
	for k := range o.Validators {
		h := Home(filepath.Join(dir, "node"+strconv.Itoa(k)))
		if err := h.mustNotExist(); err != nil {
			return err
		}
		ip := net.IPv4(ip4[0], ip4[1], ip4[2], ip4[3]+byte(k)).String()
		c := &Config{Comet: defaultCometConfig(h, "node"+strconv.Itoa(k)), APIAddress: net.JoinHostPort(ip, strconv.Itoa(o.APIPort)), LogLevel: "info", AllowSimulatedAttestation: true}
		c.Comet.P2P.ListenAddress = "tcp://" + net.JoinHostPort(ip, strconv.Itoa(o.P2PPort))
		c.Comet.RPC.ListenAddress = "tcp://" + net.JoinHostPort(ip, strconv.Itoa(o.RPCPort))
		c.Comet.P2P.AllowDuplicateIP = true
		c.Comet.P2P.AddrBookStrict = false
		c.Comet.P2P.PexReactor = false // every node dials every other (persistent peers)
		if o.TimeoutCommit > 0 {
			c.Comet.Consensus.TimeoutCommit = o.TimeoutCommit
		}
		if err := writeConfig(h, c); err != nil {
			return err
		}
		id, err := newIdentity(c)
		if err != nil {
			return err
		}
		kr, err := keyring.Open(h.Keyring(), "test", nil)
		if err != nil {
			return err
		}
		op, err := kr.Add(OperatorKeyName, keys.KeyEd25519)
		if err != nil {
			return fmt.Errorf("node%d operator key: %w", k, err)
		}
		g.Accounts = append(g.Accounts, app.GenesisAccount{Address: op.Address, Balance: DevAccountBalance})
		g.Validators = append(g.Validators, app.GenesisValidator{Operator: op.Address, ConsKey: id.consKey, Bonded: ValidatorBond, Moniker: c.Comet.Moniker})
		homes[k], configs[k], ids[k] = h, c, id
		// Node 0's enclave bootstraps the network; every other node's
		// enclave registers with an attestation report, which is verified
		// against the genesis policy before node 0's enclave encrypts the
		// seeds to it. Each node installs its seeds at start; no seed file
		// is copied between homes.
		e, err := openEnclave(h, nil)
		if err != nil {
			return err
		}
		if k == 0 {
			boot = e
			if g.Enclave, err = bootstrapEnclave(context.Background(), e, true); err != nil {
				return err
			}
			continue
		}
		if err := registerAtGenesis(context.Background(), boot, e, o.ChainID, &g.Enclave); err != nil {
			return fmt.Errorf("node%d enclave: %w", k, err)
		}
	}
	kr, err := keyring.Open(filepath.Join(dir, "keyring"), "test", nil)
	if err != nil {
		return err
	}
	for _, d := range DevAccounts {
		r, err := kr.Add(d.Name, d.Type)
		if err != nil {
			return fmt.Errorf("development key %s: %w", d.Name, err)
		}
		g.Accounts = append(g.Accounts, app.GenesisAccount{Address: r.Address, Balance: DevAccountBalance})
	}
	// Every node dials every other: with N ≤ a few dozen this is simplest.
	for k, c := range configs {
		var peers string
		for j, id := range ids {
			if j == k {
				continue
			}
			if peers != "" {
				peers += ","
			}
			addr := configs[j].Comet.P2P.ListenAddress[len("tcp://"):]
			peers += string(id.nodeID) + "@" + addr
		}
		c.Comet.P2P.PersistentPeers = peers
		if err := writeConfig(homes[k], c); err != nil {
			return err
		}
	}
	gt := o.GenesisTime
	if gt.IsZero() {
		gt = time.Now()
	}
	doc, err := newGenesis(o.ChainID, g, gt)
	if err != nil {
		return err
	}
	return writeGenesis(doc, homes...)
}
