package state

import (
	"bytes"
	"slices"
)

// Cache buffers writes over a parent Store. Reads see the buffered writes
// first; Write applies them to the parent in key order (so the parent's
// result never depends on the order of the writes), Discard drops them.
// Caches nest: a transaction's cache can sit on a block's. A Cache is not
// safe for concurrent use.
type Cache struct {
	parent  Store
	entries map[string]cacheEntry
}

type cacheEntry struct {
	value   []byte // nil: deleted
	deleted bool
}

var _ Store = (*Cache)(nil)

// NewCache returns an empty cache over parent.
func NewCache(parent Store) *Cache {
	return &Cache{parent: parent, entries: make(map[string]cacheEntry)}
}

// Get implements Store.
func (c *Cache) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	if e, ok := c.entries[string(key)]; ok {
		return e.value, nil
	}
	return c.parent.Get(key)
}

// Has implements Store.
func (c *Cache) Has(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	if e, ok := c.entries[string(key)]; ok {
		return !e.deleted, nil
	}
	return c.parent.Has(key)
}

// Set implements Store.
func (c *Cache) Set(key, value []byte) error {
	if err := checkKV(key, value); err != nil {
		return err
	}
	c.entries[string(key)] = cacheEntry{value: bytes.Clone(value)}
	return nil
}

// Delete implements Store.
func (c *Cache) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.entries[string(key)] = cacheEntry{deleted: true}
	return nil
}

// sortedKeys returns the buffered keys in [start, end), ascending.
func (c *Cache) sortedKeys(start, end []byte) []string {
	ks := make([]string, 0, len(c.entries))
	for k := range c.entries {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// Write applies the buffered writes to the parent in ascending key order and
// empties the cache. On error the parent may hold part of the writes; callers
// write caches only onto other caches or a tree whose working state is then
// rolled back or not committed.
func (c *Cache) Write() error {
	for _, k := range c.sortedKeys(nil, nil) {
		e := c.entries[k]
		var err error
		if e.deleted {
			err = c.parent.Delete([]byte(k))
		} else {
			err = c.parent.Set([]byte(k), e.value)
		}
		if err != nil {
			return err
		}
	}
	clear(c.entries)
	return nil
}

// Discard drops the buffered writes.
func (c *Cache) Discard() { clear(c.entries) }

// Iterator implements Store: it merges the buffered writes in range with the
// parent's entries, the buffer winning on equal keys and hiding deletions.
func (c *Cache) Iterator(start, end []byte, reverse bool) (Iterator, error) {
	p, err := c.parent.Iterator(start, end, reverse)
	if err != nil {
		return nil, err
	}
	ks := c.sortedKeys(start, end)
	if reverse {
		slices.Reverse(ks)
	}
	it := &mergeIterator{parent: p, keys: ks, entries: c.entries, reverse: reverse}
	it.settle()
	return it, nil
}

// mergeIterator walks a parent iterator and a sorted list of cached keys
// together.
type mergeIterator struct {
	parent  Iterator
	keys    []string
	entries map[string]cacheEntry
	reverse bool
	// current entry
	fromCache bool
}

// before reports whether a comes before b in the iteration order.
func (m *mergeIterator) before(a, b []byte) bool {
	if m.reverse {
		return bytes.Compare(a, b) > 0
	}
	return bytes.Compare(a, b) < 0
}

// settle positions the iterator on the next visible entry: the earlier of
// the parent's and the cache's heads, skipping deleted keys and parent
// entries shadowed by the cache.
func (m *mergeIterator) settle() {
	for {
		pv := m.parent.Valid()
		if len(m.keys) == 0 {
			m.fromCache = false
			return
		}
		ck := []byte(m.keys[0])
		if pv {
			pk := m.parent.Key()
			if m.before(pk, ck) {
				m.fromCache = false
				return
			}
			if bytes.Equal(pk, ck) {
				m.parent.Next() // shadowed by the cache
				continue
			}
		}
		if m.entries[m.keys[0]].deleted {
			m.keys = m.keys[1:]
			continue
		}
		m.fromCache = true
		return
	}
}

func (m *mergeIterator) Valid() bool {
	return m.fromCache || m.parent.Valid()
}

func (m *mergeIterator) Next() {
	if m.fromCache {
		m.keys = m.keys[1:]
	} else {
		m.parent.Next()
	}
	m.settle()
}

func (m *mergeIterator) Key() []byte {
	if m.fromCache {
		return []byte(m.keys[0])
	}
	return m.parent.Key()
}

func (m *mergeIterator) Value() []byte {
	if m.fromCache {
		return m.entries[m.keys[0]].value
	}
	return m.parent.Value()
}

func (m *mergeIterator) Error() error { return m.parent.Error() }
func (m *mergeIterator) Close() error { return m.parent.Close() }
