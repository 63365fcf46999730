// Package state holds Hermetic's application state: a Merkle-committed,
// versioned key-value store (an IAVL tree on an embedded database) behind the
// small Store interface the application is written against, plus in-memory
// caches that batch a transaction's writes and ICS-23 proofs that let a client
// check a value against a block header's app hash.
//
// Keys are ordered bytewise. A nil value is never stored: Set with a nil value
// is an error, and Get of a missing key returns nil.
package state

import (
	"errors"
	"fmt"
)

// Store is read-write access to a key-value state.
type Store interface {
	// Get returns the value of key, or nil if key is not set.
	Get(key []byte) ([]byte, error)
	// Has reports whether key is set.
	Has(key []byte) (bool, error)
	// Set sets key to value. Neither may be empty/nil.
	Set(key, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key []byte) error
	// Iterator walks the keys in [start, end) in ascending order, or
	// descending with reverse. A nil start or end is unbounded. The caller
	// must Close it, and must not write to the store while it is open.
	Iterator(start, end []byte, reverse bool) (Iterator, error)
}

// Iterator walks a range of a Store.
type Iterator interface {
	// Valid reports whether the iterator is on an entry.
	Valid() bool
	// Next moves to the next entry.
	Next()
	// Key returns the current key. The caller must not modify it.
	Key() []byte
	// Value returns the current value. The caller must not modify it.
	Value() []byte
	// Error returns the error that ended the iteration, if any.
	Error() error
	// Close releases the iterator.
	Close() error
}

// Errors callers can test for.
var (
	// ErrEmptyKey is returned for an empty or nil key.
	ErrEmptyKey = errors.New("state: empty key")
	// ErrNilValue is returned by Set with a nil value.
	ErrNilValue = errors.New("state: nil value")
	// ErrReadOnly is returned by writes to a read-only view.
	ErrReadOnly = errors.New("state: read-only view")
	// ErrNoVersion is returned for a version that was never committed or
	// has been pruned.
	ErrNoVersion = errors.New("state: no such version")
	// ErrProof is returned when a proof does not verify.
	ErrProof = errors.New("state: invalid proof")
	// ErrStore wraps every failure of the database under the tree (I/O,
	// corruption, a closed database): a fault of this node, not of what a
	// transaction asked for. The app stops on it rather than commit a state
	// that other nodes may not share.
	ErrStore = errors.New("state: store failure")
)

// storeErr marks a database failure with ErrStore (nil stays nil).
func storeErr(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrStore, err)
}

func checkKey(key []byte) error {
	if len(key) == 0 {
		return ErrEmptyKey
	}
	return nil
}

func checkKV(key, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if value == nil {
		return ErrNilValue
	}
	return nil
}
