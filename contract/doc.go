// Package contract is Hermetic's Go contract SDK: it lets a contract author
// write ordinary Go and build it with the standard toolchain into a module
// that speaks the CosmWasm 1.x contract ABI Hermetic's VM (package vm) runs.
//
// # Building
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -ldflags="-s -w" -o counter.wasm ./contracts/counter
//
// The result is a WASI reactor: the VM calls its _initialize export (which
// runs the Go runtime's start-up and every package's init functions, but not
// main.main) and then the entry point. Strip it (-ldflags="-s -w"): a Go
// contract using encoding/json is over 3 MB even stripped (the counter is
// 3.37 MB, 0.94 MB gzipped), which is more than the VM's default
// MaxCodeSize of 3 MiB; the node must be configured with a larger limit.
//
// # Writing a contract
//
// A contract is a main package with two parts. First, func main() {},
// which -buildmode=c-shared requires and nobody calls. Second, an init
// function that registers the handlers — from init, since a reactor never
// runs main:
//
//	func init() {
//		contract.Register(contract.Handlers{
//			Instantiate: instantiate,
//			Execute:     execute,
//			Query:       query,
//		})
//	}
//
// Importing this package gives the module its exports: exports_wasip1.go
// holds the //go:wasmexport functions (interface_version_8,
// requires_iterator, allocate, deallocate and the entry points instantiate,
// execute, query, migrate and reply), each a one-line call of this
// package's Allocate, Deallocate, Instantiate, Execute, Query, Migrate or
// ReplyEntry. The go toolchain honours //go:wasmexport in any package linked
// into the module, so a contract declares none itself (declaring one again
// fails the link with a duplicated definition). That file and the rest of the
// ABI glue are guarded by //go:build wasip1, so the contract's package also
// builds on the host, where its handlers can be unit-tested.
//
// Every call starts from a snapshot the VM takes after start-up, so a
// contract should call WarmJSON from an init function with the types it
// decodes and encodes (its messages and answers): encoding/json then builds
// their reflection data once, into the snapshot, instead of in every call.
// The SDK does this for its own types, and NewItem and NewMap for the types
// they store. Reflection stays costly even so (100,000 instructions and
// more for a small document), so a message a contract handles on every call can be
// read by hand with ReadObject, falling back to encoding/json when it
// returns false, and records written with AppendJSONString
// (contracts/token/messages.go shows both). Access records of audited reads (RecordAccess, AccessRecords),
// viewing keys and permits are described in audit.go, viewingkey.go and
// permit.go.
//
// Handlers get a Deps: Storage (the contract's key-value state, with
// ordered iteration), API (addresses, signatures, debug output) and Querier
// (queries of the chain and of other contracts). Item and Map give typed,
// JSON-encoded storage on top of Storage. A handler returns a *Response
// (nil means the empty response) or an error, which becomes the
// {"error": "..."} result; a panic in a handler is recovered and returned the
// same way, prefixed "panic: ". Errors the contract cannot report (a region
// the host passed that does not fit in memory, a result that cannot be
// encoded) end the call with the host's abort import, which the VM turns into
// a trap.
//
// # Testing on the host
//
// Everything but the ABI glue builds on the host. Dispatch runs an entry point
// exactly as the wasm export would, from the JSON inputs to the JSON result,
// and MockDeps (host builds only) gives an in-memory Storage, an API that
// treats addresses as opaque lowercase strings, and a Querier that answers
// from a function. Contract logic can therefore be unit-tested with go test,
// and the built module with package vm (see contracts/counter/counter_test.go).
//
// # Determinism
//
// A contract runs on every validator and must compute the same result on
// each. The SDK itself never reads a clock or a random source. Inside the VM,
// Go's time.Now() returns the block time (the WASI clocks read Env.Block.Time)
// and crypto/rand (and so math/rand's automatic seeds and map iteration
// order) reads a stream seeded by the chain id, block height and contract
// address: deterministic, the same on every node, and therefore not secret and
// predictable by anyone who knows the block — never use it for keys or
// unpredictable choices. Env.Block.Timestamp gives the block time directly.
// Goroutines run (single-threaded) but must not block waiting for the host:
// a handler must not wait on a timer or on I/O.
//
// # Viewing keys
//
// SetViewingKeySeed, CreateViewingKey, SetViewingKey and CheckViewingKey
// implement SNIP-20's viewing keys: an account sets (or has the contract
// create) a key with an execute message and presents it with queries that
// read its private data. Only each key's SHA-256 is stored; CheckViewingKey
// compares in constant time and answers ErrViewingKey ("wrong viewing key")
// both for a wrong key and for an address with none. A created key mixes
// the contract's secret seed (stored at instantiation), the block, the
// sender, the caller's entropy, a counter and crypto/rand; as said above,
// crypto/rand is predictable to validators, so the key's secrecy rests on
// the seed, kept in the confidential state, and the caller's entropy.
//
// # Query permits
//
// Permit, VerifyPermit, RevokePermit and RevokeAllBefore implement signed
// query permits in the spirit of SNIP-24: an account signs, off-chain and
// with its own ed25519 or P-256 key, the chain, the contracts ("*" for any)
// and the permissions a permit grants and the span of time it is valid in;
// VerifyPermit checks all of these against the block and returns the
// signer's account address, so a query can read that account's data with no
// key stored in the contract. Each reason for refusing a permit has its own
// error (ErrPermitChain, ErrPermitContract, ErrPermitPermission,
// ErrPermitNotYetValid, ErrPermitExpired, ErrPermitRevoked,
// ErrPermitSignature, ErrPermitKeyType). The signed bytes are
// "hermetic/permit/v1\x00" followed by encoding/json's encoding of the
// params (PermitSignBytes documents its exact form); P-256 permits are
// checked with the host's secp256r1_verify, a Hermetic extension to the
// cosmwasm-std imports. A signer revokes a permit by name, or every permit
// created before a time, with execute messages the contract handles with
// RevokePermit and RevokeAllBefore.
//
// # Hiding lengths
//
// Responses of confidential contracts leak their length. Pad appends spaces to
// a multiple of a block size, which JSON parsers ignore, as Secret contracts
// do with their query and handle results.
package contract
