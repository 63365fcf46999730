package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keyring"
	"github.com/hermetic-chain/hermetic/tx"
)

// The connection flood of TestAdversaryIdleConnections: the node runs with
// nodeFDLimit descriptors, fewer than the idle connections opened to its API,
// so a node that accepted them all would run out (as a validator did with
// 24,000 connections and 20,000 descriptors: CometBFT could not write its
// state file and halted for good).
const (
	nodeFDLimit     = 4096
	apiCap          = 1000 // the API's max_connections in the node's config
	idleAPIConns    = 4500 // > nodeFDLimit > apiCap
	idleRPCConns    = 300
	attackWindow    = 25 * time.Second
	commitBound     = 20 * time.Second // a generous bound on one honest transfer
	minBlocksDuring = 5                // blocks the chain must make during the attack
)

// TestAdversaryIdleConnections floods a one-validator network with idle
// connections — to the API (more than its cap and than the node's descriptor
// limit) and to CometBFT's RPC — each sending headers that announce a body it
// never sends, while an honest client sends bank transfers over a connection
// it opened before. Blocks must keep coming, every honest transfer must
// commit within commitBound, and after the attack new clients are served and
// the chain goes on.
func TestAdversaryIdleConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end adversary test")
	}
	raiseOwnFDLimit(t, idleAPIConns+idleRPCConns+1000)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := t.TempDir()
	ip := loopbackBase(t, 1)
	hermeticd(t, "testnet", "--validators", "1", "--output", dir, "--starting-ip", ip.String(),
		"--timeout-commit", "300ms", "--chain-id", "e2e-adversary")
	home := filepath.Join(dir, "node0")
	// The attacker shares the honest client's address here, so the cap per
	// address (node.TestPerIPListener) is lifted to test the overall one.
	setHermeticConfig(t, home, map[string]string{"max_connections": strconv.Itoa(apiCap),
		"max_connections_per_ip": strconv.Itoa(apiCap), "fd_reserve": "1024"})
	node := startWithFDLimit(t, "node0", dir, nodeFDLimit, "start", "--home", home, "--log-level", "warn")

	apiAddr := net.JoinHostPort(ipPlus(ip, 0), strconv.Itoa(apiPort))
	rpcAddr := net.JoinHostPort(ipPlus(ip, 0), strconv.Itoa(rpcPort))
	honest := client.New("http://" + apiAddr)
	h0, err := waitHeight(ctx, honest, 2) // also opens the honest client's connection
	require.NoError(t, err, nodeErrors(node))

	kr, err := keyring.Open(filepath.Join(dir, "keyring"), "test", nil)
	require.NoError(t, err)
	alice, err := kr.Key("alice")
	require.NoError(t, err)
	bob, err := kr.Show("bob")
	require.NoError(t, err)

	// The attack: idle connections, opened as fast as the node takes them.
	attackCtx, stopAttack := context.WithCancel(ctx)
	defer stopAttack()
	api := openIdleConns(attackCtx, t, apiAddr, idleAPIConns, "/hermetic/v1/txs")
	rpc := openIdleConns(attackCtx, t, rpcAddr, idleRPCConns, "/")

	// Honest transfers, one after another, during the attack.
	var committed int
	deadline := time.Now().Add(attackWindow)
	for time.Now().Before(deadline) {
		sctx, scancel := context.WithTimeout(ctx, commitBound)
		begin := time.Now()
		res, err := honest.SendTx(sctx, alice, []tx.Msg{&tx.MsgSend{From: alice.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{}, true)
		scancel()
		require.NoError(t, err, "honest transfer %d not committed within %s under attack: %s", committed, commitBound, nodeErrors(node))
		require.Equal(t, uint32(0), res.Code, res.Log)
		require.Positive(t, res.Height)
		committed++
		t.Logf("honest transfer %d committed at height %d in %s", committed, res.Height, time.Since(begin).Round(time.Millisecond))
		time.Sleep(500 * time.Millisecond)
	}
	st, err := honest.Status(ctx)
	require.NoError(t, err)
	apiOpened, rpcOpened := api.count(), rpc.count()
	t.Logf("during the attack: %d idle API connections (cap %d), %d idle RPC connections; height %d → %d; %d honest transfers committed",
		apiOpened, apiCap, rpcOpened, h0, st.LatestHeight, committed)
	require.Greater(t, apiOpened, apiCap+500, "the attack did not exceed the API's cap")
	require.GreaterOrEqual(t, st.LatestHeight-h0, int64(minBlocksDuring), "blocks stopped during the attack: %s", nodeErrors(node))
	require.GreaterOrEqual(t, committed, 3)

	// After the attack: a new client is served and the chain goes on.
	stopAttack()
	api.close()
	rpc.close()
	after := client.New("http://" + apiAddr)
	actx, acancel := context.WithTimeout(ctx, 30*time.Second)
	defer acancel()
	_, err = waitHeight(actx, after, st.LatestHeight+3)
	require.NoError(t, err, "the node made no blocks after the attack: %s", nodeErrors(node))
	res, err := after.SendTx(actx, alice, []tx.Msg{&tx.MsgSend{From: alice.PubKey().Address(), To: bob.Address, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}}, client.TxOptions{}, true)
	require.NoError(t, err)
	require.Equal(t, uint32(0), res.Code, res.Log)
	select {
	case <-node.done:
		t.Fatalf("the node exited: %s", nodeErrors(node))
	default:
	}
	require.NotContains(t, node.logTail(), "CONSENSUS FAILURE")
	node.stop()
}

// nodeErrors is the node log's errors and consensus failures (its tail is
// full of accept errors when descriptors run out), at most the last 4000
// bytes of them.
func nodeErrors(p *process) string {
	bz, _ := os.ReadFile(p.log)
	var out []string
	for _, l := range strings.Split(string(bz), "\n") {
		if strings.Contains(l, "CONSENSUS FAILURE") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "panic") {
			out = append(out, l)
		}
	}
	s := strings.Join(out, "\n")
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// raiseOwnFDLimit raises the test process's soft RLIMIT_NOFILE to its hard
// limit, so that the attacking side does not run out of descriptors first,
// and skips the test when even that is fewer than need.
func raiseOwnFDLimit(t *testing.T, need uint64) {
	t.Helper()
	var r syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r))
	if r.Cur < r.Max {
		r.Cur = r.Max
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r))
	}
	if r.Cur < need {
		// Root may raise the hard limit too. A test that cannot set up its
		// attack fails: it never skips.
		r.Cur, r.Max = need, max(r.Max, need)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
			t.Fatalf("the test needs %d file descriptors and cannot raise its limit to that: %v (run as root or with ulimit -Hn %d)", need, err, need)
		}
	}
}

