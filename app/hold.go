package app

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/hermetic-chain/hermetic/keys"
)

// Errors of transactions the mempool will not hold for their predecessors.
var (
	// ErrHoldFull: the sender already has as many transactions waiting as
	// HoldLimits allow, or the transaction alone is larger than the pool.
	ErrHoldFull = errors.New("too many transactions waiting for an earlier sequence")
	// ErrHoldExpired: the transaction waited HoldLimits.ExpiryBlocks
	// blocks for its predecessor, or was evicted to make room.
	ErrHoldExpired = errors.New("waited too long for an earlier sequence")
)

// HoldLimits bound what the mempool holds ahead of a sender's next sequence
// (see CheckTx). A held transaction costs its sender nothing until it
// executes, so these are what a stranger could otherwise fill the mempool
// with: every held transaction must also be signed, pay the minimum fee,
// and be covered, with the sender's other held transactions, by the
// sender's balance.
type HoldLimits struct {
	// PerSender is how many transactions one sender may have waiting; it
	// is also how far ahead of its next sequence a transaction may be.
	PerSender int
	// PerSenderBytes bounds the bytes one sender's waiting transactions take.
	PerSenderBytes int
	// Total and TotalBytes bound all waiting transactions together. When a
	// new one would pass them, the oldest waiting transactions are evicted.
	Total, TotalBytes int
	// ExpiryBlocks is how many blocks a transaction may wait; after that
	// the recheck removes it from the mempool.
	ExpiryBlocks int64
}

// DefaultHoldLimits are the limits a node runs with unless configured
// otherwise: in a node's mempool of 50,000 transactions (node.DefaultConfig),
// held transactions take at most a tenth in number and 16 MiB, and wait at
// most 20 blocks.
func DefaultHoldLimits() HoldLimits {
	return HoldLimits{PerSender: 64, PerSenderBytes: 1 << 20, Total: 5_000, TotalBytes: 16 << 20, ExpiryBlocks: 20}
}

// heldTx is a transaction waiting for its sender's earlier sequence.
type heldTx struct {
	raw   []byte
	fee   uint64
	hash  [32]byte
	since int64  // height at which it was first held
	order uint64 // insertion order, to find the oldest
}

// holdPool holds transactions ahead of their sender's next sequence in the
// mempool state. Its contents are rebuilt after every commit by the
// recheck; what it remembers across commits is when each transaction was
// first held (seen), so that one that never becomes executable expires, and
// which were evicted, so that the recheck removes them from the mempool.
// It is not part of consensus.
type holdPool struct {
	limits   HoldLimits
	bySender map[keys.Address]map[uint64]*heldTx
	bytes    map[keys.Address]int
	fees     map[keys.Address]uint64
	count    int
	total    int // bytes
	order    uint64
	seen     map[[32]byte]seenTx
}

// seenTx is what the pool remembers of a transaction across commits: when
// it was first held, and, if it was evicted, at which height (0: it was
// not).
type seenTx struct {
	since     int64
	evictedAt int64
}

// seenFactor bounds what the pool remembers: at most seenFactor times
// HoldLimits.Total transactions (those held, and those evicted at the last
// height, which the recheck must still refuse). Past it, a new transaction
// is not held: so many were evicted that the pool is under a flood.
const seenFactor = 4

func newHoldPool(l HoldLimits) *holdPool {
	return &holdPool{limits: l, bySender: map[keys.Address]map[uint64]*heldTx{}, bytes: map[keys.Address]int{},
		fees: map[keys.Address]uint64{}, seen: map[[32]byte]seenTx{}}
}

// reset empties the pool after a commit at height, for the recheck to
// refill, and forgets what is older than the expiry window and what was
// evicted before this height's recheck, which has refused it.
func (p *holdPool) reset(height int64) {
	clear(p.bySender)
	clear(p.bytes)
	clear(p.fees)
	p.count, p.total = 0, 0
	for h, s := range p.seen {
		if height-s.since > p.limits.ExpiryBlocks+1 || (s.evictedAt != 0 && height > s.evictedAt) {
			delete(p.seen, h)
		}
	}
}

// feesOf returns the fees of sender's waiting transactions.
func (p *holdPool) feesOf(sender keys.Address) uint64 { return p.fees[sender] }

