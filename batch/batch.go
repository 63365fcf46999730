// Package batch makes and checks the Merkle trees that anchor machine
// readings on chain: a batch of a stream's records is the leaves of an RFC
// 9162 tree (SHA-256, leaf hash SHA-256(0x00 ‖ record), node hash
// SHA-256(0x01 ‖ left ‖ right)), its root goes into the registry's anchor,
// and every record gets an inclusion proof against that root. The tree
// arithmetic is github.com/transparency-dev/merkle's; this package keeps a
// batch's node hashes so that it can hand out every record's proof.
package batch

import (
	"errors"
	"fmt"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// MaxLeaves bounds a batch; a proof then has at most 30 hashes (960
// bytes).
const MaxLeaves = 1 << 30

// Errors of this package.
var (
	// ErrEmpty: a batch has no records.
	ErrEmpty = errors.New("batch: no records")
	// ErrProof: a record is not in the tree the root names at the index
	// given.
	ErrProof = errors.New("batch: inclusion proof does not verify")
)

var hasher = rfc6962.DefaultHasher

// LeafHash is the tree's hash of a record.
func LeafHash(record []byte) []byte { return hasher.HashLeaf(record) }

// Tree is a batch's Merkle tree with every node hash kept.
type Tree struct {
	size  uint64
	nodes map[compact.NodeID][]byte
	root  []byte
}

// New builds the tree of records, in order.
func New(records [][]byte) (*Tree, error) {
	if len(records) == 0 {
		return nil, ErrEmpty
	}
	if uint64(len(records)) > MaxLeaves {
		return nil, fmt.Errorf("batch: %d records, at most %d", len(records), MaxLeaves)
	}
	t := &Tree{size: uint64(len(records)), nodes: make(map[compact.NodeID][]byte, 2*len(records))}
	keep := func(id compact.NodeID, hash []byte) { t.nodes[id] = hash }
	rf := compact.RangeFactory{Hash: hasher.HashChildren}
	r := rf.NewEmptyRange(0)
	for i, rec := range records {
		h := LeafHash(rec)
		t.nodes[compact.NewNodeID(0, uint64(i))] = h
		if err := r.Append(h, keep); err != nil {
			return nil, fmt.Errorf("batch: append record %d: %w", i, err)
		}
	}
	root, err := r.GetRootHash(keep)
	if err != nil {
		return nil, fmt.Errorf("batch: root: %w", err)
	}
	t.root = root
	return t, nil
}

// Size is the number of records.
func (t *Tree) Size() uint64 { return t.size }

// Root is the tree's root hash: what the anchor holds.
func (t *Tree) Root() []byte { return t.root }

// Proof is the inclusion proof of the record at index: the RFC 9162
// audit path, from the leaf up.
func (t *Tree) Proof(index uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, t.size)
	if err != nil {
		return nil, fmt.Errorf("batch: proof of record %d of %d: %w", index, t.size, err)
	}
	hashes := make([][]byte, len(nodes.IDs))
	for i, id := range nodes.IDs {
		h, ok := t.nodes[id]
		if !ok {
			return nil, fmt.Errorf("batch: proof of record %d: node %+v missing", index, id)
		}
		hashes[i] = h
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}

// Verify checks that record is the index-th of size records of the tree
// whose root is root, by its proof.
func Verify(record []byte, index, size uint64, p [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(hasher, index, size, LeafHash(record), p, root); err != nil {
		return fmt.Errorf("%w: record %d of %d: %v", ErrProof, index, size, err)
	}
	return nil
}
