package wat

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// SyntaxError reports a problem in the WAT source together with the
// 1-based line and column (in characters) where it was found.
type SyntaxError struct {
	Line   int
	Column int
	Msg    string
}

// Error implements the error interface as "line:column: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
}

// pos is a 1-based source position.
type pos struct{ line, col int }

func (p pos) String() string { return fmt.Sprintf("%d:%d", p.line, p.col) }

// errAt builds a *SyntaxError located at p.
func errAt(p pos, format string, args ...any) error {
	return &SyntaxError{Line: p.line, Column: p.col, Msg: fmt.Sprintf(format, args...)}
}

type nodeKind int

const (
	nodeList nodeKind = iota
	nodeAtom
	nodeString
)

// node is one element of the S-expression tree: a parenthesised list, a bare
// atom (keyword, $id, number, offset=N, ...) or a string literal.
type node struct {
	kind  nodeKind
	pos   pos     // start position ('(' for lists)
	end   pos     // position of the closing ')' for lists
	text  string  // atom text or raw string literal
	str   []byte  // decoded bytes for string literals
	items []*node // list elements
}

// head returns the keyword at the start of a list, or "" if there is none.
func (n *node) head() string {
	if n.kind != nodeList || len(n.items) == 0 || n.items[0].kind != nodeAtom {
		return ""
	}
	return n.items[0].text
}

// describe renders a node for use in error messages.
func describe(n *node) string {
	if n == nil {
		return "')'"
	}
	switch n.kind {
	case nodeList:
		if h := n.head(); h != "" {
			return fmt.Sprintf("'(%s ...)'", h)
		}
		return "'(...)'"
	case nodeString:
		return "string " + n.text
	default:
		return fmt.Sprintf("%q", n.text)
	}
}

func isID(n *node) bool {
	return n != nil && n.kind == nodeAtom && len(n.text) > 1 && n.text[0] == '$'
}

// isIndex reports whether n looks like an index: a $id or an unsigned number.
func isIndex(n *node) bool {
	if isID(n) {
		return true
	}
	return n != nil && n.kind == nodeAtom && n.text != "" && n.text[0] >= '0' && n.text[0] <= '9'
}

// lexer turns source text into an S-expression tree.
type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func (l *lexer) pos() pos { return pos{l.line, l.col} }

func (l *lexer) eof() bool { return l.off >= len(l.src) }

func (l *lexer) advance() {
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	l.off += size
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

func (l *lexer) startsWith(s string) bool { return strings.HasPrefix(l.src[l.off:], s) }

// skipSpace skips whitespace, line comments and (nested) block comments.
func (l *lexer) skipSpace() error {
	for !l.eof() {
		switch c := l.src[l.off]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			l.advance()
		case l.startsWith(";;"):
			for !l.eof() && l.src[l.off] != '\n' {
				l.advance()
			}
		case l.startsWith("(;"):
			start := l.pos()
			depth := 0
			for {
				if l.eof() {
					return errAt(start, "unterminated block comment: expected ';)'")
				}
				switch {
				case l.startsWith("(;"):
					depth++
					l.advance()
					l.advance()
				case l.startsWith(";)"):
					depth--
					l.advance()
					l.advance()
				default:
					l.advance()
				}
				if depth == 0 {
					break
				}
			}
		default:
			return nil
		}
	}
	return nil
}

func isDelimiter(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '(', ')', '"', ';':
		return true
	}
	return false
}

// parseTree parses src into its top-level nodes.
func parseTree(src string) ([]*node, error) {
	l := &lexer{src: src, line: 1, col: 1}
	root := &node{kind: nodeList}
	stack := []*node{root}
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.eof() {
			break
		}
		top := stack[len(stack)-1]
		p := l.pos()
		switch c := l.src[l.off]; c {
		case '(':
			l.advance()
			n := &node{kind: nodeList, pos: p}
			top.items = append(top.items, n)
			stack = append(stack, n)
		case ')':
			if len(stack) == 1 {
				return nil, errAt(p, "unexpected ')': no matching '('")
			}
			l.advance()
			top.end = p
			stack = stack[:len(stack)-1]
		case '"':
			n, err := l.stringLit()
			if err != nil {
				return nil, err
			}
			top.items = append(top.items, n)
		default:
			start := l.off
			for !l.eof() && !isDelimiter(l.src[l.off]) {
				l.advance()
			}
			top.items = append(top.items, &node{kind: nodeAtom, pos: p, text: l.src[start:l.off]})
		}
	}
	if len(stack) > 1 {
		open := stack[len(stack)-1]
		return nil, errAt(open.pos, "unclosed '(': expected ')' before end of input")
	}
	return root.items, nil
}

