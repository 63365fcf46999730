//go:build !wasip1

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

var transferBodies = []string{
	`{"recipient":"herm1abc","amount":"10"}`,
	`{"recipient":"herm1abc","amount":"10","memo":"for the pump"}`,
	`{ "amount" : "1" , "memo" : null, "recipient":"a" }`,
	`{"recipient":"a","amount":"1","memo":"caf\u00e9"}`, // an escape: encoding/json
	`{"Recipient":"a","amount":"1"}`,                    // another case: encoding/json
	`{"recipient":"a","recipient":"b"}`,
	`{"recipient":"a","owner":"b"}`,
	`{"recipient":"a","amount":1}`,
	`{"recipient":"a"} {}`,
	`{}`, `[]`, `"x"`, `{`,
}

// The fast decoders give what encoding/json gives (decode falls back to it
// wherever they do not take the input), and change nothing when they fail.
func TestFastDecodersAgreeWithEncodingJSON(t *testing.T) {
	for _, body := range transferBodies {
		checkFastDecode(t, []byte(body))
	}
}

func checkFastDecode(t *testing.T, body []byte) {
	for _, pair := range []struct{ fast, slow any }{
		{new(transferMsg), new(transferMsg)},
		{new(transferFromMsg), new(transferFromMsg)},
		{new(balanceQueryMsg), new(balanceQueryMsg)},
	} {
		serr := decodeSlow(body, pair.slow)
		if pair.fast.(fastDecoder).decodeFast(body) {
			require.NoError(t, serr, "%s: fast path accepted what encoding/json refuses", body)
			require.Equal(t, pair.slow, pair.fast, "%s", body)
		} else {
			require.Equal(t, zeroOf(pair.fast), pair.fast, "%s: a failed fast decode changed the message", body)
		}
		ferr := decode("m", body, pair.fast)
		require.Equal(t, serr == nil, ferr == nil, "%s: %v / %v", body, serr, ferr)
		if serr == nil {
			require.Equal(t, pair.slow, pair.fast, "%s", body)
		}
	}
}

func zeroOf(v any) any {
	switch v.(type) {
	case *transferMsg:
		return new(transferMsg)
	case *transferFromMsg:
		return new(transferFromMsg)
	default:
		return new(balanceQueryMsg)
	}
}

// decodeSlow is decode without the fast path.
func decodeSlow(body []byte, v any) error {
	if len(body) == 0 || string(body) == "null" {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("trailing data")

func TestAppendTxJSONIsEncodingJSON(t *testing.T) {
	memo, odd := "for the pump", "<\"é\u2028\x00\xff>"
	for _, tx := range []Tx{
		{},
		{ID: 7, From: "herm1a", Sender: "herm1b", Receiver: "herm1c", Coins: Coin{Denom: "TOK", Amount: "100"}, BlockHeight: 9, BlockTime: 1_700_000_000},
		{ID: ^uint64(0), Memo: &memo, BlockHeight: ^uint64(0), BlockTime: ^uint64(0)},
		{From: odd, Sender: odd, Receiver: odd, Coins: Coin{Denom: odd, Amount: odd}, Memo: &odd},
	} {
		want, err := json.Marshal(tx)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendTxJSON(nil, tx)))
	}
}

func FuzzTransferMsg(f *testing.F) {
	for _, b := range transferBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFastDecode(t, body)
		memo := string(body)
		tx := Tx{ID: 1, From: memo, Memo: &memo}
		want, err := json.Marshal(tx)
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendTxJSON(nil, tx)))
	})
}
