package vm

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestContextEndsACall: a call whose context ends stops where it is —
// with gas left that would keep it looping for minutes — and says why; the
// VM then serves the next call of the same code as usual.
func TestContextEndsACall(t *testing.T) {
	v := newVM(t)
	loop := store(t, v, module(t, `
  (func (export "instantiate") (param i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    (call $okResponse))`))
	c := Call{Code: loop.Hash, Entry: "instantiate", Env: testEnv, Msg: []byte(`{}`), Store: newState(t),
		GasLimit: math.MaxUint64 / 2, Info: &MessageInfo{Sender: "herm1sender", Funds: []Coin{}}}

	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancelled", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx()
			defer cancel()
			res, err := v.Call(ctx, c)
			require.ErrorIs(t, err, tc.want)
			require.NotErrorIs(t, err, ErrOutOfGas)
			require.Positive(t, res.GasUsed)
		})
	}
	// The code still runs; with bounded gas it ends out of gas as before.
	c.GasLimit = 1_000_000
	_, err := v.Call(context.Background(), c)
	require.ErrorIs(t, err, ErrOutOfGas)
}
