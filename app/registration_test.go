package app

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
	"github.com/hermetic-chain/hermetic/tx"
)

func registerMsg(reg enclave.Registration) *tx.MsgRegisterEnclave {
	return &tx.MsgRegisterEnclave{PubKey: reg.PubKey, ReportType: reg.Report.Type, Measurement: reg.Report.Measurement,
		ReportData: reg.Report.ReportData, Evidence: reg.Report.Evidence}
}

func joiningEnclave(t *testing.T) (*sim.Enclave, enclave.Registration) {
	t.Helper()
	e, err := sim.Open(t.TempDir(), nil)
	require.NoError(t, err)
	reg, err := e.Registration(context.Background(), testChainID)
	require.NoError(t, err)
	return e, reg
}

// TestRegistration: an attested enclave registers by transaction, the chain
// stores the seeds encrypted to it, and the joining enclave installs them
// and derives the network's keys.
func TestRegistration(t *testing.T) {
	h := newHarness(t)
	joining, reg := joiningEnclave(t)
	res := h.block(h.tx(h.alice, 0, registerMsg(reg)))
	require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)

	rec, err := h.app.Registration(reg.PubKey)
	require.NoError(t, err)
	require.Equal(t, h.height, rec.Height)
	nk, err := h.enc.NetworkKeys()
	require.NoError(t, err)
	require.NoError(t, joining.InstallSeeds(rec.EncryptedSeeds, nk))
	got, err := joining.NetworkKeys()
	require.NoError(t, err)
	require.Equal(t, nk, got)

	// Another enclave cannot use those encrypted seeds.
	other, _ := joiningEnclave(t)
	require.Error(t, other.InstallSeeds(rec.EncryptedSeeds, nk))

	_, err = h.app.Registration(make([]byte, 32))
	require.ErrorIs(t, err, ErrNotRegistered)
}

func TestRegistrationRefusals(t *testing.T) {
	cases := []struct {
		name  string
		msg   func(t *testing.T, h *harness) *tx.MsgRegisterEnclave
		setup func(h *harness)
		want  error
	}{
		{"forged report", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			reg.Report.Evidence[3] ^= 1
			return registerMsg(reg)
		}, nil, enclave.ErrBadReport},
		{"unlisted measurement", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			m := make([]byte, 32)
			return registerMsg(enclave.Registration{PubKey: reg.PubKey, Report: enclave.SimReport(m, reg.Report.ReportData)})
		}, nil, enclave.ErrUnlistedMeasurement},
		{"simulated report where genesis forbids them", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			return registerMsg(reg)
		}, func(h *harness) { h.app.enclaveCfg.Policy.AllowSimulated = false }, enclave.ErrSimulatedNotAllowed},
		{"report replayed for another key", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, a := joiningEnclave(t)
			_, b := joiningEnclave(t)
			return registerMsg(enclave.Registration{PubKey: b.PubKey, Report: a.Report})
		}, nil, enclave.ErrReportBinding},
		{"report for another chain", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			e, _ := joiningEnclave(t)
			reg, err := e.Registration(context.Background(), "other-chain")
			require.NoError(t, err)
			return registerMsg(reg)
		}, nil, enclave.ErrReportBinding},
		{"unknown report type", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			m := registerMsg(reg)
			m.ReportType = "sgx-epid"
			return m
		}, nil, enclave.ErrUnknownReportType},
		{"short registration key", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			m := registerMsg(reg)
			m.PubKey = m.PubKey[:31]
			return m
		}, nil, ErrInvalidMessage},
		{"registered twice", func(t *testing.T, h *harness) *tx.MsgRegisterEnclave {
			_, reg := joiningEnclave(t)
			res := h.block(h.tx(h.bob, 0, registerMsg(reg)))
			require.Equal(t, uint32(0), res.TxResults[0].Code, res.TxResults[0].Log)
			return registerMsg(reg)
		}, nil, ErrAlreadyRegistered},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			if c.setup != nil {
				c.setup(h)
			}
			m := c.msg(t, h)
			before := h.tree.Hash()
			res := h.block(h.tx(h.alice, 0, m))
			r := res.TxResults[0]
			require.Equal(t, Code(c.want), r.Code, r.Log)
			require.ErrorIs(t, ErrorForCode(r.Code, r.Log), c.want)
			// Only the fee and sequence changed: no registration stored.
			_, err := h.app.Registration(m.PubKey)
			if c.want != ErrAlreadyRegistered {
				require.ErrorIs(t, err, ErrNotRegistered)
			}
			require.NotEqual(t, before, h.tree.Hash()) // the fee was paid
		})
	}
}
