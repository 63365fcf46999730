package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/internal/hostile"
)

// queryOutcomes counts how a node answered the attacker's queries.
type queryOutcomes struct {
	mu         sync.Mutex
	byKind     map[string]int
	noRetry    int           // 503 answers without Retry-After
	unexpected []string      // answers that are none of the allowed errors
	longest    time.Duration // the slowest answer
}

func (q *queryOutcomes) add(kind string, took time.Duration, detail string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.byKind[kind]++
	q.longest = max(q.longest, took)
	if kind == "unexpected" && len(q.unexpected) < 5 {
		q.unexpected = append(q.unexpected, detail)
	}
}

// spinQuery sends one plaintext query to the spinning contract and
// classifies the answer: "busy" (503, the node runs as many queries as it
// allows), "timeout" (504, the query passed its deadline), "out of gas",
// "hung" (no answer within hangBound) or "unexpected".
func spinQuery(ctx context.Context, hc *http.Client, url string, q *queryOutcomes) {
	const hangBound = 30 * time.Second
	body, _ := json.Marshal(api.ContractQueryRequest{Msg: []byte(`{"spin":{}}`), Plaintext: true})
	qctx, cancel := context.WithTimeout(ctx, hangBound)
	defer cancel()
	req, err := http.NewRequestWithContext(qctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := hc.Do(req)
	took := time.Since(start)
	if err != nil {
		switch {
		case ctx.Err() != nil: // the attack is over; not the node's doing
		case errors.Is(qctx.Err(), context.DeadlineExceeded):
			q.add("hung", took, "")
		default:
			q.add("unexpected", took, err.Error())
		}
		return
	}
	defer resp.Body.Close()
	bz, _ := io.ReadAll(resp.Body)
	var e api.Error
	_ = json.Unmarshal(bz, &e)
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(e.Error, api.ErrBusy.Error()):
		if resp.Header.Get("Retry-After") == "" {
			q.mu.Lock()
			q.noRetry++
			q.mu.Unlock()
		}
		q.add("busy", took, "")
	case resp.StatusCode == http.StatusGatewayTimeout:
		q.add("timeout", took, "")
	case resp.StatusCode == http.StatusBadRequest && strings.Contains(e.Error, "out of gas"):
		q.add("out of gas", took, "")
	default:
		q.add("unexpected", took, fmt.Sprintf("%s: %s", resp.Status, bz))
	}
}

// TestAdversaryHeavyQueries: an attack on a validator's query service. The
// attacker deploys a contract whose query loops forever and keeps 64
// plaintext queries of it in flight against one validator's API for 15
// seconds, while an honest client sends transfers through that same
// validator.
//
// What must hold: every query comes back, promptly, with an error — the
// node too busy (503, with Retry-After), the query past its deadline
// (504), or out of gas — never hanging and never succeeding; blocks keep
// coming, the honest transfers commit, and the validators agree on every
// app hash. The honest transfers committed during the attack and during
// an equally long quiet period before it are logged, and the attack must
// leave at least a quarter of the quiet figure (a generous bound: the
// unbounded queries of before let 1 through where 43 went quietly).
func TestAdversaryHeavyQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end adversary test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := startAdversaryNet(ctx, t)

	bin, err := hostile.Spin()
	require.NoError(t, err)
	spin := n.deploy(t, 1, "carol", "spin", bin)

	target := n.clients[0]
	alice := n.key(t, "alice")
	h0 := n.settledHeight(ctx, t)
	_, aliceSeq := n.account(ctx, t, alice.PubKey().Address(), h0)
	honest := startHonestSender(ctx, t, target, n.chainID, alice)
	blocks := watchBlocks(ctx, n.clients)

	const period = 15 * time.Second
	quietStart := time.Now()
	time.Sleep(period)

	attackStart := time.Now()
	actx, stopAttack := context.WithTimeout(ctx, period)
	defer stopAttack()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	url := target.BaseURL() + "/hermetic/v1/contracts/" + spin.String() + "/query"
	outcomes := &queryOutcomes{byKind: map[string]int{}}
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for actx.Err() == nil {
				spinQuery(actx, hc, url, outcomes)
			}
		}()
	}
	wg.Wait()
	attackEnd := time.Now()
	// Queries cut off when the attack stopped are still running on the
	// node for up to their deadline; what they cost is part of the attack.

	quiet := honest.committedBetween(quietStart, attackStart)
	during := honest.committedBetween(attackStart, attackEnd)
	t.Logf("honest transfers committed through node0: %d in %s quiet, %d in %s under attack", quiet, attackStart.Sub(quietStart).Round(time.Second), during, attackEnd.Sub(attackStart).Round(time.Second))
	t.Logf("query answers: %v, slowest %s", outcomes.byKind, outcomes.longest.Round(time.Millisecond))

	honest.finish(t)
	blocks.finish(t, 30*time.Second, 10)
	require.NotZero(t, during, "no honest transfer committed during the attack")
	require.GreaterOrEqual(t, 4*during, quiet, "the attack starved honest transfers: %d under attack, %d quiet", during, quiet)
	require.Zero(t, outcomes.byKind["hung"], "queries got no answer within 30s")
	require.Empty(t, outcomes.unexpected, "queries answered other than busy, timed out or out of gas")
	require.Zero(t, outcomes.noRetry, "a 503 without Retry-After")
	require.NotZero(t, outcomes.byKind["busy"]+outcomes.byKind["timeout"]+outcomes.byKind["out of gas"], "no query answered")

	n.finish(ctx, t)
	h1 := n.settledHeight(ctx, t)
	honest.requireSinkMatchesSequence(ctx, t, n, aliceSeq, h1)
}
