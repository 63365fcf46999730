// Package meter rewrites a WebAssembly module so that its execution is
// metered deterministically. wazero, the engine Hermetic's contract VM runs
// on, has no built-in gas, so the instrumenter injects the accounting into the
// code itself.
//
// # What Instrument does
//
// The module binary is parsed here (no third-party decoder) and every function
// body is decoded instruction by instruction. The supported instruction set is
// what Go's GOOS=wasip1 output and CosmWasm Rust contracts use: the MVP,
// sign-extension, non-trapping float-to-int (0xFC 0–7), bulk memory and the
// funcref-table operations (0xFC 8–17, table.get/set, ref.null func, ref.func,
// ref.is_null) and multi-value block types. SIMD (0xFD), threads (0xFE),
// exception handling, tail calls, externref, more than one table and more than
// one memory are rejected with an error wrapping ErrUnsupported that names the
// feature and the function; input that does not decode is rejected with
// ErrMalformed. Instrument never panics.
//
//  1. Gas. One mutable i64 global is appended and exported as "hermetic_gas"
//     (appending a global renumbers nothing). The host sets it before a call
//     and reads it afterwards; used gas is the difference. At the start of
//     every basic block – function entry and after loop, if, else, br, br_if,
//     br_table, return, unreachable, call, call_indirect and end – the static
//     cost of the straight-line run that follows (up to and including the next
//     such instruction) is charged with
//
//     global.get $gas; i64.const cost; i64.lt_u
//     if i64.const 0; global.set $gas; unreachable end
//     global.get $gas; i64.const cost; i64.sub; global.set $gas
//
//     so the counter never wraps: running out sets the counter to zero and
//     traps with `unreachable`; the host sees the zero and reports out of
//     gas rather than a contract trap. Runs that directly follow br, br_table,
//     return or unreachable are dead code and are not charged. A run that can
//     only be entered by falling into it – after a block instruction, after
//     the end of a loop, after the end of a block no branch targets – is
//     merged into the run before it: the gas of every completed call is
//     exactly the sum of the costs of the instructions executed, and Go
//     wasip1 code, whose blocks are short and deeply nested, runs about 2.5×
//     faster than with a charge at every block boundary. Instructions
//     whose work depends on an operand are charged additionally, before they
//     run, from that operand (the top of the stack, kept in an appended i32
//     local): memory.grow costs Config.GrowPageCost per requested page (a
//     grow without enough gas traps before growing); memory.copy,
//     memory.fill, memory.init, table.copy, table.init, table.fill and
//     table.grow cost Config.BulkUnitCost per byte or element. Static costs
//     come from Config.Costs, per instruction class, plus Config.RunCost
//     per run for the metering code itself.
//
//  2. Globals. Every global that is not exported yet is exported as
//     "hermetic_global_<index>" so that the host can snapshot and restore an
//     initialised instance (wazero can only set exported globals).
//     Info.GlobalNames gives, per global index, a name under which each
//     global can be reached.
//
//  3. NaN canonicalisation. The wasm specification leaves the payload of a NaN
//     produced by arithmetic nondeterministic, and wazero's compiler returns
//     whatever the CPU produces (x86-64 and arm64 differ). After every f32/f64
//     instruction that can produce a new NaN – add, sub, mul, div, sqrt, min,
//     max, ceil, floor, trunc, nearest, f32.demote_f64, f64.promote_f32 – the
//     result is replaced by the canonical NaN (f32 0x7fc00000, f64
//     0x7ff8000000000000) if it is a NaN:
//
//     local.tee $t; fN.const canonical-NaN; local.get $t; local.get $t; fN.eq; select
//
//     (select yields $t when $t == $t, i.e. when it is not a NaN). The
//     sequence has no branch, needs one appended local per float type and
//     preserves every non-NaN bit pattern (including -0). abs, neg, copysign,
//     loads, reinterpretations and conversions from integers are
//     deterministic bit operations and are left alone.
//
// Sections other than global, export and code – custom sections such as
// "name" included – are copied byte for byte; code section and body sizes are
// re-encoded. Instrument does not fully validate the module (the engine does
// that when compiling it): a module that wazero accepts and Instrument does not
// reject is still accepted by wazero after instrumentation. Instrumenting an
// already instrumented module fails, because "hermetic_gas" is taken.
//
// # Instrument is the gate for untrusted bytes
//
// Give wazero only modules Instrument accepted. wazero's decoder sizes
// allocations by counts read from the input before checking them against its
// length (a 30-byte module can make it allocate gigabytes; found by fuzzing).
// Instrument bounds every vector count by the bytes that remain, checks the
// structure of the element, data and "name" sections it copies, and rejects
// functions with more than MaxLocals locals (wazero allocates per local).
package meter

