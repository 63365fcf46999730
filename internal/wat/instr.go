package wat

import (
	"fmt"
	"strings"
)

// immKind says which immediates follow an instruction's opcode.
type immKind int

const (
	immNone immKind = iota
	immLabel
	immBrTable
	immFunc
	immCallIndirect
	immLocal
	immGlobal
	immTable
	immMem
	immMemIdx
	immMemCopy
	immI32
	immI64
	immF32
	immF64
	immSelect
)

// opInfo describes a plain (non-structured) instruction.
type opInfo struct {
	prefix byte   // 0 for single-byte opcodes, 0xFC for the misc prefix
	code   uint32 // opcode (or sub-opcode after the prefix)
	imm    immKind
	align  uint32 // natural alignment (log2) for memory instructions
}

// newOpTable builds the table of plain instructions by name. It is built per
// compilation so that the package holds no mutable global state.
func newOpTable() map[string]opInfo {
	t := make(map[string]opInfo, 256)
	add := func(code byte, imm immKind, names ...string) {
		for i, n := range names {
			t[n] = opInfo{code: uint32(code) + uint32(i), imm: imm}
		}
	}
	typed := func(code byte, ty string, names ...string) {
		for i, n := range names {
			t[ty+"."+n] = opInfo{code: uint32(code) + uint32(i)}
		}
	}
	mem := func(code byte, align uint32, name string) {
		t[name] = opInfo{code: uint32(code), imm: immMem, align: align}
	}
	misc := func(code uint32, imm immKind, name string) {
		t[name] = opInfo{prefix: 0xFC, code: code, imm: imm}
	}

	add(0x00, immNone, "unreachable", "nop")
	add(0x0C, immLabel, "br", "br_if")
	add(0x0E, immBrTable, "br_table")
	add(0x0F, immNone, "return")
	add(0x10, immFunc, "call")
	add(0x11, immCallIndirect, "call_indirect")
	add(0x1A, immNone, "drop")
	add(0x1B, immSelect, "select")
	add(0x20, immLocal, "local.get", "local.set", "local.tee")
	add(0x23, immGlobal, "global.get", "global.set")
	add(0x25, immTable, "table.get", "table.set")

	mem(0x28, 2, "i32.load")
	mem(0x29, 3, "i64.load")
	mem(0x2A, 2, "f32.load")
	mem(0x2B, 3, "f64.load")
	mem(0x2C, 0, "i32.load8_s")
	mem(0x2D, 0, "i32.load8_u")
	mem(0x2E, 1, "i32.load16_s")
	mem(0x2F, 1, "i32.load16_u")
	mem(0x30, 0, "i64.load8_s")
	mem(0x31, 0, "i64.load8_u")
	mem(0x32, 1, "i64.load16_s")
	mem(0x33, 1, "i64.load16_u")
	mem(0x34, 2, "i64.load32_s")
	mem(0x35, 2, "i64.load32_u")
	mem(0x36, 2, "i32.store")
	mem(0x37, 3, "i64.store")
	mem(0x38, 2, "f32.store")
	mem(0x39, 3, "f64.store")
	mem(0x3A, 0, "i32.store8")
	mem(0x3B, 1, "i32.store16")
	mem(0x3C, 0, "i64.store8")
	mem(0x3D, 1, "i64.store16")
	mem(0x3E, 2, "i64.store32")
	add(0x3F, immMemIdx, "memory.size", "memory.grow")

	add(0x41, immI32, "i32.const")
	add(0x42, immI64, "i64.const")
	add(0x43, immF32, "f32.const")
	add(0x44, immF64, "f64.const")

	icmp := []string{"eqz", "eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"}
	typed(0x45, "i32", icmp...)
	typed(0x50, "i64", icmp...)
	fcmp := []string{"eq", "ne", "lt", "gt", "le", "ge"}
	typed(0x5B, "f32", fcmp...)
	typed(0x61, "f64", fcmp...)
	iarith := []string{"clz", "ctz", "popcnt", "add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u",
		"and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"}
	typed(0x67, "i32", iarith...)
	typed(0x79, "i64", iarith...)
	farith := []string{"abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt", "add", "sub", "mul", "div",
		"min", "max", "copysign"}
	typed(0x8B, "f32", farith...)
	typed(0x99, "f64", farith...)

	add(0xA7, immNone,
		"i32.wrap_i64",
		"i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
		"i64.extend_i32_s", "i64.extend_i32_u",
		"i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
		"f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u",
		"f32.demote_f64",
		"f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u",
		"f64.promote_f32",
		"i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64",
		"i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s")

	for i, n := range []string{
		"i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
		"i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u",
	} {
		misc(uint32(i), immNone, n)
	}
	misc(10, immMemCopy, "memory.copy")
	misc(11, immMemIdx, "memory.fill")
	return t
}

