//go:build !wasip1

package contract

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPad(t *testing.T) {
	for _, tc := range []struct {
		in    string
		block int
		want  int
	}{
		{"", 16, 0}, {"a", 16, 16}, {"0123456789abcdef", 16, 16}, {"0123456789abcdefg", 16, 32},
		{"abc", 0, 3}, {"abc", -4, 3}, {"abc", 1, 3}, {"abcd", 3, 6},
	} {
		in := []byte(tc.in)
		out := Pad(in, tc.block)
		require.Len(t, out, tc.want, "%q/%d", tc.in, tc.block)
		require.Equal(t, tc.in, string(out[:len(in)]))
		for _, c := range out[len(in):] {
			require.Equal(t, byte(' '), c)
		}
		if len(out) > 0 {
			out[0] = 'X'
			require.Equal(t, tc.in, string(in), "Pad must not alias its input")
		}
	}
	// Padded JSON still decodes.
	var v map[string]int
	require.NoError(t, json.Unmarshal(Pad([]byte(`{"count":7}`), 64), &v))
	require.Equal(t, map[string]int{"count": 7}, v)
}

func TestSections(t *testing.T) {
	enc := encodeSections([]byte("key"), []byte("value!"))
	require.Equal(t, []byte("key\x00\x00\x00\x03value!\x00\x00\x00\x06"), enc)
	s, err := decodeSections(enc)
	require.NoError(t, err)
	require.Equal(t, [][]byte{[]byte("key"), []byte("value!")}, s)

	// Empty sections, as db_next ends an iteration.
	end := encodeSections(nil, nil)
	require.Equal(t, make([]byte, 8), end)
	_, _, ok, err := decodeNext(end)
	require.NoError(t, err)
	require.False(t, ok)

	k, v, ok, err := decodeNext(enc)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "key", string(k))
	require.Equal(t, "value!", string(v))

	// An empty value with a key is an entry, not the end.
	_, v, ok, err = decodeNext(encodeSections([]byte("k"), nil))
	require.NoError(t, err)
	require.True(t, ok)
	require.Empty(t, v)

	for _, bad := range [][]byte{{0, 0, 1}, {0, 0, 0, 9}, []byte("ab\x00\x00\x00\x03")} {
		_, err := decodeSections(bad)
		require.ErrorIs(t, err, errSections, "%x", bad)
	}
	_, _, _, err = decodeNext(encodeSections([]byte("a")))
	require.ErrorIs(t, err, errSections)

	// Appending to a decoded section must not clobber the next one.
	s, err = decodeSections(encodeSections([]byte("a"), []byte("b")))
	require.NoError(t, err)
	_ = append(s[0], 'Z')
	require.Equal(t, "b", string(s[1]))
}

func TestNamespaceKeys(t *testing.T) {
	// cw-storage-plus: Map::new("balances").key(b"alice")
	require.Equal(t, []byte("\x00\x08balancesalice"), NamespaceKey([]byte("balances"), []byte("alice")))
	m := NewMap[string, int]("balances")
	require.Equal(t, []byte("\x00\x08balancesalice"), m.Key("alice"))
	require.Equal(t, []byte("\x00\x08balances"), m.Key(""))
	require.Equal(t, []byte("state"), NewItem[int]("state").Key())

	require.Equal(t, []byte("ab"), PrefixEnd([]byte("aa")))
	require.Equal(t, []byte("b"), PrefixEnd([]byte("a\xff\xff")))
	require.Nil(t, PrefixEnd([]byte("\xff\xff")))
	require.Nil(t, PrefixEnd(nil))

	require.Equal(t, "\x00\x00\x00\x00\x00\x00\x01\x02", U64Key(258))
	n, err := ParseU64Key(U64Key(1 << 40))
	require.NoError(t, err)
	require.Equal(t, uint64(1<<40), n)
	_, err = ParseU64Key("short")
	require.Error(t, err)
	require.Less(t, U64Key(255), U64Key(256), "U64Key sorts numerically")

	require.Panics(t, func() { NamespaceKey(make([]byte, 1<<16), nil) })
	require.Panics(t, func() { NewItem[int]("") })
	require.Panics(t, func() { NewMap[string, int]("") })
}

