package meter

// immediate kinds
const (
	immNone uint8 = iota
	immBlockType
	immU32     // one u32 LEB (labels, function, local, global, table, element, data indices)
	immBrTable // vec(label) label
	immCallInd // type index, table index
	immMemarg  // align, offset
	immMem     // memory index (must be 0)
	immMem2    // two memory indices (memory.copy)
	immDataMem // data index, memory index (memory.init)
	immU32x2   // two u32 (table.init, table.copy)
	immI32     // s32
	immI64     // s64
	immF32     // 4 bytes
	immF64     // 8 bytes
	immSelectT // vec(valtype)
	immRefNull // reference type byte
)

// instruction flags
const (
	fBoundary  uint8 = 1 << iota // the next instruction starts a new run
	fDeadAfter                   // the next instruction is unreachable
	fOpen                        // block, loop, if
	fEnd                         // end
	fNaN32                       // may produce an f32 NaN
	fNaN64                       // may produce an f64 NaN
	fGrow                        // memory.grow: charge GrowPageCost per page
	fBulk                        // charge BulkUnitCost per unit (top of stack)
)

type opInfo struct {
	name  string
	imm   uint8
	class Class
	flags uint8
	ok    bool
	// state: the instruction changes an instance's state outside its
	// memory and globals (a table or a segment); see Info.StateOps.
	state bool
}

// opTable is indexed by the opcode byte; fcTable by the 0xFC sub-opcode.
var opTable [256]opInfo
var fcTable [18]opInfo

// unsupportedOps names opcodes of proposals the instrumenter rejects.
var unsupportedOps = map[byte]string{
	0x06: "try (exception handling)", 0x07: "catch (exception handling)", 0x08: "throw (exception handling)",
	0x09: "rethrow (exception handling)", 0x0a: "throw_ref (exception handling)", 0x18: "delegate (exception handling)",
	0x19: "catch_all (exception handling)", 0x1f: "try_table (exception handling)",
	0x12: "return_call (tail calls)", 0x13: "return_call_indirect (tail calls)",
	0x14: "call_ref (typed function references)", 0x15: "return_call_ref (typed function references)",
	0xd3: "ref.as_non_null (typed function references)", 0xd4: "br_on_null (typed function references)",
	0xd5: "ref.eq (GC)", 0xd6: "br_on_non_null (typed function references)",
	0xfb: "GC prefix 0xfb", 0xfd: "SIMD prefix 0xfd", 0xfe: "threads/atomics prefix 0xfe",
}

func def(op byte, name string, imm uint8, class Class, flags uint8) {
	opTable[op] = opInfo{name: name, imm: imm, class: class, flags: flags, ok: true}
}

func defRange(from, to byte, imm uint8, class Class, flags uint8) {
	for op := int(from); op <= int(to); op++ {
		def(byte(op), "", imm, class, flags)
	}
}

