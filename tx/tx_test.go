package tx

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hermetic-chain/hermetic/keys"
)

func fixedKey(t testing.TB, typ keys.KeyType) keys.PrivKey {
	t.Helper()
	k, err := keys.PrivKeyFromBytes(typ, bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	return k
}

func sampleTx(t testing.TB, k keys.PrivKey) *Tx {
	t.Helper()
	to := fixedKey(t, keys.KeyEd25519).PubKey().Address()
	tx := &Tx{
		Version: Version, ChainID: "hermetic-test", Sequence: 3,
		Fee: Coin{Denom: Denom, Amount: 600}, GasLimit: 60_000, Memo: "hello",
		Msgs: []Any{NewAny(&MsgSend{From: k.PubKey().Address(), To: to, Amount: Coin{Denom: Denom, Amount: 5}})},
	}
	require.NoError(t, tx.Sign(k))
	return tx
}

func TestRoundTripAndSignature(t *testing.T) {
	for _, typ := range []keys.KeyType{keys.KeyEd25519, keys.KeyP256} {
		t.Run(typ.String(), func(t *testing.T) {
			k, err := keys.Generate(typ)
			require.NoError(t, err)
			tx := sampleTx(t, k)
			require.NoError(t, tx.VerifySignature())
			got, err := Decode(tx.Marshal())
			require.NoError(t, err)
			require.Equal(t, tx, got)
			require.NoError(t, got.VerifySignature())
			require.Equal(t, k.PubKey().Address(), got.Sender())
			require.Equal(t, tx.Hash(), got.Hash())

			m, err := DecodeMsg(got.Msgs[0])
			require.NoError(t, err)
			require.Equal(t, k.PubKey().Address(), m.(*MsgSend).From)
		})
	}
}

// TestGoldenEncoding pins the wire format: a change to it breaks every
// client and every stored transaction. The bytes are in docs/tx.md.
func TestGoldenEncoding(t *testing.T) {
	tx := sampleTx(t, fixedKey(t, keys.KeyEd25519))
	const want = "0801120d6865726d657469632d746573741a2408011220ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c" +
		"20032a0a0a05756865726d10d80430e0d4033a540a192f6865726d657469632e62616e6b2e76312e4d736753656e6412370a14336c011b" +
		"42bacae9a4e26501f8fa27228c2128d81214336c011b42bacae9a4e26501f8fa27228c2128d81a090a05756865726d1005420568656c6c" +
		"6f4a40bc36492af96b449ea616f10ddc00e35e006b396866141d241424b2d74fc70009e578070ced081d3969a7771e78069056cd354e2c" +
		"6ee965329b1dc0d16b9ca100"
	require.Equal(t, want, hex.EncodeToString(tx.Marshal()))
	require.True(t, bytes.HasPrefix(tx.SignBytes(), []byte("hermetic/tx/v1\x00")))
}

func TestTamperedFieldsFailSignature(t *testing.T) {
	k := fixedKey(t, keys.KeyP256)
	other, err := keys.Generate(keys.KeyP256)
	require.NoError(t, err)
	tests := []struct {
		name   string
		tamper func(*Tx)
	}{
		{"chain id", func(tx *Tx) { tx.ChainID = "other-chain" }},
		{"sequence", func(tx *Tx) { tx.Sequence++ }},
		{"fee", func(tx *Tx) { tx.Fee.Amount-- }},
		{"gas limit", func(tx *Tx) { tx.GasLimit++ }},
		{"message", func(tx *Tx) { tx.Msgs[0].Value[len(tx.Msgs[0].Value)-1]++ }},
		{"extra message", func(tx *Tx) { tx.Msgs = append(tx.Msgs, tx.Msgs[0]) }},
		{"memo", func(tx *Tx) { tx.Memo = "hellp" }},
		{"signer", func(tx *Tx) { tx.Signer = other.PubKey() }},
		{"signature", func(tx *Tx) { tx.Signature[5] ^= 1 }},
		{"short signature", func(tx *Tx) { tx.Signature = tx.Signature[:63] }},
		{"bad signer key", func(tx *Tx) { tx.Signer.Key = tx.Signer.Key[1:] }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx := sampleTx(t, k)
			tc.tamper(tx)
			require.ErrorIs(t, tx.VerifySignature(), ErrBadSignature)
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good := sampleTx(t, fixedKey(t, keys.KeyEd25519))
	enc := good.Marshal()
	with := func(f func(tx *Tx)) []byte {
		tx := sampleTx(t, fixedKey(t, keys.KeyEd25519))
		f(tx)
		return tx.Marshal()
	}
	tests := []struct {
		name string
		in   []byte
		err  error
	}{
		{"empty", nil, ErrMalformed},
		{"garbage", []byte{0xff, 0xff, 0xff}, ErrMalformed},
		{"truncated", enc[:len(enc)-3], ErrMalformed},
		{"unknown field", protowire.AppendVarint(protowire.AppendTag(bytes.Clone(enc), 15, protowire.VarintType), 1), ErrMalformed},
		{"repeated scalar field", append(bytes.Clone(enc), enc[:2]...), ErrMalformed},
		{"fields out of order", append(bytes.Clone(enc[2:]), enc[:2]...), ErrMalformed},
		{"explicit zero", append([]byte{0x08, 0x01, 0x20, 0x00}, enc[2:]...), ErrMalformed},
		{"wrong wire type", append([]byte{0x0a, 0x01, 0x01}, enc[2:]...), ErrMalformed},
		{"fixed64 field", append(protowire.AppendTag(nil, 1, protowire.Fixed64Type), 1, 0, 0, 0, 0, 0, 0, 0), ErrMalformed},
		{"version 2", with(func(tx *Tx) { tx.Version = 2 }), ErrUnsupportedVersion},
		{"version 0", with(func(tx *Tx) { tx.Version = 0 }), ErrUnsupportedVersion},
		{"oversize", make([]byte, MaxTxBytes+1), ErrTooLarge},
		{"no chain id", with(func(tx *Tx) { tx.ChainID = "" }), ErrMalformed},
		{"chain id not UTF-8", with(func(tx *Tx) { tx.ChainID = "\xff" }), ErrMalformed},
		{"long memo", with(func(tx *Tx) { tx.Memo = string(bytes.Repeat([]byte{'m'}, MaxMemoBytes+1)) }), ErrMalformed},
		{"no signature", with(func(tx *Tx) { tx.Signature = nil }), ErrMalformed},
		{"unknown key type", with(func(tx *Tx) { tx.Signer.Type = 9 }), ErrMalformed},
		{"short key", with(func(tx *Tx) { tx.Signer.Key = tx.Signer.Key[:31] }), ErrMalformed},
		{"message without type", with(func(tx *Tx) { tx.Msgs[0].TypeURL = "" }), ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.in)
			require.ErrorIs(t, err, tc.err)
		})
	}
}

func TestMessages(t *testing.T) {
	a := fixedKey(t, keys.KeyEd25519).PubKey().Address()
	b := fixedKey(t, keys.KeyP256).PubKey().Address()
	amt := Coin{Denom: Denom, Amount: 10}
	valid := []Msg{&MsgSend{From: a, To: b, Amount: amt}, &MsgBond{Delegator: a, Validator: b, Amount: amt}, &MsgUnbond{Delegator: a, Validator: b, Amount: amt}}
	for _, m := range valid {
		t.Run(m.TypeURL(), func(t *testing.T) {
			require.NoError(t, m.ValidateBasic())
			got, err := DecodeMsg(NewAny(m))
			require.NoError(t, err)
			require.Equal(t, m, got)
		})
	}
	invalid := []Msg{
		&MsgSend{To: b, Amount: amt},
		&MsgSend{From: a, Amount: amt},
		&MsgSend{From: a, To: b, Amount: Coin{Denom: Denom}},
		&MsgBond{Delegator: a, Validator: b, Amount: Coin{Amount: 1}},
		&MsgUnbond{Validator: b, Amount: amt},
	}
	for _, m := range invalid {
		require.ErrorIs(t, m.ValidateBasic(), ErrInvalidMessage, "%+v", m)
	}
	bad := []Any{
		{TypeURL: "/cosmos.bank.v1beta1.MsgSend", Value: valid[0].Marshal()},
		{TypeURL: valid[0].TypeURL(), Value: []byte{0x0a, 0x02, 1, 2}},               // short address
		{TypeURL: valid[0].TypeURL(), Value: append(valid[0].Marshal(), 0x08, 0x01)}, // unknown varint field
		{TypeURL: valid[0].TypeURL(), Value: append(valid[0].Marshal(), valid[0].Marshal()[:22]...)},
	}
	for i, a := range bad {
		_, err := DecodeMsg(a)
		require.ErrorIs(t, err, ErrInvalidMessage, "case %d", i)
	}
}

func TestJSON(t *testing.T) {
	tx := sampleTx(t, fixedKey(t, keys.KeyP256))
	tx.Msgs = append(tx.Msgs, Any{TypeURL: "/other.Msg", Value: []byte{1, 2}})
	bz, err := json.Marshal(tx)
	require.NoError(t, err)
	require.Contains(t, string(bz), `"amount":{"denom":"uherm","amount":"5"}`)
	require.Contains(t, string(bz), tx.Sender().String())
	var got Tx
	require.NoError(t, json.Unmarshal(bz, &got))
	require.Equal(t, tx.Marshal(), got.Marshal())
}

// FuzzDecode checks that Decode never panics and accepts only canonical
// encodings: whatever it accepts re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add(sampleTx(f, fixedKey(f, keys.KeyEd25519)).Marshal())
	f.Add(sampleTx(f, fixedKey(f, keys.KeyP256)).Marshal())
	f.Add([]byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := Decode(b)
		if err != nil {
			return
		}
		require.Equal(t, b, tx.Marshal())
		_ = tx.VerifySignature()
		for _, m := range tx.Msgs {
			if msg, err := DecodeMsg(m); err == nil {
				require.Equal(t, m.Value, msg.Marshal())
				_ = msg.ValidateBasic()
			}
		}
	})
}
