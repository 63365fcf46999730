package sim_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/state"
)

func open(t testing.TB, dir string) *sim.Enclave {
	t.Helper()
	e, err := sim.Open(dir, nil)
	require.NoError(t, err)
	return e
}

func bootstrapped(t testing.TB) (*sim.Enclave, enclave.NetworkKeys) {
	t.Helper()
	e := open(t, t.TempDir())
	nk, err := e.Bootstrap(context.Background())
	require.NoError(t, err)
	return e, nk
}

func TestBootstrapSealsAndReloads(t *testing.T) {
	dir := t.TempDir()
	e := open(t, dir)
	_, err := e.NetworkKeys()
	require.ErrorIs(t, err, enclave.ErrNoSeed)
	nk, err := e.Bootstrap(context.Background())
	require.NoError(t, err)
	_, err = e.Bootstrap(context.Background())
	require.ErrorIs(t, err, enclave.ErrHasSeed)
	info := e.Info()
	require.True(t, info.Simulated)
	require.Equal(t, 1, info.Seeds)

	again := open(t, dir)
	got, err := again.NetworkKeys()
	require.NoError(t, err)
	require.Equal(t, nk, got)

	// The sealed file holds none of the secrets in the clear.
	sealed, err := os.ReadFile(filepath.Join(dir, "seeds.sealed"))
	require.NoError(t, err)
	for _, s := range sim.Secrets(e)[:1] {
		require.NotContains(t, string(sealed), string(s))
	}
	fi, err := os.Stat(filepath.Join(dir, "seal.key"))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

func TestModifiedSealedFilesAreRefused(t *testing.T) {
	for _, file := range []string{"seeds.sealed", "registration.sealed"} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			e := open(t, dir)
			_, err := e.Bootstrap(context.Background())
			require.NoError(t, err)
			_, err = e.Registration(context.Background(), "c")
			require.NoError(t, err)
			p := filepath.Join(dir, file)
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)-1] ^= 1
			require.NoError(t, os.WriteFile(p, b, 0o600))
			e2, err := sim.Open(dir, nil)
			if err == nil {
				_, err = e2.Registration(context.Background(), "c")
			}
			require.ErrorIs(t, err, enclave.ErrSealed)
			require.NotContains(t, err.Error(), fmt.Sprintf("%x", b[:8]))
		})
	}
}

func TestSeedExchange(t *testing.T) {
	boot, nk := bootstrapped(t)
	joining := open(t, t.TempDir())
	reg, err := joining.Registration(context.Background(), "chain-x")
	require.NoError(t, err)
	require.NoError(t, enclave.DefaultVerifiers().VerifyRegistration(enclave.Policy{Measurements: [][]byte{enclave.SimMeasurement}, AllowSimulated: true}, "chain-x", reg))

	enc, err := boot.EncryptSeeds(reg.PubKey)
	require.NoError(t, err)
	again, err := boot.EncryptSeeds(reg.PubKey)
	require.NoError(t, err)
	require.Equal(t, enc, again, "deterministic: every validator stores the same bytes")

	bad := [][]byte{append([]byte{}, enc[0]...)}
	bad[0][0] ^= 1
	require.Error(t, joining.InstallSeeds(bad, nk))
	require.Error(t, joining.InstallSeeds(enc, enclave.NetworkKeys{TxKey: make([]byte, 32), SeedExchangeKey: nk.SeedExchangeKey}))
	require.Zero(t, joining.Info().Seeds)
	require.NoError(t, joining.InstallSeeds(enc, nk))
	got, err := joining.NetworkKeys()
	require.NoError(t, err)
	require.Equal(t, nk, got)
}

// counter is a contract run inside the enclave boundary for these tests:
// it adds the message's number to a stored counter, fails on "fail", and
// lists its keys on "list".
type counter struct{}

