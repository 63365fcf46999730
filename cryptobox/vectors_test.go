package cryptobox

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// hexBytes decodes a lowercase-hex JSON string.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	d, err := hex.DecodeString(s)
	*h = d
	return err
}

type vectors struct {
	Salt   hexBytes `json:"salt"`
	AESSIV []struct {
		Name       string     `json:"name"`
		Key        hexBytes   `json:"key"`
		AD         []hexBytes `json:"ad"`
		Plaintext  hexBytes   `json:"plaintext"`
		Ciphertext hexBytes   `json:"ciphertext"`
	} `json:"aes_siv"`
	NetworkKeys struct {
		Seeds            []hexBytes `json:"seeds"`
		CurrentSeedIndex int        `json:"current_seed_index"`
		SeedExchangeSK   hexBytes   `json:"seed_exchange_sk"`
		SeedExchangePK   hexBytes   `json:"seed_exchange_pk"`
		IOExchangeSK     hexBytes   `json:"io_exchange_sk"`
		IOExchangePK     hexBytes   `json:"io_exchange_pk"`
		StateIKM         []hexBytes `json:"state_ikm"`
		CallbackSecret   hexBytes   `json:"callback_secret"`
		RandomnessKey    hexBytes   `json:"randomness_key"`
	} `json:"network_keys"`
	IO []struct {
		UserSK           hexBytes `json:"user_sk"`
		UserPK           hexBytes `json:"user_pk"`
		Nonce            hexBytes `json:"nonce"`
		CodeHashHex      string   `json:"code_hash_hex"`
		Msg              string   `json:"msg_utf8"`
		TxKey            hexBytes `json:"tx_key"`
		Wire             hexBytes `json:"wire"`
		OutputPlaintext  string   `json:"output_plaintext_utf8"`
		OutputCiphertext hexBytes `json:"output_ciphertext"`
	} `json:"io"`
	IOReject []struct {
		Why  string   `json:"why"`
		Wire hexBytes `json:"wire"`
	} `json:"io_reject"`
	State []struct {
		ContractAddress   hexBytes `json:"contract_address"`
		ContractKey       hexBytes `json:"contract_key"`
		KeyKey            hexBytes `json:"key_key"`
		ValueKeySeedIndex uint8    `json:"value_key_seed_index"`
		ValueKey          hexBytes `json:"value_key"`
		PlaintextKey      hexBytes `json:"plaintext_key"`
		PlaintextValue    hexBytes `json:"plaintext_value"`
		Height            uint64   `json:"height"`
		TxIndex           uint64   `json:"tx_index"`
		WriteIndex        uint64   `json:"write_index"`
		StoredKey         hexBytes `json:"stored_key"`
		StoredValue       hexBytes `json:"stored_value"`
	} `json:"state"`
	SeedExchange struct {
		RegistrationSK hexBytes   `json:"registration_sk"`
		RegistrationPK hexBytes   `json:"registration_pk"`
		SeedExchangePK hexBytes   `json:"seed_exchange_pk"`
		Key            hexBytes   `json:"key"`
		EncryptedSeeds []hexBytes `json:"encrypted_seeds"`
	} `json:"seed_exchange"`
}

func loadVectors(tb testing.TB) *vectors {
	tb.Helper()
	b, err := os.ReadFile("testdata/crypto.json")
	require.NoError(tb, err)
	var v vectors
	require.NoError(tb, json.Unmarshal(b, &v))
	require.NotEmpty(tb, v.AESSIV)
	require.NotEmpty(tb, v.IO)
	require.NotEmpty(tb, v.State)
	return &v
}

func adList(ad []hexBytes) [][]byte {
	out := make([][]byte, len(ad))
	for i, a := range ad {
		out[i] = a
	}
	return out
}

func to32(tb testing.TB, b []byte) [32]byte {
	tb.Helper()
	require.Len(tb, b, 32)
	return [32]byte(b)
}

// cachedShared returns an OpenInput closure over the I/O private key.
func cachedShared(ioSK []byte) func([]byte) ([]byte, error) {
	return func(pk []byte) ([]byte, error) { return X25519(ioSK, pk) }
}

func TestVectorSalt(t *testing.T) {
	v := loadVectors(t)
	require.Equal(t, []byte(v.Salt), Salt[:])
}

func TestVectorAESSIV(t *testing.T) {
	v := loadVectors(t)
	for _, tc := range v.AESSIV {
		t.Run(tc.Name, func(t *testing.T) {
			ad := adList(tc.AD)
			got, err := SIVSeal(tc.Key, ad, tc.Plaintext)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.Ciphertext), hex.EncodeToString(got))

			pt, err := SIVOpen(tc.Key, ad, tc.Ciphertext)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.Plaintext), pt)

			for _, i := range []int{0, 15, len(tc.Ciphertext) - 1} {
				bad := append([]byte(nil), tc.Ciphertext...)
				bad[i] ^= 0x01
				_, err = SIVOpen(tc.Key, ad, bad)
				require.ErrorIs(t, err, ErrDecrypt, "flipped byte %d", i)
			}
		})
	}
}

