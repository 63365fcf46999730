package keyring

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

// fastKDF keeps tests quick; the parameters are stored in each file.
var fastKDF = kdfParams{Time: 1, MemoryKiB: 64, Threads: 1}

// passFunc returns a passphrase function answering pass and counting calls.
func passFunc(pass string, calls *atomic.Int32) func(string) ([]byte, error) {
	return func(prompt string) ([]byte, error) {
		if calls != nil {
			calls.Add(1)
		}
		return []byte(pass), nil
	}
}

func openTest(t *testing.T, dir, backend, pass string, calls *atomic.Int32) *Keyring {
	t.Helper()
	var fn func(string) ([]byte, error)
	if backend == BackendFile {
		fn = passFunc(pass, calls)
	}
	kr, err := Open(dir, backend, fn)
	require.NoError(t, err)
	kr.kdf = fastKDF
	return kr
}

var backends = []string{BackendFile, BackendTest}
var keyTypes = []keys.KeyType{keys.KeyEd25519, keys.KeyP256}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "keyring")
	_, err := Open(dir, "file", passFunc("x", nil))
	require.NoError(t, err)
	st, err := os.Stat(dir)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o700), st.Mode().Perm())

	tests := []struct {
		name    string
		backend string
		fn      func(string) ([]byte, error)
		wantErr error
	}{
		{"test nil pass", "test", nil, nil},
		{"file", "file", passFunc("x", nil), nil},
		{"file nil pass", "file", nil, errors.New("any")},
		{"unknown", "os", nil, ErrUnknownBackend},
		{"empty backend", "", nil, ErrUnknownBackend},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(t.TempDir(), tt.backend, tt.fn)
			switch {
			case tt.wantErr == nil:
				require.NoError(t, err)
			case errors.Is(tt.wantErr, ErrUnknownBackend):
				require.ErrorIs(t, err, ErrUnknownBackend)
			default:
				require.Error(t, err)
			}
		})
	}
}

func TestLifecycle(t *testing.T) {
	for _, backend := range backends {
		for _, kt := range keyTypes {
			t.Run(backend+"/"+kt.String(), func(t *testing.T) {
				dir := t.TempDir()
				var calls atomic.Int32
				kr := openTest(t, dir, backend, "correct horse", &calls)

				recs, err := kr.List()
				require.NoError(t, err)
				require.Empty(t, recs)

				bob, err := kr.Add("bob", kt)
				require.NoError(t, err)
				require.Equal(t, "bob", bob.Name)
				require.Equal(t, kt, bob.Type)
				require.Equal(t, bob.PubKey.Address(), bob.Address)
				alice, err := kr.Add("alice", kt)
				require.NoError(t, err)

				st, err := os.Stat(filepath.Join(dir, "bob.key"))
				require.NoError(t, err)
				require.Equal(t, os.FileMode(0o600), st.Mode().Perm())

				recs, err = kr.List()
				require.NoError(t, err)
				require.Equal(t, []Record{alice, bob}, recs)

				got, err := kr.Show("bob")
				require.NoError(t, err)
				require.Equal(t, bob, got)

				priv, err := kr.Key("bob")
				require.NoError(t, err)
				require.True(t, priv.PubKey().Equal(bob.PubKey))
				sig, err := priv.Sign([]byte("m"))
				require.NoError(t, err)
				require.True(t, bob.PubKey.Verify([]byte("m"), sig))

				// A fresh keyring sees the same keys; Show and List need no passphrase.
				var calls2 atomic.Int32
				kr2 := openTest(t, dir, backend, "correct horse", &calls2)
				got, err = kr2.Show("alice")
				require.NoError(t, err)
				require.Equal(t, alice, got)
				_, err = kr2.List()
				require.NoError(t, err)
				require.Zero(t, calls2.Load())
				priv2, err := kr2.Key("alice")
				require.NoError(t, err)
				require.True(t, priv2.PubKey().Equal(alice.PubKey))

				require.NoError(t, kr.Delete("bob"))
				_, err = kr.Show("bob")
				require.ErrorIs(t, err, ErrNotFound)
				require.ErrorIs(t, kr.Delete("bob"), ErrNotFound)
				recs, err = kr.List()
				require.NoError(t, err)
				require.Equal(t, []Record{alice}, recs)

				if backend == BackendFile {
					require.Equal(t, int32(1), calls.Load(), "passphrase asked once")
				} else {
					require.Zero(t, calls.Load())
				}
				entries, err := os.ReadDir(dir)
				require.NoError(t, err)
				require.Len(t, entries, 1, "no temporary files left behind")
			})
		}
	}
}

