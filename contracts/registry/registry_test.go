//go:build !wasip1

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
)

// TestAnchorAndRelease walks the main path: anchors, a grant, a release
// with its access record, and what admins, gateways and the grantee read.
func TestAnchorAndRelease(t *testing.T) {
	w := newWorld(t)
	h := w.h
	first := h.Exec(w.gw, msg(t, "anchor_batch", w.anchor(1, 1, 10)))
	require.Empty(t, first.Err)
	require.JSONEq(t, `{"anchor_batch":{"stream_id":"temp","batch":1,"last_seq":10}}`, first.Data)
	h.Height++
	second := h.Exec(w.gw, msg(t, "anchor_batch", w.anchor(2, 11, 20)))
	require.Empty(t, second.Err)
	h.OK(w.gw, msg(t, "anchor_batch", w.anchor(3, 21, 30)))

	// The grant covers batches 1 and 2 (source times of seq 1 to 20).
	g := w.grant(t, sourceTime(1), sourceTime(21))
	require.Equal(t, uint64(1), g)
	h.Height++
	rel := h.Exec(w.consumer, w.release(g, 1, 2))
	require.Empty(t, rel.Err)
	var ans ReleaseAnswer
	answer(t, rel.Data, "release_keys", &ans)
	require.Len(t, ans.Batches, 2)
	for i, b := range ans.Batches {
		n := uint64(i + 1)
		require.Equal(t, n, b.Anchor.Batch)
		require.Equal(t, contracttest.Bytes(byte(n), 32), b.BatchKey)
		require.Equal(t, hash32(fmt.Sprint("root", n)), b.Anchor.MerkleRoot)
		require.Equal(t, w.gw, b.Anchor.Gateway)
		require.Nil(t, b.ValueKeys)
	}
	t.Logf("gas: anchor_batch %d (first) %d (second), release_keys of 2 batches %d", first.Gas, second.Gas, rel.Gas)

	// Batch 3 is outside the window.
	require.Contains(t, h.Fails(w.consumer, w.release(g, 2, 3)),
		"stream temp batch 3 (source time 1700000021000000000 to 1700000030000000000) is outside grant 1's window [1700000001000000000, 1700000021000000000)")

	// The release left one access record, which the admin reads.
	var page contract.AccessPage
	answer(t, h.QueryOK(msg(t, "access_records", accessRecordsQuery{OrgID: w.org, Auth: vk(w.admin, w.adminKey)})), "access_records", &page)
	require.Equal(t, uint64(1), page.Total)
	r := page.Records[0]
	sum := sha256.Sum256([]byte(rel.Data))
	require.Equal(t, contract.AccessRecord{
		ID: 1, Reader: w.consumer, Owner: "org:" + w.org, Auth: "grant:1", Scope: "stream:temp",
		Data: "release_keys stream temp batches 1 to 2, all values", AnswerSHA256: hex.EncodeToString(sum[:]),
		Height: h.Height, Time: r.Time,
	}, r)

	// Admins and gateways list every anchor; the grantee those in its window.
	var all AnchorsAnswer
	answer(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, Auth: vk(w.admin, w.adminKey)})), "anchors", &all)
	require.Len(t, all.Anchors, 3)
	require.Equal(t, uint64(3), all.LastBatch)
	require.Equal(t, uint64(30), all.LastSeq)
	w.setKey(w.gw, "gw-key")
	require.Equal(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, Auth: vk(w.admin, w.adminKey)})),
		h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, Auth: vk(w.gw, "gw-key")})))
	var mine AnchorsAnswer
	answer(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, GrantID: &g, Auth: vk(w.consumer, w.consumerKey)})), "anchors", &mine)
	require.Len(t, mine.Anchors, 2)
	var paged AnchorsAnswer
	answer(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, StartBatch: 2, Limit: 1, Auth: vk(w.admin, w.adminKey)})), "anchors", &paged)
	require.Len(t, paged.Anchors, 1)
	require.Equal(t, uint64(2), paged.Anchors[0].Batch)

	// The consumer lists its grants.
	var grants []Grant
	answer(t, h.QueryOK(msg(t, "my_grants", myGrantsQuery{Auth: vk(w.consumer, w.consumerKey)})), "my_grants", &grants)
	require.Len(t, grants, 1)
	require.Equal(t, w.org, grants[0].OrgID)
}

