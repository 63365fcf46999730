//go:build !wasip1

package main

import (
	"crypto/elliptic"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
)

// invalidP256 is a compressed encoding (02 ‖ x) whose x is not on P-256.
func invalidP256(t *testing.T) []byte {
	t.Helper()
	for i := 1; i < 256; i++ {
		k := append([]byte{2}, contracttest.Bytes(byte(i), 32)...)
		if x, _ := elliptic.UnmarshalCompressed(elliptic.P256(), k); x == nil {
			return k
		}
	}
	t.Fatal("no invalid point found")
	return nil
}

// TestRefusals sends every kind of bad input to a world with batches 1 and
// 2 of stream temp anchored, a second stream temp2 whose batch 1 is
// shredded, a grant of temp (grant 1), a revoked grant (2) and a grant of
// temp2 (3). Each is refused with its own error, and none writes anything.
func TestRefusals(t *testing.T) {
	w := newWorld(t)
	h := w.h
	w.anchorBatches(t, 2)
	h.OK(w.admin, msg(t, "create_stream", createStreamMsg{
		OrgID: w.org, StreamID: "temp2", DeviceID: device, Name: "T2", Values: []ValueSchema{{Name: "t", Unit: "K"}},
	}))
	t2 := w.anchor(1, 1, 5)
	t2.StreamID = "temp2"
	h.OK(w.gw, msg(t, "anchor_batch", t2))
	h.OK(w.admin, msg(t, "shred_batches", shredBatchesMsg{OrgID: w.org, StreamID: "temp2", FromBatch: 1, ToBatch: 1}))
	grant := w.grant(t, sourceTime(1), sourceTime(11)) // batch 1 only
	revoked := w.grant(t, sourceTime(0), sourceTime(100))
	h.OK(w.admin, msg(t, "revoke_grant", revokeGrantMsg{OrgID: w.org, GrantID: revoked}))
	var g3 Grant
	answer(t, h.OK(w.admin, msg(t, "grant_read", grantReadMsg{
		OrgID: w.org, Grantee: w.consumer, StreamID: "temp2", From: sourceTime(0), To: sourceTime(100),
	})), "grant_read", &g3)
	rivalGW := contracttest.Account(t, 9)
	h.OK(w.other, msg(t, "add_gateway", gatewayMsg{OrgID: w.otherOrg, Gateway: rivalGW}))
	p256, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)

	newDevice := func(typ string, key []byte) string {
		return msg(t, "register_device", registerDeviceMsg{OrgID: w.org, DeviceID: "d2", Key: PublicKey{Type: typ, Value: key}})
	}
	anchor := func(f func(*anchorBatchMsg)) string {
		a := w.anchor(3, 21, 30)
		f(&a)
		return msg(t, "anchor_batch", a)
	}
	grantMsg := func(f func(*grantReadMsg)) string {
		g := grantReadMsg{OrgID: w.org, Grantee: w.consumer, StreamID: stream, From: sourceTime(1), To: sourceTime(50)}
		f(&g)
		return msg(t, "grant_read", g)
	}
	past := h.now() - 1
	notAdmin := "unauthorized: %s is not an admin of organisation " + w.org
	cases := []struct {
		name, sender, msg, want string
	}{
		// devices
		{"ed25519 key of 31 bytes", w.admin, newDevice("ed25519", contracttest.Bytes(1, 31)), "invalid key: an ed25519 public key is 32 bytes, got 31"},
		{"ed25519 key of 33 bytes", w.admin, newDevice("ed25519", contracttest.Bytes(1, 33)), "an ed25519 public key is 32 bytes, got 33"},
		{"p256 key of 32 bytes", w.admin, newDevice("p256", contracttest.Bytes(2, 32)), "a p256 public key is a 33-byte compressed SEC1 point (02 or 03 first), got 32 bytes"},
		{"p256 key uncompressed", w.admin, newDevice("p256", append([]byte{4}, contracttest.Bytes(1, 64)...)), "got 65 bytes"},
		{"p256 key with prefix 04", w.admin, newDevice("p256", append([]byte{4}, p256.PubKey().Key[1:]...)), "(02 or 03 first), got 33 bytes"},
		{"p256 key not on the curve", w.admin, newDevice("p256", invalidP256(t)), "invalid key: not a point of P-256"},
		{"unknown key type", w.admin, newDevice("rsa", contracttest.Bytes(1, 32)), `invalid key: type "rsa" is neither "ed25519" nor "p256"`},
		{"device id with capitals", w.admin, msg(t, "register_device", registerDeviceMsg{OrgID: w.org, DeviceID: "D2", Key: PublicKey{Type: "p256", Value: p256.PubKey().Key}}), `invalid device_id: "D2"`},
		{"device registered twice", w.admin, msg(t, "register_device", registerDeviceMsg{OrgID: w.org, DeviceID: "press-1", Key: PublicKey{Type: "p256", Value: p256.PubKey().Key}}), "device press-1 is already registered"},
		{"device in another org", w.admin, msg(t, "register_device", registerDeviceMsg{OrgID: w.otherOrg, DeviceID: "d2", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(1, 32)}}), "unauthorized: " + w.admin + " is not an admin of organisation " + w.otherOrg},
		{"rotation in the past", w.admin, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "press-1", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(8, 32)}, EffectiveFrom: &past}), "is before the block time"},
		{"rotation to a used key", w.admin, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "press-1", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(7, 32)}}), "device press-1 has used this key before"},
		{"rotation of an unknown device", w.admin, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "nope", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(8, 32)}}), "not found: no device nope in organisation " + w.org},
		{"revocation in the past", w.admin, msg(t, "revoke_device", revokeDeviceMsg{OrgID: w.org, DeviceID: "press-1", EffectiveFrom: &past}), "is before the block time"},
		// streams
		{"stream of an unknown device", w.admin, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: "s", DeviceID: "nope", Name: "S", Values: []ValueSchema{{Name: "v"}}}), "no device nope in organisation"},
		{"stream without values", w.admin, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: "s", DeviceID: device, Name: "S"}), "invalid values: want 1 to 64 values, got 0"},
		{"stream with a value twice", w.admin, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: "s", DeviceID: device, Name: "S", Values: []ValueSchema{{Name: "v"}, {Name: "v"}}}), `invalid values: "v" appears twice`},
		{"stream twice", w.admin, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: stream, DeviceID: device, Name: "S", Values: []ValueSchema{{Name: "v"}}}), "stream temp already exists"},
		// anchors
		{"anchor twice", w.gw, msg(t, "anchor_batch", w.anchor(2, 11, 20)), "anchor refused: stream temp batch 2 is already anchored (the next batch is 3)"},
		{"anchor of an earlier batch", w.gw, msg(t, "anchor_batch", w.anchor(1, 21, 30)), "anchor refused: stream temp batch 1 is already anchored (the next batch is 3)"},
		{"anchor overlapping", w.gw, anchor(func(a *anchorBatchMsg) { a.FirstSeq, a.RecordCount = 15, 16 }), "anchor refused: stream temp batch 3 overlaps: sequence numbers 15 to 30, but 20 is already anchored (the next is 21)"},
		{"anchor out of order", w.gw, msg(t, "anchor_batch", w.anchor(4, 21, 30)), "anchor refused: stream temp batch 4 is out of order: the next batch is 3"},
		{"anchor skipping sequence numbers", w.gw, anchor(func(a *anchorBatchMsg) { a.FirstSeq, a.RecordCount = 25, 6 }), "anchor refused: stream temp batch 3 skips sequence numbers 21 to 24: it must start at 21"},
		{"anchor with a count mismatch", w.gw, anchor(func(a *anchorBatchMsg) { a.RecordCount = 9 }), "anchor refused: stream temp batch 3: record_count 9, but sequence numbers 21 to 30 are 10 records"},
		{"anchor with last before first", w.gw, anchor(func(a *anchorBatchMsg) { a.LastSeq = 20 }), "anchor refused: stream temp batch 3: last_seq 20 is before first_seq 21"},
		{"anchor with times reversed", w.gw, anchor(func(a *anchorBatchMsg) { a.LastSourceTime = a.FirstSourceTime - 1 }), "last_source_time 1700000020999999999 is before first_source_time"},
		{"anchor by a stranger", w.stranger, msg(t, "anchor_batch", w.anchor(3, 21, 30)), "unauthorized: " + w.stranger + " is not a gateway of organisation " + w.org},
		{"anchor by an admin", w.admin, msg(t, "anchor_batch", w.anchor(3, 21, 30)), "is not a gateway of organisation"},
		{"anchor by another org's gateway", rivalGW, msg(t, "anchor_batch", w.anchor(3, 21, 30)), "unauthorized: " + rivalGW + " is not a gateway of organisation " + w.org},
		{"anchor to an unknown stream", w.gw, anchor(func(a *anchorBatchMsg) { a.StreamID = "nope" }), "not found: no stream nope in organisation " + w.org},
		{"anchor with a short merkle root", w.gw, anchor(func(a *anchorBatchMsg) { a.MerkleRoot = a.MerkleRoot[:62] }), "invalid merkle_root: want 32 bytes as 64 hex digits"},
		{"anchor with a bad object hash", w.gw, anchor(func(a *anchorBatchMsg) { a.ObjectSHA256 = "zz" }), "invalid object_sha256"},
		{"anchor without location", w.gw, anchor(func(a *anchorBatchMsg) { a.Location = "" }), "invalid location"},
		{"anchor with a 20-byte key", w.gw, anchor(func(a *anchorBatchMsg) { a.BatchKey = contracttest.Bytes(1, 20) }), "invalid batch_key: a key is 16 or 32 bytes, got 20"},
		{"anchor without key", w.gw, anchor(func(a *anchorBatchMsg) { a.BatchKey = nil }), "invalid batch_key: a key is 16 or 32 bytes, got 0"},
		{"anchor with a key of an unknown value", w.gw, anchor(func(a *anchorBatchMsg) { a.ValueKeys = []ValueKey{{Name: "humidity", Key: contracttest.Bytes(1, 16)}} }), `invalid value_keys[0]: stream temp has no value "humidity"`},
		// grants
		{"grant with from = to", w.admin, grantMsg(func(g *grantReadMsg) { g.To = g.From }), "invalid: window [1700000001000000000, 1700000001000000000): from must be before to"},
		{"grant with from > to", w.admin, grantMsg(func(g *grantReadMsg) { g.From, g.To = g.To, g.From }), "from must be before to"},
		{"grant of an unknown stream", w.admin, grantMsg(func(g *grantReadMsg) { g.StreamID = "nope" }), "not found: no stream nope in organisation"},
		{"grant of another org's stream", w.admin, grantMsg(func(g *grantReadMsg) { g.OrgID = w.otherOrg }), "is not an admin of organisation " + w.otherOrg},
		{"grant of an unknown value", w.admin, grantMsg(func(g *grantReadMsg) { g.Values = []string{"humidity"} }), `invalid values[0]: stream temp has no value "humidity"`},
		{"grant by a gateway", w.gw, grantMsg(func(*grantReadMsg) {}), "unauthorized: " + w.gw + " is not an admin"},
		{"revoke a revoked grant", w.admin, msg(t, "revoke_grant", revokeGrantMsg{OrgID: w.org, GrantID: revoked}), "grant 2 is already revoked"},
		{"revoke an unknown grant", w.admin, msg(t, "revoke_grant", revokeGrantMsg{OrgID: w.org, GrantID: 99}), "not found: no grant 99"},
		// releases
		{"release outside the window", w.consumer, w.release(grant, 1, 2), "release refused: stream temp batch 2 (source time 1700000011000000000 to 1700000020000000000) is outside grant 1's window"},
		{"release after revocation", w.consumer, w.release(revoked, 1, 1), "release refused: grant 2 was revoked at"},
		{"release for another stream", w.consumer, w.release(g3.ID, 1, 1), "release refused: grant 3 is for stream temp2, not temp"},
		{"release after shredding", w.consumer, msg(t, "release_keys", releaseKeysMsg{OrgID: w.org, StreamID: "temp2", GrantID: g3.ID, FromBatch: 1, ToBatch: 1}), "release refused: stream temp2 batch 1 is shredded: its key is deleted"},
		{"release of an unanchored batch", w.consumer, w.release(grant, 1, 3), "want 1 <= from_batch <= to_batch <= 2"},
		{"release of batch 0", w.consumer, w.release(grant, 0, 1), "want 1 <= from_batch"},
		{"release of another's grant", w.stranger, w.release(grant, 1, 1), "unauthorized: " + w.stranger + " holds no grant 1 of organisation " + w.org},
		{"release of an unknown grant", w.consumer, w.release(99, 1, 1), "holds no grant 99"},
		// admin things by non-admins
		{"add admin by a stranger", w.stranger, msg(t, "add_admin", adminMsg{OrgID: w.org, Admin: w.stranger}), strings.Replace(notAdmin, "%s", w.stranger, 1)},
		{"add admin by another org's admin", w.other, msg(t, "add_admin", adminMsg{OrgID: w.org, Admin: w.other}), strings.Replace(notAdmin, "%s", w.other, 1)},
		{"remove admin by a gateway", w.gw, msg(t, "remove_admin", adminMsg{OrgID: w.org, Admin: w.admin}), strings.Replace(notAdmin, "%s", w.gw, 1)},
		{"add gateway by a consumer", w.consumer, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: w.consumer}), strings.Replace(notAdmin, "%s", w.consumer, 1)},
		{"register device by a gateway", w.gw, newDevice("ed25519", contracttest.Bytes(1, 32)), strings.Replace(notAdmin, "%s", w.gw, 1)},
		{"rotate key by a stranger", w.stranger, msg(t, "rotate_device_key", rotateDeviceKeyMsg{OrgID: w.org, DeviceID: "press-1", Key: PublicKey{Type: "ed25519", Value: contracttest.Bytes(8, 32)}}), strings.Replace(notAdmin, "%s", w.stranger, 1)},
		{"revoke device by a gateway", w.gw, msg(t, "revoke_device", revokeDeviceMsg{OrgID: w.org, DeviceID: "press-1"}), strings.Replace(notAdmin, "%s", w.gw, 1)},
		{"create stream by a consumer", w.consumer, msg(t, "create_stream", createStreamMsg{OrgID: w.org, StreamID: "s", DeviceID: device, Name: "S", Values: []ValueSchema{{Name: "v"}}}), strings.Replace(notAdmin, "%s", w.consumer, 1)},
		{"revoke grant by the grantee", w.consumer, msg(t, "revoke_grant", revokeGrantMsg{OrgID: w.org, GrantID: grant}), strings.Replace(notAdmin, "%s", w.consumer, 1)},
		{"shred by a gateway", w.gw, msg(t, "shred_batches", shredBatchesMsg{OrgID: w.org, StreamID: stream, FromBatch: 1, ToBatch: 1}), strings.Replace(notAdmin, "%s", w.gw, 1)},
		{"shred stream by a stranger", w.stranger, msg(t, "shred_stream", shredStreamMsg{OrgID: w.org, StreamID: stream}), strings.Replace(notAdmin, "%s", w.stranger, 1)},
		{"admin of an unknown org", w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: strings.Repeat("0", 32), Gateway: w.gw}), "unauthorized: " + w.admin + " is not an admin of organisation " + strings.Repeat("0", 32)},
		{"malformed org id", w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: "acme", Gateway: w.gw}), `invalid org_id: "acme" is not 32 lower-case hex digits`},
		// admins and gateways
		{"add an admin twice", w.admin, msg(t, "add_admin", adminMsg{OrgID: w.org, Admin: w.admin}), "is already an admin"},
		{"remove the last admin", w.admin, msg(t, "remove_admin", adminMsg{OrgID: w.org, Admin: w.admin}), "is the last admin of organisation"},
		{"remove a non-admin", w.admin, msg(t, "remove_admin", adminMsg{OrgID: w.org, Admin: w.stranger}), "not found: " + w.stranger + " is not an admin"},
		{"add a gateway twice", w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: w.gw}), "is already a gateway"},
		{"invalid gateway address", w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: "herm1xyz"}), "invalid gateway"},
		{"shred beyond the last batch", w.admin, msg(t, "shred_batches", shredBatchesMsg{OrgID: w.org, StreamID: stream, FromBatch: 1, ToBatch: 3}), "want 1 <= from_batch <= to_batch <= 2"},
		// messages
		{"unknown field", w.admin, `{"create_org":{"name":"x","colour":"red"}}`, `unknown field "colour"`},
		{"unknown message", w.admin, `{"delete_everything":{}}`, `unknown execute message "delete_everything"`},
		{"time as a number", w.admin, strings.Replace(grantMsg(func(*grantReadMsg) {}), `"from":"1700000001000000000"`, `"from":1`, 1), "want a decimal string of nanoseconds"},
	}
	before := h.Snapshot()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Contains(t, h.Fails(c.sender, c.msg), c.want)
		})
	}
	require.Equal(t, before, h.Snapshot(), "a refused message wrote to the state")
}