func TestErrors(t *testing.T) {
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			kr := openTest(t, t.TempDir(), backend, "pw", nil)
			_, err := kr.Add("alice", keys.KeyEd25519)
			require.NoError(t, err)

			tests := []struct {
				name string
				op   func() error
				want error
			}{
				{"add duplicate", func() error { _, err := kr.Add("alice", keys.KeyP256); return err }, ErrExists},
				{"import duplicate", func() error {
					k, _ := keys.Generate(keys.KeyEd25519)
					_, err := kr.ImportPrivKey("alice", k)
					return err
				}, ErrExists},
				{"show missing", func() error { _, err := kr.Show("zed"); return err }, ErrNotFound},
				{"key missing", func() error { _, err := kr.Key("zed"); return err }, ErrNotFound},
				{"delete missing", func() error { return kr.Delete("zed") }, ErrNotFound},
				{"export missing", func() error { _, err := kr.Export("zed", []byte("x")); return err }, ErrNotFound},
				{"add unknown type", func() error { _, err := kr.Add("new", keys.KeyType(9)); return err }, keys.ErrUnknownKeyType},
				{"export empty pass", func() error { _, err := kr.Export("alice", nil); return err }, ErrEmptyPassphrase},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					require.ErrorIs(t, tt.op(), tt.want)
				})
			}
		})
	}
}

func TestBadNames(t *testing.T) {
	kr := openTest(t, t.TempDir(), BackendTest, "", nil)
	k, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	bad := []string{"", ".hidden", "a/b", "../x", "a b", "ä", "x\x00", strings.Repeat("a", 65), "a:b", `a\b`}
	for _, name := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := kr.Add(name, keys.KeyEd25519)
			require.ErrorIs(t, err, ErrBadName)
			_, err = kr.ImportPrivKey(name, k)
			require.ErrorIs(t, err, ErrBadName)
			_, err = kr.Show(name)
			require.ErrorIs(t, err, ErrBadName)
			_, err = kr.Key(name)
			require.ErrorIs(t, err, ErrBadName)
			require.ErrorIs(t, kr.Delete(name), ErrBadName)
			_, err = kr.Import(name, nil, []byte("x"))
			require.ErrorIs(t, err, ErrBadName)
		})
	}
	good := []string{"a", "A-b_c.d", "x.", strings.Repeat("z", 64), "0"}
	for _, name := range good {
		t.Run(name, func(t *testing.T) {
			_, err := kr.Add(name, keys.KeyEd25519)
			require.NoError(t, err)
		})
	}
}

func TestWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	kr := openTest(t, dir, BackendFile, "right", nil)
	_, err := kr.Add("alice", keys.KeyEd25519)
	require.NoError(t, err)

	tests := []struct {
		name string
		op   func(kr *Keyring) error
	}{
		{"key", func(kr *Keyring) error { _, err := kr.Key("alice"); return err }},
		{"add", func(kr *Keyring) error { _, err := kr.Add("bob", keys.KeyEd25519); return err }},
		{"import", func(kr *Keyring) error {
			k, _ := keys.Generate(keys.KeyP256)
			_, err := kr.ImportPrivKey("carol", k)
			return err
		}},
		{"export", func(kr *Keyring) error { _, err := kr.Export("alice", []byte("x")); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			wrong := openTest(t, dir, BackendFile, "wrong", &calls)
			require.ErrorIs(t, tt.op(wrong), ErrWrongPassphrase)
			// The wrong passphrase is not cached: the next attempt asks again.
			require.ErrorIs(t, tt.op(wrong), ErrWrongPassphrase)
			require.Equal(t, int32(2), calls.Load())
		})
	}
	// Nothing was written with the wrong passphrase.
	recs, err := kr.List()
	require.NoError(t, err)
	require.Len(t, recs, 1)
}

