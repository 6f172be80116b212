package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// TestDecrypt_GMT0003AnnexC decrypts the GM/T 0003.5-2012 Annex C example
// (recommended curve, k = 59276E27…) serialised as the GM/T 0009 ASN.1
// ciphertext SEQUENCE{x1, y1, C3, C2}.
func TestDecrypt_GMT0003AnnexC(t *testing.T) {
	ct := decodeHex(t, "307C"+
		"0220 04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"+
		"0221 00E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"+
		"0420 59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"+
		"0413 21886CA989CA9C7D58087307CA93092D651EFA")
	got, err := Decrypt(annexPrivateKey(t), ct)
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if want := "encryption standard"; string(got) != want {
		t.Errorf("Decrypt = %q, want %q", got, want)
	}
}

func TestEncrypt_RoundTrip(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err := NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{{0}, dataKey, bytes.Repeat([]byte{0xa5}, 1000)} {
		ct, err := Encrypt(&priv.PublicKey, pt)
		if err != nil {
			t.Fatalf("Encrypt(%d bytes): %v", len(pt), err)
		}
		if ct[0] != asn1Sequence {
			t.Errorf("ciphertext starts with %#x, want an ASN.1 SEQUENCE", ct[0])
		}
		got, err := Decrypt(priv, ct)
		if err != nil {
			t.Fatalf("Decrypt(%d bytes): %v", len(pt), err)
		}
		if !bytes.Equal(got, pt) {
			t.Errorf("round trip of %d bytes changed the plaintext", len(pt))
		}
	}
}

func TestDecrypt_TamperFails(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ct, err := Encrypt(&priv.PublicKey, []byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := sm2.ASN1Ciphertext2Plain(ct, nil)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		priv *sm2.PrivateKey
		ct   []byte
	}{
		{"other key", other, ct},
		{"C2 byte flipped", priv, flipByte(ct, len(ct)-1)},
		{"C3 byte flipped", priv, flipByte(ct, len(ct)-16-5)},
		{"C1 x flipped", priv, flipByte(ct, 6)},
		{"truncated", priv, ct[:len(ct)-1]},
		{"trailing byte", priv, append(bytes.Clone(ct), 0)},
		{"raw C1C3C2 encoding", priv, plain},
		{"empty", priv, nil},
		{"bare SEQUENCE tag", priv, []byte{asn1Sequence}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decrypt(tc.priv, tc.ct); !errors.Is(err, ErrDecrypt) {
				t.Errorf("Decrypt = %v, want ErrDecrypt", err)
			}
		})
	}
}

func TestEncrypt_RejectsBadInput(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv := annexPrivateKey(t)
	if _, err := Encrypt(&priv.PublicKey, nil); err == nil {
		t.Error("Encrypt of an empty plaintext succeeded")
	}
	for name, pub := range map[string]*ecdsa.PublicKey{"nil": nil, "NIST P-256": &p256.PublicKey} {
		if _, err := Encrypt(pub, []byte("k")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Encrypt to %s key = %v, want ErrInvalidKey", name, err)
		}
	}
	if _, err := Decrypt(nil, []byte{asn1Sequence}); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Decrypt with nil key = %v, want ErrInvalidKey", err)
	}
}
