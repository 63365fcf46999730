package client

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
	"github.com/hermetic-chain/hermetic/vm"
)

// ContractGasLimit is the gas limit of a contract transaction whose options
// give none: about three times what a transfer of the Go token uses
// (docs/gas.md).
const ContractGasLimit = 3_000_000

// StoreCodeGasLimit is the gas limit StoreCode gives an upload of n bytes
// (gzipped or not) of the module raw (uncompressed): the transaction's
// bytes, the code's (app.StoreCodeGas), and ContractGasLimit for the rest.
// A module the chain would refuse gets the gas of its bytes alone.
func StoreCodeGasLimit(n int, raw []byte) uint64 {
	code, err := app.StoreCodeGas(raw)
	if err != nil {
		code = app.GasStoreCodePerByte * uint64(len(raw))
	}
	return uint64(ContractGasLimit+app.GasTxPerByte*n) + code
}

// CodeInfo returns stored code's info.
func (c *Client) CodeInfo(ctx context.Context, id uint64) (compute.CodeInfo, error) {
	var ci compute.CodeInfo
	return ci, c.do(ctx, http.MethodGet, "/hermetic/v1/codes/"+strconv.FormatUint(id, 10), nil, &ci)
}

// ContractInfo returns a contract's info.
func (c *Client) ContractInfo(ctx context.Context, addr keys.ContractAddress) (compute.ContractInfo, error) {
	var ci compute.ContractInfo
	return ci, c.do(ctx, http.MethodGet, "/hermetic/v1/contracts/"+addr.String(), nil, &ci)
}

// ContractResult is a contract transaction's outcome, decrypted.
type ContractResult struct {
	TxHash   string
	Height   int64
	GasUsed  int64
	Contract keys.ContractAddress // set by instantiate
	CodeID   uint64               // set by store code
	// ReadyAt is when contracts can be made from stored code (set by store
	// code): zero for a module the block compiled, otherwise the block
	// time from which the chain has compiled it in the background
	// (compute.CodeInfo.ReadyAt). StoreCode waits for it.
	ReadyAt time.Time
	Data    []byte // the contract's response data, decrypted
}

// messageData returns the data of a transaction's first message.
func messageData(res api.TxResult) ([]byte, error) {
	if len(res.Data) == 0 {
		return nil, nil
	}
	var datas [][]byte
	if err := json.Unmarshal(res.Data, &datas); err != nil || len(datas) == 0 {
		return nil, fmt.Errorf("transaction data is not a list of message data")
	}
	return datas[0], nil
}

// contractTx sends one compute message and waits for its block; a failure's
// encrypted error is decrypted with sess.
func (c *Client) contractTx(ctx context.Context, key keys.PrivKey, m tx.Msg, sess *Session, o TxOptions) (ContractResult, []byte, error) {
	if o.GasLimit == 0 {
		o.GasLimit = ContractGasLimit
	}
	res, err := c.SendTx(ctx, key, []tx.Msg{m}, o, true)
	out := ContractResult{TxHash: res.Hash, Height: res.Height, GasUsed: res.GasUsed}
	if err != nil {
		if sess != nil && strings.Contains(res.Log, EncryptedErrorPrefix) {
			return out, nil, errors.Join(err, sess.DecryptError(res.Log))
		}
		return out, nil, err
	}
	data, err := messageData(res)
	return out, data, err
}

// StoreCode uploads a contract module, gzipped (as the chain accepts) if it
// is not already.
func (c *Client) StoreCode(ctx context.Context, key keys.PrivKey, wasm []byte, o TxOptions) (ContractResult, error) {
	raw := wasm // the chain charges for the uncompressed module
	if r, err := vm.Unpack(wasm, vm.DefaultMaxCodeSize); err == nil {
		raw = r
	}
	if !bytes.HasPrefix(wasm, []byte{0x1f, 0x8b}) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(wasm); err != nil {
			return ContractResult{}, err
		}
		if err := zw.Close(); err != nil {
			return ContractResult{}, err
		}
		wasm = buf.Bytes()
	}
	if o.GasLimit == 0 {
		o.GasLimit = StoreCodeGasLimit(len(wasm), raw)
	}
	out, data, err := c.contractTx(ctx, key, &tx.MsgStoreCode{Sender: key.PubKey().Address(), WASM: wasm}, nil, o)
	if err != nil {
		return out, err
	}
	if out.CodeID, err = strconv.ParseUint(string(data), 10, 64); err != nil {
		return out, err
	}
	info, err := c.CodeInfo(ctx, out.CodeID)
	if err != nil {
		return out, fmt.Errorf("stored code %d: %w", out.CodeID, err)
	}
	out.ReadyAt = info.ReadyAt
	return out, c.WaitCodeReady(ctx, info.ReadyAt)
}

