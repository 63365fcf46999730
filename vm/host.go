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
)

const (
	envModule  = "env"
	wasiModule = wasi_snapshot_preview1.ModuleName
	// GasGlobal is the exported global the metering rewrite counts gas in.
	GasGlobal = "hermetic_gas"
)

// Gas costs of host functions, in the same units as instructions (one per
// wasm instruction), set so that a host call costs about what the work would
// cost as contract code.
const (
	GasPerPage        = 100_000 // memory.grow, per 64 KiB page (zeroing it costs about that many instructions)
	GasDBRead         = 5_000
	GasDBWrite        = 10_000
	GasPerByte        = 30
	GasDBNext         = 3_000
	GasAddr           = 2_000
	GasSecp256k1      = 150_000
	GasEd25519        = 100_000
	GasEd25519PerItem = 60_000
	GasQueryChain     = 10_000
	GasDebug          = 500

	maxKey     = 64 << 10
	maxValue   = 128 << 10
	maxMessage = 1 << 20
)

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
	val, err := e.store.Get(key)
	must(err)
	if val == nil {
		stack[0] = 0
		return
	}
	stack[0] = uint64(pass(ctx, mod, val))
}

func dbWrite(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBWrite)
	key := read(mod, uint32(stack[0]), maxKey)
	val := read(mod, uint32(stack[1]), maxValue)
	must(e.store.Set(key, val))
}

func dbRemove(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBWrite)
	must(e.store.Delete(read(mod, uint32(stack[0]), maxKey)))
}

// Orders of db_scan, as cosmwasm-std encodes them.
const (
	orderAscending  = 1
	orderDescending = 2
)

func dbScan(ctx context.Context, mod api.Module, stack []uint64) {
	e := envOf(ctx)
	charge(mod, GasDBRead)
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
	charge(mod, GasAddr)
	human := string(read(mod, uint32(stack[0]), 256))
	_, err := canonicalize(human)
	stack[0] = uint64(passError(ctx, mod, err))
}

func addrCanonicalize(ctx context.Context, mod api.Module, stack []uint64) {
	charge(mod, GasAddr)
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
	charge(mod, GasAddr)
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
	charge(mod, GasSecp256k1)
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
	charge(mod, GasSecp256k1)
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
	charge(mod, GasSecp256k1)
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
	charge(mod, GasEd25519PerItem*uint64(n))
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
