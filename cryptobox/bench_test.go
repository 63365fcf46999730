package cryptobox

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchMsg is a ~100-byte message, the size of a typical contract call.
var benchMsg = []byte(`{"transfer":{"recipient":"herm1qy352eufqy352eufqy352eufqy352eufabcdef","amount":"1000000000","m":1}}`)

func benchWire(b *testing.B) (ioSK []byte, wire []byte) {
	v := loadVectors(b)
	ioSK = v.NetworkKeys.IOExchangeSK
	wire, _, err := SealInput(bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{8}, 32),
		v.NetworkKeys.IOExchangePK, sha256.Sum256([]byte("code")), benchMsg)
	require.NoError(b, err)
	return ioSK, wire
}

func BenchmarkOpenInput(b *testing.B) {
	ioSK, wire := benchWire(b)
	b.Run("x25519", func(b *testing.B) {
		shared := cachedShared(ioSK)
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := OpenInput(shared, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		sec, err := X25519(ioSK, wire[32:64])
		require.NoError(b, err)
		shared := func([]byte) ([]byte, error) { return sec, nil }
		b.ReportAllocs()
		b.SetBytes(int64(len(wire)))
		for b.Loop() {
			if _, err := OpenInput(shared, wire); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncryptOutput(b *testing.B) {
	var k [32]byte
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := EncryptOutput(k, benchMsg); err != nil {
			b.Fatal(err)
		}
	}
}

func benchState(b *testing.B) (vk, kk [32]byte, sk, sv []byte) {
	vk[0], kk[0] = 1, 2
	sk, err := EncryptStateKey(kk, []byte("balances/herm1qy352eufqy352euf"))
	require.NoError(b, err)
	sv, err = EncryptStateValue(vk, 1, sk, WritePos{Height: 100, TxIndex: 2, WriteIndex: 3}, benchMsg)
	require.NoError(b, err)
	return vk, kk, sk, sv
}

func BenchmarkEncryptStateValue(b *testing.B) {
	vk, _, sk, _ := benchState(b)
	pos := WritePos{Height: 100, TxIndex: 2, WriteIndex: 3}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := EncryptStateValue(vk, 1, sk, pos, benchMsg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptStateValue(b *testing.B) {
	vk, _, sk, sv := benchState(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchMsg)))
	for b.Loop() {
		if _, err := DecryptStateValue(vk, sk, sv); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptStateKey(b *testing.B) {
	_, kk, _, _ := benchState(b)
	key := benchMsg[:100]
	b.ReportAllocs()
	b.SetBytes(int64(len(key)))
	for b.Loop() {
		if _, err := EncryptStateKey(kk, key); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStateWrite is one contract-state write – encrypt the key, seal
// the value – the way the enclave does it: fresh, with a new AES-SIV
// instance for each, and prepared, with a StateCipher that keeps them
// across a call's reads and writes.
func BenchmarkStateWrite(b *testing.B) {
	vk, kk, _, _ := benchState(b)
	key := []byte("balances/herm1qy352eufqy352euf")
	value := benchMsg[:64]
	pos := WritePos{Height: 100, TxIndex: 2, WriteIndex: 3}
	b.Run("fresh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sk, err := EncryptStateKey(kk, key)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := EncryptStateValue(vk, 0, sk, pos, value); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("prepared", func(b *testing.B) {
		c := NewStateCipher(kk, [][32]byte{vk})
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.EncryptValue(0, c.EncryptKey(key), pos, value); err != nil {
				b.Fatal(err)
			}
		}
	})
}
