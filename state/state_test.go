package state

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func openTree(t *testing.T, dir string) *Tree {
	t.Helper()
	tr, err := Open(dir, Options{})
	require.NoError(t, err)
	return tr
}

func TestTreeCommitReopen(t *testing.T) {
	dir := t.TempDir()
	tr := openTree(t, dir)
	require.Equal(t, int64(0), tr.Version())

	require.NoError(t, tr.Set([]byte("a"), []byte("1")))
	require.NoError(t, tr.Set([]byte("b"), []byte("2")))
	working := tr.WorkingHash()
	hash, v, err := tr.Commit()
	require.NoError(t, err)
	require.Equal(t, int64(1), v)
	require.Equal(t, working, hash)
	require.Equal(t, hash, tr.Hash())

	require.NoError(t, tr.Delete([]byte("a")))
	require.NoError(t, tr.Set([]byte("c"), []byte("3")))
	hash2, v, err := tr.Commit()
	require.NoError(t, err)
	require.Equal(t, int64(2), v)

	// Uncommitted writes vanish on close; committed ones survive.
	require.NoError(t, tr.Set([]byte("d"), []byte("4")))
	require.NoError(t, tr.Close())
	tr = openTree(t, dir)
	defer tr.Close()
	require.Equal(t, int64(2), tr.Version())
	require.Equal(t, hash2, tr.Hash())
	for k, want := range map[string]string{"a": "", "b": "2", "c": "3", "d": ""} {
		got, err := tr.Get([]byte(k))
		require.NoError(t, err)
		require.Equal(t, want, string(got), k)
	}

	// Old versions stay readable.
	ro, err := tr.ReadOnly(1)
	require.NoError(t, err)
	require.Equal(t, hash, ro.Hash())
	got, err := ro.Get([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "1", string(got))
	require.ErrorIs(t, ro.Set([]byte("x"), []byte("y")), ErrReadOnly)
	require.ErrorIs(t, ro.Delete([]byte("x")), ErrReadOnly)

	for _, v := range []int64{0, -1, 3} {
		_, err := tr.ReadOnly(v)
		require.ErrorIs(t, err, ErrNoVersion, "version %d", v)
	}
}

func TestRollback(t *testing.T) {
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	require.NoError(t, tr.Set([]byte("a"), []byte("1")))
	_, _, err := tr.Commit()
	require.NoError(t, err)
	committed := tr.WorkingHash()
	require.NoError(t, tr.Set([]byte("a"), []byte("2")))
	require.NotEqual(t, committed, tr.WorkingHash())
	tr.Rollback()
	require.Equal(t, committed, tr.WorkingHash())
	got, err := tr.Get([]byte("a"))
	require.NoError(t, err)
	require.Equal(t, "1", string(got))
}

func TestBadInput(t *testing.T) {
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	c := NewCache(tr)
	for name, s := range map[string]Store{"tree": tr, "cache": c, "prefix": NewPrefix(tr, []byte{1})} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, s.Set(nil, []byte("v")), ErrEmptyKey)
			require.ErrorIs(t, s.Set([]byte{}, []byte("v")), ErrEmptyKey)
			require.ErrorIs(t, s.Set([]byte("k"), nil), ErrNilValue)
			_, err := s.Get(nil)
			require.ErrorIs(t, err, ErrEmptyKey)
			_, err = s.Has(nil)
			require.ErrorIs(t, err, ErrEmptyKey)
			require.ErrorIs(t, s.Delete(nil), ErrEmptyKey)
		})
	}
}

func TestPruning(t *testing.T) {
	tr, err := Open(t.TempDir(), Options{KeepRecent: 2})
	require.NoError(t, err)
	defer tr.Close()
	for i := range 5 {
		require.NoError(t, tr.Set([]byte("k"), []byte{byte(i)}))
		_, _, err := tr.Commit()
		require.NoError(t, err)
	}
	_, err = tr.ReadOnly(2)
	require.ErrorIs(t, err, ErrNoVersion)
	_, err = tr.ReadOnly(4)
	require.NoError(t, err)
}

