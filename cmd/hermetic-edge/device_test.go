package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDeviceKeys(t *testing.T) {
	for _, typ := range []string{"ed25519", "p256"} {
		t.Run(typ, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "device.key")
			out, err := runCLI(t, "device", "init", "--key", file, "--type", typ, "--json")
			require.NoError(t, err)
			var made keyInfo
			require.NoError(t, json.Unmarshal([]byte(out), &made))
			require.Len(t, made.KeyID, 32)
			out, err = runCLI(t, "device", "show", "--key", file, "--json")
			require.NoError(t, err)
			var shown keyInfo
			require.NoError(t, json.Unmarshal([]byte(out), &shown))
			require.Equal(t, made, shown)

			_, err = runCLI(t, "device", "init", "--key", file)
			require.Error(t, err, "an existing key file is never overwritten")
		})
	}
	_, err := runCLI(t, "device", "init", "--key", filepath.Join(t.TempDir(), "k"), "--type", "rsa")
	require.ErrorContains(t, err, "want ed25519 or p256")
	_, err = runCLI(t, "device", "init")
	require.ErrorContains(t, err, `required flag(s) "key" not set`)
}
