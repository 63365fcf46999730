package meter

import (
	"fmt"
	"strconv"
)

const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionRank is the position a non-custom section must have in the module.
func sectionRank(id byte) int {
	switch {
	case id >= secType && id <= secElement:
		return int(id)
	case id == secDataCount:
		return 10
	case id == secCode:
		return 11
	case id == secData:
		return 12
	}
	return -1
}

const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
	blockEmpty   = 0x40
)

type section struct {
	id      byte
	off     int    // offset of the section contents in the module
	content []byte // the section contents (without id and size)
}

type module struct {
	sections []section

	typeParams []uint32 // number of parameters per type

	numImportedFuncs   uint32
	numImportedGlobals uint32
	funcTypes          []uint32 // type index per defined function
	numTables          int
	numMemories        int
	numGlobals         uint32 // imported + defined

	exportNames     map[string]bool
	globalExportNam map[uint32]string // first export name per exported global
	numExports      uint32
	hasDataCount    bool
}

func checkValType(v byte, what string) error {
	switch v {
	case valI32, valI64, valF32, valF64, valFuncref:
		return nil
	case valV128:
		return fmt.Errorf("%w: %s: v128 value type (SIMD)", ErrUnsupported, what)
	case valExternref:
		return fmt.Errorf("%w: %s: externref value type (reference types beyond funcref tables)", ErrUnsupported, what)
	}
	return fmt.Errorf("%w: %s: unknown value type %#x", ErrMalformed, what, v)
}

func (r *reader) valType(what string) (byte, error) {
	v, err := r.byte()
	if err != nil {
		return 0, err
	}
	if err := checkValType(v, what); err != nil {
		return 0, fmt.Errorf("at offset %#x: %w", r.off+r.pos-1, err)
	}
	return v, nil
}

func (r *reader) limits(what string) error {
	flag, err := r.byte()
	if err != nil {
		return err
	}
	switch flag {
	case 0:
		_, err = r.u32()
		return err
	case 1:
		if _, err = r.u32(); err != nil {
			return err
		}
		_, err = r.u32()
		return err
	case 2, 3:
		return fmt.Errorf("%w: %s: shared memory (threads)", ErrUnsupported, what)
	case 4, 5, 6, 7:
		return fmt.Errorf("%w: %s: 64-bit limits (memory64)", ErrUnsupported, what)
	}
	return r.errf("%s: bad limits flag %#x", what, flag)
}

func (r *reader) tableType(what string) error {
	rt, err := r.byte()
	if err != nil {
		return err
	}
	switch rt {
	case valFuncref:
	case valExternref:
		return fmt.Errorf("%w: %s: externref table (reference types beyond funcref tables)", ErrUnsupported, what)
	default:
		return r.errf("%s: bad table element type %#x", what, rt)
	}
	return r.limits(what)
}

// constExpr skips a constant expression up to and including its end.
func (r *reader) constExpr(what string) error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case 0x0b:
			return nil
		case 0x41:
			_, err = r.signed(32)
		case 0x42:
			_, err = r.signed(64)
		case 0x43:
			_, err = r.bytes(4)
		case 0x44:
			_, err = r.bytes(8)
		case 0x23, 0xd2: // global.get, ref.func
			_, err = r.u32()
		case 0xd0: // ref.null
			var t byte
			if t, err = r.byte(); err == nil && t != valFuncref {
				if t == valExternref {
					return fmt.Errorf("%w: %s: ref.null extern (reference types beyond funcref tables)", ErrUnsupported, what)
				}
				return r.errf("%s: bad ref.null type %#x", what, t)
			}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended constant expressions
		case 0xfd:
			return fmt.Errorf("%w: %s: SIMD opcode 0xfd in a constant expression", ErrUnsupported, what)
		default:
			return r.errf("%s: opcode %#x not allowed in a constant expression", what, op)
		}
		if err != nil {
			return err
		}
	}
}

func parseModule(b []byte) (*module, error) {
	if len(b) < 8 || string(b[:4]) != "\x00asm" {
		return nil, fmt.Errorf("%w: missing \\0asm magic", ErrMalformed)
	}
	if string(b[4:8]) != "\x01\x00\x00\x00" {
		return nil, fmt.Errorf("%w: unsupported binary version % x", ErrMalformed, b[4:8])
	}
	m := &module{exportNames: map[string]bool{}, globalExportNam: map[uint32]string{}}
	r := &reader{b: b, pos: 8}
	lastRank := 0
	for r.remaining() > 0 {
		id, _ := r.byte()
		size, err := r.u32()
		if err != nil {
			return nil, fmt.Errorf("section %d size: %w", id, err)
		}
		off := r.pos
		content, err := r.bytes(int(size))
		if err != nil {
			return nil, fmt.Errorf("section %d: %w", id, err)
		}
		if id != secCustom {
			rank := sectionRank(id)
			if rank < 0 {
				if id == secTag {
					return nil, fmt.Errorf("%w: tag section (exception handling)", ErrUnsupported)
				}
				return nil, fmt.Errorf("%w: unknown section id %d at offset %#x", ErrMalformed, id, off)
			}
			if rank <= lastRank {
				return nil, fmt.Errorf("%w: section %d out of order or duplicated at offset %#x", ErrMalformed, id, off)
			}
			lastRank = rank
		}
		s := section{id: id, off: off, content: content}
		if err := m.parseSection(s); err != nil {
			return nil, err
		}
		m.sections = append(m.sections, s)
	}
	return m, nil
}

