//go:build !wasip1

package contract

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

var fastEnvs = []string{
	`{"block":{"height":12,"time":"1700000000000000000","chain_id":"hermetic-1"},"transaction":{"index":3},"contract":{"address":"herm1abc"}}`,
	`{"block":{"height":12,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":18446744073709551615,"time":"1","chain_id":"c"},"transaction":{"index":4294967295},"contract":{"address":"a"}}`,
	// Off the fast path, each for its own reason.
	` {"block":{"height":1,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"contract":{"address":"a"},"block":{"height":1,"time":"1","chain_id":"c"},"transaction":null}`,
	`{"block":{"height":1,"time":"1","chain_id":"c\u00e9"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":1,"time":"1","chain_id":"c","extra":1},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":1.5,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":-1,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":01,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":18446744073709551616,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}`,
	`{"block":{"height":1,"time":"1","chain_id":"c"},"transaction":{"index":4294967296},"contract":{"address":"a"}}`,
	`{"block":{"height":1,"time":"1","chain_id":"c"},"transaction":null,"contract":{"address":"a"}}x`,
	`{"block":{"height":1,"time":"1","chain_id":"c"},"transaction":null}`,
	`{"block":null,"transaction":null,"contract":{"address":"a"}}`,
	`[]`, ``, `{`,
}

var fastInfos = []string{
	`{"sender":"herm1abc","funds":[]}`,
	`{"sender":"herm1abc","funds":[{"denom":"uherm","amount":"5"},{"denom":"x","amount":"7"}]}`,
	`{"sender":"herm1abc","funds":null}`,
	`{"funds":[],"sender":"a"}`,
	`{"sender":"a","funds":[{"amount":"5","denom":"uherm"}]}`,
	`{"sender":"a","funds":[{"denom":"u","amount":5}]}`,
	`{"sender":"a\"b","funds":[]}`,
	`{"sender":"a","funds":[],}`,
	`{"sender":"a","funds":[{"denom":"u","amount":"5"},]}`,
}

var fastVariants = []string{
	`{"transfer":{"recipient":"a","amount":"1"}}`,
	`{"transfer":{"memo":"}{,\"x"}}`,
	`{ "a" : [1,{"b":2}] }`,
	`{"a":"str"}`,
	`{"a":null}`,
	`{"a":1,"b":2}`,
	`{"a":1,"a":2}`,
	`{}`,
	`"unit"`,
	`{"a":{}`,
	`{"a":{}}}`,
	`{"a\u0062":{}}`,
	`[]`,
	``,
}

// The fast decoders must agree with encoding/json wherever they accept,
// and fall back (to its answer) wherever they do not.
func TestFastJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range fastEnvs {
		checkEnv(t, []byte(in))
	}
	for _, in := range fastInfos {
		checkInfo(t, []byte(in))
	}
	for _, in := range fastVariants {
		checkVariant(t, []byte(in))
	}
	// What the VM writes (encoding/json of the same shapes) takes the fast
	// path.
	vmEnv, err := json.Marshal(Env{Block: BlockInfo{Height: 7, Time: "1700000000000000000", ChainID: "hermetic-1"},
		Transaction: &TransactionInfo{Index: 2}, Contract: ContractInfo{Address: "herm1abc"}})
	require.NoError(t, err)
	_, ok := fastEnv(vmEnv)
	require.True(t, ok, "%s", vmEnv)
	vmInfo, err := json.Marshal(MessageInfo{Sender: "herm1abc", Funds: []Coin{NewCoin(5, "uherm")}})
	require.NoError(t, err)
	_, ok = fastInfo(vmInfo)
	require.True(t, ok, "%s", vmInfo)
	_, _, ok = variantFast([]byte(fastVariants[0]))
	require.True(t, ok)
}

func checkEnv(t *testing.T, in []byte) {
	var want, got Env
	werr := json.Unmarshal(in, &want)
	gerr := decodeEnv(in, &got)
	require.Equal(t, werr == nil, gerr == nil, "%s: %v / %v", in, werr, gerr)
	if werr == nil {
		require.Equal(t, want, got, "%s", in)
	}
}

func checkInfo(t *testing.T, in []byte) {
	var want, got MessageInfo
	werr := json.Unmarshal(in, &want)
	gerr := decodeInfo(in, &got)
	require.Equal(t, werr == nil, gerr == nil, "%s: %v / %v", in, werr, gerr)
	if werr == nil {
		require.Equal(t, want, got, "%s", in)
	}
}

// variantSlow is Variant without its fast path.
func variantSlow(msg []byte) (string, json.RawMessage, error) {
	var s string
	if json.Unmarshal(msg, &s) == nil {
		return s, nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(msg, &m); err != nil {
		return "", nil, err
	}
	if len(m) != 1 {
		return "", nil, errors.New("want one key")
	}
	for k, v := range m {
		return k, v, nil
	}
	return "", nil, nil
}

func checkVariant(t *testing.T, in []byte) {
	wn, wb, werr := variantSlow(in)
	gn, gb, gerr := Variant(in)
	require.Equal(t, werr == nil, gerr == nil, "%s: %v / %v", in, werr, gerr)
	if werr == nil {
		require.Equal(t, wn, gn, "%s", in)
		require.Equal(t, string(wb), string(gb), "%s", in)
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, s := range fastEnvs {
		f.Add([]byte(s))
	}
	for _, s := range fastInfos {
		f.Add([]byte(s))
	}
	for _, s := range fastVariants {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkEnv(t, in)
		checkInfo(t, in)
		checkVariant(t, in)
	})
}
