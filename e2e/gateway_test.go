package e2e

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/batch"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/edge/buffer"
	"github.com/hermetic-chain/hermetic/edge/store"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/reading"
)

// registryCall executes a registry message and returns the decrypted
// answer of message name.
func registryCall(ctx context.Context, t *testing.T, c *client.Client, k keys.PrivKey, reg keys.ContractAddress, name string, body any) json.RawMessage {
	t.Helper()
	msg, err := json.Marshal(map[string]any{name: body})
	require.NoError(t, err)
	res, err := c.Execute(ctx, k, reg, msg, false, 0, client.TxOptions{GasLimit: 10_000_000})
	require.NoError(t, err, name)
	var out map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(res.Data, &out), "%s: %s", name, res.Data)
	return out[name]
}

// TestGatewayAnchorsAReplay: the data path from machine to chain and
// back, on a devnet with the registry contract. An organisation (alice)
// registers a device, a stream and a gateway account (bob); the gateway
// replays 2,000 rows of the AI4I 2020 data set, signing each with the
// device's key, buffering, sealing batches of 500 into the object store
// and anchoring them. Then alice grants herself the stream, releases the
// batch keys (an audited release), opens every object and checks every
// record: its signature under the device's key, the chain of records, and
// its inclusion proof against the anchored root.
func TestGatewayAnchorsAReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end data-path test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	wasm := filepath.Join(t.TempDir(), "registry.wasm")
	hermeticd(t, "contract", "build", filepath.Join("..", "contracts", "registry"), "-O", wasm)
	d := startDevnet(ctx, t)
	c := client.New(d.api)
	kr, err := keyring.Open(filepath.Join(d.home, "keyring"), "test", nil)
	require.NoError(t, err)
	alice, err := kr.Key("alice")
	require.NoError(t, err)
	gw, err := kr.Key("bob")
	require.NoError(t, err)
	st, err := c.Status(ctx)
	require.NoError(t, err)

	// The registry, an organisation, its gateway, device and stream.
	bin, err := os.ReadFile(wasm)
	require.NoError(t, err)
	stored, err := c.StoreCode(ctx, alice, bin, client.TxOptions{})
	require.NoError(t, err)
	made, err := c.Instantiate(ctx, alice, stored.CodeID, "registry", alice.PubKey().Address(), []byte(`{}`), false, client.TxOptions{GasLimit: 10_000_000})
	require.NoError(t, err)
	reg := made.Contract
	var org struct {
		OrgID string `json:"org_id"`
	}
	require.NoError(t, json.Unmarshal(registryCall(ctx, t, c, alice, reg, "create_org", map[string]any{"name": "Acme Milling"}), &org))
	registryCall(ctx, t, c, alice, reg, "add_gateway", map[string]any{"org_id": org.OrgID, "gateway": gw.PubKey().Address().String()})
	deviceKey, err := edge.NewKeyFile(filepath.Join(t.TempDir(), "device.key"), edge.KeyEd25519)
	require.NoError(t, err)
	pub, err := reading.PublicKeyBytes(deviceKey.Public())
	require.NoError(t, err)
	registryCall(ctx, t, c, alice, reg, "register_device", map[string]any{"org_id": org.OrgID, "device_id": "ai4i",
		"key": map[string]any{"type": "ed25519", "value": base64.StdEncoding.EncodeToString(pub)}})
	var values []map[string]string
	for _, v := range []struct{ name, unit string }{{"air_temperature", "K"}, {"hdf", ""}, {"machine_failure", ""}, {"osf", ""},
		{"process_temperature", "K"}, {"pwf", ""}, {"rnf", ""}, {"rotational_speed", "rpm"}, {"tool_wear", "min"}, {"torque", "N.m"},
		{"twf", ""}, {"type", ""}, {"udi", ""}} {
		values = append(values, map[string]string{"name": v.name, "unit": v.unit})
	}
	registryCall(ctx, t, c, alice, reg, "create_stream", map[string]any{"org_id": org.OrgID, "stream_id": "mill", "device_id": "ai4i",
		"name": "AI4I milling machine", "values": values, "sampling_note": "one row a second, replayed"})

	// The gateway replays 2,000 rows.
	buf, err := buffer.Open(filepath.Join(t.TempDir(), "buffer.db"))
	require.NoError(t, err)
	defer buf.Close()
	objects := store.Folder{Dir: filepath.Join(t.TempDir(), "objects")}
	anchorer := &edge.Registry{Client: c, Key: gw, ChainID: st.ChainID, Contract: reg, OrgID: org.OrgID}
	g := &edge.Gateway{Buffer: buf, Store: objects, Anchorer: anchorer, Devices: map[string]reading.Signer{"ai4i": deviceKey},
		Location: func(name string) string { return "http://gateway.example/objects/" + name }, BatchSize: 500}
	csv, err := os.Open("../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	defer csv.Close()
	start := time.Unix(1_700_000_000, 0)
	src := &edge.AI4I{CSV: csv, Device: "ai4i", Stream: "mill", Start: start, Tick: time.Second, Rows: 2000}
	require.NoError(t, g.Run(ctx, src, time.Second))
	last, seq, err := anchorer.Last(ctx, "mill")
	require.NoError(t, err)
	require.Equal(t, uint64(2000), seq)
	require.GreaterOrEqual(t, last, uint64(4))
	_, left, err := buf.Pending("mill", 1)
	require.NoError(t, err)
	require.Empty(t, left, "everything anchored")

	// A consumer's view: alice grants herself the stream and releases every
	// batch's key, then checks every record against the anchors.
	var grant struct {
		GrantID uint64 `json:"grant_id"`
	}
	require.NoError(t, json.Unmarshal(registryCall(ctx, t, c, alice, reg, "grant_read", map[string]any{"org_id": org.OrgID,
		"grantee": alice.PubKey().Address().String(), "stream_id": "mill", "from": "0", "to": "9000000000000000000"}), &grant))
	var released struct {
		Batches []struct {
			Anchor struct {
				Batch        uint64 `json:"batch"`
				MerkleRoot   string `json:"merkle_root"`
				RecordCount  uint64 `json:"record_count"`
				FirstSeq     uint64 `json:"first_seq"`
				Location     string `json:"location"`
				ObjectSHA256 string `json:"object_sha256"`
			} `json:"anchor"`
			BatchKey string `json:"batch_key"`
		} `json:"batches"`
	}
	require.NoError(t, json.Unmarshal(registryCall(ctx, t, c, alice, reg, "release_keys", map[string]any{"org_id": org.OrgID,
		"stream_id": "mill", "grant_id": grant.GrantID, "from_batch": 1, "to_batch": last}), &released))
	require.Len(t, released.Batches, int(last))
	var chain reading.Chain
	records := 0
	for _, b := range released.Batches {
		obj, err := objects.Get(ctx, b.Anchor.ObjectSHA256)
		require.NoError(t, err)
		require.Equal(t, "http://gateway.example/objects/"+b.Anchor.ObjectSHA256, b.Anchor.Location)
		key, err := base64.StdEncoding.DecodeString(b.BatchKey)
		require.NoError(t, err)
		contents, err := batch.Open(key, obj)
		require.NoError(t, err)
		require.Equal(t, b.Anchor.FirstSeq, contents.First)
		require.Len(t, contents.Records, int(b.Anchor.RecordCount))
		root, err := hex.DecodeString(b.Anchor.MerkleRoot)
		require.NoError(t, err)
		tree, err := batch.New(contents.Records)
		require.NoError(t, err)
		for i, rec := range contents.Records {
			r, err := reading.Verify(rec, deviceKey.Public())
			require.NoError(t, err)
			require.NoError(t, chain.Add(r, rec))
			p, err := tree.Proof(uint64(i))
			require.NoError(t, err)
			require.NoError(t, batch.Verify(rec, uint64(i), b.Anchor.RecordCount, p, root))
			records++
		}
	}
	require.Equal(t, 2000, records)
	require.Equal(t, uint64(2001), chain.Next())
}