// WaitCodeReady waits until the chain's latest block time reaches readyAt
// (a stored code's ReadyAt): from then on, contracts can be made from the
// code. A zero readyAt returns at once.
func (c *Client) WaitCodeReady(ctx context.Context, readyAt time.Time) error {
	if readyAt.IsZero() {
		return nil
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := c.Status(ctx)
		if err == nil && !st.LatestBlockTime.Before(readyAt) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the code to be compiled (ready at %s): %w", readyAt.Format(time.RFC3339), ctx.Err())
		case <-tick.C:
		}
	}
}

// Instantiate creates a contract; msg is encrypted for it unless plaintext.
func (c *Client) Instantiate(ctx context.Context, key keys.PrivKey, codeID uint64, label string, admin keys.Address, msg []byte, plaintext bool, o TxOptions) (ContractResult, error) {
	m := &tx.MsgInstantiate{Sender: key.PubKey().Address(), CodeID: codeID, Label: label, Admin: admin, Plaintext: plaintext}
	var (
		sess *Session
		err  error
	)
	if m.Msg, sess, err = c.seal(ctx, plaintext, msg, func(ctx context.Context) ([32]byte, error) { return c.codeHashOf(ctx, codeID) }); err != nil {
		return ContractResult{}, err
	}
	out, data, err := c.contractTx(ctx, key, m, sess, o)
	if err != nil {
		return out, err
	}
	addr, rest, _ := strings.Cut(string(data), "\n")
	if out.Contract, err = keys.ParseContractAddress(addr); err != nil {
		return out, fmt.Errorf("instantiate answered no contract address: %w", err)
	}
	out.Data, err = decryptData(sess, []byte(rest))
	return out, err
}

func decryptData(sess *Session, data []byte) ([]byte, error) {
	if sess == nil || len(data) == 0 {
		return data, nil
	}
	return sess.Decrypt(data)
}

// Execute calls a contract; msg is encrypted for it unless plaintext, and
// the answer decrypted. The contract's code hash comes from the client's
// cache; if the chain refuses the input because the contract was migrated
// meanwhile (cryptobox.ErrWrongCodeHash), Execute looks the code up again
// and sends the transaction once more (with o.Sequence, at the next
// sequence: the refused transaction used its own).
func (c *Client) Execute(ctx context.Context, key keys.PrivKey, contract keys.ContractAddress, msg []byte, plaintext bool, funds uint64, o TxOptions) (ContractResult, error) {
	out, err := c.execute(ctx, key, contract, msg, plaintext, funds, o)
	if plaintext || !wrongCodeHash(err) {
		return out, err
	}
	c.cache.forget(contract)
	if o.Sequence != nil {
		next := *o.Sequence + 1
		o.Sequence = &next
	}
	return c.execute(ctx, key, contract, msg, plaintext, funds, o)
}

func (c *Client) execute(ctx context.Context, key keys.PrivKey, contract keys.ContractAddress, msg []byte, plaintext bool, funds uint64, o TxOptions) (ContractResult, error) {
	m := &tx.MsgExecute{Sender: key.PubKey().Address(), Contract: contract, Plaintext: plaintext}
	if funds > 0 {
		m.Funds = tx.Coin{Denom: tx.Denom, Amount: funds}
	}
	var (
		sess *Session
		err  error
	)
	if m.Msg, sess, err = c.seal(ctx, plaintext, msg, func(ctx context.Context) ([32]byte, error) { return c.contractCodeHash(ctx, contract) }); err != nil {
		return ContractResult{}, err
	}
	return c.sendSealed(ctx, key, m, sess, o)
}

