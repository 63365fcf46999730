package edge

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/reading"
)

func TestKeyFile(t *testing.T) {
	for _, typ := range []string{KeyEd25519, KeyP256} {
		t.Run(typ, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "device.key")
			s, err := NewKeyFile(path, typ)
			require.NoError(t, err)
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
			loaded, err := LoadKeyFile(path)
			require.NoError(t, err)
			require.Equal(t, s.Public(), loaded.Public())

			// Records it signs verify under its public key.
			r := &reading.Reading{Device: "d", Stream: "s", Seq: 1, Values: []reading.Value{{Name: "v", Value: 1}}}
			rec, err := reading.Sign(rand.Reader, loaded, r)
			require.NoError(t, err)
			_, err = reading.Verify(rec, s.Public())
			require.NoError(t, err)

			_, err = NewKeyFile(path, typ)
			require.ErrorIs(t, err, ErrKeyFile, "never overwrites a key")
		})
	}
}

func TestBadKeyFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, mode))
		require.NoError(t, os.Chmod(p, mode))
		return p
	}
	good := filepath.Join(dir, "good.key")
	_, err := NewKeyFile(good, KeyEd25519)
	require.NoError(t, err)
	goodBytes, err := os.ReadFile(good)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	tests := []struct {
		name, path, errHas string
	}{
		{"readable by the group", write("group.key", goodBytes, 0o640), "chmod 600"},
		{"readable by everyone", write("world.key", goodBytes, 0o644), "chmod 600"},
		{"not PEM", write("text.key", []byte("hello"), 0o600), "no PKCS #8"},
		{"an RSA key", write("rsa.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}), 0o600), "ed25519 or ECDSA P-256"},
		{"missing", filepath.Join(dir, "none.key"), "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadKeyFile(tc.path)
			require.ErrorIs(t, err, ErrKeyFile)
			require.Contains(t, err.Error(), tc.errHas)
		})
	}
	_, err = NewKeyFile(filepath.Join(dir, "x.key"), "rsa")
	require.ErrorIs(t, err, ErrKeyFile)
}
