package meter

// A tiny WebAssembly binary builder for tests.

func leb(v uint32) []byte { return appendU32(nil, v) }

func sleb(v int64) []byte { return appendS64(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// vec encodes a vector of already encoded items.
func vec(items ...[]byte) []byte { return cat(leb(uint32(len(items))), cat(items...)) }

func str(s string) []byte { return cat(leb(uint32(len(s))), []byte(s)) }

func sect(id byte, content []byte) []byte { return cat([]byte{id}, leb(uint32(len(content))), content) }

func mod(sections ...[]byte) []byte {
	return cat([]byte("\x00asm\x01\x00\x00\x00"), cat(sections...))
}

func functype(params, results []byte) []byte {
	return cat([]byte{0x60}, leb(uint32(len(params))), params, leb(uint32(len(results))), results)
}

// fbody encodes a function body: locals entries (count, type pairs) and code
// (which must include the final end).
func fbody(locals [][2]byte, code ...byte) []byte {
	var l [][]byte
	for _, e := range locals {
		l = append(l, []byte{e[0], e[1]})
	}
	b := cat(vec(l...), code)
	return cat(leb(uint32(len(b))), b)
}

type export struct {
	name string
	kind byte
	idx  uint32
}

func exportSec(es ...export) []byte {
	var items [][]byte
	for _, e := range es {
		items = append(items, cat(str(e.name), []byte{e.kind}, leb(e.idx)))
	}
	return sect(secExport, vec(items...))
}

// simple builds a module of functions all of one type section list, with an
// optional memory of memPages pages (memPages < 0: none).
type fn struct {
	typ    uint32
	locals [][2]byte
	code   []byte
	export string
}

func simple(types [][]byte, memPages int, fns ...fn) []byte {
	var fidx [][]byte
	var bodies [][]byte
	var exps []export
	for i, f := range fns {
		fidx = append(fidx, leb(f.typ))
		bodies = append(bodies, fbody(f.locals, f.code...))
		if f.export != "" {
			exps = append(exps, export{f.export, 0, uint32(i)})
		}
	}
	secs := [][]byte{sect(secType, vec(types...)), sect(secFunction, vec(fidx...))}
	if memPages >= 0 {
		secs = append(secs, sect(secMemory, vec(cat([]byte{0}, leb(uint32(memPages))))))
		exps = append(exps, export{"memory", 2, 0})
	}
	secs = append(secs, exportSec(exps...), sect(secCode, vec(bodies...)))
	return mod(secs...)
}

var (
	tVoid     = functype(nil, nil)
	tI32I32   = functype([]byte{valI32}, []byte{valI32})
	tI32x2I32 = functype([]byte{valI32, valI32}, []byte{valI32})
	tI64      = functype(nil, []byte{valI64})
	tI32      = functype(nil, []byte{valI32})
	tI32I32R  = functype([]byte{valI32}, []byte{valI32, valI32}) // for multi-value blocks
)
