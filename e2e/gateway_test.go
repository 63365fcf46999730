package e2e

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
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
func registryCall(ctx context.Context, t testing.TB, c *client.Client, k keys.PrivKey, reg keys.ContractAddress, name string, body any) json.RawMessage {
	t.Helper()
	msg, err := json.Marshal(map[string]any{name: body})
	require.NoError(t, err)
	res, err := c.Execute(ctx, k, reg, msg, false, 0, client.TxOptions{GasLimit: 10_000_000})
	require.NoError(t, err, name)
	var out map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(res.Data, &out), "%s: %s", name, res.Data)
	return out[name]
}

// dataNet is a devnet with the registry contract, an organisation of
// alice's with a gateway account (bob), a device "ai4i" whose key is in
// deviceKeyFile, and its stream "mill" of AI4I values.
type dataNet struct {
	devnet
	c             *client.Client
	chainID       string
	alice, gw     keys.PrivKey
	reg           keys.ContractAddress
	org           string
	deviceKeyFile string
	device        reading.Signer
}

func startDataNet(ctx context.Context, t testing.TB) *dataNet {
	t.Helper()
	wasm := filepath.Join(t.TempDir(), "registry.wasm")
	hermeticd(t, "contract", "build", filepath.Join("..", "contracts", "registry"), "-O", wasm)
	n := &dataNet{devnet: startDevnet(ctx, t)}
	n.c = client.New(n.api)
	kr, err := keyring.Open(filepath.Join(n.home, "keyring"), "test", nil)
	require.NoError(t, err)
	n.alice, err = kr.Key("alice")
	require.NoError(t, err)
	n.gw, err = kr.Key("bob")
	require.NoError(t, err)
	st, err := n.c.Status(ctx)
	require.NoError(t, err)
	n.chainID = st.ChainID

	bin, err := os.ReadFile(wasm)
	require.NoError(t, err)
	stored, err := n.c.StoreCode(ctx, n.alice, bin, client.TxOptions{})
	require.NoError(t, err)
	made, err := n.c.Instantiate(ctx, n.alice, stored.CodeID, "registry", n.alice.PubKey().Address(), []byte(`{}`), false, client.TxOptions{GasLimit: 10_000_000})
	require.NoError(t, err)
	n.reg = made.Contract
	// The organisation and its gateway, with hermeticd's data commands.
	reg := []string{"--registry", n.reg.String(), "--from", "alice"}
	out := n.run(t, append([]string{"tx", "data", "create-org", "Acme Milling"}, reg...)...)
	m := regexp.MustCompile(`"org_id":"([0-9a-f]{32})"`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	n.org = m[1]
	n.run(t, append([]string{"tx", "data", "add-gateway", n.org, n.gw.PubKey().Address().String()}, reg...)...)
	n.deviceKeyFile = filepath.Join(t.TempDir(), "device.key")
	n.device, err = edge.NewKeyFile(n.deviceKeyFile, edge.KeyEd25519)
	require.NoError(t, err)
	// The admin registers the device with the gateway's command.
	edgeOut, err := exec.CommandContext(ctx, edgeBinary, "device", "register", "--key", n.deviceKeyFile, "--device", "ai4i",
		"--node", n.api, "--registry", n.reg.String(), "--org-id", n.org,
		"--keyring", filepath.Join(n.home, "keyring"), "--keyring-backend", "test", "--from", "alice").CombinedOutput()
	require.NoError(t, err, "%s", edgeOut)
	require.Contains(t, string(edgeOut), "registered device ai4i")
	n.run(t, append([]string{"tx", "data", "create-stream", n.org, "mill", "ai4i", "--name", "AI4I milling machine",
		"--sampling-note", "one row a second, replayed", "--values",
		"air_temperature:K,hdf:,machine_failure:,osf:,process_temperature:K,pwf:,rnf:,rotational_speed:rpm,tool_wear:min,torque:N.m,twf:,type:,udi:"}, reg...)...)
	return n
}

// call executes a registry message as alice and returns its answer.
func (n *dataNet) call(ctx context.Context, t testing.TB, name string, body any) json.RawMessage {
	t.Helper()
	return registryCall(ctx, t, n.c, n.alice, n.reg, name, body)
}

// anchorer is the gateway's view of the registry.
func (n *dataNet) anchorer() *edge.Registry {
	return &edge.Registry{Client: n.c, Key: n.gw, ChainID: n.chainID, Contract: n.reg, OrgID: n.org}
}

// verifyStream is a consumer's check of the stream: alice grants herself
// the stream, releases every batch's key (an audited release), opens
// every object from objects and checks every record — its signature under
// the device's key, the chain of records from 1 to want, and its
// inclusion proof against the anchored root.
func (n *dataNet) verifyStream(ctx context.Context, t testing.TB, objects store.Folder, want uint64) {
	t.Helper()
	last, seq, err := n.anchorer().Last(ctx, "mill")
	require.NoError(t, err)
	require.Equal(t, want, seq)
	var grant struct {
		GrantID uint64 `json:"grant_id"`
	}
	require.NoError(t, json.Unmarshal(n.call(ctx, t, "grant_read", map[string]any{"org_id": n.org,
		"grantee": n.alice.PubKey().Address().String(), "stream_id": "mill", "from": "0", "to": "9000000000000000000"}), &grant))
	var chain reading.Chain
	for from := uint64(1); from <= last; from += 5 { // five a release: about 7 M gas
		to := min(from+4, last)
		var released struct {
			Batches []struct {
				Anchor struct {
					MerkleRoot   string `json:"merkle_root"`
					RecordCount  uint64 `json:"record_count"`
					FirstSeq     uint64 `json:"first_seq"`
					ObjectSHA256 string `json:"object_sha256"`
				} `json:"anchor"`
				BatchKey string `json:"batch_key"`
			} `json:"batches"`
		}
		require.NoError(t, json.Unmarshal(n.call(ctx, t, "release_keys", map[string]any{"org_id": n.org,
			"stream_id": "mill", "grant_id": grant.GrantID, "from_batch": from, "to_batch": to}), &released))
		require.Len(t, released.Batches, int(to-from+1))
		for _, b := range released.Batches {
			obj, err := objects.Get(ctx, b.Anchor.ObjectSHA256)
			require.NoError(t, err)
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
				r, err := reading.Verify(rec, n.device.Public())
				require.NoError(t, err)
				require.NoError(t, chain.Add(r, rec), "every record once, in order")
				p, err := tree.Proof(uint64(i))
				require.NoError(t, err)
				require.NoError(t, batch.Verify(rec, uint64(i), b.Anchor.RecordCount, p, root))
			}
		}
	}
	require.Equal(t, want+1, chain.Next())
}

