package client

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/api"
)

// TestWaitTxReportsPending: WaitTx returns a transaction's result once the
// node knows it, and otherwise, when its context ends, says the
// transaction is pending and names its hash — not that it failed.
func TestWaitTxReportsPending(t *testing.T) {
	var after atomic.Int64 // the node knows the transaction from this lookup on; 0: never
	var lookups atomic.Int64
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n := lookups.Add(1); after.Load() == 0 || n < after.Load() {
			http.Error(w, `{"error":"transaction not found"}`, http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"hash":"AB","height":9,"code":0}`)
	}))
	defer node.Close()
	c := New(node.URL)

	after.Store(3)
	res, err := c.WaitTx(context.Background(), "AB")
	require.NoError(t, err)
	require.Equal(t, api.TxResult{Hash: "AB", Height: 9}, res)

	after.Store(0)
	ctx, cancel := context.WithTimeout(context.Background(), 600*time.Millisecond)
	defer cancel()
	res, err = c.WaitTx(ctx, "AB")
	require.ErrorIs(t, err, ErrPending)
	require.Contains(t, err.Error(), "hermeticd query tx AB")
	require.True(t, res.Pending)
	require.Equal(t, "AB", res.Hash)
}