// model is the obviously-correct reference a Cache is checked against.
type model map[string]string

func (m model) rangeOf(start, end []byte, reverse bool) []string {
	var out []string
	for k, v := range m {
		if (start == nil || k >= string(start)) && (end == nil || k < string(end)) {
			out = append(out, k+"="+v)
		}
	}
	slices.Sort(out)
	if reverse {
		slices.Reverse(out)
	}
	return out
}

func collect(t *testing.T, s Store, start, end []byte, reverse bool) []string {
	t.Helper()
	it, err := s.Iterator(start, end, reverse)
	require.NoError(t, err)
	defer it.Close()
	var out []string
	for ; it.Valid(); it.Next() {
		out = append(out, string(it.Key())+"="+string(it.Value()))
	}
	require.NoError(t, it.Error())
	return out
}

// TestCacheAgainstModel runs random writes through two nested caches over a
// committed tree and compares every read and every range with a map.
func TestCacheAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	key := func() []byte { return []byte{'k', byte('a' + rng.IntN(12))} }
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	want := model{}
	for range 6 {
		k := key()
		require.NoError(t, tr.Set(k, []byte("base")))
		want[string(k)] = "base"
	}
	_, _, err := tr.Commit()
	require.NoError(t, err)

	outer := NewCache(tr)
	inner := NewCache(outer)
	for i := range 400 {
		k := key()
		switch rng.IntN(3) {
		case 0:
			v := fmt.Sprint(i)
			require.NoError(t, inner.Set(k, []byte(v)))
			want[string(k)] = v
		case 1:
			require.NoError(t, inner.Delete(k))
			delete(want, string(k))
		case 2:
			got, err := inner.Get(k)
			require.NoError(t, err)
			w, ok := want[string(k)]
			require.Equal(t, ok, got != nil)
			require.Equal(t, w, string(got))
			has, err := inner.Has(k)
			require.NoError(t, err)
			require.Equal(t, ok, has)
		}
		if i%50 == 49 {
			require.NoError(t, inner.Write())
		}
		bounds := [][]byte{nil, []byte("kc"), []byte("kf"), []byte("kz")}
		s, e := bounds[rng.IntN(2)], bounds[2+rng.IntN(2)]
		rev := rng.IntN(2) == 0
		require.Equal(t, want.rangeOf(s, e, rev), collect(t, inner, s, e, rev), "step %d range [%q,%q) rev=%v", i, s, e, rev)
	}
	require.NoError(t, inner.Write())
	require.NoError(t, outer.Write())
	require.Equal(t, want.rangeOf(nil, nil, false), collect(t, tr, nil, nil, false))
}

// TestCacheWriteOrder checks that the tree a cache writes to does not depend
// on the order of the writes in the cache (IAVL's shape does depend on the
// order of its inserts).
func TestCacheWriteOrder(t *testing.T) {
	keys := make([][]byte, 50)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key-%02d", i)
	}
	var hashes [][]byte
	for seed := range uint64(3) {
		tr := openTree(t, t.TempDir())
		c := NewCache(tr)
		order := slices.Clone(keys)
		rand.New(rand.NewPCG(seed, seed)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			require.NoError(t, c.Set(k, k))
		}
		require.NoError(t, c.Write())
		hashes = append(hashes, tr.WorkingHash())
		require.NoError(t, tr.Close())
	}
	require.Equal(t, hashes[0], hashes[1])
	require.Equal(t, hashes[0], hashes[2])
}

