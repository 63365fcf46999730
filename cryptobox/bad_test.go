package cryptobox

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// lowOrderPoints are X25519 public keys whose shared secret is all zero for every private key: the
// points of order 1, 2, 4 and 8 and their non-canonical encodings (RFC 7748 §6.1, libsodium's
// blacklist), and each of them with the top bit set, which RFC 7748 §5 masks off. (libsodium also
// lists cdeb…80, 4c9c…d7 and d9ff…ff to dbff…ff, the 2^255-range aliases for implementations that
// do not mask that bit; after masking they are ordinary points, so they are not in this list.)
var lowOrderPoints = func() []string {
	canonical := []string{
		"0000000000000000000000000000000000000000000000000000000000000000", // 0 (order 4)
		"0100000000000000000000000000000000000000000000000000000000000000", // 1 (order 1)
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", // order 8
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", // order 8
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p-1 (order 2)
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p, i.e. 0
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p+1, i.e. 1
	}
	out := append([]string(nil), canonical...)
	for _, p := range canonical {
		b, _ := hex.DecodeString(p)
		b[31] |= 0x80
		out = append(out, hex.EncodeToString(b))
	}
	return out
}()

// requireNoSecrets checks that err's text contains none of the secrets, in hex or raw.
func requireNoSecrets(t *testing.T, err error, secrets ...[]byte) {
	t.Helper()
	require.Error(t, err)
	msg := err.Error()
	for _, s := range secrets {
		if len(s) < 4 {
			continue
		}
		require.NotContains(t, strings.ToLower(msg), hex.EncodeToString(s))
		require.NotContains(t, msg, string(s))
	}
}

func TestX25519LowOrder(t *testing.T) {
	sks := [][]byte{bytes.Repeat([]byte{0x11}, 32), sha256.New().Sum(nil)}
	for _, p := range lowOrderPoints {
		t.Run(p[:8]+"…"+p[62:], func(t *testing.T) {
			pk := unhex(t, p)
			for _, sk := range sks {
				out, err := X25519(sk, pk)
				require.Nil(t, out)
				require.ErrorIs(t, err, ErrLowOrder)
				_, err = SeedExchangeKey(sk, pk)
				require.ErrorIs(t, err, ErrLowOrder)
				_, err = NewSession(sk, make([]byte, 32), pk)
				require.ErrorIs(t, err, ErrLowOrder)
				_, _, err = SealInput(sk, make([]byte, 32), pk, [32]byte{}, []byte("{}"))
				require.ErrorIs(t, err, ErrLowOrder)
			}
		})
	}
}

