// Package api serves Hermetic's HTTP JSON API: accounts with Merkle proofs,
// balances, validators, blocks, transactions and broadcasting. It is the
// interface of the CLI and of client libraries; the README lists every
// route. It reads the application through snapshots and forwards to
// CometBFT's in-process RPC, so it never blocks consensus.
package api

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/mempool"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// Chain is the application state the API reads.
type Chain interface {
	ChainID() string
	LastHeight() int64
	Account(addr keys.Address, height int64, prove bool) (app.Account, []app.Proof, error)
	ValidatorSet(height int64) ([]app.Validator, int64, error)
	Params() app.Params
	EnclaveConfig() app.EnclaveGenesis
	Registration(pub []byte) (app.RegistrationRecord, error)
	CodeInfo(id uint64) (compute.CodeInfo, error)
	ContractInfo(addr keys.ContractAddress) (compute.ContractInfo, error)
	ContractQuery(ctx context.Context, addr keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error)
}

// Consensus is the part of CometBFT's RPC the API forwards to; CometBFT's
// rpc/client/local.Local implements it.
type Consensus interface {
	Status(ctx context.Context) (*ctypes.ResultStatus, error)
	Block(ctx context.Context, height *int64) (*ctypes.ResultBlock, error)
	BlockResults(ctx context.Context, height *int64) (*ctypes.ResultBlockResults, error)
	Tx(ctx context.Context, hash []byte, prove bool) (*ctypes.ResultTx, error)
	BroadcastTxSync(ctx context.Context, tx types.Tx) (*ctypes.ResultBroadcastTx, error)
}

// Server is the API's HTTP handler.
type Server struct {
	chain     Chain
	consensus Consensus
	log       *slog.Logger
	mux       *http.ServeMux
	opts      Options
	// queries holds a token for each contract query running: at most
	// opts.MaxConcurrentQueries.
	queries chan struct{}
	// budget bounds the time all contract queries together take:
	// opts.QueryTimePerSecond.
	budget *queryBudget
	// broadcastBytes counts the large broadcast bodies in flight:
	// opts.BroadcastBytes.
	broadcastBytes byteBudget
}

// New returns the API handler over chain and consensus, with the limits of
// o (zero fields take their defaults).
func New(chain Chain, consensus Consensus, log *slog.Logger, o Options) *Server {
	o = o.WithDefaults()
	s := &Server{chain: chain, consensus: consensus, log: log, mux: http.NewServeMux(), opts: o,
		queries: make(chan struct{}, o.MaxConcurrentQueries), budget: newQueryBudget(o.QueryTimePerSecond, o.QueryTimeout),
		broadcastBytes: byteBudget{limit: o.BroadcastBytes}}
	s.mux.HandleFunc("GET /hermetic/v1/status", s.status)
	s.mux.HandleFunc("GET /hermetic/v1/accounts/{address}", s.account)
	s.mux.HandleFunc("GET /hermetic/v1/accounts/{address}/balance", s.balance)
	s.mux.HandleFunc("GET /hermetic/v1/validators", s.validators)
	s.mux.HandleFunc("GET /hermetic/v1/blocks/{height}", s.block)
	s.mux.HandleFunc("GET /hermetic/v1/txs/{hash}", s.tx)
	s.mux.HandleFunc("POST /hermetic/v1/txs", s.broadcast)
	s.mux.HandleFunc("GET /hermetic/v1/enclave", s.enclaveInfo)
	s.mux.HandleFunc("GET /hermetic/v1/enclave/registrations/{pubkey}", s.registration)
	s.mux.HandleFunc("GET /hermetic/v1/codes/{id}", s.code)
	s.mux.HandleFunc("GET /hermetic/v1/contracts/{address}", s.contract)
	s.mux.HandleFunc("POST /hermetic/v1/contracts/{address}/query", s.contractQuery)
	// Where Secret Network's client libraries look for the tx key.
	s.mux.HandleFunc("GET /registration/v1beta1/tx-key", s.txKey)
	return s
}

// Handle adds a route, for modules with their own endpoints.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Error is the body of every error answer.
type Error struct {
	Error string `json:"error"`
	// Code is the ABCI code of a transaction error (see app.Code), if any.
	Code uint32 `json:"code,omitempty"`
}

