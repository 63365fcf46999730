package batch

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/transparency-dev/merkle/rfc6962"
)

func records(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("record %d", i))
	}
	return out
}

// naiveRoot is RFC 9162's MTH written out from its definition (§2.1.1),
// to check the tree against.
func naiveRoot(leaves [][]byte) []byte {
	h := rfc6962.DefaultHasher
	if len(leaves) == 1 {
		return h.HashLeaf(leaves[0])
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return h.HashChildren(naiveRoot(leaves[:k]), naiveRoot(leaves[k:]))
}

func TestTree(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7, 8, 9, 100, 1023} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			recs := records(n)
			tr, err := New(recs)
			require.NoError(t, err)
			require.Equal(t, naiveRoot(recs), tr.Root())
			for i, rec := range recs {
				p, err := tr.Proof(uint64(i))
				require.NoError(t, err)
				require.NoError(t, Verify(rec, uint64(i), uint64(n), p, tr.Root()))
			}
		})
	}
}

func TestBadProofs(t *testing.T) {
	recs := records(7)
	tr, err := New(recs)
	require.NoError(t, err)
	p, err := tr.Proof(3)
	require.NoError(t, err)
	edited := bytes.Clone(recs[3])
	edited[0] ^= 1
	tampered := make([][]byte, len(p))
	copy(tampered, p)
	tampered[0] = bytes.Clone(p[0])
	tampered[0][0] ^= 1
	tests := []struct {
		name   string
		record []byte
		index  uint64
		size   uint64
		proof  [][]byte
	}{
		{"edited record", edited, 3, 7, p},
		{"another index", recs[3], 4, 7, p},
		{"another size", recs[3], 3, 4, p}, // (8 would verify: the tree of 7 and of 8 have the same shape left of record 4, and the anchor fixes the size)
		{"a proof hash edited", recs[3], 3, 7, tampered},
		{"a proof hash missing", recs[3], 3, 7, p[1:]},
		{"another record", recs[2], 3, 7, p},
		{"index beyond the size", recs[3], 9, 7, p},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, Verify(tc.record, tc.index, tc.size, tc.proof, tr.Root()), ErrProof)
		})
	}
	_, err = New(nil)
	require.ErrorIs(t, err, ErrEmpty)
	_, err = tr.Proof(7)
	require.Error(t, err)
}

// TestProofSize: a proof for a batch of a million records is at most
// 1 KB (20 hashes of 32 bytes).
func TestProofSize(t *testing.T) {
	const n = 1 << 20
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte{byte(i), byte(i >> 8), byte(i >> 16)}
	}
	tr, err := New(recs)
	require.NoError(t, err)
	for _, i := range []uint64{0, n / 3, n - 1} {
		p, err := tr.Proof(i)
		require.NoError(t, err)
		size := 0
		for _, h := range p {
			size += len(h)
		}
		require.LessOrEqual(t, size, 1024)
		require.NoError(t, Verify(recs[i], i, n, p, tr.Root()))
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{1_000, 1 << 20} {
		recs := make([][]byte, n)
		for i := range recs {
			recs[i] = []byte(fmt.Sprintf("a record of about a hundred bytes, as a reading is: %08d ..............................", i))
		}
		tr, err := New(recs)
		require.NoError(b, err)
		idx := uint64(n / 3)
		p, err := tr.Proof(idx)
		require.NoError(b, err)
		b.Run(fmt.Sprintf("records-%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := Verify(recs[idx], idx, uint64(n), p, tr.Root()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "proofs/s")
		})
	}
}

func BenchmarkBuild(b *testing.B) {
	recs := records(10_000)
	for b.Loop() {
		if _, err := New(recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}
