package enclave

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Report is an attestation report: evidence from a TEE that an enclave with
// a given measurement produced ReportData. Hermetic binds a registration key
// and a chain id into ReportData (BindRegistration).
type Report struct {
	// Type names the TEE that produced the report ("sim", "sgx-dcap", ...)
	// and so the Verifier that checks it.
	Type string `json:"type"`
	// Measurement is the enclave code's identity (MRENCLAVE and the like).
	Measurement []byte `json:"measurement"`
	// ReportData is the 64 bytes the enclave bound into the report.
	ReportData []byte `json:"report_data"`
	// Evidence is the TEE's signed quote; for "sim", an ed25519 signature.
	Evidence []byte `json:"evidence"`
}

// Verified is what a Verifier vouches for after checking a report.
type Verified struct {
	Measurement []byte
	ReportData  []byte
	// Simulated is true for reports that prove nothing (the sim backend's).
	Simulated bool
}

// Verifier checks one type of attestation report.
type Verifier interface {
	// Type is the Report.Type the verifier checks.
	Type() string
	// Verify checks the report's evidence and returns what it proves.
	Verify(r Report) (Verified, error)
}

// Policy is what a chain accepts, from its genesis.
type Policy struct {
	// Measurements are the accepted enclave measurements.
	Measurements [][]byte `json:"measurements"`
	// AllowSimulated accepts simulated reports: development networks only.
	AllowSimulated bool `json:"allow_simulated"`
}

// Errors of attestation, distinct so a refusal says what was wrong.
var (
	// ErrUnknownReportType: no verifier for the report's type.
	ErrUnknownReportType = errors.New("unknown attestation report type")
	// ErrBadReport: the report's evidence does not verify (forged or
	// corrupted).
	ErrBadReport = errors.New("attestation report does not verify")
	// ErrSimulatedNotAllowed: a simulated report on a chain whose genesis
	// forbids them.
	ErrSimulatedNotAllowed = errors.New("simulated attestation is not allowed on this chain")
	// ErrUnlistedMeasurement: the enclave's measurement is not in the
	// chain's allow-list.
	ErrUnlistedMeasurement = errors.New("enclave measurement is not on the chain's allow-list")
	// ErrReportBinding: the report does not bind this registration key and
	// chain (a report replayed for another key or chain).
	ErrReportBinding = errors.New("attestation report is not bound to this registration key and chain")
)

// BindRegistration returns the 64 bytes of report data that bind a
// registration key to a chain: SHA-256("hermetic/registration/v1" ‖
// u32be(len(chainID)) ‖ chainID ‖ pub), zero-padded.
func BindRegistration(chainID string, pub []byte) []byte {
	h := sha256.New()
	h.Write([]byte("hermetic/registration/v1"))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(chainID)))
	h.Write(n[:])
	h.Write([]byte(chainID))
	h.Write(pub)
	out := make([]byte, 64)
	copy(out, h.Sum(nil))
	return out
}

// Verifiers is a set of report verifiers by type.
type Verifiers map[string]Verifier

// DefaultVerifiers returns the verifiers this build knows: the simulation
// one. Real TEE verifiers are added here as they are written.
func DefaultVerifiers() Verifiers {
	v := SimVerifier{}
	return Verifiers{v.Type(): v}
}

// VerifyRegistration checks that reg's report verifies, is allowed by
// policy, and binds reg's key to chainID. It is deterministic: every
// validator reaches the same verdict.
func (vs Verifiers) VerifyRegistration(policy Policy, chainID string, reg Registration) error {
	v, ok := vs[reg.Report.Type]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownReportType, reg.Report.Type)
	}
	got, err := v.Verify(reg.Report)
	if err != nil {
		return err
	}
	if got.Simulated && !policy.AllowSimulated {
		return ErrSimulatedNotAllowed
	}
	if !slices.ContainsFunc(policy.Measurements, func(m []byte) bool { return bytes.Equal(m, got.Measurement) }) {
		return fmt.Errorf("%w: %x", ErrUnlistedMeasurement, got.Measurement)
	}
	if len(reg.PubKey) != 32 || !bytes.Equal(got.ReportData, BindRegistration(chainID, reg.PubKey)) {
		return ErrReportBinding
	}
	return nil
}

// simAttestationSeed derives the simulation attestation key. It is public
// on purpose: anyone can produce a "simulated" report, so such a report
// proves nothing, which is why genesis must opt in to accept them.
var simAttestationSeed = sha256.Sum256([]byte("hermetic/attestation/sim/v1: this key is public and proves nothing"))

// SimReportType is the Report.Type of simulated reports.
const SimReportType = "sim"

// SimMeasurement is the measurement the sim backend reports: a hash naming
// the backend and the CRYPTO.md version it implements.
var SimMeasurement = func() []byte {
	h := sha256.Sum256([]byte("hermetic-enclave-sim/crypto-v1"))
	return h[:]
}()

// simMessage is what a simulated report signs.
func simMessage(measurement, reportData []byte) []byte {
	return slices.Concat([]byte("hermetic/attestation/sim/v1\x00"), measurement, reportData)
}

// SimReport produces a simulated report. Anyone can call it, which is the
// point: it is evidence of nothing.
func SimReport(measurement, reportData []byte) Report {
	k := ed25519.NewKeyFromSeed(simAttestationSeed[:])
	return Report{
		Type: SimReportType, Measurement: slices.Clone(measurement), ReportData: slices.Clone(reportData),
		Evidence: ed25519.Sign(k, simMessage(measurement, reportData)),
	}
}

// SimVerifier checks simulated reports: their signature by the public
// simulation key. Verified.Simulated is always true.
type SimVerifier struct{}

// Type implements Verifier.
func (SimVerifier) Type() string { return SimReportType }

// Verify implements Verifier.
func (SimVerifier) Verify(r Report) (Verified, error) {
	if len(r.Measurement) != 32 || len(r.ReportData) != 64 {
		return Verified{}, fmt.Errorf("%w: measurement or report data of the wrong length", ErrBadReport)
	}
	pub := ed25519.NewKeyFromSeed(simAttestationSeed[:]).Public().(ed25519.PublicKey)
	if !ed25519.Verify(pub, simMessage(r.Measurement, r.ReportData), r.Evidence) {
		return Verified{}, fmt.Errorf("%w: simulation signature invalid", ErrBadReport)
	}
	return Verified{Measurement: r.Measurement, ReportData: r.ReportData, Simulated: true}, nil
}
