package batch

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestObject(t *testing.T) {
	key, err := NewKey(nil)
	require.NoError(t, err)
	c := &Contents{Stream: "mill-7/spindle", Batch: 3, First: 201, Records: records(100)}
	obj, err := Seal(key, c)
	require.NoError(t, err)
	got, err := Open(key, obj)
	require.NoError(t, err)
	require.Equal(t, *c, got)

	other, err := NewKey(nil)
	require.NoError(t, err)
	edited := bytes.Clone(obj)
	edited[len(edited)/2] ^= 1
	tests := []struct {
		name   string
		key    []byte
		object []byte
	}{
		{"another key", other, obj},
		{"truncated", key, obj[:len(obj)-1]},
		{"edited", key, edited},
		{"empty", key, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(tc.key, tc.object)
			require.ErrorIs(t, err, ErrObject)
		})
	}
	_, err = Open(key[:16], obj)
	require.Error(t, err)
	_, err = Seal(key[:31], c)
	require.Error(t, err)
}
