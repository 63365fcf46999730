//go:build !wasip1

package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/contract/contracttest/vmtest"
	"github.com/hermetic-chain/hermetic/keys"
)

// blockSeconds is the block time of h's current height, in Unix seconds
// (vmtest.BlockTime).
func (h *harness) blockSeconds() uint64 { return vmtest.BlockTime(h.Height) / 1_000_000_000 }

func (h *harness) permit(t *testing.T, k keys.PrivKey, name string, perms ...string) contract.PermitParams {
	t.Helper()
	return contract.PermitParams{
		ChainID:          "hermetic-test",
		PermitName:       name,
		AllowedContracts: []string{h.Self},
		Permissions:      perms,
		Created:          h.blockSeconds() - 10,
		Expires:          h.blockSeconds() + 1000,
	}
}

func sign(t *testing.T, k keys.PrivKey, params contract.PermitParams) contract.Permit {
	t.Helper()
	sig, err := k.Sign(contract.PermitSignBytes(params))
	require.NoError(t, err)
	return contract.Permit{Params: params, Signature: contract.PermitSignature{
		PubKey:    contract.PermitPubKey{Type: k.Type().String(), Value: k.PubKey().Key},
		Signature: sig,
	}}
}

func withPermit(t *testing.T, p contract.Permit, query string) string {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return `{"with_permit":{"permit":` + string(b) + `,"query":` + query + `}}`
}

