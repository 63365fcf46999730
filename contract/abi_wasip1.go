//go:build wasip1

package contract

import (
	"iter"
	"runtime"
	"unsafe"
)

// The ABI glue: regions, allocation and the entry points the
// //go:wasmexport shims of exports_wasip1.go call.
//
// A region is 12 bytes in linear memory: little-endian u32 offset, capacity
// and length of a buffer. GOARCH=wasm is little-endian and its linear memory
// is addressed by 32 bits, so a [3]uint32 is a region and a Go pointer fits
// in a u32. Go's garbage collector does not move objects, but it frees those
// nothing references: every region handed to the host through allocate is
// kept in allocations until deallocate (or until this package consumes it).

type region [3]uint32 // offset, capacity, length

type allocation struct {
	region region
	buf    []byte
}

var allocations = map[uint32]*allocation{}

func addr(p unsafe.Pointer) uint32 { return uint32(uintptr(p)) }

// Allocate makes a region of size bytes of capacity and length 0, and keeps
// it alive until Deallocate. The VM calls it (through the allocate export)
// to pass inputs and host results.
func Allocate(size uint32) uint32 {
	a := &allocation{buf: make([]byte, size)}
	a.region = region{addr(unsafe.Pointer(unsafe.SliceData(a.buf))), size, 0}
	p := addr(unsafe.Pointer(&a.region))
	allocations[p] = a
	return p
}

// Deallocate releases a region Allocate made.
func Deallocate(ptr uint32) { delete(allocations, ptr) }

// consume copies out the bytes of the region at ptr and releases it.
func consume(ptr uint32) []byte {
	if ptr == 0 {
		abort("contract: null region")
	}
	a, ok := allocations[ptr]
	if !ok {
		abort("contract: region not allocated by this contract")
	}
	r := a.region
	if r[2] > r[1] || r[1] != uint32(len(a.buf)) {
		abort("contract: region length exceeds its capacity")
	}
	out := append([]byte(nil), a.buf[:r[2]]...)
	delete(allocations, ptr)
	return out
}

// release returns bytes to the host in a fresh region, kept alive until
// the host deallocates it.
func release(b []byte) uint32 {
	p := Allocate(uint32(len(b)))
	a := allocations[p]
	copy(a.buf, b)
	a.region[2] = uint32(len(b))
	return p
}

// view is a region over b for the duration of a host call; the caller
// keeps b and the region alive (runtime.KeepAlive) until the call returns.
func view(b []byte) *region {
	return &region{addr(unsafe.Pointer(unsafe.SliceData(b))), uint32(len(b)), uint32(len(b))}
}

func (r *region) ptr() uint32 { return addr(unsafe.Pointer(r)) }

// Host imports, with the signatures of vm/host.go.

//go:wasmimport env db_read
func hostDBRead(key uint32) uint32

//go:wasmimport env db_write
func hostDBWrite(key, value uint32)

//go:wasmimport env db_remove
func hostDBRemove(key uint32)

//go:wasmimport env db_scan
func hostDBScan(start, end, order uint32) uint32

//go:wasmimport env db_next
func hostDBNext(iterator uint32) uint32

//go:wasmimport env addr_validate
func hostAddrValidate(human uint32) uint32

//go:wasmimport env addr_canonicalize
func hostAddrCanonicalize(human, canonical uint32) uint32

//go:wasmimport env addr_humanize
func hostAddrHumanize(canonical, human uint32) uint32

//go:wasmimport env secp256k1_verify
func hostSecp256k1Verify(hash, sig, pubkey uint32) uint32

//go:wasmimport env secp256k1_recover_pubkey
func hostSecp256k1RecoverPubkey(hash, sig, param uint32) uint64

//go:wasmimport env secp256r1_verify
func hostSecp256r1Verify(hash, sig, pubkey uint32) uint32

//go:wasmimport env ed25519_verify
func hostEd25519Verify(msg, sig, pubkey uint32) uint32

//go:wasmimport env ed25519_batch_verify
func hostEd25519BatchVerify(msgs, sigs, pubkeys uint32) uint32

//go:wasmimport env debug
func hostDebug(msg uint32)

//go:wasmimport env abort
func hostAbort(msg uint32)

