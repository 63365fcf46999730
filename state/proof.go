package state

import (
	"fmt"

	ics23 "github.com/cosmos/ics23/go"
)

// MarshalProof encodes a proof as ICS-23 protobuf.
func MarshalProof(p *ics23.CommitmentProof) ([]byte, error) {
	bz, err := p.Marshal()
	if err != nil {
		return nil, fmt.Errorf("encode proof: %w", err)
	}
	return bz, nil
}

// UnmarshalProof decodes an ICS-23 protobuf proof.
func UnmarshalProof(bz []byte) (*ics23.CommitmentProof, error) {
	p := new(ics23.CommitmentProof)
	if err := p.Unmarshal(bz); err != nil {
		return nil, fmt.Errorf("%w: decode: %v", ErrProof, err)
	}
	return p, nil
}

// VerifyMembership checks that p proves key = value under root, the app hash
// of a block header.
func VerifyMembership(root, key, value []byte, p *ics23.CommitmentProof) error {
	if p == nil || !safely(func() bool { return ics23.VerifyMembership(ics23.IavlSpec, root, p, key, value) }) {
		return fmt.Errorf("%w: key %x does not have that value under root %x", ErrProof, key, root)
	}
	return nil
}

// VerifyNonMembership checks that p proves key is not set under root.
func VerifyNonMembership(root, key []byte, p *ics23.CommitmentProof) error {
	if p == nil || !safely(func() bool { return ics23.VerifyNonMembership(ics23.IavlSpec, root, p, key) }) {
		return fmt.Errorf("%w: absence of key %x under root %x", ErrProof, key, root)
	}
	return nil
}

// safely runs a verification of untrusted bytes, treating a panic in the
// verifier (malformed proofs have caused them) as a failed verification.
func safely(verify func() bool) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return verify()
}
