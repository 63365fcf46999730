package node

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/hermetic-chain/hermetic/app"
)

// BlockMaxGas is the per-block gas limit written into new genesis files:
// about one second of execution on the reference machine, since gas is
// calibrated to time (docs/gas.md).
const BlockMaxGas = app.DefaultBlockMaxGas

// nodeIdentity is what a new home's keys give the genesis and its peers.
type nodeIdentity struct {
	nodeID  p2p.ID
	consKey ed25519.PubKey
}

// newIdentity creates the home's p2p key and consensus key.
func newIdentity(c *Config) (nodeIdentity, error) {
	nk, err := p2p.LoadOrGenNodeKey(c.Comet.NodeKeyFile())
	if err != nil {
		return nodeIdentity{}, fmt.Errorf("create node key: %w", err)
	}
	pv := privval.LoadOrGenFilePV(c.Comet.PrivValidatorKeyFile(), c.Comet.PrivValidatorStateFile())
	pk, err := pv.GetPubKey()
	if err != nil {
		return nodeIdentity{}, fmt.Errorf("read consensus key: %w", err)
	}
	ek, ok := pk.(ed25519.PubKey)
	if !ok {
		return nodeIdentity{}, fmt.Errorf("consensus key is %s, want ed25519", pk.Type())
	}
	return nodeIdentity{nodeID: nk.ID(), consKey: ek}, nil
}

// newGenesis returns a genesis document for the app state g, whose
// validators CometBFT learns from the same list.
func newGenesis(chainID string, g *app.GenesisState, genesisTime time.Time) (*types.GenesisDoc, error) {
	if err := g.Validate(); err != nil {
		return nil, err
	}
	appState, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	cp := types.DefaultConsensusParams()
	cp.Block.MaxGas = BlockMaxGas
	doc := &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     genesisTime.UTC(),
		ConsensusParams: cp,
		AppState:        appState,
	}
	for _, v := range g.Validators {
		doc.Validators = append(doc.Validators, types.GenesisValidator{
			PubKey: ed25519.PubKey(v.ConsKey),
			Power:  int64(v.Bonded / g.Params.PowerReduction),
			Name:   v.Moniker,
		})
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("check genesis: %w", err)
	}
	return doc, nil
}

// writeGenesis saves doc into every home given.
func writeGenesis(doc *types.GenesisDoc, homes ...Home) error {
	for _, h := range homes {
		if err := doc.SaveAs(h.Genesis()); err != nil {
			return fmt.Errorf("write genesis into %s: %w", h, err)
		}
	}
	return nil
}
