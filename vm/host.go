package vm

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/vm/meter"
)

const (
	envModule  = "env"
	wasiModule = wasi_snapshot_preview1.ModuleName
	// GasGlobal is the exported global the metering rewrite counts gas in.
	GasGlobal = "hermetic_gas"
)

// VM gas. The gas schedule is calibrated to time (docs/gas.md): one unit of
// VM gas is about 0.1 ns of one core of the reference machine, and the app
// converts ten VM gas into one unit of transaction gas (about 1 ns). Every
// cost below was measured by app's BenchmarkGasSchedule, whose sub-benchmark
// is named next to it, and set so that a unit of gas buys at most about
// 0.1 ns (what an operation costs per unit is at most the target, give or
// take the noise of a shared machine; nothing is more than twice it).
// They are constants: part of consensus, never measured at run time.
const (
	// GasPerPage is charged per 64 KiB page memory.grow asks for, before
	// it runs: growing reallocates and copies the instance's memory and
	// drives the Go garbage collector, which must wait for the running
	// contract (wasm/memory-grow-page: 130-370 µs a page).
	GasPerPage = 3_000_000
	// GasPerCallPage is charged at the start of every call per 64 KiB page
	// of the instance's memory, up to CallPagesInCache pages: a pooled
	// instance is reset by copying its memory back from the snapshot
	// (BenchmarkGoCounter/reset: 4.5 MiB in 107 µs, 1.5 µs a page).
	GasPerCallPage = 15_000
	// CallPagesInCache is how many pages of memory GasPerCallPage covers:
	// 6 MiB, which the copy finds in the cache on this machine.
	CallPagesInCache = 96
	// GasPerCallPageBeyondCache is charged per page beyond
	// CallPagesInCache: a larger memory no longer fits the cache and its
	// copy runs at memory speed (BenchmarkPageTouch/copy: a 32 MiB memory
	// restored and every 4 KiB page of it written, 2.8-3.8 ms a call, about
	// 8.8 µs a page beyond the first 96).
	GasPerCallPageBeyondCache = 90_000
	// GasPerBulkByte: memory.copy, memory.fill, memory.init per byte
	// (wasm/memory-copy-64KiB: 0.025 ns a byte in cache; about 0.1 ns
	// beyond it, which is what is charged).
	GasPerBulkByte = 1
	// GasPerByte is charged per byte crossing the boundary (read from or
	// passed to the contract's memory), on top of the function's own cost.
	GasPerByte = 2
	// db_read: flat, and per byte of key and value (both are decrypted or
	// encrypted with AES-SIV in the enclave's view of the state).
	// host-db_read-1B 1.9 µs on a small tree, a read of a tree of 100,000
	// keys 7-20 µs (BenchmarkGasStore); host-db_read-64KiB 2.2 ns a byte.
	GasDBRead        = 80_000
	GasDBReadPerByte = 35
	// db_write and db_remove: the write reaches the Merkle tree and is
	// hashed and committed with the block. A contract's stored keys are
	// encrypted, so every new key lands at a random place in the tree: the
	// app's prices for a write of a new key (app.GasWriteFlat) and a delete
	// (app.GasDelete); per byte host-db_write-64KiB (19 ns a byte). On a
	// small tree host-db_write-1B takes 27 µs and host-db_remove of a key
	// that does not exist 11 µs.
	GasDBWrite        = 500_000
	GasDBWritePerByte = 200
	GasDBRemove       = 1_000_000
	// db_scan: flat, plus per stored entry of the contract: the enclave
	// decrypts every key of the contract's state to iterate in plaintext
	// order (host-db_scan: 1.5 ms for 1,001 entries).
	GasDBScan         = 30_000
	GasDBScanPerEntry = 20_000
	// db_next (and db_next_key, db_next_value): per entry returned, plus
	// its bytes at GasDBReadPerByte (host-db_next: 3.6 µs).
	GasDBNext = 25_000
	// Addresses (host-addr_*: 1.1, 1.9 and 1.0 µs).
	GasAddrValidate     = 15_000
	GasAddrCanonicalize = 15_000
	GasAddrHumanize     = 15_000
	// Signatures (host-secp256k1_verify 167 µs,
	// host-secp256k1_recover_pubkey 179 µs, host-secp256r1_verify 119 µs,
	// host-ed25519_verify 62 µs, host-ed25519_batch_verify-8 74 µs an
	// item); ed25519 hashes its message, per byte of every item.
	GasSecp256k1Verify  = 2_200_000
	GasSecp256k1Recover = 2_650_000
	GasSecp256r1Verify  = 1_300_000
	GasEd25519          = 700_000
	GasEd25519PerItem   = 600_000
	GasEd25519PerByte   = 40
	// query_chain (0.5 µs; contracts have no querier yet) and debug
	// (0.3 µs).
	GasQueryChain = 6_000
	GasDebug      = 3_000

	maxKey     = 64 << 10
	maxValue   = 128 << 10
	maxMessage = 1 << 20
)

