package app

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestQueryBudget: queries are admitted while the budget lasts; what they
// used is taken out afterwards, into debt if need be, and a query is then
// refused with ErrQueryBudget until the budget has refilled.
func TestQueryBudget(t *testing.T) {
	b := newQueryBudget(1_000, 500) // 1,000 gas per second, 500 per query
	require.NoError(t, b.admit())
	b.charge(0)
	require.NoError(t, b.admit(), "a query that used nothing costs nothing")
	b.charge(500)
	b.charge(10_000) // counted as one query's gas at most
	err := b.admit()
	require.ErrorIs(t, err, ErrQueryBudget)
	require.Contains(t, err.Error(), "try again in")
}
