package app

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/contract/contracttest"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// The gas schedule is calibrated to time: one unit of transaction gas is
// about one nanosecond of one core of the reference machine (docs/gas.md).
// BenchmarkGasSchedule measures, for every priced operation, how many
// nanoseconds a unit of gas buys, executing whole transactions in blocks
// (FinalizeBlock and Commit, with the enclave, as a validator does):
//
//	ns/gas      the block's time over the gas its transactions used: the
//	            figure the schedule aims to keep at or under 1 (and at
//	            least about 0.5, so that nothing is overpriced by more
//	            than 2×)
//	ns/op       the time of one operation (one loop iteration of the
//	            contract workloads: one host call, one pass of a loop)
//	gas/op      the transaction gas one operation costs
//
// Contract workloads run a WAT contract whose execute repeats one
// operation K times; their gas/op and ns/op are the difference between
// a transaction of K operations and one of a single operation, so the
// call's own overhead drops out. Run it with
//
//	go test ./app -run '^$' -bench GasSchedule -benchtime 10x -count 6
//
// and compare ns/gas (and ns/op against gas/op) across the table.
func BenchmarkGasSchedule(b *testing.B) {
	for _, w := range contractWorkloads(b) {
		b.Run("wasm/"+w.name, func(b *testing.B) { benchWorkload(b, w) })
	}
	b.Run("tx/send-ed25519", func(b *testing.B) { benchSends(b, keys.KeyEd25519, 0) })
	b.Run("tx/send-p256", func(b *testing.B) { benchSends(b, keys.KeyP256, 0) })
	b.Run("tx/send-fresh", func(b *testing.B) { benchSends(b, keys.KeyEd25519, -1) })
	b.Run("tx/send-memo256", func(b *testing.B) { benchSends(b, keys.KeyEd25519, tx.MaxMemoBytes) })
	b.Run("tx/execute-64KiB-msg", func(b *testing.B) { benchBigMsg(b, 64<<10) })
	b.Run("call/wat-plaintext", func(b *testing.B) { benchCallOverhead(b, true) })
	b.Run("call/wat-confidential", func(b *testing.B) { benchCallOverhead(b, false) })
	b.Run("store/wat", func(b *testing.B) { benchStoreCode(b, "wat") })
	b.Run("store/wat-sync", func(b *testing.B) { benchStoreCode(b, "wat-sync") })
	b.Run("store/wat-deferred", func(b *testing.B) { benchStoreCode(b, "wat-deferred") })
	b.Run("store/go-token", func(b *testing.B) { benchStoreCode(b, "go-token") })
}

// workload is a contract's loop body and what it needs.
type workload struct {
	name  string
	setup string // WAT run once before the loop
	body  string // WAT run K times
	k     int    // operations per timed transaction
	init  string // instantiate message (the workload's "r" value length)
	// forever: the body never ends (the tight loop); measured at the
	// transaction's gas limit only.
	forever bool
}

