package vm

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// FuzzStore feeds arbitrary bytes to the upload path, which parses
// untrusted modules: it must refuse them with one of its errors, never
// panic or exhaust memory; and Validate, which the chain decides an upload
// with before Store compiles it in the background, must agree with Store.
func FuzzStore(f *testing.F) {
	f.Add(module(f, instantiateOnly))
	f.Add(module(f, kv))
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte{0x1f, 0x8b, 0x08})
	v := newVM(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		want, err := v.Store(context.Background(), b)
		got, verr := v.Validate(context.Background(), b)
		if (err == nil) != (verr == nil) {
			t.Fatalf("Store says %v, Validate %v", err, verr)
		}
		if err == nil {
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("Store found %+v, Validate %+v", want, got)
			}
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