func TestVectorNetworkKeys(t *testing.T) {
	v := loadVectors(t)
	nk := v.NetworkKeys
	cur := nk.Seeds[nk.CurrentSeedIndex]

	se := Derive(cur, OrderSeedExchange)
	require.Equal(t, []byte(nk.SeedExchangeSK), se[:])
	sePub, err := PublicKey(se[:])
	require.NoError(t, err)
	require.Equal(t, []byte(nk.SeedExchangePK), sePub)

	ioSK := Derive(cur, OrderIOExchange)
	require.Equal(t, []byte(nk.IOExchangeSK), ioSK[:])
	ioPub, err := PublicKey(ioSK[:])
	require.NoError(t, err)
	require.Equal(t, []byte(nk.IOExchangePK), ioPub)

	require.Len(t, nk.StateIKM, len(nk.Seeds))
	for i, s := range nk.Seeds {
		ikm := Derive(s, OrderStateIKM)
		require.Equal(t, []byte(nk.StateIKM[i]), ikm[:], "state IKM %d", i)
	}
	cb := Derive(cur, OrderCallback)
	require.Equal(t, []byte(nk.CallbackSecret), cb[:])
	rk := Derive(cur, OrderRandomness)
	require.Equal(t, []byte(nk.RandomnessKey), rk[:])
}

func TestVectorIO(t *testing.T) {
	v := loadVectors(t)
	ioSK := []byte(v.NetworkKeys.IOExchangeSK)
	ioPK := []byte(v.NetworkKeys.IOExchangePK)
	for i, tc := range v.IO {
		t.Run(tc.Msg, func(t *testing.T) {
			var codeHash [32]byte
			_, err := hex.Decode(codeHash[:], []byte(tc.CodeHashHex))
			require.NoError(t, err)

			pub, err := PublicKey(tc.UserSK)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.UserPK), pub)

			// Client side.
			wire, txKey, err := SealInput(tc.UserSK, tc.Nonce, ioPK, codeHash, []byte(tc.Msg))
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.Wire), hex.EncodeToString(wire))
			require.Equal(t, []byte(tc.TxKey), txKey[:])

			// Enclave side.
			in, err := OpenInput(cachedShared(ioSK), tc.Wire)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.Nonce), in.Nonce[:])
			require.Equal(t, []byte(tc.UserPK), in.UserPub[:])
			require.Equal(t, []byte(tc.TxKey), in.TxKey[:])
			require.Equal(t, tc.CodeHashHex, in.CodeHashHex)
			require.Equal(t, tc.Msg, string(in.Msg))
			require.NoError(t, in.CheckCodeHash(codeHash))
			other := sha256.Sum256([]byte{byte(i), 'x'})
			require.ErrorIs(t, in.CheckCodeHash(other), ErrWrongCodeHash)

			// Output, both ways.
			out, err := EncryptOutput(in.TxKey, []byte(tc.OutputPlaintext))
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.OutputCiphertext), hex.EncodeToString(out))

			s, err := NewSession(tc.UserSK, tc.Nonce, ioPK)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.TxKey), s.txKey[:])
			pt, err := s.DecryptOutput(tc.OutputCiphertext)
			require.NoError(t, err)
			require.Equal(t, tc.OutputPlaintext, string(pt))
		})
	}
}