// Memory layout of the workload contracts (8 pages, 512 KiB):
//
//	0x0100  regions, 16 bytes apart
//	0x1000  key "r"; 0x1010 an 8-byte key the loop numbers
//	0x1100  a bech32 address; 0x1200 its 20 canonical bytes
//	0x1300  an output buffer (128 bytes)
//	0x1400  hash/message, 0x1500 signature, 0x1600 public key
//	0x2000  batch messages, 0x3000 batch signatures, 0x4000 batch keys
//	0x8000  the response
//	0x10000 a 128 KiB value buffer; fill and copy work in 0x10000-0x30000
//	0x40000 the allocator's arena, reused round-robin
const workloadWAT = `(module
  (type $v (func))
  (import "env" "db_read" (func $db_read (param i32) (result i32)))
  (import "env" "db_write" (func $db_write (param i32 i32)))
  (import "env" "db_remove" (func $db_remove (param i32)))
  (import "env" "db_scan" (func $db_scan (param i32 i32 i32) (result i32)))
  (import "env" "db_next" (func $db_next (param i32) (result i32)))
  (import "env" "addr_validate" (func $addr_validate (param i32) (result i32)))
  (import "env" "addr_canonicalize" (func $addr_canonicalize (param i32 i32) (result i32)))
  (import "env" "addr_humanize" (func $addr_humanize (param i32 i32) (result i32)))
  (import "env" "secp256k1_verify" (func $secp256k1_verify (param i32 i32 i32) (result i32)))
  (import "env" "secp256k1_recover_pubkey" (func $secp256k1_recover (param i32 i32 i32) (result i64)))
  (import "env" "secp256r1_verify" (func $secp256r1_verify (param i32 i32 i32) (result i32)))
  (import "env" "ed25519_verify" (func $ed25519_verify (param i32 i32 i32) (result i32)))
  (import "env" "ed25519_batch_verify" (func $ed25519_batch_verify (param i32 i32 i32) (result i32)))
  (import "env" "debug" (func $debug (param i32)))
  (import "env" "query_chain" (func $query_chain (param i32) (result i32)))
  (memory (export "memory") 8)
  (table 1 funcref)
  (elem (i32.const 0) $nop)
  (global $heap (mut i32) (i32.const 0x40000))
  (data (i32.const 0x1000) "r")
  (data (i32.const 0x1100) "%[1]s")
  (data (i32.const 0x1200) "%[2]s")
  (data (i32.const 0x1400) "%[3]s")
  (data (i32.const 0x1500) "%[4]s")
  (data (i32.const 0x1600) "%[5]s")
  (data (i32.const 0x2000) "%[6]s")
  (data (i32.const 0x3000) "%[7]s")
  (data (i32.const 0x4000) "%[8]s")
  (data (i32.const 0x8000) "{\"ok\":{\"messages\":[],\"attributes\":[],\"events\":[]}}")
  (func $allocate (export "allocate") (param $size i32) (result i32)
    (local $r i32)
    (if (i32.gt_u (i32.add (i32.add (global.get $heap) (i32.const 12)) (local.get $size)) (i32.const 0x80000))
      (then (global.set $heap (i32.const 0x40000))))
    (local.set $r (global.get $heap))
    (i32.store (local.get $r) (i32.add (local.get $r) (i32.const 12)))
    (i32.store offset=4 (local.get $r) (local.get $size))
    (i32.store offset=8 (local.get $r) (i32.const 0))
    (global.set $heap (i32.add (i32.add (local.get $r) (i32.const 12)) (local.get $size)))
    (local.get $r))
  (func (export "deallocate") (param i32))
  (func (export "interface_version_8"))
  (func $nop)
  ;; $reg makes region number $n over [ptr, ptr+len) and returns it.
  (func $reg (param $n i32) (param $ptr i32) (param $len i32) (result i32)
    (local $r i32)
    (local.set $r (i32.add (i32.const 0x100) (i32.mul (local.get $n) (i32.const 16))))
    (i32.store (local.get $r) (local.get $ptr))
    (i32.store offset=4 (local.get $r) (local.get $len))
    (i32.store offset=8 (local.get $r) (local.get $len))
    (local.get $r))
  ;; $num reads the decimal digits that start a message region.
  (func $num (param $msg i32) (result i32)
    (local $p i32) (local $end i32) (local $n i32) (local $c i32)
    (local.set $p (i32.load (local.get $msg)))
    (local.set $end (i32.add (local.get $p) (i32.load offset=8 (local.get $msg))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $c (i32.load8_u (local.get $p)))
      (br_if $done (i32.or (i32.lt_u (local.get $c) (i32.const 48)) (i32.gt_u (local.get $c) (i32.const 57))))
      (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next)))
    (local.get $n))
  ;; instantiate: "r" gets a value of as many bytes as the message says,
  ;; and 1,000 entries "e" ‖ u32 of 32 bytes are written for iteration.
  (func (export "instantiate") (param i32) (param i32) (param $msg i32) (result i32)
    (local $i i32)
    (call $db_write (call $reg (i32.const 0) (i32.const 0x1000) (i32.const 1))
      (call $reg (i32.const 1) (i32.const 0x10000) (call $num (local.get $msg))))
    (i32.store8 (i32.const 0x1010) (i32.const 101))
    (block $done (loop $l
      (i32.store offset=1 (i32.const 0x1010) (local.get $i))
      (call $db_write (call $reg (i32.const 2) (i32.const 0x1010) (i32.const 5))
        (call $reg (i32.const 3) (i32.const 0x10000) (i32.const 32)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $done (i32.eq (local.get $i) (i32.const 1000)))
      (br $l)))
    (call $reg (i32.const 15) (i32.const 0x8000) (i32.const 50)))
  ;; execute repeats the body as many times as the message says (0: until
  ;; the gas runs out).
  (func (export "execute") (param i32) (param i32) (param $msg i32) (result i32)
    (local $k i32) (local $i i32) (local $x i64) (local $f f64) (local $r i32) (local $it i32)
    (local.set $k (call $num (local.get $msg)))
    (local.set $f (f64.const 1))
    %[9]s
    (block $done (loop $l
      %[10]s
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $done (i32.eq (local.get $i) (local.get $k)))
      (br $l)))
    (drop (local.get $x)) (drop (local.get $f)) (drop (local.get $r)) (drop (local.get $it))
    (call $reg (i32.const 15) (i32.const 0x8000) (i32.const 50)))
)`

// watBytes escapes bytes for a WAT string.
func watBytes(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "\\%02x", c)
	}
	return s.String()
}

