package wat

import (
	"bytes"
	"fmt"
	"unicode/utf8"
)

// Value and reference type encodings.
const (
	typeI32       byte = 0x7F
	typeI64       byte = 0x7E
	typeF32       byte = 0x7D
	typeF64       byte = 0x7C
	typeFuncref   byte = 0x70
	typeExternref byte = 0x6F
)

// External kinds used by imports and exports.
const (
	kindFunc   byte = 0x00
	kindTable  byte = 0x01
	kindMemory byte = 0x02
	kindGlobal byte = 0x03
)

// Section ids.
const (
	secType   byte = 1
	secImport byte = 2
	secFunc   byte = 3
	secTable  byte = 4
	secMemory byte = 5
	secGlobal byte = 6
	secExport byte = 7
	secStart  byte = 8
	secElem   byte = 9
	secCode   byte = 10
	secData   byte = 11
)

// funcType is a function signature.
type funcType struct {
	params  []byte
	results []byte
}

func (t funcType) equal(o funcType) bool {
	return bytes.Equal(t.params, o.params) && bytes.Equal(t.results, o.results)
}

// space is one index space (types, functions, tables, memories, globals).
type space struct {
	what  string
	names map[string]uint32
	count uint32
}

func newSpace(what string) *space { return &space{what: what, names: make(map[string]uint32)} }

// define binds a $id (if any) to idx.
func (s *space) define(id *node, idx uint32) error {
	if id == nil {
		return nil
	}
	if _, dup := s.names[id.text]; dup {
		return errAt(id.pos, "duplicate %s %s", s.what, id.text)
	}
	s.names[id.text] = idx
	return nil
}

// resolve turns a $id or numeric index into an index in the space.
func (s *space) resolve(n *node) (uint32, error) {
	if n.kind != nodeAtom {
		return 0, errAt(n.pos, "expected %s index or $name, got %s", s.what, describe(n))
	}
	if isID(n) {
		idx, ok := s.names[n.text]
		if !ok {
			return 0, errAt(n.pos, "unknown %s %s", s.what, n.text)
		}
		return idx, nil
	}
	idx, err := parseU32(n.text)
	if err != nil {
		return 0, errAt(n.pos, "expected %s index or $name, got %q", s.what, n.text)
	}
	if idx >= s.count {
		return 0, errAt(n.pos, "%s index %d out of range (have %d)", s.what, idx, s.count)
	}
	return idx, nil
}

// section accumulates the entries of one vector-shaped section.
type section struct {
	n uint32
	b []byte
}

func (s *section) add(entry []byte) {
	s.n++
	s.b = append(s.b, entry...)
}

// field is one module field after the first pass.
type field struct {
	node    *node
	kind    string  // func, table, memory, global, type, export, start, elem, data
	id      *node   // optional $id
	exports []*node // inline (export "name") strings
	impMod  *node   // import module name, if imported
	impName *node
	rest    *cursor // remaining items after the header
	index   uint32  // index in its space, for entity fields
}

// pendingBody is a function body waiting for the code section.
type pendingBody struct {
	f          *field
	paramNames []*node
	params     []byte
}

// compiler holds the state of one Compile call.
type compiler struct {
	ops     map[string]opInfo
	types   []funcType
	typeIDs *space
	funcs   *space
	tables  *space
	mems    *space
	globals *space

	exportNames map[string]bool
	imports     section
	funcDecls   section
	tableDefs   section
	memDefs     section
	globalDefs  section
	exportDefs  section
	elems       section
	code        section
	datas       section
	start       []byte
	bodies      []pendingBody
}

func newCompiler() *compiler {
	return &compiler{
		ops:         newOpTable(),
		typeIDs:     newSpace("type"),
		funcs:       newSpace("function"),
		tables:      newSpace("table"),
		mems:        newSpace("memory"),
		globals:     newSpace("global"),
		exportNames: make(map[string]bool),
	}
}