func (m *module) parseSection(s section) error {
	r := &reader{b: s.content, off: s.off}
	var err error
	switch s.id {
	case secCustom:
		var name string
		if name, err = r.name(); err == nil && name == "name" {
			// Copied unchanged, but checked: wazero decodes it and sizes its
			// allocations by the vector counts it contains.
			err = checkNameSection(r)
		}
		return wrapSection(err, "custom")
	case secType:
		err = m.parseTypes(r)
	case secImport:
		err = m.parseImports(r)
	case secFunction:
		var n int
		if n, err = r.count("function", 1); err == nil {
			m.funcTypes = make([]uint32, 0, n)
			for i := 0; i < n && err == nil; i++ {
				var t uint32
				if t, err = r.u32(); err == nil {
					if int(t) >= len(m.typeParams) {
						err = r.errf("function %d: type index %d out of range", m.numImportedFuncs+uint32(i), t)
					}
					m.funcTypes = append(m.funcTypes, t)
				}
			}
		}
	case secTable:
		var n int
		if n, err = r.count("table", 3); err == nil {
			for i := 0; i < n && err == nil; i++ {
				err = r.tableType("table")
			}
			m.numTables += n
			if err == nil && m.numTables > 1 {
				err = fmt.Errorf("%w: %d tables (reference types beyond one funcref table)", ErrUnsupported, m.numTables)
			}
		}
	case secMemory:
		var n int
		if n, err = r.count("memory", 2); err == nil {
			for i := 0; i < n && err == nil; i++ {
				err = r.limits("memory")
			}
			m.numMemories += n
			if err == nil && m.numMemories > 1 {
				err = fmt.Errorf("%w: %d memories (multiple memories)", ErrUnsupported, m.numMemories)
			}
		}
	case secGlobal:
		var n int
		if n, err = r.count("global", 3); err == nil {
			for i := 0; i < n && err == nil; i++ {
				what := "global " + strconv.Itoa(int(m.numGlobals))
				if _, err = r.valType(what); err != nil {
					break
				}
				var mut byte
				if mut, err = r.byte(); err == nil && mut > 1 {
					err = r.errf("%s: bad mutability %#x", what, mut)
				}
				if err == nil {
					err = r.constExpr(what)
				}
				m.numGlobals++
			}
		}
	case secExport:
		err = m.parseExports(r)
	case secStart:
		_, err = r.u32()
	case secDataCount:
		_, err = r.u32()
		m.hasDataCount = true
	case secElement:
		err = checkElements(r)
	case secData:
		err = checkData(r)
	case secCode:
		// Decoded by the instrumentation pass.
		return nil
	}
	if err == nil && r.remaining() != 0 {
		err = r.errf("%d trailing bytes", r.remaining())
	}
	return wrapSection(err, sectionName(s.id))
}

func sectionName(id byte) string {
	names := [...]string{"custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"}
	if int(id) < len(names) {
		return names[id]
	}
	return "section " + strconv.Itoa(int(id))
}

func wrapSection(err error, name string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s section: %w", name, err)
}

func (m *module) parseTypes(r *reader) error {
	n, err := r.count("type", 3)
	if err != nil {
		return err
	}
	m.typeParams = make([]uint32, 0, n)
	for i := 0; i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			if form == 0x5e || form == 0x5f || form == 0x4e || form == 0x4f || form == 0x50 {
				return fmt.Errorf("%w: type %d: GC type form %#x", ErrUnsupported, i, form)
			}
			return r.errf("type %d: bad form %#x", i, form)
		}
		what := "type " + strconv.Itoa(i)
		np, err := r.count("param", 1)
		if err != nil {
			return err
		}
		for j := 0; j < np; j++ {
			if _, err := r.valType(what); err != nil {
				return err
			}
		}
		nr, err := r.count("result", 1)
		if err != nil {
			return err
		}
		for j := 0; j < nr; j++ {
			if _, err := r.valType(what); err != nil {
				return err
			}
		}
		m.typeParams = append(m.typeParams, uint32(np))
	}
	return nil
}

