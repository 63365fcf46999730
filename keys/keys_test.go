package keys

import (
	"crypto/sha256"
	"encoding/json"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

var keyTypes = []KeyType{KeyEd25519, KeyP256}

func TestKeyTypeStringParse(t *testing.T) {
	tests := []struct {
		in      string
		want    KeyType
		wantErr bool
	}{
		{"ed25519", KeyEd25519, false},
		{"ED25519", KeyEd25519, false},
		{"p256", KeyP256, false},
		{"secp256r1", KeyP256, false},
		{"ecdsa-p256", KeyP256, false},
		{"secp256k1", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseKeyType(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrUnknownKeyType)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
	require.Equal(t, "ed25519", KeyEd25519.String())
	require.Equal(t, "p256", KeyP256.String())
	require.Equal(t, "KeyType(9)", KeyType(9).String())
}

func TestKeyTypeJSON(t *testing.T) {
	for _, kt := range keyTypes {
		b, err := json.Marshal(kt)
		require.NoError(t, err)
		require.Equal(t, `"`+kt.String()+`"`, string(b))
		var got KeyType
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, kt, got)
	}
	_, err := json.Marshal(KeyType(7))
	require.ErrorIs(t, err, ErrUnknownKeyType)
	var kt KeyType
	require.ErrorIs(t, json.Unmarshal([]byte(`"rsa"`), &kt), ErrUnknownKeyType)
	require.Error(t, json.Unmarshal([]byte(`1`), &kt))
}

func TestSignVerify(t *testing.T) {
	for _, kt := range keyTypes {
		t.Run(kt.String(), func(t *testing.T) {
			k, err := Generate(kt)
			require.NoError(t, err)
			require.Equal(t, kt, k.Type())
			pub := k.PubKey()
			require.NoError(t, pub.Validate())
			require.Equal(t, kt, pub.Type)

			msg := []byte("hello hermetic")
			sig, err := k.Sign(msg)
			require.NoError(t, err)
			require.Len(t, sig, SignatureSize)
			require.True(t, pub.Verify(msg, sig))

			tests := []struct {
				name string
				msg  []byte
				sig  []byte
			}{
				{"tampered message", []byte("hello hermetiC"), sig},
				{"tampered sig first byte", msg, flip(sig, 0)},
				{"tampered sig last byte", msg, flip(sig, len(sig)-1)},
				{"short sig", msg, sig[:63]},
				{"long sig", msg, append(append([]byte(nil), sig...), 0)},
				{"empty sig", msg, nil},
				{"zero sig", msg, make([]byte, 64)},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					require.False(t, pub.Verify(tt.msg, tt.sig))
				})
			}

			other, err := Generate(kt)
			require.NoError(t, err)
			require.False(t, other.PubKey().Verify(msg, sig), "wrong key")
			require.False(t, PubKey{Type: otherType(kt), Key: pub.Key}.Verify(msg, sig), "wrong type")

			// Round trip through raw bytes.
			k2, err := PrivKeyFromBytes(kt, k.Bytes())
			require.NoError(t, err)
			require.Len(t, k.Bytes(), PrivKeySize)
			require.Equal(t, k.Bytes(), k2.Bytes())
			require.True(t, k2.PubKey().Equal(pub))
			sig2, err := k2.Sign(msg)
			require.NoError(t, err)
			require.True(t, pub.Verify(msg, sig2))
		})
	}
}

func TestP256HighSRejected(t *testing.T) {
	k, err := Generate(KeyP256)
	require.NoError(t, err)
	pub := k.PubKey()
	msg := []byte("malleability")
	for i := 0; i < 16; i++ {
		sig, err := k.Sign(msg)
		require.NoError(t, err)
		s := new(big.Int).SetBytes(sig[32:])
		require.True(t, s.Cmp(p256HalfOrder) <= 0, "Sign must produce low-S")
		require.True(t, pub.Verify(msg, sig))

		high := append([]byte(nil), sig...)
		new(big.Int).Sub(p256Order, s).FillBytes(high[32:])
		require.False(t, pub.Verify(msg, high), "high-S signature must be rejected")
	}
	// s = n (out of range) and r = 0 are rejected too.
	sig, err := k.Sign(msg)
	require.NoError(t, err)
	bad := append([]byte(nil), sig...)
	p256Order.FillBytes(bad[32:])
	require.False(t, pub.Verify(msg, bad))
}

