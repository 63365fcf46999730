package vm

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// A Region is how CosmWasm passes bytes across the boundary: 12 bytes in the
// contract's memory, little-endian u32 offset, capacity and length of a
// buffer also in its memory.
const regionSize = 12

type region struct{ offset, capacity, length uint32 }

// readRegion reads the region at ptr.
func readRegion(mem api.Memory, ptr uint32) (region, error) {
	b, ok := mem.Read(ptr, regionSize)
	if !ok {
		return region{}, fmt.Errorf("%w: region pointer %d", ErrMemory, ptr)
	}
	r := region{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])}
	if r.length > r.capacity {
		return region{}, fmt.Errorf("%w: region length %d exceeds capacity %d", ErrMemory, r.length, r.capacity)
	}
	if uint64(r.offset)+uint64(r.capacity) > uint64(mem.Size()) {
		return region{}, fmt.Errorf("%w: region [%d, +%d) outside memory of %d bytes", ErrMemory, r.offset, r.capacity, mem.Size())
	}
	return r, nil
}

// readBytes returns a copy of the bytes a region holds, refusing more than max.
func readBytes(mem api.Memory, ptr uint32, max uint32) ([]byte, error) {
	r, err := readRegion(mem, ptr)
	if err != nil {
		return nil, err
	}
	if r.length > max {
		return nil, fmt.Errorf("%w: %d bytes passed, limit %d", ErrMemory, r.length, max)
	}
	b, ok := mem.Read(r.offset, r.length)
	if !ok {
		return nil, fmt.Errorf("%w: region data", ErrMemory)
	}
	return append([]byte(nil), b...), nil
}

// writeBytes copies data into the region at ptr, which must be large enough,
// and sets its length.
func writeBytes(mem api.Memory, ptr uint32, data []byte) error {
	r, err := readRegion(mem, ptr)
	if err != nil {
		return err
	}
	if uint32(len(data)) > r.capacity {
		return fmt.Errorf("%w: %d bytes do not fit a region of %d", ErrMemory, len(data), r.capacity)
	}
	if !mem.Write(r.offset, data) || !mem.WriteUint32Le(ptr+8, uint32(len(data))) {
		return fmt.Errorf("%w: write region", ErrMemory)
	}
	return nil
}

// passBytes allocates a region in the contract with its own allocate export
// and copies data into it, returning the region pointer.
func passBytes(ctx context.Context, mod api.Module, data []byte) (uint32, error) {
	var alloc api.Function
	if e := envOf(ctx); e != nil && e.inst != nil && e.inst.mod == mod {
		alloc = e.inst.export("allocate")
	} else {
		alloc = mod.ExportedFunction("allocate")
	}
	res, err := alloc.Call(ctx, uint64(len(data)))
	if err != nil {
		return 0, err
	}
	ptr := uint32(res[0])
	if err := writeBytes(mod.Memory(), ptr, data); err != nil {
		return 0, err
	}
	return ptr, nil
}

// encodeSections joins byte sections as cosmwasm-std's encode_sections
// does: each section followed by its length as a big-endian u32.
func encodeSections(sections ...[]byte) []byte {
	var out []byte
	for _, s := range sections {
		out = append(out, s...)
		out = binary.BigEndian.AppendUint32(out, uint32(len(s)))
	}
	return out
}

// decodeSections splits what encodeSections joined, from the end.
func decodeSections(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("%w: truncated section length", ErrMemory)
		}
		n := binary.BigEndian.Uint32(b[len(b)-4:])
		b = b[:len(b)-4]
		if uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("%w: section of %d bytes in %d", ErrMemory, n, len(b))
		}
		out = append(out, b[len(b)-int(n):])
		b = b[:len(b)-int(n)]
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
