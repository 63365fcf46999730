package vm

import (
	"context"
	"errors"
	"testing"
)

// FuzzStore feeds arbitrary bytes to the upload path, which parses
// untrusted modules: it must refuse them with one of its errors, never
// panic or exhaust memory.
func FuzzStore(f *testing.F) {
	f.Add(module(f, instantiateOnly))
	f.Add(module(f, kv))
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte{0x1f, 0x8b, 0x08})
	v := newVM(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := v.Store(context.Background(), b)
		if err == nil {
			return
		}
		for _, known := range []error{ErrInvalidCode, ErrCodeTooLarge, ErrMissingExport, ErrCapability, ErrUnknownImport} {
			if errors.Is(err, known) {
				return
			}
		}
		t.Fatalf("unclassified error: %v", err)
	})
}