func (counter) Run(_ context.Context, msg []byte, s state.Store) ([]byte, error) {
	switch string(msg) {
	case "fail":
		_ = s.Set([]byte("count"), []byte{0xff})
		return nil, errors.New("counter refuses")
	case "list":
		it, err := s.Iterator(nil, nil, false)
		if err != nil {
			return nil, err
		}
		defer it.Close()
		var out []byte
		for ; it.Valid(); it.Next() {
			out = append(out, it.Key()...)
			out = append(out, ',')
		}
		return out, it.Error()
	}
	v, err := s.Get([]byte("count"))
	if err != nil {
		return nil, err
	}
	var n uint64
	if v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	n += uint64(len(msg))
	out := binary.BigEndian.AppendUint64(nil, n)
	if err := s.Set([]byte("count"), out); err != nil {
		return nil, err
	}
	if err := s.Set(append([]byte("entry/"), msg...), msg); err != nil {
		return nil, err
	}
	return out, nil
}

func newStore(t testing.TB) state.Store {
	t.Helper()
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return tr
}

func TestExecuteConfidential(t *testing.T) {
	e, nk := bootstrapped(t)
	codeHash := sha256.Sum256([]byte("counter code"))
	contract := []byte("contract-address-0000000000000000")
	store := newStore(t)
	pos := &cryptobox.WritePos{Height: 7}
	call := func(input []byte, plaintext bool) (enclave.Output, error) {
		return e.Execute(context.Background(), enclave.Call{Contract: contract, CodeHash: codeHash, Input: input, Plaintext: plaintext, State: store, Pos: pos}, counter{})
	}

	wire, sess, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte("secret-reading-42"))
	require.NoError(t, err)
	out, err := call(wire, false)
	require.NoError(t, err)
	require.True(t, out.Encrypted)
	require.False(t, out.Failed)
	pt, err := sess.DecryptOutput(out.Data)
	require.NoError(t, err)
	require.Equal(t, uint64(17), binary.BigEndian.Uint64(pt))
	require.Equal(t, uint64(2), pos.WriteIndex)

	// The stored state shows neither keys nor values.
	it, err := store.Iterator(nil, nil, false)
	require.NoError(t, err)
	n := 0
	for ; it.Valid(); it.Next() {
		n++
		require.NotContains(t, string(it.Key()), "entry/")
		require.NotContains(t, string(it.Key()), "count")
		require.NotContains(t, string(it.Value()), "secret-reading-42")
	}
	it.Close()
	require.Equal(t, 2, n)

	// A plaintext call (declared so by its transaction) sees the same
	// state and answers in plaintext.
	out, err = call([]byte("abc"), true)
	require.NoError(t, err)
	require.False(t, out.Encrypted)
	require.Equal(t, uint64(20), binary.BigEndian.Uint64(out.Data))

	// Iteration over confidential state, in plaintext key order.
	out, err = call([]byte("list"), true)
	require.NoError(t, err)
	require.Equal(t, "count,entry/abc,entry/secret-reading-42,", string(out.Data))

	// A contract error comes back encrypted, and its writes are discarded.
	wire, sess, err = cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte("fail"))
	require.NoError(t, err)
	before := *pos
	out, err = call(wire, false)
	require.NoError(t, err)
	require.True(t, out.Failed)
	msg, err := sess.DecryptOutput(out.Data)
	require.NoError(t, err)
	require.Equal(t, "counter refuses", strings.TrimRight(string(msg), " "), "padded with spaces")
	require.Equal(t, before, *pos)
	out, err = call([]byte("x"), true)
	require.NoError(t, err)
	require.Equal(t, uint64(21), binary.BigEndian.Uint64(out.Data))
}

