package enclave

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPadError(t *testing.T) {
	tests := []struct {
		name string
		len  int
		want int
	}{
		{"empty", 0, ErrorBlock},
		{"one byte", 1, ErrorBlock},
		{"one short of a block", ErrorBlock - 1, ErrorBlock},
		{"a block", ErrorBlock, ErrorBlock},
		{"a block and a byte", ErrorBlock + 1, 2 * ErrorBlock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := []byte(strings.Repeat("e", tc.len))
			got := padError(msg)
			require.Len(t, got, tc.want)
			require.Equal(t, msg, got[:tc.len])
			require.Equal(t, bytes.Repeat([]byte(" "), tc.want-tc.len), got[tc.len:])
			require.Equal(t, strings.Repeat("e", tc.len), string(msg), "msg itself is not changed")
		})
	}
}
