package meter

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Instrument returns wasm rewritten for metering (see the package
// documentation) and a description of what was added.
func Instrument(wasm []byte, cfg Config) (out []byte, info Info, err error) {
	if cfg.Costs == (CostTable{}) {
		cfg.Costs = DefaultCosts()
	}
	if cfg.GrowPageCost > math.MaxUint32 || cfg.BulkUnitCost > math.MaxUint32 {
		return nil, Info{}, fmt.Errorf("%w: GrowPageCost and BulkUnitCost must be below 2^32", ErrConfig)
	}
	if err := cfg.checkAccessTiers(); err != nil {
		return nil, Info{}, err
	}
	m, err := parseModule(wasm)
	if err != nil {
		return nil, Info{}, err
	}
	if m.exportNames[GasGlobalName] {
		return nil, Info{}, fmt.Errorf("%w: the module already exports %q (already instrumented?)", ErrUnsupported, GasGlobalName)
	}
	priced := len(cfg.AccessTiers) > 0
	if priced && m.exportNames[AccessPriceGlobalName] {
		return nil, Info{}, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, AccessPriceGlobalName)
	}
	info.GasGlobal = GasGlobalName
	info.GasGlobalIndex = m.numGlobals
	nAppended := uint32(1)
	if priced {
		info.AccessPriceGlobal = AccessPriceGlobalName
		nAppended = 2
	}
	var newExports []byte
	for i := uint32(0); i < m.numGlobals; i++ {
		name, ok := m.globalExportNam[i]
		if !ok {
			name = GlobalExportPrefix + strconv.FormatUint(uint64(i), 10)
			if m.exportNames[name] {
				return nil, Info{}, fmt.Errorf("%w: the module already exports %q", ErrUnsupported, name)
			}
			info.ExportedGlobals = append(info.ExportedGlobals, name)
			newExports = appendName(newExports, name)
			newExports = append(newExports, 3)
			newExports = appendU32(newExports, i)
		}
		info.GlobalNames = append(info.GlobalNames, name)
	}
	newExports = appendName(newExports, GasGlobalName)
	newExports = append(newExports, 3)
	newExports = appendU32(newExports, m.numGlobals)
	if priced {
		newExports = appendName(newExports, AccessPriceGlobalName)
		newExports = append(newExports, 3)
		newExports = appendU32(newExports, m.numGlobals+1)
	}
	nNewExports := uint64(len(info.ExportedGlobals)) + uint64(nAppended)
	if uint64(m.numExports)+nNewExports > math.MaxUint32 || uint64(m.numGlobals)+uint64(nAppended) > math.MaxUint32 {
		return nil, Info{}, fmt.Errorf("%w: too many exports or globals", ErrUnsupported)
	}

	// The appended globals: (global (mut i64) (i64.const InitialGas)) and,
	// with access tiers, (global (mut i64) (i64.const <the last tier's
	// price>)): code that runs before the host can set the price (a start
	// function) pays the highest.
	gasGlobal := []byte{valI64, 1, 0x42}
	gasGlobal = appendS64(gasGlobal, int64(cfg.InitialGas))
	gasGlobal = append(gasGlobal, 0x0b)
	if priced {
		gasGlobal = append(gasGlobal, valI64, 1, 0x42)
		gasGlobal = appendS64(gasGlobal, int64(cfg.AccessTiers[len(cfg.AccessTiers)-1].Cost))
		gasGlobal = append(gasGlobal, 0x0b)
	}

	codeSeen := false
	out = make([]byte, 0, len(wasm)+len(wasm)/2+64)
	out = append(out, wasm[:8]...)
	globalDone, exportDone := false, false
	emitGlobal := func(content []byte) {
		var body []byte
		if content == nil {
			body = appendU32(nil, nAppended)
		} else {
			r := &reader{b: content}
			n, _ := r.u32() // parsed before
			body = appendU32(nil, n+nAppended)
			body = append(body, content[r.pos:]...)
		}
		body = append(body, gasGlobal...)
		out = appendSection(out, secGlobal, body)
		globalDone = true
	}
	emitExport := func(content []byte) {
		var body []byte
		if content == nil {
			body = appendU32(nil, uint32(nNewExports))
		} else {
			r := &reader{b: content}
			n, _ := r.u32()
			body = appendU32(nil, n+uint32(nNewExports))
			body = append(body, content[r.pos:]...)
		}
		body = append(body, newExports...)
		out = appendSection(out, secExport, body)
		exportDone = true
	}
	ins := &instrumenter{m: m, cfg: &cfg, gas: m.numGlobals, price: m.numGlobals + 1, priced: priced}
	for _, s := range m.sections {
		if s.id != secCustom {
			rank := sectionRank(s.id)
			if !globalDone && rank > sectionRank(secGlobal) {
				emitGlobal(nil)
			}
			if !exportDone && rank > sectionRank(secExport) {
				emitExport(nil)
			}
		}
		switch s.id {
		case secGlobal:
			emitGlobal(s.content)
		case secExport:
			emitExport(s.content)
		case secCode:
			codeSeen = true
			body, err := ins.code(s)
			if err != nil {
				return nil, Info{}, err
			}
			out = appendSection(out, secCode, body)
		default:
			out = appendSection(out, s.id, s.content)
		}
	}
	if !globalDone {
		emitGlobal(nil)
	}
	if !exportDone {
		emitExport(nil)
	}
	if !codeSeen && len(m.funcTypes) > 0 {
		return nil, Info{}, fmt.Errorf("%w: %d functions declared but no code section", ErrMalformed, len(m.funcTypes))
	}
	info.Functions = len(m.funcTypes)
	info.BodySizes = ins.bodySizes
	info.Charges = ins.charges
	for name := range ins.state {
		info.StateOps = append(info.StateOps, name)
	}
	slices.Sort(info.StateOps)
	return out, info, nil
}