// MeterConfig is the cost table contracts are instrumented with
// (vm/meter), in VM gas (about 0.1 ns each). A plain instruction costs 1;
// every run of instructions between branches pays RunCost for the
// metering code (a one-instruction loop, CosmWasm's cpu_loop, is the
// slowest code per instruction: 0.8-1.5 ns an iteration); calls, br_table,
// integer division and floating point cost what they take (app's
// BenchmarkGasSchedule, wasm/*).
func MeterConfig() meter.Config {
	c := meter.Config{RunCost: 14, GrowPageCost: GasPerPage, BulkUnitCost: GasPerBulkByte}
	for i := range c.Costs {
		c.Costs[i] = 1
	}
	c.Costs[meter.ClassCall] = 80
	c.Costs[meter.ClassCallIndirect] = 110
	c.Costs[meter.ClassIntMul] = 6
	c.Costs[meter.ClassLoad] = 0 // AccessTiers price them
	c.Costs[meter.ClassStore] = 0
	c.Costs[meter.ClassIntDiv] = 40
	c.Costs[meter.ClassFloat] = 12
	c.Costs[meter.ClassFloatDiv] = 75
	c.Costs[meter.ClassConvert] = 3
	c.Costs[meter.ClassBulk] = 10
	c.Costs[meter.ClassTable] = 2
	c.Costs[meter.ClassBrTable] = 40
	c.AccessTiers = accessTiers()
	return c
}

// accessTiers price a load or store by the size of the memory it is made
// in (meter.Config.AccessTiers), in VM gas. What bounds the time of a load
// is how far away its address can be: app's BenchmarkGasSchedule
// wasm/memory-chase-* makes dependent loads at random through a memory of
// a given size — every load waits for the last, as in a linked list a
// contract walks at random — and waits about 1.3 ns in 16 KiB (the L1
// cache), 4 ns in 256 KiB, 12 ns in 1 MiB, 12–20 ns in 2-4 MiB, 24–70 ns
// in 8 MiB (the L3 cache, which the machine's other work shares: the
// figure doubles when it is busy) and 110–140 ns in 16-31 MiB (main memory
// and a page walk), on an idle machine (2026-12-06). Each price is about
// the slowest load of its tier at 0.3 ns a VM gas, three times the
// schedule's target of 0.1 ns, so that a block of nothing but such loads
// takes about 3 s rather than the 1 s of ordinary code. Pricing them at
// the target would make a transfer of the Go token, whose 23,000 loads and
// stores mostly hit the L1 cache of a memory of 74 pages, cost about 65 %
// more rather than 17 % (docs/gas.md weighs the two).
func accessTiers() []meter.AccessTier {
	return []meter.AccessTier{
		{MaxPages: 1, Cost: 10},    // 64 KiB
		{MaxPages: 4, Cost: 20},    // 256 KiB
		{MaxPages: 16, Cost: 40},   // 1 MiB
		{MaxPages: 80, Cost: 55},   // 5 MiB: the memory of a Go contract
		{MaxPages: 128, Cost: 250}, // 8 MiB: the L3 cache, shared with the machine's other work
		{MaxPages: 1 << 16, Cost: 450},
	}
}

