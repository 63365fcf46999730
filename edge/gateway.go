package edge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hermetic-chain/hermetic/batch"
	"github.com/hermetic-chain/hermetic/edge/buffer"
	"github.com/hermetic-chain/hermetic/reading"
)

// Anchor is a batch as the registry contract anchors it.
type Anchor struct {
	Stream              string
	Batch               uint64
	Root                []byte
	FirstSeq, LastSeq   uint64
	FirstTime, LastTime int64 // source times, Unix nanoseconds
	Location            string
	ObjectSHA256        []byte
	Key                 []byte // the batch key, handed to the contract encrypted
}

// Anchorer puts anchors on chain and reads back a stream's last one.
type Anchorer interface {
	// Anchor anchors a and returns once it is committed.
	Anchor(ctx context.Context, a Anchor) error
	// Last returns the stream's last anchored batch number and sequence
	// number (zero, zero before its first).
	Last(ctx context.Context, stream string) (batch, seq uint64, err error)
}

// ObjectStore keeps batch objects (edge/store).
type ObjectStore interface {
	Put(ctx context.Context, object []byte) (string, error)
}

// Gateway turns samples into records — numbered, chained, signed with
// their device's key — keeps them in its buffer until they are anchored,
// and anchors them in batches: each batch's records are sealed under a new
// key into an object in the store, and the batch's tree root, the object's
// hash and location and the key go to the registry.
type Gateway struct {
	Buffer   *buffer.Buffer
	Store    ObjectStore
	Anchorer Anchorer
	// Devices are the signers of the devices the gateway reads, by device
	// name.
	Devices map[string]reading.Signer
	// Location makes an object's location (a URL) from its name.
	Location func(name string) string
	// BatchSize bounds a batch's records.
	BatchSize int
	Log       *slog.Logger
	// Metrics, if set, count what the gateway does.
	Metrics *Metrics
	// MaxSkew is how far ahead of the gateway's clock a sample's source
	// time may be (reading.CheckTime); 0: DefaultMaxSkew.
	MaxSkew time.Duration

	mu         sync.Mutex
	chains     map[string]*reading.Chain // by stream
	reconciled map[string]uint64         // stream → next batch number, once reconciled with the chain
	acks       chan buffer.Ack
	ackErr     error
	ackDone    chan struct{}
}

// ErrUnknownDevice: a sample of a device the gateway has no key for.
var ErrUnknownDevice = errors.New("edge: no key for the device")

// DefaultMaxSkew is Gateway.MaxSkew's default.
const DefaultMaxSkew = 5 * time.Minute

// refused says whether err refuses one sample only (the gateway logs it
// and goes on) rather than stopping the gateway.
func refused(err error) bool {
	return errors.Is(err, ErrUnknownDevice) || errors.Is(err, reading.ErrFuture) || errors.Is(err, reading.ErrInvalid)
}