func TestPrefix(t *testing.T) {
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	a, b := NewPrefix(tr, []byte("a/")), NewPrefix(tr, []byte("b/"))
	require.NoError(t, a.Set([]byte("x"), []byte("1")))
	require.NoError(t, a.Set([]byte("y"), []byte("2")))
	require.NoError(t, b.Set([]byte("x"), []byte("3")))
	require.Equal(t, []string{"x=1", "y=2"}, collect(t, a, nil, nil, false))
	require.Equal(t, []string{"y=2", "x=1"}, collect(t, a, nil, nil, true))
	require.Equal(t, []string{"x=3"}, collect(t, b, nil, nil, false))
	require.Equal(t, []string{"y=2"}, collect(t, a, []byte("y"), nil, false))
	got, err := tr.Get([]byte("b/x"))
	require.NoError(t, err)
	require.Equal(t, "3", string(got))

	ff := NewPrefix(tr, []byte{0xff, 0xff})
	require.NoError(t, ff.Set([]byte("z"), []byte("4")))
	require.Equal(t, []string{"z=4"}, collect(t, ff, nil, nil, false))
	require.Nil(t, PrefixEnd([]byte{0xff}))
	require.Equal(t, []byte{0x01, 0x03}, PrefixEnd([]byte{0x01, 0x02, 0xff}))
}

func TestProofs(t *testing.T) {
	tr := openTree(t, t.TempDir())
	defer tr.Close()
	for i := range 20 {
		require.NoError(t, tr.Set(fmt.Appendf(nil, "k%02d", i*2), fmt.Appendf(nil, "v%d", i)))
	}
	_, v, err := tr.Commit()
	require.NoError(t, err)
	ro, err := tr.ReadOnly(v)
	require.NoError(t, err)
	root := ro.Hash()

	val, p, err := ro.Prove([]byte("k10"))
	require.NoError(t, err)
	require.Equal(t, "v5", string(val))
	bz, err := MarshalProof(p)
	require.NoError(t, err)
	p2, err := UnmarshalProof(bz)
	require.NoError(t, err)
	require.NoError(t, VerifyMembership(root, []byte("k10"), val, p2))

	val, np, err := ro.Prove([]byte("k11"))
	require.NoError(t, err)
	require.Nil(t, val)
	require.NoError(t, VerifyNonMembership(root, []byte("k11"), np))

	otherRoot := bytes.Repeat([]byte{1}, 32)
	tests := []struct {
		name string
		err  error
	}{
		{"wrong value", VerifyMembership(root, []byte("k10"), []byte("v6"), p)},
		{"wrong key", VerifyMembership(root, []byte("k12"), val, p)},
		{"wrong root", VerifyMembership(otherRoot, []byte("k10"), []byte("v5"), p)},
		{"absence of present key", VerifyNonMembership(root, []byte("k10"), np)},
		{"membership proof as absence", VerifyNonMembership(root, []byte("k11"), p)},
		{"nil proof", VerifyMembership(root, []byte("k10"), []byte("v5"), nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { require.ErrorIs(t, tc.err, ErrProof) })
	}
	_, err = UnmarshalProof([]byte{0xff, 0xff, 0xff})
	require.ErrorIs(t, err, ErrProof)
}

// FuzzVerifyProof feeds arbitrary bytes to the proof decoder and verifier,
// which clients run on answers from untrusted nodes.
func FuzzVerifyProof(f *testing.F) {
	tr, err := Open(f.TempDir(), Options{})
	require.NoError(f, err)
	defer tr.Close()
	require.NoError(f, tr.Set([]byte("key"), []byte("value")))
	_, v, err := tr.Commit()
	require.NoError(f, err)
	ro, err := tr.ReadOnly(v)
	require.NoError(f, err)
	_, p, err := ro.Prove([]byte("key"))
	require.NoError(f, err)
	bz, err := MarshalProof(p)
	require.NoError(f, err)
	root := ro.Hash()
	f.Add(bz)
	f.Add([]byte{})
	f.Add(bz[:len(bz)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := UnmarshalProof(data)
		if err != nil {
			return
		}
		ok := VerifyMembership(root, []byte("key"), []byte("value"), p) == nil
		if ok && !bytes.Equal(data, bz) {
			// A different encoding that still proves the same fact is
			// fine; a proof of a false fact is not.
			require.Error(t, VerifyMembership(root, []byte("key"), []byte("other"), p))
		}
		_ = VerifyNonMembership(root, []byte("key"), p)
	})
}
