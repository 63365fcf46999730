package node

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// startDevnet initialises a devnet home with free ports and starts it in
// this process.
func startDevnet(t *testing.T) (*Node, Home, *client.Client) {
	t.Helper()
	h := Home(filepath.Join(t.TempDir(), "home"))
	err := Init(h, InitOptions{
		ChainID: "node-test", Moniker: "test", KeyringBackend: "test", DevAccounts: true, AllowSimulatedAttestation: true,
		Addresses: Addresses{
			P2P: "tcp://127.0.0.1:" + freePort(t),
			RPC: "tcp://127.0.0.1:" + freePort(t),
			API: "127.0.0.1:" + freePort(t),
		},
	})
	require.NoError(t, err)
	// Fast blocks for the test.
	cfg, err := LoadConfig(h)
	require.NoError(t, err)
	cfg.Comet.Consensus.TimeoutCommit = 100 * time.Millisecond
	cfg.Comet.P2P.PexReactor = false // one node: no peers to exchange
	require.NoError(t, writeConfig(h, cfg))

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	n, err := Start(context.Background(), h, log)
	require.NoError(t, err)
	t.Cleanup(n.Stop)
	return n, h, client.New("http://" + n.APIAddr)
}

func waitFor(t *testing.T, c *client.Client, height int64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := c.Status(context.Background()); err == nil && st.LatestHeight >= height {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("height %d not reached", height)
}

func TestDevnetServesTheAPI(t *testing.T) {
	_, h, c := startDevnet(t)
	ctx := context.Background()
	waitFor(t, c, 2)

	kr, err := keyring.Open(h.Keyring(), "test", nil)
	require.NoError(t, err)
	recs, err := kr.List()
	require.NoError(t, err)
	require.Len(t, recs, len(DevAccounts)+1) // + the operator

	dave, err := kr.Key("dave") // P-256
	require.NoError(t, err)
	require.Equal(t, keys.KeyP256, dave.Type())
	bob, err := kr.Show("bob")
	require.NoError(t, err)

	res, err := c.SendTx(ctx, dave, []tx.Msg{&tx.MsgSend{From: dave.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 1234}}}, client.TxOptions{}, true)
	require.NoError(t, err)
	require.Equal(t, uint32(0), res.Code, res.Log)
	require.Positive(t, res.Height)

	got, err := c.Tx(ctx, res.Hash)
	require.NoError(t, err)
	require.Equal(t, res.Height, got.Height)
	require.Contains(t, string(got.Tx), bob.Address.String())

	bal, err := c.Balance(ctx, bob.Address)
	require.NoError(t, err)
	require.Equal(t, uint64(DevAccountBalance+1234), bal.Amount)

	// A refused transaction comes back as the app's sentinel error.
	_, err = c.SendTx(ctx, dave, []tx.Msg{&tx.MsgSend{From: dave.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: DevAccountBalance * 2}}}, client.TxOptions{}, true)
	require.ErrorIs(t, err, app.ErrInsufficientFunds)
	seq := uint64(0)
	_, err = c.SendTx(ctx, dave, []tx.Msg{&tx.MsgSend{From: dave.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{Sequence: &seq}, true)
	require.ErrorIs(t, err, app.ErrSequenceReplayed)

	// Proofs verify against the next header.
	waitFor(t, c, res.Height+1)
	r, err := c.Account(ctx, bob.Address, res.Height, true)
	require.NoError(t, err)
	_, err = c.VerifyAccount(ctx, r)
	require.NoError(t, err)
	r.Account.Balance++ // a lie the proof must catch
	_, err = c.VerifyAccount(ctx, r)
	require.ErrorIs(t, err, client.ErrProof)

	vals, err := c.Validators(ctx)
	require.NoError(t, err)
	require.Len(t, vals.Validators, 1)
	require.Equal(t, int64(ValidatorBond/app.DefaultParams().PowerReduction), vals.Validators[0].Power)

	b, err := c.Block(ctx, res.Height)
	require.NoError(t, err)
	require.Len(t, b.Txs, 1)

	_, err = c.Block(ctx, 1_000_000)
	require.ErrorIs(t, err, client.ErrNotFound)
}

func TestRestartResumesTheChain(t *testing.T) {
	n, h, c := startDevnet(t)
	waitFor(t, c, 3)
	height := n.App().LastHeight()
	hash := n.tree.Hash()
	n.Stop()

	n2, err := Start(context.Background(), h, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	t.Cleanup(n2.Stop)
	require.GreaterOrEqual(t, n2.App().LastHeight(), height)
	ro, err := n2.tree.ReadOnly(height)
	require.NoError(t, err)
	require.Equal(t, hash, ro.Hash())
	c2 := client.New("http://" + n2.APIAddr)
	waitFor(t, c2, height+2)
}

func TestInitRefusesAnExistingHome(t *testing.T) {
	h := Home(t.TempDir())
	o := InitOptions{ChainID: "x", Moniker: "m", KeyringBackend: "test", AllowSimulatedAttestation: true}
	require.NoError(t, Init(h, o))
	require.ErrorContains(t, Init(h, o), "already holds a node")
	_, err := LoadConfig(Home(t.TempDir()))
	require.ErrorIs(t, err, ErrNoHome)
}

func TestTestnetWritesPeeredHomes(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, Testnet(dir, TestnetOptions{ChainID: "tn", Validators: 3, StartingIP: net.ParseIP("127.0.0.1"), P2PPort: 26656, RPCPort: 26657, APIPort: 1317}))
	var genesis []byte
	for k := range 3 {
		h := Home(filepath.Join(dir, "node"+strconv.Itoa(k)))
		cfg, err := LoadConfig(h)
		require.NoError(t, err)
		require.Equal(t, "tcp://127.0.0."+strconv.Itoa(1+k)+":26656", cfg.Comet.P2P.ListenAddress)
		require.Equal(t, 2, len(strings.Split(cfg.Comet.P2P.PersistentPeers, ",")))
		g, err := os.ReadFile(h.Genesis())
		require.NoError(t, err)
		if genesis == nil {
			genesis = g
		}
		require.Equal(t, genesis, g, "every node has the same genesis")
	}
	require.Error(t, Testnet(t.TempDir(), TestnetOptions{Validators: 0, StartingIP: net.ParseIP("127.0.0.1")}))
}

// TestAPIRefusesBadRequests sends malformed requests to a running node's API:
// each gets a clear error status and message, and nothing changes.
func TestAPIRefusesBadRequests(t *testing.T) {
	_, _, c := startDevnet(t)
	waitFor(t, c, 1)
	st, err := c.Status(context.Background())
	require.NoError(t, err)
	base := c.BaseURL()
	tests := []struct {
		name, method, path, body string
		status                   int
		contains                 string
	}{
		{"bad address", "GET", "/hermetic/v1/accounts/herm1notanaddress", "", 400, "address"},
		{"wrong prefix", "GET", "/hermetic/v1/accounts/cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", "", 400, "prefix"},
		{"bad height", "GET", "/hermetic/v1/accounts/" + keys.Address{1}.String() + "?height=abc", "", 400, "height"},
		{"future height", "GET", "/hermetic/v1/accounts/" + keys.Address{1}.String() + "?height=999999", "", 400, "no state at height"},
		{"unknown tx", "GET", "/hermetic/v1/txs/" + strings.Repeat("AB", 32), "", 404, "not found"},
		{"bad block height", "GET", "/hermetic/v1/blocks/-3", "", 400, "height"},
		{"body not JSON", "POST", "/hermetic/v1/txs", "{", 400, "decode request"},
		{"tx not base64", "POST", "/hermetic/v1/txs", `{"tx":"***"}`, 400, "base64"},
		{"unknown mode", "POST", "/hermetic/v1/txs", `{"tx":"CAE=","mode":"async"}`, 400, "unknown mode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, base+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.StatusCode, string(body))
			require.Contains(t, string(body), tc.contains)
			require.NotContains(t, string(body), "goroutine")
		})
	}
	// Malformed transaction bytes are refused by CheckTx with their code.
	res, err := c.Broadcast(context.Background(), []byte{0xff, 0x00}, false)
	require.NoError(t, err)
	require.Equal(t, app.Code(app.ErrTxDecode), res.Code, res.Log)
	st2, err := c.Status(context.Background())
	require.NoError(t, err)
	require.GreaterOrEqual(t, st2.LatestHeight, st.LatestHeight)
}