func TestVectorIOReject(t *testing.T) {
	v := loadVectors(t)
	ioSK := []byte(v.NetworkKeys.IOExchangeSK)
	// The vectors list the rejections in this order; each needs its own error.
	want := []error{ErrLowOrder, ErrDecrypt, ErrShortWire}
	require.Len(t, v.IOReject, len(want))
	for i, tc := range v.IOReject {
		t.Run(tc.Why, func(t *testing.T) {
			in, err := OpenInput(cachedShared(ioSK), tc.Wire)
			require.Nil(t, in)
			require.ErrorIs(t, err, want[i])
			for j, other := range want {
				if j != i {
					require.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

func TestVectorState(t *testing.T) {
	v := loadVectors(t)
	ikm := v.NetworkKeys.StateIKM
	for _, tc := range v.State {
		t.Run(string(tc.PlaintextKey), func(t *testing.T) {
			ck := ContractKey(ikm[0], tc.ContractAddress)
			require.Equal(t, []byte(tc.ContractKey), ck[:])
			kk := StateKeyKey(ikm[0], ck)
			require.Equal(t, []byte(tc.KeyKey), kk[:])
			vk := StateValueKey(ikm[tc.ValueKeySeedIndex], ck)
			require.Equal(t, []byte(tc.ValueKey), vk[:])

			sk, err := EncryptStateKey(kk, tc.PlaintextKey)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.StoredKey), hex.EncodeToString(sk))
			pk, err := DecryptStateKey(kk, tc.StoredKey)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.PlaintextKey), pk)

			pos := WritePos{Height: tc.Height, TxIndex: tc.TxIndex, WriteIndex: tc.WriteIndex}
			sv, err := EncryptStateValue(vk, tc.ValueKeySeedIndex, tc.StoredKey, pos, tc.PlaintextValue)
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(tc.StoredValue), hex.EncodeToString(sv))

			idx, err := StateValueSeedIndex(tc.StoredValue)
			require.NoError(t, err)
			require.Equal(t, tc.ValueKeySeedIndex, idx)
			pv, err := DecryptStateValue(StateValueKey(ikm[idx], ck), tc.StoredKey, tc.StoredValue)
			require.NoError(t, err)
			require.Equal(t, []byte(tc.PlaintextValue), pv)

			// Under another stored key, or with the other seed's key, it does not open.
			_, err = DecryptStateValue(vk, append([]byte{0}, tc.StoredKey...), tc.StoredValue)
			require.ErrorIs(t, err, ErrDecrypt)
			_, err = DecryptStateValue(StateValueKey(ikm[0], ck), tc.StoredKey, tc.StoredValue)
			require.ErrorIs(t, err, ErrDecrypt)

			// A StateCipher gives the same bytes, used twice (its instances are reused).
			var vks [][32]byte
			for _, m := range ikm {
				vks = append(vks, StateValueKey(m, ck))
			}
			c := NewStateCipher(kk, vks)
			for range 2 {
				require.Equal(t, hex.EncodeToString(tc.StoredKey), hex.EncodeToString(c.EncryptKey(tc.PlaintextKey)))
				pk, err := c.DecryptKey(tc.StoredKey)
				require.NoError(t, err)
				require.Equal(t, []byte(tc.PlaintextKey), pk)
				sv, err := c.EncryptValue(tc.ValueKeySeedIndex, tc.StoredKey, pos, tc.PlaintextValue)
				require.NoError(t, err)
				require.Equal(t, hex.EncodeToString(tc.StoredValue), hex.EncodeToString(sv))
				pv, err := c.DecryptValue(tc.StoredKey, tc.StoredValue)
				require.NoError(t, err)
				require.Equal(t, []byte(tc.PlaintextValue), pv)
				_, err = c.DecryptValue(append([]byte{0}, tc.StoredKey...), tc.StoredValue)
				require.ErrorIs(t, err, ErrDecrypt)
			}
			// A seed index it has no key for, short input.
			_, err = NewStateCipher(kk, vks[:idx]).DecryptValue(tc.StoredKey, tc.StoredValue)
			require.ErrorIs(t, err, ErrDecrypt)
			_, err = NewStateCipher(kk, vks[:idx]).EncryptValue(idx, tc.StoredKey, pos, tc.PlaintextValue)
			require.ErrorIs(t, err, ErrBadKey)
			_, err = c.DecryptValue(tc.StoredKey, tc.StoredValue[:minStoredValue-1])
			require.ErrorIs(t, err, ErrShortValue)
			_, err = c.DecryptKey(tc.StoredKey[:blockSize-1])
			require.ErrorIs(t, err, ErrDecrypt)
		})
	}
}

func TestVectorSeedExchange(t *testing.T) {
	v := loadVectors(t)
	se := v.SeedExchange
	nk := v.NetworkKeys
	require.Equal(t, []byte(nk.SeedExchangePK), []byte(se.SeedExchangePK))

	pub, err := PublicKey(se.RegistrationSK)
	require.NoError(t, err)
	require.Equal(t, []byte(se.RegistrationPK), pub)

	kNet, err := SeedExchangeKey(nk.SeedExchangeSK, se.RegistrationPK)
	require.NoError(t, err)
	require.Equal(t, []byte(se.Key), kNet[:])
	kJoin, err := SeedExchangeKey(se.RegistrationSK, se.SeedExchangePK)
	require.NoError(t, err)
	require.Equal(t, kNet, kJoin)

	require.Len(t, se.EncryptedSeeds, len(nk.Seeds))
	for i, seed := range nk.Seeds {
		ct, err := EncryptSeed(kNet, se.RegistrationPK, uint32(i), seed)
		require.NoError(t, err)
		require.Len(t, ct, 48)
		require.Equal(t, hex.EncodeToString(se.EncryptedSeeds[i]), hex.EncodeToString(ct))
		got, err := DecryptSeed(kJoin, se.RegistrationPK, uint32(i), se.EncryptedSeeds[i])
		require.NoError(t, err)
		require.Equal(t, []byte(seed), got)
	}
}
