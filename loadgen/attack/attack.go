// Package attack runs the denial-of-service attacks that Hermetic's limits
// are built to withstand, against a node's API, so that an operator (or a
// benchmark) can check that honest traffic still gets through while they
// run: a mempool flood of transactions that can never execute, contract
// queries that loop until their gas or deadline stops them, and idle
// connections that announce a body they never send. docs/security.md says
// which limit stops each; BENCHMARKS.md what honest throughput keeps.
//
// Each attack runs until its context ends and returns what it saw: how many
// attempts the node accepted, refused or failed to answer. Nothing here is
// needed to run a node.
package attack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/internal/hostile"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// Report is what an attack saw. Accepted counts what the node took
// (transactions admitted to its mempool, queries answered, connections
// open at the end); Refused what it turned away with an answer (a CheckTx
// error, 503, 504, a query that ran out of gas); Errors what got no answer
// (a dropped or timed-out connection).
type Report struct {
	Kind     string        `json:"kind"`
	Duration time.Duration `json:"duration"`
	Attempts int64         `json:"attempts"`
	Accepted int64         `json:"accepted"`
	Refused  int64         `json:"refused"`
	Errors   int64         `json:"errors"`
	// Codes counts refusals by ABCI code (transactions) or HTTP status
	// (queries), as text.
	Codes map[string]int64 `json:"codes,omitempty"`
}

// tally is a Report being counted by several goroutines.
type tally struct {
	attempts, accepted, refused, errs atomic.Int64
	mu                                sync.Mutex
	codes                             map[string]int64
}

func (t *tally) refuse(code string) {
	t.refused.Add(1)
	t.mu.Lock()
	if t.codes == nil {
		t.codes = map[string]int64{}
	}
	t.codes[code]++
	t.mu.Unlock()
}

func (t *tally) report(kind string, d time.Duration) Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Report{Kind: kind, Duration: d, Attempts: t.attempts.Load(), Accepted: t.accepted.Load(),
		Refused: t.refused.Load(), Errors: t.errs.Load(), Codes: t.codes}
}

// FloodConfig is a mempool flood: Accounts fresh keys with no funds, each
// sending transfers with sequence numbers 1 to Ahead — never executable,
// since sequence 0 never comes — from Workers goroutines, as fast as the
// node answers.
type FloodConfig struct {
	Node     string // API address
	ChainID  string
	Accounts int
	Ahead    int
	Workers  int
	// Funder, if set, adds one funded account doing the same (sending from
	// its next sequence + 1 on), which the balance check lets hold only as
	// many as its balance covers the fees of.
	Funder keys.PrivKey
}

// Flood runs a mempool flood until ctx ends.
func Flood(ctx context.Context, cfg FloodConfig) (Report, error) {
	if cfg.Accounts <= 0 || cfg.Ahead <= 0 || cfg.Workers <= 0 {
		return Report{}, fmt.Errorf("attack: flood needs accounts, ahead and workers above 0")
	}
	c := client.New(cfg.Node)
	if cfg.ChainID == "" {
		st, err := c.Status(ctx)
		if err != nil {
			return Report{}, fmt.Errorf("flood: node status: %w", err)
		}
		cfg.ChainID = st.ChainID
	}
	type sender struct {
		key   keys.PrivKey
		first uint64
	}
	// fresh returns cfg.Accounts new accounts, and the funder, if any, at
	// its next sequence + 1.
	fresh := func() ([]sender, error) {
		senders := make([]sender, 0, cfg.Accounts+1)
		for range cfg.Accounts {
			k, err := keys.Generate(keys.KeyEd25519)
			if err != nil {
				return nil, err
			}
			senders = append(senders, sender{key: k, first: 1})
		}
		if cfg.Funder != nil {
			acc, err := c.Account(ctx, cfg.Funder.PubKey().Address(), 0, false)
			if err != nil {
				return nil, fmt.Errorf("flood: funder's account: %w", err)
			}
			senders = append(senders, sender{key: cfg.Funder, first: acc.Account.Sequence + 1})
		}
		return senders, nil
	}
	sink := keys.Address{0xde, 0xad}
	var t tally
	start := time.Now()
	jobs := make(chan []byte)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for raw := range jobs {
				t.attempts.Add(1)
				res, err := c.Broadcast(ctx, raw, false)
				switch {
				case err != nil:
					if ctx.Err() == nil {
						t.errs.Add(1)
					}
				case res.Code == 0:
					t.accepted.Add(1)
				default:
					t.refuse(fmt.Sprintf("code %d", res.Code))
				}
			}
		}()
	}
	// Round after round, every sender sends its next future sequence, so
	// that all senders are in the mempool at once, as 800 were in the
	// measured attack; then fresh accounts do the same, until ctx ends.
	var ferr error
