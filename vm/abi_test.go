package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/state"
)

// prelude is the part every test contract shares: memory, a bump
// allocator that hands out regions, the required exports, and helpers.
// $ok returns the region of a JSON {"ok":...} response whose data is the
// region passed.
const prelude = wat.ContractPrelude + `
  ;; the empty successful response
  (data (i32.const 1024) "{\"ok\":{\"messages\":[],\"attributes\":[],\"events\":[]}}")
  (func $okResponse (result i32) (call $region (i32.const 1024) (i32.const 50)))
`

func module(t testing.TB, body string) []byte {
	t.Helper()
	bin, err := wat.Compile("(module\n" + body + prelude + ")")
	require.NoError(t, err)
	return bin
}

// instantiateOnly is the smallest valid contract.
const instantiateOnly = `
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $okResponse))
`

func newVM(t testing.TB) *VM {
	t.Helper()
	v, err := New(context.Background(), Config{CacheDir: t.TempDir(), MemoryLimitPages: 64})
	require.NoError(t, err)
	t.Cleanup(func() { v.Close(context.Background()) })
	return v
}

func store(t testing.TB, v *VM, bin []byte) Code {
	t.Helper()
	c, err := v.Store(context.Background(), bin)
	require.NoError(t, err)
	return c
}

func newState(t testing.TB) state.Store {
	t.Helper()
	tr, err := state.Open(t.TempDir(), state.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close() })
	return state.NewCache(tr)
}

var testEnv = Env{
	Block:       BlockInfo{Height: 12, Time: "1700000000000000000", ChainID: "vm-test"},
	Transaction: &TransactionInfo{Index: 0},
	Contract:    ContractInfo{Address: "herm1contract"},
}

func call(t testing.TB, v *VM, code Code, entry string, msg string, s state.Store, gas uint64) (Result, error) {
	t.Helper()
	c := Call{Code: code.Hash, Entry: entry, Env: testEnv, Msg: []byte(msg), Store: s, GasLimit: gas}
	if entry == "instantiate" || entry == "execute" {
		c.Info = &MessageInfo{Sender: "herm1sender", Funds: []Coin{}}
	}
	return v.Call(context.Background(), c)
}

func TestUploadChecks(t *testing.T) {
	v := newVM(t)
	good := module(t, instantiateOnly)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(good)
	require.NoError(t, zw.Close())

	c := store(t, v, good)
	require.Equal(t, sha256.Sum256(good), c.Hash)
	require.Equal(t, []string{"instantiate"}, c.EntryPoints)
	cz := store(t, v, gz.Bytes())
	require.Equal(t, c.Hash, cz.Hash, "gzip upload has the same code hash")

	withIterator := module(t, instantiateOnly+`(func (export "requires_iterator"))`)
	c = store(t, v, withIterator)
	require.Equal(t, []string{"iterator"}, c.Capabilities)

	// Validate finds what Store finds, without compiling.
	for _, bin := range [][]byte{good, gz.Bytes(), withIterator} {
		fresh := newVM(t)
		want, err := fresh.Store(context.Background(), bin)
		require.NoError(t, err)
		got, err := newVM(t).Validate(context.Background(), bin)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}

	cases := []struct {
		name string
		bin  []byte
		want error
		text string
	}{
		{"not wasm", []byte("definitely not wasm"), ErrInvalidCode, ""},
		{"truncated", good[:len(good)/2], ErrInvalidCode, ""},
		{"requires staking", module(t, instantiateOnly+`(func (export "requires_staking"))`), ErrCapability, "staking"},
		{"requires stargate", module(t, instantiateOnly+`(func (export "requires_stargate"))`), ErrCapability, "stargate"},
		{"no instantiate", module(t, ``), ErrMissingExport, "instantiate"},
		{"unknown import", module(t, `(import "env" "launch_missiles" (func (param i32)))`+instantiateOnly), ErrUnknownImport, "launch_missiles"},
		{"import from elsewhere", module(t, `(import "os" "exec" (func))`+instantiateOnly), ErrUnknownImport, "os.exec"},
		{"wrong import signature", module(t, `(import "env" "db_read" (func (param i64) (result i32)))`+instantiateOnly), ErrInvalidCode, "db_read"},
		{"oversize", append(append([]byte{}, good...), make([]byte, DefaultMaxCodeSize)...), ErrCodeTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Store(context.Background(), tc.bin)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.text)
			_, err = v.Validate(context.Background(), tc.bin)
			require.ErrorIs(t, err, tc.want, "Validate")
			require.ErrorContains(t, err, tc.text, "Validate")
		})
	}
}

