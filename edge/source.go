package edge

import (
	"context"
	"time"

	"github.com/hermetic-chain/hermetic/reading"
)

// Sample is what a source observed of one stream at one time: a reading
// before the gateway numbers, chains and signs it.
type Sample struct {
	Device, Stream string
	Time           time.Time
	Values         []reading.Value // sorted by name
	Quality        uint32          // an OPC UA status code; 0 is Good
}

// A Source observes machines. Run sends what it observes to out, in the
// order of each stream's source time, until ctx ends (it returns
// ctx.Err()), it runs out (nil) or it fails.
type Source interface {
	Run(ctx context.Context, out chan<- Sample) error
}

// send delivers s unless ctx ends first.
func send(ctx context.Context, out chan<- Sample, s Sample) error {
	select {
	case out <- s:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer spaces sends at rate a second (none if rate is 0): it sleeps until
// the n-th send is due.
type pacer struct {
	rate  float64
	start time.Time
}

func (p *pacer) wait(ctx context.Context, n int) error {
	if p.rate <= 0 {
		return nil
	}
	if p.start.IsZero() {
		p.start = time.Now()
	}
	due := p.start.Add(time.Duration(float64(n) / p.rate * float64(time.Second)))
	d := time.Until(due)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Merge is a source that runs every one of sources at once and sends what
// each sends, until all are done (or one fails, which ends the others).
func Merge(sources ...Source) Source { return merged(sources) }

type merged []Source

func (m merged) Run(ctx context.Context, out chan<- Sample) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(m))
	for _, s := range m {
		go func() { errs <- s.Run(ctx, out) }()
	}
	var first error
	for range m {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}