// moduleFields unwraps an optional (module $id? ...) and returns its fields.
func moduleFields(nodes []*node) ([]*node, error) {
	items := nodes
	if len(nodes) > 0 && nodes[0].head() == "module" {
		if len(nodes) > 1 {
			return nil, errAt(nodes[1].pos, "expected end of input after (module ...), got %s", describe(nodes[1]))
		}
		cur := listCursor(nodes[0], 1)
		cur.optID()
		items = cur.items[cur.i:]
	}
	for _, n := range items {
		if n.kind != nodeList {
			return nil, errAt(n.pos, "expected module field '(...)', got %s", describe(n))
		}
	}
	return items, nil
}

func (c *compiler) compile(nodes []*node) ([]byte, error) {
	fields, err := c.collect(nodes)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if err := c.field(f); err != nil {
			return nil, err
		}
	}
	for _, b := range c.bodies {
		if err := c.body(b); err != nil {
			name := fmt.Sprintf("#%d", b.f.index)
			if b.f.id != nil {
				name = b.f.id.text
			}
			return nil, fmt.Errorf("func %s: %w", name, err)
		}
	}
	return c.emit(), nil
}

// collect is the first pass: it splits fields into headers, defines types
// and assigns indices to every named entity (imports first).
func (c *compiler) collect(nodes []*node) ([]*field, error) {
	var fields []*field
	imported := map[string]uint32{}
	for _, n := range nodes {
		f, err := c.header(n)
		if err != nil {
			return nil, err
		}
		if f.impMod != nil {
			imported[f.kind]++
		}
		fields = append(fields, f)
	}
	spaces := map[string]*space{"func": c.funcs, "table": c.tables, "memory": c.mems, "global": c.globals}
	nextImport := map[string]uint32{}
	nextDef := map[string]uint32{}
	for k, v := range imported {
		nextDef[k] = v
	}
	for _, f := range fields {
		if f.kind == "type" {
			if err := c.typeField(f); err != nil {
				return nil, err
			}
			continue
		}
		s, ok := spaces[f.kind]
		if !ok {
			continue
		}
		if f.impMod != nil {
			f.index = nextImport[f.kind]
			nextImport[f.kind]++
		} else {
			f.index = nextDef[f.kind]
			nextDef[f.kind]++
		}
		s.count++
		if err := s.define(f.id, f.index); err != nil {
			return nil, err
		}
	}
	return fields, nil
}

// header parses the part of a field needed for the first pass.
func (c *compiler) header(n *node) (*field, error) {
	head := n.head()
	f := &field{node: n, kind: head}
	switch head {
	case "type", "export", "start", "elem", "data":
		f.rest = listCursor(n, 1)
		return f, nil
	case "import":
		cur := listCursor(n, 1)
		mod, err := cur.str("import module name string")
		if err != nil {
			return nil, err
		}
		name, err := cur.str("import name string")
		if err != nil {
			return nil, err
		}
		desc := cur.peek()
		if desc == nil || desc.kind != nodeList {
			return nil, cur.expected("import description (func, table, memory or global)")
		}
		switch desc.head() {
		case "func", "table", "memory", "global":
		default:
			return nil, cur.expected("import description (func, table, memory or global)")
		}
		cur.next()
		if err := cur.close(); err != nil {
			return nil, err
		}
		f.kind = desc.head()
		f.impMod, f.impName = mod, name
		f.rest = listCursor(desc, 1)
		if isID(f.rest.peek()) {
			f.id = f.rest.next()
		}
		return f, nil
	case "func", "table", "memory", "global":
		cur := listCursor(n, 1)
		if isID(cur.peek()) {
			f.id = cur.next()
		}
		for cur.peekList("export") {
			ec := listCursor(cur.next(), 1)
			name, err := ec.str("export name string")
			if err != nil {
				return nil, err
			}
			if err := ec.close(); err != nil {
				return nil, err
			}
			f.exports = append(f.exports, name)
		}
		if cur.peekList("import") {
			ic := listCursor(cur.next(), 1)
			mod, err := ic.str("import module name string")
			if err != nil {
				return nil, err
			}
			name, err := ic.str("import name string")
			if err != nil {
				return nil, err
			}
			if err := ic.close(); err != nil {
				return nil, err
			}
			f.impMod, f.impName = mod, name
		}
		f.rest = cur
		return f, nil
	}
	if n.kind == nodeList && len(n.items) > 0 {
		return nil, errAt(n.items[0].pos,
			"unknown module field %s: expected type, import, func, table, memory, global, export, start, elem or data",
			describe(n.items[0]))
	}
	return nil, errAt(n.pos, "expected module field, got %s", describe(n))
}

