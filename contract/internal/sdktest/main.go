// Command sdktest is a contract exercising every part of the SDK's ABI glue
// in the VM: storage and iteration, every API import, the querier, abort,
// panics, time and randomness. Each execute message answers in the
// response's data, as JSON.
package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hermetic-chain/hermetic/contract"
)

func init() {
	contract.Register(contract.Handlers{
		Instantiate: func(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
			return contract.NewResponse(), nil
		},
		Execute: execute,
		Query: func(deps contract.Deps, env contract.Env, msg []byte) ([]byte, error) {
			resp, err := execute(deps, env, contract.MessageInfo{}, msg)
			if err != nil {
				return nil, err
			}
			return contract.Pad(resp.Data, 32), nil
		},
	})
}

func main() {}

type kv struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func execute(deps contract.Deps, env contract.Env, info contract.MessageInfo, msg []byte) (*contract.Response, error) {
	name, body, err := contract.Variant(msg)
	if err != nil {
		return nil, err
	}
	var out any
	switch name {
	case "set":
		var m []kv
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		for _, e := range m {
			deps.Storage.Set([]byte(e.Key), []byte(e.Value))
		}
		out = len(m)
	case "remove":
		var k string
		if err := json.Unmarshal(body, &k); err != nil {
			return nil, err
		}
		deps.Storage.Remove([]byte(k))
		out = deps.Storage.Get([]byte(k)) == nil
	case "get":
		var k string
		if err := json.Unmarshal(body, &k); err != nil {
			return nil, err
		}
		if v := deps.Storage.Get([]byte(k)); v != nil {
			out = string(v)
		}
	case "range":
		var m struct {
			Start, End *string
			Desc       bool
			Limit      int
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		var start, end []byte
		if m.Start != nil {
			start = []byte(*m.Start)
		}
		if m.End != nil {
			end = []byte(*m.End)
		}
		order := contract.Ascending
		if m.Desc {
			order = contract.Descending
		}
		list := []kv{}
		for k, v := range deps.Storage.Range(start, end, order) {
			if m.Limit > 0 && len(list) == m.Limit {
				break
			}
			list = append(list, kv{string(k), string(v)})
		}
		out = list
	case "stress":
		// Many allocations and host calls with the collector running in
		// between: the regions the host fills must stay alive.
		var n int
		if err := json.Unmarshal(body, &n); err != nil {
			return nil, err
		}
		m := contract.NewMap[string, string]("stress")
		for i := range n {
			if err := m.Save(deps.Storage, fmt.Sprintf("%06d", i), strings.Repeat(fmt.Sprint(i%10), 1000+i)); err != nil {
				return nil, err
			}
			if i%50 == 0 {
				runtime.GC()
			}
		}
		count := 0
		for k, v := range m.Range(deps.Storage, nil, nil, contract.Ascending) {
			i, _ := strconv.Atoi(k)
			if i != count || len(v) != 1000+i || v[0] != byte('0'+i%10) {
				return nil, fmt.Errorf("entry %d: key %q, %d bytes", count, k, len(v))
			}
			count++
			runtime.GC()
		}
		out = count
	case "range_then_write":
		// A partly consumed iterator, then writes in its range: the host
		// keeps the iterator open until the call ends.
		for range deps.Storage.Range(nil, nil, contract.Ascending) {
			break
		}
		for i := range 20 {
			deps.Storage.Set([]byte(fmt.Sprintf("w%02d", i)), []byte("x"))
		}
		n := 0
		for range deps.Storage.Range(nil, nil, contract.Ascending) {
			n++
		}
		out = n
	case "addr":
		var h string
		if err := json.Unmarshal(body, &h); err != nil {
			return nil, err
		}
		r := map[string]any{"validate": errString(deps.API.AddrValidate(h))}
		c, err := deps.API.AddrCanonicalize(h)
		r["canonical"], r["canonicalize_error"] = c, errString(err)
		if err == nil {
			back, err := deps.API.AddrHumanize(c)
			r["human"], r["humanize_error"] = back, errString(err)
		}
		_, err = deps.API.AddrHumanize([]byte("bad"))
		r["bad_humanize_error"] = errString(err)
		out = r
	case "secp256k1":
		var m struct {
			Hash, Sig, Pub []byte
			Param          uint8
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		ok, err := deps.API.Secp256k1Verify(m.Hash, m.Sig, m.Pub)
		pub, rerr := deps.API.Secp256k1RecoverPubkey(m.Hash, m.Sig, m.Param)
		out = map[string]any{"verified": ok, "error": errString(err), "recovered": pub, "recover_error": errString(rerr)}
	case "ed25519":
		var m struct {
			Msgs, Sigs, Pubs [][]byte
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		ok, err := deps.API.Ed25519Verify(m.Msgs[0], m.Sigs[0], m.Pubs[0])
		bok, berr := deps.API.Ed25519BatchVerify(m.Msgs, m.Sigs, m.Pubs)
		out = map[string]any{"verified": ok, "error": errString(err), "batch": bok, "batch_error": errString(berr)}
	case "debug":
		var s string
		if err := json.Unmarshal(body, &s); err != nil {
			return nil, err
		}
		deps.API.Debug(s)
		out = true
	case "query_contract":
		var m struct {
			Addr string
			Msg  json.RawMessage
		}
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		b, err := contract.QueryContract(deps.Querier, m.Addr, m.Msg)
		out = map[string]any{"answer": string(b), "error": errString(err),
			"system": errors.Is(err, contract.ErrSystem), "queried": errors.Is(err, contract.ErrQueried)}
	case "abort":
		contract.Abort("giving up")
	case "panic":
		panic("handler panicked")
	case "write_empty":
		deps.Storage.Set([]byte("k"), []byte{})
	case "clock":
		var b [16]byte
		_, _ = rand.Read(b[:])
		ts, err := env.Block.Timestamp()
		if err != nil {
			return nil, err
		}
		out = map[string]any{"now": time.Now().UnixNano(), "block": ts.UnixNano(), "rand": b[:]}
	default:
		return nil, fmt.Errorf("unknown message %q", name)
	}
	data, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return contract.NewResponse().SetData(data), nil
}