func TestItem(t *testing.T) {
	s := NewMemoryStorage()
	it := NewItem[map[string]int]("config")
	_, err := it.Load(s)
	require.ErrorIs(t, err, ErrNotFound)
	_, ok, err := it.MayLoad(s)
	require.NoError(t, err)
	require.False(t, ok)
	require.False(t, it.Exists(s))

	require.NoError(t, it.Save(s, map[string]int{"a": 1}))
	require.Equal(t, `{"a":1}`, string(s.Get([]byte("config"))))
	v, err := it.Load(s)
	require.NoError(t, err)
	require.Equal(t, map[string]int{"a": 1}, v)
	require.True(t, it.Exists(s))

	v, err = it.Update(s, func(m map[string]int) (map[string]int, error) { m["b"] = 2; return m, nil })
	require.NoError(t, err)
	require.Equal(t, map[string]int{"a": 1, "b": 2}, v)
	boom := errors.New("boom")
	_, err = it.Update(s, func(m map[string]int) (map[string]int, error) { return nil, boom })
	require.ErrorIs(t, err, boom)
	v, _ = it.Load(s)
	require.Len(t, v, 2, "a failed update saves nothing")

	it.Remove(s)
	require.False(t, it.Exists(s))

	s.Set([]byte("config"), []byte("not json"))
	_, err = it.Load(s)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNotFound)
}

func TestMapRange(t *testing.T) {
	s := NewMemoryStorage()
	m := NewMap[string, int]("m")
	other := NewMap[[]byte, string]("m2") // a namespace that extends "m" must not leak into it
	for i, k := range []string{"b", "a", "d", "c"} {
		require.NoError(t, m.Save(s, k, i))
	}
	require.NoError(t, other.Save(s, []byte("a"), "x"))
	s.Set([]byte("m"), []byte("1")) // nor an Item named like the namespace
	s.Set([]byte("\x00\x01m"), []byte("1"))
	m.Remove(s, "zz")
	s.Remove([]byte("\x00\x01m"))

	collect := func(start, end *string, o Order) (keys []string, vals []int) {
		for k, v := range m.Range(s, start, end, o) {
			keys = append(keys, k)
			vals = append(vals, v)
		}
		return
	}
	keys, vals := collect(nil, nil, Ascending)
	require.Equal(t, []string{"a", "b", "c", "d"}, keys)
	require.Equal(t, []int{1, 0, 3, 2}, vals)
	keys, _ = collect(nil, nil, Descending)
	require.Equal(t, []string{"d", "c", "b", "a"}, keys)
	b, d := "b", "d"
	keys, _ = collect(&b, &d, Ascending)
	require.Equal(t, []string{"b", "c"}, keys)
	keys, _ = collect(&b, nil, Descending)
	require.Equal(t, []string{"d", "c", "b"}, keys)
	require.Equal(t, []string{"a"}, slices.Collect(m.Keys(s, nil, &b, Ascending)))

	// Early break.
	n := 0
	for range m.Range(s, nil, nil, Ascending) {
		n++
		break
	}
	require.Equal(t, 1, n)

	require.True(t, m.Has(s, "a"))
	v, err := m.Load(s, "c")
	require.NoError(t, err)
	require.Equal(t, 3, v)
	_, err = m.Load(s, "zz")
	require.ErrorIs(t, err, ErrNotFound)

	// A corrupt value panics out of Range; RangeRaw shows it.
	s.Set(m.Key("e"), []byte("{"))
	require.Panics(t, func() {
		for range m.Range(s, nil, nil, Ascending) {
		}
	})
	for k, raw := range m.RangeRaw(s, &d, nil, Ascending) {
		if k == "e" {
			require.Equal(t, "{", string(raw))
		}
	}
}