import (
	"errors"
	"fmt"
)

// Errors returned by Instrument (wrapped with context; test with errors.Is).
var (
	// ErrMalformed: the input is not a well-formed WebAssembly binary.
	ErrMalformed = errors.New("meter: malformed wasm")
	// ErrUnsupported: the input uses a feature the metering does not support
	// (SIMD, threads, externref, several memories or tables, ...), or it
	// already uses an export name the instrumentation needs.
	ErrUnsupported = errors.New("meter: unsupported wasm")
	// ErrConfig: the Config cannot be applied.
	ErrConfig = errors.New("meter: invalid config")
)

// GasGlobalName is the export name of the gas counter.
const GasGlobalName = "hermetic_gas"

// GlobalExportPrefix prefixes the exports added for unexported globals.
const GlobalExportPrefix = "hermetic_global_"

// MaxLocals bounds the number of locals (parameters included) a function may
// declare; engines allocate per declared local at compile time.
const MaxLocals = 50000

// Class groups instructions that cost the same.
type Class uint8

const (
	ClassControl      Class = iota // unreachable nop block loop if else end br br_if return
	ClassCall                      // call
	ClassCallIndirect              // call_indirect
	ClassParametric                // drop select
	ClassLocal                     // local.get local.set local.tee
	ClassGlobal                    // global.get global.set
	ClassConst                     // i32/i64/f32/f64.const
	ClassLoad                      // all loads
	ClassStore                     // all stores
	ClassMemorySize                // memory.size
	ClassMemoryGrow                // memory.grow (plus GrowPageCost per page)
	ClassInt                       // integer compare, add, sub, bit operations, shifts, clz, ctz, popcnt
	ClassIntMul                    // i32.mul i64.mul
	ClassIntDiv                    // integer div and rem
	ClassFloat                     // float compare and arithmetic except division and sqrt
	ClassFloatDiv                  // f32/f64 div and sqrt
	ClassConvert                   // wrap, extend, trunc (incl. saturating), convert, demote, promote, reinterpret, sign-extension
	ClassBulk                      // memory.copy/fill/init, data.drop, table.copy/init/fill/grow, elem.drop (plus BulkUnitCost per unit)
	ClassTable                     // table.get table.set table.size ref.null ref.is_null ref.func
	ClassBrTable                   // br_table (an indirect jump)
	NumClasses
)

var classNames = [NumClasses]string{
	"control", "call", "call_indirect", "parametric", "local", "global", "const",
	"load", "store", "memory.size", "memory.grow", "int", "int.mul", "int.div",
	"float", "float.div", "convert", "bulk", "table", "br_table",
}

func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// CostTable is the static cost of one instruction, per class. The zero
// CostTable means DefaultCosts (1 per instruction); any other table is used as
// given, so a class can cost 0.
type CostTable [NumClasses]uint64

// DefaultCosts charges 1 for every instruction.
func DefaultCosts() CostTable {
	var t CostTable
	for i := range t {
		t[i] = 1
	}
	return t
}

// Config parameterises Instrument. The zero Config charges 1 per instruction
// and nothing per page or byte; DefaultConfig is a sensible production start.
type Config struct {
	// Costs is the static cost per instruction class (zero value: 1 each).
	Costs CostTable
	// GrowPageCost is charged per 64 KiB page requested by memory.grow, before
	// it runs (whether or not the grow succeeds). At most 2^32-1.
	GrowPageCost uint64
	// RunCost is added to the static cost of every run (every charge the
	// rewrite inserts): the cost of the metering code itself, which is most
	// of the time of a short run such as a one-instruction loop.
	RunCost uint64
	// BulkUnitCost is charged per byte for memory.copy, memory.fill and
	// memory.init and per element for table.copy, table.init, table.fill and
	// table.grow, before they run. At most 2^32-1.
	BulkUnitCost uint64
	// AccessTiers, when not empty, price every load and store by the size
	// of the memory, on top of Costs[ClassLoad] and Costs[ClassStore]:
	// each run charges, besides its static cost, its number of loads and
	// stores times the price AccessCost gives for the memory's size. The
	// price is kept in a second appended global (AccessPriceGlobalName),
	// which the host sets before a call and the rewrite recomputes after
	// every memory.grow (a grow then ends a run, so the accesses after it
	// pay the new price). A dependent load waits for wherever its address
	// is in the cache hierarchy, and how far that can be is bounded by the
	// memory's size: a load that chases pointers at random through 16 MiB
	// waits for main memory and its page walk, one through 16 KiB for the
	// L1 cache. Tiers are sorted by MaxPages, strictly ascending; at most
	// MaxAccessTiers, each Cost at most MaxAccessCost.
	AccessTiers []AccessTier
	// InitialGas is the value hermetic_gas has when the module is
	// instantiated, i.e. the budget of a start function or of start functions
	// the host runs during instantiation (wazero's WithStartFunctions) before
	// it can set the global. Zero makes any such code trap immediately.
	InitialGas uint64
}

