package cryptobox

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzOpenInput feeds arbitrary wires to the enclave side. Nothing may panic, and a wire that opens
// must re-seal to the same bytes (SIV is deterministic given tx_key).
func FuzzOpenInput(f *testing.F) {
	v := loadVectors(f)
	for _, tc := range v.IO {
		f.Add([]byte(tc.Wire))
	}
	for _, tc := range v.IOReject {
		f.Add([]byte(tc.Wire))
	}
	ioSK := []byte(v.NetworkKeys.IOExchangeSK)
	shared := cachedShared(ioSK)
	f.Fuzz(func(t *testing.T, wire []byte) {
		in, err := OpenInput(shared, wire)
		if err != nil {
			require.Nil(t, in)
			return
		}
		pt := append([]byte(in.CodeHashHex), in.Msg...)
		ct, err := SIVSeal(in.TxKey[:], [][]byte{{}}, pt)
		require.NoError(t, err)
		require.Equal(t, wire[64:], ct)
		require.Equal(t, wire[:32], in.Nonce[:])
		require.Equal(t, wire[32:64], in.UserPub[:])
	})
}

// splitAD turns fuzz bytes into an AD list: a count byte, then length-prefixed components.
func splitAD(b []byte) [][]byte {
	if len(b) == 0 {
		return nil
	}
	n := int(b[0] % 5)
	b = b[1:]
	ad := make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		l := 0
		if len(b) > 0 {
			l = min(int(b[0]), len(b)-1)
			b = b[1:]
		}
		ad = append(ad, b[:l])
		b = b[l:]
	}
	return ad
}

func joinAD(ad [][]byte) []byte {
	out := []byte{byte(len(ad))}
	for _, a := range ad {
		out = append(out, byte(len(a)))
		out = append(out, a...)
	}
	return out
}

// FuzzSIVOpen opens arbitrary data under arbitrary keys and AD lists; whatever opens must re-seal
// to the same bytes, and whatever seals must open.
func FuzzSIVOpen(f *testing.F) {
	v := loadVectors(f)
	for _, tc := range v.AESSIV {
		f.Add([]byte(tc.Key), joinAD(adList(tc.AD)), []byte(tc.Ciphertext))
	}
	f.Fuzz(func(t *testing.T, key, adb, sealed []byte) {
		ad := splitAD(adb)
		pt, err := SIVOpen(key, ad, sealed)
		if err == nil {
			again, err := SIVSeal(key, ad, pt)
			require.NoError(t, err)
			require.Equal(t, sealed, again)
		} else {
			require.Nil(t, pt)
		}
		if len(key) == KeySize {
			ct, err := SIVSeal(key, ad, sealed)
			require.NoError(t, err)
			back, err := SIVOpen(key, ad, ct)
			require.NoError(t, err)
			require.True(t, bytes.Equal(sealed, back))
		}
	})
}

// FuzzDecryptStateValue decrypts arbitrary stored values; whatever opens must re-encrypt, from its
// own seed index and salt, to the same bytes.
func FuzzDecryptStateValue(f *testing.F) {
	v := loadVectors(f)
	for _, tc := range v.State {
		f.Add([]byte(tc.ValueKey), []byte(tc.StoredKey), []byte(tc.StoredValue))
	}
	f.Fuzz(func(t *testing.T, key, storedKey, stored []byte) {
		var vk [32]byte
		copy(vk[:], key)
		pt, err := DecryptStateValue(vk, storedKey, stored)
		if err != nil {
			require.Nil(t, pt)
			return
		}
		idx, err := StateValueSeedIndex(stored)
		require.NoError(t, err)
		pos := WritePos{
			Height:     binary.BigEndian.Uint64(stored[1:]),
			TxIndex:    binary.BigEndian.Uint64(stored[9:]),
			WriteIndex: binary.BigEndian.Uint64(stored[17:]),
		}
		again, err := EncryptStateValue(vk, idx, storedKey, pos, pt)
		require.NoError(t, err)
		require.Equal(t, stored, again)
	})
}
