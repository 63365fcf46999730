package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

// TestQueryWaitsForABusyNode: a query the node answers 503 with
// Retry-After is asked again after that wait, up to QueryRetries times;
// then the 503 is the answer.
func TestQueryWaitsForABusyNode(t *testing.T) {
	var busyFor, asked atomic.Int64
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if asked.Add(1) <= busyFor.Load() {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"node busy: the time for contract queries is used up"}`))
			return
		}
		_, _ = w.Write([]byte(`{"data":"b2s="}`))
	}))
	defer node.Close()
	c := New(node.URL)

	busyFor.Store(1)
	out, err := c.Query(context.Background(), keys.ContractAddress{1}, []byte(`{}`), true)
	require.NoError(t, err)
	require.Equal(t, "ok", string(out))
	require.Equal(t, int64(2), asked.Load())

	asked.Store(0)
	busyFor.Store(QueryRetries + 1)
	_, err = c.Query(context.Background(), keys.ContractAddress{1}, []byte(`{}`), true)
	var busy *APIError
	require.ErrorAs(t, err, &busy)
	require.Equal(t, http.StatusServiceUnavailable, busy.Status)
	require.Equal(t, int64(QueryRetries+1), asked.Load())
}
