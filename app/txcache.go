package app

import (
	"crypto/sha256"
	"sync"

	"github.com/hermetic-chain/hermetic/tx"
)

// sigCacheSize is how many verified transactions a node remembers: more
// than the node's mempool holds (50,000 transactions, node/config.go).
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

// verify returns nil if t, decoded from raw, is signed correctly: at once
// if raw verified before, otherwise by checking the signature (and
// remembering raw if it verifies). raw is hashed once.
func (c *sigCache) verify(raw []byte, t *tx.Tx) error {
	h := sha256.Sum256(raw)
	c.mu.Lock()
	_, ok := c.set[h]
	c.mu.Unlock()
	if ok {
		return nil
	}
	if err := t.VerifySignature(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.set[h]; ok {
		return nil // verified meanwhile by the other side
	}
	if len(c.set) == len(c.ring) {
		delete(c.set, c.ring[c.next])
	}
	c.ring[c.next] = h
	c.set[h] = struct{}{}
	c.next = (c.next + 1) % len(c.ring)
	return nil
}
