package loadgen

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestResult checks what a run reports from what it submitted and saw
// committed: throughput over first submission to last commit, latency
// percentiles, blocks, and an error when something failed or never
// committed.
func TestResult(t *testing.T) {
	start := time.Unix(1000, 0)
	w := newWatcher(nil)
	submit := map[string]time.Time{}
	for i := range 100 {
		h := fmt.Sprint(i)
		submit[h] = start
		w.seen[h] = start.Add(time.Duration(i+1) * 10 * time.Millisecond) // 10 ms .. 1 s
	}
	w.blocks[5], w.blocks[6], w.blocks[7] = 60, 40, 0
	r, err := w.result(submit, 100, 3, start)
	require.NoError(t, err)
	require.Equal(t, 100, r.Committed)
	require.Equal(t, 3, r.Rejected)
	require.Equal(t, time.Second, r.Duration)
	require.InDelta(t, 100.0, r.TPS, 1e-9)
	require.Equal(t, 510*time.Millisecond, r.LatencyP50)
	require.Equal(t, 910*time.Millisecond, r.LatencyP90)
	require.Equal(t, 1000*time.Millisecond, r.LatencyP99)
	require.Equal(t, 2, r.Blocks)
	require.Equal(t, 60, r.MaxPerBlk)

	// Committed but failed: not counted in the throughput, and an error.
	w.failed["0"], w.failed["1"] = true, true
	r, err = w.result(submit, 100, 3, start)
	require.ErrorIs(t, err, ErrFailed)
	require.Equal(t, 100, r.Committed)
	require.Equal(t, 2, r.Failed)
	require.InDelta(t, 98.0, r.TPS, 1e-9)
	clear(w.failed)

	submit["lost"] = start
	_, err = w.result(submit, 101, 3, start)
	require.ErrorIs(t, err, ErrIncomplete)
}
