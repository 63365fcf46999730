// Package enclave is the boundary between the node and its secrets. Every
// part of Hermetic that needs a network seed, a private key or a state key
// goes through the Enclave interface, and only ciphertext, public keys and
// attestation reports come out of it: the seeds (CRYPTO.md §1), the I/O and
// seed-exchange private keys and the state IKMs stay in the backend, in
// unexported fields, and reach disk only sealed (§6).
//
// Backends: enclave/sim runs in the node's process and gives no hardware
// protection (it says so at start and in docs/enclave.md); real TEEs (SGX
// DCAP, TDX, SEV-SNP) implement the same interface and attest behind the
// same Verifier.
package enclave

import (
	"context"
	"errors"

	"github.com/hermetic-chain/hermetic/cryptobox"
)

// Enclave is the one interface through which a node touches secrets. No
// method returns a seed, a private key, a state key or a decrypted input:
// only public keys, attestation reports, ciphertext (outputs encrypted to a
// sender, seeds encrypted to a registration key) and counts. Sealing
// (CRYPTO.md §6) is the backend's own business: it seals what it holds and
// offers no method to seal or unseal anything else, since an Unseal that
// answers plaintext would hand the host whatever was sealed.
// docs/enclave.md lists what crosses the boundary, method by method.
type Enclave interface {
	// Info describes the backend; it holds nothing secret.
	Info() Info
	// Bootstrap draws the network's first seed, seals it and returns the
	// network's public keys, for the genesis of a new network. It fails
	// with ErrHasSeed if the enclave already holds seeds.
	Bootstrap(ctx context.Context) (NetworkKeys, error)
	// NetworkKeys returns the public keys derived from the current seed
	// (ErrNoSeed before Bootstrap or InstallSeeds).
	NetworkKeys() (NetworkKeys, error)
	// Registration returns this enclave's registration public key and an
	// attestation report that binds it to the enclave and to chainID,
	// creating and sealing the registration keypair on first use.
	Registration(ctx context.Context, chainID string) (Registration, error)
	// EncryptSeeds encrypts every seed to a joining enclave's registration
	// key (CRYPTO.md §5). The caller must first have verified the
	// registration's report against the chain's policy (VerifyRegistration).
	// The result is deterministic, so every validator computes the same
	// bytes for the chain's state.
	EncryptSeeds(registrationPub []byte) ([][]byte, error)
	// InstallSeeds decrypts seeds that an enclave of the network encrypted
	// to this enclave's registration key, checks that they give the
	// network's published keys, and seals them.
	InstallSeeds(encrypted [][]byte, want NetworkKeys) error
	// Execute decrypts a contract call's input, runs it with run on the
	// contract's decrypted state, and returns its output encrypted to the
	// sender (CRYPTO.md §2–§4).
	Execute(ctx context.Context, call Call, run Runner) (Output, error)
	// Query is Execute for an encrypted query: the contract reads its
	// decrypted state and any write fails with state.ErrReadOnly; the
	// answer is encrypted to the sender. call.Pos is not used.
	Query(ctx context.Context, call Call, run Runner) (Output, error)
}

// Info describes an enclave backend.
type Info struct {
	Backend     string `json:"backend"`     // "sim", "sgx", ...
	Measurement []byte `json:"measurement"` // the code identity attestation reports carry
	Simulated   bool   `json:"simulated"`   // true: no hardware protection at all
	Seeds       int    `json:"seeds"`       // how many network seeds it holds (0: none yet)
}

// NetworkKeys are the public keys derived from the network's current seed:
// what genesis publishes and clients encrypt to.
type NetworkKeys struct {
	// TxKey is the I/O-exchange public key clients encrypt inputs to.
	TxKey []byte `json:"tx_key"`
	// SeedExchangeKey is the public key joining enclaves derive the seed
	// exchange key with.
	SeedExchangeKey []byte `json:"seed_exchange_key"`
}

// Registration is a joining enclave's public registration key and the
// attestation report that binds it.
type Registration struct {
	PubKey []byte `json:"pub_key"`
	Report Report `json:"report"`
}

// Errors callers can test for. None of them carries secret material.
var (
	// ErrNoSeed: the enclave holds no network seed yet.
	ErrNoSeed = errors.New("enclave holds no network seed")
	// ErrHasSeed: the enclave already holds seeds; bootstrapping again
	// would fork the network's keys.
	ErrHasSeed = errors.New("enclave already holds network seeds")
	// ErrSealed: a sealed file does not unseal (modified, or sealed by
	// another enclave or code).
	ErrSealed = errors.New("sealed data does not unseal")
	// ErrSeedMismatch: installed seeds do not give the network's keys.
	ErrSeedMismatch = errors.New("seeds do not match the network's public keys")
	// ErrTooManySeeds: more seeds than CRYPTO.md allows.
	ErrTooManySeeds = errors.New("too many seeds")
)

// MaxSeeds is the most seeds a network has (CRYPTO.md §1).
const MaxSeeds = 8

// ensure the cryptobox constants this package relies on stay in step.
var _ = cryptobox.KeySize
