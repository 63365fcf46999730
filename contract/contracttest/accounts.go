//go:build !wasip1

package contracttest

import (
	"bytes"
	"testing"

	"github.com/hermetic-chain/hermetic/keys"
)

// Bytes returns n bytes, each b: keys, hashes and addresses a test can
// tell apart by b.
func Bytes(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// Account returns the bech32 address (keys.AddressPrefix) of the 20-byte
// account Bytes(b, 20).
func Account(t testing.TB, b byte) string { return address(t, Bytes(b, 20)) }

// ContractAddress returns the bech32 address of the 32-byte contract
// address Bytes(b, 32).
func ContractAddress(t testing.TB, b byte) string { return address(t, Bytes(b, 32)) }

func address(t testing.TB, raw []byte) string {
	t.Helper()
	s, err := keys.EncodeBech32(keys.AddressPrefix, raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