// typeField handles (type $id? (func (param ...)* (result ...)*)).
func (c *compiler) typeField(f *field) error {
	cur := f.rest
	var id *node
	if isID(cur.peek()) {
		id = cur.next()
	}
	if !cur.peekList("func") {
		return cur.expected("'(func ...)' type definition")
	}
	fc := listCursor(cur.next(), 1)
	ft, _, err := c.signature(fc)
	if err != nil {
		return err
	}
	if err := fc.close(); err != nil {
		return err
	}
	if err := cur.close(); err != nil {
		return err
	}
	idx := uint32(len(c.types))
	c.types = append(c.types, ft)
	c.typeIDs.count = uint32(len(c.types))
	return c.typeIDs.define(id, idx)
}

// signature parses (param ...)* (result ...)* and returns the parameter names.
func (c *compiler) signature(cur *cursor) (funcType, []*node, error) {
	var ft funcType
	var names []*node
	for cur.peekList("param") {
		pc := listCursor(cur.next(), 1)
		if isID(pc.peek()) {
			id := pc.next()
			n, err := pc.atom("parameter type")
			if err != nil {
				return ft, nil, err
			}
			t, err := valType(n)
			if err != nil {
				return ft, nil, err
			}
			if err := pc.close(); err != nil {
				return ft, nil, err
			}
			ft.params = append(ft.params, t)
			names = append(names, id)
			continue
		}
		ts, err := valTypes(pc)
		if err != nil {
			return ft, nil, err
		}
		ft.params = append(ft.params, ts...)
		names = append(names, make([]*node, len(ts))...)
	}
	for cur.peekList("result") {
		ts, err := valTypes(listCursor(cur.next(), 1))
		if err != nil {
			return ft, nil, err
		}
		ft.results = append(ft.results, ts...)
	}
	return ft, names, nil
}

// typeUse parses (type x)? (param ...)* (result ...)* and returns the type
// index (adding an implicit type if needed) and parameter names.
func (c *compiler) typeUse(cur *cursor, allowNames bool) (uint32, []*node, error) {
	explicit := -1
	var refPos pos
	if cur.peekList("type") {
		tn := cur.next()
		refPos = tn.pos
		tc := listCursor(tn, 1)
		ref, err := tc.atom("type index or $name")
		if err != nil {
			return 0, nil, err
		}
		idx, err := c.typeIDs.resolve(ref)
		if err != nil {
			return 0, nil, err
		}
		if err := tc.close(); err != nil {
			return 0, nil, err
		}
		explicit = int(idx)
	}
	start := cur.i
	ft, names, err := c.signature(cur)
	if err != nil {
		return 0, nil, err
	}
	if !allowNames {
		for _, n := range names {
			if n != nil {
				return 0, nil, errAt(n.pos, "unexpected parameter name %s here", n.text)
			}
		}
	}
	if explicit >= 0 {
		declared := c.types[explicit]
		if cur.i == start {
			return uint32(explicit), make([]*node, len(declared.params)), nil
		}
		if !ft.equal(declared) {
			return 0, nil, errAt(refPos, "inline signature does not match type %d", explicit)
		}
		return uint32(explicit), names, nil
	}
	return c.findOrAddType(ft), names, nil
}

func (c *compiler) findOrAddType(ft funcType) uint32 {
	for i, t := range c.types {
		if t.equal(ft) {
			return uint32(i)
		}
	}
	c.types = append(c.types, ft)
	c.typeIDs.count = uint32(len(c.types))
	return uint32(len(c.types) - 1)
}

