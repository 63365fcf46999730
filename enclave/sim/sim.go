// Package sim is the simulation backend of the enclave: it runs in the
// node's own process and gives NO hardware protection. Its seeds are sealed
// with a key kept in a file of the node's home, so anyone who can read the
// home can read the seeds. It exists so that Hermetic runs, and its
// confidential paths are tested, on machines without a TEE; it keeps the
// same boundary as a real backend (nothing secret crosses the Enclave
// interface) so a real TEE can take its place.
package sim

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
)

// Backend is the name of this backend in Info.
const Backend = "sim"

// Warning is what the backend says at start: simulation protects nothing.
const Warning = "enclave backend is SIMULATION: no hardware protection; anyone who can read the node's home can read its seeds"

const (
	sealKeyFile      = "seal.key"
	seedsFile        = "seeds.sealed"
	registrationFile = "registration.sealed"
	sharedCacheSize  = 4096
)

// Enclave is the simulation enclave. It is safe for concurrent use.
type Enclave struct {
	dir     string
	sealKey []byte

	mu        sync.Mutex
	seeds     [][]byte // oldest first
	ioSK      []byte
	ioKey     *cryptobox.ExchangeKey // ioSK parsed, for sharedSecret
	seedExSK  []byte
	stateIKMs [][]byte
	regSK     []byte
	// shared caches X25519(io_sk, pk_u) for senders that reuse a key
	// (wallets do). It is emptied when full and when the seeds change.
	shared map[[32]byte][]byte
	// stateKeys caches each contract's derived state keys (three HKDFs).
	// Emptied when full and when the seeds change.
	stateKeys map[string]enclave.StateKeys
}

var _ enclave.Enclave = (*Enclave)(nil)

// Open opens (creating if needed) the simulation enclave whose sealed files
// live in dir, and logs the simulation warning.
func Open(dir string, log *slog.Logger) (*Enclave, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create enclave dir: %w", err)
	}
	key, err := loadOrCreateSealKey(filepath.Join(dir, sealKeyFile))
	if err != nil {
		return nil, err
	}
	e := &Enclave{dir: dir, sealKey: key, shared: map[[32]byte][]byte{}, stateKeys: map[string]enclave.StateKeys{}}
	sealed, err := os.ReadFile(filepath.Join(dir, seedsFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read sealed seeds: %w", err)
	default:
		seeds, err := e.unsealSeeds(sealed)
		if err != nil {
			return nil, fmt.Errorf("load sealed seeds from %s: %w", filepath.Join(dir, seedsFile), err)
		}
		e.setSeeds(seeds)
	}
	if log != nil {
		log.Warn(Warning, "sealed_in", dir, "seeds", len(e.seeds))
	}
	return e, nil
}

func loadOrCreateSealKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != cryptobox.KeySize {
			return nil, fmt.Errorf("%w: seal key file %s has %d bytes", enclave.ErrSealed, path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read seal key: %w", err)
	}
	key = make([]byte, cryptobox.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("draw seal key: %w", err)
	}
	if err := writeFileAtomic(path, key); err != nil {
		return nil, fmt.Errorf("write seal key: %w", err)
	}
	return key, nil
}

// writeFileAtomic writes data to path with mode 0600 so that a crash leaves
// the old file or the new one, never a mix.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// seal and unseal protect what the enclave keeps on disk: its seeds and its
// registration key (CRYPTO.md §6). They are not exported: nothing outside
// the backend may have plaintext unsealed for it.
func (e *Enclave) seal(pt []byte) ([]byte, error) {
	return cryptobox.Seal(e.sealKey, enclave.SimMeasurement, pt)
}

func (e *Enclave) unseal(sealed []byte) ([]byte, error) {
	pt, err := cryptobox.Unseal(e.sealKey, enclave.SimMeasurement, sealed)
	if err != nil {
		return nil, enclave.ErrSealed
	}
	return pt, nil
}

// unsealSeeds reads the sealed seed list: u8(n) ‖ n × 32 bytes.
func (e *Enclave) unsealSeeds(sealed []byte) ([][]byte, error) {
	pt, err := e.unseal(sealed)
	if err != nil {
		return nil, err
	}
	if len(pt) < 1 || pt[0] == 0 || int(pt[0]) > enclave.MaxSeeds || len(pt) != 1+32*int(pt[0]) {
		return nil, enclave.ErrSealed
	}
	seeds := make([][]byte, pt[0])
	for i := range seeds {
		seeds[i] = pt[1+32*i : 1+32*(i+1)]
	}
	return seeds, nil
}

