package app

import (
	"crypto/sha256"
	"sync"
)

// sigCacheSize is how many verified transactions a node remembers: more
// than its mempool holds (CometBFT's default is 5,000 transactions).
const sigCacheSize = 1 << 16

// sigCache remembers, by the SHA-256 of their bytes, the transactions whose
// signature this node has verified, so that FinalizeBlock does not verify
// again what CheckTx already did (an ed25519 check is about 55 µs, a P-256
// one more). Whether a transaction's signature verifies is a function of its
// bytes alone, so a hit changes no result and no gas: every node reaches the
// same answer, a node that saw the transaction in its mempool only sooner.
// Entries leave in the order they came once the cache is full.
type sigCache struct {
	mu   sync.Mutex
	set  map[[sha256.Size]byte]struct{}
	ring [][sha256.Size]byte
	next int
}

func newSigCache(size int) *sigCache {
	return &sigCache{set: make(map[[sha256.Size]byte]struct{}, size), ring: make([][sha256.Size]byte, size)}
}

// verified reports whether raw's signature was verified before.
func (c *sigCache) verified(raw []byte) bool {
	h := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.set[h]
	return ok
}

// add records that raw's signature verified.
func (c *sigCache) add(raw []byte) {
	h := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[h]; ok {
		return
	}
	if len(c.set) == len(c.ring) {
		delete(c.set, c.ring[c.next])
	}
	c.ring[c.next] = h
	c.set[h] = struct{}{}
	c.next = (c.next + 1) % len(c.ring)
}
