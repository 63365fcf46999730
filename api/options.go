package api

import (
	"runtime"
	"time"

	"github.com/hermetic-chain/hermetic/tx"
)

// Body limits of the JSON routes. A larger body is refused with 413.
const (
	// MaxBroadcastBody bounds POST /hermetic/v1/txs: the base64 of the
	// largest transaction (tx.MaxTxBytes) and room for the JSON around it.
	MaxBroadcastBody = (tx.MaxTxBytes+2)/3*4 + 64<<10
	// MaxQueryBody bounds POST /hermetic/v1/contracts/{address}/query.
	MaxQueryBody = 1 << 20
)

// Defaults of Options.
const (
	// DefaultCommitTimeout bounds how long a broadcast in "commit" mode
	// waits for its block.
	DefaultCommitTimeout = 30 * time.Second
	// DefaultQueryTimeout bounds a contract query's run.
	DefaultQueryTimeout = 2 * time.Second
	// DefaultQueryWait is how long a contract query waits for a free slot
	// before it is refused with 503.
	DefaultQueryWait = 50 * time.Millisecond
	// DefaultQueryTimePerCPU is the default query time per second per CPU:
	// an eighth of the machine (a permit query of the token takes about a
	// millisecond, so some 125 per second per CPU).
	DefaultQueryTimePerCPU = 125 * time.Millisecond
	// DefaultBroadcastBytes is the default of Options.BroadcastBytes.
	DefaultBroadcastBytes = 64 << 20
	// SmallBroadcastBody is the largest broadcast body that
	// Options.BroadcastBytes does not count: a thousand connections (the
	// API's cap) of such bodies hold 64 MiB at most, and an honest
	// transaction — a transfer, a contract call — is far below it, so no
	// flood of large bodies can keep it out.
	SmallBroadcastBody = 64 << 10
)

// Options tune the API's limits. The zero value of a field takes its
// default (see WithDefaults).
type Options struct {
	// CommitTimeout bounds how long a broadcast in "commit" mode waits for
	// the transaction's block before it answers 504.
	CommitTimeout time.Duration
	// MaxConcurrentQueries is how many contract queries run at once;
	// default half the CPUs, at least one. Contract queries are the API's
	// only CPU-heavy work; bounding them to half the cores leaves the
	// other half to consensus whatever strangers ask.
	MaxConcurrentQueries int
	// QueryWait is how long a contract query waits for a free slot when
	// MaxConcurrentQueries run already; after it, the query is refused
	// with 503 and a Retry-After header. Queries never queue longer.
	QueryWait time.Duration
	// QueryTimeout bounds a contract query's run: its context's deadline.
	// A query past it is answered 504.
	QueryTimeout time.Duration
	// QueryTimePerSecond bounds the time all contract queries together
	// take per second of the clock; a query after it is used up is refused
	// with 503 and Retry-After. Default an eighth of the CPUs
	// (DefaultQueryTimePerCPU each). Slots bound how many queries run at
	// once; this bounds how much of the machine they take over time, which
	// is what keeps looping queries from slowing blocks down.
	QueryTimePerSecond time.Duration
	// BroadcastBytes bounds the bytes of broadcast bodies larger than
	// SmallBroadcastBody being read and handled at once, by their
	// announced length (MaxBroadcastBody when none is announced); a
	// broadcast that would go beyond it is refused at once with 503 and
	// Retry-After. Default DefaultBroadcastBytes: without it, the API's
	// thousand connections could hold about 3 GB of 2.86 MB bodies.
	BroadcastBytes int64
}

// WithDefaults returns o with every zero field set to its default.
func (o Options) WithDefaults() Options {
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = DefaultCommitTimeout
	}
	if o.MaxConcurrentQueries <= 0 {
		o.MaxConcurrentQueries = max(1, runtime.NumCPU()/2)
	}
	if o.QueryWait <= 0 {
		o.QueryWait = DefaultQueryWait
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = DefaultQueryTimeout
	}
	if o.QueryTimePerSecond <= 0 {
		o.QueryTimePerSecond = DefaultQueryTimePerCPU * time.Duration(runtime.NumCPU())
	}
	if o.BroadcastBytes <= 0 {
		o.BroadcastBytes = DefaultBroadcastBytes
	}
	return o
}

// HandlerTimeout is the longest a handler may take once a request's body
// has arrived: the commit wait of a broadcast or a contract query's run,
// whichever is longer. An HTTP server's write timeout must exceed the time
// to read the body plus this, or answers are cut off.
func (o Options) HandlerTimeout() time.Duration {
	o = o.WithDefaults()
	return max(o.CommitTimeout, o.QueryWait+o.QueryTimeout)
}
