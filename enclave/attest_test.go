package enclave

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVerifyRegistration(t *testing.T) {
	pub := bytes.Repeat([]byte{5}, 32)
	good := Registration{PubKey: pub, Report: SimReport(SimMeasurement, BindRegistration("chain-a", pub))}
	allow := Policy{Measurements: [][]byte{SimMeasurement}, AllowSimulated: true}
	vs := DefaultVerifiers()
	require.NoError(t, vs.VerifyRegistration(allow, "chain-a", good))

	tamper := func(f func(r *Registration)) Registration {
		r := good
		r.PubKey = bytes.Clone(good.PubKey)
		r.Report.Evidence = bytes.Clone(good.Report.Evidence)
		r.Report.ReportData = bytes.Clone(good.Report.ReportData)
		f(&r)
		return r
	}
	cases := []struct {
		name   string
		reg    Registration
		policy Policy
		chain  string
		want   error
	}{
		{"forged evidence", tamper(func(r *Registration) { r.Report.Evidence[0] ^= 1 }), allow, "chain-a", ErrBadReport},
		{"short report data", tamper(func(r *Registration) { r.Report.ReportData = r.Report.ReportData[:32] }), allow, "chain-a", ErrBadReport},
		{"simulated where forbidden", good, Policy{Measurements: allow.Measurements}, "chain-a", ErrSimulatedNotAllowed},
		{"unlisted measurement", good, Policy{Measurements: [][]byte{make([]byte, 32)}, AllowSimulated: true}, "chain-a", ErrUnlistedMeasurement},
		{"another key", tamper(func(r *Registration) { r.PubKey[0] ^= 1 }), allow, "chain-a", ErrReportBinding},
		{"another chain", good, allow, "chain-b", ErrReportBinding},
		{"unknown type", tamper(func(r *Registration) { r.Report.Type = "tdx" }), allow, "chain-a", ErrUnknownReportType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.ErrorIs(t, vs.VerifyRegistration(c.policy, c.chain, c.reg), c.want)
		})
	}
	// The binding separates chain id and key unambiguously.
	require.NotEqual(t, BindRegistration("ab", []byte("c")), BindRegistration("a", []byte("bc")))
}
