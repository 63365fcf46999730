package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/keys"
)

// fakeChain answers contract queries with query; the other methods are
// not used by these tests.
type fakeChain struct {
	Chain
	query func(ctx context.Context, msg []byte, plaintext bool) ([]byte, error)
}

func (c fakeChain) ContractQuery(ctx context.Context, _ keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error) {
	return c.query(ctx, msg, plaintext)
}

// fakeConsensus accepts every broadcast.
type fakeConsensus struct{ Consensus }

func (fakeConsensus) BroadcastTxSync(_ context.Context, t types.Tx) (*ctypes.ResultBroadcastTx, error) {
	return &ctypes.ResultBroadcastTx{Hash: t.Hash()}, nil
}

func echoChain() fakeChain {
	return fakeChain{query: func(_ context.Context, msg []byte, _ bool) ([]byte, error) { return msg, nil }}
}

var contractPath = "/hermetic/v1/contracts/" + keys.ContractAddress{1, 2, 3}.String() + "/query"

func newTestServer(chain Chain, o Options) *Server {
	return New(chain, fakeConsensus{}, slog.New(slog.DiscardHandler), o)
}

// post sends body to path and returns the status, the error text of the
// answer (empty on success) and its headers.
func post(s *Server, path string, body io.Reader, contentLength int64) (int, string, http.Header) {
	req := httptest.NewRequest(http.MethodPost, path, body)
	if contentLength >= 0 {
		req.ContentLength = contentLength
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var e Error
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return rec.Code, e.Error, rec.Header()
}

func queryBody(msg string, plaintext bool) string {
	bz, _ := json.Marshal(ContractQueryRequest{Msg: []byte(msg), Plaintext: plaintext})
	return string(bz)
}

func TestRequestBodies(t *testing.T) {
	goodTx := `{"tx":"` + base64.StdEncoding.EncodeToString([]byte("a transaction")) + `","mode":"sync"}`
	tests := []struct {
		name   string
		path   string
		body   string
		length int64 // the Content-Length sent; -1: the body's, 0: unknown
		status int
		errHas string
	}{
		{"broadcast", "/hermetic/v1/txs", goodTx, -1, http.StatusOK, ""},
		{"broadcast, trailing white space", "/hermetic/v1/txs", goodTx + " \n\t", -1, http.StatusOK, ""},
		{"broadcast, unknown field", "/hermetic/v1/txs", `{"tx":"YQ==","mode":"sync","fee":1}`, -1, http.StatusBadRequest, `unknown field "fee"`},
		{"broadcast, trailing object", "/hermetic/v1/txs", goodTx + `{"tx":"YQ=="}`, -1, http.StatusBadRequest, "data after the JSON value"},
		{"broadcast, trailing garbage", "/hermetic/v1/txs", goodTx + `x`, -1, http.StatusBadRequest, "data after the JSON value"},
		{"broadcast, empty body", "/hermetic/v1/txs", ``, -1, http.StatusBadRequest, "empty body"},
		{"broadcast, malformed", "/hermetic/v1/txs", `{"tx":`, -1, http.StatusBadRequest, "malformed request body"},
		{"broadcast, not an object", "/hermetic/v1/txs", `["YQ=="]`, -1, http.StatusBadRequest, "malformed request body"},
		{"broadcast, empty tx", "/hermetic/v1/txs", `{"tx":"","mode":"sync"}`, -1, http.StatusBadRequest, "no transaction"},
		{"broadcast, oversize streamed", "/hermetic/v1/txs", `{"tx":"` + strings.Repeat("A", MaxBroadcastBody) + `"}`, 0, http.StatusRequestEntityTooLarge, "too large"},
		{"broadcast, oversize announced", "/hermetic/v1/txs", goodTx, MaxBroadcastBody + 1, http.StatusRequestEntityTooLarge, "too large"},
		{"broadcast, oversize after the value", "/hermetic/v1/txs", goodTx + strings.Repeat(" ", MaxBroadcastBody), 0, http.StatusRequestEntityTooLarge, "too large"},
		{"query", contractPath, queryBody(`{"token_info":{}}`, true), -1, http.StatusOK, ""},
		{"query, unknown field", contractPath, `{"msg":"e30=","plaintext":true,"height":5}`, -1, http.StatusBadRequest, `unknown field "height"`},
		{"query, trailing data", contractPath, queryBody(`{}`, true) + `]`, -1, http.StatusBadRequest, "data after the JSON value"},
		{"query, oversize streamed", contractPath, `{"msg":"` + strings.Repeat("A", MaxQueryBody) + `"}`, 0, http.StatusRequestEntityTooLarge, "too large"},
		{"query, oversize announced", contractPath, queryBody(`{}`, true), MaxQueryBody + 1, http.StatusRequestEntityTooLarge, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(echoChain(), Options{})
			length := int64(len(tc.body))
			if tc.length != -1 {
				length = tc.length
			}
			status, msg, _ := post(s, tc.path, strings.NewReader(tc.body), length)
			require.Equal(t, tc.status, status, msg)
			require.Contains(t, msg, tc.errHas)
		})
	}
}

