package app

import (
	"fmt"

	"github.com/hermetic-chain/hermetic/state"
)

// Gas costs. They are part of consensus: changing one changes every node's
// results, so they change only with a new chain version.
//
// The schedule is calibrated to time (docs/gas.md): one unit of gas is
// about one nanosecond of one core of the reference machine (2 vCPU AMD
// EPYC), so that a block's gas limit bounds how long it takes to execute.
// Each cost is what app's BenchmarkGasSchedule (gas_schedule_test.go)
// measured for it, rounded up; the store costs are what writing to the
// Merkle tree and committing it costs per key and per byte
// (BenchmarkGasStore). They are constants: nothing is measured at run time.
const (
	// GasTxBase: decoding, the fee payment (the sender's balance and
	// sequence and the fee collector's balance, unmetered: keys a block
	// mostly writes again), the result. With the signature and the metered
	// reads and writes, a bank send comes to 0.4-0.55 ns a unit
	// (tx/send-ed25519, tx/send-fresh: to a new account each time).
	GasTxBase    = 30_000
	GasTxPerByte = 10 // per byte of the encoded transaction: hashed, verified, stored, gossiped
	// Signature verification (tx/send-ed25519 against tx/send-p256: ed25519
	// about 60 µs, P-256 50 µs more).
	GasVerifyEd25519 = 45_000
	GasVerifyP256    = 95_000
	// Store accesses, on a Merkle tree of 100,000 keys with random keys
	// (BenchmarkGasStore, medians of two runs of six, ranges wide): a write
	// 80-130 µs with its share of the commit (41-222), a few ns a byte more;
	// a read 7-20 µs (3-48); a delete 57-75 µs; has 19-32 µs; an iterator
	// step 3 µs. Writes of keys a block touches again (a sender's balance)
	// cost less; these prices are for new keys, within 2× of the medians.
	GasReadFlat     = 10_000
	GasReadPerByte  = 3
	GasWriteFlat    = 50_000
	GasWritePerByte = 20
	GasDelete       = 100_000
	GasIterNextFlat = 5_000
	GasHasFlat      = 30_000
	// DefaultBlockMaxGas is the block gas limit new genesis files get
	// (node.BlockMaxGas): about one second of execution, the devnet's
	// timeout_commit (docs/gas.md).
	DefaultBlockMaxGas = 1_000_000_000
	// MaxGasPerTx bounds a transaction's gas limit; CheckTx also refuses a
	// limit above the block's.
	MaxGasPerTx uint64 = DefaultBlockMaxGas
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