// AccessTier is the price of a load or store while the memory has at most
// MaxPages 64 KiB pages. The last tier's price also holds beyond its
// MaxPages.
type AccessTier struct {
	MaxPages uint32
	Cost     uint64
}

// Limits of Config.AccessTiers: they keep the charge of a run, its number
// of accesses times the price, from overflowing.
const (
	MaxAccessTiers = 16
	MaxAccessCost  = 1 << 24
)

// AccessPriceGlobalName is the export name of the global that holds the
// current price of a load or store when Config.AccessTiers is set.
const AccessPriceGlobalName = "hermetic_access_price"

// AccessCost is the price tiers give a load or store while the memory has
// pages 64 KiB pages: the Cost of the first tier whose MaxPages is at
// least pages, or of the last tier; 0 without tiers.
func AccessCost(tiers []AccessTier, pages uint32) uint64 {
	for _, t := range tiers {
		if pages <= t.MaxPages {
			return t.Cost
		}
	}
	if len(tiers) == 0 {
		return 0
	}
	return tiers[len(tiers)-1].Cost
}

func (c *Config) checkAccessTiers() error {
	if len(c.AccessTiers) > MaxAccessTiers {
		return fmt.Errorf("%w: %d access tiers, at most %d", ErrConfig, len(c.AccessTiers), MaxAccessTiers)
	}
	for i, t := range c.AccessTiers {
		if t.Cost > MaxAccessCost {
			return fmt.Errorf("%w: access tier %d costs %d, at most %d", ErrConfig, i, t.Cost, MaxAccessCost)
		}
		if i > 0 && t.MaxPages <= c.AccessTiers[i-1].MaxPages {
			return fmt.Errorf("%w: access tiers not sorted by MaxPages", ErrConfig)
		}
	}
	return nil
}

// DefaultConfig charges 1 per instruction, 1024 per 64 KiB page grown and 1
// per byte (or table element) copied, filled or initialised in bulk.
func DefaultConfig() Config {
	return Config{Costs: DefaultCosts(), GrowPageCost: 1024, BulkUnitCost: 1}
}

// Info describes the instrumented module.
type Info struct {
	// GasGlobal is the export name of the gas global ("hermetic_gas").
	GasGlobal string
	// GasGlobalIndex is its index in the global index space.
	GasGlobalIndex uint32
	// AccessPriceGlobal is the export name of the access price global
	// (AccessPriceGlobalName), at GasGlobalIndex+1; empty when the Config
	// has no AccessTiers.
	AccessPriceGlobal string
	// ExportedGlobals are the names of the exports added for globals that
	// were not exported ("hermetic_global_<index>"), in index order.
	ExportedGlobals []string
	// GlobalNames holds, for every global of the original module (imported
	// ones first, by index), one export name under which the instrumented
	// module exposes it: its first existing export name or the added one.
	GlobalNames []string
	// Functions is the number of function bodies instrumented.
	Functions int
	// BodySizes are the sizes in bytes of the function bodies as given
	// (before instrumentation), in order: what compiling them costs
	// depends on them (an optimising compiler takes more than linear time
	// in a function's size).
	BodySizes []int
	// Charges is the number of static gas charges inserted.
	Charges int
	// StateOps names, sorted and once each, the instructions the module
	// uses that change an instance's state outside its memory and globals:
	// table.set, table.grow, table.fill, table.copy, table.init (tables) and
	// data.drop, elem.drop (segments). A module that uses none can be reset
	// to a snapshot by restoring its memory and globals alone.
	StateOps []string
}