func TestPrivKeyFromBytesErrors(t *testing.T) {
	tests := []struct {
		name string
		kt   KeyType
		b    []byte
		want error
	}{
		{"ed25519 short", KeyEd25519, make([]byte, 31), ErrInvalidPrivKey},
		{"ed25519 long", KeyEd25519, make([]byte, 64), ErrInvalidPrivKey},
		{"p256 short", KeyP256, make([]byte, 31), ErrInvalidPrivKey},
		{"p256 zero", KeyP256, make([]byte, 32), ErrInvalidPrivKey},
		{"p256 order", KeyP256, p256Order.FillBytes(make([]byte, 32)), ErrInvalidPrivKey},
		{"unknown type", KeyType(3), make([]byte, 32), ErrUnknownKeyType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PrivKeyFromBytes(tt.kt, tt.b)
			require.ErrorIs(t, err, tt.want)
		})
	}
	_, err := Generate(KeyType(0))
	require.ErrorIs(t, err, ErrUnknownKeyType)
}

func TestPubKeyValidate(t *testing.T) {
	p, err := Generate(KeyP256)
	require.NoError(t, err)
	good := p.PubKey().Key
	notOnCurve := append([]byte(nil), good...)
	notOnCurve[0] = 0x05 // invalid prefix
	xTooBig := make([]byte, 33)
	xTooBig[0] = 2
	for i := 1; i < 33; i++ {
		xTooBig[i] = 0xff
	}
	tests := []struct {
		name    string
		pk      PubKey
		wantErr error
	}{
		{"ed25519 ok", PubKey{KeyEd25519, make([]byte, 32)}, nil},
		{"ed25519 short", PubKey{KeyEd25519, make([]byte, 31)}, ErrInvalidPubKey},
		{"p256 ok", PubKey{KeyP256, good}, nil},
		{"p256 uncompressed length", PubKey{KeyP256, make([]byte, 65)}, ErrInvalidPubKey},
		{"p256 bad prefix", PubKey{KeyP256, notOnCurve}, ErrInvalidPubKey},
		{"p256 x out of range", PubKey{KeyP256, xTooBig}, ErrInvalidPubKey},
		{"p256 ed25519 length", PubKey{KeyP256, make([]byte, 32)}, ErrInvalidPubKey},
		{"unknown type", PubKey{KeyType(9), make([]byte, 32)}, ErrUnknownKeyType},
		{"zero", PubKey{}, ErrInvalidPubKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pk.Validate()
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.False(t, tt.pk.Verify([]byte("m"), make([]byte, 64)))
		})
	}
}

func TestPubKeyJSON(t *testing.T) {
	for _, kt := range keyTypes {
		k, err := Generate(kt)
		require.NoError(t, err)
		pub := k.PubKey()
		b, err := json.Marshal(pub)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(b, &m))
		require.Equal(t, kt.String(), m["type"])
		require.IsType(t, "", m["key"])
		var got PubKey
		require.NoError(t, json.Unmarshal(b, &got))
		require.True(t, pub.Equal(got))
	}
	var got PubKey
	require.NoError(t, json.Unmarshal([]byte(`{"type":"ed25519","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`), &got))
	require.Equal(t, PubKey{Type: KeyEd25519, Key: make([]byte, 32)}, got)
}

func TestPubKeyEqual(t *testing.T) {
	a := PubKey{KeyEd25519, []byte{1, 2, 3}}
	require.True(t, a.Equal(PubKey{KeyEd25519, []byte{1, 2, 3}}))
	require.False(t, a.Equal(PubKey{KeyP256, []byte{1, 2, 3}}))
	require.False(t, a.Equal(PubKey{KeyEd25519, []byte{1, 2, 4}}))
}

func TestAddressDerivation(t *testing.T) {
	for _, kt := range keyTypes {
		k, err := Generate(kt)
		require.NoError(t, err)
		pub := k.PubKey()
		h := sha256.Sum256(append(append([]byte("hermetic/address/v1"), byte(kt)), pub.Key...))
		var want Address
		copy(want[:], h[:20])
		require.Equal(t, want, pub.Address())
		// The type is bound into the address.
		require.NotEqual(t, pub.Address(), PubKey{Type: otherType(kt), Key: pub.Key}.Address())
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x01
	return c
}

func otherType(kt KeyType) KeyType {
	if kt == KeyEd25519 {
		return KeyP256
	}
	return KeyEd25519
}

func TestKeyTypeZeroJSON(t *testing.T) {
	// An unset PubKey still marshals; it does not validate.
	b, err := json.Marshal(PubKey{})
	require.NoError(t, err)
	require.JSONEq(t, `{"type":"","key":null}`, string(b))
	var p PubKey
	require.NoError(t, json.Unmarshal(b, &p))
	require.Equal(t, KeyType(0), p.Type)
	require.ErrorIs(t, p.Validate(), ErrInvalidPubKey)
}
