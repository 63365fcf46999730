package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/edge"
	"github.com/hermetic-chain/hermetic/edge/buffer"
	"github.com/hermetic-chain/hermetic/edge/store"
	"github.com/hermetic-chain/hermetic/reading"
)

// timedSource notes when each sample left the source.
type timedSource struct {
	edge.Source
	mu   sync.Mutex
	sent []time.Time
}

func (s *timedSource) Run(ctx context.Context, out chan<- edge.Sample) error {
	in := make(chan edge.Sample)
	errc := make(chan error, 1)
	go func() { errc <- s.Source.Run(ctx, in); close(in) }()
	for smp := range in {
		s.mu.Lock()
		s.sent = append(s.sent, time.Now())
		s.mu.Unlock()
		select {
		case out <- smp:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return <-errc
}

// timedAnchorer notes when each anchor was committed.
type timedAnchorer struct {
	edge.Anchorer
	mu       sync.Mutex
	anchored map[uint64]time.Time // last sequence number → commit time
	batches  []edge.Anchor
}

func (a *timedAnchorer) Anchor(ctx context.Context, an edge.Anchor) error {
	err := a.Anchorer.Anchor(ctx, an)
	if err == nil {
		a.mu.Lock()
		a.anchored[an.LastSeq] = time.Now()
		a.batches = append(a.batches, an)
		a.mu.Unlock()
	}
	return err
}

// BenchmarkGatewayReplay replays the whole AI4I 2020 data set (10,000
// rows), or 100,000 readings of a simulated mill, through the gateway into
// the registry on a devnet, at rate rows a second (0: as fast as it goes),
// and reports readings anchored a second (from the first sample to the
// last anchor's commit), and the latency from a sample leaving its source
// to its anchor's commit (p50, p99).
//
//	go test ./e2e -run '^$' -bench GatewayReplay -benchtime 1x
func BenchmarkGatewayReplay(b *testing.B) {
	for _, tc := range []struct {
		name      string
		rate      float64
		batchSize int
		interval  time.Duration
		sim       int // readings of a simulated mill instead of the AI4I replay
	}{
		{"ai4i-fast", 0, 20_000, 250 * time.Millisecond, 0},
		{"ai4i-1000-a-second", 1000, 20_000, 250 * time.Millisecond, 0},
		{"sim-100000-fast", 0, 50_000, 250 * time.Millisecond, 100_000},
	} {
		b.Run(tc.name, func(b *testing.B) { benchReplay(b, tc.rate, tc.batchSize, tc.interval, tc.sim) })
	}
}

func benchReplay(b *testing.B, rate float64, batchSize int, interval time.Duration, sim int) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	b.StopTimer()
	for range b.N {
		n := startDataNet(ctx, b)
		buf, err := buffer.Open(filepath.Join(b.TempDir(), "buffer.db"))
		require.NoError(b, err)
		csv, err := os.Open("../datasets/ai4i2020/ai4i2020.csv")
		require.NoError(b, err)
		var replay edge.Source = &edge.AI4I{CSV: csv, Device: "ai4i", Stream: "mill", Start: time.Unix(1_700_000_000, 0), Tick: time.Second, Rate: rate}
		if sim > 0 {
			replay = &edge.Sim{Device: "ai4i", Stream: "mill", Seed: 1, Start: time.Unix(1_700_000_000, 0), Tick: time.Millisecond, Rate: rate, Count: sim}
		}
		src := &timedSource{Source: replay}
		anch := &timedAnchorer{Anchorer: n.anchorer(), anchored: map[uint64]time.Time{}}
		g := &edge.Gateway{Buffer: buf, Store: store.Folder{Dir: filepath.Join(b.TempDir(), "objects")}, Anchorer: anch,
			Devices: map[string]reading.Signer{"ai4i": n.device}, Location: func(name string) string { return "http://gw/" + name }, BatchSize: batchSize}
		b.StartTimer()
		start := time.Now()
		require.NoError(b, g.Run(ctx, src, interval))
		elapsed := time.Since(start)
		b.StopTimer()
		csv.Close()
		buf.Close()

		// Latency of each record: its batch's commit time less its sending.
		var ends []uint64
		for seq := range anch.anchored {
			ends = append(ends, seq)
		}
		slices.Sort(ends)
		var lat []time.Duration
		for i, sent := range src.sent {
			seq := uint64(i + 1)
			j, _ := slices.BinarySearch(ends, seq)
			lat = append(lat, anch.anchored[ends[j]].Sub(sent))
		}
		slices.Sort(lat)
		b.StartTimer()
		b.ReportMetric(float64(len(src.sent))/elapsed.Seconds(), "readings/s")
		b.ReportMetric(float64(len(anch.batches)), "anchors")
		b.ReportMetric(lat[len(lat)/2].Seconds(), "p50-s")
		b.ReportMetric(lat[len(lat)*99/100].Seconds(), "p99-s")
	}
}
