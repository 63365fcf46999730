package app

import (
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

func TestTxCache(t *testing.T) {
	k := genKey(t, keys.KeyEd25519)
	signed := func(seq uint64, tamper bool) []byte {
		tt := &tx.Tx{Version: tx.Version, ChainID: testChainID, Signer: k.PubKey(), GasLimit: 300_000, Sequence: seq,
			Fee: tx.Coin{Denom: Denom, Amount: 3_000}, Msgs: []tx.Any{tx.NewAny(&tx.MsgSend{From: k.PubKey().Address(), To: k.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: 1}})}}
		require.NoError(t, tt.Sign(k))
		if tamper {
			tt.Sequence++ // the signature no longer covers the body
		}
		return tt.Marshal()
	}
	c := newTxCache(2)

	good := signed(1, false)
	t1, err := c.decode(good)
	require.NoError(t, err)
	t2, err := c.decode(good)
	require.NoError(t, err)
	require.Same(t, t1, t2, "decoded once")
	require.NoError(t, c.verify(good, t1))
	require.True(t, c.m[[32]byte(sha256Of(good))].verified)

	bad := signed(2, true)
	tb, err := c.decode(bad)
	require.NoError(t, err)
	for range 2 { // a bad signature is checked, and refused, every time
		require.Error(t, c.verify(bad, tb))
	}
	require.False(t, c.m[[32]byte(sha256Of(bad))].verified)

	_, err = c.decode([]byte("not a transaction"))
	require.ErrorIs(t, err, tx.ErrMalformed)
	require.Len(t, c.m, 2, "a failed decoding is not kept")

	// Full: the oldest entry leaves.
	third := signed(3, false)
	_, err = c.decode(third)
	require.NoError(t, err)
	require.Len(t, c.m, 2)
	t3, err := c.decode(good)
	require.NoError(t, err)
	require.NotSame(t, t1, t3, "evicted, decoded again")
	require.NoError(t, c.verify(good, t3))
}

func sha256Of(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
