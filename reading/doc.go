// Package reading is Hermetic's signed machine reading: one observation of
// a device's stream — its sequence number, source time, named values with
// units and a quality code — chained to the stream's previous record by
// hash and signed at the source as a COSE_Sign1 object (RFC 9052) over
// deterministic CBOR (RFC 8949 §4.2), so that any COSE library can verify
// it without Hermetic's code. docs/data.md is the specification; this
// package is its reference implementation.
//
// A record is the COSE_Sign1 bytes. Sign makes one from a Reading and a
// cose.Signer (an ed25519 or ECDSA P-256 key, or anything that implements
// the interface: an HSM, a TPM); Verify checks one against the device's
// public key and returns the Reading; Chain checks that records follow
// each other — the same device and stream, the next sequence number, the
// previous record's hash — so that a gap, a replay or a reordering is
// provable from the records themselves.
package reading
