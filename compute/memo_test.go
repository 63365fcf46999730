package compute

import (
	"errors"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMemo(t *testing.T) {
	var c memo[int]
	calls := 0
	atoi := func(b []byte) (int, error) {
		calls++
		return strconv.Atoi(string(b))
	}
	for _, tc := range []struct {
		raw   string
		want  int
		err   bool
		calls int // decodings so far
	}{
		{"1", 1, false, 1},
		{"1", 1, false, 1}, // a hit
		{"2", 2, false, 2},
		{"x", 0, true, 3},
		{"x", 0, true, 4}, // failures are not kept
		{"2", 2, false, 4},
	} {
		got, err := c.get([]byte(tc.raw), atoi)
		if tc.err {
			require.Error(t, err, tc.raw)
		} else {
			require.NoError(t, err, tc.raw)
			require.Equal(t, tc.want, got, tc.raw)
		}
		require.Equal(t, tc.calls, calls, tc.raw)
	}

	// Full: it starts over and stays bounded.
	for i := range maxMemo + 10 {
		_, err := c.get([]byte(strconv.Itoa(i)), atoi)
		require.NoError(t, err)
	}
	require.LessOrEqual(t, len(c.m), maxMemo)
	_, err := c.get([]byte("oops"), func([]byte) (int, error) { return 0, errors.New("bad") })
	require.EqualError(t, err, "bad")
}