// Block kinds on the label stack.
const (
	blockFunc = iota
	blockBlock
	blockLoop
	blockIf
)

// label is one entry on the control stack of a function body.
type label struct {
	name    string
	kind    int
	instr   string
	pos     pos
	sawElse bool
}

// bodyEncoder encodes an instruction sequence (function body or constant
// expression).
type bodyEncoder struct {
	c          *compiler
	localNames map[string]uint32
	numLocals  uint32
	labels     []label
	out        []byte
}

// seq encodes instructions until the cursor is exhausted. Flat structured
// instructions opened inside the sequence must be closed by 'end' within it.
func (e *bodyEncoder) seq(cur *cursor) error {
	base := len(e.labels)
	for !cur.done() {
		n := cur.next()
		switch n.kind {
		case nodeList:
			if err := e.folded(n); err != nil {
				return err
			}
		case nodeAtom:
			if err := e.flat(n, cur, base); err != nil {
				return err
			}
		default:
			return errAt(n.pos, "expected instruction, got %s", describe(n))
		}
	}
	if len(e.labels) > base {
		l := e.labels[len(e.labels)-1]
		return errAt(cur.end, "expected 'end' closing '%s' opened at %s", l.instr, l.pos)
	}
	return nil
}

func blockOpcode(name string) (byte, int, bool) {
	switch name {
	case "block":
		return 0x02, blockBlock, true
	case "loop":
		return 0x03, blockLoop, true
	case "if":
		return 0x04, blockIf, true
	}
	return 0, 0, false
}

// flat encodes one instruction in flat (linear) syntax.
func (e *bodyEncoder) flat(n *node, cur *cursor, base int) error {
	if op, kind, ok := blockOpcode(n.text); ok {
		name := cur.optID()
		bt, err := e.c.blockType(cur)
		if err != nil {
			return err
		}
		e.out = append(append(e.out, op), bt...)
		e.labels = append(e.labels, label{name: name, kind: kind, instr: n.text, pos: n.pos})
		return nil
	}
	switch n.text {
	case "else":
		if len(e.labels) <= base || e.labels[len(e.labels)-1].kind != blockIf || e.labels[len(e.labels)-1].sawElse {
			return errAt(n.pos, "unexpected 'else': no open 'if'")
		}
		top := &e.labels[len(e.labels)-1]
		if err := e.closingID(cur, top); err != nil {
			return err
		}
		top.sawElse = true
		e.out = append(e.out, 0x05)
		return nil
	case "end":
		if len(e.labels) <= base {
			return errAt(n.pos, "unexpected 'end': no open block, loop or if")
		}
		if err := e.closingID(cur, &e.labels[len(e.labels)-1]); err != nil {
			return err
		}
		e.labels = e.labels[:len(e.labels)-1]
		e.out = append(e.out, 0x0B)
		return nil
	case "then":
		return errAt(n.pos, "unexpected 'then' outside folded '(if ...)'")
	}
	b, err := e.plain(n, cur)
	if err != nil {
		return err
	}
	e.out = append(e.out, b...)
	return nil
}

// closingID consumes an optional $label after else/end, which must match.
func (e *bodyEncoder) closingID(cur *cursor, l *label) error {
	if !isID(cur.peek()) {
		return nil
	}
	n := cur.next()
	if n.text != l.name {
		return errAt(n.pos, "mismatched label %s: expected %q", n.text, l.name)
	}
	return nil
}

