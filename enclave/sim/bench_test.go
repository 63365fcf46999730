package sim_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/state"
)

// readWrite is the smallest useful contract call: read one entry, write
// it back changed, answer 100 bytes.
type readWrite struct{}

func (readWrite) Run(_ context.Context, msg []byte, s state.Store) ([]byte, error) {
	v, err := s.Get([]byte("balance/herm1someone"))
	if err != nil {
		return nil, err
	}
	if err := s.Set([]byte("balance/herm1someone"), append(v[:0:0], msg[:32]...)); err != nil {
		return nil, err
	}
	return make([]byte, 100), nil
}

// BenchmarkCall measures one contract call's confidential overhead: the
// plaintext path (the contract on an unencrypted store) against the
// enclave's path with a plaintext input (state encryption only) and with an
// encrypted input, from a fresh sender key (an X25519 per call) and from a
// wallet that reuses its key (the shared secret is cached). The message is
// 100 bytes; the contract reads and writes one 32-byte entry.
func BenchmarkCall(b *testing.B) {
	e, nk := bootstrapped(b)
	codeHash := sha256.Sum256([]byte("code"))
	msg := make([]byte, 100)
	contract := []byte("contract")
	newState := func() state.Store {
		s := state.NewCache(newStore(b))
		require.NoError(b, s.Set([]byte("seed-entry"), []byte{1}))
		return s
	}

	b.Run("plaintext-path", func(b *testing.B) {
		s := newState()
		require.NoError(b, s.Set([]byte("balance/herm1someone"), make([]byte, 32)))
		for b.Loop() {
			c := state.NewCache(s)
			if _, err := (readWrite{}).Run(context.Background(), msg, c); err != nil {
				b.Fatal(err)
			}
			if err := c.Write(); err != nil {
				b.Fatal(err)
			}
		}
	})
	run := func(b *testing.B, inputs func(i int) ([]byte, bool)) {
		s := newState()
		pos := &cryptobox.WritePos{Height: 1}
		_, err := e.Execute(context.Background(), enclave.Call{Contract: contract, Input: msg, Plaintext: true, State: s, Pos: pos}, readWrite{})
		require.NoError(b, err)
		i := 0
		for b.Loop() {
			in, plain := inputs(i)
			i++
			out, err := e.Execute(context.Background(), enclave.Call{Contract: contract, CodeHash: codeHash, Input: in, Plaintext: plain, State: s, Pos: pos}, readWrite{})
			if err != nil || out.Failed {
				b.Fatal(err, string(out.Data))
			}
		}
	}
	b.Run("enclave-plaintext-input", func(b *testing.B) {
		run(b, func(int) ([]byte, bool) { return msg, true })
	})
	b.Run("confidential-fresh-key", func(b *testing.B) {
		// Every call from a new sender key: no cache hit. The wires are
		// made before the timer starts, one per iteration.
		s := newState()
		pos := &cryptobox.WritePos{Height: 1}
		wires := make([][]byte, b.N)
		for i := range wires {
			w, _, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, msg)
			require.NoError(b, err)
			wires[i] = w
		}
		_, err := e.Execute(context.Background(), enclave.Call{Contract: contract, Input: msg, Plaintext: true, State: s, Pos: pos}, readWrite{})
		require.NoError(b, err)
		b.ResetTimer()
		for i := range b.N {
			out, err := e.Execute(context.Background(), enclave.Call{Contract: contract, CodeHash: codeHash, Input: wires[i], State: s, Pos: pos}, readWrite{})
			if err != nil || out.Failed {
				b.Fatal(err, string(out.Data))
			}
		}
	})
	b.Run("confidential-reused-key", func(b *testing.B) {
		sk := make([]byte, 32)
		_, _ = rand.Read(sk)
		wires := make([][]byte, 256)
		for i := range wires {
			nonce := make([]byte, 32)
			_, _ = rand.Read(nonce)
			w, _, err := cryptobox.SealInput(sk, nonce, nk.TxKey, codeHash, msg)
			require.NoError(b, err)
			wires[i] = w
		}
		run(b, func(i int) ([]byte, bool) { return wires[i%len(wires)], false })
	})
}