feed:
	for ctx.Err() == nil {
		senders, err := fresh()
		if err != nil {
			ferr = err
			break
		}
		for round := range cfg.Ahead {
			for _, s := range senders {
				m := &tx.MsgSend{From: s.key.PubKey().Address(), To: sink, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}
				t, err := client.NewTx(cfg.ChainID, s.key, s.first+uint64(round), []tx.Msg{m}, client.TxOptions{})
				if err != nil {
					ferr = err
					break feed
				}
				select {
				case jobs <- t.Marshal():
				case <-ctx.Done():
					break feed
				}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if ferr != nil && ctx.Err() == nil {
		return Report{}, ferr
	}
	return t.report("mempool-flood", time.Since(start)), nil
}

// DeployLoop stores and instantiates hostile.Spin, a contract whose query
// loops for ever, with funder and returns its address.
func DeployLoop(ctx context.Context, node string, funder keys.PrivKey) (keys.ContractAddress, error) {
	wasm, err := hostile.Spin()
	if err != nil {
		return keys.ContractAddress{}, err
	}
	c := client.New(node)
	stored, err := c.StoreCode(ctx, funder, wasm, client.TxOptions{})
	if err != nil {
		return keys.ContractAddress{}, fmt.Errorf("store loop contract: %w", err)
	}
	inst, err := c.Instantiate(ctx, funder, stored.CodeID, "loop", keys.Address{}, []byte(`{}`), true, client.TxOptions{})
	if err != nil {
		return keys.ContractAddress{}, fmt.Errorf("instantiate loop contract: %w", err)
	}
	return inst.Contract, nil
}

// QueryConfig keeps InFlight plaintext queries of a looping contract
// running against Node, each sent again as soon as it is answered.
type QueryConfig struct {
	Node     string
	Contract keys.ContractAddress
	InFlight int
}

// Queries runs the query attack until ctx ends.
func Queries(ctx context.Context, cfg QueryConfig) (Report, error) {
	if cfg.InFlight <= 0 {
		return Report{}, fmt.Errorf("attack: queries needs in-flight above 0")
	}
	body, err := json.Marshal(api.ContractQueryRequest{Msg: []byte(`{"spin":{}}`), Plaintext: true})
	if err != nil {
		return Report{}, err
	}
	url := cfg.Node + "/hermetic/v1/contracts/" + cfg.Contract.String() + "/query"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.InFlight}}
	var t tally
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.InFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t.attempts.Add(1)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					t.errs.Add(1)
					return
				}
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						t.errs.Add(1)
						time.Sleep(10 * time.Millisecond)
					}
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					t.accepted.Add(1)
				} else {
					t.refuse(fmt.Sprintf("http %d", resp.StatusCode))
				}
			}
		}()
	}
	wg.Wait()
	return t.report("heavy-queries", time.Since(start)), nil
}

// ConnConfig opens Conns connections to Addr (host:port), each sending the
// headers of a request that announces a body it never sends, and keeps
// that many open: one the node closes is opened again.
type ConnConfig struct {
	Addr  string
	Conns int
	// Source is the local address to connect from (empty: any), to attack
	// from an address other than honest clients'.
	Source string
}

// IdleConns runs the connection attack until ctx ends. Accepted is the
// number of connections open at the end.
func IdleConns(ctx context.Context, cfg ConnConfig) (Report, error) {
	if cfg.Conns <= 0 {
		return Report{}, fmt.Errorf("attack: conns needs a count above 0")
	}
	head := []byte("POST /hermetic/v1/txs HTTP/1.1\r\nHost: " + cfg.Addr + "\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
	var t tally
	var open atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	d := net.Dialer{Timeout: 5 * time.Second}
	if cfg.Source != "" {
		ip := net.ParseIP(cfg.Source)
		if ip == nil {
			return Report{}, fmt.Errorf("attack: bad source address %q", cfg.Source)
		}
		d.LocalAddr = &net.TCPAddr{IP: ip}
	}
	for range cfg.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t.attempts.Add(1)
				conn, err := d.DialContext(ctx, "tcp", cfg.Addr)
				if err != nil {
					if ctx.Err() == nil {
						t.errs.Add(1)
						time.Sleep(100 * time.Millisecond)
					}
					continue
				}
				if _, err := conn.Write(head); err != nil {
					conn.Close()
					t.refuse("closed")
					continue
				}
				open.Add(1)
				// Hold it until the node closes it or the attack ends.
				closed := make(chan struct{})
				go func() {
					_, _ = conn.Read(make([]byte, 1))
					close(closed)
				}()
				select {
				case <-ctx.Done():
				case <-closed:
					t.refuse("closed by the node")
				}
				open.Add(-1)
				conn.Close()
			}
		}()
	}
	<-ctx.Done()
	r := t.report("idle-conns", time.Since(start))
	r.Accepted = open.Load()
	wg.Wait()
	return r, nil
}