func sections(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
	}
	return out
}

// workloadData is the data the crypto and address workloads need.
type workloadData struct {
	addr, canon                 string
	hash, edMsg                 []byte
	edSig, edPub                []byte
	k1Sig, k1Pub                []byte
	r1Sig, r1Pub                []byte
	batchMsgs, batchSigs, batch []byte
}

const batchItems = 8

func newWorkloadData(t testing.TB) workloadData {
	var d workloadData
	k := genKey(t, keys.KeyEd25519)
	d.addr = k.PubKey().Address().String()
	canon := k.PubKey().Address()
	d.canon = string(canon[:])
	h := sha256.Sum256([]byte("reading 42"))
	d.hash = h[:]
	d.edMsg = d.hash
	pub, priv, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	d.edSig, d.edPub = ed25519.Sign(priv, d.edMsg), pub
	sk, err := secp256k1.GeneratePrivateKey()
	require.NoError(t, err)
	d.k1Sig = secpecdsa.SignCompact(sk, d.hash, true)[1:]
	d.k1Pub = sk.PubKey().SerializeCompressed()
	pk, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	r, s, err := ecdsa.Sign(rand.Reader, pk, d.hash)
	require.NoError(t, err)
	if half := new(big.Int).Rsh(elliptic.P256().Params().N, 1); s.Cmp(half) > 0 {
		s.Sub(elliptic.P256().Params().N, s)
	}
	d.r1Sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	d.r1Pub = elliptic.MarshalCompressed(elliptic.P256(), pk.X, pk.Y)
	var msgs, sigs, pubs [][]byte
	for i := range batchItems {
		m := []byte(fmt.Sprintf("batch message %02d", i))
		msgs, sigs, pubs = append(msgs, m), append(sigs, ed25519.Sign(priv, m)), append(pubs, pub)
	}
	d.batchMsgs, d.batchSigs, d.batch = sections(msgs...), sections(sigs...), sections(pubs...)
	return d
}

func (d workloadData) module(t testing.TB, w workload) []byte {
	src := fmt.Sprintf(workloadWAT, d.addr, watBytes([]byte(d.canon)), watBytes(d.hash),
		watBytes(d.sigFor(w.name)), watBytes(d.pubFor(w.name)),
		watBytes(d.batchMsgs), watBytes(d.batchSigs), watBytes(d.batch), w.setup, w.body)
	bin, err := wat.Compile(src)
	require.NoError(t, err, w.name)
	return bin
}

func (d workloadData) sigFor(name string) []byte {
	switch {
	case strings.HasPrefix(name, "host-secp256k1"):
		return d.k1Sig
	case strings.HasPrefix(name, "host-secp256r1"):
		return d.r1Sig
	}
	return d.edSig
}

func (d workloadData) pubFor(name string) []byte {
	switch {
	case strings.HasPrefix(name, "host-secp256k1"):
		return d.k1Pub
	case strings.HasPrefix(name, "host-secp256r1"):
		return d.r1Pub
	}
	return d.edPub
}

// Region helpers for loop bodies.
const (
	regKey   = `(call $reg (i32.const 4) (i32.const 0x1000) (i32.const 1))`
	regKey8  = `(call $reg (i32.const 5) (i32.const 0x1010) (i32.const 8))`
	regAddr  = `(call $reg (i32.const 6) (i32.const 0x1100) (i32.const %d))`
	regCanon = `(call $reg (i32.const 7) (i32.const 0x1200) (i32.const 20))`
	regOut   = `(call $reg (i32.const 8) (i32.const 0x1300) (i32.const 128))`
	regHash  = `(call $reg (i32.const 9) (i32.const 0x1400) (i32.const 32))`
	regSig   = `(call $reg (i32.const 10) (i32.const 0x1500) (i32.const 64))`
	regPub   = `(call $reg (i32.const 11) (i32.const 0x1600) (i32.const %d))`
)

// chaseWorkload makes dependent loads at random over kib KiB of memory (a
// cycle through kib×256 slots the setup writes, placed above the
// workload's 512 KiB), eight to an operation in one straight-line run:
// each load waits for the one before, so every load pays the latency of
// wherever in the cache hierarchy its slot is, and the run's own cost is
// shared by eight.
func chaseWorkload(kib int) workload {
	slots := kib << 8
	name := fmt.Sprintf("memory-chase-%dKiB", kib)
	if kib >= 1024 {
		name = fmt.Sprintf("memory-chase-%dMiB", kib>>10)
	}
	load := `(local.get $r)`
	for range 8 {
		load = `(i32.load ` + load + `)`
	}
	return workload{
		name: name,
		setup: fmt.Sprintf(`(drop (memory.grow (i32.const %d)))
    (block $s (loop $sl
      (local.set $it (i32.and (i32.add (i32.mul (local.get $r) (i32.const 1664525)) (i32.const 1013904223)) (i32.const %d)))
      (i32.store (i32.add (i32.const 0x80000) (i32.shl (local.get $r) (i32.const 2)))
        (i32.add (i32.const 0x80000) (i32.shl (local.get $it) (i32.const 2))))
      (local.set $r (local.get $it))
      (br_if $s (i32.eqz (local.get $r)))
      (br $sl)))
    (local.set $r (i32.const 0x80000))`, max(1, kib/64), slots-1),
		body: `(local.set $r ` + load + `)`,
		k:    250_000,
	}
}

