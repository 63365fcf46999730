//go:build linux

package vm

import (
	"encoding/binary"
	"os"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Copy-on-write reset (Linux).
//
// An instance's linear memory is a private mapping reserved once at the
// memory's maximum size (experimental.WithMemoryAllocator at
// instantiation), so its address never changes. A snapshot's bytes are also
// put in a sealed memfd shared by every instance of the code. The first
// reset of an instance maps the memfd over the memory's first len(snapshot)
// bytes with mmap(MAP_PRIVATE|MAP_FIXED): the memory then reads the
// snapshot's pages, and the kernel copies a page only when a call writes
// it. Later resets leave the mapping in place: /proc/self/pagemap says
// which pages are private copies rather than the memfd's own (sealed, so
// still the snapshot's), and only those get the snapshot's bytes copied
// back – a few dozen pages for a token transfer, where the copy path copies
// the whole snapshot (4.5 MiB). The pages stay private and writable, so the
// next call writes them without a page fault. When more than a quarter of
// the pages are private copies, or pagemap cannot be read, the reset maps
// the memfd again instead, which drops them.
//
// Unmapping and faulting pages back in on every reset (wasmtime's
// madvise(MADV_DONTNEED), or mmap over the memory each time) was measured
// slower than copying here: the page faults a call then takes cost more
// than the copy saves.
//
// What lies beyond the snapshot's length was never written (a reset refuses
// a memory larger than the snapshot, and an instance starts below it); it
// is cleared with madvise(MADV_DONTNEED) should it ever have been.
//
// The contents after a reset are the snapshot's, byte for byte, as with
// the copy. If the memfd cannot be made, the snapshot has none and its
// instances reset by copying; if a memory cannot be reserved, it is an
// ordinary Go slice and resets by copying; if a reset's mmap fails, the
// memory is mapped anonymous again and copied into, and stays on the
// copying path (or, should that mmap fail too, the instance is discarded:
// a reset in release only costs speed; one restoring a new instance fails
// the call with ErrTrap, as an instantiation failure does). Nothing is
// logged.

// cowSupported says whether instances get copy-on-write memory: whether
// the kernel tells private copies from a memfd's pages in pagemap, tried
// once on a mapping of a small memfd. Without that, copy-on-write resets
// would have to map the snapshot again every time, which is slower than
// copying (the page faults), and a pagemap that said nothing would leave
// written pages unrestored.
var cowSupported = sync.OnceValue(func() bool {
	pm := pagemap()
	if pm == nil {
		return false
	}
	page := make([]byte, 8*pageSize) // one page written: below a quarter
	page[0], page[pageSize] = 1, 2
	f, err := newSnapshotFile(page)
	if err != nil {
		return false
	}
	defer f.release()
	m := newCowMemory(uint64(max(65536, len(page))))
	if m == nil {
		return false
	}
	defer m.unmap()
	m.Reallocate(uint64(len(page)))
	if ok, _ := m.restore(f, page); !ok {
		return false
	}
	mem := unsafe.Slice((*byte)(m.base), len(page))
	mem[pageSize] = 3                      // a private copy
	if mem[0] != 1 || mem[pageSize] != 3 { // the first page read, the file's
		return false
	}
	e := make([]byte, 16)
	if k, err := pm.ReadAt(e, pagemapOffset(m.base)); k != len(e) || err != nil {
		return false
	}
	file, private := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])
	if privatePage(file) || file&pagemapPresent == 0 || !privatePage(private) {
		return false
	}
	// A reset copies the snapshot over the written page, which stays a
	// private copy.
	if ok, _ := m.restore(f, page); !ok || mem[pageSize] != 2 || mem[0] != 1 {
		return false
	}
	if k, err := pm.ReadAt(e, pagemapOffset(m.base)); k != len(e) || err != nil {
		return false
	}
	return privatePage(binary.LittleEndian.Uint64(e[8:]))
})

// snapshotFile is a sealed memfd holding a snapshot's memory. It is
// counted: the program holding the snapshot and every instance attached to
// it hold a reference; the last to let go closes it, so that no reset maps
// a closed (or reused) descriptor.
type snapshotFile struct {
	fd   int
	refs atomic.Int64
}

// newSnapshotFile puts mem in a new memfd and seals it, with one reference.
func newSnapshotFile(mem []byte) (*snapshotFile, error) {
	fd, err := unix.MemfdCreate("hermetic-snapshot", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, err
	}
	if err := unix.Ftruncate(fd, int64(len(mem))); err != nil {
		unix.Close(fd)
		return nil, err
	}
	for off := 0; off < len(mem); {
		n, err := unix.Pwrite(fd, mem[off:], int64(off))
		if err != nil {
			unix.Close(fd)
			return nil, err
		}
		off += n
	}
	// The snapshot can no longer change: private mappings of it cannot
	// write through, and nothing can resize it.
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS,
		unix.F_SEAL_WRITE|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_SEAL); err != nil {
		unix.Close(fd)
		return nil, err
	}
	f := &snapshotFile{fd: fd}
	f.refs.Store(1)
	return f, nil
}

func (f *snapshotFile) retain() { f.refs.Add(1) }

func (f *snapshotFile) release() {
	if f.refs.Add(-1) == 0 {
		unix.Close(f.fd)
	}
}