func TestPlaintextQueryCredentials(t *testing.T) {
	const permit = `{"params":{"chain_id":"c","permit_name":"p","allowed_contracts":["*"],"permissions":["balance"],"created":1,"expires":2},"signature":{"pub_key":{"type":"ed25519","value":"AA=="},"signature":"AA=="}}`
	tests := []struct {
		name      string
		msg       string
		plaintext bool
		refused   bool
	}{
		{"public query", `{"token_info":{}}`, true, false},
		{"balance without key", `{"balance":{"address":"herm1x"}}`, true, false},
		{"unit variant", `"token_info"`, true, false},
		{"key deeper down", `{"config":{"filter":{"key":"k"}}}`, true, false},
		{"balance with viewing key", `{"balance":{"address":"herm1x","key":"api_key_1"}}`, true, true},
		{"transfer_history with viewing key", `{"transfer_history":{"address":"herm1x","key":"k","page":0}}`, true, true},
		{"allowance with viewing key", `{"allowance":{"owner":"a","spender":"b","key":"k"}}`, true, true},
		{"access_records with viewing key", `{"access_records":{"address":"a","key":"k"}}`, true, true},
		{"viewing_key field", `{"balance":{"address":"a","viewing_key":"k"}}`, true, true},
		{"key in other case", `{"balance":{"address":"a","KEY":"k"}}`, true, true},
		{"key in a duplicate member", `{"balance":{"address":"a","key":"k"},"balance":{"address":"a"}}`, true, true},
		{"with_permit", `{"with_permit":{"permit":` + permit + `,"query":{"balance":{}}}}`, true, true},
		{"with_permit in other case", `{"With_Permit":{"query":{"balance":{}}}}`, true, true},
		{"permit field", `{"balance":{"permit":` + permit + `}}`, true, true},
		{"not JSON", `{"balance":`, true, true},
		{"encrypted query is not inspected", `{"balance":{"address":"a","key":"k"}}`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ran := false
			chain := fakeChain{query: func(_ context.Context, msg []byte, _ bool) ([]byte, error) { ran = true; return msg, nil }}
			status, msg, _ := post(newTestServer(chain, Options{}), contractPath, strings.NewReader(queryBody(tc.msg, tc.plaintext)), -1)
			if !tc.refused {
				require.Equal(t, http.StatusOK, status, msg)
				require.True(t, ran)
				return
			}
			require.Equal(t, http.StatusBadRequest, status)
			require.False(t, ran, "a refused query must not run")
			if strings.Contains(tc.msg, "key") || strings.Contains(strings.ToLower(tc.msg), "permit") {
				require.Contains(t, msg, "encrypted query")
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name   string
		query  func(ctx context.Context) ([]byte, error)
		status int
		errHas string
	}{
		{"unknown contract", func(context.Context) ([]byte, error) {
			return nil, fmt.Errorf("query: %w", compute.ErrUnknownContract)
		}, http.StatusNotFound, ""},
		{"contract error", func(context.Context) ([]byte, error) {
			return nil, errors.New("contract said no")
		}, http.StatusBadRequest, "contract said no"},
		{"VM stopped at the deadline", func(ctx context.Context) ([]byte, error) {
			<-ctx.Done()
			return nil, fmt.Errorf("run query: %w", ctx.Err())
		}, http.StatusGatewayTimeout, "query timed out"},
		{"out of gas", func(context.Context) ([]byte, error) {
			return nil, fmt.Errorf("%w: the query used all of its gas", app.ErrOutOfGas)
		}, http.StatusBadRequest, "out of gas"},
		{"deadline passed, cause not wrapped", func(ctx context.Context) ([]byte, error) {
			<-ctx.Done()
			return nil, errors.New("module closed")
		}, http.StatusGatewayTimeout, "query timed out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := fakeChain{query: func(ctx context.Context, _ []byte, _ bool) ([]byte, error) {
				dl, ok := ctx.Deadline()
				require.True(t, ok, "a query's context must have a deadline")
				require.WithinDuration(t, time.Now().Add(100*time.Millisecond), dl, 100*time.Millisecond)
				return tc.query(ctx)
			}}
			s := newTestServer(chain, Options{QueryTimeout: 100 * time.Millisecond})
			status, msg, _ := post(s, contractPath, strings.NewReader(queryBody(`{"x":{}}`, true)), -1)
			require.Equal(t, tc.status, status, msg)
			require.Contains(t, msg, tc.errHas)
		})
	}
}