func TestKeyLengths(t *testing.T) {
	k := make([]byte, 32)
	pk, err := PublicKey(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	for _, n := range []int{0, 16, 31, 33, 64} {
		b := make([]byte, n)
		_, err := X25519(b, pk)
		require.ErrorIs(t, err, ErrBadKey)
		_, err = X25519(k, b)
		require.ErrorIs(t, err, ErrBadKey)
		_, err = PublicKey(b)
		require.ErrorIs(t, err, ErrBadKey)
		_, _, err = SealInput(k, b, pk, [32]byte{}, nil)
		require.ErrorIs(t, err, ErrBadKey)
		_, err = NewSession(k, b, pk)
		require.ErrorIs(t, err, ErrBadKey)
		_, err = Seal(b, nil, []byte("x"))
		require.ErrorIs(t, err, ErrBadKey)
		_, err = Unseal(b, nil, make([]byte, 40))
		require.ErrorIs(t, err, ErrBadKey)
	}
}

// TestOpenInputBad runs every way an encrypted input can be wrong and checks the sentinel and that
// the error text holds no key or plaintext.
func TestOpenInputBad(t *testing.T) {
	v := loadVectors(t)
	ioSK := []byte(v.NetworkKeys.IOExchangeSK)
	ioPK := []byte(v.NetworkKeys.IOExchangePK)
	userSK := bytes.Repeat([]byte{0x5a}, 32)
	nonce := bytes.Repeat([]byte{0xa5}, 32)
	codeHash := sha256.Sum256([]byte("wasm"))
	msg := []byte(`{"secret":"attack at dawn"}`)
	wire, txKey, err := SealInput(userSK, nonce, ioPK, codeHash, msg)
	require.NoError(t, err)
	secrets := [][]byte{ioSK, userSK, txKey[:], msg, codeHash[:], []byte(hex.EncodeToString(codeHash[:]))}

	flip := func(i int) []byte {
		w := bytes.Clone(wire)
		w[i] ^= 0x80
		return w
	}
	withPK := func(pk []byte) []byte {
		w := bytes.Clone(wire)
		copy(w[32:64], pk)
		return w
	}
	// sealRaw builds a wire around an arbitrary plaintext.
	sealRaw := func(pt []byte) []byte {
		shared, err := X25519(userSK, ioPK)
		require.NoError(t, err)
		k := txKeyFrom(shared, nonce)
		ct, err := SIVSeal(k[:], [][]byte{{}}, pt)
		require.NoError(t, err)
		pub, err := PublicKey(userSK)
		require.NoError(t, err)
		return append(append(bytes.Clone(nonce), pub...), ct...)
	}
	tests := []struct {
		name string
		wire []byte
		want error
	}{
		{"empty", nil, ErrShortWire},
		{"nonce only", wire[:32], ErrShortWire},
		{"no ciphertext", wire[:64], ErrShortWire},
		{"one short of minimum", wire[:143], ErrShortWire},
		{"truncated", wire[:len(wire)-1], ErrDecrypt},
		{"minimum length, wrong tag", wire[:144], ErrDecrypt},
		{"flipped nonce", flip(0), ErrDecrypt},
		{"flipped public key", flip(40), ErrDecrypt},
		{"flipped tag", flip(64), ErrDecrypt},
		{"flipped ciphertext", flip(100), ErrDecrypt},
		{"flipped last byte", flip(len(wire) - 1), ErrDecrypt},
		{"appended byte", append(bytes.Clone(wire), 0), ErrDecrypt},
		{"uppercase code hash", sealRaw(append([]byte(strings.ToUpper(hex.EncodeToString(codeHash[:]))), msg...)), ErrBadCodeHash},
		{"code hash not hex", sealRaw(append(bytes.Repeat([]byte("g"), 64), msg...)), ErrBadCodeHash},
		{"code hash cut short", sealRaw(append([]byte(hex.EncodeToString(codeHash[:]))[:63], bytes.Repeat([]byte("}"), 10)...)), ErrBadCodeHash},
	}
	for _, p := range lowOrderPoints {
		tests = append(tests, struct {
			name string
			wire []byte
			want error
		}{"low-order key " + p[:8] + "…" + p[62:], withPK(unhex(t, p)), ErrLowOrder})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := OpenInput(cachedShared(ioSK), tc.wire)
			require.Nil(t, in)
			require.ErrorIs(t, err, tc.want)
			requireNoSecrets(t, err, secrets...)
		})
	}

	t.Run("wrong code hash", func(t *testing.T) {
		in, err := OpenInput(cachedShared(ioSK), wire)
		require.NoError(t, err)
		require.Equal(t, msg, in.Msg)
		require.NoError(t, in.CheckCodeHash(codeHash))
		for _, other := range [][32]byte{{}, sha256.Sum256([]byte("other wasm")), func() [32]byte { h := codeHash; h[31] ^= 1; return h }()} {
			err := in.CheckCodeHash(other)
			require.ErrorIs(t, err, ErrWrongCodeHash)
			requireNoSecrets(t, err, secrets...)
		}
	})

	t.Run("shared closure error is passed on", func(t *testing.T) {
		boom := errors.New("enclave unavailable")
		_, err := OpenInput(func([]byte) ([]byte, error) { return nil, boom }, wire)
		require.ErrorIs(t, err, boom)
	})
	t.Run("closure returning zeros is low order", func(t *testing.T) {
		_, err := OpenInput(func([]byte) ([]byte, error) { return make([]byte, 32), nil }, wire)
		require.ErrorIs(t, err, ErrLowOrder)
	})
	t.Run("closure returning a short secret", func(t *testing.T) {
		_, err := OpenInput(func([]byte) ([]byte, error) { return []byte{1}, nil }, wire)
		require.ErrorIs(t, err, ErrBadKey)
	})
	t.Run("wrong io key", func(t *testing.T) {
		_, err := OpenInput(cachedShared(bytes.Repeat([]byte{3}, 32)), wire)
		require.ErrorIs(t, err, ErrDecrypt)
	})
}

