package state

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const crashChildEnv = "HERMETIC_STATE_CRASH_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

// writeVersion makes version v's deterministic changes: a few hundred sets
// and some deletes, so each commit writes many nodes.
func writeVersion(s Store, v int64) error {
	for i := range int64(300) {
		k := fmt.Appendf(nil, "key-%04d", (v*37+i*11)%2000)
		if i%10 == 9 {
			if err := s.Delete(k); err != nil {
				return err
			}
			continue
		}
		if err := s.Set(k, fmt.Appendf(nil, "v%d-%d", v, i)); err != nil {
			return err
		}
	}
	return nil
}

// crashChild commits versions forever, printing each committed version and
// hash, until it is killed.
func crashChild(dir string) {
	tr, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for v := tr.Version() + 1; ; v++ {
		if err := writeVersion(tr, v); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		hash, got, err := tr.Commit()
		if err != nil || got != v {
			fmt.Fprintln(os.Stderr, "commit", got, err)
			os.Exit(2)
		}
		fmt.Printf("%d %x\n", v, hash)
	}
}

// TestCrashAtomicCommit kills a process that commits versions with SIGKILL
// at arbitrary moments, three times, and checks after each that the tree
// reopens at a version no older than the last one reported committed, with
// exactly the hash a clean replay of the same writes gives.
func TestCrashAtomicCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	reported := map[int64]string{}
	var last int64
	for round := range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		target := last + int64(15+round*7)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			v, err := strconv.ParseInt(f[0], 10, 64)
			require.NoError(t, err)
			reported[v], last = f[1], v
			if v >= target {
				break
			}
		}
		// Kill in the middle of the next commit's work, at a varying point.
		time.Sleep(time.Duration(round*3+1) * time.Millisecond)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()

		tr := openTree(t, dir)
		got := tr.Version()
		require.GreaterOrEqual(t, got, last, "round %d: committed version lost", round)
		if h, ok := reported[got]; ok {
			require.Equal(t, h, fmt.Sprintf("%x", tr.Hash()))
		}
		require.Equal(t, replayHash(t, got), tr.Hash(), "round %d: version %d state differs from a clean replay", round, got)
		require.NoError(t, tr.Close())
		last = got
	}
}

func replayHash(t *testing.T, upTo int64) []byte {
	t.Helper()
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	for v := int64(1); v <= upTo; v++ {
		require.NoError(t, writeVersion(tr, v))
		_, _, err := tr.Commit()
		require.NoError(t, err)
	}
	return tr.Hash()
}