// kv is a contract over the storage imports: instantiate stores msg under
// "k"; execute answers the value read back as the response data's bytes;
// query lists the keys in the given order via db_scan/db_next.
const kv = `
  (import "env" "db_read" (func $db_read (param i32) (result i32)))
  (import "env" "db_write" (func $db_write (param i32 i32)))
  (import "env" "db_remove" (func $db_remove (param i32)))
  (import "env" "db_scan" (func $db_scan (param i32 i32 i32) (result i32)))
  (import "env" "db_next" (func $db_next (param i32) (result i32)))
  (data (i32.const 2000) "k")
  (data (i32.const 2001) "a1a2a3")
  (func (export "instantiate") (param $env i32) (param $info i32) (param $msg i32) (result i32)
    (call $db_write (call $region (i32.const 2000) (i32.const 1)) (local.get $msg))
    (call $db_write (call $region (i32.const 2001) (i32.const 2)) (local.get $msg))
    (call $db_write (call $region (i32.const 2003) (i32.const 2)) (local.get $msg))
    (call $db_write (call $region (i32.const 2005) (i32.const 2)) (local.get $msg))
    (call $db_remove (call $region (i32.const 2003) (i32.const 2)))
    (call $okResponse))
  ;; execute returns the raw stored value as its result region (the test
  ;; reads it as bytes).
  (func (export "execute") (param i32 i32 i32) (result i32)
    (call $db_read (call $region (i32.const 2000) (i32.const 1))))
  ;; query: iterate all keys in the order given by the message's first
  ;; byte ('1' ascending, '2' descending) and return the last db_next
  ;; region: all entries encoded back to back.
  (func (export "query") (param $env i32) (param $msg i32) (result i32)
    (local $it i32) (local $r i32) (local $out i32) (local $len i32)
    (local.set $it (call $db_scan (i32.const 0) (i32.const 0)
      (i32.sub (i32.load8_u (i32.load (local.get $msg))) (i32.const 48))))
    (local.set $out (global.get $heap))
    (block $done
      (loop $next
        (local.set $r (call $db_next (local.get $it)))
        ;; the end is an entry of 8 zero bytes (two empty sections)
        (br_if $done (i32.eq (i32.load offset=8 (local.get $r)) (i32.const 8)))
        (memory.copy (i32.add (i32.const 3000) (local.get $len))
          (i32.load (local.get $r)) (i32.load offset=8 (local.get $r)))
        (local.set $len (i32.add (local.get $len) (i32.load offset=8 (local.get $r))))
        (br $next)))
    (call $region (i32.const 3000) (local.get $len)))
`

func TestStorageImports(t *testing.T) {
	v := newVM(t)
	c := store(t, v, module(t, kv))
	s := newState(t)
	res, err := call(t, v, c, "instantiate", `"v"`, s, 10_000_000)
	require.NoError(t, err)
	var cr ContractResult
	require.NoError(t, json.Unmarshal(res.JSON, &cr))
	require.NotNil(t, cr.Ok)
	require.Positive(t, res.GasUsed)

	got, err := s.Get([]byte("k"))
	require.NoError(t, err)
	require.Equal(t, `"v"`, string(got))
	has, err := s.Has([]byte("a2"))
	require.NoError(t, err)
	require.False(t, has, "db_remove")

	res, err = call(t, v, c, "execute", `{}`, s, 10_000_000)
	require.NoError(t, err)
	require.Equal(t, `"v"`, string(res.JSON))

	sec := func(parts ...string) string {
		var bs [][]byte
		for _, p := range parts {
			bs = append(bs, []byte(p))
		}
		return string(encodeSections(bs...))
	}
	res, err = call(t, v, c, "query", `1`, s, 10_000_000)
	require.NoError(t, err)
	require.Equal(t, sec("a1", `"v"`)+sec("a3", `"v"`)+sec("k", `"v"`), string(res.JSON))
	res, err = call(t, v, c, "query", `2`, s, 10_000_000)
	require.NoError(t, err)
	require.Equal(t, sec("k", `"v"`)+sec("a3", `"v"`)+sec("a1", `"v"`), string(res.JSON))
}

