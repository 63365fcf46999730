package client

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/compute"
	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// fakeNode is an API with one contract whose code id a test changes (a
// migrate), and an enclave that opens inputs with its own key and refuses
// those encrypted for another code hash than the contract's, as the node
// does (code 43, cryptobox.ErrWrongCodeHash). It counts the requests of
// each route.
type fakeNode struct {
	*httptest.Server
	sk, pub  []byte
	contract keys.ContractAddress
	codeID   atomic.Uint64
	counts   sync.Map // route → *atomic.Int64
	seqs     []uint64 // sequences of the transactions broadcast
	mu       sync.Mutex
}

func codeHashOfID(id uint64) [32]byte { return sha256.Sum256([]byte(fmt.Sprint("code ", id))) }

func newFakeNode(t *testing.T) *fakeNode {
	t.Helper()
	f := &fakeNode{sk: make([]byte, 32), contract: keys.ContractAddress{7}}
	_, _ = rand.Read(f.sk)
	var err error
	f.pub, err = cryptobox.PublicKey(f.sk)
	require.NoError(t, err)
	f.codeID.Store(1)
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, r *http.Request) any) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			n, _ := f.counts.LoadOrStore(pattern, new(atomic.Int64))
			n.(*atomic.Int64).Add(1)
			out := h(w, r)
			if out == nil {
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(out)
		})
	}
	refuse := func(w http.ResponseWriter, err error) any {
		w.WriteHeader(http.StatusBadRequest)
		return api.Error{Error: err.Error(), Code: app.Code(err)}
	}
	handle("GET /registration/v1beta1/tx-key", func(http.ResponseWriter, *http.Request) any { return api.TxKey{Key: f.pub} })
	handle("GET /hermetic/v1/codes/{id}", func(_ http.ResponseWriter, r *http.Request) any {
		var id uint64
		_, _ = fmt.Sscan(r.PathValue("id"), &id)
		h := codeHashOfID(id)
		return compute.CodeInfo{CodeHash: hex.EncodeToString(h[:])}
	})
	handle("GET /hermetic/v1/contracts/{address}", func(http.ResponseWriter, *http.Request) any {
		return compute.ContractInfo{Address: f.contract, CodeID: f.codeID.Load()}
	})
	handle("POST /hermetic/v1/contracts/{address}/query", func(w http.ResponseWriter, r *http.Request) any {
		var req api.ContractQueryRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return refuse(w, err)
		}
		out, err := f.open(req.Msg)
		if err != nil {
			return refuse(w, err)
		}
		return api.ContractQueryResponse{Data: out}
	})
	handle("GET /hermetic/v1/status", func(http.ResponseWriter, *http.Request) any { return api.Status{ChainID: "fake"} })
	handle("GET /hermetic/v1/accounts/{address}", func(http.ResponseWriter, *http.Request) any {
		f.mu.Lock()
		defer f.mu.Unlock()
		return api.AccountResponse{Account: app.Account{Sequence: uint64(len(f.seqs))}}
	})
	handle("POST /hermetic/v1/txs", func(w http.ResponseWriter, r *http.Request) any {
		var req api.BroadcastRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return refuse(w, err)
		}
		raw, _ := base64.StdEncoding.DecodeString(req.Tx)
		t, err := tx.Decode(raw)
		if err != nil {
			return refuse(w, err)
		}
		f.mu.Lock()
		f.seqs = append(f.seqs, t.Sequence)
		f.mu.Unlock()
		m, err := tx.DecodeMsg(t.Msgs[0])
		if err != nil {
			return refuse(w, err)
		}
		out, err := f.open(m.(*tx.MsgExecute).Msg)
		if err != nil {
			return api.TxResult{Hash: "AB", Height: 5, Code: app.Code(err), Codespace: app.Codespace, Log: err.Error()}
		}
		data, _ := json.Marshal([][]byte{out})
		return api.TxResult{Hash: "AB", Height: 5, Data: data}
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// open plays the enclave: it decrypts the input, checks its code hash
// against the contract's current code and answers `{"echo":MSG}`
// encrypted for the sender.
func (f *fakeNode) open(wire []byte) ([]byte, error) {
	in, err := cryptobox.OpenInput(func(pub []byte) ([]byte, error) { return cryptobox.X25519(f.sk, pub) }, wire)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", compute.ErrInput, err)
	}
	if err := in.CheckCodeHash(codeHashOfID(f.codeID.Load())); err != nil {
		return nil, fmt.Errorf("%w: %w", compute.ErrInput, err)
	}
	return cryptobox.EncryptOutput(in.TxKey, []byte(`{"echo":`+string(in.Msg)+`}`))
}