func TestShredding(t *testing.T) {
	w := newWorld(t)
	h := w.h
	w.anchorBatches(t, 4)
	g := w.grant(t, sourceTime(0), sourceTime(1000))
	h.OK(w.consumer, w.release(g, 1, 4))

	require.JSONEq(t, `{"shred_batches":{"stream_id":"temp","keys_deleted":2,"more_keys":false}}`,
		h.OK(w.admin, msg(t, "shred_batches", shredBatchesMsg{OrgID: w.org, StreamID: stream, FromBatch: 2, ToBatch: 3})))
	require.Contains(t, h.Fails(w.consumer, w.release(g, 1, 4)), "release refused: stream temp batch 2 is shredded: its key is deleted")
	h.OK(w.consumer, w.release(g, 4, 4))
	var all AnchorsAnswer
	answer(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, Auth: vk(w.admin, w.adminKey)})), "anchors", &all)
	require.Equal(t, []bool{false, true, true, false},
		[]bool{all.Anchors[0].KeyShredded, all.Anchors[1].KeyShredded, all.Anchors[2].KeyShredded, all.Anchors[3].KeyShredded})

	// Shredding the stream deletes the rest and closes it.
	require.JSONEq(t, `{"shred_stream":{"stream_id":"temp","keys_deleted":2,"more_keys":false}}`,
		h.OK(w.admin, msg(t, "shred_stream", shredStreamMsg{OrgID: w.org, StreamID: stream})))
	require.Contains(t, h.Fails(w.consumer, w.release(g, 4, 4)), "release refused: stream temp is shredded")
	require.Contains(t, h.Fails(w.gw, msg(t, "anchor_batch", w.anchor(5, 41, 50))), "stream temp is shredded; it takes no more anchors")
	answer(t, h.QueryOK(msg(t, "anchors", anchorsQuery{OrgID: w.org, StreamID: stream, Auth: vk(w.admin, w.adminKey)})), "anchors", &all)
	for _, a := range all.Anchors {
		require.True(t, a.KeyShredded, "batch %d", a.Batch)
	}
	require.True(t, all.Shredded)
}

func TestValueGrants(t *testing.T) {
	w := newWorld(t)
	h := w.h
	a := w.anchor(1, 1, 10)
	a.ValueKeys = []ValueKey{{Name: "temperature", Key: contracttest.Bytes(0x71, 16)}, {Name: "pressure", Key: contracttest.Bytes(0x72, 16)}}
	h.OK(w.gw, msg(t, "anchor_batch", a))
	h.OK(w.gw, msg(t, "anchor_batch", w.anchor(2, 11, 20))) // no value keys
	g := w.grant(t, sourceTime(0), sourceTime(100), "pressure")

	var ans ReleaseAnswer
	answer(t, h.OK(w.consumer, w.release(g, 1, 1)), "release_keys", &ans)
	require.Nil(t, ans.Batches[0].BatchKey, "a grant of some values never gets the batch key")
	require.Equal(t, []ValueKey{{Name: "pressure", Key: contracttest.Bytes(0x72, 16)}}, ans.Batches[0].ValueKeys)
	require.Contains(t, h.Fails(w.consumer, w.release(g, 2, 2)), `stream temp batch 2 has no key of value "pressure" alone`)
}

