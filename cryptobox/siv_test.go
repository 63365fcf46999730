package cryptobox

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"
)

func unhex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(tb, err)
	return b
}

func cmacSum(tb testing.TB, key, msg []byte, chunk int) []byte {
	tb.Helper()
	b, err := aes.NewCipher(key)
	require.NoError(tb, err)
	var c cmac
	c.init(b)
	if chunk <= 0 {
		c.write(msg)
	} else {
		for p := msg; len(p) > 0; {
			n := min(chunk, len(p))
			c.write(p[:n])
			p = p[n:]
		}
	}
	var out [16]byte
	c.sum(&out)
	return out[:]
}

// TestCMACRFC4493 checks AES-CMAC against RFC 4493 §4 (subkeys and examples 1-4), writing the
// message at once and in pieces of every size.
func TestCMACRFC4493(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	b, err := aes.NewCipher(key)
	require.NoError(t, err)
	var c cmac
	c.init(b)
	require.Equal(t, "fbeed618357133667c85e08f7236a8de", hex.EncodeToString(c.k1[:]))
	require.Equal(t, "f7ddac306ae266ccf90bc11ee46d513b", hex.EncodeToString(c.k2[:]))

	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"+
		"30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	tests := []struct {
		name string
		len  int
		mac  string
	}{
		{"example 1, empty", 0, "bb1d6929e95937287fa37d129b756746"},
		{"example 2, 16 bytes", 16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{"example 3, 40 bytes", 40, "dfa66747de9ae63030ca32611497c827"},
		{"example 4, 64 bytes", 64, "51f0bebf7e3b9d92fc49741779363cfe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for chunk := 0; chunk <= 33; chunk++ {
				got := cmacSum(t, key, msg[:tc.len], chunk)
				require.Equal(t, tc.mac, hex.EncodeToString(got), "chunk %d", chunk)
			}
		})
	}
}

func TestDbl(t *testing.T) {
	tests := []struct{ in, out string }{
		{"7df76b0c1ab899b33e42f047b91b546f", "fbeed618357133667c85e08f7236a8de"}, // RFC 4493 L -> K1
		{"fbeed618357133667c85e08f7236a8de", "f7ddac306ae266ccf90bc11ee46d513b"}, // K1 -> K2
		{"00000000000000000000000000000001", "00000000000000000000000000000002"},
		{"80000000000000000000000000000000", "00000000000000000000000000000087"},
	}
	for _, tc := range tests {
		got := dbl([16]byte(unhex(t, tc.in)))
		require.Equal(t, tc.out, hex.EncodeToString(got[:]))
	}
}

// TestSIVLengths round-trips plaintexts around the block size, with AD lists of several shapes, and
// checks that nil, empty and [""] AD lists behave as RFC 5297 says.
func TestSIVLengths(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, KeySize)
	ads := map[string][][]byte{
		"nil":        nil,
		"empty list": {},
		"one empty":  {{}},
		"two":        {[]byte("a"), bytes.Repeat([]byte{7}, 40)},
	}
	for name, ad := range ads {
		t.Run(name, func(t *testing.T) {
			for n := 0; n <= 70; n++ {
				pt := bytes.Repeat([]byte{byte(n)}, n)
				ct, err := SIVSeal(key, ad, pt)
				require.NoError(t, err)
				require.Len(t, ct, 16+n)
				got, err := SIVOpen(key, ad, ct)
				require.NoError(t, err)
				require.Equal(t, pt, got)
				if n > 0 {
					require.NotEqual(t, pt, ct[16:])
				}
			}
		})
	}
	a, err := SIVSeal(key, nil, []byte("x"))
	require.NoError(t, err)
	b, err := SIVSeal(key, [][]byte{}, []byte("x"))
	require.NoError(t, err)
	c, err := SIVSeal(key, [][]byte{{}}, []byte("x"))
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	_, err = SIVOpen(key, [][]byte{{}}, a)
	require.ErrorIs(t, err, ErrDecrypt)
}

func TestSIVBadArguments(t *testing.T) {
	key := bytes.Repeat([]byte{1}, KeySize)
	good, err := SIVSeal(key, nil, []byte("hello"))
	require.NoError(t, err)
	tests := []struct {
		name   string
		key    []byte
		ad     [][]byte
		sealed []byte
		want   error
	}{
		{"short key", key[:16], nil, good, ErrBadKey},
		{"long key", append(key, 0), nil, good, ErrBadKey},
		{"nil key", nil, nil, good, ErrBadKey},
		{"empty input", key, nil, nil, ErrDecrypt},
		{"shorter than a tag", key, nil, good[:15], ErrDecrypt},
		{"tag only", key, nil, good[:16], ErrDecrypt},
		{"truncated", key, nil, good[:len(good)-1], ErrDecrypt},
		{"extended", key, nil, append(append([]byte(nil), good...), 0), ErrDecrypt},
		{"wrong AD", key, [][]byte{[]byte("x")}, good, ErrDecrypt},
		{"too many AD", key, make([][]byte, 127), good, ErrDecrypt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := SIVOpen(tc.key, tc.ad, tc.sealed)
			require.Nil(t, pt)
			require.ErrorIs(t, err, tc.want)
		})
	}
	_, err = SIVSeal(key[:31], nil, nil)
	require.ErrorIs(t, err, ErrBadKey)
	_, err = SIVSeal(key, make([][]byte, 127), nil)
	require.ErrorIs(t, err, ErrTooManyAD)
	_, err = SIVSeal(key, make([][]byte, 126), nil)
	require.NoError(t, err)
}

func TestHKDFSalt(t *testing.T) {
	// The salt is the one of CRYPTO.md §0.
	require.Equal(t, "000000000000000000024bead8df69990852c202db0e0097c1a12ea637d7e96d", hex.EncodeToString(Salt[:]))
	a := HKDF([]byte("ikm"), "")
	b := HKDF([]byte("ikm"), "x")
	require.NotEqual(t, a, b)
	require.Equal(t, a, HKDF([]byte("ikm"), ""))
}