func appendSection(out []byte, id byte, content []byte) []byte {
	out = append(out, id)
	out = appendU32(out, uint32(len(content)))
	return append(out, content...)
}

// instr is one decoded instruction of a function body.
type instr struct {
	start, end int // byte range in the body
	info       *opInfo
	boundary   bool // the next instruction starts a run
}

type ctlEntry struct {
	op       byte // 0x02 block, 0x03 loop, 0x04 if, 0x05 if with else
	targeted bool // a branch targets the label (blocks only matter)
}

type instrumenter struct {
	m       *module
	cfg     *Config
	gas     uint32 // index of the gas global
	price   uint32 // index of the access price global, when priced
	priced  bool   // cfg.AccessTiers is set
	charges int
	state   map[string]bool // names of the state instructions met

	instrs    []instr
	ctl       []ctlEntry
	runCost   []uint64
	runMem    []uint64 // loads and stores per run, when priced
	bodySizes []int
	scratch   []byte
}

// code rewrites the code section.
func (ins *instrumenter) code(s section) ([]byte, error) {
	r := &reader{b: s.content, off: s.off}
	n, err := r.count("function body", 2)
	if err != nil {
		return nil, wrapSection(err, "code")
	}
	if n != len(ins.m.funcTypes) {
		return nil, fmt.Errorf("%w: code section has %d bodies for %d functions", ErrMalformed, n, len(ins.m.funcTypes))
	}
	out := make([]byte, 0, len(s.content)+len(s.content)/2+16)
	out = appendU32(out, uint32(n))
	for i := 0; i < n; i++ {
		fidx := ins.m.numImportedFuncs + uint32(i)
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", fidx, err)
		}
		bodyOff := r.off + r.pos
		body, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("function %d: %w", fidx, err)
		}
		params := ins.m.typeParams[ins.m.funcTypes[i]]
		ins.bodySizes = append(ins.bodySizes, len(body))
		nb, err := ins.function(body, bodyOff, fidx, params)
		if err != nil {
			return nil, err
		}
		if uint64(len(nb)) > math.MaxUint32 {
			return nil, fmt.Errorf("%w: function %d: instrumented body too large", ErrUnsupported, fidx)
		}
		out = appendU32(out, uint32(len(nb)))
		out = append(out, nb...)
	}
	if r.remaining() != 0 {
		return nil, fmt.Errorf("code section: %w", r.errf("%d trailing bytes", r.remaining()))
	}
	return out, nil
}