func TestEmptyPassphrase(t *testing.T) {
	kr := openTest(t, t.TempDir(), BackendFile, "", nil)
	_, err := kr.Add("alice", keys.KeyEd25519)
	require.ErrorIs(t, err, ErrEmptyPassphrase)
}

func TestPassphraseFuncError(t *testing.T) {
	boom := errors.New("no terminal")
	kr, err := Open(t.TempDir(), BackendFile, func(string) ([]byte, error) { return nil, boom })
	require.NoError(t, err)
	kr.kdf = fastKDF
	_, err = kr.Add("alice", keys.KeyEd25519)
	require.ErrorIs(t, err, boom)
}

func TestSecretNotInFile(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(kt.String(), func(t *testing.T) {
			dir := t.TempDir()
			kr := openTest(t, dir, BackendFile, "pw", nil)
			k, err := keys.Generate(kt)
			require.NoError(t, err)
			_, err = kr.ImportPrivKey("k", k)
			require.NoError(t, err)
			data, err := os.ReadFile(filepath.Join(dir, "k.key"))
			require.NoError(t, err)
			secret := k.Bytes()
			require.False(t, bytes.Contains(data, secret), "raw secret in file")
			for _, enc := range encodings(secret) {
				require.NotContains(t, string(data), enc)
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal(data, &m))
			require.Equal(t, "argon2id", m["kdf"])
			require.NotContains(t, m, "secret")

			armored, err := kr.Export("k", []byte("export"))
			require.NoError(t, err)
			require.False(t, bytes.Contains(armored, secret))
			for _, enc := range encodings(secret) {
				require.NotContains(t, string(armored), enc)
			}
		})
	}
}

