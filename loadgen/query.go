package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/keys"
)

// Defaults of `hermeticd bench queries`.
const (
	DefaultQueries     = 2000
	DefaultConcurrency = 4
)

// QueryWarmup is how many queries Queries sends, and checks, before it
// starts measuring.
const QueryWarmup = 50

// ErrQueryConfig is returned by Queries for a configuration it cannot run.
var ErrQueryConfig = errors.New("loadgen: bad query benchmark configuration")

// QueryConfig is a benchmark of encrypted, permit-authenticated contract
// queries.
type QueryConfig struct {
	// Nodes are API addresses; workers are spread over them round-robin.
	Nodes []string
	// Funder stores and instantiates the token, holds a balance in it and
	// signs the permit.
	Funder keys.PrivKey
	// TokenWASM is the token contract (contracts/token built to wasm).
	TokenWASM []byte
	// Queries is how many queries are measured (DefaultQueries in the CLI).
	Queries int
	// Concurrency is how many workers query at once, each waiting for its
	// answer before it sends the next query (DefaultConcurrency in the CLI).
	Concurrency int
	// Logger reports progress; nil discards it.
	Logger *slog.Logger
}

// QueryResult is what a query benchmark measured. Latency runs from just
// before the client's Query call to the decrypted answer: client.Query
// encrypts the query, posts it and decrypts the answer, and all of that is
// counted. Each worker's client looks up the contract's code hash and the
// tx key once, during the warm-up, and caches them, so a measured query is
// one request, as for any long-lived client.
type QueryResult struct {
	Queries     int           `json:"queries"`
	Concurrency int           `json:"concurrency"`
	Duration    time.Duration `json:"duration"` // first measured query sent to last answer
	QPS         float64       `json:"qps"`      // queries / duration
	P50         time.Duration `json:"latency_p50"`
	P90         time.Duration `json:"latency_p90"`
	P99         time.Duration `json:"latency_p99"`
	Max         time.Duration `json:"latency_max"`
}

// Queries stores and instantiates the token with a balance for the funder,
// signs one permit for it offline (the node's chain, this token, permission
// "balance", valid from five minutes ago for an hour), and then has
// cfg.Concurrency workers send the encrypted query
// {"with_permit":{"permit":...,"query":{"balance":{}}}}: QueryWarmup
// queries first, not measured, then cfg.Queries measured ones. Every answer
// must be the funder's balance; any other answer, or a failed query, ends
// the run with an error.
func Queries(ctx context.Context, cfg QueryConfig) (QueryResult, error) {
	if err := cfg.check(); err != nil {
		return QueryResult{}, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c0 := client.New(cfg.Nodes[0])
	st, err := c0.Status(ctx)
	if err != nil {
		return QueryResult{}, fmt.Errorf("node status: %w", err)
	}
	funder := cfg.Funder.PubKey().Address()
	_, token, err := deployToken(ctx, c0, cfg.Funder, cfg.TokenWASM, []keys.Address{funder}, tokenBalance)
	if err != nil {
		return QueryResult{}, fmt.Errorf("set up the token: %w", err)
	}
	log.Info("token instantiated", "contract", token, "holder", funder)
	permit, err := client.SignPermit(cfg.Funder, st.ChainID, "loadgen-queries", []string{token.String()}, []string{"balance"}, time.Hour)
	if err != nil {
		return QueryResult{}, err
	}
	msg, err := client.WithPermit(permit, []byte(`{"balance":{}}`))
	if err != nil {
		return QueryResult{}, fmt.Errorf("build the permit query: %w", err)
	}
	q := balanceQuery{contract: token, msg: msg, want: strconv.FormatUint(tokenBalance, 10)}

	// One client per worker, kept from the warm-up to the measured run, as a
	// long-lived client would be: what it caches (the tx key, the token's
	// code hash) it has learnt by the time measuring starts.
	clients := make([]*client.Client, cfg.Concurrency)
	for w := range clients {
		clients[w] = client.New(cfg.Nodes[w%len(cfg.Nodes)])
	}
	if _, _, err := q.run(ctx, clients, QueryWarmup); err != nil {
		return QueryResult{}, fmt.Errorf("warm-up: %w", err)
	}
	log.Info("warm-up done", "queries", QueryWarmup)
	lat, took, err := q.run(ctx, clients, cfg.Queries)
	if err != nil {
		return QueryResult{}, err
	}
	r := queryResult(lat, took)
	r.Concurrency = cfg.Concurrency
	log.Info("queries done", "queries", r.Queries, "in", took.Round(time.Millisecond))
	return r, nil
}

// check refuses a configuration Queries cannot run, before any network
// access.
func (cfg QueryConfig) check() error {
	switch {
	case len(cfg.Nodes) == 0:
		return fmt.Errorf("%w: no node addresses", ErrQueryConfig)
	case cfg.Funder == nil:
		return fmt.Errorf("%w: no funder key", ErrQueryConfig)
	case len(cfg.TokenWASM) == 0:
		return fmt.Errorf("%w: no token wasm (build contracts/token with `hermeticd contract build`)", ErrQueryConfig)
	case cfg.Queries <= 0:
		return fmt.Errorf("%w: queries must be positive, got %d", ErrQueryConfig, cfg.Queries)
	case cfg.Concurrency <= 0:
		return fmt.Errorf("%w: concurrency must be positive, got %d", ErrQueryConfig, cfg.Concurrency)
	}
	return nil
}

// balanceQuery is the permit query of the benchmark and the answer it must
// get.
type balanceQuery struct {
	contract keys.ContractAddress
	msg      []byte // {"with_permit":...}, encrypted anew by each Query call
	want     string // the funder's balance
}

// run sends n queries with one worker per client (at most n), and returns
// each query's latency and the time from the start to the last answer. The
// first failure stops every worker.
func (q balanceQuery) run(ctx context.Context, clients []*client.Client, n int) ([]time.Duration, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := min(len(clients), n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
		lats     = make([][]time.Duration, workers)
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w]
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				out, err := c.Query(ctx, q.contract, q.msg, false)
				d := time.Since(t0)
				if err != nil {
					fail(fmt.Errorf("query %d at %s: %w", i, c.BaseURL(), err))
					return
				}
				if err := q.check(out); err != nil {
					fail(fmt.Errorf("query %d at %s: %w", i, c.BaseURL(), err))
					return
				}
				lats[w] = append(lats[w], d)
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if firstErr != nil {
		return nil, 0, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, fmt.Errorf("queries interrupted: %w", err)
	}
	return slices.Concat(lats...), took, nil
}

// check accepts only the answer {"balance":{"amount":want}} (padding
// spaces allowed).
func (q balanceQuery) check(out []byte) error {
	var a struct {
		Balance *struct {
			Amount string `json:"amount"`
		} `json:"balance"`
	}
	if err := json.Unmarshal(out, &a); err != nil {
		return fmt.Errorf("answer is not JSON: %q", out)
	}
	if a.Balance == nil || a.Balance.Amount != q.want {
		return fmt.Errorf("answer %q is not the balance %s", out, q.want)
	}
	return nil
}

// queryResult summarises the latencies of a run that took took.
func queryResult(lat []time.Duration, took time.Duration) QueryResult {
	r := QueryResult{Queries: len(lat), Duration: took}
	if len(lat) == 0 {
		return r
	}
	slices.Sort(lat)
	r.QPS = float64(len(lat)) / took.Seconds()
	r.P50 = percentile(lat, 50)
	r.P90 = percentile(lat, 90)
	r.P99 = percentile(lat, 99)
	r.Max = lat[len(lat)-1]
	return r
}