// folded encodes one folded instruction "(op ...)".
func (e *bodyEncoder) folded(list *node) error {
	if len(list.items) == 0 {
		return errAt(list.pos, "expected instruction after '('")
	}
	head := list.items[0]
	if head.kind != nodeAtom || isID(head) {
		return errAt(head.pos, "expected instruction, got %s", describe(head))
	}
	cur := listCursor(list, 1)
	if op, kind, ok := blockOpcode(head.text); ok {
		name := cur.optID()
		bt, err := e.c.blockType(cur)
		if err != nil {
			return err
		}
		if kind != blockIf {
			e.out = append(append(e.out, op), bt...)
			e.labels = append(e.labels, label{name: name, kind: kind, instr: head.text, pos: head.pos})
			if err := e.seq(cur); err != nil {
				return err
			}
			e.labels = e.labels[:len(e.labels)-1]
			e.out = append(e.out, 0x0B)
			return nil
		}
		// (if label? blocktype cond* (then instr*) (else instr*)?)
		for !cur.done() && !cur.peekList("then") {
			c := cur.peek()
			if c.kind != nodeList {
				return cur.expected("folded condition or '(then ...)'")
			}
			cur.next()
			if err := e.folded(c); err != nil {
				return err
			}
		}
		if !cur.peekList("then") {
			return cur.expected("'(then ...)'")
		}
		then := cur.next()
		e.out = append(append(e.out, op), bt...)
		e.labels = append(e.labels, label{name: name, kind: kind, instr: head.text, pos: head.pos})
		if err := e.seq(listCursor(then, 1)); err != nil {
			return err
		}
		if cur.peekList("else") {
			els := cur.next()
			e.out = append(e.out, 0x05)
			if err := e.seq(listCursor(els, 1)); err != nil {
				return err
			}
		}
		if err := cur.close(); err != nil {
			return err
		}
		e.labels = e.labels[:len(e.labels)-1]
		e.out = append(e.out, 0x0B)
		return nil
	}
	switch head.text {
	case "then", "else", "end":
		return errAt(head.pos, "unexpected '%s' here", head.text)
	}
	b, err := e.plain(head, cur)
	if err != nil {
		return err
	}
	for !cur.done() {
		operand := cur.peek()
		if operand.kind != nodeList {
			return cur.expected("folded operand '(...)' or ')'")
		}
		cur.next()
		if err := e.folded(operand); err != nil {
			return err
		}
	}
	e.out = append(e.out, b...)
	return nil
}