func TestTestBackendFormat(t *testing.T) {
	dir := t.TempDir()
	kr := openTest(t, dir, BackendTest, "", nil)
	k, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	rec, err := kr.ImportPrivKey("dev", k)
	require.NoError(t, err)
	data, err := os.ReadFile(filepath.Join(dir, "dev.key"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	require.Equal(t, "none", m["kdf"])
	require.Equal(t, "dev", m["name"])
	require.Equal(t, "p256", m["type"])
	require.Equal(t, rec.Address.String(), m["address"])
	require.Equal(t, float64(1), m["version"])

	// A file keyring can read plaintext keys; a test keyring cannot read
	// encrypted ones.
	fk := openTest(t, dir, BackendFile, "pw", nil)
	got, err := fk.Key("dev")
	require.NoError(t, err)
	require.Equal(t, k.Bytes(), got.Bytes())
	_, err = fk.Add("enc", keys.KeyEd25519)
	require.NoError(t, err)
	_, err = kr.Key("enc")
	require.ErrorIs(t, err, ErrEncrypted)
}

func TestTamperedFile(t *testing.T) {
	for _, backend := range backends {
		tests := []struct {
			name     string
			mutate   func(t *testing.T, dir string)
			want     error
			fileOnly bool // the plaintext test backend has no integrity protection
		}{
			{"garbage", func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "a.key"), []byte("{not json"), 0o600))
			}, ErrCorrupt, false},
			{"swapped files", func(t *testing.T, dir string) {
				require.NoError(t, os.Rename(filepath.Join(dir, "b.key"), filepath.Join(dir, "a.key")))
			}, ErrCorrupt, false},
			{"renamed inside file", func(t *testing.T, dir string) {
				// Rename both the file and the record: only the AEAD binding
				// (or, for plaintext, nothing) can notice.
				editJSON(t, filepath.Join(dir, "b.key"), func(m map[string]any) { m["name"] = "a" })
				require.NoError(t, os.Rename(filepath.Join(dir, "b.key"), filepath.Join(dir, "a.key")))
			}, ErrWrongPassphrase, true},
			{"pubkey replaced", func(t *testing.T, dir string) {
				b := readJSON(t, filepath.Join(dir, "b.key"))
				editJSON(t, filepath.Join(dir, "a.key"), func(m map[string]any) {
					m["pubkey"], m["address"] = b["pubkey"], b["address"]
				})
			}, nil, false},
			{"address changed", func(t *testing.T, dir string) {
				b := readJSON(t, filepath.Join(dir, "b.key"))
				editJSON(t, filepath.Join(dir, "a.key"), func(m map[string]any) { m["address"] = b["address"] })
			}, ErrCorrupt, false},
			{"ciphertext flipped", func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "a.key"), func(m map[string]any) {
					for _, f := range []string{"ciphertext", "secret"} {
						if s, ok := m[f].(string); ok {
							raw := []byte(s)
							raw[3] ^= 0x01
							if raw[3] == '+' || raw[3] == '/' || raw[3] == '=' {
								raw[3] = 'A'
							}
							m[f] = string(raw)
						}
					}
				})
			}, nil, false},
			{"kdf params huge", func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "a.key"), func(m map[string]any) {
					if p, ok := m["kdf_params"].(map[string]any); ok {
						p["memory_kib"] = float64(1 << 30)
					} else {
						m["kdf"] = "scrypt"
					}
				})
			}, ErrCorrupt, false},
			{"version", func(t *testing.T, dir string) {
				editJSON(t, filepath.Join(dir, "a.key"), func(m map[string]any) { m["version"] = float64(2) })
			}, ErrCorrupt, false},
		}
		for _, tt := range tests {
			if tt.fileOnly && backend != BackendFile {
				continue
			}
			t.Run(backend+"/"+tt.name, func(t *testing.T) {
				dir := t.TempDir()
				kr := openTest(t, dir, backend, "pw", nil)
				_, err := kr.Add("a", keys.KeyEd25519)
				require.NoError(t, err)
				_, err = kr.Add("b", keys.KeyEd25519)
				require.NoError(t, err)
				tt.mutate(t, dir)
				kr2 := openTest(t, dir, backend, "pw", nil)
				_, err = kr2.Key("a")
				require.Error(t, err)
				if tt.want != nil {
					require.ErrorIs(t, err, tt.want)
				}
			})
		}
	}
}

func TestExportImport(t *testing.T) {
	for _, backend := range backends {
		for _, kt := range keyTypes {
			t.Run(backend+"/"+kt.String(), func(t *testing.T) {
				src := openTest(t, t.TempDir(), backend, "pw1", nil)
				rec, err := src.Add("alice", kt)
				require.NoError(t, err)
				armored, err := src.Export("alice", []byte("export pass"))
				require.NoError(t, err)
				text := string(armored)
				require.True(t, strings.HasPrefix(text, "-----BEGIN HERMETIC PRIVATE KEY-----\n"), text)
				require.Contains(t, text, "type: "+kt.String()+"\n")
				require.True(t, strings.HasSuffix(text, "-----END HERMETIC PRIVATE KEY-----\n"), text)

				dst := openTest(t, t.TempDir(), BackendFile, "pw2", nil)
				_, err = dst.Import("alice2", armored, []byte("wrong pass"))
				require.ErrorIs(t, err, ErrWrongPassphrase)

				got, err := dst.Import("alice2", armored, []byte("export pass"))
				require.NoError(t, err)
				require.Equal(t, "alice2", got.Name)
				require.True(t, got.PubKey.Equal(rec.PubKey))
				require.Equal(t, rec.Address, got.Address)
				orig, err := src.Key("alice")
				require.NoError(t, err)
				k, err := dst.Key("alice2")
				require.NoError(t, err)
				require.Equal(t, orig.Bytes(), k.Bytes())

				_, err = dst.Import("alice2", armored, []byte("export pass"))
				require.ErrorIs(t, err, ErrExists)
				// Surrounding whitespace and leading text are tolerated.
				_, err = dst.Import("alice3", append([]byte("exported key:\n\n"), append(armored, "\n\n"...)...), []byte("export pass"))
				require.NoError(t, err)
			})
		}
	}
}

