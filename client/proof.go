package client

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hermetic-chain/hermetic/api"
	"github.com/hermetic-chain/hermetic/app"
	"github.com/hermetic-chain/hermetic/state"
)

// ErrProof is returned when an account's proof does not check out.
var ErrProof = errors.New("proof verification failed")

// VerifyAccount checks that an account answer with proofs is what the chain
// committed: the proofs of its balance and sequence keys must verify against
// the app hash of header Height+1, which it fetches. It returns that app
// hash. (The header itself is trusted as the node serves it; a light client
// would verify the header's commit signatures too.)
func (c *Client) VerifyAccount(ctx context.Context, r api.AccountResponse) ([]byte, error) {
	b, err := c.Block(ctx, r.Account.Height+1)
	if err != nil {
		return nil, fmt.Errorf("fetch header %d: %w", r.Account.Height+1, err)
	}
	root, err := hex.DecodeString(b.AppHash)
	if err != nil {
		return nil, fmt.Errorf("header %d app hash: %w", b.Height, err)
	}
	return root, VerifyAccountProofs(root, r)
}

// VerifyAccountProofs checks an account answer's proofs against root.
func VerifyAccountProofs(root []byte, r api.AccountResponse) error {
	want := map[string]uint64{
		string(app.BalanceKey(r.Account.Address)):  r.Account.Balance,
		string(app.SequenceKey(r.Account.Address)): r.Account.Sequence,
	}
	if len(r.Proofs) != len(want) {
		return fmt.Errorf("%w: %d proofs, want %d", ErrProof, len(r.Proofs), len(want))
	}
	for _, p := range r.Proofs {
		v, ok := want[string(p.Key)]
		if !ok {
			return fmt.Errorf("%w: proof for unexpected key %x", ErrProof, p.Key)
		}
		delete(want, string(p.Key))
		cp, err := state.UnmarshalProof(p.Proof)
		if err != nil {
			return fmt.Errorf("%w: decode proof of %x: %v", ErrProof, p.Key, err)
		}
		if v == 0 {
			// Zero values are not stored: the key must be absent.
			if len(p.Value) != 0 {
				return fmt.Errorf("%w: key %x: answer says 0 but proof has a value", ErrProof, p.Key)
			}
			if err := state.VerifyNonMembership(root, p.Key, cp); err != nil {
				return fmt.Errorf("%w: key %x absent: %v", ErrProof, p.Key, err)
			}
			continue
		}
		if !bytes.Equal(p.Value, binary.BigEndian.AppendUint64(nil, v)) {
			return fmt.Errorf("%w: key %x: proof's value differs from the answer", ErrProof, p.Key)
		}
		if err := state.VerifyMembership(root, p.Key, p.Value, cp); err != nil {
			return fmt.Errorf("%w: key %x: %v", ErrProof, p.Key, err)
		}
	}
	return nil
}