// blockType parses a block type and returns its encoding.
func (c *compiler) blockType(cur *cursor) ([]byte, error) {
	if !cur.peekList("type") && !cur.peekList("param") && !cur.peekList("result") {
		return []byte{0x40}, nil
	}
	if !cur.peekList("type") && !cur.peekList("param") {
		ft, _, err := c.signature(cur)
		if err != nil {
			return nil, err
		}
		switch len(ft.results) {
		case 0:
			return []byte{0x40}, nil
		case 1:
			return []byte{ft.results[0]}, nil
		}
		return appendS64(nil, int64(c.findOrAddType(ft))), nil
	}
	idx, _, err := c.typeUse(cur, false)
	if err != nil {
		return nil, err
	}
	return appendS64(nil, int64(idx)), nil
}

func valType(n *node) (byte, error) {
	if n.kind == nodeAtom {
		switch n.text {
		case "i32":
			return typeI32, nil
		case "i64":
			return typeI64, nil
		case "f32":
			return typeF32, nil
		case "f64":
			return typeF64, nil
		case "funcref":
			return typeFuncref, nil
		case "externref":
			return typeExternref, nil
		}
	}
	return 0, errAt(n.pos, "expected value type (i32, i64, f32, f64), got %s", describe(n))
}

// valTypes parses the remaining atoms of a list as value types.
func valTypes(cur *cursor) ([]byte, error) {
	var ts []byte
	for !cur.done() {
		t, err := valType(cur.next())
		if err != nil {
			return nil, err
		}
		ts = append(ts, t)
	}
	return ts, nil
}

// limits parses "min max?" and returns its encoding.
func limits(cur *cursor) ([]byte, error) {
	n, err := cur.atom("minimum size")
	if err != nil {
		return nil, err
	}
	lo, err := parseU32(n.text)
	if err != nil {
		return nil, errAt(n.pos, "expected minimum size, got %q", n.text)
	}
	if next := cur.peek(); next != nil && isIndex(next) && !isID(next) {
		cur.next()
		hi, err := parseU32(next.text)
		if err != nil {
			return nil, errAt(next.pos, "expected maximum size, got %q", next.text)
		}
		return appendU32(appendU32([]byte{0x01}, lo), hi), nil
	}
	return appendU32([]byte{0x00}, lo), nil
}

// tableType parses "limits reftype".
func tableType(cur *cursor) ([]byte, error) {
	lim, err := limits(cur)
	if err != nil {
		return nil, err
	}
	rt, err := refType(cur)
	if err != nil {
		return nil, err
	}
	return append([]byte{rt}, lim...), nil
}

func refType(cur *cursor) (byte, error) {
	n := cur.peek()
	if n != nil && n.kind == nodeAtom {
		switch n.text {
		case "funcref", "anyfunc":
			cur.next()
			return typeFuncref, nil
		case "externref":
			cur.next()
			return typeExternref, nil
		}
	}
	return 0, cur.expected("reference type (funcref or externref)")
}

// globalType parses "valtype" or "(mut valtype)".
func globalType(cur *cursor) ([]byte, error) {
	if cur.peekList("mut") {
		mc := listCursor(cur.next(), 1)
		n, err := mc.atom("global value type")
		if err != nil {
			return nil, err
		}
		t, err := valType(n)
		if err != nil {
			return nil, err
		}
		if err := mc.close(); err != nil {
			return nil, err
		}
		return []byte{t, 0x01}, nil
	}
	n, err := cur.atom("global type (valtype or (mut valtype))")
	if err != nil {
		return nil, err
	}
	t, err := valType(n)
	if err != nil {
		return nil, err
	}
	return []byte{t, 0x00}, nil
}

// constExpr encodes an instruction sequence terminated by 'end'.
func (c *compiler) constExpr(cur *cursor) ([]byte, error) {
	e := &bodyEncoder{c: c}
	if err := e.seq(cur); err != nil {
		return nil, err
	}
	return append(e.out, 0x0B), nil
}