func TestImportBadArmor(t *testing.T) {
	src := openTest(t, t.TempDir(), BackendTest, "", nil)
	_, err := src.Add("alice", keys.KeyEd25519)
	require.NoError(t, err)
	armored, err := src.Export("alice", []byte("pass"))
	require.NoError(t, err)
	text := string(armored)
	lines := strings.Split(text, "\n")

	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrBadArmor},
		{"no block", "hello", ErrBadArmor},
		{"truncated", text[:len(text)/2], ErrBadArmor},
		{"wrong block type", strings.ReplaceAll(text, "HERMETIC PRIVATE KEY", "RSA PRIVATE KEY"), ErrBadArmor},
		{"bad base64", strings.Replace(text, lines[4], "!!!!"+lines[4][4:], 1), ErrBadArmor},
		{"type header mismatch", strings.Replace(text, "type: ed25519", "type: p256", 1), ErrBadArmor},
		{"type header missing", strings.Replace(text, "type: ed25519\n", "", 1), ErrBadArmor},
		{"trailing data", text + "garbage", ErrBadArmor},
		{"two blocks", text + text, ErrBadArmor},
		{"payload not json", "-----BEGIN HERMETIC PRIVATE KEY-----\ntype: ed25519\n\naGVsbG8=\n-----END HERMETIC PRIVATE KEY-----\n", ErrBadArmor},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := openTest(t, t.TempDir(), BackendTest, "", nil)
			_, err := dst.Import("x", []byte(tt.in), []byte("pass"))
			require.ErrorIs(t, err, tt.want)
			recs, err := dst.List()
			require.NoError(t, err)
			require.Empty(t, recs)
		})
	}
}

func TestConcurrentAdd(t *testing.T) {
	kr := openTest(t, t.TempDir(), BackendTest, "", nil)
	const n = 8
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			_, err := kr.Add("same", keys.KeyEd25519)
			errs <- err
		}()
	}
	ok := 0
	for i := 0; i < n; i++ {
		if err := <-errs; err == nil {
			ok++
		} else {
			require.ErrorIs(t, err, ErrExists)
		}
	}
	require.Equal(t, 1, ok)
}

func encodings(b []byte) []string {
	hexs := make([]byte, 0, 2*len(b))
	const digits = "0123456789abcdef"
	for _, c := range b {
		hexs = append(hexs, digits[c>>4], digits[c&15])
	}
	raw, _ := json.Marshal(b) // standard base64 as a JSON string
	return []string{string(hexs), strings.ToUpper(string(hexs)), strings.Trim(string(raw), `"=`)}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func editJSON(t *testing.T, path string, edit func(map[string]any)) {
	t.Helper()
	m := readJSON(t, path)
	edit(m)
	data, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, data, 0o600))
}

func TestKDFParams(t *testing.T) {
	tests := []struct {
		name string
		p    kdfParams
		ok   bool
	}{
		{"default", defaultKDF(), true},
		{"fast", fastKDF, true},
		{"zero time", kdfParams{Time: 0, MemoryKiB: 64, Threads: 1}, false},
		{"zero threads", kdfParams{Time: 1, MemoryKiB: 64, Threads: 0}, false},
		{"memory below 8*threads", kdfParams{Time: 1, MemoryKiB: 15, Threads: 2}, false},
		{"memory too large", kdfParams{Time: 1, MemoryKiB: maxKDFMemoryKiB + 1, Threads: 1}, false},
		{"time too large", kdfParams{Time: maxKDFTime + 1, MemoryKiB: 64, Threads: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.validate()
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, errBadParams)
			}
		})
	}
	require.Equal(t, kdfParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 1}, defaultKDF())
}
