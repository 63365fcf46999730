package state

import (
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"
	idb "github.com/cosmos/iavl/db"
	ics23 "github.com/cosmos/ics23/go"
)

// Options tune a Tree.
type Options struct {
	// KeepRecent is how many committed versions to keep; older ones are
	// pruned after each commit. Zero keeps every version.
	KeepRecent int64
	// CacheSize is the number of tree nodes cached in memory (default 500k).
	CacheSize int
	// Logger receives the tree's own log lines (default: discarded).
	Logger *slog.Logger
}

// Tree is the committed application state: an IAVL+ tree in a LevelDB
// database. Its working state (the Store methods) is what the block being
// executed sees; Commit makes it durable as the next version. Read-only views
// of committed versions (ReadOnly) may be used concurrently with block
// execution; everything else must be called from one goroutine.
//
// Commit is atomic: all of a version's nodes, its root and its fast-index
// entries are written in one synced LevelDB batch, so after a crash the
// database holds either the whole version or none of it.
type Tree struct {
	db   *atomicDB
	tree *iavl.MutableTree
	keep int64

	mu      sync.RWMutex // guards version, hash and closed against concurrent readers
	closed  bool
	version int64
	hash    []byte
}

var _ Store = (*Tree)(nil)

// Open opens the state database in dir, creating it if needed, and loads the
// latest committed version.
func Open(dir string, opts Options) (*Tree, error) {
	ldb, err := idb.NewGoLevelDB("state", dir)
	if err != nil {
		return nil, fmt.Errorf("open state database in %s: %w", dir, err)
	}
	db := &atomicDB{GoLevelDB: ldb}
	logger := iavl.NewNopLogger()
	if opts.Logger != nil {
		logger = opts.Logger
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 500_000
	}
	// A flush threshold larger than any block makes nodeDB write each
	// version in exactly one batch; atomicDB keeps that batch from
	// preallocating the threshold.
	t := iavl.NewMutableTree(db, opts.CacheSize, false, logger,
		iavl.SyncOption(true), iavl.FlushThresholdOption(math.MaxInt32))
	version, err := t.Load()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("load state tree: %w", err)
	}
	return &Tree{db: db, tree: t, keep: opts.KeepRecent, version: version, hash: t.Hash()}, nil
}

// Close closes the database. Uncommitted changes are lost. Closing a closed
// tree does nothing.
func (t *Tree) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if err := t.tree.Close(); err != nil {
		t.db.Close()
		return fmt.Errorf("close state tree: %w", err)
	}
	if err := t.db.Close(); err != nil {
		return fmt.Errorf("close state database: %w", err)
	}
	return nil
}

// Version returns the last committed version (0 before the first commit).
func (t *Tree) Version() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.version
}

// Hash returns the root hash of the last committed version.
func (t *Tree) Hash() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.hash
}

// WorkingHash returns the root hash the working state would commit to.
func (t *Tree) WorkingHash() []byte { return t.tree.WorkingHash() }

// Commit writes the working state as the next version and returns its hash
// and number.
func (t *Tree) Commit() ([]byte, int64, error) {
	hash, version, err := t.tree.SaveVersion()
	if err != nil {
		return nil, 0, fmt.Errorf("save state version: %w", storeErr(err))
	}
	t.mu.Lock()
	t.version, t.hash = version, hash
	t.mu.Unlock()
	if t.keep > 0 && version > t.keep {
		if err := t.tree.DeleteVersionsTo(version - t.keep); err != nil {
			return nil, 0, fmt.Errorf("prune state to version %d: %w", version-t.keep, err)
		}
	}
	return hash, version, nil
}

// Rollback discards the working state's changes since the last commit.
func (t *Tree) Rollback() { t.tree.Rollback() }

// Get implements Store on the working state.
func (t *Tree) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	v, err := t.tree.Get(key)
	return v, storeErr(err)
}

// Has implements Store on the working state.
func (t *Tree) Has(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	ok, err := t.tree.Has(key)
	return ok, storeErr(err)
}

// Set implements Store on the working state.
func (t *Tree) Set(key, value []byte) error {
	if err := checkKV(key, value); err != nil {
		return err
	}
	_, err := t.tree.Set(key, value)
	return storeErr(err)
}

// Delete implements Store on the working state.
func (t *Tree) Delete(key []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, _, err := t.tree.Remove(key)
	return storeErr(err)
}

