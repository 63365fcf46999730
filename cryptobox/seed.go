package cryptobox

import "encoding/binary"

// SeedExchangeKey is k = HKDF(X25519(sk, pk), "seed-exchange") (CRYPTO.md §5). The network side
// passes (seed_exchange_sk, pk_r), the joining enclave (sk_r, seed_exchange_pk); both get the same
// key. Errors: ErrBadKey, ErrLowOrder.
func SeedExchangeKey(sk, pk []byte) ([32]byte, error) {
	shared, err := X25519(sk, pk)
	if err != nil {
		return [32]byte{}, err
	}
	k := HKDF(shared, "seed-exchange")
	clear(shared)
	return k, nil
}

func seedAD(registrationPub []byte, index uint32) [2][]byte {
	i := make([]byte, 4)
	binary.BigEndian.PutUint32(i, index)
	return [2][]byte{registrationPub, i}
}

// EncryptSeed is encrypted_seed_i = SIV(k, [pk_r, u32be(i)], seed_i) (CRYPTO.md §5), where k comes
// from [SeedExchangeKey] and registrationPub is pk_r.
func EncryptSeed(k [32]byte, registrationPub []byte, index uint32, seed []byte) ([]byte, error) {
	ad := seedAD(registrationPub, index)
	return SIVSeal(k[:], ad[:], seed)
}

// DecryptSeed reverses [EncryptSeed]; a wrong key, registration key or index gives ErrDecrypt.
func DecryptSeed(k [32]byte, registrationPub []byte, index uint32, ct []byte) ([]byte, error) {
	ad := seedAD(registrationPub, index)
	return SIVOpen(k[:], ad[:], ct)
}

// sealLabel is the first associated-data component of sealed data (CRYPTO.md §6).
var sealLabel = []byte("hermetic-seal-v1")

// Seal encrypts node-local data (seeds, the registration key) for disk: SIV(seal_key,
// ["hermetic-seal-v1", measurement], plaintext) (CRYPTO.md §6). sealKey must be 32 bytes.
func Seal(sealKey []byte, measurement []byte, plaintext []byte) ([]byte, error) {
	ad := [2][]byte{sealLabel, measurement}
	return SIVSeal(sealKey, ad[:], plaintext)
}

// Unseal reverses [Seal]; a wrong key, another measurement or modified data gives ErrDecrypt.
func Unseal(sealKey []byte, measurement []byte, sealed []byte) ([]byte, error) {
	ad := [2][]byte{sealLabel, measurement}
	return SIVOpen(sealKey, ad[:], sealed)
}
