package reading

import (
	"errors"
	"fmt"
	"time"
)

// Errors of Chain and CheckTime; each names the stream and sequence
// numbers in its message.
var (
	// ErrOtherStream: a record of another device or stream.
	ErrOtherStream = errors.New("reading of another stream")
	// ErrReplay: a sequence number repeated or going backwards.
	ErrReplay = errors.New("reading replayed or out of order")
	// ErrGap: a sequence number skipped.
	ErrGap = errors.New("gap in the readings")
	// ErrBrokenChain: the right sequence number, but not chained to the
	// previous record by its hash (a reordered, edited or forged record).
	ErrBrokenChain = errors.New("reading does not follow the previous record")
	// ErrFuture: a source time too far ahead of the clock.
	ErrFuture = errors.New("reading from the future")
)

// Chain checks that records of one stream follow each other. The zero
// Chain accepts a stream's first record (Seq 1); Resume starts it after a
// known record, as a gateway does after a restart.
type Chain struct {
	device, stream string
	seq            uint64
	last           Digest
}

// Resume makes c expect the record after the one with sequence number seq
// and hash last, of device and stream.
func (c *Chain) Resume(device, stream string, seq uint64, last Digest) {
	c.device, c.stream, c.seq, c.last = device, stream, seq, last
}

// Next returns the sequence number c expects next.
func (c *Chain) Next() uint64 { return c.seq + 1 }

// Last returns the hash of the last record c accepted (zero before any).
func (c *Chain) Last() Digest { return c.last }

// Add accepts r, read from record, if it is the stream's next reading,
// and says why not otherwise (c is then unchanged).
func (c *Chain) Add(r Reading, record []byte) error {
	if c.seq > 0 && (r.Device != c.device || r.Stream != c.stream) {
		return fmt.Errorf("%w: %s/%s reading %d in %s/%s", ErrOtherStream, r.Device, r.Stream, r.Seq, c.device, c.stream)
	}
	switch next := c.seq + 1; {
	case r.Seq < next:
		return fmt.Errorf("%w: %s/%s reading %d after %d", ErrReplay, r.Device, r.Stream, r.Seq, c.seq)
	case r.Seq > next:
		return fmt.Errorf("%w: %s/%s reading %d after %d (%d missing)", ErrGap, r.Device, r.Stream, r.Seq, c.seq, r.Seq-next)
	case r.Prev != c.last:
		return fmt.Errorf("%w: %s/%s reading %d names previous record %x, not %x", ErrBrokenChain, r.Device, r.Stream, r.Seq, r.Prev[:8], c.last[:8])
	}
	c.device, c.stream, c.seq, c.last = r.Device, r.Stream, r.Seq, Hash(record)
	return nil
}

// CheckTime refuses a reading whose source time is more than skew after
// now.
func CheckTime(r Reading, now time.Time, skew time.Duration) error {
	if t := time.Unix(0, r.Time); t.After(now.Add(skew)) {
		return fmt.Errorf("%w: %s/%s reading %d at %s, %s ahead of the clock", ErrFuture, r.Device, r.Stream, r.Seq,
			t.UTC().Format(time.RFC3339Nano), t.Sub(now).Round(time.Millisecond))
	}
	return nil
}
