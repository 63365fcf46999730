package compute

import "sync"

// maxMemo bounds a memo: past it, the memo starts over.
const maxMemo = 4096

// memo remembers what stored records decode to. A record's decoded value is
// a function of its bytes alone, so a hit is right whatever store the
// bytes came from – committed, a block in progress or a transaction later
// reverted – and the memo needs no invalidation. It spares every call the
// JSON and bech32 decoding of its contract's and code's records. Values
// are shared between callers, who must not modify them.
type memo[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// get returns decode(raw), from the memo when raw was decoded before.
// Failed decodings are not kept.
func (c *memo[T]) get(raw []byte, decode func([]byte) (T, error)) (T, error) {
	c.mu.Lock()
	v, ok := c.m[string(raw)]
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := decode(raw)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxMemo {
		c.m = make(map[string]T)
	}
	c.m[string(raw)] = v
	c.mu.Unlock()
	return v, nil
}