// accessPrice is what a load or store costs in a memory of size bytes.
func accessPrice(size uint32) uint64 {
	return meter.AccessCost(accessTiers(), size/65536)
}

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

type signature struct{ params, results []api.ValueType }

// hostSignatures are the "env" imports of cosmwasm-std 1.x (plus
// db_next_key/db_next_value, which 1.5 added for iterators), and
// secp256r1_verify, a Hermetic extension cosmwasm-std does not have.
var hostSignatures = map[string]signature{
	"db_read":                  {[]api.ValueType{i32}, []api.ValueType{i32}},
	"db_write":                 {[]api.ValueType{i32, i32}, nil},
	"db_remove":                {[]api.ValueType{i32}, nil},
	"db_scan":                  {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	"db_next":                  {[]api.ValueType{i32}, []api.ValueType{i32}},
	"db_next_key":              {[]api.ValueType{i32}, []api.ValueType{i32}},
	"db_next_value":            {[]api.ValueType{i32}, []api.ValueType{i32}},
	"addr_validate":            {[]api.ValueType{i32}, []api.ValueType{i32}},
	"addr_canonicalize":        {[]api.ValueType{i32, i32}, []api.ValueType{i32}},
	"addr_humanize":            {[]api.ValueType{i32, i32}, []api.ValueType{i32}},
	"secp256k1_verify":         {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	"secp256k1_recover_pubkey": {[]api.ValueType{i32, i32, i32}, []api.ValueType{i64}},
	"secp256r1_verify":         {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	"ed25519_verify":           {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	"ed25519_batch_verify":     {[]api.ValueType{i32, i32, i32}, []api.ValueType{i32}},
	"debug":                    {[]api.ValueType{i32}, nil},
	"abort":                    {[]api.ValueType{i32}, nil},
	"query_chain":              {[]api.ValueType{i32}, []api.ValueType{i32}},
}

// Querier answers a contract's query_chain requests: a JSON QueryRequest in,
// the JSON SystemResult<ContractResult<Binary>> out.
type Querier interface {
	QueryChain(ctx context.Context, request []byte) ([]byte, error)
}

// callEnv is what the host functions of one call work on. It travels in
// the context of the call.
type callEnv struct {
	store     state.Store
	querier   Querier
	iterators []state.Iterator
	debug     func(msg string)
	abort     string
	inst      *instance // the instance the call runs in, for its exports
}

type callEnvKey struct{}

func envOf(ctx context.Context) *callEnv {
	e, _ := ctx.Value(callEnvKey{}).(*callEnv)
	if e == nil {
		panic(errors.New("vm: host function called outside a contract call"))
	}
	return e
}

// charge takes gas from the contract's gas global inside a host function;
// out of gas ends the call.
func charge(mod api.Module, amount uint64) {
	must(take(mod, amount))
}

// take takes gas from the contract's gas global, or returns ErrOutOfGas
// (leaving the counter at zero).
func take(mod api.Module, amount uint64) error {
	g, ok := mod.ExportedGlobal(GasGlobal).(api.MutableGlobal)
	if !ok {
		return fmt.Errorf("%w: no gas counter", ErrInvalidCode)
	}
	left := g.Get()
	if left < amount {
		g.Set(0)
		return ErrOutOfGas
	}
	g.Set(left - amount)
	return nil
}

// must turns a host-side error into a trap that ends the call with it.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

func read(mod api.Module, ptr uint32, max uint32) []byte {
	b, err := readBytes(mod.Memory(), ptr, max)
	must(err)
	charge(mod, GasPerByte*uint64(len(b)))
	return b
}

func pass(ctx context.Context, mod api.Module, data []byte) uint32 {
	charge(mod, GasPerByte*uint64(len(data)))
	ptr, err := passBytes(ctx, mod, data)
	must(err)
	return ptr
}

// passError returns an error message to the contract the way cosmwasm-std's
// address functions expect: a region pointer, 0 meaning success.
func passError(ctx context.Context, mod api.Module, err error) uint32 {
	if err == nil {
		return 0
	}
	return pass(ctx, mod, []byte(err.Error()))
}

func (v *VM) instantiateHost(ctx context.Context) error {
	b := v.rt.NewHostModuleBuilder(envModule)
	fns := map[string]api.GoModuleFunc{
		"db_read":                  dbRead,
		"db_write":                 dbWrite,
		"db_remove":                dbRemove,
		"db_scan":                  dbScan,
		"db_next":                  dbNext,
		"db_next_key":              dbNextPart(0),
		"db_next_value":            dbNextPart(1),
		"addr_validate":            addrValidate,
		"addr_canonicalize":        addrCanonicalize,
		"addr_humanize":            addrHumanize,
		"secp256k1_verify":         secp256k1Verify,
		"secp256k1_recover_pubkey": secp256k1Recover,
		"secp256r1_verify":         secp256r1Verify,
		"ed25519_verify":           ed25519Verify,
		"ed25519_batch_verify":     ed25519BatchVerify,
		"debug":                    debugMsg,
		"abort":                    abortMsg,
		"query_chain":              queryChain,
	}
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		s := hostSignatures[n]
		b.NewFunctionBuilder().WithGoModuleFunction(fns[n], s.params, s.results).Export(n)
	}
	if _, err := b.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiate host functions: %w", err)
	}
	// WASI, except the two functions that change an instance's file table
	// (wazero keeps it outside the instance's memory and globals, so a
	// snapshot would not restore it): a contract that closed or renumbered
	// stdout would leave a pooled instance different from a fresh one.
	w := v.rt.NewHostModuleBuilder(wasiModule)
	wasi_snapshot_preview1.NewFunctionExporter().ExportFunctions(w)
	w.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(wasiFdClose), []api.ValueType{i32}, []api.ValueType{i32}).
		WithParameterNames("fd").Export("fd_close")
	w.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(wasiFdRenumber), []api.ValueType{i32, i32}, []api.ValueType{i32}).
		WithParameterNames("fd", "to").Export("fd_renumber")
	if _, err := w.Instantiate(ctx); err != nil {
		return fmt.Errorf("instantiate WASI: %w", err)
	}
	for name := range v.rt.Module(wasiModule).ExportedFunctionDefinitions() {
		v.wasiFuncs = append(v.wasiFuncs, name)
	}
	slices.Sort(v.wasiFuncs)
	return nil
}