//go:wasmimport env query_chain
func hostQueryChain(request uint32) uint32

// abort ends the call with msg: the VM reports a trap with it. For failures
// the contract cannot answer with an error result.
func abort(msg string) {
	b := []byte(msg)
	r := view(b)
	hostAbort(r.ptr())
	runtime.KeepAlive(b)
	runtime.KeepAlive(r)
	panic("contract: abort returned") // the host never returns from abort
}

// Abort ends the call at once with a trap carrying msg, discarding its
// writes. Return an error from the handler instead where you can.
func Abort(msg string) { abort(msg) }

// The host implementations of Storage, API and Querier.

type hostStorage struct{}

func (hostStorage) Get(key []byte) []byte {
	r := view(key)
	p := hostDBRead(r.ptr())
	runtime.KeepAlive(key)
	runtime.KeepAlive(r)
	if p == 0 {
		return nil
	}
	return consume(p)
}

func (hostStorage) Set(key, value []byte) {
	if len(value) == 0 {
		panic("contract: Storage.Set with an empty value")
	}
	rk, rv := view(key), view(value)
	hostDBWrite(rk.ptr(), rv.ptr())
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	runtime.KeepAlive(rk)
	runtime.KeepAlive(rv)
}

func (hostStorage) Remove(key []byte) {
	r := view(key)
	hostDBRemove(r.ptr())
	runtime.KeepAlive(key)
	runtime.KeepAlive(r)
}

func (hostStorage) Range(start, end []byte, order Order) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		var ps, pe uint32
		rs, re := view(start), view(end)
		if start != nil {
			ps = rs.ptr()
		}
		if end != nil {
			pe = re.ptr()
		}
		id := hostDBScan(ps, pe, uint32(order))
		runtime.KeepAlive(start)
		runtime.KeepAlive(end)
		runtime.KeepAlive(rs)
		runtime.KeepAlive(re)
		for {
			k, v, ok, err := decodeNext(consume(hostDBNext(id)))
			if err != nil {
				abort("contract: db_next: " + err.Error())
			}
			if !ok || !yield(k, v) {
				return
			}
		}
	}
}

type hostAPI struct{}

// errorAt turns an error region the host returned (0: none) into an error.
func errorAt(p uint32) error {
	if p == 0 {
		return nil
	}
	return stringError(consume(p))
}

type stringError string

func (e stringError) Error() string { return string(e) }

func (hostAPI) AddrValidate(human string) error {
	b := []byte(human)
	r := view(b)
	p := hostAddrValidate(r.ptr())
	runtime.KeepAlive(b)
	runtime.KeepAlive(r)
	return errorAt(p)
}

// maxCanonical and maxHuman size the output regions of the address
// functions (the host writes 20- or 32-byte addresses, bech32 of them).
const (
	maxCanonical = 64
	maxHuman     = 256
)

func (hostAPI) AddrCanonicalize(human string) ([]byte, error) {
	b := []byte(human)
	r := view(b)
	out := Allocate(maxCanonical)
	p := hostAddrCanonicalize(r.ptr(), out)
	runtime.KeepAlive(b)
	runtime.KeepAlive(r)
	canon := consume(out)
	if err := errorAt(p); err != nil {
		return nil, err
	}
	return canon, nil
}

func (hostAPI) AddrHumanize(canonical []byte) (string, error) {
	r := view(canonical)
	out := Allocate(maxHuman)
	p := hostAddrHumanize(r.ptr(), out)
	runtime.KeepAlive(canonical)
	runtime.KeepAlive(r)
	human := consume(out)
	if err := errorAt(p); err != nil {
		return "", err
	}
	return string(human), nil
}

func (hostAPI) Secp256k1Verify(hash, signature, pubkey []byte) (bool, error) {
	rh, rs, rp := view(hash), view(signature), view(pubkey)
	code := hostSecp256k1Verify(rh.ptr(), rs.ptr(), rp.ptr())
	runtime.KeepAlive(hash)
	runtime.KeepAlive(signature)
	runtime.KeepAlive(pubkey)
	runtime.KeepAlive(rh)
	runtime.KeepAlive(rs)
	runtime.KeepAlive(rp)
	return cryptoResult(code)
}