// Ingest numbers, chains and signs a sample and hands it to the buffer.
// A stream's samples must come in order; a stream is taken to be its
// device's alone.
func (g *Gateway) Ingest(ctx context.Context, s Sample) error {
	if g.Metrics != nil {
		g.Metrics.In.WithLabelValues(s.Stream).Inc()
	}
	signer, ok := g.Devices[s.Device]
	if !ok {
		g.count("ingest")
		return fmt.Errorf("%w: %s (stream %s)", ErrUnknownDevice, s.Device, s.Stream)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.ackErr; err != nil {
		return err
	}
	c, err := g.chain(s.Device, s.Stream)
	if err != nil {
		return err
	}
	r := &reading.Reading{Device: s.Device, Stream: s.Stream, Seq: c.Next(), Time: s.Time.UnixNano(), Values: s.Values, Quality: s.Quality, Prev: c.Last()}
	skew := g.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if err := reading.CheckTime(*r, time.Now(), skew); err != nil {
		g.count("ingest")
		return err
	}
	record, err := reading.Sign(nil, signer, r)
	if err != nil {
		g.count("ingest")
		return err
	}
	ack, err := g.Buffer.Enqueue(ctx, s.Stream, r.Seq, record)
	if err != nil {
		return err
	}
	if err := c.Add(*r, record); err != nil {
		return err
	}
	if g.Metrics != nil {
		g.Metrics.Signed.WithLabelValues(s.Stream).Inc()
	}
	g.startAcks()
	g.acks <- ack
	return nil
}

// chain is the stream's chain, resumed from the buffer's tip the first
// time.
func (g *Gateway) chain(device, stream string) (*reading.Chain, error) {
	if c, ok := g.chains[stream]; ok {
		return c, nil
	}
	seq, hash, err := g.Buffer.Tip(stream)
	if err != nil {
		return nil, err
	}
	c := &reading.Chain{}
	if seq > 0 {
		c.Resume(device, stream, seq, hash)
	}
	if g.chains == nil {
		g.chains = map[string]*reading.Chain{}
	}
	g.chains[stream] = c
	return c, nil
}

// startAcks starts the goroutine that waits for the buffer's
// acknowledgements, in order; the first failure stops ingestion.
func (g *Gateway) startAcks() {
	if g.acks != nil {
		return
	}
	acks, done := make(chan buffer.Ack, buffer.MaxGroup), make(chan struct{})
	g.acks, g.ackDone = acks, done
	go func() {
		defer close(done)
		for a := range acks {
			if err := a.Wait(context.Background()); err != nil {
				g.count("buffer")
				g.mu.Lock()
				if g.ackErr == nil {
					g.ackErr = fmt.Errorf("edge: buffer: %w", err)
				}
				g.mu.Unlock()
				continue
			}
			if g.Metrics != nil {
				g.Metrics.Buffered.Inc()
			}
		}
	}()
}

// Sync waits until every record ingested so far is on disk.
func (g *Gateway) Sync() error {
	g.mu.Lock()
	acks, done := g.acks, g.ackDone
	g.acks = nil
	g.mu.Unlock()
	if acks != nil {
		close(acks)
		<-done
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.ackErr
}

// AnchorPending anchors the stream's buffered records in batches of at
// most BatchSize until none is left, and returns how many it anchored.
func (g *Gateway) AnchorPending(ctx context.Context, stream string) (int, error) {
	next, err := g.reconcile(ctx, stream)
	if err != nil {
		return 0, err
	}
	total := 0
	for {
		first, records, err := g.Buffer.Pending(stream, g.BatchSize)
		if err != nil || len(records) == 0 {
			return total, err
		}
		a, err := g.seal(ctx, stream, next, first, records)
		if err != nil {
			return total, err
		}
		if err := g.Anchorer.Anchor(ctx, a); err != nil {
			// Committed or not? The chain says; the next call reconciles.
			g.forget(stream)
			return total, fmt.Errorf("anchor %s batch %d (records %d to %d): %w", stream, a.Batch, a.FirstSeq, a.LastSeq, err)
		}
		if err := g.Buffer.SetAnchored(stream, a.LastSeq); err != nil {
			return total, err
		}
		g.log().Info("anchored", "stream", stream, "batch", a.Batch, "records", len(records), "first", a.FirstSeq, "last", a.LastSeq)
		if m := g.Metrics; m != nil {
			m.Anchored.WithLabelValues(stream).Add(float64(len(records)))
			m.Batches.WithLabelValues(stream).Inc()
			m.Lag.WithLabelValues(stream).Set(time.Since(time.Unix(0, a.LastTime)).Seconds())
		}
		total += len(records)
		next++
		g.mu.Lock()
		g.reconciled[stream] = next
		g.mu.Unlock()
	}
}

// reconcile returns the stream's next batch number, asking the chain the
// first time (and after a failed anchor): records the chain has anchored
// but the buffer has not marked — the gateway stopped between the two —
// are marked now, so that no record is anchored twice.
func (g *Gateway) reconcile(ctx context.Context, stream string) (uint64, error) {
	g.mu.Lock()
	next, ok := g.reconciled[stream]
	g.mu.Unlock()
	if ok {
		return next, nil
	}
	last, seq, err := g.Anchorer.Last(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("reconcile %s with the chain: %w", stream, err)
	}
	marked, err := g.Buffer.Anchored(stream)
	if err != nil {
		return 0, err
	}
	if seq > marked {
		if err := g.Buffer.SetAnchored(stream, seq); err != nil {
			return 0, fmt.Errorf("reconcile %s: the chain has anchored up to %d: %w", stream, seq, err)
		}
		g.log().Info("reconciled with the chain", "stream", stream, "anchored", seq, "buffer had", marked)
	}
	g.mu.Lock()
	if g.reconciled == nil {
		g.reconciled = map[string]uint64{}
	}
	g.reconciled[stream] = last + 1
	g.mu.Unlock()
	return last + 1, nil
}

func (g *Gateway) forget(stream string) {
	g.mu.Lock()
	delete(g.reconciled, stream)
	g.mu.Unlock()
}

// seal makes batch number n of the stream's records from first on: its
// tree, its object sealed under a new key and put in the store.
func (g *Gateway) seal(ctx context.Context, stream string, n, first uint64, records [][]byte) (Anchor, error) {
	tree, err := batch.New(records)
	if err != nil {
		return Anchor{}, err
	}
	firstR, _, err := reading.Inspect(records[0])
	if err != nil {
		return Anchor{}, fmt.Errorf("%s record %d in the buffer: %w", stream, first, err)
	}
	lastR, _, err := reading.Inspect(records[len(records)-1])
	if err != nil {
		return Anchor{}, fmt.Errorf("%s record %d in the buffer: %w", stream, first+uint64(len(records))-1, err)
	}
	key, err := batch.NewKey(nil)
	if err != nil {
		return Anchor{}, err
	}
	obj, err := batch.Seal(key, &batch.Contents{Stream: stream, Batch: n, First: first, Records: records})
	if err != nil {
		return Anchor{}, err
	}
	name, err := g.Store.Put(ctx, obj)
	if err != nil {
		return Anchor{}, fmt.Errorf("store %s batch %d: %w", stream, n, err)
	}
	sum := reading.Hash(obj)
	return Anchor{Stream: stream, Batch: n, Root: tree.Root(), FirstSeq: first, LastSeq: first + uint64(len(records)) - 1,
		FirstTime: firstR.Time, LastTime: lastR.Time, Location: g.Location(name), ObjectSHA256: sum[:], Key: key}, nil
}

// Run reads src until it ends or ctx is done, ingesting every sample,
// while another goroutine anchors what is on disk every interval; at the
// source's end it anchors until nothing is left. Ingestion never waits for
// a block: an anchor covers whatever was buffered since the last one (up to
// BatchSize records a batch).
func (g *Gateway) Run(ctx context.Context, src Source, interval time.Duration) error {
	samples := make(chan Sample, 1024)
	srcErr := make(chan error, 1)
	go func() { srcErr <- src.Run(ctx, samples); close(samples) }()

	var mu sync.Mutex
	streams := map[string]bool{}
	list := func() []string {
		mu.Lock()
		defer mu.Unlock()
		out := make([]string, 0, len(streams))
		for s := range streams {
			out = append(out, s)
		}
		return out
	}
	anchorAll := func(ctx context.Context) {
		for _, s := range list() {
			if _, err := g.AnchorPending(ctx, s); err != nil && ctx.Err() == nil {
				g.count("anchor")
				g.log().Warn("anchoring failed; retrying at the next interval", "stream", s, "err", err)
			}
		}
	}
	actx, stopAnchoring := context.WithCancel(ctx)
	anchoring := make(chan struct{})
	go func() {
		defer close(anchoring)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				anchorAll(actx)
			case <-actx.Done():
				return
			}
		}
	}()
	stop := func() {
		stopAnchoring()
		<-anchoring
	}
	for {
		select {
		case s, ok := <-samples:
			if !ok {
				stop()
				if err := <-srcErr; err != nil && !errors.Is(err, context.Canceled) {
					return err
				}
				if err := g.Sync(); err != nil {
					return err
				}
				return g.drain(ctx, list(), func() { anchorAll(ctx) }, interval)
			}
			mu.Lock()
			streams[s.Stream] = true
			mu.Unlock()
			if err := g.Ingest(ctx, s); refused(err) {
				g.log().Warn("sample refused", "device", s.Device, "stream", s.Stream, "err", err)
			} else if err != nil {
				stop()
				return err
			}
		case <-ctx.Done():
			stop()
			return ctx.Err()
		}
	}
}

// drain anchors until nothing of streams is left in the buffer, retrying
// every interval while the chain is away, or until ctx is done.
func (g *Gateway) drain(ctx context.Context, streams []string, anchorAll func(), interval time.Duration) error {
	for {
		anchorAll()
		left := 0
		for _, s := range streams {
			_, recs, err := g.Buffer.Pending(s, 1)
			if err != nil {
				return err
			}
			left += len(recs)
		}
		if left == 0 {
			return nil
		}
		select {
		case <-time.After(interval):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// count counts a failure of what.
func (g *Gateway) count(what string) {
	if g.Metrics != nil {
		g.Metrics.Errors.WithLabelValues(what).Inc()
	}
}

func (g *Gateway) log() *slog.Logger {
	if g.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Log
}
