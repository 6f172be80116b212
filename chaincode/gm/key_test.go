package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

func TestPrivateKeyPEM_RoundTrip(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalPrivateKeyPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PRIVATE KEY-----\n")) {
		t.Errorf("not a PKCS#8 PEM block:\n%s", data)
	}
	got, err := ParsePrivateKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(priv) {
		t.Error("parsed private key differs from the marshalled one")
	}
}

func TestParsePrivateKeyPEM_SEC1(t *testing.T) {
	priv := annexPrivateKey(t)
	der, err := smx509.MarshalSM2PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"EC PRIVATE KEY", "SM2 PRIVATE KEY"} {
		got, err := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der}))
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if !got.Equal(priv) {
			t.Errorf("%s: parsed SEC 1 key differs from the original", label)
		}
	}
}

// sec1SM2 hand-builds an RFC 5915 ECPrivateKey on sm2p256v1, so that scalars
// gmsm's own marshaller refuses can be offered to the parser.
func sec1SM2(t *testing.T, scalar []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	}{1, scalar, asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}})
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func TestParsePrivateKeyPEM_Rejects(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256PKCS8, err := x509.MarshalPKCS8PrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	p256SEC1, err := x509.MarshalECPrivateKey(p256)
	if err != nil {
		t.Fatal(err)
	}
	nMinus1 := new(big.Int).Sub(sm2.P256().Params().N, big.NewInt(1)).FillBytes(make([]byte, 32))

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("3945208F7B2144B13F36E38AC6D39F95")},
		{"public key block", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0}})},
		{"garbage PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")})},
		{"garbage SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("garbage")})},
		{"NIST P-256 PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p256PKCS8})},
		{"NIST P-256 SEC 1", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p256SEC1})},
		{"zero scalar", sec1SM2(t, make([]byte, 32))},
		{"scalar n-1", sec1SM2(t, nMinus1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePrivateKeyPEM(tc.data); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("ParsePrivateKeyPEM = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestPublicKeyPEM_RoundTrip(t *testing.T) {
	priv, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalPublicKeyPEM(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("-----BEGIN PUBLIC KEY-----\n")) {
		t.Errorf("not a PKIX PEM block:\n%s", data)
	}
	got, err := ParsePublicKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(&priv.PublicKey) {
		t.Error("parsed public key differs from the marshalled one")
	}
}

func TestParsePublicKeyPEM_Rejects(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256DER, err := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sm2DER, err := smx509.MarshalPKIXPublicKey(&annexPrivateKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	offCurve := flipByte(sm2DER, len(sm2DER)-1)

	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("hello")},
		{"private key block", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sm2DER})},
		{"garbage", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("garbage")})},
		{"NIST P-256", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: p256DER})},
		{"point off the curve", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: offCurve})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParsePublicKeyPEM(tc.data); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("ParsePublicKeyPEM = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestMarshalPEM_InvalidKey(t *testing.T) {
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalPrivateKeyPEM(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("MarshalPrivateKeyPEM(nil) = %v, want ErrInvalidKey", err)
	}
	if _, err := MarshalPublicKeyPEM(&p256.PublicKey); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("MarshalPublicKeyPEM(P-256) = %v, want ErrInvalidKey", err)
	}
	offCurve := &ecdsa.PublicKey{Curve: sm2.P256(), X: big.NewInt(1), Y: big.NewInt(1)}
	if _, err := Fingerprint(offCurve); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Fingerprint(point off the curve) = %v, want ErrInvalidKey", err)
	}
}

// TestFingerprint_IsSM3OfSubjectPublicKeyInfo builds the DER by hand:
// SEQUENCE{SEQUENCE{id-ecPublicKey, sm2p256v1}, BIT STRING 04‖x‖y}. Key IDs
// are stored on chain, so this encoding must never change.
func TestFingerprint_IsSM3OfSubjectPublicKeyInfo(t *testing.T) {
	pub := &annexPrivateKey(t).PublicKey
	spki := decodeHex(t, "3059 3013 06072a8648ce3d0201 06082a811ccf5501822d 0342 0004"+
		"09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"+
		"CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13")
	got, err := Fingerprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	if want := Hex(spki); got != want {
		t.Errorf("Fingerprint = %s, want %s", got, want)
	}
	if len(got) != 2*SM3Size || strings.ToLower(got) != got {
		t.Errorf("Fingerprint %q is not lowercase hex SM3", got)
	}
}

func TestFingerprint_DistinguishesKeys(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	fa, _ := Fingerprint(&a.PublicKey)
	fb, _ := Fingerprint(&b.PublicKey)
	if fa == fb {
		t.Error("two keys share a fingerprint")
	}
}
