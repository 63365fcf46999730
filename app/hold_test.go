package app

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
	"github.com/hermetic-chain/hermetic/tx"
)

// TestHoldPoolLimits: the pool refuses what passes a sender's limits,
// evicts the oldest when full, and expires what waited too long — also
// across the commits that empty it for the recheck.
func TestHoldPoolLimits(t *testing.T) {
	a, b, c := keys.Address{1}, keys.Address{2}, keys.Address{3}
	raw := func(s string) []byte { return []byte(s + "--------") } // 10 bytes
	limits := HoldLimits{PerSender: 2, PerSenderBytes: 25, Total: 3, TotalBytes: 100, ExpiryBlocks: 5}

	type step struct {
		sender keys.Address
		seq    uint64
		raw    []byte
		height int64
		want   error
	}
	cases := []struct {
		name  string
		steps []step
		after func(t *testing.T, p *holdPool)
	}{
		{"per-sender count", []step{
			{a, 2, raw("a2"), 1, nil}, {a, 3, raw("a3"), 1, nil}, {a, 4, raw("a4"), 1, ErrHoldFull},
		}, nil},
		{"per-sender bytes", []step{
			{a, 2, raw("a2"), 1, nil}, {a, 3, []byte("a3-a-long-transaction"), 1, ErrHoldFull},
		}, nil},
		{"larger than the pool", []step{
			{a, 2, make([]byte, 101), 1, ErrHoldFull},
		}, nil},
		{"full pool evicts the oldest", []step{
			{a, 2, raw("a2"), 1, nil}, {b, 2, raw("b2"), 2, nil}, {b, 3, raw("b3"), 2, nil}, {c, 2, raw("c2"), 3, nil},
		}, func(t *testing.T, p *holdPool) {
			require.False(t, p.has(a, 2), "the oldest is evicted")
			require.True(t, p.has(b, 2) && p.has(b, 3) && p.has(c, 2))
			require.Equal(t, 3, p.count)
			require.Equal(t, 30, p.total)
			// The recheck after the commit refuses the evicted one.
			p.reset(3)
			require.ErrorIs(t, p.add(a, 2, 1, raw("a2"), 4), ErrHoldExpired)
			require.NoError(t, p.add(b, 2, 1, raw("b2"), 4))
		}},
		{"expiry across commits", []step{
			{a, 2, raw("a2"), 1, nil},
		}, func(t *testing.T, p *holdPool) {
			for h := int64(2); h < 6; h++ {
				p.reset(h - 1)
				require.NoError(t, p.add(a, 2, 1, raw("a2"), h), "height %d", h)
			}
			p.reset(5)
			require.ErrorIs(t, p.add(a, 2, 1, raw("a2"), 6), ErrHoldExpired)
			require.Zero(t, p.count)
		}},
		{"what the pool remembers is bounded", nil, func(t *testing.T, p *holdPool) {
			// Every new transaction evicts the oldest; each evicted one is
			// remembered until the recheck after the next commit.
			var err error
			for i := 0; err == nil; i++ {
				err = p.add(keys.Address{byte(i)}, 2, 1, raw(fmt.Sprint(i)), 1)
				require.LessOrEqual(t, len(p.seen), seenFactor*limits.Total)
			}
			require.ErrorIs(t, err, ErrHoldFull)
			p.reset(1) // the recheck at height 1 still refuses the evicted
			require.ErrorIs(t, p.add(a, 2, 1, raw("new"), 2), ErrHoldFull)
			p.reset(2) // forgotten after it
			require.NoError(t, p.add(a, 2, 1, raw("new"), 3))
		}},
		{"take frees the sender's share", []step{
			{a, 2, raw("a2"), 1, nil}, {a, 3, raw("a3"), 1, nil},
		}, func(t *testing.T, p *holdPool) {
			require.Equal(t, uint64(2), p.feesOf(a))
			got, ok := p.take(a, 2)
			require.True(t, ok)
			require.Equal(t, raw("a2"), got)
			require.Equal(t, uint64(1), p.feesOf(a))
			require.NoError(t, p.add(a, 4, 1, raw("a4"), 1))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newHoldPool(limits)
			for i, s := range c.steps {
				err := p.add(s.sender, s.seq, 1, s.raw, s.height)
				if s.want == nil {
					require.NoError(t, err, "step %d", i)
				} else {
					require.ErrorIs(t, err, s.want, "step %d", i)
				}
			}
			if c.after != nil {
				c.after(t, p)
			}
		})
	}
}

// TestHeldTransactionsMustBeFunded: a transaction ahead of its sender's
// sequence is held only if the sender's balance covers its fee and those of
// the sender's other held transactions; a stranger with no account holds
// nothing.
func TestHeldTransactionsMustBeFunded(t *testing.T) {
	h := newHarness(t)
	stranger := genKey(t, keys.KeyEd25519)
	for seq := uint64(1); seq <= 3; seq++ {
		res := h.check(h.tx(stranger, seq, send(stranger, h.bob, 1)))
		require.Equal(t, Code(ErrInsufficientFunds), res.Code, res.Log)
	}

	// Carol has the fees of two transactions (3,000 each), not three.
	carol := genKey(t, keys.KeyEd25519)
	h.block(h.tx(h.alice, 0, &tx.MsgSend{From: h.alice.PubKey().Address(), To: carol.PubKey().Address(), Amount: tx.Coin{Denom: Denom, Amount: 7_500}}))
	require.Zero(t, h.check(h.tx(carol, 1, send(carol, h.bob, 1))).Code)
	require.Zero(t, h.check(h.tx(carol, 2, send(carol, h.bob, 1))).Code)
	res := h.check(h.tx(carol, 3, send(carol, h.bob, 1)))
	require.Equal(t, Code(ErrInsufficientFunds), res.Code, res.Log)
	// Her first transaction releases the held ones, which execute in the
	// mempool state as far as her funds go: 7,500 pays for 0 and 1 (fee
	// and 1uherm each), not for 2.
	require.Zero(t, h.check(h.tx(carol, 0, send(carol, h.bob, 1))).Code)
	res = h.check(h.tx(carol, 2, send(carol, h.bob, 1)))
	require.Equal(t, Code(ErrInsufficientFunds), res.Code, res.Log)
	require.Contains(t, res.Log, "has 1498uherm", "0 and 1 applied: 7,500 - 2 × 3,001")
}

// TestUnfundedSendersAreRefusedBeforeTheirSignature: CheckTx refuses a
// sender that cannot pay the fee without verifying its signature — a
// forged one gets the same answer as a good one — so junk from unfunded
// accounts costs a lookup, not a verification.
func TestUnfundedSendersAreRefusedBeforeTheirSignature(t *testing.T) {
	h := newHarness(t)
	h.block()
	stranger := genKey(t, keys.KeyEd25519)
	for _, seq := range []uint64{0, 5} {
		good := h.tx(stranger, seq, send(stranger, h.bob, 1))
		forged, err := tx.Decode(good)
		require.NoError(t, err)
		forged.Signature[0] ^= 1
		for _, raw := range [][]byte{good, forged.Marshal()} {
			res := h.check(raw)
			require.Equal(t, Code(ErrInsufficientFunds), res.Code, res.Log)
			e := h.app.txs.m[sha256.Sum256(raw)]
			require.False(t, e != nil && e.verified, "the signature of an unfunded sender was verified")
		}
	}
}
