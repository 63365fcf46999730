//go:build !wasip1

package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRecordAccessAndPages(t *testing.T) {
	deps := MockDeps()
	env := vkEnv("contract")
	env.Transaction = &TransactionInfo{Index: 3}
	// Owners "al" and "alice": one address is a prefix of the other, and
	// their logs must not mix.
	for i := range 25 {
		env.Block.Height = uint64(100 + i)
		r, err := RecordAccess(deps, env, AccessRecord{Reader: "bob", Owner: "alice", Auth: "permit:audit", Scope: "balance", Data: fmt.Sprintf("read %d", i)}, []byte(fmt.Sprint(i)))
		require.NoError(t, err)
		require.Equal(t, uint64(i+1), r.ID)
	}
	_, err := RecordAccess(deps, env, AccessRecord{Reader: "carol", Owner: "al", Auth: "viewing_key", Scope: "history", Data: "x"}, nil)
	require.NoError(t, err)

	page, err := AccessRecords(deps.Storage, "alice", 0, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(25), page.Total)
	require.Len(t, page.Records, DefaultAccessPageSize)
	first := page.Records[0]
	sum := sha256.Sum256([]byte("24"))
	require.Equal(t, AccessRecord{ID: 25, Reader: "bob", Owner: "alice", Auth: "permit:audit", Scope: "balance", Data: "read 24",
		AnswerSHA256: hex.EncodeToString(sum[:]), Height: 124, Time: env.Block.Time, TxIndex: 3}, first)

	var ids []uint64
	for p := uint32(0); ; p++ {
		page, err := AccessRecords(deps.Storage, "alice", p, 10)
		require.NoError(t, err)
		if len(page.Records) == 0 {
			break
		}
		for _, r := range page.Records {
			require.Equal(t, "alice", r.Owner)
			ids = append(ids, r.ID)
		}
	}
	require.Len(t, ids, 25)
	for i, id := range ids {
		require.Equal(t, uint64(25-i), id, "newest first, no gaps")
	}

	al, err := AccessRecords(deps.Storage, "al", 0, 10)
	require.NoError(t, err)
	require.Equal(t, uint64(1), al.Total)
	require.Equal(t, "carol", al.Records[0].Reader)

	none, err := AccessRecords(deps.Storage, "dave", 0, 10)
	require.NoError(t, err)
	require.Equal(t, AccessPage{Records: []AccessRecord{}}, none)
}

func TestAccessBadInput(t *testing.T) {
	deps := MockDeps()
	env := vkEnv("contract")
	ok := AccessRecord{Reader: "bob", Owner: "alice", Auth: "viewing_key", Scope: "balance"}
	for _, tc := range []struct {
		name string
		edit func(r *AccessRecord)
	}{
		{"no reader", func(r *AccessRecord) { r.Reader = "" }},
		{"no owner", func(r *AccessRecord) { r.Owner = "" }},
		{"no auth", func(r *AccessRecord) { r.Auth = "" }},
		{"no scope", func(r *AccessRecord) { r.Scope = "" }},
		{"owner too long", func(r *AccessRecord) { r.Owner = string(make([]byte, 256)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			tc.edit(&r)
			_, err := RecordAccess(deps, env, r, nil)
			require.Error(t, err)
			require.Zero(t, deps.Storage.(*MemoryStorage).Len(), "a refused record writes nothing")
		})
	}
	_, err := AccessRecords(deps.Storage, "alice", 0, MaxAccessPageSize+1)
	require.ErrorIs(t, err, ErrAccessPageSize)
	_, err = AccessRecords(deps.Storage, "", 0, 1)
	require.Error(t, err)
	// A page far past the end is empty, not an overflow.
	page, err := AccessRecords(deps.Storage, "alice", ^uint32(0), MaxAccessPageSize)
	require.NoError(t, err)
	require.Empty(t, page.Records)
}
