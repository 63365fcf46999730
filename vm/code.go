package vm

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/hermetic-chain/hermetic/vm/meter"
)

// Code is a stored contract: its hash (SHA-256 of the uncompressed,
// uninstrumented module: the code hash clients put in encrypted inputs) and
// what the upload checks found.
type Code struct {
	Hash         [32]byte
	Size         int
	Capabilities []string // what the contract requires (requires_* exports)
	EntryPoints  []string // which of instantiate, execute, query, migrate, reply it exports
	// ValidateCost and CompileCost are what validating the module (Validate)
	// and compiling it to machine code take on the reference machine, as
	// UploadCost estimates them from the sizes of its functions: the same
	// figures on every node, for what an upload is charged and when its
	// code is ready.
	ValidateCost, CompileCost time.Duration
}

// MaxFunctionBytes bounds the body of each function of an upload. wazero's
// optimising compiler takes more than linear time in the size of a
// function (a module of 125 KB functions: 55 µs a byte, against 1.2 µs for
// 2 KB ones), so a few huge functions would take minutes to compile. The
// largest function of the Go token is 29 KB.
const MaxFunctionBytes = 64 << 10

// The upload time model (UploadCost), fitted on modules of branchy
// functions of 0.4-62 KB and the Go token (docs/gas.md, "Uploads"): a
// function of n bytes takes nanosPerByte × n × (1 + n/quadraticBytes) to
// validate (wazero's interpreter) and to compile (wazero's optimising
// compiler), with these constants. The model is within 0.8-1.3× of what
// was measured, and errs high for the Go token.
const (
	validateNanosPerByte   = 200
	validateQuadraticBytes = 50_000
	compileNanosPerByte    = 1_100
	compileQuadraticBytes  = 3_000
)

// UploadCost estimates the time validating and compiling functions of the
// given body sizes take on the reference machine.
func UploadCost(bodySizes []int) (validate, compile time.Duration) {
	var v, c uint64
	for _, n := range bodySizes {
		n := uint64(n) // at most MaxFunctionBytes: no overflow
		v += validateNanosPerByte * n * (validateQuadraticBytes + n) / validateQuadraticBytes
		c += compileNanosPerByte * n * (compileQuadraticBytes + n) / compileQuadraticBytes
	}
	return time.Duration(v), time.Duration(c)
}

// Capabilities are the CosmWasm capabilities Hermetic offers. A contract
// that exports requires_X for any other X is refused at upload: staking,
// stargate and ibc2 do not exist on Hermetic.
var Capabilities = []string{"iterator", "cosmwasm_1_1", "cosmwasm_1_2", "cosmwasm_1_3", "cosmwasm_1_4"}

// entryPoints are the CosmWasm entry points, in the order Code lists them.
var entryPoints = []string{"instantiate", "execute", "query", "migrate", "reply", "sudo"}

// requiredExports every contract must have.
var requiredExports = []struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
}{
	{"interface_version_8", nil, nil},
	{"allocate", []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	{"deallocate", []api.ValueType{api.ValueTypeI32}, nil},
	{"instantiate", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
}

// gzipMagic starts a gzip stream; uploads may be gzipped.
var gzipMagic = []byte{0x1f, 0x8b}

// Unpack returns the uncompressed module of an upload, gzip or not, refusing
// more than max bytes.
func Unpack(upload []byte, max int) ([]byte, error) {
	if !bytes.HasPrefix(upload, gzipMagic) {
		if len(upload) > max {
			return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrCodeTooLarge, len(upload), max)
		}
		return upload, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(upload))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidCode, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(max)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrInvalidCode, err)
	}
	if len(out) > max {
		return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrCodeTooLarge, max)
	}
	return out, nil
}

// Validate checks an uploaded module (gzip accepted) as Store does and
// returns its Code, without compiling it to machine code: it decodes,
// instruments and validates it (with wazero's interpreter), which takes
// about a sixth of Store's time for a large module (the Go token: 0.65 s
// against 4.2-4.8 s here). A module Validate accepts, Store accepts: both
// apply the same rules, and wazero's compiler and interpreter validate
// alike. The answer depends on the bytes alone, as consensus needs.
func (v *VM) Validate(ctx context.Context, upload []byte) (Code, error) {
	code, metered, _, err := v.prepare(upload)
	if err != nil {
		return Code{}, err
	}
	cm, err := v.checker.CompileModule(ctx, metered)
	if err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	defer cm.Close(ctx)
	if err := check(cm, &code, v.wasiFuncs); err != nil {
		return Code{}, err
	}
	return code, nil
}

