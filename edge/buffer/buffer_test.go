package buffer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/reading"
)

func open(t testing.TB, path string) *Buffer {
	b, err := Open(path)
	require.NoError(t, err)
	return b
}

func rec(stream string, seq uint64) []byte { return []byte(fmt.Sprintf("%s record %d", stream, seq)) }

func TestAppendAndAnchor(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "buffer.db")
	b := open(t, path)
	for seq := uint64(1); seq <= 10; seq++ {
		require.NoError(t, b.Append(ctx, "mill/spindle", seq, rec("spindle", seq)))
	}
	tip, hash, err := b.Tip("mill/spindle")
	require.NoError(t, err)
	require.Equal(t, uint64(10), tip)
	require.Equal(t, reading.Hash(rec("spindle", 10)), hash)

	tests := []struct {
		name string
		seq  uint64
	}{{"the same again", 10}, {"backwards", 3}, {"skipping", 12}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Append(ctx, "mill/spindle", tc.seq, rec("x", tc.seq))
			require.ErrorIs(t, err, ErrOutOfOrder)
			require.Contains(t, err.Error(), "mill/spindle record")
		})
	}
	require.ErrorIs(t, b.Append(ctx, "new/stream", 2, rec("n", 2)), ErrOutOfOrder, "a new stream starts at 1")

	first, recs, err := b.Pending("mill/spindle", 4)
	require.NoError(t, err)
	require.Equal(t, uint64(1), first)
	require.Equal(t, [][]byte{rec("spindle", 1), rec("spindle", 2), rec("spindle", 3), rec("spindle", 4)}, recs)
	require.NoError(t, b.SetAnchored("mill/spindle", 4))
	require.NoError(t, b.SetAnchored("mill/spindle", 2), "never backwards, no error")
	n, err := b.Anchored("mill/spindle")
	require.NoError(t, err)
	require.Equal(t, uint64(4), n)
	require.Error(t, b.SetAnchored("mill/spindle", 11), "beyond the buffer")
	first, recs, err = b.Pending("mill/spindle", 100)
	require.NoError(t, err)
	require.Equal(t, uint64(5), first)
	require.Len(t, recs, 6)

	// Everything survives a restart.
	require.NoError(t, b.Close())
	require.ErrorIs(t, b.Append(ctx, "mill/spindle", 11, rec("spindle", 11)), ErrClosed)
	b = open(t, path)
	defer b.Close()
	tip, hash, err = b.Tip("mill/spindle")
	require.NoError(t, err)
	require.Equal(t, uint64(10), tip)
	require.Equal(t, reading.Hash(rec("spindle", 10)), hash)
	first, recs, err = b.Pending("mill/spindle", 100)
	require.NoError(t, err)
	require.Equal(t, uint64(5), first)
	require.Len(t, recs, 6)
	require.NoError(t, b.Append(ctx, "mill/spindle", 11, rec("spindle", 11)))
	streams, err := b.Streams()
	require.NoError(t, err)
	require.Equal(t, []string{"mill/spindle"}, streams)
}

// TestGroupCommit: many concurrent appends, to many streams, some out of
// order: each gets its own answer, and what was acknowledged is there.
func TestGroupCommit(t *testing.T) {
	ctx := context.Background()
	b := open(t, filepath.Join(t.TempDir(), "buffer.db"))
	defer b.Close()
	const streams, per = 32, 200
	var wg sync.WaitGroup
	var refused atomic.Int64
	for s := range streams {
		wg.Go(func() {
			name := fmt.Sprintf("s%02d", s)
			for seq := uint64(1); seq <= per; seq++ {
				require.NoError(t, b.Append(ctx, name, seq, rec(name, seq)))
				if seq%50 == 0 {
					if err := b.Append(ctx, name, seq, rec(name, seq)); err != nil {
						refused.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, int64(streams*per/50), refused.Load())
	for s := range streams {
		name := fmt.Sprintf("s%02d", s)
		tip, _, err := b.Tip(name)
		require.NoError(t, err)
		require.Equal(t, uint64(per), tip)
		_, recs, err := b.Pending(name, per+1)
		require.NoError(t, err)
		require.Len(t, recs, per)
		require.Equal(t, rec(name, per), recs[per-1])
	}
}

// BenchmarkSignAndBuffer: readings signed with ed25519 and appended
// durably, as the gateway does: each of 8 streams signs its readings in
// order (each names the last one's hash) and keeps up to 4,096 of them in
// flight to the buffer, which commits what has queued in one fsync.
// Reported in readings a second.
func BenchmarkSignAndBuffer(b *testing.B) {
	_, ed, err := ed25519.GenerateKey(nil)
	require.NoError(b, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(b, err)
	for name, key := range map[string]crypto.Signer{"ed25519": ed, "p256": p256} {
		s, err := reading.NewSigner(key)
		require.NoError(b, err)
		b.Run(name, func(b *testing.B) { benchSignAndBuffer(b, s) })
	}
}

func benchSignAndBuffer(b *testing.B, s reading.Signer) {
	buf := open(b, filepath.Join(b.TempDir(), "buffer.db"))
	defer buf.Close()
	const streams, inFlight = 8, 4096
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for k := range streams {
		wg.Go(func() {
			stream := fmt.Sprintf("s%d", k)
			acks := make(chan Ack, inFlight)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for a := range acks {
					if err := a.Wait(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			}()
			var chain reading.Digest
			for seq := uint64(1); next.Add(1) <= int64(b.N); seq++ {
				r := &reading.Reading{Device: "mill", Stream: stream, Seq: seq, Time: int64(seq), Prev: chain,
					Values: []reading.Value{{Name: "rotational_speed", Unit: "rpm", Value: 1551}, {Name: "torque", Unit: "N.m", Value: 42.8}}}
				record, err := reading.Sign(rand.Reader, s, r)
				if err != nil {
					b.Error(err)
					break
				}
				a, err := buf.Enqueue(ctx, stream, seq, record)
				if err != nil {
					b.Error(err)
					break
				}
				acks <- a
				chain = reading.Hash(record)
			}
			close(acks)
			<-done
		})
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "readings/s")
}