func TestGasIsDeterministicAndBounded(t *testing.T) {
	v := newVM(t)
	loop := module(t, `
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (call $okResponse))`)
	c := store(t, v, loop)
	var used []uint64
	for range 2 {
		res, err := call(t, v, c, "instantiate", `{}`, newState(t), 5_000_000)
		require.ErrorIs(t, err, ErrOutOfGas)
		used = append(used, res.GasUsed)
	}
	require.Equal(t, used[0], used[1])
	require.LessOrEqual(t, used[0], uint64(5_000_000))

	// A terminating call uses the same gas every time.
	kc := store(t, v, module(t, kv))
	var g []uint64
	for range 3 {
		res, err := call(t, v, kc, "instantiate", `"value"`, newState(t), 10_000_000)
		require.NoError(t, err)
		g = append(g, res.GasUsed)
	}
	require.Equal(t, g[0], g[1])
	require.Equal(t, g[1], g[2])
	// With less gas than it needs, it stops with out of gas, not a trap.
	_, err := call(t, v, kc, "instantiate", `"value"`, newState(t), g[0]-1)
	require.ErrorIs(t, err, ErrOutOfGas)
}

func TestTrapsAndLimits(t *testing.T) {
	v := newVM(t)
	cases := []struct {
		name string
		body string
		gas  uint64
		want error
		text string
	}{
		{"abort", `
  (import "env" "abort" (func $abort (param i32)))
  (data (i32.const 2000) "panicked at 'no'")
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (call $abort (call $region (i32.const 2000) (i32.const 16)))
    (call $okResponse))`, 10_000_000, ErrTrap, "panicked at 'no'"},
		{"unreachable", `
  (func (export "instantiate") (param i32 i32 i32) (result i32) unreachable)`, 10_000_000, ErrTrap, "unreachable"},
		{"memory bomb hits the limit", `
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)`, 1 << 40, ErrTrap, "unreachable"},
		{"memory bomb runs out of gas first", `
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (loop $grow
      (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    unreachable)`, 3_000_000, ErrOutOfGas, ""},
		{"region outside memory", `
  (import "env" "db_read" (func $db_read (param i32) (result i32)))
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (drop (call $db_read (i32.const 999999999)))
    (call $okResponse))`, 10_000_000, ErrMemory, "region pointer"},
		{"region longer than capacity", `
  (import "env" "db_read" (func $db_read (param i32) (result i32)))
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (local $r i32)
    (local.set $r (call $region (i32.const 2000) (i32.const 4)))
    (i32.store offset=8 (local.get $r) (i32.const 100))
    (drop (call $db_read (local.get $r)))
    (call $okResponse))`, 10_000_000, ErrMemory, "exceeds capacity"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := store(t, v, module(t, tc.body))
			s := newState(t)
			_, err := call(t, v, c, "instantiate", `{}`, s, tc.gas)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.text)
			require.NotContains(t, err.Error(), "goroutine")
		})
	}
	// A query cannot write: the store it gets is read-only.
	c := store(t, v, module(t, kv))
	_, err := v.Call(context.Background(), Call{Code: c.Hash, Entry: "instantiate", Env: testEnv,
		Info: &MessageInfo{Sender: "herm1x", Funds: []Coin{}}, Msg: []byte(`1`), Store: readOnlyStore{newState(t)}, GasLimit: 10_000_000})
	require.ErrorIs(t, err, ErrTrap)
	require.ErrorContains(t, err, "read-only")
	// An entry point the contract lacks.
	_, err = call(t, v, store(t, v, module(t, instantiateOnly)), "migrate", `{}`, newState(t), 1_000_000)
	require.ErrorIs(t, err, ErrNoEntryPoint)
}

type readOnlyStore struct{ state.Store }

func (readOnlyStore) Set(_, _ []byte) error { return state.ErrReadOnly }
func (readOnlyStore) Delete(_ []byte) error { return state.ErrReadOnly }

// cryptoContract passes its message sections to a verification import and
// answers the import's result code as a single byte.
func cryptoContract(imp string) string {
	return fmt.Sprintf(`
  (import "env" "%[1]s" (func $verify (param i32 i32 i32) (result i32)))
  (func (export "instantiate") (param $env i32) (param $info i32) (param $msg i32) (result i32)
    (local $p i32) (local $l1 i32) (local $l2 i32) (local $l3 i32) (local $base i32)
    ;; the message is a ‖ b ‖ c ‖ u8 len(a) ‖ u8 len(b) ‖ u8 len(c)... with 2-byte lengths
    (local.set $base (i32.load (local.get $msg)))
    (local.set $p (i32.add (local.get $base) (i32.load offset=8 (local.get $msg))))
    (local.set $l1 (i32.load16_u (i32.sub (local.get $p) (i32.const 6))))
    (local.set $l2 (i32.load16_u (i32.sub (local.get $p) (i32.const 4))))
    (local.set $l3 (i32.load16_u (i32.sub (local.get $p) (i32.const 2))))
    (i32.store8 (i32.const 2500) (call $verify
      (call $region (local.get $base) (local.get $l1))
      (call $region (i32.add (local.get $base) (local.get $l1)) (local.get $l2))
      (call $region (i32.add (i32.add (local.get $base) (local.get $l1)) (local.get $l2)) (local.get $l3))))
    (call $region (i32.const 2500) (i32.const 1)))
`, imp)
}

