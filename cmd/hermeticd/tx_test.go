package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCoin(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  string
	}{
		{"1000uherm", 1000, ""},
		{"1.5herm", 1_500_000, ""},
		{"2herm", 2_000_000, ""},
		{".25herm", 250_000, ""},
		{"0.000001herm", 1, ""},
		{"0uherm", 0, "positive"},
		{"-5uherm", 0, "bad amount"},
		{"5uatom", 0, "want e.g."},
		{"5", 0, "want e.g."},
		{"lots", 0, "want e.g."},
		{"1.0000001herm", 0, "more than 6 decimals"},
		{"1.5.3herm", 0, "bad amount"},
		{"99999999999999999999uherm", 0, "bad amount"},
		{"herm", 0, "positive"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			c, err := parseCoin(tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, err, tc.in)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, c.Amount)
			require.Equal(t, "uherm", c.Denom)
		})
	}
}
