//go:build !wasip1

package contract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func vkEnv(contractAddr string) Env {
	return Env{Block: BlockInfo{Height: 42, Time: "1700000000000000000", ChainID: "test"}, Contract: ContractInfo{Address: contractAddr}}
}

func TestCreateAndCheckViewingKey(t *testing.T) {
	deps := MockDeps()
	SetViewingKeySeed(deps, []byte("seed"))
	env := vkEnv("contract")

	key, err := CreateViewingKey(deps, env, MessageInfo{Sender: "alice"}, "my entropy")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(key, ViewingKeyPrefix), key)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(key, ViewingKeyPrefix))
	require.NoError(t, err)
	require.Len(t, raw, 32)

	require.NoError(t, CheckViewingKey(deps, "alice", key))
	require.ErrorIs(t, CheckViewingKey(deps, "alice", key+"x"), ErrViewingKey)
	require.ErrorIs(t, CheckViewingKey(deps, "alice", ""), ErrViewingKey)

	// Same inputs, same block: the nonce (and crypto/rand) still make a
	// new key, which replaces the old one.
	key2, err := CreateViewingKey(deps, env, MessageInfo{Sender: "alice"}, "my entropy")
	require.NoError(t, err)
	require.NotEqual(t, key, key2)
	require.NoError(t, CheckViewingKey(deps, "alice", key2))
	require.ErrorIs(t, CheckViewingKey(deps, "alice", key), ErrViewingKey)

	// A key set by its owner replaces a created one.
	require.NoError(t, SetViewingKey(deps, "alice", "hunter2"))
	require.NoError(t, CheckViewingKey(deps, "alice", "hunter2"))
	require.ErrorIs(t, CheckViewingKey(deps, "alice", key2), ErrViewingKey)

	require.Error(t, SetViewingKey(deps, "alice", ""))
	require.Error(t, SetViewingKey(deps, "", "k"))
	require.NoError(t, CheckViewingKey(deps, "alice", "hunter2"), "a refused set must not change the key")
}

func TestCreateViewingKeyNeedsSeed(t *testing.T) {
	deps := MockDeps()
	_, err := CreateViewingKey(deps, vkEnv("contract"), MessageInfo{Sender: "alice"}, "e")
	require.ErrorIs(t, err, errNoViewingKeySeed)
	require.Zero(t, deps.Storage.(*MemoryStorage).Len(), "a failed create wrote to the state")
	_, err = CreateViewingKey(deps, vkEnv("contract"), MessageInfo{}, "e")
	require.Error(t, err)
}

func TestViewingKeyWrongAndMissingAreAlike(t *testing.T) {
	deps := MockDeps()
	require.NoError(t, SetViewingKey(deps, "alice", "right"))
	wrong := CheckViewingKey(deps, "alice", "wrong")
	missing := CheckViewingKey(deps, "bob", "right")
	require.ErrorIs(t, wrong, ErrViewingKey)
	require.ErrorIs(t, missing, ErrViewingKey)
	require.Equal(t, wrong, missing)
	require.Equal(t, "wrong viewing key", wrong.Error())
	require.Equal(t, "wrong viewing key", missing.Error())
	// The dummy hash's preimage does not open an account without a key.
	require.ErrorIs(t, CheckViewingKey(deps, "bob", "hermetic: no viewing key"), ErrViewingKey)
}

func TestViewingKeyStoredOnlyAsHash(t *testing.T) {
	deps := MockDeps()
	SetViewingKeySeed(deps, []byte("the seed"))
	created, err := CreateViewingKey(deps, vkEnv("contract"), MessageInfo{Sender: "alice"}, "entropy")
	require.NoError(t, err)
	require.NoError(t, SetViewingKey(deps, "bob", "bobs chosen key"))

	body := strings.TrimPrefix(created, ViewingKeyPrefix)
	raw, err := base64.StdEncoding.DecodeString(body)
	require.NoError(t, err)
	secrets := [][]byte{[]byte(created), []byte(body), raw, []byte("bobs chosen key"), []byte("the seed")}
	n := 0
	for k, v := range deps.Storage.Range(nil, nil, Ascending) {
		n++
		for _, s := range secrets {
			require.False(t, bytes.Contains(k, s), "storage key %q holds %q", k, s)
			require.False(t, bytes.Contains(v, s), "value of %q holds %q", k, s)
		}
	}
	require.Equal(t, 6, n) // seed, nonce, two hashes, a decoy for each address length (5, 3)
	require.NoError(t, CheckViewingKey(deps, "alice", created))
	require.NoError(t, CheckViewingKey(deps, "bob", "bobs chosen key"))
}

