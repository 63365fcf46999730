//go:build !wasip1

package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fastMsg is a message of the kind ReadObject is for.
type fastMsg struct {
	Recipient string  `json:"recipient"`
	Amount    string  `json:"amount"`
	Memo      *string `json:"memo"`
	N         uint64  `json:"n"`
}

// readFastMsg decodes b with ReadObject, as a contract would.
func readFastMsg(b []byte) (m fastMsg, ok bool) {
	ok = ReadObject(b, func(k string, v *JSONValue) bool {
		switch k {
		case "recipient":
			m.Recipient = v.String()
		case "amount":
			m.Amount = v.String()
		case "memo":
			if !v.Null() {
				s := v.String()
				m.Memo = &s
			}
		case "n":
			m.N = v.Uint64()
		default:
			return false
		}
		return true
	})
	return m, ok
}

// strictDecode is what a contract falls back to: encoding/json refusing
// unknown fields and trailing data.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("trailing data")

var readObjects = []struct {
	in   string
	fast bool // takes the fast path
}{
	{`{"recipient":"herm1abc","amount":"10"}`, true},
	{` { "recipient" : "a" , "amount":"1", "memo": null, "n": 7 } `, true},
	{"{\n\t\"memo\":\"hi there\"\r\n}", true},
	{`{}`, true},
	{`{"n":18446744073709551615}`, true},
	// Off the fast path; encoding/json decides.
	{`{"Recipient":"a"}`, false},                 // a key in another case
	{`{"recipient":"a","recipient":"b"}`, false}, // a repeated key
	{`{"recipient":"a\"b"}`, false},              // an escape
	{`{"recipient":"é"}`, false},                 // non-ASCII
	{`{"amount":5}`, false},                      // the wrong kind
	{`{"n":"5"}`, false},
	{`{"n":1.5}`, false},
	{`{"n":-1}`, false},
	{`{"n":18446744073709551616}`, false},
	{`{"other":1}`, false},
	{`{"recipient":"a",}`, false},
	{`{"recipient":"a"} x`, false},
	{`{"recipient":"a"}{}`, false},
	{`{"memo":nul}`, false},
	{`[]`, false}, {`null`, false}, {``, false}, {`{`, false}, {`{"a"}`, false},
}

func TestReadObjectAgreesWithEncodingJSON(t *testing.T) {
	for _, tc := range readObjects {
		_, ok := readFastMsg([]byte(tc.in))
		require.Equal(t, tc.fast, ok, "%s", tc.in)
		checkReadObject(t, []byte(tc.in))
	}
}

func checkReadObject(t *testing.T, in []byte) {
	got, ok := readFastMsg(in)
	if !ok {
		return // the caller uses encoding/json
	}
	var want fastMsg
	require.NoError(t, strictDecode(in, &want), "%s: fast path accepted what encoding/json refuses", in)
	require.Equal(t, want, got, "%s", in)
}

var jsonStrings = []string{"", "herm1qqqq", "a b~", "\"", "\\", "<&>", "\x7f", "\x00\x1f", "é", "\u2028", "\xff", "tab\t"}

func TestAppendJSONString(t *testing.T) {
	for _, s := range jsonStrings {
		checkAppendJSONString(t, s)
	}
}

func checkAppendJSONString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	require.NoError(t, err)
	require.Equal(t, string(want), string(AppendJSONString([]byte("x"), s))[1:], "%q", s)
}

// Item and Map values of the types encodeValue and decodeValue handle by
// hand are the bytes encoding/json writes, and read back as it reads them.
func TestValuesAgreeWithEncodingJSON(t *testing.T) {
	for _, n := range []uint64{0, 1, 1 << 63, ^uint64(0)} {
		checkValue(t, n)
		checkValue(t, uint32(n))
		checkValue(t, int64(n))
	}
	checkValue(t, int64(-5))
	for _, s := range jsonStrings {
		checkValue(t, s)
	}
	for _, in := range []string{`5`, ` 5`, `05`, `-1`, `1e2`, `"5"`, `18446744073709551616`, `null`, `"a"`, `"a\u0062"`, `"é"`, `"a"x`, ``} {
		checkDecode[uint64](t, []byte(in))
		checkDecode[string](t, []byte(in))
	}
}

func checkValue[T any](t *testing.T, v T) {
	want, err := json.Marshal(v)
	require.NoError(t, err)
	got, err := encodeValue(v)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
	checkDecode[T](t, got)
}

func checkDecode[T any](t *testing.T, in []byte) {
	var want, got T
	werr := json.Unmarshal(in, &want)
	gerr := decodeValue(in, &got)
	require.Equal(t, werr == nil, gerr == nil, "%s: %v / %v", in, werr, gerr)
	if werr == nil {
		require.Equal(t, want, got, "%s", in)
	}
}

func FuzzJSONFast(f *testing.F) {
	for _, tc := range readObjects {
		f.Add([]byte(tc.in))
	}
	for _, s := range jsonStrings {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkReadObject(t, in)
		checkAppendJSONString(t, string(in))
		checkDecode[uint64](t, in)
		checkDecode[string](t, in)
		checkResults(t, string(in), in)
	})
}

// The entry points' results as encoding/json writes them.
type (
	queryOk struct {
		Ok []byte `json:"ok"`
	}
	resultErr struct {
		Err string `json:"error"`
	}
)

func TestResultsAreEncodingJSON(t *testing.T) {
	for _, s := range jsonStrings {
		checkResults(t, s, []byte(s))
	}
	checkResults(t, "x", nil)
	// A response with messages is left to encoding/json.
	r := NewResponse().AddMessage(NewBankSend("herm1a", NewCoin(1, "uherm"))).normalized()
	_, ok := appendResponseOk(nil, r)
	require.False(t, ok)
}

// checkResults compares the hand-written results built from s and data
// with encoding/json's.
func checkResults(t *testing.T, s string, data []byte) {
	for _, r := range []*Response{
		nil,
		NewResponse(),
		NewResponse().AddAttribute(s, s).AddAttribute("action", "transfer"),
		{Data: data, Events: []Event{{Type: s}}},
		NewResponse().AddEvent(NewEvent(s).AddAttribute(s, "v").AddAttribute("k", s)).AddEvent(NewEvent("b")),
	} {
		n := r.normalized()
		want, err := json.Marshal(responseOk{Ok: n})
		require.NoError(t, err)
		got, ok := appendResponseOk(nil, n)
		require.True(t, ok)
		require.Equal(t, string(want), string(got))
	}
	if data != nil {
		want, err := json.Marshal(queryOk{Ok: data})
		require.NoError(t, err)
		require.Equal(t, string(want), string(appendQueryOk(nil, data)))
	}
	want, err := json.Marshal(resultErr{Err: s})
	require.NoError(t, err)
	require.Equal(t, string(want), string(appendResultErr(nil, s)))
}
