package reading

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzVerify feeds arbitrary bytes to Verify and Inspect, which parse
// records from devices and stores: they never panic, fail only with this
// package's errors, and whatever they accept is the one encoding of what
// it holds (signing it again gives the same bytes: ed25519 is
// deterministic).
func FuzzVerify(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "vectors.json"))
	if err != nil {
		f.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		f.Fatal(err)
	}
	for _, r := range v.Records {
		rec, _ := hex.DecodeString(r.Record)
		f.Add(rec)
		payload, _ := hex.DecodeString(r.Payload)
		f.Add(payload)
	}
	seed, _ := hex.DecodeString(v.Seed)
	key := ed25519.NewKeyFromSeed(seed)
	s, err := NewSigner(key)
	if err != nil {
		f.Fatal(err)
	}
	known := []error{ErrEncoding, ErrInvalid, ErrSignature, ErrKey}
	f.Fuzz(func(t *testing.T, record []byte) {
		r, err := Verify(record, key.Public())
		if err != nil {
			for _, k := range known {
				if errors.Is(err, k) {
					return
				}
			}
			t.Fatalf("unclassified error: %v", err)
		}
		again, err := Sign(nil, s, &r)
		if err != nil {
			t.Fatalf("an accepted reading does not sign: %v", err)
		}
		if string(again) != string(record) {
			t.Fatalf("an accepted record is not the one encoding of its reading")
		}
		if _, _, err := Inspect(record); err != nil {
			t.Fatalf("Verify accepts what Inspect refuses: %v", err)
		}
	})
}

func BenchmarkSign(b *testing.B) {
	for name, s := range testKeys(b) {
		r := sample(2, Digest{1})
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Sign(nil, s, r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "readings/s")
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for name, s := range testKeys(b) {
		rec, err := Sign(nil, s, sample(2, Digest{1}))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Verify(rec, s.Public()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