// cowMemory is a linear memory in a private mapping of max bytes, reserved
// at allocation; its address never changes. Every instance's memory is one
// where it can be reserved (VM.instantiate); only with copy-on-write resets
// (Config.CopyOnWriteReset) is a snapshot mapped over it, otherwise a reset
// copies the snapshot into it.
type cowMemory struct {
	base unsafe.Pointer
	max  uint64
	high uint64 // the largest length since the last reset
	// copying is set once a reset's mmap failed: the memory is anonymous
	// again and resets by copying.
	copying bool
	// mapped is the snapshot file mapped over the memory since its last
	// mmap, nil if none.
	mapped *snapshotFile
	// entries is a buffer for the memory's /proc/self/pagemap entries.
	entries []byte
}

// newCowMemory reserves max bytes (no swap reserved, nothing touched), or
// returns nil.
func newCowMemory(max uint64) *cowMemory {
	// Wasm pages (64 KiB) must be whole system pages, for the snapshot's
	// mapping to end where it does.
	if max == 0 || max > 1<<32 || 65536%pageSize != 0 {
		return nil
	}
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(max), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return &cowMemory{base: p, max: max}
}

// Reallocate implements experimental.LinearMemory: a longer (or shorter)
// view of the same mapping; pages beyond the old length are zero.
func (m *cowMemory) Reallocate(size uint64) []byte {
	if size > m.max || m.base == nil {
		return nil
	}
	m.high = max(m.high, size)
	return unsafe.Slice((*byte)(m.base), m.max)[:size:size]
}

// Free implements experimental.LinearMemory. It does nothing: wazero
// frees a module's memory when the module closes, which the runtime's Close
// does even while a call still runs in it; the VM unmaps the memory itself
// (unmap) once it closed the instance, which no call is using then.
func (m *cowMemory) Free() {}

// unmap releases the memory. Nothing may use it afterwards.
func (m *cowMemory) unmap() {
	if m.base != nil {
		_ = unix.MunmapPtr(m.base, uintptr(m.max))
		m.base = nil
	}
}

// restore makes the memory, whose length is len(snap), hold the snapshot
// whose bytes are snap and whose memfd is f, and zeroes what lies beyond.
// It reports false if the memory is on the copying path, or has just been
// put on it (its contents are then undefined: the caller copies the
// snapshot in); broken reports the memory unusable.
func (m *cowMemory) restore(f *snapshotFile, snap []byte) (ok, broken bool) {
	if m.copying || m.base == nil {
		return false, m.base == nil
	}
	n := uint64(len(snap))
	if m.mapped == f && m.high <= n && m.restorePages(snap) {
		return true, false
	}
	if _, err := unix.MmapPtr(f.fd, 0, m.base, uintptr(n), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_FIXED); err != nil {
		// A failed MAP_FIXED may have unmapped the range: map it
		// anonymous again and copy from now on.
		m.copying, m.mapped = true, nil
		if _, err := unix.MmapPtr(-1, 0, m.base, uintptr(n), unix.PROT_READ|unix.PROT_WRITE,
			unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE|unix.MAP_FIXED); err != nil {
			return false, true
		}
		return false, false
	}
	if m.high > n {
		all := unsafe.Slice((*byte)(m.base), m.max)
		if err := unix.Madvise(all[n:m.high], unix.MADV_DONTNEED); err != nil {
			return false, true
		}
	}
	m.high = n
	m.mapped = f
	return true, false
}

// Pages of a private mapping of the snapshot that the memory's calls never
// wrote are the memfd's own pages, which are sealed: the snapshot's bytes.
// The kernel says which pages are private copies in /proc/self/pagemap, so
// a reset need only copy the snapshot's bytes back over those, without
// unmapping anything: the next call then writes them without a fault.
var pageSize = os.Getpagesize()

const (
	pagemapPresent = 1 << 63
	pagemapSwapped = 1 << 62 // or migrating
	pagemapFile    = 1 << 61 // a file page (here: the memfd's), not a private copy
)

// privatePage says whether a pagemap entry may be a private copy: a page
// present and not the file's, or one swapped out. A hole (no page: the
// next access reads the file) is not.
func privatePage(v uint64) bool {
	return v&pagemapSwapped != 0 || v&(pagemapPresent|pagemapFile) == pagemapPresent
}

var pagemap = sync.OnceValue(func() *os.File {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return nil
	}
	return f
})

// pagemapOffset is where the entry of the page at p is in pagemap.
func pagemapOffset(p unsafe.Pointer) int64 { return int64(uintptr(p)/uintptr(pageSize)) * 8 }

// restorePages copies snap over the pages of the memory that are not the
// mapped snapshot file's own. It reports false, having changed nothing, if
// the kernel does not say which those are, or if they are more than a
// quarter of the snapshot (the memory is then mapped again, dropping them).
func (m *cowMemory) restorePages(snap []byte) bool {
	pm := pagemap()
	if pm == nil {
		return false
	}
	pages := len(snap) / pageSize
	if cap(m.entries) < 8*pages {
		m.entries = make([]byte, 8*pages)
	}
	e := m.entries[:8*pages]
	if k, err := pm.ReadAt(e, pagemapOffset(m.base)); k != len(e) || err != nil {
		return false
	}
	private := 0
	for i := range pages {
		if privatePage(binary.LittleEndian.Uint64(e[8*i:])) {
			private++
		}
	}
	if private > pages/4 {
		return false
	}
	mem := unsafe.Slice((*byte)(m.base), len(snap))
	for i := range pages {
		if privatePage(binary.LittleEndian.Uint64(e[8*i:])) {
			copy(mem[i*pageSize:(i+1)*pageSize], snap[i*pageSize:])
		}
	}
	return true
}