// Query asks a contract; msg is encrypted for it unless plaintext, and the
// answer (or the contract's error) decrypted. The contract's code hash and
// the network's tx key come from the client's cache, so a query is one
// request once they are known; if the node refuses the input because the
// contract was migrated meanwhile (cryptobox.ErrWrongCodeHash), Query looks
// the code up again and asks once more. A node too busy to answer (503,
// its query slots or query time used up) is asked again after the wait it
// names, up to QueryRetries times while ctx lasts.
func (c *Client) Query(ctx context.Context, contract keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.queryOnce(ctx, contract, msg, plaintext)
		var busy *APIError
		if attempt == QueryRetries || !errors.As(err, &busy) || busy.Status != http.StatusServiceUnavailable || busy.RetryAfter <= 0 {
			return out, err
		}
		t := time.NewTimer(min(busy.RetryAfter, maxQueryRetryWait))
		select {
		case <-ctx.Done():
			t.Stop()
			return out, err
		case <-t.C:
		}
	}
}

// QueryRetries is how many times Query asks a busy node again.
const QueryRetries = 3

// maxQueryRetryWait caps the wait between Query's attempts, whatever the
// node asks.
const maxQueryRetryWait = 2 * time.Second

// queryOnce is one query, asked again once if the contract was migrated.
func (c *Client) queryOnce(ctx context.Context, contract keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error) {
	out, err := c.query(ctx, contract, msg, plaintext)
	if plaintext || !wrongCodeHash(err) {
		return out, err
	}
	c.cache.forget(contract)
	return c.query(ctx, contract, msg, plaintext)
}

func (c *Client) query(ctx context.Context, contract keys.ContractAddress, msg []byte, plaintext bool) ([]byte, error) {
	req := api.ContractQueryRequest{Plaintext: plaintext}
	var (
		sess *Session
		err  error
	)
	if req.Msg, sess, err = c.seal(ctx, plaintext, msg, func(ctx context.Context) ([32]byte, error) { return c.contractCodeHash(ctx, contract) }); err != nil {
		return nil, err
	}
	var res api.ContractQueryResponse
	if err := c.do(ctx, http.MethodPost, "/hermetic/v1/contracts/"+contract.String()+"/query", req, &res); err != nil {
		if sess != nil && strings.Contains(err.Error(), EncryptedErrorPrefix) {
			return nil, errors.Join(err, sess.DecryptError(err.Error()))
		}
		return nil, err
	}
	return decryptData(sess, res.Data)
}

// Migrate moves a contract to new code (admin only); msg is encrypted for
// the new code unless plaintext.
func (c *Client) Migrate(ctx context.Context, key keys.PrivKey, contract keys.ContractAddress, codeID uint64, msg []byte, plaintext bool, o TxOptions) (ContractResult, error) {
	m := &tx.MsgMigrate{Sender: key.PubKey().Address(), Contract: contract, CodeID: codeID, Plaintext: plaintext}
	var (
		sess *Session
		err  error
	)
	if m.Msg, sess, err = c.seal(ctx, plaintext, msg, func(ctx context.Context) ([32]byte, error) { return c.codeHashOf(ctx, codeID) }); err != nil {
		return ContractResult{}, err
	}
	return c.sendSealed(ctx, key, m, sess, o)
}

// seal returns msg encrypted for the code whose hash codeHash looks up, and
// the session that decrypts the answer; msg itself when plaintext.
func (c *Client) seal(ctx context.Context, plaintext bool, msg []byte, codeHash func(context.Context) ([32]byte, error)) ([]byte, *Session, error) {
	if plaintext {
		return msg, nil, nil
	}
	hash, err := codeHash(ctx)
	if err != nil {
		return nil, nil, err
	}
	return c.Encryptor().Encrypt(ctx, hash, msg)
}

// sendSealed sends a contract transaction and decrypts its answer.
func (c *Client) sendSealed(ctx context.Context, key keys.PrivKey, m tx.Msg, sess *Session, o TxOptions) (ContractResult, error) {
	out, data, err := c.contractTx(ctx, key, m, sess, o)
	if err != nil {
		return out, err
	}
	out.Data, err = decryptData(sess, data)
	return out, err
}
