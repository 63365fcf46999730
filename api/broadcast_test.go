package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// indexConsensus accepts every broadcast and finds a transaction in its
// index from the found-th lookup on (never if found is 0), or, with late,
// only in a lookup that has more than a second left (the last look the
// API takes after its wait).
type indexConsensus struct {
	fakeConsensus
	found   int64
	late    bool
	lookups atomic.Int64
}

func (c *indexConsensus) Tx(ctx context.Context, hash []byte, _ bool) (*ctypes.ResultTx, error) {
	n := c.lookups.Add(1)
	if c.late {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) < time.Second {
			return nil, errors.New("tx not found")
		}
	} else if c.found == 0 || n < c.found {
		return nil, errors.New("tx not found")
	}
	return &ctypes.ResultTx{Hash: hash, Height: 7}, nil
}

// TestBroadcastCommitTellsTheTruth: a commit-mode broadcast answers the
// result once the transaction is in a block, also when the block comes
// with the end of the wait; otherwise it answers 202 "pending" with the
// hash, never that the transaction was lost.
func TestBroadcastCommitTellsTheTruth(t *testing.T) {
	body := `{"tx":"` + base64.StdEncoding.EncodeToString([]byte("a transaction")) + `","mode":"commit"}`
	hash := fmt.Sprintf("%X", types.Tx("a transaction").Hash())
	cases := []struct {
		name    string
		found   int64
		late    bool
		status  int
		pending bool
	}{
		{"committed while waiting", 2, false, http.StatusOK, false},
		{"committed with the deadline", 0, true, http.StatusOK, false},
		{"never committed", 0, false, http.StatusAccepted, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cons := &indexConsensus{found: c.found, late: c.late}
			s := New(echoChain(), cons, slog.New(slog.DiscardHandler), Options{CommitTimeout: 200 * time.Millisecond})
			req := httptest.NewRequest(http.MethodPost, "/hermetic/v1/txs", strings.NewReader(body))
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			require.Equal(t, c.status, rec.Code, rec.Body.String())
			var res TxResult
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &res))
			require.Equal(t, hash, res.Hash)
			require.Equal(t, c.pending, res.Pending)
			if !c.pending {
				require.Equal(t, int64(7), res.Height)
			}
		})
	}
}
