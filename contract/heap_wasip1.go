//go:build wasip1

package contract

import "runtime"

// heapHeadroom is how much heap the SDK makes the Go runtime take from the
// host while the contract starts, and then frees.
//
// The VM runs a contract's start-up (_initialize, which runs this init)
// once, snapshots the instance, and resets a pooled instance to that
// snapshot after every call — unless the call grew the memory, which
// cannot shrink: such an instance is thrown away and the next call pays
// for a new one (milliseconds). An ordinary call allocates a few hundred
// KiB, which the runtime, starting from a tight heap, gets by growing the
// memory every time. Growing the heap once here, in the deterministic
// start-up, leaves freed spans in the snapshot for every call to reuse.
const heapHeadroom = 1 << 20

var headroomSink []byte

// warmSink keeps the objects warmHeap allocates alive until the snapshot.
var warmSink []any

func init() {
	// Heap profiling samples allocations with stack walks; nothing reads
	// the profile in a contract.
	runtime.MemProfileRate = 0
	headroomSink = make([]byte, heapHeadroom)
	headroomSink = nil
	runtime.GC()
	warmHeap()
}

// warmHeap gives the runtime's allocation cache a span of every small size
// class, with and without pointers. A garbage collection empties that
// cache, so without this every call, starting from the snapshot, would
// first fetch a span from the heap for each size class it uses – some 7,000
// gas each, about 50,000 a call.
func warmHeap() {
	for n := 8; n <= warmMax; {
		// append rounds the capacity up to the size class's size.
		class := cap(append([]byte(nil), make([]byte, n)...))
		warmSink = append(warmSink, make([]byte, class), make([]*byte, class/8))
		n = class + 8
	}
}

// warmMax is the largest object size whose class warmHeap warms.
const warmMax = 4096
