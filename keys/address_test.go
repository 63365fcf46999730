package keys

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// BIP-173 test vectors.
func TestBech32Valid(t *testing.T) {
	valid := []string{
		"A12UEL5L",
		"a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11" + strings.Repeat("q", 82) + "c8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
		"BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
	}
	for _, s := range valid {
		t.Run(s, func(t *testing.T) {
			hrp, data, err := bech32Decode(s)
			require.NoError(t, err)
			enc, err := bech32Encode(hrp, data)
			require.NoError(t, err)
			require.Equal(t, strings.ToLower(s), enc)
		})
	}
}

func TestBech32Invalid(t *testing.T) {
	invalid := []struct {
		name string
		s    string
	}{
		{"hrp char 0x20", "\x201nwldj5"},
		{"hrp char 0x7f", "\x7f1axkwrx"},
		{"hrp char 0x80", "\x801eym55h"},
		{"too long", "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx"},
		{"no separator", "pzry9x0s0muk"},
		{"empty hrp", "1pzry9x0s0muk"},
		{"invalid data char", "x1b4n0q5v"},
		{"short checksum", "li1dgmt3"},
		{"invalid checksum char", "de1lg7wt\xff"},
		{"uppercase hrp checksum", "A1G7SGD8"},
		{"empty hrp 2", "10a06t8"},
		{"empty hrp 3", "1qzzfhee"},
		{"mixed case", "a12UEL5L"},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := bech32Decode(tt.s)
			require.Error(t, err)
		})
	}
}

func TestAddressRoundTrip(t *testing.T) {
	for _, kt := range keyTypes {
		k, err := Generate(kt)
		require.NoError(t, err)
		a := k.PubKey().Address()
		s := a.String()
		require.True(t, strings.HasPrefix(s, AddressPrefix+"1"), s)
		require.Len(t, s, len(AddressPrefix)+1+32+6)
		got, err := ParseAddress(s)
		require.NoError(t, err)
		require.Equal(t, a, got)
		// Upper case is a valid bech32 encoding too.
		got, err = ParseAddress(strings.ToUpper(s))
		require.NoError(t, err)
		require.Equal(t, a, got)
		require.Equal(t, a[:], a.Bytes())
		require.False(t, a.IsZero())
	}
	var zero Address
	require.True(t, zero.IsZero())
	got, err := ParseAddress(zero.String())
	require.NoError(t, err)
	require.Equal(t, zero, got)
}

func TestAddressKnown(t *testing.T) {
	var a Address
	for i := range a {
		a[i] = byte(i)
	}
	// Computed with the BIP-173 Python reference implementation.
	const want = "herm1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnj9jc2n"
	require.Equal(t, want, a.String())
	got, err := ParseAddress(want)
	require.NoError(t, err)
	require.Equal(t, a, got)
}

func TestParseAddressErrors(t *testing.T) {
	var a Address
	for i := range a {
		a[i] = byte(0xa0 + i)
	}
	good := a.String()
	data, err := convertBits(a[:], 8, 5, true)
	require.NoError(t, err)
	wrongPrefix, err := bech32Encode("cosmos", data)
	require.NoError(t, err)
	short, err := convertBits(a[:19], 8, 5, true)
	require.NoError(t, err)
	shortAddr, err := bech32Encode(AddressPrefix, short)
	require.NoError(t, err)
	long, err := convertBits(append(a[:], 0), 8, 5, true)
	require.NoError(t, err)
	longAddr, err := bech32Encode(AddressPrefix, long)
	require.NoError(t, err)
	// 33 groups of 5 bits = 165 bits: non-zero padding bits.
	badPad := append(append([]byte(nil), data...), 1)
	badPadAddr, err := bech32Encode(AddressPrefix, badPad)
	require.NoError(t, err)

	lastChar := good[len(good)-1]
	repl := byte('q')
	if lastChar == 'q' {
		repl = 'p'
	}
	badChecksum := good[:len(good)-1] + string(repl)

	tests := []struct {
		name   string
		s      string
		prefix bool
	}{
		{"empty", "", false},
		{"wrong prefix", wrongPrefix, true},
		{"bad checksum", badChecksum, false},
		{"mixed case", strings.ToUpper(good[:6]) + good[6:], false},
		{"short payload", shortAddr, false},
		{"long payload", longAddr, false},
		{"bad padding", badPadAddr, false},
		{"hex", "0x0000000000000000000000000000000000000000", false},
		{"no data", "herm1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAddress(tt.s)
			require.ErrorIs(t, err, ErrInvalidAddress)
			if tt.prefix {
				require.ErrorIs(t, err, ErrAddressPrefix)
			} else {
				require.NotErrorIs(t, err, ErrAddressPrefix)
			}
		})
	}
}

func TestAddressJSON(t *testing.T) {
	k, err := Generate(KeyEd25519)
	require.NoError(t, err)
	type wrap struct {
		A Address `json:"a"`
		M map[Address]int
	}
	in := wrap{A: k.PubKey().Address(), M: map[Address]int{k.PubKey().Address(): 3}}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	require.Contains(t, string(b), `"a":"`+in.A.String()+`"`)
	var out wrap
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, in, out)

	require.ErrorIs(t, json.Unmarshal([]byte(`{"a":"herm1xyz"}`), &out), ErrInvalidAddress)
}

func FuzzParseAddress(f *testing.F) {
	var a Address
	for i := range a {
		a[i] = byte(i * 7)
	}
	f.Add(a.String())
	f.Add(strings.ToUpper(a.String()))
	f.Add("herm1")
	f.Add("A12UEL5L")
	f.Add("cosmos1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		addr, err := ParseAddress(s)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidAddress)
			return
		}
		require.Equal(t, strings.ToLower(s), addr.String())
	})
}