// WASI errno values (wasi_snapshot_preview1).
const (
	wasiEBADF   = 8
	wasiENOTSUP = 58
)

// wasiFdClose refuses to close stdin, stdout or stderr, the only files an
// instance has (ENOTSUP; EBADF for any other descriptor), so that the file
// table never changes.
func wasiFdClose(_ context.Context, _ api.Module, stack []uint64) {
	if fd := uint32(stack[0]); fd <= 2 {
		stack[0] = wasiENOTSUP
	} else {
		stack[0] = wasiEBADF
	}
}

// wasiFdRenumber refuses like wasiFdClose.
func wasiFdRenumber(_ context.Context, _ api.Module, stack []uint64) {
	if from, to := uint32(stack[0]), uint32(stack[1]); from <= 2 && to <= 2 {
		stack[0] = wasiENOTSUP
	} else {
		stack[0] = wasiEBADF
	}
}

func dbRead(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBRead)
	key := read(mod, uint32(stack[0]), maxKey)
	charge(mod, GasDBReadPerByte*uint64(len(key)))
	val, err := e.store.Get(key)
	must(err)
	if val == nil {
		stack[0] = 0
		return
	}
	charge(mod, GasDBReadPerByte*uint64(len(val)))
	stack[0] = uint64(pass(ctx, mod, val))
}

