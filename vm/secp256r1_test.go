package vm

import (
	"bytes"
	"crypto/sha256"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/keys"
)

func TestSecp256r1Import(t *testing.T) {
	v := newVM(t)
	code := store(t, v, module(t, cryptoContract("secp256r1_verify")))

	sk, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	pub := sk.PubKey().Key
	msg := []byte("reading 42")
	sig, err := sk.Sign(msg)
	require.NoError(t, err)
	hash := sha256.Sum256(msg)

	// The same signature with S replaced by n-S: valid ECDSA, but high-S.
	n := p256Order
	s := new(big.Int).SetBytes(sig[32:])
	high := bytes.Clone(sig)
	new(big.Int).Sub(n, s).FillBytes(high[32:])

	other, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)

	bad := func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-1] ^= 1; return c }
	zeroR := bytes.Clone(sig)
	clear(zeroR[:32])
	cases := []struct {
		name string
		args []byte
		want byte
	}{
		{"valid", packArgs(hash[:], sig, pub), verified},
		{"wrong hash", packArgs(bad(hash[:]), sig, pub), notVerified},
		{"bad signature", packArgs(hash[:], bad(sig), pub), notVerified},
		{"high S", packArgs(hash[:], high, pub), notVerified},
		{"other key", packArgs(hash[:], sig, other.PubKey().Key), notVerified},
		{"short hash", packArgs(hash[:31], sig, pub), errHashFormat},
		{"short signature", packArgs(hash[:], sig[:63], pub), errSignatureFormat},
		{"zero r", packArgs(hash[:], zeroR, pub), errSignatureFormat},
		{"short key", packArgs(hash[:], sig, pub[:32]), errPubKeyFormat},
		{"bad key prefix", packArgs(hash[:], sig, append([]byte{0x04}, pub[1:]...)), errPubKeyFormat},
		{"ed25519 key", packArgs(hash[:], sig, make([]byte, 32)), errPubKeyFormat},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := call(t, v, code, "instantiate", string(tc.args), newState(t), 50_000_000)
			require.NoError(t, err)
			require.Equal(t, []byte{tc.want}, res.JSON)
		})
	}
	// The Go function agrees with package keys on its own signatures.
	require.True(t, sk.PubKey().Verify(msg, sig))
	require.False(t, sk.PubKey().Verify(msg, high))
	require.Equal(t, uint32(verified), verifySecp256r1(hash[:], sig, pub))
}
