package e2e

// The adversary suite's shared pieces: a four-validator network, an honest
// client that keeps sending transfers while an attack runs, a watch that
// blocks keep coming, and the bookkeeping that shows what an attacker's
// transactions changed. Each adversary_*_test.go file is one attack.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// honestCommitBound is how long an honest transaction may take to commit while
// the network is under attack: generous, the machine is small and shared.
const honestCommitBound = 60 * time.Second

// adversaryNet is a running four-validator testnet: node k listens on
// ip+k, and its API is clients[k].
type adversaryNet struct {
	dir     string
	ip      net.IP
	chainID string
	nodes   []*process
	clients []*client.Client
	keyring *keyring.Keyring
}

// startAdversaryNet writes a four-validator testnet, starts its four
// processes and waits until each has committed a block.
func startAdversaryNet(ctx context.Context, t *testing.T) *adversaryNet {
	t.Helper()
	n := &adversaryNet{dir: t.TempDir(), ip: loopbackBase(t, 4), chainID: "e2e-adversary"}
	hermeticd(t, "testnet", "--validators", "4", "--output", n.dir, "--starting-ip", n.ip.String(),
		"--timeout-commit", "300ms", "--chain-id", n.chainID)
	for k := range 4 {
		name := "node" + strconv.Itoa(k)
		n.nodes = append(n.nodes, startProcess(t, name, n.dir, "start", "--home", filepath.Join(n.dir, name), "--log-level", "warn"))
		n.clients = append(n.clients, client.New(apiURL(n.ip, k, apiPort)))
	}
	for k, c := range n.clients {
		_, err := waitHeight(ctx, c, 2)
		require.NoError(t, err, "node%d: %s", k, n.nodes[k].logTail())
	}
	kr, err := keyring.Open(filepath.Join(n.dir, "keyring"), "test", nil)
	require.NoError(t, err)
	n.keyring = kr
	return n
}

// key returns a development account's key (alice, bob, carol, dave).
func (n *adversaryNet) key(t *testing.T, name string) keys.PrivKey {
	t.Helper()
	k, err := n.keyring.Key(name)
	require.NoError(t, err)
	return k
}

// cli runs a hermeticd command with the testnet's keyring against node k's
// API and returns its output.
func (n *adversaryNet) cli(t *testing.T, k int, args ...string) string {
	t.Helper()
	return hermeticd(t, append(args, "--home", n.dir, "--keyring-backend", "test", "--node", n.clients[k].BaseURL())...)
}

// deploy stores bin (the network's first code) and instantiates it in
// plaintext through node k's CLI, signed by from, and returns the contract.
func (n *adversaryNet) deploy(t *testing.T, k int, from, label string, bin []byte) keys.ContractAddress {
	t.Helper()
	file := filepath.Join(t.TempDir(), label+".wasm")
	require.NoError(t, os.WriteFile(file, bin, 0o600))
	require.Contains(t, n.cli(t, k, "tx", "compute", "store", file, "--from", from), "code id:  1")
	out := n.cli(t, k, "tx", "compute", "instantiate", "1", `{}`, "--label", label, "--plaintext", "--from", from)
	m := regexp.MustCompile(`contract: (herm1\S+)`).FindStringSubmatch(out)
	require.NotNil(t, m, out)
	addr, err := keys.ParseContractAddress(m[1])
	require.NoError(t, err)
	return addr
}

// account reads an account at a height (0: latest) from node 0.
func (n *adversaryNet) account(ctx context.Context, t *testing.T, addr keys.Address, height int64) (balance, sequence uint64) {
	t.Helper()
	r, err := n.clients[0].Account(ctx, addr, height, false)
	require.NoError(t, err)
	return r.Account.Balance, r.Account.Sequence
}

// settledHeight waits for every node to pass the latest height of node 0
// and returns it: a height whose state every later read agrees on.
func (n *adversaryNet) settledHeight(ctx context.Context, t *testing.T) int64 {
	t.Helper()
	st, err := n.clients[0].Status(ctx)
	require.NoError(t, err)
	for k, c := range n.clients {
		_, err := waitHeight(ctx, c, st.LatestHeight+1)
		require.NoError(t, err, "node%d: %s", k, n.nodes[k].logTail())
	}
	return st.LatestHeight
}

// finish checks what every attack must leave behind: all four nodes go on
// committing blocks after it, and agree on every app hash so far.
func (n *adversaryNet) finish(ctx context.Context, t *testing.T) {
	t.Helper()
	st, err := n.clients[0].Status(ctx)
	require.NoError(t, err)
	for k, c := range n.clients {
		_, err := waitHeight(ctx, c, st.LatestHeight+3)
		require.NoError(t, err, "node%d stopped committing after the attack: %s", k, n.nodes[k].logTail())
	}
	requireSameAppHashes(ctx, t, n.clients)
}