// has reports whether a transaction with sender and seq is waiting.
func (p *holdPool) has(sender keys.Address, seq uint64) bool {
	_, ok := p.bySender[sender][seq]
	return ok
}

// take removes and returns the transaction of sender with seq, if any.
func (p *holdPool) take(sender keys.Address, seq uint64) ([]byte, bool) {
	h, ok := p.bySender[sender][seq]
	if !ok {
		return nil, false
	}
	p.remove(sender, seq, h)
	delete(p.seen, h.hash) // it executes now; nothing to expire
	return h.raw, true
}

func (p *holdPool) remove(sender keys.Address, seq uint64, h *heldTx) {
	delete(p.bySender[sender], seq)
	if len(p.bySender[sender]) == 0 {
		delete(p.bySender, sender)
		delete(p.bytes, sender)
		delete(p.fees, sender)
	} else {
		p.bytes[sender] -= len(h.raw)
		p.fees[sender] -= h.fee
	}
	p.count--
	p.total -= len(h.raw)
}

// add holds raw (sender's transaction with seq and fee) at height, evicting
// the oldest waiting transactions if the pool is full. It refuses a
// transaction that waited too long or was evicted before, one whose sequence
// another transaction of the sender holds already, and one that would pass
// the sender's limits.
func (p *holdPool) add(sender keys.Address, seq, fee uint64, raw []byte, height int64) error {
	hash := sha256.Sum256(raw)
	since := height
	s, ok := p.seen[hash]
	if !ok && len(p.seen) >= seenFactor*p.limits.Total {
		return fmt.Errorf("%w: %d transactions waited or were evicted lately", ErrHoldFull, len(p.seen))
	}
	if ok {
		if s.evictedAt != 0 {
			return fmt.Errorf("%w: evicted to make room for others", ErrHoldExpired)
		}
		if height-s.since >= p.limits.ExpiryBlocks {
			return fmt.Errorf("%w: waiting since height %d, limit %d blocks", ErrHoldExpired, s.since, p.limits.ExpiryBlocks)
		}
		since = s.since
	}
	if p.has(sender, seq) {
		return fmt.Errorf("%w: another transaction with sequence %d is waiting", ErrSequenceSkipped, seq)
	}
	n := len(p.bySender[sender])
	if n >= p.limits.PerSender || p.bytes[sender]+len(raw) > p.limits.PerSenderBytes {
		return fmt.Errorf("%w: sender has %d waiting (%d bytes); limits %d and %d bytes",
			ErrHoldFull, n, p.bytes[sender], p.limits.PerSender, p.limits.PerSenderBytes)
	}
	if len(raw) > p.limits.TotalBytes {
		return fmt.Errorf("%w: %d bytes, more than the pool's %d", ErrHoldFull, len(raw), p.limits.TotalBytes)
	}
	for p.count+1 > p.limits.Total || p.total+len(raw) > p.limits.TotalBytes {
		if !p.evictOldest(height) {
			return fmt.Errorf("%w: the pool holds none", ErrHoldFull)
		}
	}
	if p.bySender[sender] == nil {
		p.bySender[sender] = map[uint64]*heldTx{}
	}
	p.order++
	p.bySender[sender][seq] = &heldTx{raw: raw, fee: fee, hash: hash, since: since, order: p.order}
	p.bytes[sender] += len(raw)
	p.fees[sender] += fee
	p.count++
	p.total += len(raw)
	p.seen[hash] = seenTx{since: since}
	return nil
}

// evictOldest drops the transaction held longest (the earliest first-held
// height, then the earliest inserted) and remembers it as evicted, so that
// the recheck after the next commit removes it from the mempool too. It
// returns false if the pool is empty.
func (p *holdPool) evictOldest(height int64) bool {
	var (
		oldest    *heldTx
		oldSender keys.Address
		oldSeq    uint64
	)
	for sender, txs := range p.bySender {
		for seq, h := range txs {
			if oldest == nil || h.since < oldest.since || (h.since == oldest.since && h.order < oldest.order) {
				oldest, oldSender, oldSeq = h, sender, seq
			}
		}
	}
	if oldest == nil {
		return false
	}
	p.remove(oldSender, oldSeq, oldest)
	p.seen[oldest.hash] = seenTx{since: oldest.since, evictedAt: height}
	return true
}
