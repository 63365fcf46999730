package app

import (
	"fmt"

	"github.com/hermetic-chain/hermetic/state"
)

// Gas costs. They are part of consensus: changing one changes every node's
// results, so they change only with a new chain version. The store costs
// follow the Cosmos SDK's KVStore defaults so that figures compare.
const (
	GasTxBase               = 5_000 // every transaction
	GasTxPerByte            = 10    // per byte of the encoded transaction
	GasVerifyEd25519        = 1_000
	GasVerifyP256           = 2_000
	GasReadFlat             = 1_000
	GasReadPerByte          = 3
	GasWriteFlat            = 2_000
	GasWritePerByte         = 30
	GasDelete               = 1_000
	GasIterNextFlat         = 30
	GasHasFlat              = 1_000
	MaxGasPerTx      uint64 = 100_000_000
)

// GasMeter counts the gas a transaction uses against its limit. Once the
// limit is passed the meter stays at the limit: a transaction that runs out
// of gas reports exactly its limit as used, on every node.
type GasMeter struct {
	limit, used uint64
}

// NewGasMeter returns a meter with the given limit.
func NewGasMeter(limit uint64) *GasMeter { return &GasMeter{limit: limit} }

// Consume charges amount gas for what; it returns an error wrapping
// ErrOutOfGas when the limit is passed.
func (g *GasMeter) Consume(amount uint64, what string) error {
	if left := g.limit - g.used; amount > left {
		g.used = g.limit
		return fmt.Errorf("%w: %s needs %d gas, %d of %d left", ErrOutOfGas, what, amount, left, g.limit)
	}
	g.used += amount
	return nil
}

// Used returns the gas consumed so far.
func (g *GasMeter) Used() uint64 { return g.used }

// Limit returns the meter's limit.
func (g *GasMeter) Limit() uint64 { return g.limit }

// gasStore charges a GasMeter for every access to the store under it.
type gasStore struct {
	parent state.Store
	meter  *GasMeter
}

var _ state.Store = gasStore{}

func (s gasStore) Get(key []byte) ([]byte, error) {
	if err := s.meter.Consume(GasReadFlat+GasReadPerByte*uint64(len(key)), "read"); err != nil {
		return nil, err
	}
	v, err := s.parent.Get(key)
	if err != nil {
		return nil, err
	}
	return v, s.meter.Consume(GasReadPerByte*uint64(len(v)), "read")
}

func (s gasStore) Has(key []byte) (bool, error) {
	if err := s.meter.Consume(GasHasFlat, "has"); err != nil {
		return false, err
	}
	return s.parent.Has(key)
}

func (s gasStore) Set(key, value []byte) error {
	if err := s.meter.Consume(GasWriteFlat+GasWritePerByte*uint64(len(key)+len(value)), "write"); err != nil {
		return err
	}
	return s.parent.Set(key, value)
}

func (s gasStore) Delete(key []byte) error {
	if err := s.meter.Consume(GasDelete, "delete"); err != nil {
		return err
	}
	return s.parent.Delete(key)
}

func (s gasStore) Iterator(start, end []byte, reverse bool) (state.Iterator, error) {
	it, err := s.parent.Iterator(start, end, reverse)
	if err != nil {
		return nil, err
	}
	return &gasIterator{Iterator: it, meter: s.meter}, nil
}

// gasIterator charges per entry it moves to and per byte it returns.
type gasIterator struct {
	state.Iterator
	meter *GasMeter
	err   error
}

func (it *gasIterator) Next() {
	it.Iterator.Next()
	if it.Iterator.Valid() {
		n := uint64(len(it.Iterator.Key()) + len(it.Iterator.Value()))
		if err := it.meter.Consume(GasIterNextFlat+GasReadPerByte*n, "iterate"); err != nil {
			it.err = err
		}
	}
}

func (it *gasIterator) Valid() bool { return it.err == nil && it.Iterator.Valid() }

func (it *gasIterator) Error() error {
	if it.err != nil {
		return it.err
	}
	return it.Iterator.Error()
}
