//go:build !wasip1

package main

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/contract/contracttest/vmtest"
)

// harness runs the registry in the real VM (vmtest.Harness: calls run on
// the store directly, with no rollback of failed calls, so the tests also
// check that the contract never writes before it fails), instantiated.
type harness struct{ *vmtest.Harness }

func (h *harness) now() Time { return Time(vmtest.BlockTime(h.Height)) }

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{vmtest.New(t, ".")}
	h.PadBlock = padBlock
	out, _ := h.Call("instantiate", contracttest.Account(t, 0xEE), `{"prng_seed":"c2VlZA=="}`)
	require.JSONEq(t, `{"ok":{"messages":[],"attributes":[{"key":"action","value":"instantiate"}],"events":[]}}`, string(out))
	return h
}

// msg is the JSON {name: body}.
func msg(t testing.TB, name string, body any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{name: body})
	require.NoError(t, err)
	return string(b)
}

// answer decodes the {name: answer} data of an execute or query into v.
func answer(t testing.TB, data, name string, v any) {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(data), &m), data)
	require.Contains(t, m, name, data)
	require.NoError(t, json.Unmarshal(m[name], v), data)
}

func hash32(s string) string {
	h := sha256.Sum256([]byte(s))
	return fmt.Sprintf("%x", h)
}

// world is an organisation with a device, a stream, a gateway and a
// consumer, and accounts outside it.
type world struct {
	h                                  *harness
	org, otherOrg                      string
	admin, admin2, gw, consumer, other string // other: admin of otherOrg
	stranger                           string
	adminKey, consumerKey, strangerKey string // viewing keys
	otherKey                           string
}

const (
	device = "press-1"
	stream = "temp"
)

func newWorld(t testing.TB) *world {
	h := newHarness(t)
	w := &world{
		h: h, admin: contracttest.Account(t, 1), admin2: contracttest.Account(t, 2), gw: contracttest.Account(t, 3), consumer: contracttest.Account(t, 4),
		other: contracttest.Account(t, 5), stranger: contracttest.Account(t, 6),
	}
	w.org = createOrg(t, h, w.admin, "Acme Pressworks")
	w.otherOrg = createOrg(t, h, w.other, "Rival")
	h.OK(w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: w.gw}))
	h.OK(w.admin, msg(t, "register_device", registerDeviceMsg{
		OrgID: w.org, DeviceID: device, Name: "Press 1",
		Key: PublicKey{Type: keyEd25519, Value: contracttest.Bytes(7, 32)},
	}))
	h.OK(w.admin, msg(t, "create_stream", createStreamMsg{
		OrgID: w.org, StreamID: stream, DeviceID: device, Name: "Temperatures",
		Values:       []ValueSchema{{Name: "temperature", Unit: "°C"}, {Name: "pressure", Unit: "bar"}},
		SamplingNote: "1 Hz, averaged over 100 ms",
	}))
	w.adminKey = w.setKey(w.admin, "admin-key")
	w.consumerKey = w.setKey(w.consumer, "consumer-key")
	w.strangerKey = w.setKey(w.stranger, "stranger-key")
	w.otherKey = w.setKey(w.other, "other-key")
	return w
}

func (w *world) setKey(who, key string) string {
	w.h.OK(who, `{"set_viewing_key":{"key":"`+key+`"}}`)
	return key
}

// vk is a viewing-key auth.
func vk(addr, key string) Auth { return Auth{ViewingKey: &ViewingKeyAuth{Address: addr, Key: key}} }

// anchor is an anchor_batch message of the world's stream: batch n holding
// sequence numbers first to last, source times 1000·first to 1000·last
// (+ base), with batch key bytes n.
func (w *world) anchor(n, first, last uint64) anchorBatchMsg {
	return anchorBatchMsg{
		OrgID: w.org, StreamID: stream, Batch: n, MerkleRoot: hash32(fmt.Sprint("root", n)),
		RecordCount: last - first + 1, FirstSeq: first, LastSeq: last,
		FirstSourceTime: sourceTime(first), LastSourceTime: sourceTime(last),
		Location: fmt.Sprintf("s3://acme-data/temp/%06d.bin", n), ObjectSHA256: hash32(fmt.Sprint("object", n)),
		BatchKey: contracttest.Bytes(byte(n), 32),
	}
}

// sourceTime is the source time of sequence number seq: one second apart.
func sourceTime(seq uint64) Time { return Time(vmtest.BaseTime + seq*1_000_000_000) }

// anchorBatches anchors batches 1..n of 10 records each.
func (w *world) anchorBatches(t testing.TB, n uint64) {
	for b := uint64(1); b <= n; b++ {
		w.h.OK(w.gw, msg(t, "anchor_batch", w.anchor(b, (b-1)*10+1, b*10)))
	}
}

// grant grants the consumer the stream for [from, to) and returns its id.
func (w *world) grant(t testing.TB, from, to Time, values ...string) uint64 {
	var g Grant
	answer(t, w.h.OK(w.admin, msg(t, "grant_read", grantReadMsg{
		OrgID: w.org, Grantee: w.consumer, StreamID: stream, Values: values, From: from, To: to,
	})), "grant_read", &g)
	return g.ID
}

func (w *world) release(grant, from, to uint64) string {
	return msg(w.h.T, "release_keys", releaseKeysMsg{OrgID: w.org, StreamID: stream, GrantID: grant, FromBatch: from, ToBatch: to})
}

// createOrg creates an organisation and returns its id.
func createOrg(t testing.TB, h *harness, creator, name string) string {
	var o struct {
		OrgID string `json:"org_id"`
	}
	answer(t, h.OK(creator, msg(t, "create_org", createOrgMsg{Name: name})), "create_org", &o)
	require.Len(t, o.OrgID, 32)
	return o.OrgID
}