// TestGatewayAnchorsAReplay: the data path from machine to chain and
// back, on a devnet with the registry contract, the gateway run in the
// test's process: it replays 2,000 rows of the AI4I 2020 data set, signing
// each with the device's key, buffering, sealing batches of 500 into the
// object store and anchoring them. Then a consumer's check of every
// record (verifyStream).
func TestGatewayAnchorsAReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end data-path test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := startDataNet(ctx, t)
	buf, err := buffer.Open(filepath.Join(t.TempDir(), "buffer.db"))
	require.NoError(t, err)
	defer buf.Close()
	objects := store.Folder{Dir: filepath.Join(t.TempDir(), "objects")}
	metrics := edge.NewMetrics(prometheus.NewRegistry())
	g := &edge.Gateway{Buffer: buf, Store: objects, Anchorer: n.anchorer(), Devices: map[string]reading.Signer{"ai4i": n.device},
		Location: func(name string) string { return "http://gateway.example/objects/" + name }, BatchSize: 500, Metrics: metrics}
	csv, err := os.Open("../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	defer csv.Close()
	src := &edge.AI4I{CSV: csv, Device: "ai4i", Stream: "mill", Start: time.Unix(1_700_000_000, 0), Tick: time.Second, Rows: 2000}
	require.NoError(t, g.Run(ctx, src, time.Second))
	_, left, err := buf.Pending("mill", 1)
	require.NoError(t, err)
	require.Empty(t, left, "everything anchored")
	for name, c := range map[string]prometheus.Collector{"in": metrics.In, "signed": metrics.Signed, "buffered": metrics.Buffered, "anchored": metrics.Anchored} {
		require.Equal(t, 2000.0, testutil.ToFloat64(c), name)
	}
	require.GreaterOrEqual(t, testutil.ToFloat64(metrics.Batches), 4.0)
	require.Zero(t, testutil.CollectAndCount(metrics.Errors))
	n.verifyStream(ctx, t, objects, 2000)

	// The admin reads the anchors with hermeticd, authorised by a permit.
	permit := filepath.Join(t.TempDir(), "permit.json")
	n.run(t, "permit", "sign", "--from", "alice", "--name", "registry", "--contracts", n.reg.String(), "--permissions", "anchors", "--expires", "1h", "-O", permit)
	out := n.run(t, "query", "data", "anchors", n.org, "mill", "--registry", n.reg.String(), "--permit", permit, "--limit", "2")
	require.Contains(t, out, `"last_seq":2000`)
	require.Contains(t, out, `"object_sha256"`)
}

