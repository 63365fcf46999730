package client

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/keys"
)

// maxCached bounds each of a client's caches (code hashes, contracts' code
// ids); a full cache is emptied and starts over.
const maxCached = 1024

// newHTTPClient returns the HTTP client of a Client. Its transport keeps
// enough idle connections to the node for a few dozen concurrent callers
// (http.DefaultTransport keeps 2, so that with more concurrent requests
// connections are closed and dialled again).
func newHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	return &http.Client{Timeout: 60 * time.Second, Transport: t}
}

// cache holds what a client learnt from its node and reuses across calls:
// the code hash of each code id (stored code never changes) and the code id
// of each contract (which a migrate changes: an input encrypted for the old
// code is refused with cryptobox.ErrWrongCodeHash, and the callers then drop
// the entry and try once more). Safe for concurrent use.
type cache struct {
	mu       sync.Mutex
	hashes   map[uint64][32]byte
	codeIDs  map[keys.ContractAddress]uint64
	enc      *Encryptor
	encMaker sync.Once
}

func (c *cache) hash(id uint64) ([32]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.hashes[id]
	return h, ok
}

func (c *cache) setHash(id uint64, h [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hashes == nil || len(c.hashes) >= maxCached {
		c.hashes = map[uint64][32]byte{}
	}
	c.hashes[id] = h
}

func (c *cache) codeID(a keys.ContractAddress) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.codeIDs[a]
	return id, ok
}

func (c *cache) setCodeID(a keys.ContractAddress, id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codeIDs == nil || len(c.codeIDs) >= maxCached {
		c.codeIDs = map[keys.ContractAddress]uint64{}
	}
	c.codeIDs[a] = id
}

// forget drops a contract's code id, after the node refused an input
// encrypted for the code hash it led to.
func (c *cache) forget(a keys.ContractAddress) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.codeIDs, a)
}

// codeHashOf returns the code hash of a code id, from the cache or the node.
func (c *Client) codeHashOf(ctx context.Context, id uint64) ([32]byte, error) {
	if h, ok := c.cache.hash(id); ok {
		return h, nil
	}
	ci, err := c.CodeInfo(ctx, id)
	if err != nil {
		return [32]byte{}, err
	}
	h, err := ci.Hash()
	if err != nil {
		return h, err
	}
	c.cache.setHash(id, h)
	return h, nil
}

// contractCodeHash returns the code hash of the code a contract runs: its
// code id from the cache or the node, then codeHashOf.
func (c *Client) contractCodeHash(ctx context.Context, contract keys.ContractAddress) ([32]byte, error) {
	id, ok := c.cache.codeID(contract)
	if !ok {
		ci, err := c.ContractInfo(ctx, contract)
		if err != nil {
			return [32]byte{}, err
		}
		id = ci.CodeID
		c.cache.setCodeID(contract, id)
	}
	return c.codeHashOf(ctx, id)
}

// wrongCodeHash reports whether the node refused an input because it was
// encrypted for another code hash than the contract's: the contract was
// migrated since its code id was cached.
func wrongCodeHash(err error) bool { return errors.Is(err, cryptobox.ErrWrongCodeHash) }