func (m *module) parseImports(r *reader) error {
	n, err := r.count("import", 4)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := r.name(); err != nil {
			return err
		}
		field, err := r.name()
		if err != nil {
			return err
		}
		what := "import " + strconv.Quote(field)
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0:
			t, err := r.u32()
			if err != nil {
				return err
			}
			if int(t) >= len(m.typeParams) {
				return r.errf("%s: type index %d out of range", what, t)
			}
			m.numImportedFuncs++
		case 1:
			if err := r.tableType(what); err != nil {
				return err
			}
			if m.numTables++; m.numTables > 1 {
				return fmt.Errorf("%w: %d tables (reference types beyond one funcref table)", ErrUnsupported, m.numTables)
			}
		case 2:
			if err := r.limits(what); err != nil {
				return err
			}
			if m.numMemories++; m.numMemories > 1 {
				return fmt.Errorf("%w: %d memories (multiple memories)", ErrUnsupported, m.numMemories)
			}
		case 3:
			if _, err := r.valType(what); err != nil {
				return err
			}
			mut, err := r.byte()
			if err != nil {
				return err
			}
			if mut > 1 {
				return r.errf("%s: bad mutability %#x", what, mut)
			}
			m.numImportedGlobals++
			m.numGlobals++
		case 4:
			return fmt.Errorf("%w: %s: tag import (exception handling)", ErrUnsupported, what)
		default:
			return r.errf("%s: bad import kind %#x", what, kind)
		}
	}
	return nil
}

func (m *module) parseExports(r *reader) error {
	n, err := r.count("export", 3)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		idx, err := r.u32()
		if err != nil {
			return err
		}
		switch kind {
		case 0, 1, 2:
		case 3:
			if _, ok := m.globalExportNam[idx]; !ok {
				m.globalExportNam[idx] = name
			}
		case 4:
			return fmt.Errorf("%w: export %q: tag (exception handling)", ErrUnsupported, name)
		default:
			return r.errf("export %q: bad kind %#x", name, kind)
		}
		m.exportNames[name] = true
	}
	m.numExports = uint32(n)
	return nil
}

// checkElements checks the structure of the element section (copied
// unchanged): engines allocate by the counts it declares.
func checkElements(r *reader) error {
	n, err := r.count("element segment", 2)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		what := "element segment " + strconv.Itoa(i)
		flag, err := r.u32()
		if err != nil {
			return err
		}
		if flag > 7 {
			return r.errf("%s: bad flags %d", what, flag)
		}
		if flag&3 == 2 { // explicit table index
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		if flag&1 == 0 { // active: offset expression
			if err := r.constExpr(what); err != nil {
				return err
			}
		}
		if flag&3 != 0 { // element kind or reference type
			k, err := r.byte()
			if err != nil {
				return err
			}
			switch {
			case flag&4 == 0 && k != 0:
				return r.errf("%s: bad element kind %#x", what, k)
			case flag&4 != 0 && k == valExternref:
				return fmt.Errorf("%w: %s: externref elements (reference types beyond funcref tables)", ErrUnsupported, what)
			case flag&4 != 0 && k != valFuncref:
				return r.errf("%s: bad reference type %#x", what, k)
			}
		}
		if flag&4 == 0 {
			m, err := r.count("function index", 1)
			if err != nil {
				return err
			}
			for j := 0; j < m; j++ {
				if _, err := r.u32(); err != nil {
					return err
				}
			}
		} else {
			m, err := r.count("element expression", 2)
			if err != nil {
				return err
			}
			for j := 0; j < m; j++ {
				if err := r.constExpr(what); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// checkData checks the structure of the data section (copied unchanged).
func checkData(r *reader) error {
	n, err := r.count("data segment", 2)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		what := "data segment " + strconv.Itoa(i)
		flag, err := r.u32()
		if err != nil {
			return err
		}
		switch flag {
		case 0:
			err = r.constExpr(what)
		case 1:
		case 2:
			var mem uint32
			if mem, err = r.u32(); err == nil {
				if mem != 0 {
					return fmt.Errorf("%w: %s: memory index %d (multiple memories)", ErrUnsupported, what, mem)
				}
				err = r.constExpr(what)
			}
		default:
			return r.errf("%s: bad flags %d", what, flag)
		}
		if err != nil {
			return err
		}
		size, err := r.count("data byte", 1)
		if err != nil {
			return err
		}
		if _, err := r.bytes(size); err != nil {
			return err
		}
	}
	return nil
}

// checkNameSection checks the vector counts of the "name" custom section's
// module, function and local name subsections against their sizes.
func checkNameSection(r *reader) error {
	for r.remaining() > 0 {
		id, _ := r.byte()
		size, err := r.count("name subsection byte", 1)
		if err != nil {
			return err
		}
		b, err := r.bytes(size)
		if err != nil {
			return err
		}
		sr := &reader{b: b, off: r.off + r.pos - size}
		switch id {
		case 0:
			_, err = sr.name()
		case 1:
			err = sr.nameMap()
		case 2:
			var n int
			if n, err = sr.count("local name map", 2); err == nil {
				for i := 0; i < n && err == nil; i++ {
					if _, err = sr.u32(); err == nil {
						err = sr.nameMap()
					}
				}
			}
		}
		if err != nil {
			return fmt.Errorf("name subsection %d: %w", id, err)
		}
	}
	return nil
}

func (r *reader) nameMap() error {
	n, err := r.count("name", 2)
	for i := 0; i < n && err == nil; i++ {
		if _, err = r.u32(); err == nil {
			_, err = r.name()
		}
	}
	return err
}
