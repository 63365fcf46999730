package api

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// ErrQueryBudget: the contract queries of the last moments used the time
// the node gives queries (Options.QueryShare); the query is refused with
// 503 and Retry-After rather than take time blocks need.
var ErrQueryBudget = errors.New("node busy: the time for contract queries is used up")

// queryBudget is a token bucket of query time, in microseconds: a query is
// admitted while the bucket is not empty, and its running time is taken
// out when it ends (into debt, by at most one deadline per query slot). It
// is golang.org/x/time/rate's Limiter with microseconds for tokens. Wall
// time, not gas: the gas schedule is calibrated so that a unit buys at most
// about a nanosecond (docs/gas.md), so most code runs faster than its gas
// says, and what must be bounded is the time taken from consensus.
type queryBudget struct {
	lim *rate.Limiter
	max time.Duration // the most one query is charged: its deadline
}

func newQueryBudget(perSecond, perQuery time.Duration) *queryBudget {
	us := func(d time.Duration) float64 { return float64(d / time.Microsecond) }
	burst := int(min(us(perQuery), math.MaxInt32))
	return &queryBudget{lim: rate.NewLimiter(rate.Limit(us(perSecond)), burst), max: perQuery}
}

// admit returns nil if a query may start at now, or ErrQueryBudget saying
// how long until it may.
func (b *queryBudget) admit(now time.Time) error {
	if t := b.lim.TokensAt(now); t <= 0 {
		wait := time.Duration((1 - t) / float64(b.lim.Limit()) * float64(time.Second))
		return fmt.Errorf("%w: try again in %s", ErrQueryBudget, wait.Round(time.Millisecond))
	}
	return nil
}

// charge takes a query's running time out of the bucket at now.
func (b *queryBudget) charge(now time.Time, took time.Duration) {
	n := int(min(took, b.max) / time.Microsecond)
	if n > 0 {
		b.lim.ReserveN(now, n)
	}
}

// byteBudget counts bytes in use against a limit; a take that would go
// beyond it fails at once.
type byteBudget struct {
	mu    sync.Mutex
	limit int64
	used  int64
}

func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.limit {
		return false
	}
	b.used += n
	return true
}

func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}