// nest wraps inner in format n times (format has one %s).
func nest(format, inner string, n int) string {
	for range n {
		inner = fmt.Sprintf(format, inner)
	}
	return inner
}

func contractWorkloads(t testing.TB) []workload {
	d := newWorkloadData(t)
	addr := fmt.Sprintf(regAddr, len(d.addr))
	value := func(n int) string {
		return fmt.Sprintf(`(call $reg (i32.const 12) (i32.const 0x10000) (i32.const %d))`, n)
	}
	writeBody := func(n int) string {
		return `(i64.store (i32.const 0x1010) (i64.extend_i32_u (local.get $i)))
      (call $db_write ` + regKey8 + ` ` + value(n) + `)`
	}
	verify := func(fn string, pubLen int) string {
		return fmt.Sprintf(`(drop (call $%s %s %s %s))`, fn, regHash, regSig, fmt.Sprintf(regPub, pubLen))
	}
	batch := `(drop (call $ed25519_batch_verify
        (call $reg (i32.const 13) (i32.const 0x2000) (i32.const ` + fmt.Sprint(len(d.batchMsgs)) + `))
        (call $reg (i32.const 14) (i32.const 0x3000) (i32.const ` + fmt.Sprint(len(d.batchSigs)) + `))
        (call $reg (i32.const 16) (i32.const 0x4000) (i32.const ` + fmt.Sprint(len(d.batch)) + `))))`
	return []workload{
		// Instructions. The tight loop is CosmWasm's cpu_loop: one branch.
		{name: "tight-loop", body: `(loop $t (br $t))`, forever: true},
		{name: "count-loop", body: ``, k: 2_000_000},
		{name: "memory-loop", body: `(i64.store (i32.or (i32.const 0x10000) (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 0x1fff8)))
      (i64.add (local.get $x) (i64.load (i32.or (i32.const 0x10000) (i32.and (i32.mul (local.get $i) (i32.const 4104)) (i32.const 0x1fff8))))))`, k: 1_000_000},
		// Dependent loads at random over a memory of 1–16 MiB.
		chaseWorkload(16), chaseWorkload(256), chaseWorkload(1 << 10), chaseWorkload(2 << 10), chaseWorkload(4 << 10),
		chaseWorkload(8 << 10), chaseWorkload(16 << 10), chaseWorkload(31 << 10),
		// Dependent chains of the integer instructions with the longest
		// latency, 16 to a run.
		{name: "mul-chain", body: `(local.set $x ` + nest(`(i64.mul %s (i64.const 0x9E3779B97F4A7C15))`, `(local.get $x)`, 16) + `)`, k: 250_000},
		{name: "add-chain", body: `(local.set $x ` + nest(`(i64.add %s (i64.const 7))`, `(local.get $x)`, 16) + `)`, k: 250_000},
		{name: "fadd-chain", body: `(local.set $f ` + nest(`(f64.add %s (f64.const 1.5))`, `(local.get $f)`, 16) + `)`, k: 250_000},
		{name: "div-chain", body: `(local.set $x ` + nest(`(i64.div_u (i64.const -1) (i64.or %s (i64.const 3)))`, `(local.get $x)`, 16) + `)`, k: 100_000},
		{name: "call-loop", body: `(call $nop)`, k: 1_000_000},
		{name: "call-indirect-loop", body: `(call_indirect (type $v) (i32.const 0))`, k: 1_000_000},
		{name: "float-loop", body: `(local.set $f (f64.sqrt (f64.add (f64.div (local.get $f) (f64.const 3)) (f64.const 1.5))))`, k: 1_000_000},
		{name: "div-loop", body: `(local.set $x (i64.add (local.get $x) (i64.div_u (i64.const -1) (i64.extend_i32_u (i32.or (local.get $i) (i32.const 1))))))`, k: 1_000_000},
		{name: "br-table-loop", body: `(block $a (block $b (block $c (br_table $a $b $c (i32.and (local.get $i) (i32.const 3))))))`, k: 1_000_000},
		{name: "local-loop", body: `(local.set $x (i64.xor (i64.add (local.get $x) (i64.const 7)) (i64.shl (local.get $x) (i64.const 3))))
      (local.set $x (i64.xor (i64.add (local.get $x) (i64.const 7)) (i64.shl (local.get $x) (i64.const 3))))
      (local.set $x (i64.xor (i64.add (local.get $x) (i64.const 7)) (i64.shl (local.get $x) (i64.const 3))))`, k: 1_000_000},
		// Bulk memory and growth.
		{name: "memory-fill-64KiB", body: `(memory.fill (i32.const 0x10000) (local.get $i) (i32.const 0x10000))`, k: 2_000},
		{name: "memory-copy-64KiB", body: `(memory.copy (i32.const 0x10000) (i32.const 0x20000) (i32.const 0x10000))`, k: 2_000},
		{name: "memory-grow-page", body: `(drop (memory.grow (i32.const 1)))`, k: 400},
		{name: "memory-grow-16-pages", body: `(drop (memory.grow (i32.const 16)))`, k: 25},
		// Host functions.
		{name: "host-db_read-1B", body: `(drop (call $db_read ` + regKey + `))`, k: 20_000, init: "1"},
		{name: "host-db_read-64KiB", body: `(drop (call $db_read ` + regKey + `))`, k: 200, init: "65536"},
		{name: "host-db_read-missing", body: `(drop (call $db_read ` + regKey8 + `))`, k: 20_000, init: "1"},
		{name: "host-db_write-1B", body: writeBody(1), k: 10_000},
		{name: "host-db_write-64KiB", body: writeBody(65536), k: 100},
		{name: "host-db_remove", body: `(i64.store (i32.const 0x1010) (i64.extend_i32_u (local.get $i)))
      (call $db_remove ` + regKey8 + `)`, k: 2_000},
		{name: "host-db_scan", body: `(drop (call $db_scan (i32.const 0) (i32.const 0) (i32.const 1)))`, k: 100},
		{name: "host-db_next", setup: `(local.set $it (call $db_scan (i32.const 0) (i32.const 0) (i32.const 1)))`,
			body: `(local.set $r (call $db_next (local.get $it)))
      (if (i32.eq (i32.load offset=8 (local.get $r)) (i32.const 8))
        (then (local.set $it (call $db_scan (i32.const 0) (i32.const 0) (i32.const 1)))))`, k: 10_000},
		{name: "host-addr_validate", body: `(drop (call $addr_validate ` + addr + `))`, k: 20_000},
		{name: "host-addr_canonicalize", body: `(drop (call $addr_canonicalize ` + addr + ` ` + regOut + `))`, k: 20_000},
		{name: "host-addr_humanize", body: `(drop (call $addr_humanize ` + regCanon + ` ` + regOut + `))`, k: 20_000},
		{name: "host-secp256k1_verify", body: verify("secp256k1_verify", 33), k: 200},
		{name: "host-secp256k1_recover_pubkey", body: `(drop (call $secp256k1_recover ` + regHash + ` ` + regSig + ` (i32.const 0)))`, k: 200},
		{name: "host-secp256r1_verify", body: verify("secp256r1_verify", 33), k: 200},
		{name: "host-ed25519_verify", body: verify("ed25519_verify", 32), k: 300},
		{name: "host-ed25519_batch_verify-8", body: batch, k: 50},
		{name: "host-debug", body: `(call $debug ` + regOut + `)`, k: 20_000},
		{name: "host-query_chain", body: `(drop (call $query_chain ` + regOut + `))`, k: 20_000},
	}
}

