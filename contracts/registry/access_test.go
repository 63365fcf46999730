//go:build !wasip1

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
)

// TestDeviceKeys rotates and revokes a P-256 device's key and asks which
// key was valid when, as an admin, a gateway and a grantee (a verifier).
func TestDeviceKeys(t *testing.T) {
	w := newWorld(t)
	h := w.h
	k1, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	k2, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	registered := h.now()
	h.OK(w.admin, msg(t, "register_device", registerDeviceMsg{OrgID: w.org, DeviceID: "meter", Key: PublicKey{Type: "p256", Value: k1.PubKey().Key}}))
	h.OK(w.admin, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: "energy", DeviceID: "meter", Name: "Energy", Values: []ValueSchema{{Name: "kwh", Unit: "kWh"}}}))
	rotation := h.now() + 3_600_000_000_000 // in an hour
	h.OK(w.admin, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "meter", Key: PublicKey{Type: "p256", Value: k2.PubKey().Key}, EffectiveFrom: &rotation}))
	revocation := rotation + 3_600_000_000_000
	h.OK(w.admin, msg(t, "revoke_device", revokeDeviceMsg{OrgID: w.org, DeviceID: "meter", EffectiveFrom: &revocation}))
	require.Contains(t, h.Fails(w.admin, msg(t, "revoke_device", revokeDeviceMsg{OrgID: w.org, DeviceID: "meter"})), "device meter is already revoked from")
	require.Contains(t, h.Fails(w.admin, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "meter", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(9, 32)}})), "device meter is revoked from")

	keyAt := func(auth Auth, at Time) DeviceKeyAnswer {
		var a DeviceKeyAnswer
		answer(t, h.QueryOK(msg(t, "device_key_at", deviceKeyAtQuery{OrgID: w.org, DeviceID: "meter", Time: at, Auth: auth})), "device_key_at", &a)
		return a
	}
	admin := vk(w.admin, w.adminKey)
	for _, c := range []struct {
		at     Time
		key    []byte
		reason string
	}{
		{registered - 1, nil, "no key registered at that time"},
		{registered, k1.PubKey().Key, ""},
		{rotation - 1, k1.PubKey().Key, ""},
		{rotation, k2.PubKey().Key, ""},
		{revocation - 1, k2.PubKey().Key, ""},
		{revocation, nil, "revoked"},
	} {
		a := keyAt(admin, c.at)
		require.Equal(t, c.reason, a.Reason, "at %d", c.at)
		if c.key == nil {
			require.Nil(t, a.Key, "at %d", c.at)
		} else {
			require.Equal(t, c.key, a.Key.PublicKey, "at %d", c.at)
		}
		require.Equal(t, revocation, *a.RevokedAt)
	}

	// A grantee of one of the device's streams may ask; of another
	// device's stream, or once revoked, not; nor may a stranger.
	consumer := vk(w.consumer, w.consumerKey)
	q := msg(t, "device_key_at", deviceKeyAtQuery{OrgID: w.org, DeviceID: "meter", Time: rotation, Auth: consumer})
	require.Contains(t, h.QueryFails(q), "unauthorized")
	w.grant(t, 0, 1) // of stream temp, on press-1
	require.Contains(t, h.QueryFails(q), "unauthorized")
	var g Grant
	answer(t, h.OK(w.admin, msg(t, "grant_read", grantReadMsg{OrgID: w.org, Grantee: w.consumer, StreamID: "energy", From: 0, To: 1})), "grant_read", &g)
	require.Equal(t, k2.PubKey().Key, keyAt(consumer, rotation).Key.PublicKey)
	h.OK(w.admin, msg(t, "revoke_grant", revokeGrantMsg{OrgID: w.org, GrantID: g.ID}))
	require.Contains(t, h.QueryFails(q), "unauthorized")
	require.Contains(t, h.QueryFails(msg(t, "device_key_at", deviceKeyAtQuery{OrgID: w.org, DeviceID: "meter", Auth: vk(w.stranger, w.strangerKey)})), "unauthorized")
	w.setKey(w.gw, "gw")
	require.Equal(t, k1.PubKey().Key, keyAt(vk(w.gw, "gw"), registered).Key.PublicKey)

	// Devices are listed with their key history.
	var ds []Device
	answer(t, h.QueryOK(msg(t, "devices", listQuery{OrgID: w.org, Auth: admin, StartAfter: "meter"})), "devices", &ds)
	require.Len(t, ds, 1)
	require.Equal(t, device, ds[0].ID)
	answer(t, h.QueryOK(msg(t, "devices", listQuery{OrgID: w.org, Auth: admin, Limit: 1})), "devices", &ds)
	require.Len(t, ds, 1)
	require.Equal(t, "meter", ds[0].ID)
	require.Len(t, ds[0].Keys, 2)
	require.Equal(t, rotation, *ds[0].Keys[0].ValidUntil)
	require.Nil(t, ds[0].Keys[1].ValidUntil)
}

