package gm

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func decodeHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// GB/T 32905-2016 Appendix A examples 1 and 2.
var sm3Vectors = []struct {
	name string
	in   string
	want string
}{
	{"abc", "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
	{"abcd x16", strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
}

func TestSum_GBT32905Vectors(t *testing.T) {
	for _, tc := range sm3Vectors {
		t.Run(tc.name, func(t *testing.T) {
			got := Sum([]byte(tc.in))
			if hex.EncodeToString(got[:]) != tc.want {
				t.Errorf("Sum(%q) = %x, want %s", tc.in, got, tc.want)
			}
			if h := Hex([]byte(tc.in)); h != tc.want {
				t.Errorf("Hex(%q) = %s, want %s", tc.in, h, tc.want)
			}
		})
	}
}

func TestNewHash_StreamingMatchesSum(t *testing.T) {
	for _, tc := range sm3Vectors {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHash()
			for _, c := range []byte(tc.in) {
				h.Write([]byte{c})
			}
			if got := hex.EncodeToString(h.Sum(nil)); got != tc.want {
				t.Errorf("streamed digest = %s, want %s", got, tc.want)
			}
		})
	}
}

// GM/T 0042-2015 Appendix D.3.
func TestHMAC_GMT0042Vectors(t *testing.T) {
	tests := []struct {
		name string
		key  []byte
		data []byte
		want string
	}{
		{
			name: "32-byte key, 112-byte message",
			key:  decodeHex(t, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"),
			data: []byte(strings.Repeat("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 2)),
			want: "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
		},
		{
			name: "37-byte key, 50 x 0xcd",
			key:  decodeHex(t, "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425"),
			data: bytes.Repeat([]byte{0xcd}, 50),
			want: "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
		},
		{
			name: "32 x 0x0b key, Hi There",
			key:  bytes.Repeat([]byte{0x0b}, 32),
			data: []byte("Hi There"),
			want: "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e",
		},
		{
			name: "short key Jefe",
			key:  []byte("Jefe"),
			data: []byte("what do ya want for nothing?"),
			want: "2e87f1d16862e6d964b50a5200bf2b10b764faa9680a296a2405f24bec39f882",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := hex.EncodeToString(HMAC(tc.key, tc.data)); got != tc.want {
				t.Errorf("HMAC = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestCommitment_IsSM3OfSaltThenData(t *testing.T) {
	// Splitting "abc" into salt "a" and data "bc" must give SM3("abc"),
	// which pins both the hash and the concatenation order.
	if got, want := Commitment([]byte("a"), []byte("bc")), sm3Vectors[0].want; got != want {
		t.Errorf("Commitment(a, bc) = %s, want SM3(abc) = %s", got, want)
	}
}

func TestVerifyCommitment_Cases(t *testing.T) {
	salt, err := NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	if len(salt) != SaltSize {
		t.Fatalf("NewSalt returned %d bytes, want %d", len(salt), SaltSize)
	}
	data := []byte("370102199001011234")
	c := Commitment(salt, data)
	otherSalt := bytes.Clone(salt)
	otherSalt[0] ^= 1

	tests := []struct {
		name       string
		salt, data []byte
		commitment string
		want       bool
	}{
		{"matching", salt, data, c, true},
		{"uppercase hex", salt, data, strings.ToUpper(c), true},
		{"other data", salt, []byte("370102199001011235"), c, false},
		{"other salt", otherSalt, data, c, false},
		{"flipped digest", salt, data, flipHexDigit(c), false},
		{"truncated", salt, data, c[:len(c)-2], false},
		{"odd length", salt, data, c[:len(c)-1], false},
		{"not hex", salt, data, strings.Repeat("zz", SM3Size), false},
		{"empty", salt, data, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyCommitment(tc.salt, tc.data, tc.commitment); got != tc.want {
				t.Errorf("VerifyCommitment = %v, want %v", got, tc.want)
			}
		})
	}
}

func flipHexDigit(s string) string {
	b := []byte(s)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}