// gasHarness is a harness whose block takes any gas.
func gasHarness(b *testing.B) *harness {
	h := newHarness(b)
	h.app.maxGas = -1
	return h
}

// signer sends transactions with increasing sequences.
type signer struct {
	h   *harness
	k   keys.PrivKey
	seq uint64
}

func (s *signer) tx(gas uint64, msgs ...tx.Msg) []byte {
	raw := s.h.txWith(s.k, func(t *tx.Tx) {
		t.Sequence = s.seq
		t.GasLimit = gas
		t.Fee.Amount = DefaultParams().MinFee(gas)
	}, msgs...)
	s.seq++
	return raw
}

// deploy stores and instantiates a contract and returns its address.
func deploy(b *testing.B, s *signer, wasm []byte, init string) keys.ContractAddress {
	alice := s.k.PubKey().Address()
	r := s.h.block(s.tx(MaxGasPerTx, &tx.MsgStoreCode{Sender: alice, WASM: wasm}))
	require.Zero(b, r.TxResults[0].Code, r.TxResults[0].Log)
	id := uint64(0)
	_, err := fmt.Sscan(string(mustData(b, r.TxResults[0].Data)), &id)
	require.NoError(b, err)
	s.h.untilReady(id)
	if init == "" {
		init = "32"
	}
	r = s.h.block(s.tx(MaxGasPerTx, &tx.MsgInstantiate{Sender: alice, CodeID: id, Label: fmt.Sprint("w", s.seq), Msg: []byte(init), Plaintext: true}))
	require.Zero(b, r.TxResults[0].Code, r.TxResults[0].Log)
	n := uint64(0)
	for a := uint64(1); ; a++ { // the newest contract of this code
		if _, err := s.h.app.ContractInfo(compute.Address(id, a)); err != nil {
			break
		}
		n = a
	}
	return compute.Address(id, n)
}