func init() {
	const term = fBoundary | fDeadAfter
	def(0x00, "unreachable", immNone, ClassControl, term)
	def(0x01, "nop", immNone, ClassControl, 0)
	def(0x02, "block", immBlockType, ClassControl, fBoundary|fOpen)
	def(0x03, "loop", immBlockType, ClassControl, fBoundary|fOpen)
	def(0x04, "if", immBlockType, ClassControl, fBoundary|fOpen)
	def(0x05, "else", immNone, ClassControl, fBoundary)
	def(0x0b, "end", immNone, ClassControl, fBoundary|fEnd)
	def(0x0c, "br", immU32, ClassControl, term)
	def(0x0d, "br_if", immU32, ClassControl, fBoundary)
	def(0x0e, "br_table", immBrTable, ClassBrTable, term)
	def(0x0f, "return", immNone, ClassControl, term)
	def(0x10, "call", immU32, ClassCall, fBoundary)
	def(0x11, "call_indirect", immCallInd, ClassCallIndirect, fBoundary)
	def(0x1a, "drop", immNone, ClassParametric, 0)
	def(0x1b, "select", immNone, ClassParametric, 0)
	def(0x1c, "select", immSelectT, ClassParametric, 0)
	defRange(0x20, 0x22, immU32, ClassLocal, 0)
	defRange(0x23, 0x24, immU32, ClassGlobal, 0)
	def(0x25, "table.get", immU32, ClassTable, 0)
	def(0x26, "table.set", immU32, ClassTable, 0)
	defRange(0x28, 0x35, immMemarg, ClassLoad, 0)
	defRange(0x36, 0x3e, immMemarg, ClassStore, 0)
	def(0x3f, "memory.size", immMem, ClassMemorySize, 0)
	def(0x40, "memory.grow", immMem, ClassMemoryGrow, fGrow)
	def(0x41, "i32.const", immI32, ClassConst, 0)
	def(0x42, "i64.const", immI64, ClassConst, 0)
	def(0x43, "f32.const", immF32, ClassConst, 0)
	def(0x44, "f64.const", immF64, ClassConst, 0)
	defRange(0x45, 0x5a, immNone, ClassInt, 0)   // i32/i64 tests and comparisons
	defRange(0x5b, 0x66, immNone, ClassFloat, 0) // f32/f64 comparisons
	defRange(0x67, 0x8a, immNone, ClassInt, 0)   // i32/i64 arithmetic
	def(0x6c, "i32.mul", immNone, ClassIntMul, 0)
	def(0x7e, "i64.mul", immNone, ClassIntMul, 0)
	defRange(0x6d, 0x70, immNone, ClassIntDiv, 0)
	defRange(0x7f, 0x82, immNone, ClassIntDiv, 0)
	// f32: abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign
	defRange(0x8b, 0x98, immNone, ClassFloat, fNaN32)
	defRange(0x99, 0xa6, immNone, ClassFloat, fNaN64)
	for _, op := range []byte{0x8b, 0x8c, 0x98, 0x99, 0x9a, 0xa6} { // abs neg copysign: bit operations
		opTable[op].flags = 0
	}
	for _, op := range []byte{0x91, 0x95, 0x9f, 0xa3} { // sqrt div
		opTable[op].class = ClassFloatDiv
	}
	defRange(0xa7, 0xc4, immNone, ClassConvert, 0)
	opTable[0x26].state = true   // table.set
	opTable[0xb6].flags = fNaN32 // f32.demote_f64
	opTable[0xbb].flags = fNaN64 // f64.promote_f32
	def(0xd0, "ref.null", immRefNull, ClassTable, 0)
	def(0xd1, "ref.is_null", immNone, ClassTable, 0)
	def(0xd2, "ref.func", immU32, ClassTable, 0)

	for i := 0; i <= 7; i++ {
		fcTable[i] = opInfo{imm: immNone, class: ClassConvert, ok: true}
	}
	fcTable[8] = opInfo{name: "memory.init", imm: immDataMem, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[9] = opInfo{name: "data.drop", imm: immU32, class: ClassBulk, ok: true}
	fcTable[10] = opInfo{name: "memory.copy", imm: immMem2, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[11] = opInfo{name: "memory.fill", imm: immMem, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[12] = opInfo{name: "table.init", imm: immU32x2, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[13] = opInfo{name: "elem.drop", imm: immU32, class: ClassBulk, ok: true}
	fcTable[14] = opInfo{name: "table.copy", imm: immU32x2, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[15] = opInfo{name: "table.grow", imm: immU32, class: ClassBulk, flags: fBulk, ok: true}
	fcTable[16] = opInfo{name: "table.size", imm: immU32, class: ClassTable, ok: true}
	fcTable[17] = opInfo{name: "table.fill", imm: immU32, class: ClassBulk, flags: fBulk, ok: true}
	for _, sub := range []int{9, 12, 13, 14, 15, 17} { // data.drop table.init elem.drop table.copy table.grow table.fill
		fcTable[sub].state = true
	}
}
