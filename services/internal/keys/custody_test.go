package keys

import (
	"bytes"
	"crypto/pbkdf2"
	"encoding/hex"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// testKDF is cheap enough for tests that derive hundreds of keys.
var testKDF = KDF{Algorithm: KDFPBKDF2SM3, Iterations: MinIterations}

func TestKDF_KnownAnswers(t *testing.T) {
	// Computed with OpenSSL 3.0:
	// openssl kdf -keylen 16 -kdfopt digest:SM3 -kdfopt pass:P -kdfopt hexsalt:S -kdfopt iter:N PBKDF2
	for _, c := range []struct {
		password, salt string
		iter           int
		want           string
	}{
		{"password", "000102030405060708090a0b0c0d0e0f", 1, "3175168390e4b996cbd4849d20a8ace0"},
		{"password", "000102030405060708090a0b0c0d0e0f", 1000, "304c324b5c73584d3af229f224b9c0c2"},
		{"开锁口令 unlock", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf", 150_000, "62e3847fc298e8309ecabd91d785809a"},
	} {
		salt, _ := hex.DecodeString(c.salt)
		kdf := KDF{Algorithm: KDFPBKDF2SM3, Iterations: c.iter}
		var got []byte
		var err error
		if c.iter < MinIterations {
			got, err = pbkdf2Direct(c.password, salt, c.iter)
		} else {
			got, err = kdf.derive(c.password, salt)
		}
		if err != nil || hex.EncodeToString(got) != c.want {
			t.Errorf("PBKDF2-HMAC-SM3(%q, %d) = %x, %v; want %s", c.password, c.iter, got, err, c.want)
		}
	}
}

// TestKDF_MatchesOpenSSL derives with a fresh random salt and compares with
// the openssl command, when it is installed.
func TestKDF_MatchesOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	salt := []byte("0123456789abcdef")
	got, err := testKDF.derive("pass word", salt)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "kdf", "-keylen", "16", "-kdfopt", "digest:SM3", "-kdfopt", "pass:pass word",
		"-kdfopt", "hexsalt:"+hex.EncodeToString(salt), "-kdfopt", "iter:"+strconv.Itoa(testKDF.Iterations), "PBKDF2").Output()
	if err != nil {
		t.Skipf("openssl kdf without SM3: %v", err)
	}
	want := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(string(out)), ":", ""))
	if hex.EncodeToString(got) != want {
		t.Fatalf("derive = %x, openssl = %s", got, want)
	}
}

func TestKDF_Validate(t *testing.T) {
	for _, k := range []KDF{
		{Algorithm: "pbkdf2-hmac-sha256", Iterations: DefaultIterations},
		{Algorithm: KDFPBKDF2SM3, Iterations: MinIterations - 1},
		{Algorithm: KDFPBKDF2SM3, Iterations: MaxIterations + 1},
	} {
		if err := k.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", k, err)
		}
	}
	if err := DefaultKDF.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := testKDF.derive("password", []byte("short")); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short salt: %v", err)
	}
}

func TestCheckNewPassword(t *testing.T) {
	for p, ok := range map[string]bool{
		"":                                    false,
		"short":                               false,
		"七个字的口令码":                             false,
		"八个字的开锁口令":                            true,
		"long enough":                         true,
		strings.Repeat("x", MaxPasswordLen+1): false,
		"bad\xffutf8 password":                false,
	} {
		if err := CheckNewPassword(p); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", p, err, ok)
		}
	}
}

func TestEnvelope_RoundTripAndBinding(t *testing.T) {
	owner := Owner{Kind: KindSubject, ID: strings.Repeat("ab", 16)}
	aad := custodyAAD(owner, "k1", 1)
	env, err := sealEnvelope(testKDF, "right password", []byte("secret"), aad)
	if err != nil {
		t.Fatal(err)
	}
	got, err := env.open("right password", aad)
	if err != nil || string(got) != "secret" {
		t.Fatalf("open = %q, %v", got, err)
	}
	again, _ := sealEnvelope(testKDF, "right password", []byte("secret"), aad)
	if bytes.Equal(again.Salt, env.Salt) || bytes.Equal(again.Sealed, env.Sealed) {
		t.Fatal("two seals share a salt or ciphertext")
	}

	other := Owner{Kind: KindDepartment, ID: "Org1MSP"}
	for name, c := range map[string]struct {
		env      Envelope
		password string
		aad      []byte
	}{
		"wrong password":       {env, "wrong password", aad},
		"another owner":        {env, "right password", custodyAAD(other, "k1", 1)},
		"another key":          {env, "right password", custodyAAD(owner, "k2", 1)},
		"another version":      {env, "right password", custodyAAD(owner, "k1", 2)},
		"iterations edited":    {Envelope{KDF: KDF{KDFPBKDF2SM3, testKDF.Iterations + 1}, Salt: env.Salt, Sealed: env.Sealed}, "right password", aad},
		"salt edited":          {Envelope{KDF: testKDF, Salt: bytes.Repeat([]byte{1}, 16), Sealed: env.Sealed}, "right password", aad},
		"ciphertext edited":    {Envelope{KDF: testKDF, Salt: env.Salt, Sealed: flip(env.Sealed, 20)}, "right password", aad},
		"ciphertext truncated": {Envelope{KDF: testKDF, Salt: env.Salt, Sealed: env.Sealed[:10]}, "right password", aad},
	} {
		if _, err := c.env.open(c.password, c.aad); !errors.Is(err, ErrBadPassword) {
			t.Errorf("%s: %v, want ErrBadPassword", name, err)
		}
	}
	weak := Envelope{KDF: KDF{KDFPBKDF2SM3, 1}, Salt: env.Salt, Sealed: env.Sealed}
	if _, err := weak.open("right password", aad); !errors.Is(err, ErrInvalid) {
		t.Errorf("iterations below the floor: %v, want ErrInvalid", err)
	}
}

func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 1
	return out
}

func TestKeyMaterial_RoundTrip(t *testing.T) {
	m, err := newKeyMaterial()
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseKeyMaterial(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.priv.Equal(m.priv) || !bytes.Equal(got.sym, m.sym) {
		t.Fatal("round trip changed the key material")
	}
	two := append(bytes.Clone(b), b...)
	first, rest, err := parseKeyMaterialPrefix(two)
	if err != nil || !first.priv.Equal(m.priv) || !bytes.Equal(rest, b) {
		t.Fatalf("prefix parse: rest %d bytes, %v", len(rest), err)
	}
	for name, bad := range map[string][]byte{
		"empty":          nil,
		"wrong version":  append([]byte{9}, b[1:]...),
		"truncated":      b[:len(b)-1],
		"trailing bytes": append(bytes.Clone(b), 0),
		"not a key":      append([]byte{1, 0, 3, 1, 2, 3}, make([]byte, 16)...),
	} {
		if _, err := parseKeyMaterial(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	m.destroy()
	if m.priv.D.Sign() != 0 || !bytes.Equal(m.sym, make([]byte, 16)) {
		t.Fatal("destroy left the key material")
	}
}

// pbkdf2Direct derives below MinIterations, for the one-iteration vector.
func pbkdf2Direct(password string, salt []byte, iter int) ([]byte, error) {
	return pbkdf2.Key(gm.NewHash, password, salt, iter, gm.SM4KeySize)
}