func mustData(b testing.TB, data []byte) []byte {
	// data is a JSON list of base64 entries; the first is the code id.
	var list [][]byte
	require.NoError(b, json.Unmarshal(data, &list))
	return list[0]
}

func benchWorkload(b *testing.B, w workload) {
	h := gasHarness(b)
	d := newWorkloadData(b)
	s := &signer{h: h, k: h.alice}
	contract := deploy(b, s, d.module(b, w), w.init)
	alice := h.alice.PubKey().Address()
	exec := func(k int, gas uint64) []byte {
		return s.tx(gas, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: []byte(fmt.Sprint(k)), Plaintext: true})
	}
	if w.forever {
		// At the transaction's gas limit: the slowest per gas.
		const gas = 20_000_000
		var used int64
		for b.Loop() {
			b.StopTimer()
			raw := exec(0, gas)
			b.StartTimer()
			r := h.block(raw)
			if r.TxResults[0].Code != Code(ErrOutOfGas) {
				b.Fatalf("code %d: %s", r.TxResults[0].Code, r.TxResults[0].Log)
			}
			used += r.TxResults[0].GasUsed
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(used), "ns/gas")
		return
	}
	// One operation, untimed: the call's own gas.
	r := h.block(exec(1, MaxGasPerTx))
	require.Zero(b, r.TxResults[0].Code, r.TxResults[0].Log)
	base := r.TxResults[0].GasUsed
	start := time.Now()
	r = h.block(exec(1, MaxGasPerTx))
	baseTime := time.Since(start)
	var used int64
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		raw := exec(w.k, MaxGasPerTx)
		b.StartTimer()
		start := time.Now()
		r := h.block(raw)
		elapsed += time.Since(start)
		if r.TxResults[0].Code != 0 {
			b.Fatalf("code %d: %s", r.TxResults[0].Code, r.TxResults[0].Log)
		}
		used = r.TxResults[0].GasUsed
	}
	n := float64(b.N)
	b.ReportMetric(float64(elapsed.Nanoseconds())/(n*float64(used)), "ns/gas")
	b.ReportMetric((float64(elapsed.Nanoseconds())/n-float64(baseTime.Nanoseconds()))/float64(w.k-1), "ns/op")
	b.ReportMetric(float64(used-base)/float64(w.k-1), "gas/op")
}

// benchSends: blocks of 1,000 bank sends, with a memo of memo bytes, or
// (memo < 0) each to a new account.
func benchSends(b *testing.B, typ keys.KeyType, memo int) {
	const perBlock = 1000
	h := gasHarness(b)
	from := h.alice
	if typ == keys.KeyP256 {
		from = h.dave
	}
	to := genKey(b, keys.KeyEd25519)
	seq := uint64(0)
	measureBlocks(b, h, perBlock, func() []byte {
		if memo < 0 { // every send to a new account: a new key in the tree
			to = genKey(b, keys.KeyEd25519)
		}
		raw := h.txWith(from, func(t *tx.Tx) {
			t.Sequence, t.Memo = seq, strings.Repeat("m", max(memo, 0))
			t.GasLimit = 1_000_000
			t.Fee.Amount = DefaultParams().MinFee(t.GasLimit)
		}, send(from, to, 1))
		seq++
		return raw
	})
}

// benchBigMsg: executes of the count-loop contract (one pass) with a
// plaintext message of n bytes (1 and spaces; the contract reads the 1): the
// per-byte cost of a transaction and of its message.
func benchBigMsg(b *testing.B, n int) {
	h := gasHarness(b)
	d := newWorkloadData(b)
	s := &signer{h: h, k: h.alice}
	contract := deploy(b, s, d.module(b, workload{name: "count-loop"}), "")
	alice := h.alice.PubKey().Address()
	msg := append([]byte{'1'}, bytes.Repeat([]byte{' '}, n-1)...)
	measureBlocks(b, h, 20, func() []byte {
		return s.tx(MaxGasPerTx, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: msg, Plaintext: true})
	})
}

