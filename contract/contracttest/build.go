//go:build !wasip1

// Package contracttest builds Go contracts for tests: it runs the go
// toolchain with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared, once per
// package per test binary. It also makes the accounts tests use; package
// vmtest runs a built contract in the VM.
package contracttest

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Flags are the build flags used: stripped (-s -w) and -trimpath, so the
// module is as small as the toolchain makes it and the same on every machine
// with the same toolchain.
var Flags = []string{"-buildmode=c-shared", "-trimpath", "-ldflags=-s -w"}

type build struct {
	once sync.Once
	wasm []byte
	out  string
	err  error
}

var (
	mu     sync.Mutex
	builds = map[string]*build{}
)

// Build returns the wasm module of the contract package in dir (relative to
// the test's working directory, the package's own directory), building it
// on first use. It fails the test if the build fails.
func Build(t testing.TB, dir string) []byte {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	b, ok := builds[abs]
	if !ok {
		b = &build{}
		builds[abs] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.wasm, b.out, b.err = run(abs) })
	if b.err != nil {
		t.Fatalf("build %s: %v\n%s", dir, b.err, b.out)
	}
	return b.wasm
}

func run(dir string) ([]byte, string, error) {
	tmp, err := os.MkdirTemp("", "contract-build-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "contract.wasm")
	args := append([]string{"build"}, Flags...)
	args = append(args, "-o", out, ".")
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	text, err := cmd.CombinedOutput()
	if err != nil {
		return nil, string(text), err
	}
	wasm, err := os.ReadFile(out)
	return wasm, string(text), err
}
