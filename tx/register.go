package tx

import (
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
)

// MsgRegisterEnclave asks the chain to accept an enclave: its registration
// public key and the attestation report that binds it (docs/enclave.md).
// Anyone may send it (the signer pays); the chain verifies the report, and
// on success stores the network seeds encrypted to the key.
//
//	message MsgRegisterEnclave {
//	  bytes  pub_key     = 1;  // X25519, 32 bytes
//	  string report_type = 2;  // "sim", "sgx-dcap", ...
//	  bytes  measurement = 3;
//	  bytes  report_data = 4;  // 64 bytes
//	  bytes  evidence    = 5;
//	}
type MsgRegisterEnclave struct {
	PubKey      []byte `json:"pub_key"`
	ReportType  string `json:"report_type"`
	Measurement []byte `json:"measurement"`
	ReportData  []byte `json:"report_data"`
	Evidence    []byte `json:"evidence"`
}

// MaxEvidenceBytes bounds a report's evidence (DCAP quotes are a few KiB).
const MaxEvidenceBytes = 16 << 10

// TypeURL implements Msg.
func (*MsgRegisterEnclave) TypeURL() string { return "/hermetic.registration.v1.MsgRegisterEnclave" }

// Marshal implements Msg.
func (m *MsgRegisterEnclave) Marshal() []byte {
	var e encoder
	e.bytes(1, m.PubKey)
	e.string(2, m.ReportType)
	e.bytes(3, m.Measurement)
	e.bytes(4, m.ReportData)
	e.bytes(5, m.Evidence)
	return e.b
}

// Unmarshal decodes the canonical encoding.
func (m *MsgRegisterEnclave) Unmarshal(b []byte) error {
	fs, err := fields(b)
	if err != nil {
		return err
	}
	for _, f := range fs {
		if err := f.want(protowire.BytesType); err != nil {
			return err
		}
		switch f.num {
		case 1:
			m.PubKey = f.bytes
		case 2:
			m.ReportType = string(f.bytes)
		case 3:
			m.Measurement = f.bytes
		case 4:
			m.ReportData = f.bytes
		case 5:
			m.Evidence = f.bytes
		default:
			return fmt.Errorf("unknown field %d", f.num)
		}
	}
	if string(m.Marshal()) != string(b) {
		return errNotCanonical
	}
	return nil
}

// ValidateBasic implements Msg.
func (m *MsgRegisterEnclave) ValidateBasic() error {
	switch {
	case len(m.PubKey) != 32:
		return fmt.Errorf("%w: registration key of %d bytes, want 32", ErrInvalidMessage, len(m.PubKey))
	case m.ReportType == "" || len(m.ReportType) > 32 || !utf8.ValidString(m.ReportType):
		return fmt.Errorf("%w: report type must be 1 to 32 bytes of UTF-8", ErrInvalidMessage)
	case len(m.Measurement) == 0 || len(m.Measurement) > 64:
		return fmt.Errorf("%w: measurement must be 1 to 64 bytes", ErrInvalidMessage)
	case len(m.ReportData) != 64:
		return fmt.Errorf("%w: report data of %d bytes, want 64", ErrInvalidMessage, len(m.ReportData))
	case len(m.Evidence) == 0 || len(m.Evidence) > MaxEvidenceBytes:
		return fmt.Errorf("%w: evidence must be 1 to %d bytes", ErrInvalidMessage, MaxEvidenceBytes)
	}
	return nil
}
