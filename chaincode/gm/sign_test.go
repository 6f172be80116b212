package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"

	"github.com/emmansun/gmsm/sm2"
)

// annexKey is the private key of the GM/T 0003.5-2012 (GB/T 32918.5) Annex A
// and C examples, which use the recommended curve sm2p256v1. The better known
// GB/T 32918.2 Annex A example cannot be reproduced with gmsm: it uses a
// different 256-bit test curve (p = 8542D69E…) that gmsm does not expose.
const annexKey = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"

func annexPrivateKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	priv, err := sm2.NewPrivateKey(decodeHex(t, annexKey))
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func TestVerify_GMT0003AnnexA(t *testing.T) {
	priv := annexPrivateKey(t)
	pub := &priv.PublicKey
	uid := []byte(DefaultUserID)
	msg := []byte("message digest")

	// The published intermediate values: public key, Z_A and e = SM3(Z_A‖M).
	if got := pub.X.Text(16); got != "9f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020" {
		t.Errorf("x_A = %s", got)
	}
	if got := pub.Y.Text(16); got != "ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13" {
		t.Errorf("y_A = %s", got)
	}
	za, err := sm2.CalculateZA(pub, uid)
	if err != nil {
		t.Fatal(err)
	}
	if want := decodeHex(t, "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"); !bytes.Equal(za, want) {
		t.Errorf("Z_A = %X, want %X", za, want)
	}
	e, err := sm2.CalculateSM2Hash(pub, msg, uid)
	if err != nil {
		t.Fatal(err)
	}
	if want := decodeHex(t, "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640"); !bytes.Equal(e, want) {
		t.Errorf("e = %X, want %X", e, want)
	}

	// The published signature (made with k = 59276E27…), DER-encoded.
	r, _ := new(big.Int).SetString("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3", 16)
	s, _ := new(big.Int).SetString("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA", 16)
	sig, err := asn1.Marshal(struct{ R, S *big.Int }{r, s})
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySignature(pub, msg, sig); err != nil {
		t.Errorf("published signature does not verify: %v", err)
	}
	if Verify(pub, []byte("message digesT"), sig) {
		t.Error("published signature verifies for another message")
	}
}

func TestSign_RoundTrip(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{nil, {}, []byte("x"), bytes.Repeat([]byte("kaiban"), 1000)} {
		sig, err := Sign(priv, msg)
		if err != nil {
			t.Fatalf("Sign(%d bytes): %v", len(msg), err)
		}
		if err := VerifySignature(&priv.PublicKey, msg, sig); err != nil {
			t.Errorf("VerifySignature(%d bytes): %v", len(msg), err)
		}
	}
}

func TestSign_FixedKeyVerifiesUnderDerivedPublicKey(t *testing.T) {
	priv := annexPrivateKey(t)
	msg := []byte("企业开办 establishment filing")
	sig, err := Sign(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	// Derive the public key from the scalar alone, as a verifier that only
	// received the key material would.
	x, y := sm2.P256().ScalarBaseMult(decodeHex(t, annexKey))
	derived := &ecdsa.PublicKey{Curve: sm2.P256(), X: x, Y: y}
	if !Verify(derived, msg, sig) {
		t.Error("signature does not verify under the public key derived from the private scalar")
	}
}

func TestSign_SignatureIsDER(t *testing.T) {
	priv := annexPrivateKey(t)
	sig, err := Sign(priv, []byte("der"))
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) != 0 {
		t.Fatalf("signature is not a single DER SEQUENCE: err=%v, %d trailing bytes", err, len(rest))
	}
	again, err := asn1.Marshal(rs)
	if err != nil || !bytes.Equal(again, sig) {
		t.Errorf("signature is not canonical DER: %x, re-encoded %x", sig, again)
	}
	n := sm2.P256().Params().N
	for name, v := range map[string]*big.Int{"r": rs.R, "s": rs.S} {
		if v.Sign() <= 0 || v.Cmp(n) >= 0 {
			t.Errorf("%s = %x is outside [1, n-1]", name, v)
		}
	}
}

func TestVerify_TamperFails(t *testing.T) {
	priv := annexPrivateKey(t)
	other, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("approve grant 42")
	sig, err := Sign(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatal(err)
	}
	swapped, _ := asn1.Marshal(struct{ R, S *big.Int }{rs.S, rs.R})
	negS, _ := asn1.Marshal(struct{ R, S *big.Int }{rs.R, new(big.Int).Sub(sm2.P256().Params().N, rs.S)})

	tests := []struct {
		name string
		pub  *ecdsa.PublicKey
		msg  []byte
		sig  []byte
	}{
		{"message changed", &priv.PublicKey, []byte("approve grant 43"), sig},
		{"message extended", &priv.PublicKey, append(bytes.Clone(msg), 0), sig},
		{"other key", &other.PublicKey, msg, sig},
		{"last signature byte flipped", &priv.PublicKey, msg, flipByte(sig, len(sig)-1)},
		{"r byte flipped", &priv.PublicKey, msg, flipByte(sig, 8)},
		{"truncated", &priv.PublicKey, msg, sig[:len(sig)-1]},
		{"trailing byte", &priv.PublicKey, msg, append(bytes.Clone(sig), 0)},
		{"r and s swapped", &priv.PublicKey, msg, swapped},
		{"s negated mod n", &priv.PublicKey, msg, negS},
		{"empty", &priv.PublicKey, msg, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifySignature(tc.pub, tc.msg, tc.sig)
			if !errors.Is(err, ErrBadSignature) {
				t.Errorf("VerifySignature = %v, want ErrBadSignature", err)
			}
			if Verify(tc.pub, tc.msg, tc.sig) {
				t.Error("Verify = true")
			}
		})
	}
}

func TestVerify_WrongUserIDFails(t *testing.T) {
	priv := annexPrivateKey(t)
	pub := &priv.PublicKey
	msg := []byte("message digest")
	alice := []byte("ALICE123@YAHOO.COM")

	sig, err := Sign(priv, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyWithUserID(pub, alice, msg, sig); !errors.Is(err, ErrBadSignature) {
		t.Errorf("default-ID signature checked under another ID: %v, want ErrBadSignature", err)
	}

	aliceSig, err := signWithUserID(priv, alice, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyWithUserID(pub, alice, msg, aliceSig); err != nil {
		t.Errorf("signature under ID %q does not verify under it: %v", alice, err)
	}
	if Verify(pub, msg, aliceSig) {
		t.Error("signature under another ID verifies under DefaultUserID")
	}
}

func TestSign_InvalidKey(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		priv *sm2.PrivateKey
	}{
		{"nil", nil},
		{"no scalar", &sm2.PrivateKey{}},
		{"NIST P-256 key", &sm2.PrivateKey{PrivateKey: *p256}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Sign(tc.priv, []byte("m")); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Sign = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestVerifySignature_InvalidKey(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(annexPrivateKey(t), []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  *ecdsa.PublicKey
	}{
		{"nil", nil},
		{"no point", &ecdsa.PublicKey{Curve: sm2.P256()}},
		{"point off the curve", &ecdsa.PublicKey{Curve: sm2.P256(), X: big.NewInt(1), Y: big.NewInt(1)}},
		{"NIST P-256 key", &p256.PublicKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := VerifySignature(tc.pub, []byte("m"), sig); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("VerifySignature = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}