func (hostAPI) Secp256k1RecoverPubkey(hash, signature []byte, recoveryParam uint8) ([]byte, error) {
	rh, rs := view(hash), view(signature)
	res := hostSecp256k1RecoverPubkey(rh.ptr(), rs.ptr(), uint32(recoveryParam))
	runtime.KeepAlive(hash)
	runtime.KeepAlive(signature)
	runtime.KeepAlive(rh)
	runtime.KeepAlive(rs)
	if code := uint32(res >> 32); code != 0 {
		return nil, cryptoError(code)
	}
	return consume(uint32(res)), nil
}

func (hostAPI) Secp256r1Verify(hash, signature, pubkey []byte) (bool, error) {
	rh, rs, rp := view(hash), view(signature), view(pubkey)
	code := hostSecp256r1Verify(rh.ptr(), rs.ptr(), rp.ptr())
	runtime.KeepAlive(hash)
	runtime.KeepAlive(signature)
	runtime.KeepAlive(pubkey)
	runtime.KeepAlive(rh)
	runtime.KeepAlive(rs)
	runtime.KeepAlive(rp)
	return cryptoResult(code)
}

func (hostAPI) Ed25519Verify(message, signature, pubkey []byte) (bool, error) {
	rm, rs, rp := view(message), view(signature), view(pubkey)
	code := hostEd25519Verify(rm.ptr(), rs.ptr(), rp.ptr())
	runtime.KeepAlive(message)
	runtime.KeepAlive(signature)
	runtime.KeepAlive(pubkey)
	runtime.KeepAlive(rm)
	runtime.KeepAlive(rs)
	runtime.KeepAlive(rp)
	return cryptoResult(code)
}

func (hostAPI) Ed25519BatchVerify(messages, signatures, pubkeys [][]byte) (bool, error) {
	m, s, p := encodeSections(messages...), encodeSections(signatures...), encodeSections(pubkeys...)
	rm, rs, rp := view(m), view(s), view(p)
	code := hostEd25519BatchVerify(rm.ptr(), rs.ptr(), rp.ptr())
	runtime.KeepAlive(m)
	runtime.KeepAlive(s)
	runtime.KeepAlive(p)
	runtime.KeepAlive(rm)
	runtime.KeepAlive(rs)
	runtime.KeepAlive(rp)
	return cryptoResult(code)
}

func (hostAPI) Debug(msg string) {
	b := []byte(msg)
	r := view(b)
	hostDebug(r.ptr())
	runtime.KeepAlive(b)
	runtime.KeepAlive(r)
}

type hostQuerier struct{}

func (hostQuerier) QueryChain(request []byte) ([]byte, error) {
	r := view(request)
	p := hostQueryChain(r.ptr())
	runtime.KeepAlive(request)
	runtime.KeepAlive(r)
	return parseSystemResult(consume(p))
}

// HostDeps returns the Deps backed by the VM's host functions.
func HostDeps() Deps {
	return Deps{Storage: hostStorage{}, API: hostAPI{}, Querier: hostQuerier{}}
}

// The entry points. Each reads its input regions, dispatches to the
// registered handler and returns a region holding the JSON result.

// Instantiate is the instantiate entry point.
func Instantiate(env, info, msg uint32) uint32 {
	return entry(EntryInstantiate, env, info, msg)
}

// Execute is the execute entry point.
func Execute(env, info, msg uint32) uint32 {
	return entry(EntryExecute, env, info, msg)
}

// Query is the query entry point.
func Query(env, msg uint32) uint32 { return entry(EntryQuery, env, 0, msg) }

// Migrate is the migrate entry point.
func Migrate(env, msg uint32) uint32 { return entry(EntryMigrate, env, 0, msg) }

// ReplyEntry is the reply entry point (named so because Reply is the type
// of its message).
func ReplyEntry(env, msg uint32) uint32 { return entry(EntryReply, env, 0, msg) }

func entry(name string, env, info, msg uint32) uint32 {
	envJSON := consume(env)
	var infoJSON []byte
	if info != 0 {
		infoJSON = consume(info)
	}
	return release(Dispatch(name, HostDeps(), envJSON, infoJSON, consume(msg)))
}