// offsetExpr parses "(offset instr*)" or a single folded instruction.
func (c *compiler) offsetExpr(cur *cursor) ([]byte, error) {
	if cur.peekList("offset") {
		return c.constExpr(listCursor(cur.next(), 1))
	}
	n := cur.peek()
	if n == nil || n.kind != nodeList {
		return nil, cur.expected("offset expression such as '(i32.const 0)' (passive segments are not supported)")
	}
	cur.next()
	return c.constExpr(&cursor{items: []*node{n}, end: n.end})
}

// kindByte maps a field keyword to its external kind.
func kindByte(kind string) (byte, bool) {
	switch kind {
	case "func":
		return kindFunc, true
	case "table":
		return kindTable, true
	case "memory":
		return kindMemory, true
	case "global":
		return kindGlobal, true
	}
	return 0, false
}

func (c *compiler) addExport(name *node, kind byte, idx uint32) error {
	if !utf8.Valid(name.str) {
		return errAt(name.pos, "export name is not valid UTF-8")
	}
	if c.exportNames[string(name.str)] {
		return errAt(name.pos, "duplicate export name %s", name.text)
	}
	c.exportNames[string(name.str)] = true
	b := appendName(nil, name.str)
	c.exportDefs.add(appendU32(append(b, kind), idx))
	return nil
}

// field is the second pass over one module field.
func (c *compiler) field(f *field) error {
	cur := f.rest
	if f.impMod != nil {
		entry := appendName(appendName(nil, f.impMod.str), f.impName.str)
		kind, _ := kindByte(f.kind)
		entry = append(entry, kind)
		var desc []byte
		var err error
		switch f.kind {
		case "func":
			var idx uint32
			idx, _, err = c.typeUse(cur, true)
			desc = appendU32(nil, idx)
		case "table":
			desc, err = tableType(cur)
		case "memory":
			desc, err = limits(cur)
		case "global":
			desc, err = globalType(cur)
		}
		if err != nil {
			return err
		}
		if err := cur.close(); err != nil {
			return err
		}
		c.imports.add(append(entry, desc...))
		return c.inlineExports(f)
	}
	switch f.kind {
	case "type":
		return nil // handled in the first pass
	case "func":
		idx, names, err := c.typeUse(cur, true)
		if err != nil {
			return err
		}
		c.funcDecls.add(appendU32(nil, idx))
		c.bodies = append(c.bodies, pendingBody{f: f, paramNames: names, params: c.types[idx].params})
	case "table":
		if n := cur.peek(); n != nil && n.kind == nodeAtom && !isIndex(n) {
			// (table reftype (elem funcidx*)) abbreviation.
			rt, err := refType(cur)
			if err != nil {
				return err
			}
			if !cur.peekList("elem") {
				return cur.expected("'(elem ...)'")
			}
			ec := listCursor(cur.next(), 1)
			idxs, err := c.funcIndices(ec)
			if err != nil {
				return err
			}
			if err := cur.close(); err != nil {
				return err
			}
			n := uint32(len(idxs))
			c.tableDefs.add(appendU32(appendU32([]byte{rt, 0x01}, n), n))
			c.addElem(f.index, []byte{0x41, 0x00, 0x0B}, idxs)
			break
		}
		tt, err := tableType(cur)
		if err != nil {
			return err
		}
		if err := cur.close(); err != nil {
			return err
		}
		c.tableDefs.add(tt)
	case "memory":
		if cur.peekList("data") {
			// (memory (data "...")) abbreviation.
			dc := listCursor(cur.next(), 1)
			data, err := dataStrings(dc)
			if err != nil {
				return err
			}
			if err := cur.close(); err != nil {
				return err
			}
			pages := uint32((len(data) + 65535) / 65536)
			c.memDefs.add(appendU32(appendU32([]byte{0x01}, pages), pages))
			c.addData(f.index, []byte{0x41, 0x00, 0x0B}, data)
			break
		}
		lim, err := limits(cur)
		if err != nil {
			return err
		}
		if err := cur.close(); err != nil {
			return err
		}
		c.memDefs.add(lim)
	case "global":
		gt, err := globalType(cur)
		if err != nil {
			return err
		}
		if cur.done() {
			return cur.expected("global initializer expression")
		}
		init, err := c.constExpr(cur)
		if err != nil {
			return err
		}
		c.globalDefs.add(append(gt, init...))
	case "export":
		name, err := cur.str("export name string")
		if err != nil {
			return err
		}
		desc := cur.peek()
		if desc == nil || desc.kind != nodeList {
			return cur.expected("export description (func, table, memory or global)")
		}
		kind, ok := kindByte(desc.head())
		if !ok {
			return cur.expected("export description (func, table, memory or global)")
		}
		cur.next()
		dc := listCursor(desc, 1)
		ref, err := dc.atom(desc.head() + " index or $name")
		if err != nil {
			return err
		}
		spaces := map[byte]*space{kindFunc: c.funcs, kindTable: c.tables, kindMemory: c.mems, kindGlobal: c.globals}
		idx, err := spaces[kind].resolve(ref)
		if err != nil {
			return err
		}
		if err := dc.close(); err != nil {
			return err
		}
		if err := cur.close(); err != nil {
			return err
		}
		return c.addExport(name, kind, idx)
	case "start":
		if c.start != nil {
			return errAt(f.node.pos, "multiple start functions")
		}
		ref, err := cur.atom("start function index or $name")
		if err != nil {
			return err
		}
		idx, err := c.funcs.resolve(ref)
		if err != nil {
			return err
		}
		if err := cur.close(); err != nil {
			return err
		}
		c.start = appendU32(nil, idx)
	case "elem":
		return c.elemField(cur)
	case "data":
		return c.dataField(cur)
	}
	return c.inlineExports(f)
}

