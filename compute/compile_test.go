package compute

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// padded returns the fixture's contract with a custom section that makes
// it size bytes long (custom sections count: the chain charges and
// compiles whole modules).
func padded(t *testing.T, f *fixture, size int) []byte {
	t.Helper()
	bin, err := wat.Compile(contractWAT(f.payee.String()))
	require.NoError(t, err)
	n := size - len(bin) - 1 - 5 - 4 // id, size, name
	require.Positive(t, n)
	sec := []byte{0x00}
	l := uint32(1 + 3 + n)
	sec = append(sec, byte(l)|0x80, byte(l>>7)|0x80, byte(l>>14)|0x80, byte(l>>21)|0x80, byte(l>>28))
	sec = append(sec, 3, 'p', 'a', 'd')
	out := append(append(bin, sec...), make([]byte, n)...)
	require.Len(t, out, size)
	return out
}

func TestDeferredCompile(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	instantiate := func(s state.Store, b Block, id uint64) error {
		_, _, err := f.k.Instantiate(ctx, s, b, &tx.MsgInstantiate{Sender: f.alice, CodeID: id, Label: "l", Admin: f.alice, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
		return err
	}

	// The fixture's small module was compiled in its block.
	info, err := Code(f.s, f.codeID)
	require.NoError(t, err)
	require.True(t, info.ReadyAt.IsZero())
	require.NoError(t, instantiate(f.s, f.block, f.codeID))

	// A large one is ready after its compile time at CompileBytesPerSecond.
	big := padded(t, f, SyncCompileMax+CompileBytesPerSecond) // one second more than sync
	id, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big)
	require.NoError(t, err)
	want := f.block.Time.Add(time.Duration(len(big)) * time.Second / CompileBytesPerSecond).UTC()
	require.Equal(t, want, info.ReadyAt)
	stored, err := Code(f.s, id)
	require.NoError(t, err)
	require.Equal(t, want, stored.ReadyAt, "ReadyAt is in the state")
	f.k.CompileStored(f.s)

	err = instantiate(f.s, f.block, id)
	require.ErrorIs(t, err, ErrCodeNotReady)
	require.ErrorContains(t, err, "can be used from "+want.Format(time.RFC3339Nano))
	early := f.block
	early.Time = want.Add(-time.Nanosecond)
	require.ErrorIs(t, instantiate(f.s, early, id), ErrCodeNotReady)
	ready := f.block
	ready.Time = want
	require.NoError(t, instantiate(f.s, ready, id))

	// Migrating to code that is not ready is refused too.
	addr, _, err := f.k.Instantiate(ctx, f.s, f.block, &tx.MsgInstantiate{Sender: f.alice, CodeID: f.codeID, Label: "m", Admin: f.alice, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)
	id2, info2, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big)
	require.NoError(t, err)
	require.Equal(t, want.Add(time.Duration(len(big))*time.Second/CompileBytesPerSecond), info2.ReadyAt, "queued after the first")
	_, err = f.k.Migrate(ctx, f.s, f.block, &tx.MsgMigrate{Sender: f.alice, Contract: addr, CodeID: id2, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.ErrorIs(t, err, ErrCodeNotReady)
	// Not compiled in the background (CompileStored was not called): the
	// block that needs it compiles it.
	at := f.block
	at.Time = info2.ReadyAt
	_, err = f.k.Migrate(ctx, f.s, at, &tx.MsgMigrate{Sender: f.alice, Contract: addr, CodeID: id2, Msg: []byte(`{}`), Plaintext: true}, 10_000_000)
	require.NoError(t, err)
}

func TestCompileBacklog(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	big := padded(t, f, 4*CompileBytesPerSecond) // four seconds each
	var last time.Time
	n := 0
	for ; ; n++ {
		_, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big)
		if err != nil {
			require.ErrorIs(t, err, ErrCompileBacklog)
			break
		}
		last = info.ReadyAt
	}
	require.Equal(t, int(MaxCompileBacklog/(4*time.Second)), n)
	require.LessOrEqual(t, last.Sub(f.block.Time), MaxCompileBacklog)

	// A refused upload moved nothing: a later block, when the queue has
	// drained by one module, takes one more, queued after the last.
	later := f.block
	later.Time = f.block.Time.Add(4 * time.Second)
	_, info, err := f.k.StoreCode(ctx, f.s, later, f.alice, big)
	require.NoError(t, err)
	require.Equal(t, last.Add(4*time.Second), info.ReadyAt)
	_, _, err = f.k.StoreCode(ctx, f.s, later, f.alice, big)
	require.ErrorIs(t, err, ErrCompileBacklog)
}

func TestFailedUploadIsNotCompiled(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	big := padded(t, f, SyncCompileMax+1024)
	// The upload's transaction fails: its writes are dropped with its cache.
	txStore := state.NewCache(f.s)
	_, info, err := f.k.StoreCode(ctx, txStore, f.block, f.alice, big)
	require.NoError(t, err)
	h, err := info.Hash()
	require.NoError(t, err)
	f.k.CompileStored(f.s)
	require.Nil(t, f.k.compiles.job(h), "nothing queued for code the block does not hold")
	f.k.mu.Lock()
	require.False(t, f.k.compiled[h])
	f.k.mu.Unlock()

	// The same upload in a transaction that succeeds is compiled.
	_, _, err = f.k.StoreCode(ctx, f.s, f.block, f.alice, big)
	require.NoError(t, err)
	f.k.CompileStored(f.s)
	if job := f.k.compiles.job(h); job != nil {
		<-job.done
		require.NoError(t, job.err)
	}
	f.k.mu.Lock()
	require.True(t, f.k.compiled[h])
	f.k.mu.Unlock()
}
