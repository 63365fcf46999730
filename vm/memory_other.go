//go:build !linux

package vm

import "errors"

// Elsewhere than on Linux, instances reset by copying the snapshot (see
// memory_linux.go).

func cowSupported() bool { return false }

type snapshotFile struct{}

func newSnapshotFile([]byte) (*snapshotFile, error) {
	return nil, errors.New("vm: no copy-on-write snapshots on this system")
}

func (*snapshotFile) retain()  {}
func (*snapshotFile) release() {}

type cowMemory struct{}

func newCowMemory(uint64) *cowMemory { return nil }

func (*cowMemory) Reallocate(uint64) []byte { return nil }
func (*cowMemory) Free()                    {}
func (*cowMemory) unmap()                   {}

func (*cowMemory) restore(*snapshotFile, []byte) (ok, broken bool) { return false, false }