func (c *compiler) inlineExports(f *field) error {
	for _, name := range f.exports {
		kind, _ := kindByte(f.kind)
		if err := c.addExport(name, kind, f.index); err != nil {
			return err
		}
	}
	return nil
}

// funcIndices parses the remaining items as function references.
func (c *compiler) funcIndices(cur *cursor) ([]uint32, error) {
	var idxs []uint32
	for !cur.done() {
		n, err := cur.atom("function index or $name")
		if err != nil {
			return nil, err
		}
		idx, err := c.funcs.resolve(n)
		if err != nil {
			return nil, err
		}
		idxs = append(idxs, idx)
	}
	return idxs, nil
}

// elemField handles (elem $id? (table x)? offset func? funcidx*).
func (c *compiler) elemField(cur *cursor) error {
	cur.optID()
	var table uint32
	if cur.peekList("table") {
		tc := listCursor(cur.next(), 1)
		ref, err := tc.atom("table index or $name")
		if err != nil {
			return err
		}
		if table, err = c.tables.resolve(ref); err != nil {
			return err
		}
		if err := tc.close(); err != nil {
			return err
		}
	}
	off, err := c.offsetExpr(cur)
	if err != nil {
		return err
	}
	if n := cur.peek(); n != nil && n.kind == nodeAtom && n.text == "func" {
		cur.next()
	}
	idxs, err := c.funcIndices(cur)
	if err != nil {
		return err
	}
	c.addElem(table, off, idxs)
	return nil
}

func (c *compiler) addElem(table uint32, off []byte, idxs []uint32) {
	var b []byte
	if table == 0 {
		b = append([]byte{0x00}, off...)
	} else {
		b = append(appendU32([]byte{0x02}, table), off...)
		b = append(b, 0x00) // elemkind funcref
	}
	b = appendU32(b, uint32(len(idxs)))
	for _, idx := range idxs {
		b = appendU32(b, idx)
	}
	c.elems.add(b)
}

