package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/keys"
)

// PermitBackdate is how far in the past SignPermit dates a permit's
// creation: queries are checked against the last block's time, which lags
// the wall clock (and clocks drift), so a permit created "now" would not be
// valid yet.
const PermitBackdate = 5 * time.Minute

// SignPermit signs a query permit (contract/permit.go) offline with an
// account key (ed25519 or P-256): valid on chainID for the contracts (or
// "*") and permissions given, from PermitBackdate before now until validFor
// after now. name is what the signer revokes it by.
func SignPermit(key keys.PrivKey, chainID, name string, contracts, permissions []string, validFor time.Duration) (contract.Permit, error) {
	if key == nil {
		return contract.Permit{}, errors.New("sign permit: no key")
	}
	if validFor <= 0 {
		return contract.Permit{}, fmt.Errorf("sign permit: validity %s is not positive", validFor)
	}
	now := time.Now()
	p := contract.Permit{Params: contract.PermitParams{
		ChainID: chainID, PermitName: name, AllowedContracts: contracts, Permissions: permissions,
		Created: uint64(now.Add(-PermitBackdate).Unix()), Expires: uint64(now.Add(validFor).Unix()),
	}}
	sig, err := key.Sign(contract.PermitSignBytes(p.Params))
	if err != nil {
		return contract.Permit{}, fmt.Errorf("sign permit: %w", err)
	}
	p.Signature = contract.PermitSignature{PubKey: contract.PermitPubKey{Type: key.Type().String(), Value: key.PubKey().Key}, Signature: sig}
	return p, nil
}

// WithPermit wraps a query in the SNIP-24 shape a permit-aware contract
// expects: {"with_permit":{"permit":p,"query":query}}.
func WithPermit(p contract.Permit, query []byte) ([]byte, error) {
	if !json.Valid(query) {
		return nil, errors.New("query is not valid JSON")
	}
	return json.Marshal(map[string]any{"with_permit": map[string]any{"permit": p, "query": json.RawMessage(query)}})
}