// storeSeeds seals seeds to disk, then makes them current.
func (e *Enclave) storeSeeds(seeds [][]byte) error {
	pt := []byte{byte(len(seeds))}
	for _, s := range seeds {
		pt = append(pt, s...)
	}
	sealed, err := e.seal(pt)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(e.dir, seedsFile), sealed); err != nil {
		return fmt.Errorf("write sealed seeds: %w", err)
	}
	e.setSeeds(seeds)
	return nil
}

// setSeeds derives the keys of CRYPTO.md §1 from seeds. Caller holds mu or
// owns e.
func (e *Enclave) setSeeds(seeds [][]byte) {
	cur := seeds[len(seeds)-1]
	sx := cryptobox.Derive(cur, cryptobox.OrderSeedExchange)
	io := cryptobox.Derive(cur, cryptobox.OrderIOExchange)
	e.seeds, e.seedExSK, e.ioSK = seeds, sx[:], io[:]
	e.ioKey, _ = cryptobox.NewExchangeKey(e.ioSK) // 32 bytes: cannot fail
	e.stateIKMs = e.stateIKMs[:0]
	for _, s := range seeds {
		ikm := cryptobox.Derive(s, cryptobox.OrderStateIKM)
		e.stateIKMs = append(e.stateIKMs, ikm[:])
	}
	clear(e.shared)
	clear(e.stateKeys)
}

// Info implements enclave.Enclave.
func (e *Enclave) Info() enclave.Info {
	e.mu.Lock()
	defer e.mu.Unlock()
	return enclave.Info{Backend: Backend, Measurement: enclave.SimMeasurement, Simulated: true, Seeds: len(e.seeds)}
}

// Bootstrap implements enclave.Enclave.
func (e *Enclave) Bootstrap(context.Context) (enclave.NetworkKeys, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seeds) > 0 {
		return enclave.NetworkKeys{}, enclave.ErrHasSeed
	}
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return enclave.NetworkKeys{}, fmt.Errorf("draw seed: %w", err)
	}
	if err := e.storeSeeds([][]byte{seed}); err != nil {
		return enclave.NetworkKeys{}, err
	}
	return e.networkKeys()
}

// NetworkKeys implements enclave.Enclave.
func (e *Enclave) NetworkKeys() (enclave.NetworkKeys, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.networkKeys()
}

func (e *Enclave) networkKeys() (enclave.NetworkKeys, error) {
	if len(e.seeds) == 0 {
		return enclave.NetworkKeys{}, enclave.ErrNoSeed
	}
	tx, err := cryptobox.PublicKey(e.ioSK)
	if err != nil {
		return enclave.NetworkKeys{}, err
	}
	sx, err := cryptobox.PublicKey(e.seedExSK)
	if err != nil {
		return enclave.NetworkKeys{}, err
	}
	return enclave.NetworkKeys{TxKey: tx, SeedExchangeKey: sx}, nil
}

// registrationKey loads or creates the sealed registration private key.
func (e *Enclave) registrationKey() ([]byte, error) {
	if e.regSK != nil {
		return e.regSK, nil
	}
	path := filepath.Join(e.dir, registrationFile)
	sealed, err := os.ReadFile(path)
	switch {
	case err == nil:
		sk, err := e.unseal(sealed)
		if err != nil || len(sk) != 32 {
			return nil, fmt.Errorf("load sealed registration key from %s: %w", path, enclave.ErrSealed)
		}
		e.regSK = sk
		return sk, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read sealed registration key: %w", err)
	}
	sk := make([]byte, 32)
	if _, err := rand.Read(sk); err != nil {
		return nil, fmt.Errorf("draw registration key: %w", err)
	}
	sealed, err = e.seal(sk)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(path, sealed); err != nil {
		return nil, fmt.Errorf("write sealed registration key: %w", err)
	}
	e.regSK = sk
	return sk, nil
}

// Registration implements enclave.Enclave.
func (e *Enclave) Registration(_ context.Context, chainID string) (enclave.Registration, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sk, err := e.registrationKey()
	if err != nil {
		return enclave.Registration{}, err
	}
	pub, err := cryptobox.PublicKey(sk)
	if err != nil {
		return enclave.Registration{}, err
	}
	return enclave.Registration{PubKey: pub, Report: enclave.SimReport(enclave.SimMeasurement, enclave.BindRegistration(chainID, pub))}, nil
}