func (f *fakeNode) count(pattern string) int64 {
	n, ok := f.counts.Load(pattern)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

const (
	routeTxKey    = "GET /registration/v1beta1/tx-key"
	routeCode     = "GET /hermetic/v1/codes/{id}"
	routeContract = "GET /hermetic/v1/contracts/{address}"
	routeQuery    = "POST /hermetic/v1/contracts/{address}/query"
	routeTxs      = "POST /hermetic/v1/txs"
)

// TestQueryCachesWhatDoesNotChange: after the first query, a client asks
// the node only the query itself — the tx key, the contract's code id and
// the code's hash come from its cache — also with concurrent callers.
func TestQueryCachesWhatDoesNotChange(t *testing.T) {
	f := newFakeNode(t)
	c := New(f.URL)
	ctx := context.Background()
	out, err := c.Query(ctx, f.contract, []byte(`1`), false)
	require.NoError(t, err)
	require.Equal(t, `{"echo":1}`, string(out))

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				msg := fmt.Sprint(i*10 + j)
				out, err := c.Query(ctx, f.contract, []byte(msg), false)
				if !(err == nil && string(out) == `{"echo":`+msg+`}`) {
					t.Errorf("query %s: %q, %v", msg, out, err)
				}
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 41, f.count(routeQuery))
	require.EqualValues(t, 1, f.count(routeTxKey))
	require.EqualValues(t, 1, f.count(routeContract))
	require.EqualValues(t, 1, f.count(routeCode))

	// Another client has its own cache.
	_, err = New(f.URL).Query(ctx, f.contract, []byte(`2`), false)
	require.NoError(t, err)
	require.EqualValues(t, 2, f.count(routeTxKey))
	require.EqualValues(t, 2, f.count(routeContract))
}

// TestQueryAfterMigrate: once the contract moved to other code, the cached
// code hash is wrong; the node refuses the input with ErrWrongCodeHash, and
// the client looks the contract up again and asks once more. Code ids
// already seen keep their cached hash.
func TestQueryAfterMigrate(t *testing.T) {
	f := newFakeNode(t)
	c := New(f.URL)
	ctx := context.Background()
	_, err := c.Query(ctx, f.contract, []byte(`1`), false)
	require.NoError(t, err)

	f.codeID.Store(2) // migrate
	out, err := c.Query(ctx, f.contract, []byte(`2`), false)
	require.NoError(t, err)
	require.Equal(t, `{"echo":2}`, string(out))
	require.EqualValues(t, 3, f.count(routeQuery), "the refused query and its retry")
	require.EqualValues(t, 2, f.count(routeContract))
	require.EqualValues(t, 2, f.count(routeCode), "code 2 looked up once")

	f.codeID.Store(1) // migrate back: code 1's hash is still cached
	_, err = c.Query(ctx, f.contract, []byte(`3`), false)
	require.NoError(t, err)
	require.EqualValues(t, 3, f.count(routeContract))
	require.EqualValues(t, 2, f.count(routeCode))
	require.EqualValues(t, 1, f.count(routeTxKey))
}