// echoRunner is a contract for the boundary test: it answers its message
// reversed, or fails with a message that names its input.
type echoRunner struct{}

func (echoRunner) Run(_ context.Context, msg []byte, _ state.Store) ([]byte, error) {
	if strings.HasPrefix(string(msg), "fail:") {
		return nil, errors.New("refused " + string(msg[5:]))
	}
	out := []byte(string(msg))
	slices.Reverse(out)
	return out, nil
}

// TestClientEncryptsForTheNodesEnclave: the Go client fetches the running
// node's tx key, encrypts an input only the node's enclave can open, and
// reads the enclave's encrypted answer and encrypted error.
func TestClientEncryptsForTheNodesEnclave(t *testing.T) {
	n, _, c := startDevnet(t)
	ctx := context.Background()
	codeHash := sha256.Sum256([]byte("echo"))
	enc := c.Encryptor()
	call := func(msg string) (enclave.Output, *client.Session) {
		t.Helper()
		wire, sess, err := enc.Encrypt(ctx, codeHash, []byte(msg))
		require.NoError(t, err)
		require.NotContains(t, string(wire), msg)
		out, err := n.enclave.Execute(ctx, enclave.Call{Contract: []byte("c"), CodeHash: codeHash, Input: wire,
			State: state.NewCache(n.tree), Pos: &cryptobox.WritePos{}}, echoRunner{})
		require.NoError(t, err)
		require.True(t, out.Encrypted)
		return out, sess
	}
	out, sess := call("machine-7 vibration 0.31")
	pt, err := sess.Decrypt(out.Data)
	require.NoError(t, err)
	require.Equal(t, "13.0 noitarbiv 7-enihcam", string(pt))
	pt, err = sess.Decrypt([]byte(base64.StdEncoding.EncodeToString(out.Data)))
	require.NoError(t, err)
	require.Equal(t, "13.0 noitarbiv 7-enihcam", string(pt))

	out, sess = call("fail:line-3")
	require.True(t, out.Failed)
	require.NotContains(t, string(out.Data), "line-3")
	err = sess.DecryptError("message 0: " + client.EncryptedErrorPrefix + base64.StdEncoding.EncodeToString(out.Data))
	require.ErrorIs(t, err, client.ErrContract)
	require.ErrorContains(t, err, "refused line-3")
	// Another session cannot read it.
	_, other := call("another session")
	_, err = other.Decrypt(out.Data)
	require.Error(t, err)
}
