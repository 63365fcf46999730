// Package client is the Go client of a Hermetic node's HTTP JSON API: it
// reads accounts, blocks, transactions and validators, verifies account
// proofs against block headers, and signs and broadcasts transactions. The
// CLI is built on it.
package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// DefaultNode is the API address a client uses unless told otherwise.
const DefaultNode = "http://127.0.0.1:1317"

// Client talks to one node's API.
type Client struct {
	base  string
	http  *http.Client
	cache cache
}

// New returns a client of the API at base (e.g. "http://127.0.0.1:1317").
func New(base string) *Client {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	return &Client{base: strings.TrimRight(base, "/"), http: newHTTPClient()}
}

// BaseURL returns the API address the client talks to.
func (c *Client) BaseURL() string { return c.base }

// APIError is an error answer from the node.
type APIError struct {
	Status  int
	Message string
	// Code is the app's error code when the node gave one.
	Code uint32
	// RetryAfter is how long the node asked the client to wait before it
	// tries again (a 503's Retry-After header; 0 when it gave none).
	RetryAfter time.Duration
}

func (e *APIError) Error() string { return e.Message }

// Unwrap returns the app's sentinel error for the code, so that
// errors.Is(err, app.ErrContractFailed) works on API errors.
func (e *APIError) Unwrap() error {
	if e.Code == 0 {
		return nil
	}
	return app.ErrorForCode(e.Code, e.Message)
}

// ErrNotFound matches an APIError whose status is 404.
var ErrNotFound = errors.New("not found")

// Is makes errors.Is(err, ErrNotFound) work for 404 answers.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		bz, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(bz)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reach node at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	bz, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer of %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
		ae := &APIError{Status: resp.StatusCode, Message: fmt.Sprintf("%s %s: %s", method, path, resp.Status)}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			ae.RetryAfter = time.Duration(secs) * time.Second
		}
		var e api.Error
		if json.Unmarshal(bz, &e) == nil && e.Error != "" {
			ae.Message, ae.Code = e.Error, e.Code
		}
		return ae
	}
	if err := json.Unmarshal(bz, out); err != nil {
		return fmt.Errorf("decode answer of %s: %w", path, err)
	}
	return nil
}

// Status returns the node's status.
func (c *Client) Status(ctx context.Context) (api.Status, error) {
	var s api.Status
	return s, c.do(ctx, http.MethodGet, "/hermetic/v1/status", nil, &s)
}

// Account returns an account at height (0: latest), with proofs if prove.
func (c *Client) Account(ctx context.Context, addr keys.Address, height int64, prove bool) (api.AccountResponse, error) {
	q := url.Values{}
	if height > 0 {
		q.Set("height", strconv.FormatInt(height, 10))
	}
	if prove {
		q.Set("prove", "true")
	}
	path := "/hermetic/v1/accounts/" + addr.String()
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var r api.AccountResponse
	return r, c.do(ctx, http.MethodGet, path, nil, &r)
}

// Balance returns an account's balance.
func (c *Client) Balance(ctx context.Context, addr keys.Address) (api.Balance, error) {
	var b api.Balance
	return b, c.do(ctx, http.MethodGet, "/hermetic/v1/accounts/"+addr.String()+"/balance", nil, &b)
}

// Validators returns the current validator set.
func (c *Client) Validators(ctx context.Context) (api.ValidatorsResponse, error) {
	var v api.ValidatorsResponse
	return v, c.do(ctx, http.MethodGet, "/hermetic/v1/validators", nil, &v)
}

// Block returns the block at height (0: latest).
func (c *Client) Block(ctx context.Context, height int64) (api.Block, error) {
	h := "latest"
	if height > 0 {
		h = strconv.FormatInt(height, 10)
	}
	var b api.Block
	return b, c.do(ctx, http.MethodGet, "/hermetic/v1/blocks/"+h, nil, &b)
}

// Tx returns a committed transaction by its hash (hex).
func (c *Client) Tx(ctx context.Context, hash string) (api.TxResult, error) {
	var t api.TxResult
	return t, c.do(ctx, http.MethodGet, "/hermetic/v1/txs/"+hash, nil, &t)
}

