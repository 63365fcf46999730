package app

import (
	"crypto/sha256"
	"sync"

	"github.com/hermetic-chain/hermetic/tx"
)

// txCacheSize is how many transactions a node remembers: more than the
// node's mempool holds (50,000 transactions, node/config.go).
const txCacheSize = 1 << 16

// txCache remembers, by the SHA-256 of their bytes, the transactions this
// node has decoded and whether their signature verified, so that a
// transaction is decoded and verified once on its way from CheckTx through
// PrepareProposal or ProcessProposal to FinalizeBlock, not at every step
// (decoding is 10–20 µs, an ed25519 check about 55 µs, a P-256 one more).
// Both are functions of the bytes alone, so a hit changes no result and no
// gas: every node reaches the same answer, one that saw the transaction
// sooner only faster. Decoded transactions are shared and never modified.
// Entries leave in the order they came once the cache is full.
type txCache struct {
	mu   sync.Mutex
	m    map[[sha256.Size]byte]*txEntry
	byTx map[*tx.Tx]*txEntry // the same entries, by the decoded transaction
	ring [][sha256.Size]byte
	next int
}

type txEntry struct {
	t        *tx.Tx
	verified bool
}

func newTxCache(size int) *txCache {
	return &txCache{m: make(map[[sha256.Size]byte]*txEntry, size), byTx: make(map[*tx.Tx]*txEntry, size),
		ring: make([][sha256.Size]byte, size)}
}

// decode returns raw decoded, as tx.Decode does; a transaction decoded
// before is not decoded again.
func (c *txCache) decode(raw []byte) (*tx.Tx, error) {
	h := sha256.Sum256(raw)
	c.mu.Lock()
	e, ok := c.m[h]
	c.mu.Unlock()
	if ok {
		return e.t, nil
	}
	t, err := tx.Decode(raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[h]; ok {
		return e.t, nil // decoded meanwhile by the other side
	}
	c.add(h, &txEntry{t: t})
	return t, nil
}

// add remembers e under h, evicting the oldest entry if the cache is full.
// c.mu is held.
func (c *txCache) add(h [sha256.Size]byte, e *txEntry) {
	if len(c.m) == len(c.ring) {
		old := c.ring[c.next]
		delete(c.byTx, c.m[old].t)
		delete(c.m, old)
	}
	c.ring[c.next] = h
	c.m[h] = e
	c.byTx[e.t] = e
	c.next = (c.next + 1) % len(c.ring)
}

// verify returns nil if t, decoded from raw, is signed correctly: at once
// if t (as decode returned it) or raw verified before, otherwise by
// checking the signature (and remembering that raw verifies if it does).
func (c *txCache) verify(raw []byte, t *tx.Tx) error {
	c.mu.Lock()
	e, ok := c.byTx[t]
	verified := ok && e.verified
	c.mu.Unlock()
	if verified {
		return nil
	}
	var h [sha256.Size]byte
	if !ok {
		h = sha256.Sum256(raw)
		c.mu.Lock()
		e, ok = c.m[h]
		verified = ok && e.verified
		c.mu.Unlock()
		if verified {
			return nil
		}
	}
	if err := t.VerifySignature(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		e.verified = true
	} else if e, ok := c.m[h]; ok {
		e.verified = true
	} else {
		c.add(h, &txEntry{t: t, verified: true})
	}
	return nil
}