// edgeConfig writes a hermetic-edge configuration in dir that replays rows
// AI4I rows at rate a second in batches of batch, anchoring every 500 ms,
// with its home in dir/gateway, and returns its path.
func (n *dataNet) edgeConfig(t testing.TB, dir string, rows, rate, batch int) string {
	t.Helper()
	csvPath, err := filepath.Abs("../datasets/ai4i2020/ai4i2020.csv")
	require.NoError(t, err)
	conf := fmt.Sprintf(`home = "gateway"
object_url = "http://gateway.example/objects/"

[chain]
node = %q
registry = %q
org_id = %q
keyring = %q
keyring_backend = "test"
key = "bob"

[batch]
size = %d
interval = "500ms"

[[device]]
id = "ai4i"
key = %q

[[source]]
type = "ai4i"
device = "ai4i"
stream = "mill"
file = %q
rows = %d
rate = %d
tick = "1s"
start = 2023-11-14T22:13:20Z
`, n.api, n.reg.String(), n.org, filepath.Join(n.home, "keyring"), batch, n.deviceKeyFile, csvPath, rows, rate)
	path := filepath.Join(dir, "edge.toml")
	require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
	return path
}

// TestGatewayChainDown: the chain stops for 20 s while hermetic-edge
// replays 2,000 rows at 200 a second: the gateway keeps signing and
// buffering, retries its anchors while the node is away, reconciles when
// it is back, and in the end every row is anchored exactly once.
func TestGatewayChainDown(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end data-path test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := startDataNet(ctx, t)
	dir := t.TempDir()
	p := startBinary(t, edgeBinary, "edge", dir, "run", "--config", n.edgeConfig(t, dir, 2000, 200, 300))
	time.Sleep(3 * time.Second)
	n.proc.stop()
	t.Log("chain stopped")
	time.Sleep(20 * time.Second)
	n.proc.start()
	_, err := waitHeight(ctx, n.c, 1)
	require.NoError(t, err, n.proc.logTail())
	t.Log("chain back")
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatalf("the gateway did not finish: %s", p.logTail())
	}
	require.Zero(t, p.cmd.ProcessState.ExitCode(), p.logTail())
	log, err := os.ReadFile(p.log)
	require.NoError(t, err)
	require.Contains(t, string(log), "anchoring failed; retrying", "the gateway saw the chain away")
	n.verifyStream(ctx, t, store.Folder{Dir: filepath.Join(dir, "gateway", "objects")}, 2000)
}

// TestGatewayCrash: hermetic-edge run as a process of its own, killed with
// SIGKILL twice while it replays 3,000 AI4I rows at 600 a second in batches
// of 300 — in the middle of buffering, sealing or anchoring, wherever it
// is — and started again each time. When the replay is done, every row is
// anchored exactly once: the stream's records are 1 to 3,000, each in one
// batch, in order, each verifying (verifyStream).
func TestGatewayCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end data-path test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	n := startDataNet(ctx, t)
	dir := t.TempDir()
	confPath := n.edgeConfig(t, dir, 3000, 600, 300)
	p := startBinary(t, edgeBinary, "edge", dir, "run", "--config", confPath)
	for _, after := range []time.Duration{2 * time.Second, 1500 * time.Millisecond} {
		time.Sleep(after)
		p.kill()
		t.Logf("killed the gateway; its log ends:\n%s", p.logTail())
		p.start()
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		t.Fatalf("the gateway did not finish: %s", p.logTail())
	}
	require.Zero(t, p.cmd.ProcessState.ExitCode(), p.logTail())
	n.verifyStream(ctx, t, store.Folder{Dir: filepath.Join(dir, "gateway", "objects")}, 3000)
}