func satAdd(a, b uint64) uint64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxUint64
}

func (ins *instrumenter) function(body []byte, off int, fidx, params uint32) ([]byte, error) {
	r := &reader{b: body, off: off}
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("function %d: %w", fidx, err)
	}
	nEntries, err := r.count("local entry", 2)
	if err != nil {
		return fail(err)
	}
	nLocals := uint64(params)
	for j := 0; j < nEntries; j++ {
		c, err := r.u32()
		if err != nil {
			return fail(err)
		}
		if _, err := r.valType("local"); err != nil {
			return fail(err)
		}
		if nLocals += uint64(c); nLocals > MaxLocals {
			return nil, fmt.Errorf("%w: function %d: more than %d locals", ErrUnsupported, fidx, MaxLocals)
		}
	}
	localsEnd := r.pos

	// Decode.
	ins.instrs = ins.instrs[:0]
	ins.ctl = ins.ctl[:0]
	var need uint8
	for done := false; !done; {
		start := r.pos
		op, err := r.byte()
		if err != nil {
			return fail(fmt.Errorf("%w (missing end)", err))
		}
		var info *opInfo
		if op == 0xfc {
			sub, err := r.u32()
			if err != nil {
				return fail(err)
			}
			if sub >= uint32(len(fcTable)) {
				return fail(r.errf("unknown opcode 0xfc %d", sub))
			}
			info = &fcTable[sub]
		} else {
			info = &opTable[op]
			if !info.ok {
				if name, ok := unsupportedOps[op]; ok {
					return nil, fmt.Errorf("%w: function %d at offset %#x: opcode %#x: %s", ErrUnsupported, fidx, off+start, op, name)
				}
				return fail(r.errf("unknown opcode %#x", op))
			}
		}
		boundary := info.flags&fBoundary != 0
		if ins.priced && info.flags&fGrow != 0 {
			boundary = true // the accesses after a grow pay the new price
		}
		switch op {
		case 0x02, 0x03, 0x04: // block, loop, if
			if err := ins.immediates(r, info.imm, op); err != nil {
				return fail(err)
			}
			ins.ctl = append(ins.ctl, ctlEntry{op: op})
			// The body of a block is entered only by falling into it.
			boundary = boundary && op != 0x02
		case 0x0c, 0x0d, 0x0e: // br, br_if, br_table: note the targeted blocks
			n := 1
			if op == 0x0e {
				if n, err = r.count("br_table label", 1); err != nil {
					return fail(err)
				}
				n++
			}
			for j := 0; j < n; j++ {
				l, err := r.u32()
				if err != nil {
					return fail(err)
				}
				if int64(l) < int64(len(ins.ctl)) {
					ins.ctl[len(ins.ctl)-1-int(l)].targeted = true
				}
			}
		case 0x05: // else
			if len(ins.ctl) == 0 || ins.ctl[len(ins.ctl)-1].op != 0x04 {
				return fail(r.errf("else without if"))
			}
			ins.ctl[len(ins.ctl)-1].op = 0x05
		case 0x0b: // end
			if len(ins.ctl) == 0 {
				done = true
				break
			}
			c := ins.ctl[len(ins.ctl)-1]
			ins.ctl = ins.ctl[:len(ins.ctl)-1]
			// What follows the end of a loop, or of a block no branch
			// targets, is reached only by falling through the end.
			if c.op == 0x03 || (c.op == 0x02 && !c.targeted) {
				boundary = false
			}
		default:
			if err := ins.immediates(r, info.imm, op); err != nil {
				return fail(err)
			}
		}
		need |= info.flags
		if info.state {
			if ins.state == nil {
				ins.state = map[string]bool{}
			}
			ins.state[info.name] = true
		}
		ins.instrs = append(ins.instrs, instr{start: start, end: r.pos, info: info, boundary: boundary})
	}
	if r.remaining() != 0 {
		return fail(r.errf("%d bytes after the final end", r.remaining()))
	}

	// Static cost of every run.
	costs := &ins.cfg.Costs
	ins.runCost = ins.runCost[:0]
	ins.runMem = ins.runMem[:0]
	var cost, accesses uint64
	for k := range ins.instrs {
		in := &ins.instrs[k]
		cost = satAdd(cost, costs[in.info.class])
		if c := in.info.class; ins.priced && (c == ClassLoad || c == ClassStore) {
			accesses++
		}
		if in.boundary || k == len(ins.instrs)-1 {
			ins.runCost = append(ins.runCost, satAdd(cost, ins.cfg.RunCost))
			ins.runMem = append(ins.runMem, accesses)
			cost, accesses = 0, 0
		}
	}

	// Appended locals.
	next := uint32(nLocals)
	var tmpLocal, costLocal, f32Local, f64Local uint32
	extra := make([]byte, 0, 8)
	nExtra := 0
	dyn := (need&fGrow != 0 && ins.cfg.GrowPageCost > 0) || (need&fBulk != 0 && ins.cfg.BulkUnitCost > 0)
	if dyn {
		tmpLocal, costLocal = next, next+1
		next += 2
		extra = append(extra, 1, valI32, 1, valI64)
		nExtra += 2
	} else if ins.priced && slices.ContainsFunc(ins.runMem, func(n uint64) bool { return n > 0 }) {
		costLocal = next
		next++
		extra = append(extra, 1, valI64)
		nExtra++
	}
	if need&fNaN32 != 0 {
		f32Local = next
		next++
		extra = append(extra, 1, valF32)
		nExtra++
	}
	if need&fNaN64 != 0 {
		f64Local = next
		next++
		extra = append(extra, 1, valF64)
		nExtra++
	}
	if uint64(next) > MaxLocals+4 {
		return nil, fmt.Errorf("%w: function %d: too many locals", ErrUnsupported, fidx)
	}

	// Emit.
	out := ins.scratch[:0]
	out = appendU32(out, uint32(nEntries+nExtra))
	lr := &reader{b: body}
	_, _ = lr.u32()
	out = append(out, body[lr.pos:localsEnd]...)
	out = append(out, extra...)
	copied := localsEnd
	run := 0
	dead := false
	for k := range ins.instrs {
		in := &ins.instrs[k]
		if k == 0 || ins.instrs[k-1].boundary {
			c, n := ins.runCost[run], ins.runMem[run]
			run++
			if !dead && n > 0 {
				out = append(out, body[copied:in.start]...)
				copied = in.start
				out = ins.accessCharge(out, c, n, costLocal)
			} else if !dead && c > 0 {
				out = append(out, body[copied:in.start]...)
				copied = in.start
				out = ins.charge(out, c)
			}
		}
		dead = in.info.flags&fDeadAfter != 0
		f := in.info.flags
		if f&(fGrow|fBulk) != 0 {
			unit := ins.cfg.BulkUnitCost
			if f&fGrow != 0 {
				unit = ins.cfg.GrowPageCost
			}
			if unit > 0 {
				out = append(out, body[copied:in.start]...)
				copied = in.start
				out = ins.dynCharge(out, unit, tmpLocal, costLocal)
			}
		}
		if f&fGrow != 0 && ins.priced {
			out = append(out, body[copied:in.end]...)
			copied = in.end
			out = ins.reprice(out)
		}
		if f&(fNaN32|fNaN64) != 0 {
			out = append(out, body[copied:in.end]...)
			copied = in.end
			if f&fNaN32 != 0 {
				out = append(out, 0x22)
				out = appendU32(out, f32Local)
				out = append(out, 0x43, 0x00, 0x00, 0xc0, 0x7f, 0x20)
				out = appendU32(out, f32Local)
				out = append(out, 0x20)
				out = appendU32(out, f32Local)
				out = append(out, 0x5b, 0x1b)
			} else {
				out = append(out, 0x22)
				out = appendU32(out, f64Local)
				out = append(out, 0x44, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 0x20)
				out = appendU32(out, f64Local)
				out = append(out, 0x20)
				out = appendU32(out, f64Local)
				out = append(out, 0x61, 0x1b)
			}
		}
	}
	out = append(out, body[copied:]...)
	ins.scratch = out
	return out, nil
}