func TestViewingKeysNotShared(t *testing.T) {
	// Two contracts with the same seed, in the same block, for the same
	// sender and entropy, create different keys, and neither opens the
	// other's account.
	a, b := MockDeps(), MockDeps()
	SetViewingKeySeed(a, []byte("seed"))
	SetViewingKeySeed(b, []byte("seed"))
	info := MessageInfo{Sender: "alice"}
	ka, err := CreateViewingKey(a, vkEnv("contract-a"), info, "same")
	require.NoError(t, err)
	kb, err := CreateViewingKey(b, vkEnv("contract-b"), info, "same")
	require.NoError(t, err)
	require.NotEqual(t, ka, kb)
	require.ErrorIs(t, CheckViewingKey(a, "alice", kb), ErrViewingKey)
	require.ErrorIs(t, CheckViewingKey(b, "alice", ka), ErrViewingKey)

	// Within one contract, a key is its address's only.
	kbob, err := CreateViewingKey(a, vkEnv("contract-a"), MessageInfo{Sender: "bob"}, "same")
	require.NoError(t, err)
	require.NotEqual(t, ka, kbob)
	require.ErrorIs(t, CheckViewingKey(a, "bob", ka), ErrViewingKey)
	require.ErrorIs(t, CheckViewingKey(a, "alice", kbob), ErrViewingKey)
	require.ErrorIs(t, CheckViewingKey(a, "carol", ka), ErrViewingKey)
	require.NoError(t, CheckViewingKey(a, "alice", ka))
	require.NoError(t, CheckViewingKey(a, "bob", kbob))

	// The same chosen key set by two addresses works for each.
	require.NoError(t, SetViewingKey(b, "carol", "shared"))
	require.NoError(t, SetViewingKey(b, "dave", "shared"))
	require.NoError(t, CheckViewingKey(b, "carol", "shared"))
	require.NoError(t, CheckViewingKey(b, "dave", "shared"))
}

// readLog is a Storage that records each Get: the key's length and whether
// it found a value.
type readLog struct {
	Storage
	reads []string
}

func (r *readLog) Get(k []byte) []byte {
	v := r.Storage.Get(k)
	r.reads = append(r.reads, fmt.Sprintf("%d bytes, found %v (%d)", len(k), v != nil, len(v)))
	return v
}

// A wrong key and a missing one make the same storage reads — the same key
// lengths, one read that finds a 32-byte hash and one that finds nothing —
// so the host charges the same gas (the token's test checks the gas itself).
func TestViewingKeyChecksReadAlike(t *testing.T) {
	deps := MockDeps()
	require.NoError(t, SetViewingKey(deps, "alice", "right"))
	log := &readLog{Storage: deps.Storage}
	deps.Storage = log
	reads := func(addr, key string) []string {
		log.reads = nil
		require.ErrorIs(t, CheckViewingKey(deps, addr, key), ErrViewingKey)
		out := append([]string(nil), log.reads...)
		sort.Strings(out)
		return out
	}
	wrong, missing := reads("alice", "wrong"), reads("carol", "right")
	require.Len(t, wrong, 2)
	require.Equal(t, wrong, missing)
	log.reads = nil
	require.NoError(t, CheckViewingKey(deps, "alice", "right"))
	sort.Strings(log.reads)
	require.Equal(t, wrong, log.reads, "a right key reads alike too")
}