// TestQueryRetriesOnce: a node that refuses every input for its code hash
// gets one retry, and the error says why.
func TestQueryRetriesOnce(t *testing.T) {
	f := newFakeNode(t)
	c := New(f.URL)
	ctx := context.Background()
	_, err := c.Query(ctx, f.contract, []byte(`1`), false)
	require.NoError(t, err)
	// A cached code id whose hash the node will never accept.
	c.cache.setCodeID(f.contract, 9)
	f.codeID.Store(8)
	_, err = c.Query(ctx, f.contract, []byte(`2`), false)
	require.NoError(t, err, "the retry looked the contract up again")

	// Plaintext queries are neither encrypted nor retried.
	before := f.count(routeQuery)
	_, err = c.Query(ctx, f.contract, []byte(`3`), true)
	require.Error(t, err)
	require.False(t, errors.Is(err, cryptobox.ErrWrongCodeHash))
	require.Equal(t, before+1, f.count(routeQuery))
}

// TestWrongCodeHashErrorMatches: the node's refusal of an input encrypted
// for another code hash matches cryptobox.ErrWrongCodeHash through the API
// error, which is what the retry keys on.
func TestWrongCodeHashErrorMatches(t *testing.T) {
	err := &APIError{Status: http.StatusBadRequest, Message: "contract input refused: " + cryptobox.ErrWrongCodeHash.Error(),
		Code: app.Code(fmt.Errorf("%w: %w", compute.ErrInput, cryptobox.ErrWrongCodeHash))}
	require.True(t, wrongCodeHash(err))
	require.True(t, wrongCodeHash(app.ErrorForCode(err.Code, err.Message)))
	require.False(t, wrongCodeHash(&APIError{Status: http.StatusBadRequest, Message: "x", Code: app.Code(cryptobox.ErrDecrypt)}))
}

// TestExecuteAfterMigrate: an execute encrypted for the old code fails in
// its block (using its sequence); the client drops the cached code id and
// sends a new transaction at the next sequence.
func TestExecuteAfterMigrate(t *testing.T) {
	f := newFakeNode(t)
	c := New(f.URL)
	ctx := context.Background()
	key, err := keys.Generate(keys.KeyEd25519)
	require.NoError(t, err)
	res, err := c.Execute(ctx, key, f.contract, []byte(`1`), false, 0, TxOptions{})
	require.NoError(t, err)
	require.Equal(t, `{"echo":1}`, string(res.Data))

	f.codeID.Store(2)
	res, err = c.Execute(ctx, key, f.contract, []byte(`2`), false, 0, TxOptions{})
	require.NoError(t, err)
	require.Equal(t, `{"echo":2}`, string(res.Data))
	require.Equal(t, []uint64{0, 1, 2}, f.seqs)
	require.EqualValues(t, 3, f.count(routeTxs))

	// With an explicit sequence, the retry takes the next one.
	f.codeID.Store(3)
	seq := uint64(3)
	res, err = c.Execute(ctx, key, f.contract, []byte(`3`), false, 0, TxOptions{Sequence: &seq})
	require.NoError(t, err)
	require.Equal(t, `{"echo":3}`, string(res.Data))
	require.Equal(t, []uint64{0, 1, 2, 3, 4}, f.seqs)
	require.EqualValues(t, 1, f.count(routeTxKey))
}

// TestCacheIsBounded: a full cache starts over instead of growing.
func TestCacheIsBounded(t *testing.T) {
	var c cache
	for i := range uint64(maxCached + 10) {
		c.setHash(i, [32]byte{byte(i)})
		c.setCodeID(keys.ContractAddress{byte(i), byte(i >> 8)}, i)
	}
	require.LessOrEqual(t, len(c.hashes), maxCached)
	require.LessOrEqual(t, len(c.codeIDs), maxCached)
	last := uint64(maxCached + 9)
	h, ok := c.hash(last)
	require.True(t, ok)
	require.Equal(t, [32]byte{byte(last)}, h)
	addr := keys.ContractAddress{byte(last), byte(last >> 8)}
	id, ok := c.codeID(addr)
	require.True(t, ok)
	require.Equal(t, last, id)
	c.forget(addr)
	_, ok = c.codeID(addr)
	require.False(t, ok)
}
