package reading

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/batch"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json")

// vectors are the test vectors of docs/data.md: seven chained readings of
// one stream signed with a fixed ed25519 key (ed25519 signatures are
// deterministic, so the records are too), the batch tree over them (an
// odd number of leaves) and every record's inclusion proof.
type vectors struct {
	Seed      string   `json:"ed25519_seed"`
	PublicKey string   `json:"public_key"`
	KeyID     string   `json:"kid"`
	Records   []vector `json:"records"`
	Root      string   `json:"batch_root"`
}

type vector struct {
	Reading Reading  `json:"reading"`
	Payload string   `json:"payload_cbor"`
	Record  string   `json:"record_cose_sign1"`
	Hash    string   `json:"record_sha256"`
	Leaf    string   `json:"leaf_hash"`
	Proof   []string `json:"inclusion_proof"`
}

func makeVectors(t *testing.T) vectors {
	seed := make([]byte, ed25519.SeedSize)
	for i := range seed {
		seed[i] = byte(i)
	}
	key := ed25519.NewKeyFromSeed(seed)
	s, err := NewSigner(key)
	require.NoError(t, err)
	kid, err := KeyID(key.Public())
	require.NoError(t, err)
	v := vectors{Seed: hex.EncodeToString(seed), PublicKey: hex.EncodeToString(key.Public().(ed25519.PublicKey)), KeyID: hex.EncodeToString(kid)}
	var recs [][]byte
	prev := Digest{}
	for seq := uint64(1); seq <= 7; seq++ {
		r := sample(seq, prev)
		r.Values[3].Value = float64(seq * 2)
		if seq == 5 {
			r.Quality = 0x40000000 // OPC UA Uncertain
		}
		payload, err := r.MarshalPayload()
		require.NoError(t, err)
		rec, err := Sign(nil, s, r)
		require.NoError(t, err)
		h := Hash(rec)
		v.Records = append(v.Records, vector{Reading: *r, Payload: hex.EncodeToString(payload), Record: hex.EncodeToString(rec),
			Hash: hex.EncodeToString(h[:]), Leaf: hex.EncodeToString(batch.LeafHash(rec))})
		recs = append(recs, rec)
		prev = h
	}
	tr, err := batch.New(recs)
	require.NoError(t, err)
	v.Root = hex.EncodeToString(tr.Root())
	for i := range recs {
		p, err := tr.Proof(uint64(i))
		require.NoError(t, err)
		for _, h := range p {
			v.Records[i].Proof = append(v.Records[i].Proof, hex.EncodeToString(h))
		}
	}
	return v
}

// TestVectors: the records, tree and proofs this code makes are the ones
// in testdata/vectors.json, and every one of them verifies.
func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	got := makeVectors(t)
	if *update {
		b, err := json.MarshalIndent(got, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(b, '\n'), 0o644))
	}
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var want vectors
	require.NoError(t, json.Unmarshal(b, &want))
	require.Equal(t, want, got)

	pub, err := hex.DecodeString(want.PublicKey)
	require.NoError(t, err)
	root, err := hex.DecodeString(want.Root)
	require.NoError(t, err)
	var c Chain
	for i, v := range want.Records {
		rec, err := hex.DecodeString(v.Record)
		require.NoError(t, err)
		r, err := Verify(rec, ed25519.PublicKey(pub))
		require.NoError(t, err)
		require.NoError(t, c.Add(r, rec))
		var p [][]byte
		for _, h := range v.Proof {
			b, err := hex.DecodeString(h)
			require.NoError(t, err)
			p = append(p, b)
		}
		require.NoError(t, batch.Verify(rec, uint64(i), uint64(len(want.Records)), p, root))
	}
}
