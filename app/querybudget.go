package app

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"golang.org/x/time/rate"
)

// ErrQueryBudget: the contract queries of the last moments used the gas the
// node gives queries per second; the query is refused (the API answers 503
// with Retry-After) rather than take time consensus needs.
var ErrQueryBudget = errors.New("node busy: the contract queries' gas budget is spent")

// DefaultQueryGasPerSecond is the VM gas all contract queries together may
// use per second, per CPU: 125 M, about an eighth of a core's time (a wasm
// instruction, one VM gas, takes about a nanosecond; docs/gas.md). Queries
// cost their senders nothing, so what they may take is set by the node: a
// validator keeps most of its cores for blocks, a node that serves queries
// and validates nothing raises it.
const DefaultQueryGasPerSecond = 125_000_000

// queryBudget is a token bucket of VM gas: a query is admitted while the
// bucket is not empty, and what it used is taken out afterwards (the bucket
// may go into debt by at most one query's gas per query slot). It is
// golang.org/x/time/rate's Limiter, with gas for tokens.
type queryBudget struct {
	lim      *rate.Limiter
	perQuery uint64
}

func newQueryBudget(perSecond, perQuery uint64) *queryBudget {
	if perSecond == 0 {
		perSecond = DefaultQueryGasPerSecond * uint64(runtime.NumCPU())
	}
	// The bucket holds at most one query's worth, and ReserveN takes at
	// most that much at once.
	burst := min(perQuery, math.MaxInt32)
	return &queryBudget{lim: rate.NewLimiter(rate.Limit(perSecond), int(burst)), perQuery: burst}
}

// admit returns nil if a query may start now, or ErrQueryBudget with how
// long until the bucket is no longer empty.
func (b *queryBudget) admit() error {
	now := time.Now()
	if t := b.lim.TokensAt(now); t <= 0 {
		wait := time.Duration((1 - t) / float64(b.lim.Limit()) * float64(time.Second))
		return fmt.Errorf("%w: try again in %s", ErrQueryBudget, wait.Round(time.Millisecond))
	}
	return nil
}

// charge takes a finished query's gas out of the bucket.
func (b *queryBudget) charge(used uint64) {
	if used == 0 {
		return
	}
	b.lim.ReserveN(time.Now(), int(min(used, b.perQuery)))
}