// plain encodes a non-structured instruction and its immediates, consumed
// from cur, and returns the bytes.
func (e *bodyEncoder) plain(head *node, cur *cursor) ([]byte, error) {
	op, ok := e.c.ops[head.text]
	if !ok {
		return nil, errAt(head.pos, "unknown instruction %q", head.text)
	}
	var b []byte
	if op.prefix != 0 {
		b = appendU32(append(b, op.prefix), op.code)
	} else {
		b = append(b, byte(op.code))
	}
	switch op.imm {
	case immNone:
	case immLabel:
		n, err := cur.atom("label ($name or depth)")
		if err != nil {
			return nil, err
		}
		d, err := e.labelDepth(n)
		if err != nil {
			return nil, err
		}
		b = appendU32(b, d)
	case immBrTable:
		var depths []uint32
		for isIndex(cur.peek()) {
			d, err := e.labelDepth(cur.next())
			if err != nil {
				return nil, err
			}
			depths = append(depths, d)
		}
		if len(depths) == 0 {
			return nil, cur.expected("br_table label ($name or depth)")
		}
		b = appendU32(b, uint32(len(depths)-1))
		for _, d := range depths {
			b = appendU32(b, d)
		}
	case immFunc:
		n, err := cur.atom("function index or $name")
		if err != nil {
			return nil, err
		}
		idx, err := e.c.funcs.resolve(n)
		if err != nil {
			return nil, err
		}
		b = appendU32(b, idx)
	case immCallIndirect:
		var table uint32
		if isIndex(cur.peek()) {
			t, err := e.c.tables.resolve(cur.next())
			if err != nil {
				return nil, err
			}
			table = t
		}
		ty, _, err := e.c.typeUse(cur, false)
		if err != nil {
			return nil, err
		}
		b = appendU32(appendU32(b, ty), table)
	case immLocal:
		n, err := cur.atom("local index or $name")
		if err != nil {
			return nil, err
		}
		idx, err := e.local(n)
		if err != nil {
			return nil, err
		}
		b = appendU32(b, idx)
	case immGlobal:
		n, err := cur.atom("global index or $name")
		if err != nil {
			return nil, err
		}
		idx, err := e.c.globals.resolve(n)
		if err != nil {
			return nil, err
		}
		b = appendU32(b, idx)
	case immTable:
		var table uint32
		if isIndex(cur.peek()) {
			t, err := e.c.tables.resolve(cur.next())
			if err != nil {
				return nil, err
			}
			table = t
		}
		b = appendU32(b, table)
	case immMem:
		align, offset := op.align, uint32(0)
		if n := cur.peek(); n != nil && n.kind == nodeAtom && strings.HasPrefix(n.text, "offset=") {
			cur.next()
			v, err := parseU32(strings.TrimPrefix(n.text, "offset="))
			if err != nil {
				return nil, errAt(n.pos, "bad offset %q: %v", n.text, err)
			}
			offset = v
		}
		if n := cur.peek(); n != nil && n.kind == nodeAtom && strings.HasPrefix(n.text, "align=") {
			cur.next()
			v, err := parseU32(strings.TrimPrefix(n.text, "align="))
			if err != nil {
				return nil, errAt(n.pos, "bad alignment %q: %v", n.text, err)
			}
			l, ok := log2(v)
			if !ok {
				return nil, errAt(n.pos, "bad alignment %q: expected a power of two", n.text)
			}
			align = l
		}
		b = appendU32(appendU32(b, align), offset)
	case immMemIdx:
		b = append(b, 0x00)
	case immMemCopy:
		b = append(b, 0x00, 0x00)
	case immI32, immI64:
		width := uint(32)
		if op.imm == immI64 {
			width = 64
		}
		n, err := cur.atom(fmt.Sprintf("i%d literal", width))
		if err != nil {
			return nil, err
		}
		v, err := parseInt(n.text, width)
		if err != nil {
			return nil, errAt(n.pos, "bad i%d literal %q: %v", width, n.text, err)
		}
		if width == 32 {
			b = appendS64(b, int64(int32(uint32(v))))
		} else {
			b = appendS64(b, int64(v))
		}
	case immF32, immF64:
		width := 32
		if op.imm == immF64 {
			width = 64
		}
		n, err := cur.atom(fmt.Sprintf("f%d literal", width))
		if err != nil {
			return nil, err
		}
		v, err := parseFloat(n.text, width)
		if err != nil {
			return nil, errAt(n.pos, "bad f%d literal %q: %v", width, n.text, err)
		}
		if width == 32 {
			b = appendF32(b, v)
		} else {
			b = appendF64(b, v)
		}
	case immSelect:
		if cur.peekList("result") {
			var types []byte
			for cur.peekList("result") {
				ts, err := valTypes(listCursor(cur.next(), 1))
				if err != nil {
					return nil, err
				}
				types = append(types, ts...)
			}
			b = appendName([]byte{0x1C}, types)
		}
	default:
		return nil, errAt(head.pos, "internal error: unhandled immediate for %q", head.text)
	}
	return b, nil
}

// labelDepth resolves a branch target ($name or relative depth).
func (e *bodyEncoder) labelDepth(n *node) (uint32, error) {
	if isID(n) {
		for i := len(e.labels) - 1; i >= 0; i-- {
			if e.labels[i].name == n.text {
				return uint32(len(e.labels) - 1 - i), nil
			}
		}
		return 0, errAt(n.pos, "unknown label %s", n.text)
	}
	d, err := parseU32(n.text)
	if err != nil {
		return 0, errAt(n.pos, "expected label ($name or depth), got %q", n.text)
	}
	if int64(d) >= int64(len(e.labels)) {
		return 0, errAt(n.pos, "label depth %d out of range (%d enclosing blocks)", d, len(e.labels))
	}
	return d, nil
}

// local resolves a local (or parameter) reference.
func (e *bodyEncoder) local(n *node) (uint32, error) {
	if isID(n) {
		idx, ok := e.localNames[n.text]
		if !ok {
			return 0, errAt(n.pos, "unknown local %s", n.text)
		}
		return idx, nil
	}
	idx, err := parseU32(n.text)
	if err != nil {
		return 0, errAt(n.pos, "expected local index or $name, got %q", n.text)
	}
	if idx >= e.numLocals {
		return 0, errAt(n.pos, "local index %d out of range (have %d)", idx, e.numLocals)
	}
	return idx, nil
}
