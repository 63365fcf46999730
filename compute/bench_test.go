package compute

import (
	"context"
	"crypto/rand"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/tx"
)

// BenchmarkExecute measures a contract call through the keeper — enclave,
// VM instance, state — with a plaintext input and with an encrypted one
// (from a wallet that reuses its key, and from a new key every call), in
// one run. The contract is the test contract (WAT): its call costs little,
// so the figures are the path's own cost.
func BenchmarkExecute(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	addr, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "b",
		Msg: []byte(`{}`), Plaintext: true, Funds: tx.Coin{Denom: tx.Denom, Amount: 1}}, 10_000_000)
	require.NoError(b, err)
	// The contract's execute sends 5uherm each call: give it plenty.
	fund := func() { require.NoError(b, f.s.Set(append([]byte{0x01}, addr[:]...), u64(1<<50))) }
	msg := []byte(`{"transfer":{"recipient":"herm1someone","amount":"10"}}`)

	b.Run("plaintext", func(b *testing.B) {
		fund()
		for b.Loop() {
			if _, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: msg, Plaintext: true}, 10_000_000); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("confidential-reused-key", func(b *testing.B) {
		fund()
		sk := make([]byte, 32)
		_, _ = rand.Read(sk)
		wires := make([][]byte, 512)
		for i := range wires {
			nonce := make([]byte, 32)
			_, _ = rand.Read(nonce)
			w, _, err := cryptobox.SealInput(sk, nonce, f.txKey, f.hash, msg)
			require.NoError(b, err)
			wires[i] = w
		}
		i := 0
		for b.Loop() {
			if _, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wires[i%len(wires)]}, 10_000_000); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("confidential-fresh-key", func(b *testing.B) {
		fund()
		wires := make([][]byte, b.N)
		for i := range wires {
			w, _, err := cryptobox.EncryptInput(rand.Reader, f.txKey, f.hash, msg)
			require.NoError(b, err)
			wires[i] = w
		}
		b.ResetTimer()
		for i := range b.N {
			if _, err := f.k.Execute(ctx, f.s, f.block, &tx.MsgExecute{Sender: f.alice, Contract: addr, Msg: wires[i]}, 10_000_000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func u64(n uint64) []byte {
	b := make([]byte, 8)
	for i := range 8 {
		b[7-i] = byte(n >> (8 * i))
	}
	return b
}
