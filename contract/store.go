package contract

import (
	"errors"
	"fmt"
	"iter"
)

// ErrNotFound is returned by Item.Load and Map.Load for a missing value.
var ErrNotFound = errors.New("not found")

// Item is one JSON-encoded value of type T stored under a fixed key (as
// cw-storage-plus's Item: the key is the name itself).
type Item[T any] struct {
	key []byte
}

// NewItem returns the item stored under key.
func NewItem[T any](key string) Item[T] {
	if key == "" {
		panic("contract: an Item needs a non-empty key")
	}
	WarmJSON(new(T))
	return Item[T]{key: []byte(key)}
}

// Key returns the item's storage key.
func (i Item[T]) Key() []byte { return i.key }

// Load returns the value, or ErrNotFound.
func (i Item[T]) Load(s Storage) (T, error) {
	v, ok, err := i.MayLoad(s)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %q", ErrNotFound, i.key)
	}
	return v, err
}

// MayLoad returns the value and true, or the zero value and false if it is
// not set.
func (i Item[T]) MayLoad(s Storage) (T, bool, error) {
	var v T
	b := s.Get(i.key)
	if b == nil {
		return v, false, nil
	}
	if err := decodeValue(b, &v); err != nil {
		return v, false, fmt.Errorf("decode %q: %w", i.key, err)
	}
	return v, true, nil
}

// Save stores v.
func (i Item[T]) Save(s Storage, v T) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", i.key, err)
	}
	s.Set(i.key, b)
	return nil
}

// Update loads the value (the zero value if unset), applies f and saves
// what it returns, unless f fails.
func (i Item[T]) Update(s Storage, f func(T) (T, error)) (T, error) {
	v, _, err := i.MayLoad(s)
	if err != nil {
		return v, err
	}
	if v, err = f(v); err != nil {
		return v, err
	}
	return v, i.Save(s, v)
}

// Remove deletes the value.
func (i Item[T]) Remove(s Storage) { s.Remove(i.key) }

// Exists reports whether the value is set.
func (i Item[T]) Exists(s Storage) bool { return s.Get(i.key) != nil }

// Map is a collection of JSON-encoded values of type V, keyed by strings or
// byte slices, under a namespace: key k is stored at NamespaceKey(namespace,
// k), as cw-storage-plus's Map stores a single-part key, and ranges are
// ordered by the bytes of the keys.
type Map[K ~string | ~[]byte, V any] struct {
	prefix []byte
}

// NewMap returns the map of namespace.
func NewMap[K ~string | ~[]byte, V any](namespace string) Map[K, V] {
	if namespace == "" {
		panic("contract: a Map needs a non-empty namespace")
	}
	WarmJSON(new(V))
	return Map[K, V]{prefix: namespacePrefix([]byte(namespace))}
}

// Key returns the storage key of k.
func (m Map[K, V]) Key(k K) []byte {
	out := make([]byte, len(m.prefix), len(m.prefix)+len(k))
	copy(out, m.prefix)
	return append(out, k...)
}

// Load returns the value of k, or ErrNotFound.
func (m Map[K, V]) Load(s Storage, k K) (V, error) {
	v, ok, err := m.MayLoad(s, k)
	if err == nil && !ok {
		err = fmt.Errorf("%w: %q", ErrNotFound, []byte(k))
	}
	return v, err
}

// MayLoad returns the value of k and true, or the zero value and false.
func (m Map[K, V]) MayLoad(s Storage, k K) (V, bool, error) {
	var v V
	b := s.Get(m.Key(k))
	if b == nil {
		return v, false, nil
	}
	if err := decodeValue(b, &v); err != nil {
		return v, false, fmt.Errorf("decode %q: %w", []byte(k), err)
	}
	return v, true, nil
}

// Has reports whether k is set.
func (m Map[K, V]) Has(s Storage, k K) bool { return s.Get(m.Key(k)) != nil }

// Save sets k to v.
func (m Map[K, V]) Save(s Storage, k K, v V) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", []byte(k), err)
	}
	s.Set(m.Key(k), b)
	return nil
}

// Remove deletes k.
func (m Map[K, V]) Remove(s Storage, k K) { s.Remove(m.Key(k)) }

// Range walks the map's entries with keys in [start, end), in order; a nil
// start or end is unbounded. A value that does not decode ends the walk with
// a panic (which the entry point reports as an error); use RangeRaw to
// handle it yourself.
func (m Map[K, V]) Range(s Storage, start, end *K, order Order) iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for k, b := range m.RangeRaw(s, start, end, order) {
			var v V
			if err := decodeValue(b, &v); err != nil {
				panic(fmt.Errorf("decode %q: %w", []byte(k), err))
			}
			if !yield(k, v) {
				return
			}
		}
	}
}

// RangeRaw is Range giving the stored JSON of each value.
func (m Map[K, V]) RangeRaw(s Storage, start, end *K, order Order) iter.Seq2[K, []byte] {
	lo, hi := m.prefix, PrefixEnd(m.prefix)
	if start != nil {
		lo = m.Key(*start)
	}
	if end != nil {
		hi = m.Key(*end)
	}
	return func(yield func(K, []byte) bool) {
		for k, v := range s.Range(lo, hi, order) {
			if !yield(K(k[len(m.prefix):]), v) {
				return
			}
		}
	}
}

// Keys walks the map's keys in [start, end) in order.
func (m Map[K, V]) Keys(s Storage, start, end *K, order Order) iter.Seq[K] {
	return func(yield func(K) bool) {
		for k := range m.RangeRaw(s, start, end, order) {
			if !yield(k) {
				return
			}
		}
	}
}