func TestEncryptInputRoundTrip(t *testing.T) {
	v := loadVectors(t)
	ioSK := []byte(v.NetworkKeys.IOExchangeSK)
	ioPK := []byte(v.NetworkKeys.IOExchangePK)
	codeHash := sha256.Sum256([]byte("code"))
	msg := []byte(`{"ping":{}}`)

	w1, s1, err := EncryptInput(bytes.NewReader(bytes.Repeat([]byte{1}, 64)), ioPK, codeHash, msg)
	require.NoError(t, err)
	w2, _, err := EncryptInput(bytes.NewReader(bytes.Repeat([]byte{2}, 64)), ioPK, codeHash, msg)
	require.NoError(t, err)
	require.NotEqual(t, w1, w2)

	in, err := OpenInput(cachedShared(ioSK), w1)
	require.NoError(t, err)
	require.NoError(t, in.CheckCodeHash(codeHash))
	require.Equal(t, msg, in.Msg)
	out, err := EncryptOutput(in.TxKey, []byte("pong"))
	require.NoError(t, err)
	pt, err := s1.DecryptOutput(out)
	require.NoError(t, err)
	require.Equal(t, "pong", string(pt))

	s2, err := NewSession(bytes.Repeat([]byte{2}, 32), bytes.Repeat([]byte{2}, 32), ioPK)
	require.NoError(t, err)
	_, err = s2.DecryptOutput(out)
	require.ErrorIs(t, err, ErrDecrypt)

	_, _, err = EncryptInput(bytes.NewReader(make([]byte, 63)), ioPK, codeHash, msg)
	require.Error(t, err)
}

func TestStateBad(t *testing.T) {
	var vk, kk [32]byte
	vk[0], kk[0] = 1, 2
	sk, err := EncryptStateKey(kk, []byte("balance"))
	require.NoError(t, err)
	pos := WritePos{Height: 5, TxIndex: 1, WriteIndex: 9}
	val := []byte("plaintext value 12345")
	sv, err := EncryptStateValue(vk, 3, sk, pos, val)
	require.NoError(t, err)
	secrets := [][]byte{vk[:], kk[:], val, []byte("balance")}

	// The same value at another position looks different.
	sv2, err := EncryptStateValue(vk, 3, sk, WritePos{Height: 5, TxIndex: 1, WriteIndex: 10}, val)
	require.NoError(t, err)
	require.NotEqual(t, sv[25:], sv2[25:])

	tests := []struct {
		name   string
		stored []byte
		sk     []byte
		want   error
	}{
		{"empty", nil, sk, ErrShortValue},
		{"header only", sv[:25], sk, ErrShortValue},
		{"one short", sv[:40], sk, ErrShortValue},
		{"truncated", sv[:len(sv)-1], sk, ErrDecrypt},
		{"salt changed", func() []byte { b := bytes.Clone(sv); b[10] ^= 1; return b }(), sk, ErrDecrypt},
		{"tag changed", func() []byte { b := bytes.Clone(sv); b[25] ^= 1; return b }(), sk, ErrDecrypt},
		{"ciphertext changed", func() []byte { b := bytes.Clone(sv); b[len(b)-1] ^= 1; return b }(), sk, ErrDecrypt},
		{"other stored key", sv, append(bytes.Clone(sk), 0), ErrDecrypt},
		{"moved to another position", append(append([]byte{3}, sv2[1:25]...), sv[25:]...), sk, ErrDecrypt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := DecryptStateValue(vk, tc.sk, tc.stored)
			require.Nil(t, pt)
			require.ErrorIs(t, err, tc.want)
			requireNoSecrets(t, err, secrets...)
		})
	}
	// The seed index byte is not authenticated by SIV but selects the key: a changed index means the
	// caller picks another key, which fails.
	idx, err := StateValueSeedIndex(sv)
	require.NoError(t, err)
	require.Equal(t, uint8(3), idx)
	_, err = StateValueSeedIndex(sv[:40])
	require.ErrorIs(t, err, ErrShortValue)

	_, err = DecryptStateKey(kk, sk[:len(sk)-1])
	require.ErrorIs(t, err, ErrDecrypt)
	_, err = DecryptStateKey(vk, sk)
	require.ErrorIs(t, err, ErrDecrypt)
}

