// Package loadgen is Hermetic's load generator: it funds a set of fresh
// sender accounts, has each send signed bank transfers as fast as the node
// accepts them (or at a set rate), watches blocks commit, and reports
// committed transactions per second and commit latency. `hermeticd bench`
// runs it; BENCHMARKS.md records its figures.
package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hermetic-chain/hermetic/client"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// SendGasLimit is the gas limit of each bank send unless Config.GasLimit
// says otherwise: 1.05× the 208,700 gas an ed25519 send without a memo
// uses (docs/gas.md), so that a block of 1,000,000,000 gas — which counts
// gas limits, not gas used — holds 4,545 of them. With a limit of 250,000
// it held 4,000, and saturation on a devnet fell from 4,140–4,203 to
// 3,677–3,702 transfers/s (BENCHMARKS.md).
const SendGasLimit = 220_000

// Config is a load run.
type Config struct {
	// Nodes are API addresses; senders are spread over them round-robin.
	Nodes []string
	// Funder pays for the sender accounts.
	Funder keys.PrivKey
	// Senders is how many accounts send concurrently.
	Senders int
	// Txs is the total number of transfers to send.
	Txs int
	// Rate caps submissions per second over all senders; 0: as fast as accepted.
	Rate int
	// GasLimit of each transfer (0: SendGasLimit).
	GasLimit uint64
	// Token, if set, makes the transfers token transfers of a contract
	// instead of bank sends.
	Token  *TokenLoad
	Logger *slog.Logger
}

// TokenLoad is the contract workload: the token contract (contracts/token,
// built to wasm) is stored and instantiated with a balance for every
// sender, which then send `{"transfer":...}` executions — encrypted for the
// contract, each sender with its own X25519 key reused across its
// transactions as a wallet does, unless Plaintext.
type TokenLoad struct {
	WASM      []byte
	Plaintext bool
}

// Result is what a run measured.
type Result struct {
	Sent      int `json:"sent"`
	Committed int `json:"committed"` // in a block
	Failed    int `json:"failed"`    // in a block, with a non-zero result code
	Rejected  int `json:"rejected"`
	// Duration runs from the first submission to the last commit.
	Duration   time.Duration `json:"duration"`
	TPS        float64       `json:"tps"` // committed and succeeded, per second of duration
	LatencyP50 time.Duration `json:"latency_p50"`
	LatencyP90 time.Duration `json:"latency_p90"`
	LatencyP99 time.Duration `json:"latency_p99"`
	Blocks     int           `json:"blocks"`
	MaxPerBlk  int           `json:"max_txs_per_block"`
}

// Errors of a run that measured something but not what was asked:
// ErrIncomplete when some transactions did not commit in time, ErrFailed
// when some committed but failed. Run returns its Result with them.
var (
	ErrIncomplete = errors.New("not every transaction committed")
	ErrFailed     = errors.New("transactions failed")
)