func packArgs(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	for _, p := range parts {
		out = append(out, byte(len(p)), byte(len(p)>>8))
	}
	return out
}

func TestCryptoImports(t *testing.T) {
	v := newVM(t)
	ed := store(t, v, module(t, cryptoContract("ed25519_verify")))
	secp := store(t, v, module(t, cryptoContract("secp256k1_verify")))

	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	msg := []byte("reading 42")
	sig := ed25519.Sign(priv, msg)

	sk, err := secp256k1.GeneratePrivateKey()
	require.NoError(t, err)
	hash := sha256.Sum256(msg)
	compact := ecdsa.SignCompact(sk, hash[:], true)[1:]

	bad := func(b []byte) []byte { c := bytes.Clone(b); c[0] ^= 1; return c }
	cases := []struct {
		name string
		code Code
		args []byte
		want byte
	}{
		{"ed25519 valid", ed, packArgs(msg, sig, pub), verified},
		{"ed25519 wrong message", ed, packArgs([]byte("reading 43"), sig, pub), notVerified},
		{"ed25519 bad signature", ed, packArgs(msg, bad(sig), pub), notVerified},
		{"ed25519 short key", ed, packArgs(msg, sig, pub[:31]), errPubKeyFormat},
		{"secp256k1 valid", secp, packArgs(hash[:], compact, sk.PubKey().SerializeCompressed()), verified},
		{"secp256k1 uncompressed key", secp, packArgs(hash[:], compact, sk.PubKey().SerializeUncompressed()), verified},
		{"secp256k1 wrong hash", secp, packArgs(bad(hash[:]), compact, sk.PubKey().SerializeCompressed()), notVerified},
		{"secp256k1 bad key", secp, packArgs(hash[:], compact, append([]byte{0x05}, sk.PubKey().SerializeCompressed()[1:]...)), errPubKeyFormat},
		{"secp256k1 other key", secp, packArgs(hash[:], compact, bad(sk.PubKey().SerializeCompressed())), notVerified},
		{"secp256k1 short hash", secp, packArgs(hash[:31], compact, sk.PubKey().SerializeCompressed()), errHashFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := call(t, v, tc.code, "instantiate", string(tc.args), newState(t), 50_000_000)
			require.NoError(t, err)
			require.Equal(t, []byte{tc.want}, res.JSON)
		})
	}
}

func TestAddressImports(t *testing.T) {
	v := newVM(t)
	c := store(t, v, module(t, `
  (import "env" "addr_canonicalize" (func $canon (param i32 i32) (result i32)))
  (import "env" "addr_humanize" (func $human (param i32 i32) (result i32)))
  (func (export "instantiate") (param $env i32) (param $info i32) (param $msg i32) (result i32)
    (local $canon i32) (local $human i32) (local $err i32)
    (local.set $canon (call $allocate (i32.const 64)))
    (local.set $err (call $canon (local.get $msg) (local.get $canon)))
    (if (local.get $err) (then (return (local.get $err))))
    (local.set $human (call $allocate (i32.const 100)))
    (local.set $err (call $human (local.get $canon) (local.get $human)))
    (if (local.get $err) (then (return (local.get $err))))
    (local.get $human))`))
	addr := "herm13ar24tunu6j7wqga62aafl3wy4f05caxl97z7c"
	res, err := call(t, v, c, "instantiate", addr, newState(t), 10_000_000)
	require.NoError(t, err)
	require.Equal(t, addr, string(res.JSON), "canonicalize then humanize is the identity")
	for _, bad := range []string{"cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu", "herm1xyz", strings.ToUpper(addr[:10]) + addr[10:]} {
		res, err := call(t, v, c, "instantiate", bad, newState(t), 10_000_000)
		require.NoError(t, err)
		require.Contains(t, string(res.JSON), "invalid address")
	}
}
