package api

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestQueryBudget: queries are admitted while the budget lasts; the time
// they took is taken out afterwards, into debt if need be (at most a
// deadline per query), and a query is then refused until it has refilled.
func TestQueryBudget(t *testing.T) {
	b := newQueryBudget(100*time.Millisecond, time.Second) // 0.1 s of queries per second, 1 s deadline
	now := time.Unix(1_700_000_000, 0)
	require.NoError(t, b.admit(now))
	b.charge(now, 0)
	require.NoError(t, b.admit(now), "a query that took no time costs nothing")
	b.charge(now, time.Second)
	b.charge(now, time.Hour) // counted as one deadline at most
	err := b.admit(now)
	require.ErrorIs(t, err, ErrQueryBudget)
	require.Contains(t, err.Error(), "try again in 10s")
	require.Error(t, b.admit(now.Add(9*time.Second)))
	require.NoError(t, b.admit(now.Add(11*time.Second)), "refilled at 0.1 s per second")
}
