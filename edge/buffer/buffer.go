// Package buffer is the gateway's write-ahead buffer: every signed record,
// kept durably (fsync) from the moment it is signed until it is anchored,
// so that a gateway killed at any point loses nothing it acknowledged and
// anchors every record exactly once after it restarts. It is a bbolt file;
// appends that arrive together are committed together (group commit: one
// fsync for all of them).
package buffer

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/hermetic-chain/hermetic/reading"
)

// Errors of this package.
var (
	// ErrOutOfOrder: an append that is not its stream's next sequence
	// number.
	ErrOutOfOrder = errors.New("buffer: record out of order")
	// ErrClosed: the buffer is closed.
	ErrClosed = errors.New("buffer: closed")
)

// MaxGroup bounds the appends one commit takes.
const MaxGroup = 4096

var (
	bucketStreams = []byte("streams")
	bucketRecords = []byte("records")
	keyTipSeq     = []byte("tip_seq")
	keyTipHash    = []byte("tip_hash")
	keyAnchored   = []byte("anchored")
)

// Buffer is an open write-ahead buffer.
type Buffer struct {
	db      *bolt.DB
	reqs    chan *appendReq
	done    chan struct{} // closed by Close
	stopped chan struct{} // closed when the writer has answered every queued append
	close   sync.Once
}

type appendReq struct {
	stream string
	seq    uint64
	record []byte
	err    chan error
}

// Open opens (or creates) the buffer at path.
func Open(path string) (*Buffer, error) {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return nil, fmt.Errorf("open buffer %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketStreams)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open buffer %s: %w", path, err)
	}
	b := &Buffer{db: db, reqs: make(chan *appendReq, MaxGroup), done: make(chan struct{}), stopped: make(chan struct{})}
	go b.writer()
	return b, nil
}

// Close stops the buffer; appends waiting are refused with ErrClosed.
func (b *Buffer) Close() error {
	b.close.Do(func() { close(b.done) })
	<-b.stopped
	return b.db.Close()
}

// Append stores record as the stream's record seq and returns once it is
// on disk. seq must follow the stream's last record (1 for a new stream),
// or ErrOutOfOrder.
func (b *Buffer) Append(ctx context.Context, stream string, seq uint64, record []byte) error {
	ack, err := b.Enqueue(ctx, stream, seq, record)
	if err != nil {
		return err
	}
	return ack.Wait(ctx)
}

// Enqueue hands record to the writer and returns at once with an Ack that
// says when it is on disk: a gateway keeps many records of a stream in
// flight, in order, and the writer commits them together. Appends are
// taken in the order Enqueue is called.
func (b *Buffer) Enqueue(ctx context.Context, stream string, seq uint64, record []byte) (Ack, error) {
	req := &appendReq{stream: stream, seq: seq, record: record, err: make(chan error, 1)}
	select {
	case <-b.done:
		return Ack{}, ErrClosed
	default:
	}
	select {
	case b.reqs <- req:
		return Ack{req: req, stopped: b.stopped}, nil
	case <-b.done:
		return Ack{}, ErrClosed
	case <-ctx.Done():
		return Ack{}, ctx.Err()
	}
}

// Ack is an enqueued append.
type Ack struct {
	req     *appendReq
	stopped chan struct{}
}

// Wait returns once the append is on disk (nil) or refused.
func (a Ack) Wait(ctx context.Context) error {
	select {
	case err := <-a.req.err:
		return err
	case <-a.stopped:
		// Queued after the writer's last look: never written.
		select {
		case err := <-a.req.err:
			return err
		default:
			return ErrClosed
		}
	case <-ctx.Done():
		// Written or not, the caller stops waiting; Tip tells after.
		return ctx.Err()
	}
}

// writer commits the appends that queue up while the last commit runs, in
// one transaction each time.
func (b *Buffer) writer() {
	defer close(b.stopped)
	group := make([]*appendReq, 0, MaxGroup)
	for {
		select {
		case <-b.done:
			b.refuseQueued()
			return
		case req := <-b.reqs:
			group = append(group[:0], req)
		}
	fill:
		for len(group) < MaxGroup {
			select {
			case req := <-b.reqs:
				group = append(group, req)
			default:
				break fill
			}
		}
		b.commit(group)
	}
}

