package app

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/hermetic-chain/hermetic/keys"
)

// FuzzHoldPool drives the hold pool with operations read from the input
// (add, take, commit) and checks after each that its accounting is exact
// and within its limits. The seed corpus is in testdata/fuzz/FuzzHoldPool.
func FuzzHoldPool(f *testing.F) {
	f.Add([]byte{0, 1, 2, 10, 0, 1, 3, 10, 1, 1, 2, 0, 2, 0, 0, 0})
	f.Add([]byte{0, 0, 1, 200, 0, 1, 1, 200, 0, 2, 1, 200, 0, 3, 1, 200, 2, 0, 0, 0, 0, 0, 1, 200})
	f.Fuzz(func(t *testing.T, ops []byte) {
		limits := HoldLimits{PerSender: 3, PerSenderBytes: 500, Total: 5, TotalBytes: 900, ExpiryBlocks: 4}
		p := newHoldPool(limits)
		height := int64(1)
		for len(ops) >= 4 {
			op, who, seq, size := ops[0]%3, keys.Address{ops[1] % 4}, uint64(ops[2]%8), int(ops[3])
			ops = ops[4:]
			switch op {
			case 0:
				raw := make([]byte, size+1)
				raw[0], raw[size] = who[0], byte(seq)
				_ = p.add(who, seq, uint64(size), raw, height)
			case 1:
				p.take(who, seq)
			case 2:
				p.reset(height)
				height++
			}
			count, total := 0, 0
			for sender, txs := range p.bySender {
				n, b := 0, 0
				var fees uint64
				for _, h := range txs {
					n++
					b += len(h.raw)
					fees += h.fee
				}
				if n == 0 || n > limits.PerSender || b > limits.PerSenderBytes || b != p.bytes[sender] || fees != p.fees[sender] {
					t.Fatalf("sender %x: %d held, %d bytes (recorded %d), fees %d (recorded %d)", sender[0], n, b, p.bytes[sender], fees, p.fees[sender])
				}
				count += n
				total += b
			}
			if count != p.count || total != p.total || count > limits.Total || total > limits.TotalBytes {
				t.Fatalf("pool: %d held (recorded %d), %d bytes (recorded %d)", count, p.count, total, p.total)
			}
			if len(p.seen) > seenFactor*limits.Total {
				t.Fatalf("the pool remembers %d transactions, bound %d", len(p.seen), seenFactor*limits.Total)
			}
			if len(p.bytes) != len(p.bySender) || len(p.fees) > len(p.bySender) {
				t.Fatalf("stale per-sender entries: %d senders, %d byte counts, %d fee sums", len(p.bySender), len(p.bytes), len(p.fees))
			}
		}
	})
}

// FuzzHeldOrdering delivers a sender's transactions to CheckTx in an order
// read from the input, with repeats: whatever the order, once all have
// arrived the mempool state has applied every one of them, in sequence.
func FuzzHeldOrdering(f *testing.F) {
	f.Add([]byte{7, 6, 5, 4, 3, 2, 1, 0})
	f.Add([]byte{3, 3, 1, 0, 2, 7, 5, 5, 4, 6})
	h := newHarness(f)
	h.block()
	const n = 8
	raws := make([][]byte, n)
	for i := range raws {
		raws[i] = h.tx(h.alice, uint64(i), send(h.alice, h.bob, 1))
	}
	f.Fuzz(func(t *testing.T, order []byte) {
		// A fresh mempool state over the same committed block.
		h.app.mempoolMu.Lock()
		h.app.check = nil
		h.app.holds.reset(h.app.committed.Load())
		clear(h.app.holds.seen)
		h.app.mempoolMu.Unlock()
		deliver := func(raw []byte) {
			if _, err := h.app.CheckTx(t.Context(), &abci.RequestCheckTx{Tx: raw}); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range order {
			deliver(raws[int(b)%n])
		}
		for _, raw := range raws {
			deliver(raw)
		}
		h.app.mempoolMu.Lock()
		seq, err := getU64(h.app.check, SequenceKey(h.alice.PubKey().Address()))
		h.app.mempoolMu.Unlock()
		if err != nil || seq != n {
			t.Fatalf("after order %v the mempool's sequence is %d (%v), want %d", order, seq, err, n)
		}
	})
}
