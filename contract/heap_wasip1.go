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

func init() {
	headroomSink = make([]byte, heapHeadroom)
	headroomSink = nil
	runtime.GC()
}