// dataField handles (data $id? (memory x)? offset string*).
func (c *compiler) dataField(cur *cursor) error {
	cur.optID()
	var mem uint32
	if cur.peekList("memory") {
		mc := listCursor(cur.next(), 1)
		ref, err := mc.atom("memory index or $name")
		if err != nil {
			return err
		}
		if mem, err = c.mems.resolve(ref); err != nil {
			return err
		}
		if err := mc.close(); err != nil {
			return err
		}
	} else if n := cur.peek(); n != nil && isIndex(n) && !isID(n) {
		idx, err := c.mems.resolve(cur.next())
		if err != nil {
			return err
		}
		mem = idx
	}
	off, err := c.offsetExpr(cur)
	if err != nil {
		return err
	}
	data, err := dataStrings(cur)
	if err != nil {
		return err
	}
	c.addData(mem, off, data)
	return nil
}

func dataStrings(cur *cursor) ([]byte, error) {
	var data []byte
	for !cur.done() {
		s, err := cur.str("data string")
		if err != nil {
			return nil, err
		}
		data = append(data, s.str...)
	}
	return data, nil
}

func (c *compiler) addData(mem uint32, off, data []byte) {
	var b []byte
	if mem == 0 {
		b = append([]byte{0x00}, off...)
	} else {
		b = append(appendU32([]byte{0x02}, mem), off...)
	}
	c.datas.add(appendName(b, data))
}

// body encodes one function body into the code section.
func (c *compiler) body(p pendingBody) error {
	e := &bodyEncoder{
		c:          c,
		localNames: make(map[string]uint32),
		labels:     []label{{kind: blockFunc, instr: "func", pos: p.f.node.pos}},
	}
	define := func(id *node) error {
		if id == nil {
			return nil
		}
		if _, dup := e.localNames[id.text]; dup {
			return errAt(id.pos, "duplicate local %s", id.text)
		}
		e.localNames[id.text] = e.numLocals
		return nil
	}
	for _, id := range p.paramNames {
		if err := define(id); err != nil {
			return err
		}
		e.numLocals++
	}
	var locals []byte
	cur := p.f.rest
	for cur.peekList("local") {
		lc := listCursor(cur.next(), 1)
		if isID(lc.peek()) {
			id := lc.next()
			n, err := lc.atom("local type")
			if err != nil {
				return err
			}
			t, err := valType(n)
			if err != nil {
				return err
			}
			if err := lc.close(); err != nil {
				return err
			}
			if err := define(id); err != nil {
				return err
			}
			e.numLocals++
			locals = append(locals, t)
			continue
		}
		ts, err := valTypes(lc)
		if err != nil {
			return err
		}
		e.numLocals += uint32(len(ts))
		locals = append(locals, ts...)
	}
	if err := e.seq(cur); err != nil {
		return err
	}
	// Compress locals into (count, type) runs.
	var decls []byte
	runs := uint32(0)
	for i := 0; i < len(locals); {
		j := i
		for j < len(locals) && locals[j] == locals[i] {
			j++
		}
		decls = append(appendU32(decls, uint32(j-i)), locals[i])
		runs++
		i = j
	}
	fn := append(appendU32(nil, runs), decls...)
	fn = append(append(fn, e.out...), 0x0B)
	c.code.add(appendName(nil, fn))
	return nil
}

// emit assembles the binary module.
func (c *compiler) emit() []byte {
	out := []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00}
	put := func(id byte, content []byte) {
		out = append(appendU32(append(out, id), uint32(len(content))), content...)
	}
	vec := func(id byte, s section) {
		if s.n > 0 {
			put(id, append(appendU32(nil, s.n), s.b...))
		}
	}
	var types section
	for _, t := range c.types {
		b := appendName([]byte{0x60}, t.params)
		types.add(appendName(b, t.results))
	}
	vec(secType, types)
	vec(secImport, c.imports)
	vec(secFunc, c.funcDecls)
	vec(secTable, c.tableDefs)
	vec(secMemory, c.memDefs)
	vec(secGlobal, c.globalDefs)
	vec(secExport, c.exportDefs)
	if c.start != nil {
		put(secStart, c.start)
	}
	vec(secElem, c.elems)
	vec(secCode, c.code)
	vec(secData, c.datas)
	return out
}