func TestExecuteRefusesBadInput(t *testing.T) {
	e, nk := bootstrapped(t)
	codeHash := sha256.Sum256([]byte("counter code"))
	other := sha256.Sum256([]byte("other code"))
	wire, _, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte("plaintext-never-shown"))
	require.NoError(t, err)
	tampered := append([]byte{}, wire...)
	tampered[len(tampered)-1] ^= 1
	lowOrder := append(append(append([]byte{}, wire[:32]...), make([]byte, 32)...), wire[64:]...)
	cases := []struct {
		name string
		call enclave.Call
		want error
	}{
		{"tampered ciphertext", enclave.Call{CodeHash: codeHash, Input: tampered}, cryptobox.ErrDecrypt},
		{"wrong code hash", enclave.Call{CodeHash: other, Input: wire}, cryptobox.ErrWrongCodeHash},
		{"low-order public key", enclave.Call{CodeHash: codeHash, Input: lowOrder}, cryptobox.ErrLowOrder},
		{"too-short wire", enclave.Call{CodeHash: codeHash, Input: wire[:100]}, cryptobox.ErrShortWire},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := newStore(t)
			c.call.Contract, c.call.State, c.call.Pos = []byte("c"), store, &cryptobox.WritePos{}
			_, err := e.Execute(context.Background(), c.call, counter{})
			require.ErrorIs(t, err, c.want)
			require.NotContains(t, err.Error(), "plaintext-never-shown")
			it, err := store.Iterator(nil, nil, false)
			require.NoError(t, err)
			require.False(t, it.Valid(), "state changed")
			it.Close()
		})
	}
	// An enclave without seeds runs nothing.
	empty := open(t, t.TempDir())
	_, err = empty.Execute(context.Background(), enclave.Call{CodeHash: codeHash, Input: wire, State: newStore(t), Pos: &cryptobox.WritePos{}}, counter{})
	require.ErrorIs(t, err, enclave.ErrNoSeed)
}

// TestStateOfOneContractIsUnreadableByAnother: tenant isolation at the
// storage layer. Each contract's state lives under its own prefix; even
// pointed at another contract's entries, a contract neither finds nor
// decrypts them, because its keys derive from its own address.
func TestStateOfOneContractIsUnreadableByAnother(t *testing.T) {
	e, _ := bootstrapped(t)
	store := newStore(t)
	pos := &cryptobox.WritePos{}
	run := func(contract, prefix, msg string) enclave.Output {
		t.Helper()
		out, err := e.Execute(context.Background(), enclave.Call{Contract: []byte(contract), Input: []byte(msg), Plaintext: true,
			State: state.NewPrefix(store, []byte(prefix)), Pos: pos}, counter{})
		require.NoError(t, err)
		return out
	}
	run("tenant-a", "a/", "aaaa")
	// tenant-b on tenant-a's entries: its lookup keys differ (count starts
	// from zero) and listing fails to decrypt a's keys.
	out := run("tenant-b", "a/", "b")
	require.Equal(t, uint64(1), binary.BigEndian.Uint64(out.Data))
	out = run("tenant-b", "a/", "list")
	require.True(t, out.Failed)
	require.Contains(t, string(out.Data), enclave.ErrEncryptedState.Error())
	// tenant-a's own view is intact.
	out = run("tenant-a", "b/", "list")
	require.Equal(t, "", string(out.Data))
}

// TestQueryIsEncryptedAndReadOnly: an encrypted query reads the contract's
// state, answers encrypted, and cannot write.
func TestQueryIsEncryptedAndReadOnly(t *testing.T) {
	e, nk := bootstrapped(t)
	codeHash := sha256.Sum256([]byte("counter code"))
	store := newStore(t)
	pos := &cryptobox.WritePos{}
	_, err := e.Execute(context.Background(), enclave.Call{Contract: []byte("c"), Input: []byte("abcd"), Plaintext: true, State: store, Pos: pos}, counter{})
	require.NoError(t, err)

	wire, sess, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte("list"))
	require.NoError(t, err)
	out, err := e.Query(context.Background(), enclave.Call{Contract: []byte("c"), CodeHash: codeHash, Input: wire, State: store}, counter{})
	require.NoError(t, err)
	require.False(t, out.Failed)
	pt, err := sess.DecryptOutput(out.Data)
	require.NoError(t, err)
	require.Equal(t, "count,entry/abcd,", string(pt))

	// The counter writes on any other message: as a query, that fails.
	wire, sess, err = cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte("xy"))
	require.NoError(t, err)
	out, err = e.Query(context.Background(), enclave.Call{Contract: []byte("c"), CodeHash: codeHash, Input: wire, State: store}, counter{})
	require.NoError(t, err)
	require.True(t, out.Failed)
	msg, err := sess.DecryptOutput(out.Data)
	require.NoError(t, err)
	require.Contains(t, string(msg), state.ErrReadOnly.Error())
}