// TestQueryConcurrencyLimit fills the query slots and checks that the next
// query is refused at once with 503 and Retry-After, and runs again once a
// slot is free.
func TestQueryConcurrencyLimit(t *testing.T) {
	const slots = 2
	var (
		started = make(chan struct{}, slots)
		release = make(chan struct{})
	)
	chain := fakeChain{query: func(_ context.Context, msg []byte, _ bool) ([]byte, error) {
		started <- struct{}{}
		<-release
		return msg, nil
	}}
	s := newTestServer(chain, Options{MaxConcurrentQueries: slots, QueryTimeout: time.Minute, QueryWait: 10 * time.Millisecond})
	var wg sync.WaitGroup
	for range slots {
		wg.Go(func() {
			status, msg, _ := post(s, contractPath, strings.NewReader(queryBody(`{}`, true)), -1)
			assert.Equal(t, http.StatusOK, status, msg)
		})
	}
	for range slots {
		<-started
	}
	begin := time.Now()
	status, msg, h := post(s, contractPath, strings.NewReader(queryBody(`{}`, true)), -1)
	require.Equal(t, http.StatusServiceUnavailable, status, msg)
	require.Equal(t, "1", h.Get("Retry-After"))
	require.Contains(t, msg, "node busy")
	require.Less(t, time.Since(begin), 5*time.Second, "an excess query must not queue")

	close(release)
	wg.Wait()
	status, msg, _ = post(s, contractPath, strings.NewReader(queryBody(`{}`, true)), -1)
	require.Equal(t, http.StatusOK, status, msg)
}

func TestOptionsDefaults(t *testing.T) {
	tests := []struct {
		name    string
		in      Options
		handler time.Duration
	}{
		{"zero", Options{}, DefaultCommitTimeout},
		{"long query", Options{CommitTimeout: time.Second, QueryTimeout: 5 * time.Second, QueryWait: time.Second}, 6 * time.Second},
		{"long commit", Options{CommitTimeout: time.Minute}, time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.in.WithDefaults()
			require.Positive(t, o.MaxConcurrentQueries)
			require.Positive(t, o.QueryTimeout)
			require.Equal(t, tc.handler, tc.in.HandlerTimeout())
		})
	}
}

// TestBroadcastBytes: large broadcast bodies being received count against
// Options.BroadcastBytes by their announced length (the largest when none
// is announced); one more is refused at once with 503, while a small
// transaction is never held back by them.
func TestBroadcastBytes(t *testing.T) {
	const large = 1 << 20
	s := newTestServer(echoChain(), Options{BroadcastBytes: 2 * large})
	body := func(n int) string {
		tx := base64.StdEncoding.EncodeToString(make([]byte, n))
		return `{"tx":"` + tx + `","mode":"sync"}`
	}
	big := body(large*3/4 - 64) // just under 1 MiB of JSON
	small := body(300)
	require.Less(t, int64(len(big)), int64(large)+1)

	// Two large bodies arrive slowly and hold the budget.
	var wg sync.WaitGroup
	writers := make([]*io.PipeWriter, 2)
	for i := range writers {
		r, w := io.Pipe()
		writers[i] = w
		wg.Go(func() {
			status, msg, _ := post(s, "/hermetic/v1/txs", r, large)
			assert.Equal(t, http.StatusOK, status, msg)
		})
	}
	require.Eventually(t, func() bool {
		s.broadcastBytes.mu.Lock()
		defer s.broadcastBytes.mu.Unlock()
		return s.broadcastBytes.used == 2*large
	}, 5*time.Second, time.Millisecond)

	status, msg, h := post(s, "/hermetic/v1/txs", strings.NewReader(big), int64(len(big)))
	require.Equal(t, http.StatusServiceUnavailable, status, msg)
	require.Equal(t, "1", h.Get("Retry-After"))
	require.Contains(t, msg, "node busy")
	req := httptest.NewRequest(http.MethodPost, "/hermetic/v1/txs", strings.NewReader(small))
	req.ContentLength = -1 // unannounced (chunked): counted as the largest body
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	require.Equal(t, http.StatusServiceUnavailable, rec.Code, rec.Body.String())
	status, msg, _ = post(s, "/hermetic/v1/txs", strings.NewReader(small), int64(len(small)))
	require.Equal(t, http.StatusOK, status, msg)

	// Once they have arrived, the budget is free again.
	pad := big + strings.Repeat(" ", large-len(big))
	for _, w := range writers {
		_, err := io.WriteString(w, pad)
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	wg.Wait()
	status, msg, _ = post(s, "/hermetic/v1/txs", strings.NewReader(big), int64(len(big)))
	require.Equal(t, http.StatusOK, status, msg)
}
