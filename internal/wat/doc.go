// Package wat is a small assembler for the WebAssembly text format (WAT).
//
// It exists so that the VM's ABI conformance tests can write small
// hand-written CosmWasm-style contracts as WAT inside the Go test source and
// compile them without external tools such as wat2wasm. [Compile] turns
// source text into a binary module (MVP binary format, version 1, plus the
// sign-extension, saturating-truncation and bulk memory.copy/memory.fill
// instructions). Errors are reported as *[SyntaxError] values carrying the
// line and column of the problem and what was expected there.
//
// Only a subset of the text format is supported:
//
//   - (module $id? field*), or the fields alone without the module wrapper.
//   - Fields: type, import (func, table, memory, global), func, table,
//     memory, global, export, start, elem (active, funcref index lists) and
//     data (active). Inline (export "name") and (import "mod" "name") on
//     func/table/memory/global, (table funcref (elem $f ...)) and
//     (memory (data "...")) abbreviations.
//   - Type uses: (type $t) and/or (param $x i32) (param i32 i64) (result ...);
//     implicit types are deduplicated against existing ones.
//   - $identifiers or numeric indices for types, functions, tables, memories,
//     globals, locals and labels; imports come first in each index space.
//   - Instructions in flat form (block/loop/if ... else ... end) and folded
//     form ((i32.add (local.get 0) (i32.const 1)), (if (result i32) cond
//     (then ...) (else ...)), (block $b ...), (loop $l ...)); labels by name
//     or depth in br, br_if and br_table.
//   - Control: unreachable nop block loop if else end br br_if br_table
//     return call call_indirect; parametric: drop select (also typed select);
//     variables: local.get/set/tee global.get/set; table.get/set.
//   - Memory: all i32/i64/f32/f64 loads and stores including the narrow
//     variants, with optional offset=N and align=N; memory.size memory.grow
//     memory.copy memory.fill.
//   - Numeric: i32/i64/f32/f64 const (decimal, hex, '_' separators, inf,
//     nan, nan:0x..., hex floats), every i32/i64/f32/f64 test, comparison and
//     arithmetic instruction, all conversions, reinterpretations,
//     sign-extension (i32.extend8_s ...) and saturating truncation
//     (i32.trunc_sat_f32_s ...).
//   - Comments: ;; line comments and nested (; block ;) comments; strings
//     with \t \n \r \" \' \\ \hh and \u{...} escapes.
//
// Not supported: passive/declarative segments, memory.init/data.drop and
// other table instructions, reference-type instructions, SIMD, threads,
// exception handling, multiple memories, custom sections (no name section is
// emitted) and the script/assertion syntax of the spec test suite. The
// assembler does not type-check function bodies; the resulting binary is
// validated by the runtime that loads it.
package wat

import "fmt"

// Compile assembles WAT source text into a binary WebAssembly module.
//
// On malformed input the returned error wraps a *SyntaxError that gives the
// line:column of the problem and what was expected.
func Compile(src string) ([]byte, error) {
	nodes, err := parseTree(src)
	if err != nil {
		return nil, fmt.Errorf("wat: %w", err)
	}
	fields, err := moduleFields(nodes)
	if err != nil {
		return nil, fmt.Errorf("wat: %w", err)
	}
	bin, err := newCompiler().compile(fields)
	if err != nil {
		return nil, fmt.Errorf("wat: %w", err)
	}
	return bin, nil
}