func TestQueryPermits(t *testing.T) {
	h, p := setup(t)
	ed, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	pk, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	edAddr, pAddr := ed.PubKey().Address().String(), pk.PubKey().Address().String()

	h.Height++
	h.OK(p.alice, `{"transfer":{"recipient":"`+edAddr+`","amount":"70","memo":"to ed"}}`)
	h.OK(p.bob, `{"transfer":{"recipient":"`+pAddr+`","amount":"30"}}`)
	h.OK(pAddr, `{"increase_allowance":{"spender":"`+p.carol+`","amount":"5","expiration":1000}}`)
	h.Height++

	// Valid permits, with each key type, read the signer's data: the same
	// answers as the execute messages.
	for _, c := range []struct {
		k    keys.PrivKey
		addr string
		bal  string
	}{{ed, edAddr, "70"}, {pk, pAddr, "30"}} {
		perm := sign(t, c.k, h.permit(t, c.k, "wallet", "balance", "history", "allowance"))
		require.JSONEq(t, `{"balance":{"amount":"`+c.bal+`"}}`, h.QueryOK(withPermit(t, perm, `{"balance":{}}`)))
		require.JSONEq(t, h.OK(c.addr, `{"transfer_history":{"page":0,"page_size":5}}`),
			h.QueryOK(withPermit(t, perm, `{"transfer_history":{"page":0,"page_size":5}}`)))
		require.JSONEq(t, h.OK(c.addr, `{"transfer_history":{}}`), h.QueryOK(withPermit(t, perm, `{"transfer_history":{}}`)))
	}
	pPermit := sign(t, pk, h.permit(t, pk, "wallet", "balance", "allowance"))
	require.JSONEq(t, h.OK(pAddr, `{"allowance":{"owner":"`+pAddr+`","spender":"`+p.carol+`"}}`),
		h.QueryOK(withPermit(t, pPermit, `{"allowance":{"owner":"`+pAddr+`","spender":"`+p.carol+`"}}`)))
	// The signer must be the owner or the spender.
	require.Equal(t, errUnauthorized.Error(), h.QueryFails(withPermit(t, pPermit, `{"allowance":{"owner":"`+p.alice+`","spender":"`+p.carol+`"}}`)))

	// "*" allows any contract.
	anyParams := h.permit(t, ed, "any", "balance")
	anyParams.AllowedContracts = []string{"*"}
	require.JSONEq(t, `{"balance":{"amount":"70"}}`, h.QueryOK(withPermit(t, sign(t, ed, anyParams), `{"balance":{}}`)))

	// Refusals, each with its own error.
	mod := func(k keys.PrivKey, f func(*contract.PermitParams)) contract.Permit {
		params := h.permit(t, k, "wallet", "balance")
		f(&params)
		return sign(t, k, params)
	}
	tampered := sign(t, pk, h.permit(t, pk, "wallet", "balance"))
	tampered.Params.Permissions = []string{"balance", "history"}
	badSig := sign(t, ed, h.permit(t, ed, "wallet", "balance"))
	badSig.Signature.Signature = bytes.Clone(badSig.Signature.Signature)
	badSig.Signature.Signature[0] ^= 1
	badType := sign(t, ed, h.permit(t, ed, "wallet", "balance"))
	badType.Signature.PubKey.Type = "secp256k1"
	for _, c := range []struct {
		name   string
		permit contract.Permit
		query  string
		want   error
	}{
		{"chain", mod(ed, func(p *contract.PermitParams) { p.ChainID = "other" }), `{"balance":{}}`, contract.ErrPermitChain},
		{"contract", mod(ed, func(p *contract.PermitParams) { p.AllowedContracts = []string{contracttest.ContractAddress(t, 0xC1)} }), `{"balance":{}}`, contract.ErrPermitContract},
		{"permission", mod(ed, func(*contract.PermitParams) {}), `{"transfer_history":{}}`, contract.ErrPermitPermission},
		{"not yet valid", mod(pk, func(p *contract.PermitParams) { p.Created = h.blockSeconds() + 1 }), `{"balance":{}}`, contract.ErrPermitNotYetValid},
		{"expired", mod(pk, func(p *contract.PermitParams) { p.Expires = h.blockSeconds() }), `{"balance":{}}`, contract.ErrPermitExpired},
		{"tampered", tampered, `{"balance":{}}`, contract.ErrPermitSignature},
		{"bad signature", badSig, `{"balance":{}}`, contract.ErrPermitSignature},
		{"key type", badType, `{"balance":{}}`, contract.ErrPermitKeyType},
	} {
		require.Contains(t, h.QueryFails(withPermit(t, c.permit, c.query)), c.want.Error(), c.name)
	}
	require.Contains(t, h.QueryFails(withPermit(t, pPermit, `{"token_info":{}}`)), "unknown with_permit query")
	require.Contains(t, h.QueryFails(withPermit(t, pPermit, `{"balance":{"address":"`+p.alice+`"}}`)), "unknown field")

	// Revocation by name: only that signer's permits of that name.
	edWallet := sign(t, ed, h.permit(t, ed, "wallet", "balance"))
	edOther := sign(t, ed, h.permit(t, ed, "other", "balance"))
	require.JSONEq(t, `{"revoke_permit":{"status":"success"}}`, h.OK(edAddr, `{"revoke_permit":{"permit_name":"wallet"}}`))
	require.Contains(t, h.QueryFails(withPermit(t, edWallet, `{"balance":{}}`)), contract.ErrPermitRevoked.Error())
	h.QueryOK(withPermit(t, edOther, `{"balance":{}}`))
	h.QueryOK(withPermit(t, sign(t, pk, h.permit(t, pk, "wallet", "balance")), `{"balance":{}}`))
	require.Contains(t, h.Fails(edAddr, `{"revoke_permit":{"permit_name":""}}`), "empty permit name")

	// Revoking all: every permit created up to now; one created later works.
	require.JSONEq(t, `{"revoke_all_permits":{"status":"success"}}`, h.OK(pAddr, `{"revoke_all_permits":{}}`))
	require.Contains(t, h.QueryFails(withPermit(t, pPermit, `{"balance":{}}`)), contract.ErrPermitRevoked.Error())
	h.Height++
	later := h.permit(t, pk, "later", "balance")
	later.Created = h.blockSeconds()
	require.JSONEq(t, `{"balance":{"amount":"30"}}`, h.QueryOK(withPermit(t, sign(t, pk, later), `{"balance":{}}`)))
	// With an explicit time.
	h.OK(pAddr, `{"revoke_all_permits":{"before":`+jsonNum(h.blockSeconds()+1)+`}}`)
	require.Contains(t, h.QueryFails(withPermit(t, sign(t, pk, later), `{"balance":{}}`)), contract.ErrPermitRevoked.Error())
	// edOther is unaffected by the other account's revocation.
	h.QueryOK(withPermit(t, edOther, `{"balance":{}}`))
}

func jsonNum(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