// stringLit lexes a string literal starting at the opening quote.
func (l *lexer) stringLit() (*node, error) {
	p := l.pos()
	start := l.off
	l.advance() // opening quote
	var out []byte
	for {
		if l.eof() || l.src[l.off] == '\n' {
			return nil, errAt(p, "unterminated string: expected '\"'")
		}
		c := l.src[l.off]
		if c == '"' {
			l.advance()
			break
		}
		if c != '\\' {
			r, size := utf8.DecodeRuneInString(l.src[l.off:])
			if r < 0x20 || r == 0x7f {
				return nil, errAt(l.pos(), "control character %U in string literal", r)
			}
			out = append(out, l.src[l.off:l.off+size]...)
			l.advance()
			continue
		}
		escPos := l.pos()
		l.advance()
		if l.eof() {
			return nil, errAt(p, "unterminated string: expected '\"'")
		}
		e := l.src[l.off]
		switch e {
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case '"', '\'', '\\':
			out = append(out, e)
		case 'u':
			if !l.startsWith("u{") {
				return nil, errAt(escPos, "bad escape: expected \\u{hex}")
			}
			end := strings.IndexByte(l.src[l.off:], '}')
			if end < 0 {
				return nil, errAt(escPos, "bad escape: expected '}' closing \\u{")
			}
			hex := strings.ReplaceAll(l.src[l.off+2:l.off+end], "_", "")
			var r rune
			if hex == "" || len(hex) > 6 {
				return nil, errAt(escPos, "bad escape: expected hex code point in \\u{...}")
			}
			for i := 0; i < len(hex); i++ {
				d, ok := hexDigit(hex[i])
				if !ok {
					return nil, errAt(escPos, "bad escape: expected hex code point in \\u{...}")
				}
				r = r<<4 | rune(d)
			}
			if !utf8.ValidRune(r) {
				return nil, errAt(escPos, "bad escape: invalid code point %#x", r)
			}
			out = utf8.AppendRune(out, r)
			for i := 0; i < end; i++ {
				l.advance()
			}
		default:
			hi, ok1 := hexDigit(e)
			var lo byte
			ok2 := false
			if l.off+1 < len(l.src) {
				lo, ok2 = hexDigit(l.src[l.off+1])
			}
			if !ok1 || !ok2 {
				return nil, errAt(escPos, "bad escape: expected \\t \\n \\r \\\" \\' \\\\ \\u{...} or two hex digits")
			}
			out = append(out, hi<<4|lo)
			l.advance()
		}
		l.advance()
	}
	return &node{kind: nodeString, pos: p, text: l.src[start:l.off], str: out}, nil
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// cursor walks the items of a list.
type cursor struct {
	items []*node
	i     int
	end   pos // where the list ends, for "got ')'" errors
}

func listCursor(n *node, skip int) *cursor {
	return &cursor{items: n.items[min(skip, len(n.items)):], end: n.end}
}

func (c *cursor) done() bool { return c.i >= len(c.items) }

func (c *cursor) peek() *node {
	if c.done() {
		return nil
	}
	return c.items[c.i]
}

func (c *cursor) next() *node {
	n := c.peek()
	if n != nil {
		c.i++
	}
	return n
}

// peekList reports whether the next item is a list starting with keyword h.
func (c *cursor) peekList(h string) bool {
	n := c.peek()
	return n != nil && n.kind == nodeList && n.head() == h
}

// here returns the position of the next item, or of the closing paren.
func (c *cursor) here() pos {
	if n := c.peek(); n != nil {
		return n.pos
	}
	return c.end
}

// expected returns an error saying what was expected at the cursor.
func (c *cursor) expected(what string) error {
	return errAt(c.here(), "expected %s, got %s", what, describe(c.peek()))
}

// optID consumes and returns a $id if one is next.
func (c *cursor) optID() string {
	if isID(c.peek()) {
		return c.next().text
	}
	return ""
}

// atom consumes an atom, failing with "expected what" otherwise.
func (c *cursor) atom(what string) (*node, error) {
	n := c.peek()
	if n == nil || n.kind != nodeAtom {
		return nil, c.expected(what)
	}
	return c.next(), nil
}

// str consumes a string literal.
func (c *cursor) str(what string) (*node, error) {
	n := c.peek()
	if n == nil || n.kind != nodeString {
		return nil, c.expected(what)
	}
	return c.next(), nil
}

// close fails unless the list has been fully consumed.
func (c *cursor) close() error {
	if !c.done() {
		return c.expected("')'")
	}
	return nil
}