// ErrNotFound is what a lookup of a missing block or transaction answers.
var ErrNotFound = errors.New("not found")

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, Error{Error: err.Error()})
}

// Status is the answer of GET /hermetic/v1/status.
type Status struct {
	ChainID          string    `json:"chain_id"`
	NodeID           string    `json:"node_id"`
	Moniker          string    `json:"moniker"`
	LatestHeight     int64     `json:"latest_height"`
	LatestBlockHash  string    `json:"latest_block_hash"`
	LatestAppHash    string    `json:"latest_app_hash"`
	LatestBlockTime  time.Time `json:"latest_block_time"`
	CatchingUp       bool      `json:"catching_up"`
	ValidatorAddress string    `json:"validator_address"`
	ValidatorPower   int64     `json:"validator_power"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.consensus.Status(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("node status: %w", err))
		return
	}
	// CometBFT stores a block before the application commits it: report
	// the height whose state queries can read.
	latest := min(st.SyncInfo.LatestBlockHeight, s.chain.LastHeight())
	writeJSON(w, http.StatusOK, Status{
		ChainID:          st.NodeInfo.Network,
		NodeID:           string(st.NodeInfo.DefaultNodeID),
		Moniker:          st.NodeInfo.Moniker,
		LatestHeight:     latest,
		LatestBlockHash:  st.SyncInfo.LatestBlockHash.String(),
		LatestAppHash:    st.SyncInfo.LatestAppHash.String(),
		LatestBlockTime:  st.SyncInfo.LatestBlockTime,
		CatchingUp:       st.SyncInfo.CatchingUp,
		ValidatorAddress: st.ValidatorInfo.Address.String(),
		ValidatorPower:   st.ValidatorInfo.VotingPower,
	})
}

// AccountResponse is the answer of GET /hermetic/v1/accounts/{address}.
// With ?prove=true it carries ICS-23 proofs of the balance and sequence keys
// at Account.Height, to check against the app hash of header Height+1.
type AccountResponse struct {
	Account app.Account `json:"account"`
	Proofs  []app.Proof `json:"proofs,omitempty"`
}

func heightParam(r *http.Request) (int64, error) {
	q := r.URL.Query().Get("height")
	if q == "" {
		return 0, nil
	}
	h, err := strconv.ParseInt(q, 10, 64)
	if err != nil || h < 0 {
		return 0, fmt.Errorf("bad height %q: want a non-negative integer", q)
	}
	return h, nil
}

// accountParams reads the address path value and the height parameter.
func accountParams(r *http.Request) (keys.Address, int64, error) {
	addr, err := keys.ParseAddress(r.PathValue("address"))
	if err != nil {
		return keys.Address{}, 0, err
	}
	h, err := heightParam(r)
	return addr, h, err
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	addr, h, err := accountParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	prove := r.URL.Query().Get("prove") == "true"
	acc, proofs, err := s.chain.Account(addr, h, prove)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, AccountResponse{Account: acc, Proofs: proofs})
}

// Balance is the answer of GET /hermetic/v1/accounts/{address}/balance.
type Balance struct {
	Address keys.Address `json:"address"`
	Denom   string       `json:"denom"`
	Amount  uint64       `json:"amount"`
	Height  int64        `json:"height"`
}

func (s *Server) balance(w http.ResponseWriter, r *http.Request) {
	addr, h, err := accountParams(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	acc, _, err := s.chain.Account(addr, h, false)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, Balance{Address: addr, Denom: app.Denom, Amount: acc.Balance, Height: acc.Height})
}

// ValidatorInfo is one entry of GET /hermetic/v1/validators.
type ValidatorInfo struct {
	app.Validator
	Power int64 `json:"power"`
}

// ValidatorsResponse is the answer of GET /hermetic/v1/validators.
type ValidatorsResponse struct {
	Height     int64           `json:"height"`
	Validators []ValidatorInfo `json:"validators"`
}

func (s *Server) validators(w http.ResponseWriter, r *http.Request) {
	h, err := heightParam(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	vals, height, err := s.chain.ValidatorSet(h)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	resp := ValidatorsResponse{Height: height, Validators: []ValidatorInfo{}}
	p := s.chain.Params()
	for _, v := range vals {
		resp.Validators = append(resp.Validators, ValidatorInfo{Validator: v, Power: v.Power(p)})
	}
	writeJSON(w, http.StatusOK, resp)
}

// Block is the answer of GET /hermetic/v1/blocks/{height|latest}.
type Block struct {
	Height         int64     `json:"height"`
	Hash           string    `json:"hash"`
	Time           time.Time `json:"time"`
	ChainID        string    `json:"chain_id"`
	Proposer       string    `json:"proposer"`
	AppHash        string    `json:"app_hash"`
	LastCommitHash string    `json:"last_commit_hash"`
	ValidatorsHash string    `json:"validators_hash"`
	Txs            []string  `json:"txs"` // hex hashes, in block order
	// TxCodes are the transactions' result codes, in the same order (0:
	// it succeeded); absent when the node has no results for the block.
	TxCodes []uint32 `json:"tx_codes,omitempty"`
}

func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	var hp *int64
	if p := r.PathValue("height"); p != "latest" {
		h, err := strconv.ParseInt(p, 10, 64)
		if err != nil || h <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("bad height %q: want a positive integer or \"latest\"", p))
			return
		}
		hp = &h
	}
	res, err := s.consensus.Block(r.Context(), hp)
	if err != nil || res.Block == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("block %s: %w", r.PathValue("height"), ErrNotFound))
		return
	}
	b := res.Block
	out := Block{
		Height: b.Height, Hash: res.BlockID.Hash.String(), Time: b.Time, ChainID: b.ChainID,
		Proposer: b.ProposerAddress.String(), AppHash: b.AppHash.String(),
		LastCommitHash: b.LastCommitHash.String(), ValidatorsHash: b.ValidatorsHash.String(), Txs: []string{},
	}
	for _, t := range b.Txs {
		out.Txs = append(out.Txs, strings.ToUpper(hex.EncodeToString(t.Hash())))
	}
	if rr, err := s.consensus.BlockResults(r.Context(), &b.Height); err == nil && len(rr.TxsResults) == len(b.Txs) {
		for _, t := range rr.TxsResults {
			out.TxCodes = append(out.TxCodes, t.Code)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// TxResult is the answer of GET /hermetic/v1/txs/{hash} and of a broadcast.
type TxResult struct {
	Hash string `json:"hash"`
	// Pending: the transaction passed CheckTx but was not in a committed
	// block when the broadcast stopped waiting (answered 202); look it up
	// later by Hash. It may still be committed, or dropped.
	Pending   bool         `json:"pending,omitempty"`
	Height    int64        `json:"height,omitempty"`
	Index     uint32       `json:"index,omitempty"`
	Code      uint32       `json:"code"`
	Codespace string       `json:"codespace,omitempty"`
	Log       string       `json:"log,omitempty"`
	GasWanted int64        `json:"gas_wanted,omitempty"`
	GasUsed   int64        `json:"gas_used,omitempty"`
	Events    []abci.Event `json:"events,omitempty"`
	// Data is what the messages returned: a JSON list with one base64
	// string (or null) per message; contract data is encrypted for the
	// sender.
	Data json.RawMessage `json:"data,omitempty"`
	Tx   json.RawMessage `json:"tx,omitempty"` // the decoded transaction
}

func (s *Server) tx(w http.ResponseWriter, r *http.Request) {
	hash, err := hex.DecodeString(r.PathValue("hash"))
	if err != nil || len(hash) != 32 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad transaction hash %q: want 64 hex digits", r.PathValue("hash")))
		return
	}
	res, err := s.consensus.Tx(r.Context(), hash, false)
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("transaction %X: %w", hash, ErrNotFound))
		return
	}
	writeJSON(w, http.StatusOK, txResult(res))
}

func txResult(res *ctypes.ResultTx) TxResult {
	out := TxResult{
		Hash: res.Hash.String(), Height: res.Height, Index: res.Index,
		Code: res.TxResult.Code, Codespace: res.TxResult.Codespace, Log: res.TxResult.Log,
		GasWanted: res.TxResult.GasWanted, GasUsed: res.TxResult.GasUsed, Events: res.TxResult.Events, Data: res.TxResult.Data,
	}
	if t, err := tx.Decode(res.Tx); err == nil {
		if bz, err := json.Marshal(t); err == nil {
			out.Tx = bz
		}
	}
	return out
}

// BroadcastRequest is the body of POST /hermetic/v1/txs.
type BroadcastRequest struct {
	Tx string `json:"tx"` // base64 of the encoded transaction
	// Mode is "sync" (answer after CheckTx) or "commit" (answer once the
	// transaction is in a committed block, with its result).
	Mode string `json:"mode"`
}

func (s *Server) broadcast(w http.ResponseWriter, r *http.Request) {
	if size := r.ContentLength; size < 0 || size > SmallBroadcastBody {
		if size < 0 || size > MaxBroadcastBody {
			size = MaxBroadcastBody // unannounced, or refused with 413 below
		}
		if !s.broadcastBytes.take(size) {
			w.Header().Set("Retry-After", "1")
			writeError(w, http.StatusServiceUnavailable, fmt.Errorf("%w: %d MiB of large transactions being received, try again shortly", ErrBusy, s.opts.BroadcastBytes>>20))
			return
		}
		defer s.broadcastBytes.give(size)
	}
	var req BroadcastRequest
	if err := decodeJSON(w, r, MaxBroadcastBody, &req); err != nil {
		writeBodyError(w, err)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(req.Tx)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode tx: not base64: %w", err))
		return
	}
	if len(raw) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decode tx: %w: no transaction", ErrBadBody))
		return
	}
	if req.Mode != "sync" && req.Mode != "commit" && req.Mode != "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("unknown mode %q: want sync or commit", req.Mode))
		return
	}
	res, err := s.consensus.BroadcastTxSync(r.Context(), raw)
	if err != nil && (errors.Is(err, mempool.ErrTxInCache) || strings.Contains(err.Error(), mempool.ErrTxInCache.Error())) {
		// The same bytes were submitted before: answer as the chain would
		// answer a replay, so clients see one error for it.
		writeJSON(w, http.StatusOK, TxResult{Hash: fmt.Sprintf("%X", types.Tx(raw).Hash()), Code: app.Code(app.ErrSequenceReplayed), Codespace: app.Codespace,
			Log: app.ErrSequenceReplayed.Error() + ": this exact transaction was already submitted"})
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("broadcast: %w", err))
		return
	}
	out := TxResult{Hash: res.Hash.String(), Code: res.Code, Codespace: res.Codespace, Log: res.Log}
	if res.Code != 0 || req.Mode != "commit" {
		writeJSON(w, http.StatusOK, out)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.CommitTimeout)
	defer cancel()
	committed, err := s.waitTx(ctx, res.Hash)
	if err != nil && r.Context().Err() == nil {
		// The wait ended, not the client: one last look with a context of
		// its own, since a block may have come with the deadline.
		last, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		if res, lerr := s.consensus.Tx(last, res.Hash, false); lerr == nil {
			committed, err = txResult(res), nil
		}
		cancel()
	}
	if err != nil {
		// Not known to be committed, nor to have failed: say so, with the
		// hash to look it up by, rather than report it lost.
		out.Pending = true
		out.Log = fmt.Sprintf("passed CheckTx; not in a committed block after %s (look it up by its hash)", s.opts.CommitTimeout)
		writeJSON(w, http.StatusAccepted, out)
		return
	}
	writeJSON(w, http.StatusOK, committed)
}

// waitTx polls the tx index until the transaction is in a committed block.
func (s *Server) waitTx(ctx context.Context, hash []byte) (TxResult, error) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		if res, err := s.consensus.Tx(ctx, hash, false); err == nil {
			return txResult(res), nil
		}
		select {
		case <-ctx.Done():
			return TxResult{}, ctx.Err()
		case <-t.C:
		}
	}
}

// EnclaveInfo is the answer of GET /hermetic/v1/enclave: the network's
// public enclave keys and attestation policy.
type EnclaveInfo struct {
	TxKey           []byte   `json:"tx_key"`
	SeedExchangeKey []byte   `json:"seed_exchange_key"`
	Measurements    [][]byte `json:"measurements"`
	AllowSimulated  bool     `json:"allow_simulated"`
}

func (s *Server) enclaveInfo(w http.ResponseWriter, _ *http.Request) {
	c := s.chain.EnclaveConfig()
	writeJSON(w, http.StatusOK, EnclaveInfo{TxKey: c.Keys.TxKey, SeedExchangeKey: c.Keys.SeedExchangeKey,
		Measurements: c.Policy.Measurements, AllowSimulated: c.Policy.AllowSimulated})
}

// TxKey is the answer of GET /registration/v1beta1/tx-key, in the shape
// Secret Network's client libraries expect.
type TxKey struct {
	Key []byte `json:"key"` // base64 in JSON
}

func (s *Server) txKey(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, TxKey{Key: s.chain.EnclaveConfig().Keys.TxKey})
}

func (s *Server) registration(w http.ResponseWriter, r *http.Request) {
	pub, err := hex.DecodeString(r.PathValue("pubkey"))
	if err != nil || len(pub) != 32 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("registration key must be 64 hex characters"))
		return
	}
	rec, err := s.chain.Registration(pub)
	if errors.Is(err, app.ErrNotRegistered) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, rec)
}

func (s *Server) code(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("code id must be a positive integer"))
		return
	}
	info, err := s.chain.CodeInfo(id)
	if errors.Is(err, compute.ErrUnknownCode) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

func (s *Server) contract(w http.ResponseWriter, r *http.Request) {
	addr, err := keys.ParseContractAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	info, err := s.chain.ContractInfo(addr)
	if errors.Is(err, compute.ErrUnknownContract) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// ContractQueryRequest is the body of POST /hermetic/v1/contracts/{address}/query:
// the query encrypted to the tx key (CRYPTO.md §2), or plaintext when
// Plaintext is set.
type ContractQueryRequest struct {
	Msg       []byte `json:"msg"`
	Plaintext bool   `json:"plaintext,omitempty"`
}

// ContractQueryResponse is the contract's answer, encrypted for the sender
// unless the query was plaintext.
type ContractQueryResponse struct {
	Data []byte `json:"data"`
}

func (s *Server) contractQuery(w http.ResponseWriter, r *http.Request) {
	addr, err := keys.ParseContractAddress(r.PathValue("address"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var req ContractQueryRequest
	if err := decodeJSON(w, r, MaxQueryBody, &req); err != nil {
		writeBodyError(w, err)
		return
	}
	if req.Plaintext {
		if err := checkPlaintextQuery(req.Msg); err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
	}
	release, ok := s.acquireQuery(r.Context())
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("%w: %d contract queries running, try again shortly", ErrBusy, s.opts.MaxConcurrentQueries))
		return
	}
	defer release()
	start := time.Now()
	if err := s.budget.admit(start); err != nil {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.opts.QueryTimeout)
	defer cancel()
	out, err := s.chain.ContractQuery(ctx, addr, req.Msg, req.Plaintext)
	end := time.Now()
	s.budget.charge(end, end.Sub(start))
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, ContractQueryResponse{Data: out})
	case errors.Is(err, context.DeadlineExceeded) || (errors.Is(ctx.Err(), context.DeadlineExceeded) && r.Context().Err() == nil):
		// The VM stops a query when its context is done; whatever it
		// wraps the cause in, a query that failed after its deadline
		// failed because of it.
		writeError(w, http.StatusGatewayTimeout, fmt.Errorf("%w: the query ran longer than %s", ErrQueryTimeout, s.opts.QueryTimeout))
	case errors.Is(err, context.Canceled) || r.Context().Err() != nil:
		// The client went away; nobody reads this answer.
		writeError(w, http.StatusServiceUnavailable, fmt.Errorf("query cancelled: %w", err))
	case errors.Is(err, compute.ErrUnknownContract):
		writeError(w, http.StatusNotFound, err)
	default:
		writeJSON(w, http.StatusBadRequest, Error{Error: err.Error(), Code: app.Code(err)})
	}
}

// Errors of contract queries the API refuses or stops itself.
var (
	// ErrBusy: as many contract queries as allowed are running (503, with
	// Retry-After).
	ErrBusy = errors.New("node busy")
	// ErrQueryTimeout: the query ran past its deadline (504).
	ErrQueryTimeout = errors.New("query timed out")
)

// acquireQuery takes a contract query slot, waiting at most opts.QueryWait
// (or until ctx is done) for one. It returns the slot's release, or false
// when there was none.
func (s *Server) acquireQuery(ctx context.Context) (release func(), ok bool) {
	release = func() { <-s.queries }
	select {
	case s.queries <- struct{}{}:
		return release, true
	default:
	}
	t := time.NewTimer(s.opts.QueryWait)
	defer t.Stop()
	select {
	case s.queries <- struct{}{}:
		return release, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}
