package state

import (
	"encoding/binary"
	"testing"
)

// BenchmarkCommit commits versions of 40,000 writes, about what a block
// of 5,000 token transfers writes (30,000 updates of 1,000 keys, 10,000
// new keys): the tree's new nodes go to LevelDB in one batch per version.
// Only the commit is timed.
func BenchmarkCommit(b *testing.B) {
	t, err := Open(b.TempDir(), Options{KeepRecent: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer t.Close()
	value := make([]byte, 100)
	key := func(n uint64) []byte {
		return binary.BigEndian.AppendUint64([]byte{0x49}, n*0x9E3779B97F4A7C15) // spread over the tree
	}
	set := func(k []byte) {
		if err := t.Set(k, value); err != nil {
			b.Fatal(err)
		}
	}
	next := uint64(1_000)
	for b.Loop() {
		b.StopTimer()
		for i := range 30_000 {
			set(key(uint64(i % 1_000)))
		}
		for range 10_000 {
			next++
			set(key(next))
		}
		b.StartTimer()
		defer func() { b.ReportMetric(float64(t.db.bigBatch.Load())/(1<<20), "MiB-batch") }()
		if _, _, err := t.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}