// outOfGas appends what runs when the check before it found too little
// gas: `if; i64.const 0; global.set $gas; unreachable; end`. Zeroing the
// counter tells the host that the trap is the meter's, not the contract's
// own unreachable.
func (ins *instrumenter) outOfGas(out []byte) []byte {
	out = append(out, 0x04, blockEmpty, 0x42, 0x00, 0x24)
	out = appendU32(out, ins.gas)
	return append(out, 0x00, 0x0b)
}

// charge appends the static charge of cost.
func (ins *instrumenter) charge(out []byte, cost uint64) []byte {
	ins.charges++
	out = append(out, 0x23)
	out = appendU32(out, ins.gas)
	out = append(out, 0x42)
	out = appendS64(out, int64(cost))
	out = ins.outOfGas(append(out, 0x54))
	out = append(out, 0x23)
	out = appendU32(out, ins.gas)
	out = append(out, 0x42)
	out = appendS64(out, int64(cost))
	out = append(out, 0x7d, 0x24)
	return appendU32(out, ins.gas)
}

// accessCharge appends the charge of a run of static cost c with n loads
// and stores: c + n × the access price, computed in the i64 local cost.
// The price is at most MaxAccessCost (2^24) and n below 2^32, so with c
// capped at 2^62 (more than any gas limit) the sum cannot overflow.
func (ins *instrumenter) accessCharge(out []byte, c, n uint64, cost uint32) []byte {
	ins.charges++
	out = append(out, 0x42)
	out = appendS64(out, int64(min(c, 1<<62)))
	out = append(out, 0x23)
	out = appendU32(out, ins.price)
	if n > 1 {
		out = append(out, 0x42)
		out = appendS64(out, int64(min(n, math.MaxUint32)))
		out = append(out, 0x7e) // i64.mul
	}
	out = append(out, 0x7c, 0x21) // i64.add; local.set
	out = appendU32(out, cost)
	return ins.takeLocal(out, cost)
}