func TestSeedAndSealBad(t *testing.T) {
	var k [32]byte
	k[5] = 7
	regPK := bytes.Repeat([]byte{4}, 32)
	seed := bytes.Repeat([]byte{0xee}, 32)
	ct, err := EncryptSeed(k, regPK, 2, seed)
	require.NoError(t, err)
	got, err := DecryptSeed(k, regPK, 2, ct)
	require.NoError(t, err)
	require.Equal(t, seed, got)

	sealKey := bytes.Repeat([]byte{0x33}, 32)
	meas := []byte("measurement-A")
	secret := []byte("sealed registration key material")
	sealed, err := Seal(sealKey, meas, secret)
	require.NoError(t, err)
	pt, err := Unseal(sealKey, meas, sealed)
	require.NoError(t, err)
	require.Equal(t, secret, pt)
	// Seal binds its label: the same data sealed with plain SIV and the measurement alone differs.
	plain, err := SIVSeal(sealKey, [][]byte{meas}, secret)
	require.NoError(t, err)
	require.NotEqual(t, plain, sealed)

	modified := bytes.Clone(sealed)
	modified[20] ^= 4
	tests := []struct {
		name string
		do   func() ([]byte, error)
	}{
		{"seed: wrong index", func() ([]byte, error) { return DecryptSeed(k, regPK, 1, ct) }},
		{"seed: wrong registration key", func() ([]byte, error) { return DecryptSeed(k, bytes.Repeat([]byte{5}, 32), 2, ct) }},
		{"seed: wrong key", func() ([]byte, error) { return DecryptSeed([32]byte{1}, regPK, 2, ct) }},
		{"seed: modified", func() ([]byte, error) { b := bytes.Clone(ct); b[0] ^= 1; return DecryptSeed(k, regPK, 2, b) }},
		{"seal: modified", func() ([]byte, error) { return Unseal(sealKey, meas, modified) }},
		{"seal: wrong measurement", func() ([]byte, error) { return Unseal(sealKey, []byte("measurement-B"), sealed) }},
		{"seal: no measurement", func() ([]byte, error) { return Unseal(sealKey, nil, sealed) }},
		{"seal: wrong key", func() ([]byte, error) { return Unseal(bytes.Repeat([]byte{0x34}, 32), meas, sealed) }},
		{"seal: truncated", func() ([]byte, error) { return Unseal(sealKey, meas, sealed[:10]) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := tc.do()
			require.Nil(t, pt)
			require.ErrorIs(t, err, ErrDecrypt)
			requireNoSecrets(t, err, k[:], seed, sealKey, secret)
		})
	}
}

// TestSentinelsDistinct checks that no sentinel matches another.
func TestSentinelsDistinct(t *testing.T) {
	all := []error{ErrDecrypt, ErrLowOrder, ErrShortWire, ErrWrongCodeHash, ErrBadCodeHash, ErrBadKey, ErrShortValue, ErrTooManyAD}
	seen := map[string]bool{}
	for i, a := range all {
		require.False(t, seen[a.Error()], a.Error())
		seen[a.Error()] = true
		for j, b := range all {
			require.Equal(t, i == j, errors.Is(a, b))
		}
	}
}
