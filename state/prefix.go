package state

import "bytes"

// Prefix is a Store that confines its user to the keys under a prefix of a
// parent Store: every key is stored as prefix‖key, and iteration sees only
// (and returns without the prefix) the keys under it.
type Prefix struct {
	parent Store
	prefix []byte
}

var _ Store = Prefix{}

// NewPrefix returns the part of parent under prefix, which must not be empty.
func NewPrefix(parent Store, prefix []byte) Prefix {
	if len(prefix) == 0 {
		panic("state: empty prefix")
	}
	return Prefix{parent: parent, prefix: bytes.Clone(prefix)}
}

func (p Prefix) key(k []byte) ([]byte, error) {
	if err := checkKey(k); err != nil {
		return nil, err
	}
	return append(bytes.Clone(p.prefix), k...), nil
}

// Get implements Store.
func (p Prefix) Get(key []byte) ([]byte, error) {
	k, err := p.key(key)
	if err != nil {
		return nil, err
	}
	return p.parent.Get(k)
}

// Has implements Store.
func (p Prefix) Has(key []byte) (bool, error) {
	k, err := p.key(key)
	if err != nil {
		return false, err
	}
	return p.parent.Has(k)
}

// Set implements Store.
func (p Prefix) Set(key, value []byte) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.parent.Set(k, value)
}

// Delete implements Store.
func (p Prefix) Delete(key []byte) error {
	k, err := p.key(key)
	if err != nil {
		return err
	}
	return p.parent.Delete(k)
}

// Iterator implements Store.
func (p Prefix) Iterator(start, end []byte, reverse bool) (Iterator, error) {
	s := append(bytes.Clone(p.prefix), start...)
	var e []byte
	if end != nil {
		e = append(bytes.Clone(p.prefix), end...)
	} else {
		e = prefixEnd(p.prefix)
	}
	it, err := p.parent.Iterator(s, e, reverse)
	if err != nil {
		return nil, err
	}
	return prefixIterator{Iterator: it, n: len(p.prefix)}, nil
}

type prefixIterator struct {
	Iterator
	n int
}

func (it prefixIterator) Key() []byte { return it.Iterator.Key()[it.n:] }

// prefixEnd returns the smallest key greater than every key starting with
// prefix, or nil if there is none (the prefix is all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// PrefixEnd returns the exclusive upper bound of the keys that start with
// prefix, for use as an Iterator's end (nil if unbounded).
func PrefixEnd(prefix []byte) []byte { return prefixEnd(prefix) }