func (b *Buffer) refuseQueued() {
	for {
		select {
		case req := <-b.reqs:
			req.err <- ErrClosed
		default:
			return
		}
	}
}

// commit writes a group in one transaction: each append is checked
// against its stream's tip as the group goes, so a bad one fails alone.
func (b *Buffer) commit(group []*appendReq) {
	errs := make([]error, len(group))
	err := b.db.Update(func(tx *bolt.Tx) error {
		streams := tx.Bucket(bucketStreams)
		for i, req := range group {
			errs[i] = appendTx(streams, req)
		}
		return nil
	})
	for i, req := range group {
		if err != nil {
			errs[i] = fmt.Errorf("buffer: commit: %w", err)
		}
		req.err <- errs[i]
	}
}

func appendTx(streams *bolt.Bucket, req *appendReq) error {
	var tip uint64
	if sb := streams.Bucket([]byte(req.stream)); sb != nil {
		tip = u64(sb.Get(keyTipSeq))
	}
	if req.seq != tip+1 {
		return fmt.Errorf("%w: %s record %d after %d", ErrOutOfOrder, req.stream, req.seq, tip)
	}
	sb, err := streams.CreateBucketIfNotExists([]byte(req.stream))
	if err != nil {
		return fmt.Errorf("buffer: stream %s: %w", req.stream, err)
	}
	recs, err := sb.CreateBucketIfNotExists(bucketRecords)
	if err != nil {
		return err
	}
	if err := recs.Put(be(req.seq), req.record); err != nil {
		return err
	}
	h := reading.Hash(req.record)
	if err := sb.Put(keyTipHash, h[:]); err != nil {
		return err
	}
	return sb.Put(keyTipSeq, be(req.seq))
}

// Tip is the stream's last record: its sequence number (0 if none) and
// hash, from which a restarted gateway resumes the stream's chain.
func (b *Buffer) Tip(stream string) (seq uint64, hash reading.Digest, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bucketStreams).Bucket([]byte(stream))
		if sb == nil {
			return nil
		}
		seq = u64(sb.Get(keyTipSeq))
		copy(hash[:], sb.Get(keyTipHash))
		return nil
	})
	return seq, hash, err
}

// Anchored is the last sequence number of the stream known anchored.
func (b *Buffer) Anchored(stream string) (uint64, error) {
	var n uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		if sb := tx.Bucket(bucketStreams).Bucket([]byte(stream)); sb != nil {
			n = u64(sb.Get(keyAnchored))
		}
		return nil
	})
	return n, err
}

// SetAnchored records that the stream's records up to seq are anchored,
// and drops them. It never moves backwards.
func (b *Buffer) SetAnchored(stream string, seq uint64) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bucketStreams).Bucket([]byte(stream))
		if sb == nil {
			return fmt.Errorf("buffer: no stream %s", stream)
		}
		if tip := u64(sb.Get(keyTipSeq)); seq > tip {
			return fmt.Errorf("buffer: %s anchored up to %d, but the buffer ends at %d", stream, seq, tip)
		}
		if seq <= u64(sb.Get(keyAnchored)) {
			return nil
		}
		if recs := sb.Bucket(bucketRecords); recs != nil {
			c := recs.Cursor()
			for k, _ := c.First(); k != nil && u64(k) <= seq; k, _ = c.Next() {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return sb.Put(keyAnchored, be(seq))
	})
}

// Pending returns up to max of the stream's records after its last
// anchored one, in order, with the sequence number of the first.
func (b *Buffer) Pending(stream string, max int) (first uint64, records [][]byte, err error) {
	err = b.db.View(func(tx *bolt.Tx) error {
		sb := tx.Bucket(bucketStreams).Bucket([]byte(stream))
		if sb == nil || sb.Bucket(bucketRecords) == nil {
			return nil
		}
		first = u64(sb.Get(keyAnchored)) + 1
		c := sb.Bucket(bucketRecords).Cursor()
		for k, v := c.Seek(be(first)); k != nil && len(records) < max; k, v = c.Next() {
			records = append(records, append([]byte(nil), v...))
		}
		return nil
	})
	return first, records, err
}

// Streams lists the streams the buffer has seen, sorted.
func (b *Buffer) Streams() ([]string, error) {
	var out []string
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketStreams).ForEach(func(k, _ []byte) error {
			out = append(out, string(k))
			return nil
		})
	})
	return out, err
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
