package compute

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/internal/wat"
	"github.com/hermetic-chain/hermetic/state"
	"github.com/hermetic-chain/hermetic/tx"
)

// fillerContract is the fixture's contract with n more functions of m
// branches each (wat.Filler), to make its compilation take longer.
func fillerContract(t *testing.T, f *fixture, n, m int) []byte {
	t.Helper()
	src := contractWAT(f.payee.String())
	i := strings.LastIndex(src, ")")
	bin, err := wat.Compile(src[:i] + wat.Filler(n, m) + src[i:])
	require.NoError(t, err)
	return bin
}

// compileCost is what the model says compiling bin takes.
func compileCost(t *testing.T, f *fixture, bin []byte) time.Duration {
	t.Helper()
	code, err := f.k.vm.Validate(context.Background(), bin)
	require.NoError(t, err)
	return code.CompileCost
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

	// A large one is ready after its estimated compile time, slowed down.
	big := fillerContract(t, f, 2, 800) // two functions of 31 KB: about 0.8 s
	cost := compileCost(t, f, big)
	require.Greater(t, cost, SyncCompileMax)
	id, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big, noCharge)
	require.NoError(t, err)
	want := f.block.Time.Add(cost * CompileSlowdownPercent / 100).UTC()
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
	id2, info2, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big, noCharge)
	require.NoError(t, err)
	require.Equal(t, want.Add(cost*CompileSlowdownPercent/100), info2.ReadyAt, "queued after the first")
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
	big := fillerContract(t, f, 2, 800)
	step := compileCost(t, f, big) * CompileSlowdownPercent / 100
	var last time.Time
	n := 0
	for ; ; n++ {
		_, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big, noCharge)
		if err != nil {
			require.ErrorIs(t, err, ErrCompileBacklog)
			break
		}
		last = info.ReadyAt
	}
	require.Equal(t, int(MaxCompileBacklog/step), n)
	require.LessOrEqual(t, last.Sub(f.block.Time), MaxCompileBacklog)

	// A refused upload moved nothing: a later block, when the queue has
	// drained by one module, takes one more, queued after the last.
	later := f.block
	later.Time = f.block.Time.Add(step)
	_, info, err := f.k.StoreCode(ctx, f.s, later, f.alice, big, noCharge)
	require.NoError(t, err)
	require.Equal(t, last.Add(step), info.ReadyAt)
	_, _, err = f.k.StoreCode(ctx, f.s, later, f.alice, big, noCharge)
	require.ErrorIs(t, err, ErrCompileBacklog)
}

func TestFailedUploadIsNotCompiled(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	big := fillerContract(t, f, 2, 800)
	// The upload's transaction fails: its writes are dropped with its cache.
	txStore := state.NewCache(f.s)
	_, info, err := f.k.StoreCode(ctx, txStore, f.block, f.alice, big, noCharge)
	require.NoError(t, err)
	h, err := info.Hash()
	require.NoError(t, err)
	f.k.CompileStored(f.s)
	require.Nil(t, f.k.compiles.job(h), "nothing queued for code the block does not hold")
	f.k.mu.Lock()
	require.False(t, f.k.compiled[h])
	f.k.mu.Unlock()

	// The same upload in a transaction that succeeds is compiled.
	_, _, err = f.k.StoreCode(ctx, f.s, f.block, f.alice, big, noCharge)
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

// noCharge takes no gas for an upload.
func noCharge(time.Duration, time.Duration) error { return nil }

func TestUploadCharge(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	small, err := wat.Compile(contractWAT(f.payee.String()))
	require.NoError(t, err)
	big := fillerContract(t, f, 2, 800)
	for _, tc := range []struct {
		name       string
		bin        []byte
		compiledIn bool
	}{{"small: compiled in the block", small, true}, {"large: compiled later", big, false}} {
		t.Run(tc.name, func(t *testing.T) {
			var gotV, gotC time.Duration
			_, _, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, tc.bin, func(v, c time.Duration) error {
				gotV, gotC = v, c
				return nil
			})
			require.NoError(t, err)
			require.Positive(t, gotV)
			require.Equal(t, tc.compiledIn, gotC > 0)

			// A charge that fails fails the upload before it is compiled.
			refused := errors.New("out of gas")
			s := state.NewCache(f.s)
			_, info, err := f.k.StoreCode(ctx, s, f.block, f.alice, tc.bin, func(time.Duration, time.Duration) error { return refused })
			require.ErrorIs(t, err, refused)
			require.Empty(t, info.CodeHash)
		})
	}
}

func TestCompileAllAtStart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	big := fillerContract(t, f, 2, 800)
	_, info, err := f.k.StoreCode(ctx, f.s, f.block, f.alice, big, noCharge)
	require.NoError(t, err)
	bigHash, err := info.Hash()
	require.NoError(t, err)

	// A node starting on this state compiles every stored module.
	k := NewKeeper(f.k.vm, f.e, testBank{})
	t.Cleanup(k.Close)
	require.NoError(t, k.CompileAll(f.s))
	for _, h := range [][32]byte{f.hash, bigHash} {
		if job := k.compiles.job(h); job != nil {
			<-job.done
			require.NoError(t, job.err)
		}
		k.mu.Lock()
		require.True(t, k.compiled[h])
		k.mu.Unlock()
	}
}