// prepare unpacks and instruments an upload.
func (v *VM) prepare(upload []byte) (Code, []byte, meter.Info, error) {
	wasm, err := Unpack(upload, v.cfg.MaxCodeSize)
	if err != nil {
		return Code{}, nil, meter.Info{}, err
	}
	code := Code{Hash: sha256.Sum256(wasm), Size: len(wasm)}
	// The metering rewrite parses the module first, checking every count
	// against the bytes present: wazero's decoder trusts them and can be
	// made to reserve gigabytes by a 30-byte module.
	metered, info, err := meter.Instrument(wasm, MeterConfig())
	if err != nil {
		return Code{}, nil, meter.Info{}, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	for i, n := range info.BodySizes {
		if n > MaxFunctionBytes {
			return Code{}, nil, meter.Info{}, fmt.Errorf("%w: function %d is %d bytes, at most %d", ErrInvalidCode, i, n, MaxFunctionBytes)
		}
	}
	code.ValidateCost, code.CompileCost = UploadCost(info.BodySizes)
	return code, metered, info, nil
}

// Store checks an uploaded module (gzip accepted), instruments it for gas
// and compiles it, and returns its Code. Storing the same code twice is
// cheap.
func (v *VM) Store(ctx context.Context, upload []byte) (Code, error) {
	code, metered, info, err := v.prepare(upload)
	if err != nil {
		return Code{}, err
	}
	v.mu.Lock()
	_, done := v.compiled[code.Hash]
	v.mu.Unlock()
	cm, err := v.rt.CompileModule(ctx, metered)
	if err != nil {
		return Code{}, fmt.Errorf("%w: %v", ErrInvalidCode, err)
	}
	if err := check(cm, &code, v.wasiFuncs); err != nil {
		cm.Close(ctx)
		return Code{}, err
	}
	if done {
		cm.Close(ctx)
		return code, nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, raced := v.compiled[code.Hash]; raced {
		cm.Close(ctx)
		return code, nil
	}
	v.compiled[code.Hash] = newProgram(code.Hash, cm, info)
	return code, nil
}

// check applies the upload rules to a compiled module.
func check(m wazero.CompiledModule, code *Code, wasiFuncs []string) error {
	if n := len(m.ImportedMemories()); n > 0 {
		return fmt.Errorf("%w: imports a memory; a contract must define its own", ErrInvalidCode)
	}
	mems := m.ExportedMemories()
	if _, ok := mems["memory"]; !ok || len(mems) != 1 {
		return fmt.Errorf("%w: must define and export exactly one memory, named \"memory\"", ErrInvalidCode)
	}
	exports := m.ExportedFunctions()
	for _, r := range requiredExports {
		f, ok := exports[r.name]
		if !ok {
			return fmt.Errorf("%w: %s", ErrMissingExport, r.name)
		}
		if !slices.Equal(f.ParamTypes(), r.params) || !slices.Equal(f.ResultTypes(), r.results) {
			return fmt.Errorf("%w: %s has the wrong signature", ErrInvalidCode, r.name)
		}
	}
	var caps []string
	for name := range exports {
		if c, ok := strings.CutPrefix(name, "requires_"); ok {
			caps = append(caps, c)
		}
	}
	slices.Sort(caps)
	for _, c := range caps {
		if !slices.Contains(Capabilities, c) {
			return fmt.Errorf("%w: %q (Hermetic offers %s)", ErrCapability, c, strings.Join(Capabilities, ", "))
		}
	}
	code.Capabilities = caps
	for _, e := range entryPoints {
		if _, ok := exports[e]; ok {
			code.EntryPoints = append(code.EntryPoints, e)
		}
	}
	for _, f := range m.ImportedFunctions() {
		mod, name, _ := f.Import()
		if err := checkImport(mod, name, f, wasiFuncs); err != nil {
			return err
		}
	}
	return nil
}

func checkImport(mod, name string, f api.FunctionDefinition, wasiFuncs []string) error {
	switch mod {
	case envModule:
		want, ok := hostSignatures[name]
		if !ok {
			return fmt.Errorf("%w: env.%s", ErrUnknownImport, name)
		}
		if !slices.Equal(f.ParamTypes(), want.params) || !slices.Equal(f.ResultTypes(), want.results) {
			return fmt.Errorf("%w: env.%s has the wrong signature", ErrInvalidCode, name)
		}
		return nil
	case wasiModule:
		if !slices.Contains(wasiFuncs, name) {
			return fmt.Errorf("%w: %s.%s", ErrUnknownImport, mod, name)
		}
		return nil
	}
	return fmt.Errorf("%w: %s.%s", ErrUnknownImport, mod, name)
}

// program returns the compiled, instrumented module of a stored code and
// its instance pool.
func (v *VM) program(hash [32]byte) (*program, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	p, ok := v.compiled[hash]
	if !ok {
		return nil, fmt.Errorf("%w: %x", ErrUnknownCode, hash)
	}
	return p, nil
}