func TestMemoryStorage(t *testing.T) {
	s := NewMemoryStorage()
	require.Panics(t, func() { s.Set([]byte("k"), nil) })
	require.Panics(t, func() { s.Set([]byte("k"), []byte{}) })
	require.Panics(t, func() { s.Get(nil) })
	s.Set([]byte("k"), []byte("v"))
	v := s.Get([]byte("k"))
	v[0] = 'X'
	require.Equal(t, "v", string(s.Get([]byte("k"))), "Get returns a copy")
	require.Nil(t, s.Get([]byte("missing")))
	require.Equal(t, 1, s.Len())
}

func TestResponseJSON(t *testing.T) {
	send := NewBankSend("herm1to", NewCoin(100, "uherm"))
	exec, err := NewWasmExecute("herm1c", map[string]any{"increment": struct{}{}})
	require.NoError(t, err)
	inst, err := NewWasmInstantiate(7, json.RawMessage(`{"count":1}`), "label", "herm1admin")
	require.NoError(t, err)
	gas := uint64(500_000)
	r := NewResponse().
		AddAttribute("action", "go").
		AddEvent(NewEvent("transfer").AddAttribute("amount", "100")).
		AddEvent(&Event{Type: "empty"}).
		AddMessage(send).
		AddSubMessage(SubMsg{ID: 9, Msg: exec, GasLimit: &gas, ReplyOn: ReplyAlways}).
		AddSubMessage(SubMsg{ID: 10, Msg: inst}).
		SetData([]byte("hi"))
	n := r.normalized()
	b, err := json.Marshal(responseOk{Ok: n})
	require.NoError(t, err)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	require.JSONEq(t, `{"ok":{
		"messages":[
			{"id":0,"msg":{"bank":{"send":{"to_address":"herm1to","amount":[{"denom":"uherm","amount":"100"}]}}},"reply_on":"never"},
			{"id":9,"msg":{"wasm":{"execute":{"contract_addr":"herm1c","msg":"`+b64(`{"increment":{}}`)+`","funds":[]}}},"gas_limit":500000,"reply_on":"always"},
			{"id":10,"msg":{"wasm":{"instantiate":{"admin":"herm1admin","code_id":7,"msg":"`+b64(`{"count":1}`)+`","funds":[],"label":"label"}}},"reply_on":"never"}],
		"attributes":[{"key":"action","value":"go"}],
		"events":[{"type":"transfer","attributes":[{"key":"amount","value":"100"}]},{"type":"empty","attributes":[]}],
		"data":"`+b64("hi")+`"}}`, string(b))

	// The empty response, nil or not, has [] lists (as cosmwasm-std writes).
	for _, r := range []*Response{nil, NewResponse()} {
		b, err = json.Marshal(responseOk{Ok: r.normalized()})
		require.NoError(t, err)
		require.Equal(t, `{"ok":{"messages":[],"attributes":[],"events":[]}}`, string(b))
	}

	// CosmosMsg round trip, and custom variants.
	var back CosmosMsg
	require.NoError(t, json.Unmarshal(mustJSON(send), &back))
	require.Equal(t, send, back)
	require.NoError(t, json.Unmarshal([]byte(`{"staking":{"delegate":{}}}`), &back))
	require.Equal(t, `{"staking":{"delegate":{}}}`, string(mustJSON(back)))
	_, err = json.Marshal(CosmosMsg{})
	require.Error(t, err)
	noAdmin, err := NewWasmInstantiate(1, []byte(`{}`), "l", "")
	require.NoError(t, err)
	require.Contains(t, string(mustJSON(noAdmin)), `"admin":null`)
}