func dbWrite(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBWrite)
	key := read(mod, uint32(stack[0]), maxKey)
	val := read(mod, uint32(stack[1]), maxValue)
	charge(mod, GasDBWritePerByte*uint64(len(key)+len(val)))
	must(e.store.Set(key, val))
}

func dbRemove(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBRemove)
	key := read(mod, uint32(stack[0]), maxKey)
	charge(mod, GasDBReadPerByte*uint64(len(key)))
	must(e.store.Delete(key))
}

// Orders of db_scan, as cosmwasm-std encodes them.
const (
	orderAscending  = 1
	orderDescending = 2
)

func dbScan(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBScan)
	var start, end []byte
	if p := uint32(stack[0]); p != 0 {
		start = read(mod, p, maxKey)
	}
	if p := uint32(stack[1]); p != 0 {
		end = read(mod, p, maxKey)
	}
	order := uint32(stack[2])
	if order != orderAscending && order != orderDescending {
		must(fmt.Errorf("%w: db_scan order %d", ErrTrap, order))
	}
	it, err := e.store.Iterator(start, end, order == orderDescending)
	must(err)
	e.iterators = append(e.iterators, it)
	if s, ok := it.(interface{ Scanned() int }); ok {
		// The enclave's view decrypted every stored key of the contract
		// to build the iterator: charged once it knows how many.
		charge(mod, GasDBScanPerEntry*uint64(s.Scanned()))
	}
	stack[0] = uint64(len(e.iterators)) // ids start at 1
}

// next advances iterator id and returns its entry (nil, nil at the end).
func next(ctx context.Context, mod api.Module, id uint32) ([]byte, []byte) {
	e := envOf(ctx)
	charge(mod, GasDBNext)
	if id == 0 || int(id) > len(e.iterators) {
		must(fmt.Errorf("%w: no iterator %d", ErrTrap, id))
	}
	it := e.iterators[id-1]
	if !it.Valid() {
		must(it.Error())
		return nil, nil
	}
	k, v := append([]byte(nil), it.Key()...), append([]byte(nil), it.Value()...)
	must(it.Error())
	charge(mod, GasDBReadPerByte*uint64(len(k)+len(v)))
	it.Next()
	return k, v
}

func dbNext(ctx context.Context, mod api.Module, stack []uint64) {
	k, v := next(ctx, mod, uint32(stack[0]))
	stack[0] = uint64(pass(ctx, mod, encodeSections(k, v)))
}

func dbNextPart(part int) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		k, v := next(ctx, mod, uint32(stack[0]))
		if k == nil {
			stack[0] = 0
			return
		}
		stack[0] = uint64(pass(ctx, mod, [][]byte{k, v}[part]))
	}
}

// Contract-facing addresses are bech32 with the prefix "herm" over 20
// (accounts) or 32 bytes (contracts).
func canonicalize(human string) ([]byte, error) {
	hrp, data, err := keys.DecodeBech32(human)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %v", human, err)
	}
	if hrp != keys.AddressPrefix {
		return nil, fmt.Errorf("invalid address %q: prefix %q, want %q", human, hrp, keys.AddressPrefix)
	}
	if len(data) != 20 && len(data) != 32 {
		return nil, fmt.Errorf("invalid address %q: %d bytes, want 20 or 32", human, len(data))
	}
	return data, nil
}

func addrValidate(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasAddrValidate)
	human := string(read(mod, uint32(stack[0]), 256))
	_, err := canonicalize(human)
	stack[0] = uint64(passError(ctx, mod, err))
}

func addrCanonicalize(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasAddrCanonicalize)
	human := string(read(mod, uint32(stack[0]), 256))
	canon, err := canonicalize(human)
	if err != nil {
		stack[0] = uint64(passError(ctx, mod, err))
		return
	}
	must(writeBytes(mod.Memory(), uint32(stack[1]), canon))
	stack[0] = 0
}

