package sim_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hermetic-chain/hermetic/cryptobox"
	"github.com/hermetic-chain/hermetic/enclave"
	"github.com/hermetic-chain/hermetic/enclave/sim"
)

// boundary is every exported method of *sim.Enclave and what it hands the
// host. A method added to the backend fails TestEveryExportedMethodIsReviewed
// until it is reviewed, listed here and documented in docs/enclave.md
// ("What crosses the boundary").
var boundary = map[string]string{
	"Info":         "backend name, measurement, simulated flag, number of seeds",
	"Bootstrap":    "the network's public keys",
	"NetworkKeys":  "the network's public keys",
	"Registration": "the registration public key and its attestation report",
	"EncryptSeeds": "the seeds encrypted to a registration public key",
	"InstallSeeds": "an error",
	"Execute":      "the output, encrypted to the sender unless the input was plaintext",
	"Query":        "the answer, encrypted to the sender unless the input was plaintext",
}

// TestEveryExportedMethodIsReviewed: the backend exports exactly the
// reviewed methods (in particular no Seal or Unseal, which would hand the
// host plaintext), and docs/enclave.md documents each.
func TestEveryExportedMethodIsReviewed(t *testing.T) {
	typ := reflect.TypeFor[*sim.Enclave]()
	var got []string
	for i := range typ.NumMethod() {
		got = append(got, typ.Method(i).Name)
	}
	var want []string
	for name := range boundary {
		want = append(want, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	require.Equal(t, want, got, "review every exported method of sim.Enclave for secrets it could return, then list it in boundary and docs/enclave.md")

	doc, err := os.ReadFile("../../docs/enclave.md")
	require.NoError(t, err)
	for name := range boundary {
		require.Contains(t, string(doc), "| `"+name+"`", "docs/enclave.md does not document %s", name)
	}
}

// TestNoMethodReturnsASecret calls every exported method, on success and on
// failure, and looks for the enclaves' seeds and keys — raw, hex and base64
// — in everything it returns: results (as JSON) and error messages.
func TestNoMethodReturnsASecret(t *testing.T) {
	ctx := context.Background()
	boot := open(t, t.TempDir())
	joining := open(t, t.TempDir())
	var returned []any
	keep := func(v any, err error) {
		t.Helper()
		returned = append(returned, v)
		if err != nil {
			returned = append(returned, err.Error())
		}
	}

	keep(boot.Info(), nil)
	nk, err := boot.Bootstrap(ctx)
	keep(nk, err)
	keep(boot.Bootstrap(ctx)) // ErrHasSeed
	keep(boot.NetworkKeys())
	keep(joining.NetworkKeys()) // ErrNoSeed
	reg, err := joining.Registration(ctx, "chain-x")
	keep(reg, err)
	enc, err := boot.EncryptSeeds(reg.PubKey)
	keep(enc, err)
	keep(boot.EncryptSeeds(make([]byte, 32))) // low-order key
	bad := [][]byte{bytes.Clone(enc[0])}
	bad[0][0] ^= 1
	keep(nil, joining.InstallSeeds(bad, nk))
	keep(nil, joining.InstallSeeds(enc, enclave.NetworkKeys{TxKey: make([]byte, 32), SeedExchangeKey: nk.SeedExchangeKey}))
	keep(nil, joining.InstallSeeds(enc, nk))
	keep(joining.Info(), nil)

	codeHash := sha256.Sum256([]byte("counter code"))
	store := newStore(t)
	for _, msg := range []string{"12345", "fail", "list"} {
		wire, _, err := cryptobox.EncryptInput(rand.Reader, nk.TxKey, codeHash, []byte(msg))
		require.NoError(t, err)
		call := enclave.Call{Contract: []byte("c"), CodeHash: codeHash, Input: wire, State: store, Pos: &cryptobox.WritePos{}}
		keep(boot.Execute(ctx, call, counter{}))
		keep(joining.Query(ctx, call, counter{}))
		call.CodeHash = sha256.Sum256([]byte("other code")) // refused input
		keep(boot.Execute(ctx, call, counter{}))
		call.Input[len(call.Input)-1] ^= 1
		keep(joining.Query(ctx, call, counter{}))
	}

	var needles [][]byte
	for _, s := range slices.Concat(sim.Secrets(boot), sim.Secrets(joining)) {
		needles = append(needles, s, []byte(hex.EncodeToString(s)), []byte(strings.ToUpper(hex.EncodeToString(s))),
			[]byte(base64.StdEncoding.EncodeToString(s)), []byte(base64.RawURLEncoding.EncodeToString(s)))
	}
	for i, v := range returned {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		b = append(b, fmt.Sprintf("%v", v)...)
		for _, nd := range needles {
			require.False(t, bytes.Contains(b, nd), "return value %d holds a secret: %s", i, b)
		}
	}
}