// Broadcast sends an encoded transaction. With commit, it waits until the
// transaction is in a committed block and returns its result.
func (c *Client) Broadcast(ctx context.Context, raw []byte, commit bool) (api.TxResult, error) {
	mode := "sync"
	if commit {
		mode = "commit"
	}
	var r api.TxResult
	err := c.do(ctx, http.MethodPost, "/hermetic/v1/txs", api.BroadcastRequest{Tx: base64.StdEncoding.EncodeToString(raw), Mode: mode}, &r)
	return r, err
}

// TxOptions are the fee settings of a transaction; zero values take
// defaults from the chain's minimum gas price.
type TxOptions struct {
	GasLimit uint64
	Fee      uint64 // uherm; 0: the minimum for GasLimit
	Memo     string
	// Sequence overrides the account's next sequence (for batches); nil
	// asks the node.
	Sequence *uint64
}

// DefaultGasLimit is the gas limit of a transaction whose options give none:
// a bank send uses about 210,000 gas (260,000 from a P-256 key), a bond or
// an unbond up to about 400,000 (docs/gas.md).
const DefaultGasLimit = 500_000

// BuildTx signs msgs with key for the node's chain.
func (c *Client) BuildTx(ctx context.Context, key keys.PrivKey, msgs []tx.Msg, o TxOptions) (*tx.Tx, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return nil, err
	}
	var seq uint64
	if o.Sequence != nil {
		seq = *o.Sequence
	} else {
		acc, err := c.Account(ctx, key.PubKey().Address(), 0, false)
		if err != nil {
			return nil, fmt.Errorf("read sequence: %w", err)
		}
		seq = acc.Account.Sequence
	}
	return NewTx(st.ChainID, key, seq, msgs, o)
}

// NewTx signs msgs offline with an explicit chain id and sequence.
func NewTx(chainID string, key keys.PrivKey, seq uint64, msgs []tx.Msg, o TxOptions) (*tx.Tx, error) {
	gas := o.GasLimit
	if gas == 0 {
		gas = DefaultGasLimit
	}
	fee := o.Fee
	if fee == 0 {
		fee = app.DefaultParams().MinFee(gas)
	}
	t := &tx.Tx{
		Version: tx.Version, ChainID: chainID, Signer: key.PubKey(), Sequence: seq,
		Fee: tx.Coin{Denom: tx.Denom, Amount: fee}, GasLimit: gas, Memo: o.Memo,
	}
	for _, m := range msgs {
		t.Msgs = append(t.Msgs, tx.NewAny(m))
	}
	if err := t.Sign(key); err != nil {
		return nil, fmt.Errorf("sign transaction: %w", err)
	}
	return t, nil
}

// SendTx signs msgs, broadcasts them and, with commit, waits for the block.
// A transaction the chain refuses comes back as an error that matches the
// app's sentinel errors (app.ErrInsufficientFunds, ...).
func (c *Client) SendTx(ctx context.Context, key keys.PrivKey, msgs []tx.Msg, o TxOptions, commit bool) (api.TxResult, error) {
	t, err := c.BuildTx(ctx, key, msgs, o)
	if err != nil {
		return api.TxResult{}, err
	}
	res, err := c.Broadcast(ctx, t.Marshal(), commit)
	if err != nil {
		return res, err
	}
	if res.Pending {
		res, err = c.WaitTx(ctx, res.Hash)
		if err != nil {
			return res, err
		}
	}
	if res.Code != 0 {
		return res, app.ErrorForCode(res.Code, res.Log)
	}
	return res, nil
}

// ErrPending: a transaction passed CheckTx but was not in a committed block
// when the caller stopped waiting. It may still be committed (or dropped
// from the mempool); look it up by its hash.
var ErrPending = errors.New("transaction pending")

// WaitTx waits until the transaction with hash (hex) is in a committed
// block and returns its result; if ctx ends first, the result has Pending
// set and the error wraps ErrPending and names the hash.
func (c *Client) WaitTx(ctx context.Context, hash string) (api.TxResult, error) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		// Not found yet, or the node briefly busy: ask again until ctx ends.
		if res, err := c.Tx(ctx, hash); err == nil {
			return res, nil
		}
		select {
		case <-ctx.Done():
			return api.TxResult{Hash: hash, Pending: true}, fmt.Errorf("%w: %s passed CheckTx and is not in a committed block yet (%v); look it up with `hermeticd query tx %s`",
				ErrPending, hash, ctx.Err(), hash)
		case <-t.C:
		}
	}
}