// TestIsolation: nothing of an organisation is answered to a stranger or
// to another organisation's admin, and an organisation that does not exist
// is refused in the same words as one that does.
func TestIsolation(t *testing.T) {
	w := newWorld(t)
	h := w.h
	w.anchorBatches(t, 1)
	g := w.grant(t, sourceTime(0), sourceTime(100))
	ghost := strings.Repeat("ab", 16)
	queries := func(org string, auth Auth) map[string]string {
		return map[string]string{
			"org_info":       msg(t, "org_info", orgQuery{OrgID: org, Auth: auth}),
			"devices":        msg(t, "devices", listQuery{OrgID: org, Auth: auth}),
			"gateways":       msg(t, "gateways", listQuery{OrgID: org, Auth: auth}),
			"streams":        msg(t, "streams", listQuery{OrgID: org, Auth: auth}),
			"anchors":        msg(t, "anchors", anchorsQuery{OrgID: org, StreamID: stream, Auth: auth}),
			"grant anchors":  msg(t, "anchors", anchorsQuery{OrgID: org, StreamID: stream, GrantID: &g, Auth: auth}),
			"grants":         msg(t, "grants", grantsQuery{OrgID: org, Auth: auth}),
			"access_records": msg(t, "access_records", accessRecordsQuery{OrgID: org, Auth: auth}),
			"device_key_at":  msg(t, "device_key_at", deviceKeyAtQuery{OrgID: org, DeviceID: device, Auth: auth}),
		}
	}
	for _, reader := range []struct{ addr, key string }{{w.stranger, w.strangerKey}, {w.other, w.otherKey}} {
		auth := vk(reader.addr, reader.key)
		ghostErrs := queries(ghost, auth)
		for name, q := range queries(w.org, auth) {
			err := h.QueryFails(q)
			require.Contains(t, err, "unauthorized", name)
			require.Equal(t, strings.ReplaceAll(err, w.org, ghost), h.QueryFails(ghostErrs[name]), "%s: a missing organisation answers alike", name)
		}
	}
	// A wrong viewing key is refused, whoever's address it names.
	for name, q := range queries(w.org, vk(w.admin, "not-the-key")) {
		require.Contains(t, h.QueryFails(q), "unauthorized: wrong viewing key", name)
	}
	require.Contains(t, h.QueryFails(msg(t, "org_info", orgQuery{OrgID: w.org})), "give exactly one of viewing_key and permit")

	// The gateway reads streams and anchors but not the rest.
	w.setKey(w.gw, "gw")
	gw := queries(w.org, vk(w.gw, "gw"))
	for _, name := range []string{"streams", "anchors", "device_key_at"} {
		h.QueryOK(gw[name])
	}
	for _, name := range []string{"org_info", "devices", "gateways", "grants", "access_records", "grant anchors"} {
		require.Contains(t, h.QueryFails(gw[name]), "unauthorized", name)
	}
	// The admin reads all but a grantee's view.
	admin := queries(w.org, vk(w.admin, w.adminKey))
	for name, q := range admin {
		if name != "grant anchors" {
			h.QueryOK(q)
		}
	}
	var grants []Grant
	answer(t, h.QueryOK(admin["grants"]), "grants", &grants)
	require.Len(t, grants, 1)
}