func TestAdmins(t *testing.T) {
	w := newWorld(t)
	h := w.h
	require.JSONEq(t, `{"add_admin":{"org_id":"`+w.org+`","admins":["`+sorted(w.admin, w.admin2)+`"]}}`,
		h.OK(w.admin, msg(t, "add_admin", adminMsg{OrgID: w.org, Admin: w.admin2})))
	// The new admin administers; the first can leave; the last cannot.
	h.OK(w.admin2, msg(t, "remove_admin", adminMsg{OrgID: w.org, Admin: w.admin}))
	require.Contains(t, h.Fails(w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: w.stranger})),
		"unauthorized: "+w.admin+" is not an admin of organisation "+w.org)
	require.Contains(t, h.Fails(w.admin2, msg(t, "remove_admin", adminMsg{OrgID: w.org, Admin: w.admin2})),
		"is the last admin of organisation "+w.org)

	var o Org
	w.setKey(w.admin2, "k2")
	answer(t, h.QueryOK(msg(t, "org_info", orgQuery{OrgID: w.org, Auth: vk(w.admin2, "k2")})), "org_info", &o)
	require.Equal(t, []string{w.admin2}, o.Admins)
	require.Equal(t, "Acme Pressworks", o.Name)

	// Creating a second organisation of the same name is refused only to
	// its creator; another account gets its own.
	require.Contains(t, h.Fails(w.admin, `{"create_org":{"name":"Acme Pressworks"}}`), "you already created an organisation named")
	h.OK(w.stranger, `{"create_org":{"name":"Acme Pressworks"}}`)

	// Gateways: listed to admins, removed.
	var gws []Gateway
	answer(t, h.QueryOK(msg(t, "gateways", listQuery{OrgID: w.org, Auth: vk(w.admin2, "k2")})), "gateways", &gws)
	require.Len(t, gws, 1)
	require.Equal(t, w.gw, gws[0].Address)
	h.OK(w.admin2, msg(t, "remove_gateway", gatewayMsg{OrgID: w.org, Gateway: w.gw}))
	require.Contains(t, h.Fails(w.gw, msg(t, "anchor_batch", w.anchor(1, 1, 10))), "is not a gateway of organisation")
}

func sorted(a, b string) string {
	if a > b {
		a, b = b, a
	}
	return a + `","` + b
}

// TestPermitAuth reads with a permit instead of a viewing key.
func TestPermitAuth(t *testing.T) {
	w := newWorld(t)
	h := w.h
	k := newKey(t)
	signer := k.PubKey().Address().String()
	h.OK(w.admin, msg(t, "add_admin", adminMsg{OrgID: w.org, Admin: signer}))
	p := signPermit(t, h, k, "ops", "devices")
	var ds []Device
	answer(t, h.QueryOK(msg(t, "devices", listQuery{OrgID: w.org, Auth: Auth{Permit: &p}})), "devices", &ds)
	require.Len(t, ds, 1)
	require.Equal(t, device, ds[0].ID)
	// The permit grants devices only.
	require.Contains(t, h.QueryFails(msg(t, "streams", listQuery{OrgID: w.org, Auth: Auth{Permit: &p}})), contract.ErrPermitPermission.Error())
	// Revoked, it reads nothing.
	h.OK(signer, `{"revoke_permit":{"permit_name":"ops"}}`)
	require.Contains(t, h.QueryFails(msg(t, "devices", listQuery{OrgID: w.org, Auth: Auth{Permit: &p}})), contract.ErrPermitRevoked.Error())
}

func newKey(t *testing.T) keys.PrivKey {
	t.Helper()
	k, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	return k
}

// signPermit is k's permit for the harness's contract granting perms.
func signPermit(t *testing.T, h *harness, k keys.PrivKey, name string, perms ...string) contract.Permit {
	t.Helper()
	secs := uint64(h.now()) / 1_000_000_000
	params := contract.PermitParams{
		ChainID: "hermetic-test", PermitName: name, AllowedContracts: []string{h.Self},
		Permissions: perms, Created: secs - 10, Expires: secs + 1000,
	}
	sig, err := k.Sign(contract.PermitSignBytes(params))
	require.NoError(t, err)
	return contract.Permit{Params: params, Signature: contract.PermitSignature{
		PubKey:    contract.PermitPubKey{Type: k.Type().String(), Value: k.PubKey().Key},
		Signature: sig,
	}}
}