// setHermeticConfig sets keys of a home's hermetic.toml, each of which must
// be there already (writeConfig writes them all).
func setHermeticConfig(t *testing.T, home string, kv map[string]string) {
	t.Helper()
	path := filepath.Join(home, "config", "hermetic.toml")
	bz, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(string(bz), "\n")
	for k, v := range kv {
		found := false
		for i, l := range lines {
			if strings.HasPrefix(l, k+" = ") {
				lines[i], found = k+" = "+v, true
			}
		}
		require.True(t, found, "%s not in %s", k, path)
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))
}

// startWithFDLimit starts hermeticd with soft and hard RLIMIT_NOFILE at
// limit (through sh's ulimit, before exec), as the process harness does
// otherwise.
func startWithFDLimit(t *testing.T, name, logDir string, limit int, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, exe: binary, args: args, log: filepath.Join(logDir, name+".log")}
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(t, err)
	script := fmt.Sprintf(`ulimit -n %d && exec "$0" "$@"`, limit)
	p.cmd = exec.Command("/bin/sh", append([]string{"-c", script, binary}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, p.cmd.Start())
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

// idleConns are an attacker's open connections.
type idleConns struct {
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// openIdleConns opens n connections to addr in the background, each sending
// the headers of a POST to path that announces a 1 MB body and sending
// nothing more. A connection the kernel does not take within a few seconds
// is given up.
func openIdleConns(ctx context.Context, t *testing.T, addr string, n int, path string) *idleConns {
	t.Helper()
	ic := &idleConns{}
	headers := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{", path, addr)
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	d := net.Dialer{Timeout: 3 * time.Second}
	for range 32 {
		ic.wg.Go(func() {
			for range next {
				if ctx.Err() != nil {
					return
				}
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					continue
				}
				_ = c.SetWriteDeadline(time.Now().Add(3 * time.Second))
				if _, err := c.Write([]byte(headers)); err != nil {
					c.Close()
					continue
				}
				ic.mu.Lock()
				ic.conns = append(ic.conns, c)
				ic.mu.Unlock()
			}
		})
	}
	return ic
}

// count is the number of connections opened so far.
func (ic *idleConns) count() int {
	ic.mu.Lock()
	defer ic.mu.Unlock()
	return len(ic.conns)
}

// close stops opening connections and closes those open.
func (ic *idleConns) close() {
	ic.wg.Wait()
	ic.mu.Lock()
	defer ic.mu.Unlock()
	for _, c := range ic.conns {
		c.Close()
	}
	ic.conns = nil
}