// Run executes the load and waits for every accepted transfer to commit.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if len(cfg.Nodes) == 0 || cfg.Senders <= 0 || cfg.Txs <= 0 || cfg.Funder == nil {
		return Result{}, errors.New("loadgen: need nodes, a funder, senders > 0 and txs > 0")
	}
	if cfg.GasLimit == 0 {
		cfg.GasLimit = SendGasLimit
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c0 := client.New(cfg.Nodes[0])
	st, err := c0.Status(ctx)
	if err != nil {
		return Result{}, err
	}
	senders, err := fund(ctx, c0, cfg)
	if err != nil {
		return Result{}, err
	}
	log.Info("senders funded", "senders", len(senders))
	sink, _ := keys.Generate(keys.KeyEd25519)
	to := sink.PubKey().Address()

	// Sign everything first: the node, not the generator, should be measured.
	per := cfg.Txs / cfg.Senders
	msg := func(k keys.PrivKey, _ int) (tx.Msg, error) {
		return &tx.MsgSend{From: k.PubKey().Address(), To: to, Amount: tx.Coin{Denom: tx.Denom, Amount: 1}}, nil
	}
	if cfg.Token != nil {
		if msg, err = tokenMessages(ctx, c0, cfg, senders, to); err != nil {
			return Result{}, fmt.Errorf("set up the token: %w", err)
		}
		log.Info("token instantiated", "plaintext", cfg.Token.Plaintext)
	}
	signed := make([][][]byte, len(senders))
	for i, k := range senders {
		for s := 0; s < per; s++ {
			m, err := msg(k, s)
			if err != nil {
				return Result{}, err
			}
			t, err := client.NewTx(st.ChainID, k, uint64(s), []tx.Msg{m}, client.TxOptions{GasLimit: cfg.GasLimit})
			if err != nil {
				return Result{}, err
			}
			signed[i] = append(signed[i], t.Marshal())
		}
	}
	total := per * len(senders)

	w := newWatcher(c0)
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go w.run(wctx, st.LatestHeight)

	var (
		mu       sync.Mutex
		submit   = make(map[string]time.Time, total)
		rejected int
		wg       sync.WaitGroup
		start    = time.Now()
	)
	for i := range senders {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := client.New(cfg.Nodes[i%len(cfg.Nodes)])
			for j, raw := range signed[i] {
				if cfg.Rate > 0 {
					// Open-loop schedule: the k-th submission overall is
					// due at start + k/rate, whatever the node's speed.
					k := j*len(senders) + i
					due := start.Add(time.Duration(k) * time.Second / time.Duration(cfg.Rate))
					select {
					case <-time.After(time.Until(due)):
					case <-ctx.Done():
						return
					}
				}
				t0 := time.Now()
				res, err := c.Broadcast(ctx, raw, false)
				mu.Lock()
				if err != nil || res.Code != 0 {
					rejected++
					if rejected <= 5 {
						log.Warn("transaction refused", "err", err, "log", res.Log)
					}
				} else {
					submit[res.Hash] = t0
				}
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	log.Info("all transactions submitted", "accepted", len(submit), "rejected", rejected, "in", time.Since(start).Round(time.Millisecond))

	deadline := time.Now().Add(60 * time.Second)
	for w.count(submit) < len(submit) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	stopWatch()
	<-w.done
	return w.result(submit, total, rejected, start)
}

// fund creates cfg.Senders accounts and sends each enough for its transfers
// and fees, in one transaction from the funder.
func fund(ctx context.Context, c *client.Client, cfg Config) ([]keys.PrivKey, error) {
	per := uint64(cfg.Txs/cfg.Senders + 1)
	each := per * (1 + (cfg.GasLimit+99)/100) // amount 1 + the minimum fee per transfer
	var senders []keys.PrivKey
	var msgs []tx.Msg
	from := cfg.Funder.PubKey().Address()
	for range cfg.Senders {
		k, err := keys.Generate(keys.KeyEd25519)
		if err != nil {
			return nil, err
		}
		senders = append(senders, k)
		msgs = append(msgs, &tx.MsgSend{From: from, To: k.PubKey().Address(), Amount: tx.Coin{Denom: tx.Denom, Amount: each}})
	}
	// A transaction and, per send to a new account, two reads, two writes
	// and its bytes (docs/gas.md): about 150,000 gas a message.
	gas := uint64(200_000 + 150_000*len(msgs))
	res, err := c.SendTx(ctx, cfg.Funder, msgs, client.TxOptions{GasLimit: gas}, true)
	if err != nil {
		return nil, fmt.Errorf("fund senders: %w", err)
	}
	if res.Code != 0 {
		return nil, fmt.Errorf("fund senders: %s", res.Log)
	}
	return senders, nil
}

// watcher records when each block was first seen committed.
type watcher struct {
	c      *client.Client
	mu     sync.Mutex
	seen   map[string]time.Time // tx hash → commit observed
	failed map[string]bool      // tx hash → committed with a non-zero code
	blocks map[int64]int        // height → txs
	done   chan struct{}
}

func newWatcher(c *client.Client) *watcher {
	return &watcher{c: c, seen: map[string]time.Time{}, failed: map[string]bool{}, blocks: map[int64]int{}, done: make(chan struct{})}
}

func (w *watcher) run(ctx context.Context, from int64) {
	defer close(w.done)
	next, top := from+1, from
	for ctx.Err() == nil {
		// A block counts once executed: CometBFT stores a decided block
		// before it executes it, and the status's height is the last
		// executed and committed one. Polling the status is cheap; a
		// block of thousands of transactions is not.
		if top < next {
			st, err := w.c.Status(ctx)
			if err != nil || st.LatestHeight < next {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			top = st.LatestHeight
		}
		b, err := w.c.Block(ctx, next)
		if err != nil || len(b.TxCodes) != len(b.Txs) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		now := time.Now()
		w.mu.Lock()
		for i, h := range b.Txs {
			w.seen[h] = now
			if i < len(b.TxCodes) && b.TxCodes[i] != 0 {
				w.failed[h] = true
			}
		}
		w.blocks[b.Height] = len(b.Txs)
		w.mu.Unlock()
		next++
	}
}

func (w *watcher) count(submit map[string]time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for h := range submit {
		if _, ok := w.seen[h]; ok {
			n++
		}
	}
	return n
}

func (w *watcher) result(submit map[string]time.Time, sent, rejected int, start time.Time) (Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := Result{Sent: sent, Rejected: rejected}
	var lat []time.Duration
	var last time.Time
	for h, t0 := range submit {
		t1, ok := w.seen[h]
		if !ok {
			continue
		}
		r.Committed++
		if w.failed[h] {
			r.Failed++
		}
		lat = append(lat, t1.Sub(t0))
		if t1.After(last) {
			last = t1
		}
	}
	for _, n := range w.blocks {
		if n > 0 {
			r.Blocks++
			r.MaxPerBlk = max(r.MaxPerBlk, n)
		}
	}
	if r.Committed > 0 {
		slices.Sort(lat)
		r.Duration = last.Sub(start)
		r.TPS = float64(r.Committed-r.Failed) / r.Duration.Seconds()
		r.LatencyP50 = percentile(lat, 50)
		r.LatencyP90 = percentile(lat, 90)
		r.LatencyP99 = percentile(lat, 99)
	}
	if r.Committed < len(submit) {
		return r, fmt.Errorf("%w: %d of %d", ErrIncomplete, r.Committed, len(submit))
	}
	if r.Failed > 0 {
		return r, fmt.Errorf("%w: %d of %d committed", ErrFailed, r.Failed, r.Committed)
	}
	return r, nil
}

// percentile returns the p-th percentile (0 <= p < 100) of sorted, a
// non-empty ascending list: the element p% of the way up.
func percentile(sorted []time.Duration, p int) time.Duration {
	return sorted[len(sorted)*p/100]
}

// tokenMessages stores and instantiates the token with a balance for every
// sender and returns the maker of each sender's transfer executions.
func tokenMessages(ctx context.Context, c *client.Client, cfg Config, senders []keys.PrivKey, to keys.Address) (func(keys.PrivKey, int) (tx.Msg, error), error) {
	holders := make([]keys.Address, len(senders))
	for i, k := range senders {
		holders[i] = k.PubKey().Address()
	}
	codeID, contract, err := deployToken(ctx, c, cfg.Funder, cfg.Token.WASM, holders, tokenBalance)
	if err != nil {
		return nil, err
	}
	body := []byte(fmt.Sprintf(`{"transfer":{"recipient":%q,"amount":"1"}}`, to.String()))
	if cfg.Token.Plaintext {
		return func(k keys.PrivKey, _ int) (tx.Msg, error) {
			return &tx.MsgExecute{Sender: k.PubKey().Address(), Contract: contract, Msg: body, Plaintext: true}, nil
		}, nil
	}
	txKey, err := c.TxKey(ctx)
	if err != nil {
		return nil, err
	}
	info, err := c.CodeInfo(ctx, codeID)
	if err != nil {
		return nil, err
	}
	hash, err := info.Hash()
	if err != nil {
		return nil, err
	}
	wallets := map[keys.Address][]byte{}
	return func(k keys.PrivKey, _ int) (tx.Msg, error) {
		a := k.PubKey().Address()
		sk, ok := wallets[a]
		if !ok {
			sk = make([]byte, 32)
			if _, err := rand.Read(sk); err != nil {
				return nil, err
			}
			wallets[a] = sk
		}
		nonce := make([]byte, 32)
		if _, err := rand.Read(nonce); err != nil {
			return nil, err
		}
		wire, _, err := cryptobox.SealInput(sk, nonce, txKey, hash, body)
		if err != nil {
			return nil, err
		}
		return &tx.MsgExecute{Sender: a, Contract: contract, Msg: wire}, nil
	}, nil
}

// tokenBalance is each holder's balance at the token's instantiation.
const tokenBalance = 1_000_000_000

// deployToken stores the token module (contracts/token built to wasm) with
// the funder's key and instantiates it, unencrypted, with amount for each
// holder. It returns the code id and the contract's address.
func deployToken(ctx context.Context, c *client.Client, funder keys.PrivKey, wasm []byte, holders []keys.Address, amount uint64) (uint64, keys.ContractAddress, error) {
	stored, err := c.StoreCode(ctx, funder, wasm, client.TxOptions{})
	if err != nil {
		return 0, keys.ContractAddress{}, fmt.Errorf("store: %w", err)
	}
	type balance struct {
		Address string `json:"address"`
		Amount  string `json:"amount"`
	}
	im := struct {
		Name            string    `json:"name"`
		Symbol          string    `json:"symbol"`
		Decimals        int       `json:"decimals"`
		InitialBalances []balance `json:"initial_balances"`
	}{Name: "Load Token", Symbol: "LOAD", Decimals: 6}
	for _, a := range holders {
		im.InitialBalances = append(im.InitialBalances, balance{Address: a.String(), Amount: strconv.FormatUint(amount, 10)})
	}
	initMsg, err := json.Marshal(im)
	if err != nil {
		return 0, keys.ContractAddress{}, fmt.Errorf("encode instantiate message: %w", err)
	}
	inst, err := c.Instantiate(ctx, funder, stored.CodeID, "load-token", keys.Address{}, initMsg, true, client.TxOptions{GasLimit: 50_000_000})
	if err != nil {
		return 0, keys.ContractAddress{}, fmt.Errorf("instantiate: %w", err)
	}
	return stored.CodeID, inst.Contract, nil
}
