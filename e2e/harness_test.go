// Package e2e holds Hermetic's end-to-end tests: they build the hermeticd
// binary, run real validator processes on loopback with real CometBFT
// consensus, and drive them through the CLI and the Go client.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/client"
)

// binary and edgeBinary are hermeticd and hermetic-edge, built by TestMain.
var binary, edgeBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hermetic-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hermeticd")
	edgeBinary = filepath.Join(dir, "hermetic-edge")
	for out, pkg := range map[string]string{binary: "./cmd/hermeticd", edgeBinary: "./cmd/hermetic-edge"} {
		build := exec.Command("go", "build", "-o", out, pkg)
		build.Dir = ".."
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg+":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hermeticd runs the CLI to completion and returns its standard output.
func hermeticd(t testing.TB, args ...string) string {
	t.Helper()
	out, err := hermeticdErr(args...)
	require.NoError(t, err, "hermeticd %v", args)
	return out
}

func hermeticdErr(args ...string) (string, error) {
	cmd := exec.Command(binary, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, stderr.String())
	}
	return stdout.String(), nil
}

// process is a running hermeticd node (or another of the binaries).
type process struct {
	t    testing.TB
	name string
	exe  string
	args []string
	log  string
	cmd  *exec.Cmd
	done chan struct{}
}

func startProcess(t testing.TB, name, logDir string, args ...string) *process {
	t.Helper()
	return startBinary(t, binary, name, logDir, args...)
}

// startBinary starts exe (binary or edgeBinary) as a process.
func startBinary(t testing.TB, exe, name, logDir string, args ...string) *process {
	t.Helper()
	p := &process{t: t, name: name, exe: exe, args: args, log: filepath.Join(logDir, name+".log")}
	p.start()
	t.Cleanup(p.kill)
	return p
}

func (p *process) start() {
	p.t.Helper()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(p.t, err)
	p.cmd = exec.Command(p.exe, p.args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(p.t, p.cmd.Start())
	p.done = make(chan struct{})
	go func() {
		_ = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
}

// kill sends SIGKILL: the process gets no chance to clean up.
func (p *process) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// stop sends SIGINT and waits for a clean exit.
func (p *process) stop() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(os.Interrupt))
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.kill()
		p.t.Fatalf("%s did not stop within 30s of SIGINT", p.name)
	}
}

func (p *process) logTail() string {
	bz, _ := os.ReadFile(p.log)
	if len(bz) > 4000 {
		bz = bz[len(bz)-4000:]
	}
	return string(bz)
}

// loopbackBase picks a random 127.x.y.1 whose first ports are free, so that
// test networks do not collide with a devnet or with each other.
func loopbackBase(t testing.TB, n int) net.IP {
	t.Helper()
	for range 50 {
		ip := net.IPv4(127, byte(10+rand.IntN(200)), byte(rand.IntN(250)), 1)
		free := true
		for k := range n {
			addr := net.JoinHostPort(net.IPv4(ip[12], ip[13], ip[14], ip[15]+byte(k)).String(), "26656")
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return ip
		}
	}
	t.Fatal("no free loopback address")
	return nil
}

// waitHeight waits until the node's API reports at least height h and
// that it is not catching up.
func waitHeight(ctx context.Context, c *client.Client, h int64) (int64, error) {
	for {
		st, err := c.Status(ctx)
		// A node that is still catching up (block sync) refuses
		// broadcasts: it is not ready for a test that sends.
		if err == nil && st.LatestHeight >= h && !st.CatchingUp {
			return st.LatestHeight, nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return 0, fmt.Errorf("waiting for height %d: %w (last error: %v)", h, ctx.Err(), err)
			}
			return st.LatestHeight, fmt.Errorf("waiting for height %d: %w (at %d)", h, ctx.Err(), st.LatestHeight)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func ipPlus(ip net.IP, k int) string {
	v4 := ip.To4()
	return net.IPv4(v4[0], v4[1], v4[2], v4[3]+byte(k)).String()
}

func apiURL(ip net.IP, k, port int) string {
	return "http://" + net.JoinHostPort(ipPlus(ip, k), strconv.Itoa(port))
}

var errTimeout = errors.New("timeout")

// devnet is a running `hermeticd devnet` on a loopback address of its own.
type devnet struct {
	home string
	api  string // http://host:port
	proc *process
}

// startDevnet starts a devnet in a fresh home and waits for its first block.
func startDevnet(ctx context.Context, t testing.TB) devnet {
	t.Helper()
	home := filepath.Join(t.TempDir(), "devnet")
	ip := loopbackBase(t, 1).String()
	apiAddr := net.JoinHostPort(ip, "1317")
	p := startProcess(t, "devnet", t.TempDir(), "devnet", "--home", home, "--log-level", "warn",
		"--p2p-address", "tcp://"+net.JoinHostPort(ip, "26656"),
		"--rpc-address", "tcp://"+net.JoinHostPort(ip, "26657"),
		"--api-address", apiAddr)
	d := devnet{home: home, api: "http://" + apiAddr, proc: p}
	_, err := waitHeight(ctx, client.New(d.api), 1)
	require.NoError(t, err, p.logTail())
	return d
}

// flags are what a CLI command needs to use the devnet's keys and node.
func (d devnet) flags() []string {
	return []string{"--home", d.home, "--keyring-backend", "test", "--node", d.api}
}

// run runs a CLI command against the devnet and returns its output.
func (d devnet) run(t testing.TB, args ...string) string {
	t.Helper()
	return hermeticd(t, append(args, d.flags()...)...)
}