// EncryptSeeds implements enclave.Enclave.
func (e *Enclave) EncryptSeeds(registrationPub []byte) ([][]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seeds) == 0 {
		return nil, enclave.ErrNoSeed
	}
	k, err := cryptobox.SeedExchangeKey(e.seedExSK, registrationPub)
	if err != nil {
		return nil, fmt.Errorf("seed exchange key: %w", err)
	}
	out := make([][]byte, len(e.seeds))
	for i, s := range e.seeds {
		if out[i], err = cryptobox.EncryptSeed(k, registrationPub, uint32(i), s); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// InstallSeeds implements enclave.Enclave.
func (e *Enclave) InstallSeeds(encrypted [][]byte, want enclave.NetworkKeys) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(encrypted) == 0 || len(encrypted) > enclave.MaxSeeds {
		return fmt.Errorf("%w: %d", enclave.ErrTooManySeeds, len(encrypted))
	}
	sk, err := e.registrationKey()
	if err != nil {
		return err
	}
	pub, err := cryptobox.PublicKey(sk)
	if err != nil {
		return err
	}
	k, err := cryptobox.SeedExchangeKey(sk, want.SeedExchangeKey)
	if err != nil {
		return fmt.Errorf("seed exchange key: %w", err)
	}
	seeds := make([][]byte, len(encrypted))
	for i, ct := range encrypted {
		if seeds[i], err = cryptobox.DecryptSeed(k, pub, uint32(i), ct); err != nil {
			return fmt.Errorf("decrypt seed %d: %w", i, err)
		}
	}
	io := cryptobox.Derive(seeds[len(seeds)-1], cryptobox.OrderIOExchange)
	tx, err := cryptobox.PublicKey(io[:])
	if err != nil || string(tx) != string(want.TxKey) {
		return enclave.ErrSeedMismatch
	}
	return e.storeSeeds(seeds)
}

// sharedSecret returns X25519(io_sk, pub), from the cache when the sender
// reused its key. Caching is safe: the value depends only on the public key
// and the current seed, and the cache is emptied when the seed changes.
func (e *Enclave) sharedSecret(pub []byte) ([]byte, error) {
	var k [32]byte
	if len(pub) != len(k) {
		return nil, cryptobox.ErrBadKey
	}
	copy(k[:], pub)
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.shared[k]; ok {
		return s, nil
	}
	if len(e.seeds) == 0 {
		return nil, enclave.ErrNoSeed
	}
	s, err := e.ioKey.Shared(pub)
	if err != nil {
		return nil, err
	}
	if len(e.shared) >= sharedCacheSize {
		clear(e.shared)
	}
	e.shared[k] = s
	return s, nil
}

// Execute implements enclave.Enclave.
func (e *Enclave) Execute(ctx context.Context, call enclave.Call, run enclave.Runner) (enclave.Output, error) {
	keys, err := e.contractKeys(call.Contract)
	if err != nil {
		return enclave.Output{}, err
	}
	return enclave.ExecuteWith(ctx, call, keys, e.openInput, run)
}

// Query implements enclave.Enclave.
func (e *Enclave) Query(ctx context.Context, call enclave.Call, run enclave.Runner) (enclave.Output, error) {
	keys, err := e.contractKeys(call.Contract)
	if err != nil {
		return enclave.Output{}, err
	}
	return enclave.QueryWith(ctx, call, keys, e.openInput, run)
}

func (e *Enclave) openInput(wire []byte) (*cryptobox.Input, error) {
	return cryptobox.OpenInput(e.sharedSecret, wire)
}

// contractKeys returns a contract's state keys, from the cache if it can.
func (e *Enclave) contractKeys(contract []byte) (enclave.StateKeys, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.seeds) == 0 {
		return enclave.StateKeys{}, enclave.ErrNoSeed
	}
	keys, ok := e.stateKeys[string(contract)]
	if !ok {
		keys = enclave.NewStateKeys(e.stateIKMs, contract)
		if len(e.stateKeys) >= sharedCacheSize {
			clear(e.stateKeys)
		}
		e.stateKeys[string(contract)] = keys
	}
	return keys, nil
}