// benchCallOverhead: blocks of 100 executes of the count-loop contract's
// single pass, plaintext or encrypted (a wallet reusing its key): the
// contract call's own cost (GasContractCall and the transaction's).
func benchCallOverhead(b *testing.B, plaintext bool) {
	h := gasHarness(b)
	d := newWorkloadData(b)
	s := &signer{h: h, k: h.alice}
	contract := deploy(b, s, d.module(b, workload{name: "count-loop"}), "")
	alice := h.alice.PubKey().Address()
	info, err := h.app.ContractInfo(contract)
	require.NoError(b, err)
	ci, err := h.app.CodeInfo(info.CodeID)
	require.NoError(b, err)
	hash, err := ci.Hash()
	require.NoError(b, err)
	nk, err := h.enc.NetworkKeys()
	require.NoError(b, err)
	wallet := make([]byte, 32)
	_, _ = rand.Read(wallet)
	measureBlocks(b, h, 100, func() []byte {
		m := &tx.MsgExecute{Sender: alice, Contract: contract, Msg: []byte("1"), Plaintext: plaintext}
		if !plaintext {
			nonce := make([]byte, 32)
			_, _ = rand.Read(nonce)
			m.Msg, _, err = cryptobox.SealInput(wallet, nonce, nk.TxKey, hash, []byte("1"))
			require.NoError(b, err)
		}
		return s.tx(1_000_000, m)
	})
}

// measureBlocks executes blocks of perBlock transactions, each made by mk
// outside the timer, until the benchmark has its measure; every
// transaction must succeed. It reports ns/gas, and ns and gas per
// transaction.
func measureBlocks(b *testing.B, h *harness, perBlock int, mk func() []byte) {
	var used int64
	for b.Loop() {
		b.StopTimer()
		txs := make([][]byte, perBlock)
		for i := range txs {
			txs[i] = mk()
		}
		b.StartTimer()
		r := h.block(txs...)
		for _, res := range r.TxResults {
			if res.Code != 0 {
				b.Fatal(res.Log)
			}
			used += res.GasUsed
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(used), "ns/gas")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*perBlock), "ns/op")
	b.ReportMetric(float64(used)/float64(b.N*perBlock), "gas/op")
}

// withNonce appends a custom section of random bytes, so that every
// upload is new code that the compilation cache has not seen.
func withNonce(wasm []byte) []byte {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	name := "hermetic-bench"
	payload := append([]byte{byte(len(name))}, name...)
	payload = append(payload, nonce...)
	out := append(bytes.Clone(wasm), 0, byte(len(payload)))
	return append(out, payload...)
}

// benchStoreCode: one MsgStoreCode a block, of new code each time: the
// WAT workload module (2 KB), one of 70 branchy functions of 1.8 KB (about
// as much as a block compiles, compute.SyncCompileMax), one of 12 of 31 KB
// (validated in the block, compiled in the background) or the Go token
// (gzipped, as uploaded; also compiled in the background). The background
// compilation is not done (the keeper is closed): it would run into the
// next block's time.
func benchStoreCode(b *testing.B, kind string) {
	h := gasHarness(b)
	s := &signer{h: h, k: h.alice}
	alice := h.alice.PubKey().Address()
	var raw []byte
	switch kind {
	case "go-token":
		raw = contracttest.Build(b, "../contracts/token")
	case "wat":
		raw = newWorkloadData(b).module(b, workload{name: "count-loop"})
	case "wat-sync":
		raw = fillerModule(b, 70, 50)
	case "wat-deferred":
		raw = fillerModule(b, 12, 800)
	}
	// No background compilation: it would run into the next block's time.
	h.app.compute.Close()
	var used int64
	for b.Loop() {
		b.StopTimer()
		code := withNonce(raw)
		if kind == "go-token" {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			_, _ = zw.Write(code)
			require.NoError(b, zw.Close())
			code = gz.Bytes()
		}
		t := s.tx(MaxGasPerTx, &tx.MsgStoreCode{Sender: alice, WASM: code})
		b.StartTimer()
		r := h.block(t)
		if r.TxResults[0].Code != 0 {
			b.Fatal(r.TxResults[0].Log)
		}
		used += r.TxResults[0].GasUsed
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(used), "ns/gas")
	b.ReportMetric(float64(used)/float64(b.N), "gas/op")
	b.ReportMetric(float64(len(raw)), "bytes")
}

// fillerModule is a contract of n branchy functions of m branches each
// (wat.Filler) besides its instantiate entry point.
func fillerModule(t testing.TB, n, m int) []byte {
	const ok = `{"ok":{"messages":[],"attributes":[],"events":[]}}`
	bin, err := wat.Compile(`(module` + wat.ContractPrelude + fmt.Sprintf(`
  (data (i32.const 256) %q)
  (func (export "instantiate") (param i32 i32 i32) (result i32) (call $region (i32.const 256) (i32.const %d)))
`, ok, len(ok)) + wat.Filler(n, m) + `)`)
	require.NoError(t, err)
	return bin
}