// takeLocal appends the charge of the i64 in local cost: out of gas if the
// counter holds less, else subtracted from it.
func (ins *instrumenter) takeLocal(out []byte, cost uint32) []byte {
	out = append(out, 0x23)
	out = appendU32(out, ins.gas)
	out = append(out, 0x20)
	out = appendU32(out, cost)
	out = ins.outOfGas(append(out, 0x54))
	out = append(out, 0x23)
	out = appendU32(out, ins.gas)
	out = append(out, 0x20)
	out = appendU32(out, cost)
	out = append(out, 0x7d, 0x24)
	return appendU32(out, ins.gas)
}

// reprice appends, after a memory.grow, the recomputation of the access
// price from the memory's new size (AccessCost as wasm): the last tier's
// price, then for every tier from the second last down, its price if the
// memory has at most its MaxPages pages. The grow's result stays on the
// stack.
func (ins *instrumenter) reprice(out []byte) []byte {
	tiers := ins.cfg.AccessTiers
	out = append(out, 0x42)
	out = appendS64(out, int64(tiers[len(tiers)-1].Cost))
	out = append(out, 0x24)
	out = appendU32(out, ins.price)
	for i := len(tiers) - 2; i >= 0; i-- {
		out = append(out, 0x42)
		out = appendS64(out, int64(tiers[i].Cost))
		out = append(out, 0x23)
		out = appendU32(out, ins.price)
		out = append(out, 0x3f, 0x00, 0x41)                   // memory.size 0; i32.const
		out = appendS64(out, int64(int32(tiers[i].MaxPages))) // i32.le_u reads it unsigned
		out = append(out, 0x4d, 0x1b, 0x24)                   // i32.le_u; select; global.set
		out = appendU32(out, ins.price)
	}
	return out
}