func TestEnvJSON(t *testing.T) {
	// What the VM sends (vm.Env, vm.MessageInfo).
	const envJSON = `{"block":{"height":12,"time":"1700000000123456789","chain_id":"c"},"transaction":{"index":3},"contract":{"address":"herm1x"}}`
	var env Env
	require.NoError(t, json.Unmarshal([]byte(envJSON), &env))
	require.Equal(t, uint64(12), env.Block.Height)
	require.Equal(t, uint32(3), env.Transaction.Index)
	ts, err := env.Block.Timestamp()
	require.NoError(t, err)
	require.Equal(t, time.Unix(1700000000, 123456789).UTC(), ts)
	require.JSONEq(t, envJSON, string(mustJSON(env)))
	_, err = BlockInfo{Time: "soon"}.Timestamp()
	require.Error(t, err)

	var info MessageInfo
	require.NoError(t, json.Unmarshal([]byte(`{"sender":"herm1s","funds":[{"denom":"u","amount":"5"}]}`), &info))
	require.Equal(t, []Coin{NewCoin(5, "u")}, info.Funds)

	var r Reply
	require.NoError(t, json.Unmarshal([]byte(`{"id":4,"result":{"ok":{"events":[],"data":"aGk="}}}`), &r))
	require.Equal(t, "hi", string(r.Result.Ok.Data))
	require.NoError(t, json.Unmarshal([]byte(`{"id":4,"result":{"error":"nope"}}`), &r))
	require.Equal(t, "nope", *r.Result.Err)
}

func TestVariant(t *testing.T) {
	name, body, err := Variant([]byte(`{"reset":{"count":3}}`))
	require.NoError(t, err)
	require.Equal(t, "reset", name)
	require.JSONEq(t, `{"count":3}`, string(body))
	name, body, err = Variant([]byte(`"ping"`))
	require.NoError(t, err)
	require.Equal(t, "ping", name)
	require.Nil(t, body)
	for _, bad := range []string{`{}`, `{"a":1,"b":2}`, `[1]`, `nope`} {
		_, _, err := Variant([]byte(bad))
		require.Error(t, err, bad)
	}
}

func TestSystemResult(t *testing.T) {
	b, err := parseSystemResult([]byte(`{"ok":{"ok":"aGk="}}`))
	require.NoError(t, err)
	require.Equal(t, "hi", string(b))
	_, err = parseSystemResult([]byte(`{"ok":{"error":"bad query"}}`))
	require.ErrorIs(t, err, ErrQueried)
	require.ErrorContains(t, err, "bad query")
	_, err = parseSystemResult([]byte(`{"error":{"unsupported_request":{"kind":"no querier"}}}`))
	require.ErrorIs(t, err, ErrSystem)
	require.ErrorContains(t, err, "no querier")
	_, err = parseSystemResult([]byte(`garbage`))
	require.ErrorIs(t, err, ErrSystem)

	var got []byte
	q := QuerierFunc(func(req []byte) ([]byte, error) { got = req; return []byte("answer"), nil })
	out, err := QueryContract(q, "herm1c", map[string]any{"get_count": struct{}{}})
	require.NoError(t, err)
	require.Equal(t, "answer", string(out))
	require.JSONEq(t, `{"wasm":{"smart":{"contract_addr":"herm1c","msg":"`+
		base64.StdEncoding.EncodeToString([]byte(`{"get_count":{}}`))+`"}}}`, string(got))
}

func TestCryptoCodes(t *testing.T) {
	ok, err := cryptoResult(0)
	require.True(t, ok)
	require.NoError(t, err)
	ok, err = cryptoResult(1)
	require.False(t, ok)
	require.NoError(t, err)
	for _, c := range []uint32{3, 4, 5, 6, 10} {
		_, err = cryptoResult(c)
		require.ErrorIs(t, err, ErrCrypto)
	}
}