// BenchmarkGasStore measures the app's metered store accesses (gasStore)
// as the bank and staking messages make them: on a cache over a Merkle tree
// of 100,000 keys, 1,000 accesses a version, the cache written to the tree
// and the version committed (for reads too, so that the figures compare).
// Values of 8 bytes and of 4 KiB give the flat and per-byte costs.
func BenchmarkGasStore(b *testing.B) {
	const existing, perVersion = 100_000, 1_000
	open := func(b *testing.B) *state.Tree {
		tr, err := state.Open(b.TempDir(), state.Options{})
		require.NoError(b, err)
		b.Cleanup(func() { tr.Close() })
		for i := range existing {
			require.NoError(b, tr.Set(binary.BigEndian.AppendUint64([]byte{1}, uint64(i)), make([]byte, 8)))
		}
		_, _, err = tr.Commit()
		require.NoError(b, err)
		return tr
	}
	key := func(i int) []byte { return binary.BigEndian.AppendUint64([]byte{1}, uint64(i*7919%existing)) }
	run := func(b *testing.B, op func(s state.Store, i int)) {
		tr := open(b)
		meter := NewGasMeter(1 << 62)
		n := 0
		for b.Loop() {
			c := state.NewCache(tr)
			s := gasStore{parent: c, meter: meter}
			for range perVersion {
				op(s, n)
				n++
			}
			require.NoError(b, c.Write())
			_, _, err := tr.Commit()
			require.NoError(b, err)
		}
		ops := float64(b.N * perVersion)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/ops, "ns/op")
		b.ReportMetric(float64(meter.Used())/ops, "gas/op")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(meter.Used()), "ns/gas")
	}
	for _, size := range []int{8, 4096} {
		val := make([]byte, size)
		b.Run(fmt.Sprintf("write-%dB", size), func(b *testing.B) {
			run(b, func(s state.Store, i int) {
				binary.BigEndian.PutUint64(val, uint64(i))
				require.NoError(b, s.Set(key(i), val))
			})
		})
	}
	b.Run("read-8B", func(b *testing.B) {
		run(b, func(s state.Store, i int) { _, err := s.Get(key(i)); require.NoError(b, err) })
	})
	b.Run("has", func(b *testing.B) {
		run(b, func(s state.Store, i int) { _, err := s.Has(key(i)); require.NoError(b, err) })
	})
	b.Run("delete", func(b *testing.B) {
		run(b, func(s state.Store, i int) { require.NoError(b, s.Delete(key(i))) })
	})
	b.Run("iterate", func(b *testing.B) {
		var it state.Iterator
		run(b, func(s state.Store, i int) {
			if i%100 == 0 {
				if it != nil {
					it.Close()
				}
				var err error
				it, err = s.Iterator(key(i), nil, false)
				require.NoError(b, err)
			}
			it.Next()
		})
		it.Close()
	})
}

// BenchmarkFullBlock executes blocks filled to the block gas limit
// (DefaultBlockMaxGas) with the slowest transactions per gas: contract
// calls that loop until they run out of gas at the transaction's limit.
// The time of a block is what the block gas limit allows a block to take
// (docs/gas.md: at most about a second).
func BenchmarkFullBlock(b *testing.B) {
	for _, w := range contractWorkloads(b) {
		switch w.name {
		case "tight-loop", "br-table-loop", "memory-loop", "memory-chase-4MiB", "memory-chase-16MiB", "mul-chain", "call-loop", "float-loop",
			"host-db_scan", "host-ed25519_verify", "host-db_write-1B", "host-db_read-64KiB":
		default:
			continue
		}
		txs := 10
		if w.setup != "" {
			txs = 1 // the setup alone would use up a tenth of the block
		}
		{
			b.Run(fmt.Sprintf("%s/%d-txs", w.name, txs), func(b *testing.B) {
				h := gasHarness(b)
				d := newWorkloadData(b)
				s := &signer{h: h, k: h.alice}
				contract := deploy(b, s, d.module(b, w), w.init)
				alice := h.alice.PubKey().Address()
				gas := uint64(DefaultBlockMaxGas / txs)
				var used int64
				for b.Loop() {
					b.StopTimer()
					block := make([][]byte, txs)
					for i := range block {
						block[i] = s.tx(gas, &tx.MsgExecute{Sender: alice, Contract: contract, Msg: []byte("0"), Plaintext: true})
					}
					b.StartTimer()
					r := h.block(block...)
					for _, res := range r.TxResults {
						if res.Code != Code(ErrOutOfGas) {
							b.Fatalf("code %d: %s", res.Code, res.Log)
						}
						used += res.GasUsed
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(used), "ns/gas")
				b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/block")
			})
		}
	}
}
