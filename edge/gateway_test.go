package edge

import (
	"context"
	"crypto/ed25519"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/edge/buffer"
	"github.com/hermetic-chain/hermetic/reading"
)

// TestIngestRefusals: samples the gateway refuses, each with its own
// error, leave nothing in the buffer; the next good sample takes the next
// sequence number. (Anchoring is tested against a devnet: e2e's
// TestGatewayAnchorsAReplay and TestGatewayCrash.)
func TestIngestRefusals(t *testing.T) {
	ctx := context.Background()
	buf, err := buffer.Open(filepath.Join(t.TempDir(), "buffer.db"))
	require.NoError(t, err)
	defer buf.Close()
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s, err := reading.NewSigner(key)
	require.NoError(t, err)
	g := &Gateway{Buffer: buf, Devices: map[string]reading.Signer{"mill": s}, MaxSkew: time.Minute}
	now := time.Now()
	good := Sample{Device: "mill", Stream: "spindle", Time: now, Values: []reading.Value{{Name: "torque", Unit: "N.m", Value: 42}}}
	edit := func(f func(*Sample)) Sample {
		s := good
		s.Values = append([]reading.Value(nil), good.Values...)
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    Sample
		want error
	}{
		{"unknown device", edit(func(s *Sample) { s.Device = "lathe" }), ErrUnknownDevice},
		{"far in the future", edit(func(s *Sample) { s.Time = now.Add(time.Hour) }), reading.ErrFuture},
		{"not a number", edit(func(s *Sample) { s.Values[0].Value = math.NaN() }), reading.ErrInvalid},
		{"no values", edit(func(s *Sample) { s.Values = nil }), reading.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := g.Ingest(ctx, tc.s)
			require.ErrorIs(t, err, tc.want)
			require.True(t, refused(err), "refused, not fatal")
			require.NoError(t, g.Sync())
			tip, _, err := buf.Tip("spindle")
			require.NoError(t, err)
			require.Zero(t, tip, "nothing buffered")
		})
	}
	require.NoError(t, g.Ingest(ctx, good))
	require.NoError(t, g.Ingest(ctx, edit(func(s *Sample) { s.Time = now.Add(time.Second) })))
	require.NoError(t, g.Sync())
	tip, last, err := buf.Tip("spindle")
	require.NoError(t, err)
	require.Equal(t, uint64(2), tip)
	_, recs, err := buf.Pending("spindle", 10)
	require.NoError(t, err)
	require.Len(t, recs, 2)
	var c reading.Chain
	for _, rec := range recs {
		r, err := reading.Verify(rec, key.Public())
		require.NoError(t, err)
		require.NoError(t, c.Add(r, rec))
	}
	require.Equal(t, last, c.Last())
}