// Iterator implements Store on the working state.
func (t *Tree) Iterator(start, end []byte, reverse bool) (Iterator, error) {
	it, err := t.tree.Iterator(start, end, !reverse)
	if err != nil {
		return nil, storeErr(err)
	}
	return storeIterator{it}, nil
}

// ReadStore is a read-only view of one committed version. Its writes fail
// with ErrReadOnly.
type ReadStore interface {
	Store
	// Version is the version the view shows.
	Version() int64
	// Hash is that version's root hash: the app hash in the header of the
	// block after it.
	Hash() []byte
	// Prove returns key's value (nil if unset) and an ICS-23 proof of its
	// membership, or of its absence, under Hash.
	Prove(key []byte) ([]byte, *ics23.CommitmentProof, error)
}

// ReadOnly returns a view of committed version. It is safe to use while
// blocks execute, as long as the version is not pruned meanwhile.
func (t *Tree) ReadOnly(version int64) (ReadStore, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if version <= 0 || version > t.version || !t.tree.VersionExists(version) {
		return nil, fmt.Errorf("%w: %d (latest %d)", ErrNoVersion, version, t.version)
	}
	it, err := t.tree.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("load state version %d: %w", version, err)
	}
	return readStore{it}, nil
}

type readStore struct{ t *iavl.ImmutableTree }

func (r readStore) Version() int64 { return r.t.Version() }
func (r readStore) Hash() []byte   { return r.t.Hash() }

func (r readStore) Get(key []byte) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	v, err := r.t.Get(key)
	return v, storeErr(err)
}

func (r readStore) Has(key []byte) (bool, error) {
	if err := checkKey(key); err != nil {
		return false, err
	}
	ok, err := r.t.Has(key)
	return ok, storeErr(err)
}

func (r readStore) Set(_, _ []byte) error { return ErrReadOnly }
func (r readStore) Delete(_ []byte) error { return ErrReadOnly }

func (r readStore) Iterator(start, end []byte, reverse bool) (Iterator, error) {
	it, err := r.t.Iterator(start, end, !reverse)
	if err != nil {
		return nil, storeErr(err)
	}
	return storeIterator{it}, nil
}

// storeIterator marks the error that ended an iteration with ErrStore.
type storeIterator struct{ Iterator }

func (it storeIterator) Error() error { return storeErr(it.Iterator.Error()) }

func (r readStore) Prove(key []byte) ([]byte, *ics23.CommitmentProof, error) {
	if err := checkKey(key); err != nil {
		return nil, nil, err
	}
	v, err := r.t.Get(key)
	if err != nil {
		return nil, nil, err
	}
	var p *ics23.CommitmentProof
	if v != nil {
		p, err = r.t.GetMembershipProof(key)
	} else {
		p, err = r.t.GetNonMembershipProof(key)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("build proof: %w", err)
	}
	return v, p, nil
}

// atomicDB is the LevelDB the tree writes to. IAVL asks for batches
// preallocated to its flush threshold; atomicDB ignores the size hint so the
// threshold can be set beyond any block without allocating it, and instead
// sizes each batch from the largest written lately (by a quarter more; a
// commit writes a version's batch and then, pruning, a smaller one). A version
// is one batch of some hundred thousand records for a busy block, and
// goleveldb grows a batch of more than 3,000 records by a fraction of
// itself only, so a batch grown from empty copies itself over and over:
// 0.3 s of the commit of a block of 5,000 token transfers.
type atomicDB struct {
	*idb.GoLevelDB
	bigBatch atomic.Int64 // bytes in the largest batch written lately
}

// maxBatchHint caps the size a batch is preallocated to.
const maxBatchHint = 256 << 20

func (d *atomicDB) NewBatchWithSize(int) corestore.Batch {
	hint := min(d.bigBatch.Load()/4*5, maxBatchHint)
	return &sizedBatch{Batch: d.GoLevelDB.NewBatchWithSize(int(hint)), db: d}
}

// sizedBatch tells its atomicDB how large it was when written.
type sizedBatch struct {
	corestore.Batch
	db *atomicDB
}

func (b *sizedBatch) Write() error {
	b.note()
	return b.Batch.Write()
}

func (b *sizedBatch) WriteSync() error {
	b.note()
	return b.Batch.WriteSync()
}

// note records the batch's size, letting older sizes fade by an eighth.
func (b *sizedBatch) note() {
	n, err := b.Batch.GetByteSize()
	if err != nil {
		return
	}
	for {
		old := b.db.bigBatch.Load()
		if b.db.bigBatch.CompareAndSwap(old, max(int64(n), old-old/8)) {
			return
		}
	}
}
