package sim_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/node"
	"github.com/hermetic-chain/hermetic/tx"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestNoSecretInHomeOrLogs runs a devnet node with debug logs, sends a
// transaction, stops it, and then looks for the enclave's seed and every key
// derived from it — raw, hex and base64 — in every file of the node's home
// and in everything it logged. Only the sealed files may hold them, and
// those hold ciphertext.
func TestNoSecretInHomeOrLogs(t *testing.T) {
	h := node.Home(filepath.Join(t.TempDir(), "home"))
	require.NoError(t, node.Init(h, node.InitOptions{
		ChainID: "leak-test", Moniker: "m", KeyringBackend: "test", DevAccounts: true, AllowSimulatedAttestation: true,
		Addresses: node.Addresses{P2P: "tcp://" + freeAddr(t), RPC: "tcp://" + freeAddr(t), API: freeAddr(t)},
	}))
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := node.Start(context.Background(), h, log)
	require.NoError(t, err)
	c := client.New("http://" + n.APIAddr)
	kr, err := keyring.Open(h.Keyring(), "test", nil)
	require.NoError(t, err)
	alice, err := kr.Key("alice")
	require.NoError(t, err)
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := c.Status(context.Background())
		if err == nil && st.LatestHeight >= 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "no block")
		time.Sleep(50 * time.Millisecond)
	}
	res, err := c.SendTx(context.Background(), alice, []tx.Msg{&tx.MsgSend{From: alice.PubKey().Address(), To: alice.PubKey().Address(), Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{}, true)
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
	txKey, err := c.TxKey(context.Background())
	require.NoError(t, err)
	n.Stop()
	require.Contains(t, logs.String(), sim.Warning, "simulation is announced")

	e, err := sim.Open(h.Enclave(), nil)
	require.NoError(t, err)
	nk, err := e.NetworkKeys()
	require.NoError(t, err)
	require.Equal(t, nk.TxKey, txKey)
	secrets := sim.Secrets(e)
	require.GreaterOrEqual(t, len(secrets), 4)
	var needles [][]byte
	for _, s := range secrets {
		needles = append(needles, s, []byte(hex.EncodeToString(s)), []byte(strings.ToUpper(hex.EncodeToString(s))),
			[]byte(base64.StdEncoding.EncodeToString(s)), []byte(base64.RawURLEncoding.EncodeToString(s)))
	}
	files := 0
	err = filepath.WalkDir(string(h), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file CometBFT's address book renamed meanwhile
		}
		if err != nil {
			return err
		}
		files++
		for _, nd := range needles {
			require.False(t, bytes.Contains(b, nd), "a secret is in %s", p)
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, files, 10)
	for _, nd := range needles {
		require.False(t, bytes.Contains(logs.Bytes(), nd), "a secret is in the logs")
	}
}