// mempoolSize is how many transactions node k's mempool holds, from
// CometBFT's RPC.
func (n *adversaryNet) mempoolSize(ctx context.Context, k int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL(n.ip, k, rpcPort)+"/num_unconfirmed_txs", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Result struct {
			Total string `json:"total"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, fmt.Errorf("decode num_unconfirmed_txs: %w", err)
	}
	return strconv.Atoi(r.Result.Total)
}

// honestSender sends one bank transfer of 1 uherm after another from its
// key to a sink, each broadcast after CheckTx and waited for until it
// commits, and counts the ones that did. Every refusal or failure is an
// error: nothing an attacker does may cost an honest client its transfer.
type honestSender struct {
	c    *client.Client
	key  keys.PrivKey
	sink keys.Address

	mu        sync.Mutex
	committed []time.Time // commit times, in order
	errs      []error

	stop context.CancelFunc
	done chan struct{}
}

// startHonestSender starts sending through c until stopped.
func startHonestSender(ctx context.Context, t *testing.T, c *client.Client, chainID string, key keys.PrivKey) *honestSender {
	t.Helper()
	sinkKey, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	acc, err := c.Account(ctx, key.PubKey().Address(), 0, false)
	require.NoError(t, err)
	ctx, stop := context.WithCancel(ctx)
	h := &honestSender{c: c, key: key, sink: sinkKey.PubKey().Address(), stop: stop, done: make(chan struct{})}
	go h.run(ctx, chainID, acc.Account.Sequence)
	return h
}

func (h *honestSender) run(ctx context.Context, chainID string, seq uint64) {
	defer close(h.done)
	for ctx.Err() == nil {
		err := h.send(ctx, chainID, seq)
		if ctx.Err() != nil {
			return // stopped: the last transfer may or may not commit
		}
		h.mu.Lock()
		if err != nil {
			h.errs = append(h.errs, fmt.Errorf("transfer with sequence %d: %w", seq, err))
		} else {
			h.committed = append(h.committed, time.Now())
		}
		h.mu.Unlock()
		if err != nil {
			return // its sequence may be used or not: stop rather than guess
		}
		seq++
	}
}

// send broadcasts one transfer and waits up to honestCommitBound for its block.
func (h *honestSender) send(ctx context.Context, chainID string, seq uint64) error {
	from := h.key.PubKey().Address()
	t, err := client.NewTx(chainID, h.key, seq, []tx.Msg{&tx.MsgSend{From: from, To: h.sink, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{})
	if err != nil {
		return err
	}
	res, err := h.c.Broadcast(ctx, t.Marshal(), false)
	if err != nil {
		return fmt.Errorf("broadcast: %w", err)
	}
	if res.Code != 0 {
		return fmt.Errorf("refused by CheckTx: code %d: %s", res.Code, res.Log)
	}
	deadline := time.Now().Add(honestCommitBound)
	for {
		r, err := h.c.Tx(ctx, res.Hash)
		if err == nil {
			if r.Code != 0 {
				return fmt.Errorf("committed but failed: code %d: %s", r.Code, r.Log)
			}
			return nil
		}
		if !errors.Is(err, client.ErrNotFound) && ctx.Err() == nil {
			return fmt.Errorf("look up %s: %w", res.Hash, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not committed within %s", res.Hash, honestCommitBound)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// finish stops the sender and checks that it met no error.
func (h *honestSender) finish(t *testing.T) {
	t.Helper()
	h.stop()
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	require.Empty(t, h.errs, "the honest client's transfers must commit under attack")
}

// committedBetween counts the transfers that committed in [from, to).
func (h *honestSender) committedBetween(from, to time.Time) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, at := range h.committed {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// requireSinkMatchesSequence checks the honest sender's bookkeeping at a
// settled height: the sink holds one uherm per transfer the sender's
// sequence says it made since start (it sent nothing else).
func (h *honestSender) requireSinkMatchesSequence(ctx context.Context, t *testing.T, n *adversaryNet, startSeq uint64, height int64) {
	t.Helper()
	_, seq := n.account(ctx, t, h.key.PubKey().Address(), height)
	sink, _ := n.account(ctx, t, h.sink, height)
	require.Equal(t, seq-startSeq, sink, "the sink holds one uherm per honest transfer")
	h.mu.Lock()
	defer h.mu.Unlock()
	require.GreaterOrEqual(t, sink, uint64(len(h.committed)))
}

// blockWatch records, for every node, the longest time its height stood
// still while the watch ran.
type blockWatch struct {
	mu      sync.Mutex
	longest []time.Duration
	start   []int64
	last    []int64
	stop    context.CancelFunc
	done    chan struct{}
}

// watchBlocks polls every node's height twice a second until stopped.
func watchBlocks(ctx context.Context, clients []*client.Client) *blockWatch {
	ctx, stop := context.WithCancel(ctx)
	w := &blockWatch{longest: make([]time.Duration, len(clients)), start: make([]int64, len(clients)),
		last: make([]int64, len(clients)), stop: stop, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		since := make([]time.Time, len(clients))
		for k := range since {
			since[k] = time.Now()
			w.start[k] = -1
		}
		for {
			for k, c := range clients {
				st, err := c.Status(ctx)
				now := time.Now()
				w.mu.Lock()
				if err == nil && st.LatestHeight > w.last[k] {
					if w.start[k] < 0 {
						w.start[k] = st.LatestHeight
					}
					w.last[k], since[k] = st.LatestHeight, now
				}
				w.longest[k] = max(w.longest[k], now.Sub(since[k]))
				w.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return w
}

// finish stops the watch and checks that every node committed blocks
// throughout: none stood still for maxStall or more, and each gained at
// least minBlocks.
func (w *blockWatch) finish(t *testing.T, maxStall time.Duration, minBlocks int64) {
	t.Helper()
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range w.longest {
		t.Logf("node%d: heights %d to %d, longest stall %s", k, w.start[k], w.last[k], w.longest[k].Round(100*time.Millisecond))
		require.Less(t, w.longest[k], maxStall, "node%d stopped committing blocks", k)
		require.GreaterOrEqual(t, w.last[k]-w.start[k], minBlocks, "node%d committed too few blocks", k)
	}
}

// txFee is the fee a transaction with gas limit gas pays (the client's
// default: the minimum).
func txFee(gas uint64) uint64 { return app.DefaultParams().MinFee(gas) }
