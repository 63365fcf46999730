package contract

import (
	"encoding/binary"
	"fmt"
)

// NamespaceKey returns the storage key of key in a map named namespace, as
// cw-storage-plus lays it out: the namespace's length as a big-endian u16,
// the namespace, then the key. So Map keys of different namespaces never
// collide, whatever the names.
func NamespaceKey(namespace, key []byte) []byte {
	p := namespacePrefix(namespace)
	out := make([]byte, len(p), len(p)+len(key))
	copy(out, p)
	return append(out, key...)
}

// namespacePrefix is the length-prefixed namespace every key of a map
// starts with.
func namespacePrefix(namespace []byte) []byte {
	if len(namespace) > 0xFFFF {
		panic(fmt.Sprintf("contract: namespace of %d bytes, limit 65535", len(namespace)))
	}
	out := make([]byte, 2, 2+len(namespace))
	binary.BigEndian.PutUint16(out, uint16(len(namespace)))
	return append(out, namespace...)
}

// PrefixEnd returns the first key after every key starting with prefix
// (nil if there is none: the prefix is all 0xFF), the end of a range over
// the prefix.
func PrefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// U64Key encodes n as an 8-byte big-endian string, a Map key that sorts as
// the number does (heights, sequence numbers).
func U64Key(n uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return string(b[:])
}

// ParseU64Key reverses U64Key.
func ParseU64Key[K ~string | ~[]byte](k K) (uint64, error) {
	if len(k) != 8 {
		return 0, fmt.Errorf("contract: u64 key of %d bytes, want 8", len(k))
	}
	return binary.BigEndian.Uint64([]byte(k)), nil
}