// TestSealedFilesBelongToTheirEnclave: sealing is internal to the backend
// (no method seals or unseals for the host), and what one enclave sealed
// does not open in another — here, another home with its own seal key — so
// copying a home's sealed files elsewhere gives nothing.
func TestSealedFilesBelongToTheirEnclave(t *testing.T) {
	for _, file := range []string{"seeds.sealed", "registration.sealed"} {
		t.Run(file, func(t *testing.T) {
			dir := t.TempDir()
			e := open(t, dir)
			_, err := e.Bootstrap(context.Background())
			require.NoError(t, err)
			_, err = e.Registration(context.Background(), "c")
			require.NoError(t, err)
			b, err := os.ReadFile(filepath.Join(dir, file))
			require.NoError(t, err)

			other := t.TempDir()
			open(t, other) // draws its own seal key
			require.NoError(t, os.WriteFile(filepath.Join(other, file), b, 0o600))
			o, err := sim.Open(other, nil)
			if err == nil {
				_, err = o.Registration(context.Background(), "c")
			}
			require.ErrorIs(t, err, enclave.ErrSealed)
		})
	}
}

// failing is a contract that fails with its message as the error text.
type failing struct{}

func (failing) Run(_ context.Context, msg []byte, _ state.Store) ([]byte, error) {
	return nil, errors.New(string(msg))
}

// TestEncryptedErrorsHideWhichErrorItIs: an encrypted contract error is
// padded to a multiple of enclave.ErrorBlock before it is encrypted, so
// errors of different lengths under a block give ciphertexts of the same
// length, and the sender still reads the original text (trimming the
// padding, as the client does). A plaintext call's error is not padded.
func TestEncryptedErrorsHideWhichErrorItIs(t *testing.T) {
	e, nk := bootstrapped(t)
	codeHash := sha256.Sum256([]byte("failing code"))
	// sizeOf fails an execute and a query with text and returns the
	// length of the encrypted error, the same for both.
	sizeOf := func(t *testing.T, text string) int {
		t.Helper()
		wire, sess, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte(text))
		require.NoError(t, err)
		size := -1
		for _, run := range []func(context.Context, enclave.Call, enclave.Runner) (enclave.Output, error){e.Execute, e.Query} {
			out, err := run(context.Background(), enclave.Call{Contract: []byte("c"), CodeHash: codeHash, Input: wire, State: newStore(t), Pos: &cryptobox.WritePos{}}, failing{})
			require.NoError(t, err)
			require.True(t, out.Failed)
			require.True(t, out.Encrypted)
			pt, err := sess.DecryptOutput(out.Data)
			require.NoError(t, err)
			require.Zero(t, len(pt)%enclave.ErrorBlock)
			require.Equal(t, text, strings.TrimRight(string(pt), " "))
			require.Equal(t, len(out.Data), len(pt)+16, "SIV adds its 16-byte tag only")
			if size >= 0 {
				require.Equal(t, size, len(out.Data), "execute and query pad alike")
			}
			size = len(out.Data)
		}
		return size
	}
	tests := []struct {
		name       string
		a, b       string
		sameLength bool
	}{
		{"two errors under a block", "unauthorized", "insufficient funds: balance 12 is below the 5000 requested", true},
		{"an empty error and a long one", "", strings.Repeat("x", enclave.ErrorBlock-1), true},
		{"one block and two", strings.Repeat("x", enclave.ErrorBlock), strings.Repeat("x", enclave.ErrorBlock+1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := sizeOf(t, tc.a), sizeOf(t, tc.b)
			if tc.sameLength {
				require.Equal(t, a, b)
			} else {
				require.Equal(t, a+enclave.ErrorBlock, b)
			}
		})
	}

	// Plaintext: the error as the contract returned it.
	out, err := e.Execute(context.Background(), enclave.Call{Contract: []byte("c"), Input: []byte("no"), Plaintext: true, State: newStore(t), Pos: &cryptobox.WritePos{}}, failing{})
	require.NoError(t, err)
	require.True(t, out.Failed)
	require.Equal(t, "no", string(out.Data))
}