func TestDispatch(t *testing.T) {
	const env = `{"block":{"height":1,"time":"0","chain_id":"c"},"transaction":null,"contract":{"address":"herm1c"}}`
	const info = `{"sender":"alice","funds":[]}`
	var seen []string
	h := Handlers{
		Instantiate: func(deps Deps, e Env, i MessageInfo, msg []byte) (*Response, error) {
			seen = append(seen, "instantiate "+i.Sender+" "+string(msg))
			return nil, nil
		},
		Execute: func(deps Deps, e Env, i MessageInfo, msg []byte) (*Response, error) {
			switch string(msg) {
			case `"panic"`:
				panic("oh no")
			case `"nil"`:
				var m map[string]int
				m["x"] = 1 // a runtime error
			case `"fail"`:
				return nil, fmt.Errorf("failed: %w", ErrNotFound)
			}
			return NewResponse().AddAttribute("k", "v"), nil
		},
		Query: func(deps Deps, e Env, msg []byte) ([]byte, error) {
			if string(msg) == `"empty"` {
				return nil, nil
			}
			if string(msg) == `"fail"` {
				return nil, errors.New("no such query")
			}
			return JSON(map[string]int{"n": 1})
		},
		Reply: func(deps Deps, e Env, r Reply) (*Response, error) {
			return NewResponse().SetData([]byte{byte(r.ID)}), nil
		},
	}
	run := func(entry, info, msg string) string {
		return string(dispatch(h, entry, MockDeps(), []byte(env), []byte(info), []byte(msg)))
	}
	require.Equal(t, `{"ok":{"messages":[],"attributes":[],"events":[]}}`, run("instantiate", info, `{"x":1}`))
	require.Equal(t, []string{`instantiate alice {"x":1}`}, seen)
	require.Equal(t, `{"ok":{"messages":[],"attributes":[{"key":"k","value":"v"}],"events":[]}}`, run("execute", info, `"go"`))
	require.Equal(t, `{"error":"panic: oh no"}`, run("execute", info, `"panic"`))
	require.Equal(t, `{"error":"panic: assignment to entry in nil map"}`, run("execute", info, `"nil"`))
	require.Equal(t, `{"error":"failed: not found"}`, run("execute", info, `"fail"`))
	require.Equal(t, `{"ok":"eyJuIjoxfQ=="}`, run("query", "", `"q"`))
	require.Equal(t, `{"ok":""}`, run("query", "", `"empty"`))
	require.Equal(t, `{"error":"no such query"}`, run("query", "", `"fail"`))
	require.Equal(t, `{"error":"contract has no migrate entry point"}`, run("migrate", "", `{}`))
	require.Equal(t, `{"error":"contract has no sudo entry point"}`, run("sudo", "", `{}`))
	require.Equal(t, `{"ok":{"messages":[],"attributes":[],"events":[],"data":"BQ=="}}`,
		run("reply", "", `{"id":5,"result":{"ok":{"events":[]}}}`))
	require.Contains(t, run("reply", "", `nope`), `{"error":"decode reply:`)
	require.Contains(t, run("execute", `{"sender":`, `{}`), `{"error":"decode info:`)
	require.Contains(t, string(dispatch(h, "query", MockDeps(), []byte(`{`), nil, nil)), `{"error":"decode env:`)

	// Register and Dispatch use the registered handlers.
	old := Registered()
	defer Register(old)
	Register(h)
	require.Equal(t, `{"ok":"eyJuIjoxfQ=="}`, string(Dispatch("query", MockDeps(), []byte(env), nil, []byte(`"q"`))))
}

func TestMockAPI(t *testing.T) {
	a := MockDeps().API
	require.NoError(t, a.AddrValidate("alice"))
	require.Error(t, a.AddrValidate("Alice"))
	require.Error(t, a.AddrValidate(""))
	c, err := a.AddrCanonicalize("alice")
	require.NoError(t, err)
	h, err := a.AddrHumanize(c)
	require.NoError(t, err)
	require.Equal(t, "alice", h)
	a.Debug("hello")
	require.Equal(t, []string{"hello"}, a.(*MockAPI).Debugs)
	_, err = a.Ed25519Verify([]byte("m"), []byte("short"), make([]byte, 32))
	require.ErrorIs(t, err, ErrCrypto)
}

func TestAbortOnHost(t *testing.T) {
	h := Handlers{Query: func(Deps, Env, []byte) ([]byte, error) { Abort("fatal"); return nil, nil }}
	require.PanicsWithValue(t, AbortError("fatal"), func() {
		dispatch(h, "query", MockDeps(), []byte(`{}`), nil, nil)
	})
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