func addrHumanize(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasAddrHumanize)
	canon := read(mod, uint32(stack[0]), 64)
	if len(canon) != 20 && len(canon) != 32 {
		stack[0] = uint64(passError(ctx, mod, fmt.Errorf("invalid canonical address of %d bytes, want 20 or 32", len(canon))))
		return
	}
	human, err := keys.EncodeBech32(keys.AddressPrefix, canon)
	must(err)
	must(writeBytes(mod.Memory(), uint32(stack[1]), []byte(human)))
	stack[0] = 0
}

// Results of the crypto verifications, as cosmwasm-std reads them.
const (
	verified    = 0
	notVerified = 1
	// error codes (cosmwasm-crypto): 3 invalid hash format, 4 invalid
	// signature format, 5 invalid pubkey format, 6 invalid recovery param,
	// 10 generic error.
	errHashFormat      = 3
	errSignatureFormat = 4
	errPubKeyFormat    = 5
	errRecoveryParam   = 6
)

func secp256k1Verify(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasSecp256k1Verify)
	hash := read(mod, uint32(stack[0]), 32)
	sig := read(mod, uint32(stack[1]), 64)
	pub := read(mod, uint32(stack[2]), 65)
	stack[0] = uint64(verifySecp256k1(hash, sig, pub))
}

func verifySecp256k1(hash, sig, pub []byte) uint32 {
	if len(hash) != 32 {
		return errHashFormat
	}
	if len(sig) != 64 {
		return errSignatureFormat
	}
	pk, err := secp256k1.ParsePubKey(pub)
	if err != nil {
		return errPubKeyFormat
	}
	var r, s secp256k1.ModNScalar
	if r.SetByteSlice(sig[:32]) || s.SetByteSlice(sig[32:]) || r.IsZero() || s.IsZero() {
		return errSignatureFormat
	}
	if s.IsOverHalfOrder() { // accept high-S as cosmwasm-crypto does, by normalising
		s.Negate()
	}
	if secpecdsa.NewSignature(&r, &s).Verify(hash, pk) {
		return verified
	}
	return notVerified
}

// secp256r1Verify is a Hermetic extension (not in cosmwasm-std): it checks
// an ECDSA P-256 signature (64 bytes r‖s, low-S) of a 32-byte SHA-256 hash
// by a 33-byte compressed SEC1 public key, answering like secp256k1_verify.
func secp256r1Verify(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasSecp256r1Verify)
	hash := read(mod, uint32(stack[0]), 32)
	sig := read(mod, uint32(stack[1]), 64)
	pub := read(mod, uint32(stack[2]), 65) // so an uncompressed key is a format error, not a trap
	stack[0] = uint64(verifySecp256r1(hash, sig, pub))
}

var (
	p256Order     = elliptic.P256().Params().N
	p256HalfOrder = new(big.Int).Rsh(p256Order, 1)
)

// verifySecp256r1 verifies as keys.PubKey.Verify does for P-256 keys, but
// over a hash the caller computed. Unlike secp256k1_verify it rejects
// high-S signatures (notVerified): Hermetic's P-256 signatures are low-S,
// so each signature has exactly one valid encoding.
func verifySecp256r1(hash, sig, pub []byte) uint32 {
	if len(hash) != 32 {
		return errHashFormat
	}
	if len(sig) != 64 {
		return errSignatureFormat
	}
	if len(pub) != 33 || (pub[0] != 2 && pub[0] != 3) {
		return errPubKeyFormat
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), pub)
	if x == nil {
		return errPubKeyFormat
	}
	r := new(big.Int).SetBytes(sig[:32])
	s := new(big.Int).SetBytes(sig[32:])
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(p256Order) >= 0 || s.Cmp(p256Order) >= 0 {
		return errSignatureFormat
	}
	if s.Cmp(p256HalfOrder) > 0 {
		return notVerified
	}
	unc := make([]byte, 65)
	unc[0] = 4
	x.FillBytes(unc[1:33])
	y.FillBytes(unc[33:])
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), unc)
	if err != nil {
		return errPubKeyFormat
	}
	if ecdsa.Verify(pk, hash, r, s) {
		return verified
	}
	return notVerified
}