// dynCharge appends the charge of unit × the i32 on top of the stack, which
// it leaves in place.
func (ins *instrumenter) dynCharge(out []byte, unit uint64, tmp, cost uint32) []byte {
	out = append(out, 0x22)
	out = appendU32(out, tmp)
	out = append(out, 0xad, 0x42)
	out = appendS64(out, int64(unit))
	out = append(out, 0x7e, 0x21)
	out = appendU32(out, cost)
	out = ins.takeLocal(out, cost)
	out = append(out, 0x20)
	return appendU32(out, tmp)
}

// immediates skips the immediates of an instruction, checking them as far as
// the metering depends on them.
func (ins *instrumenter) immediates(r *reader, imm uint8, op byte) error {
	var err error
	switch imm {
	case immNone:
	case immBlockType:
		var c byte
		if c, err = r.byte(); err != nil {
			return err
		}
		switch c {
		case blockEmpty, valI32, valI64, valF32, valF64, valFuncref:
		case valV128:
			return fmt.Errorf("%w: at offset %#x: v128 block type (SIMD)", ErrUnsupported, r.off+r.pos-1)
		case valExternref:
			return fmt.Errorf("%w: at offset %#x: externref block type (reference types beyond funcref tables)", ErrUnsupported, r.off+r.pos-1)
		default:
			r.pos--
			var t int64
			if t, err = r.signed(33); err != nil {
				return err
			}
			if t < 0 || t >= int64(len(ins.m.typeParams)) {
				return r.errf("bad block type %d", t)
			}
		}
	case immU32:
		_, err = r.u32()
	case immBrTable:
		var n int
		if n, err = r.count("br_table label", 1); err != nil {
			return err
		}
		for i := 0; i <= n && err == nil; i++ {
			_, err = r.u32()
		}
	case immCallInd:
		if _, err = r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
	case immMemarg:
		var align uint32
		if align, err = r.u32(); err != nil {
			return err
		}
		if align&0x40 != 0 {
			return fmt.Errorf("%w: at offset %#x: memory index in memarg (multiple memories)", ErrUnsupported, r.off+r.pos)
		}
		_, err = r.u32()
	case immMem, immMem2, immDataMem:
		if imm == immDataMem {
			if _, err = r.u32(); err != nil {
				return err
			}
		}
		n := 1
		if imm == immMem2 {
			n = 2
		}
		for i := 0; i < n; i++ {
			var x uint32
			if x, err = r.u32(); err != nil {
				return err
			}
			if x != 0 {
				return fmt.Errorf("%w: at offset %#x: memory index %d (multiple memories)", ErrUnsupported, r.off+r.pos, x)
			}
		}
	case immU32x2:
		if _, err = r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
	case immI32:
		_, err = r.signed(32)
	case immI64:
		_, err = r.signed(64)
	case immF32:
		_, err = r.bytes(4)
	case immF64:
		_, err = r.bytes(8)
	case immSelectT:
		var n int
		if n, err = r.count("select type", 1); err != nil {
			return err
		}
		for i := 0; i < n && err == nil; i++ {
			_, err = r.valType("select")
		}
	case immRefNull:
		var t byte
		if t, err = r.byte(); err != nil {
			return err
		}
		if t == valExternref {
			return fmt.Errorf("%w: at offset %#x: ref.null extern (reference types beyond funcref tables)", ErrUnsupported, r.off+r.pos-1)
		}
		if t != valFuncref {
			return r.errf("bad ref.null type %#x", t)
		}
	}
	return err
}
