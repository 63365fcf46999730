//go:build !wasip1

package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm"
)

// The tests run the built contract in the real VM (as contracts/token's
// do), so they see its gas and the host's real address and P-256 checks.

// maxCodeSize is the code size limit the tests give the VM: a Go contract
// using encoding/json is over vm.DefaultMaxCodeSize.
const maxCodeSize = 8 << 20

var (
	vmOnce   sync.Once
	sharedVM *vm.VM
	vmErr    error
)

func registryVM(t testing.TB) (*vm.VM, vm.Code) {
	t.Helper()
	wasm := contracttest.Build(t, ".")
	vmOnce.Do(func() {
		sharedVM, vmErr = vm.New(context.Background(), vm.Config{MaxCodeSize: maxCodeSize})
	})
	require.NoError(t, vmErr)
	code, err := sharedVM.Store(context.Background(), wasm)
	require.NoError(t, err)
	return sharedVM, code
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func account(t testing.TB, b byte) string {
	s, err := keys.EncodeBech32(keys.AddressPrefix, bytesOf(b, 20))
	require.NoError(t, err)
	return s
}

// harness runs the registry in the VM on a fresh state. Calls run on the
// store directly, with no rollback of failed calls, so the tests also check
// that the contract never writes before it fails.
type harness struct {
	t      testing.TB
	v      *vm.VM
	code   vm.Code
	store  state.Store
	height uint64
	self   string
}

// baseTime is the block time at height 0; each height adds 5 s.
const baseTime = 1_700_000_000_000_000_000

func (h *harness) now() Time { return Time(baseTime + h.height*5_000_000_000) }

func newHarness(t testing.TB) *harness {
	t.Helper()
	v, code := registryVM(t)
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	self, err := keys.EncodeBech32(keys.AddressPrefix, bytesOf(0xC0, 32))
	require.NoError(t, err)
	h := &harness{t: t, v: v, code: code, store: state.NewCache(tr), height: 100, self: self}
	out, _ := h.call("instantiate", account(t, 0xEE), `{"prng_seed":"c2VlZA=="}`)
	require.JSONEq(t, `{"ok":{"messages":[],"attributes":[{"key":"action","value":"instantiate"}],"events":[]}}`, string(out))
	return h
}

func (h *harness) call(entry, sender, msg string) ([]byte, uint64) {
	h.t.Helper()
	env := vm.Env{
		Block:       vm.BlockInfo{Height: h.height, Time: fmt.Sprint(uint64(h.now())), ChainID: "hermetic-test"},
		Transaction: &vm.TransactionInfo{Index: 0},
		Contract:    vm.ContractInfo{Address: h.self},
	}
	c := vm.Call{Code: h.code.Hash, Entry: entry, Env: env, Msg: []byte(msg), Store: h.store, GasLimit: 1 << 40}
	if entry == "query" {
		c.Env.Transaction = nil
	} else {
		c.Info = &vm.MessageInfo{Sender: sender, Funds: []vm.Coin{}}
	}
	res, err := h.v.Call(context.Background(), c)
	require.NoError(h.t, err, "%s %s", entry, msg)
	return res.JSON, res.GasUsed
}

// result is an execute's outcome: the data (padding trimmed) or the error.
type result struct {
	data, err string
	gas       uint64
}

func (h *harness) exec(sender, msg string) result {
	h.t.Helper()
	out, gas := h.call("execute", sender, msg)
	var cr vm.ContractResult
	require.NoError(h.t, json.Unmarshal(out, &cr), string(out))
	if cr.Err != nil {
		return result{err: *cr.Err, gas: gas}
	}
	name := msg[2 : strings.IndexByte(msg[2:], '"')+2]
	require.Equal(h.t, []vm.Attribute{{Key: "action", Value: name}}, cr.Ok.Attributes, msg)
	require.Zero(h.t, len(cr.Ok.Data)%padBlock, "data of %d bytes is not padded", len(cr.Ok.Data))
	return result{data: strings.TrimRight(string(cr.Ok.Data), " "), gas: gas}
}

// ok runs an execute that must succeed and returns its data.
func (h *harness) ok(sender, msg string) string {
	h.t.Helper()
	r := h.exec(sender, msg)
	require.Empty(h.t, r.err, msg)
	return r.data
}

// fails runs an execute that must fail and returns its error.
func (h *harness) fails(sender, msg string) string {
	h.t.Helper()
	r := h.exec(sender, msg)
	require.NotEmpty(h.t, r.err, "%s succeeded: %s", msg, r.data)
	return r.err
}

// query runs a query and returns its answer (padding trimmed) or error.
func (h *harness) query(msg string) (string, string) {
	h.t.Helper()
	out, _ := h.call("query", "", msg)
	var qr vm.QueryResult
	require.NoError(h.t, json.Unmarshal(out, &qr), string(out))
	if qr.Err != nil {
		return "", *qr.Err
	}
	require.Zero(h.t, len(qr.Ok)%padBlock, "answer of %d bytes is not padded", len(qr.Ok))
	return strings.TrimRight(string(qr.Ok), " "), ""
}

func (h *harness) qok(msg string) string {
	h.t.Helper()
	a, err := h.query(msg)
	require.Empty(h.t, err, msg)
	return a
}

func (h *harness) qfails(msg string) string {
	h.t.Helper()
	a, err := h.query(msg)
	require.NotEmpty(h.t, err, "%s answered: %s", msg, a)
	return err
}

// snapshot is every key and value of the store.
func (h *harness) snapshot() map[string]string {
	h.t.Helper()
	it, err := h.store.Iterator(nil, nil, false)
	require.NoError(h.t, err)
	defer it.Close()
	out := map[string]string{}
	for ; it.Valid(); it.Next() {
		out[string(it.Key())] = string(it.Value())
	}
	require.NoError(h.t, it.Error())
	return out
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
		h: h, admin: account(t, 1), admin2: account(t, 2), gw: account(t, 3), consumer: account(t, 4),
		other: account(t, 5), stranger: account(t, 6),
	}
	w.org = createOrg(t, h, w.admin, "Acme Pressworks")
	w.otherOrg = createOrg(t, h, w.other, "Rival")
	h.ok(w.admin, msg(t, "add_gateway", gatewayMsg{OrgID: w.org, Gateway: w.gw}))
	h.ok(w.admin, msg(t, "register_device", registerDeviceMsg{
		OrgID: w.org, DeviceID: device, Name: "Press 1",
		Key: PublicKey{Type: keyEd25519, Value: bytesOf(7, 32)},
	}))
	h.ok(w.admin, msg(t, "create_stream", createStreamMsg{
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
	w.h.ok(who, `{"set_viewing_key":{"key":"`+key+`"}}`)
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
		BatchKey: bytesOf(byte(n), 32),
	}
}

// sourceTime is the source time of sequence number seq: one second apart.
func sourceTime(seq uint64) Time { return Time(baseTime + seq*1_000_000_000) }

// anchorBatches anchors batches 1..n of 10 records each.
func (w *world) anchorBatches(t testing.TB, n uint64) {
	for b := uint64(1); b <= n; b++ {
		w.h.ok(w.gw, msg(t, "anchor_batch", w.anchor(b, (b-1)*10+1, b*10)))
	}
}

// grant grants the consumer the stream for [from, to) and returns its id.
func (w *world) grant(t testing.TB, from, to Time, values ...string) uint64 {
	var g Grant
	answer(t, w.h.ok(w.admin, msg(t, "grant_read", grantReadMsg{
		OrgID: w.org, Grantee: w.consumer, StreamID: stream, Values: values, From: from, To: to,
	})), "grant_read", &g)
	return g.ID
}

func (w *world) release(grant, from, to uint64) string {
	return msg(w.h.t, "release_keys", releaseKeysMsg{OrgID: w.org, StreamID: stream, GrantID: grant, FromBatch: from, ToBatch: to})
}

// createOrg creates an organisation and returns its id.
func createOrg(t testing.TB, h *harness, creator, name string) string {
	var o struct {
		OrgID string `json:"org_id"`
	}
	answer(t, h.ok(creator, msg(t, "create_org", createOrgMsg{Name: name})), "create_org", &o)
	require.Len(t, o.OrgID, 32)
	return o.OrgID
}