func secp256k1Recover(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasSecp256k1Recover)
	hash := read(mod, uint32(stack[0]), 32)
	sig := read(mod, uint32(stack[1]), 64)
	param := uint32(stack[2])
	fail := func(code uint64) { stack[0] = code << 32 }
	switch {
	case len(hash) != 32:
		fail(errHashFormat)
		return
	case len(sig) != 64:
		fail(errSignatureFormat)
		return
	case param > 1:
		fail(errRecoveryParam)
		return
	}
	compact := append([]byte{byte(27 + param)}, sig...)
	pk, _, err := secpecdsa.RecoverCompact(compact, hash)
	if err != nil {
		fail(errSignatureFormat)
		return
	}
	stack[0] = uint64(pass(ctx, mod, pk.SerializeUncompressed()))
}

func ed25519Verify(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasEd25519)
	msg := read(mod, uint32(stack[0]), 128<<10)
	sig := read(mod, uint32(stack[1]), 64)
	pub := read(mod, uint32(stack[2]), 32)
	charge(mod, GasEd25519PerByte*uint64(len(msg)))
	switch {
	case len(sig) != ed25519.SignatureSize:
		stack[0] = errSignatureFormat
	case len(pub) != ed25519.PublicKeySize:
		stack[0] = errPubKeyFormat
	case ed25519.Verify(pub, msg, sig):
		stack[0] = verified
	default:
		stack[0] = notVerified
	}
}

// ed25519BatchVerify verifies many signatures. As in cosmwasm-crypto, one
// message may go with many signatures and keys, or one key with many
// messages and signatures.
func ed25519BatchVerify(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasEd25519)
	msgs, err1 := decodeSections(read(mod, uint32(stack[0]), 1<<20))
	sigs, err2 := decodeSections(read(mod, uint32(stack[1]), 1<<20))
	pubs, err3 := decodeSections(read(mod, uint32(stack[2]), 1<<20))
	if err := errors.Join(err1, err2, err3); err != nil {
		stack[0] = errSignatureFormat
		return
	}
	n := len(sigs)
	if len(msgs) == 1 {
		msgs = slices.Repeat(msgs, n)
	}
	if len(pubs) == 1 {
		pubs = slices.Repeat(pubs, n)
	}
	if len(msgs) != n || len(pubs) != n {
		stack[0] = errSignatureFormat
		return
	}
	// Every item hashes its message: one message repeated for many
	// signatures is hashed as many times.
	hashed := uint64(0)
	for _, m := range msgs {
		hashed += uint64(len(m))
	}
	charge(mod, GasEd25519PerItem*uint64(n))
	charge(mod, GasEd25519PerByte*hashed)
	for i := range n {
		if len(sigs[i]) != ed25519.SignatureSize {
			stack[0] = errSignatureFormat
			return
		}
		if len(pubs[i]) != ed25519.PublicKeySize {
			stack[0] = errPubKeyFormat
			return
		}
		if !ed25519.Verify(pubs[i], msgs[i], sigs[i]) {
			stack[0] = notVerified
			return
		}
	}
	stack[0] = verified
}

func debugMsg(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDebug)
	msg := read(mod, uint32(stack[0]), 16<<10)
	if e.debug != nil {
		e.debug(string(msg))
	}
}

func abortMsg(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	msg := read(mod, uint32(stack[0]), 16<<10)
	e.abort = string(msg)
	panic(fmt.Errorf("%w: aborted: %s", ErrTrap, msg))
}

func queryChain(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasQueryChain)
	req := read(mod, uint32(stack[0]), maxMessage)
	var res []byte
	if e.querier == nil {
		res = []byte(`{"error":{"unsupported_request":{"kind":"no querier"}}}`)
	} else {
		var err error
		res, err = e.querier.QueryChain(ctx, req)
		must(err)
	}
	stack[0] = uint64(pass(ctx, mod, res))
}
