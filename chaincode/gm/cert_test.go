package gm

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

var (
	certNow       = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	certNotBefore = certNow.Add(-time.Hour)
	certNotAfter  = certNow.Add(365 * 24 * time.Hour)
)

func newTestCA(t *testing.T, name string) (*smx509.Certificate, *sm2.PrivateKey) {
	t.Helper()
	ca, key, err := NewCA(pkix.Name{CommonName: name, Organization: []string{"Kaiban"}}, certNotBefore, certNotAfter)
	if err != nil {
		t.Fatal(err)
	}
	return ca, key
}

func leafTemplate(name string) *smx509.Certificate {
	return &smx509.Certificate{
		Subject:   pkix.Name{CommonName: name},
		NotBefore: certNotBefore,
		NotAfter:  certNotAfter,
		KeyUsage:  smx509.KeyUsageDigitalSignature,
	}
}

func issueTestLeaf(t *testing.T, issuer *smx509.Certificate, issuerKey *sm2.PrivateKey) (*smx509.Certificate, *sm2.PrivateKey) {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cert, err := IssueCertificate(leafTemplate("enterprise 91370100MA3C000000"), &key.PublicKey, issuer, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestNewCA_IsSelfSignedSM2CA(t *testing.T) {
	ca, key := newTestCA(t, "Kaiban Root")
	if !ca.IsCA || !ca.BasicConstraintsValid || ca.KeyUsage&smx509.KeyUsageCertSign == 0 {
		t.Errorf("not a CA certificate: IsCA=%v basic=%v usage=%b", ca.IsCA, ca.BasicConstraintsValid, ca.KeyUsage)
	}
	if ca.SignatureAlgorithm != smx509.SM2WithSM3 {
		t.Errorf("signature algorithm %v, want SM2-with-SM3", ca.SignatureAlgorithm)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}
	pub, err := CertificatePublicKey(ca)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&key.PublicKey) {
		t.Error("CA certificate does not certify the returned key")
	}
}

func TestVerifyCertificate_IssuedLeaf(t *testing.T) {
	ca, caKey := newTestCA(t, "Kaiban Root")
	other, _ := newTestCA(t, "Other Root")
	leaf, leafKey := issueTestLeaf(t, ca, caKey)

	if err := VerifyCertificate(leaf, []*smx509.Certificate{ca}, WithTime(certNow)); err != nil {
		t.Errorf("leaf issued by the root does not verify: %v", err)
	}
	if err := VerifyCertificate(leaf, []*smx509.Certificate{other}, WithTime(certNow)); !errors.Is(err, ErrUntrustedCertificate) {
		t.Errorf("leaf verified against another root: %v, want ErrUntrustedCertificate", err)
	}
	if err := VerifyCertificate(leaf, nil, WithTime(certNow)); !errors.Is(err, ErrUntrustedCertificate) {
		t.Errorf("leaf verified with no roots: %v, want ErrUntrustedCertificate", err)
	}
	pub, err := CertificatePublicKey(leaf)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&leafKey.PublicKey) {
		t.Error("leaf certificate does not certify the subject's key")
	}
}

func TestVerifyCertificate_Time(t *testing.T) {
	ca, caKey := newTestCA(t, "Kaiban Root")
	leaf, _ := issueTestLeaf(t, ca, caKey)
	roots := []*smx509.Certificate{ca}

	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"inside validity", certNow, true},
		{"before notBefore", certNotBefore.Add(-time.Second), false},
		{"after notAfter", certNotAfter.Add(time.Second), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyCertificate(leaf, roots, WithTime(tc.at))
			if tc.ok && err != nil {
				t.Errorf("VerifyCertificate = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, ErrUntrustedCertificate) {
				t.Errorf("VerifyCertificate = %v, want ErrUntrustedCertificate", err)
			}
		})
	}
}

func TestVerifyCertificate_Intermediate(t *testing.T) {
	root, rootKey := newTestCA(t, "Kaiban Root")
	interKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	interTmpl := leafTemplate("Kaiban Issuing CA")
	interTmpl.IsCA = true
	interTmpl.BasicConstraintsValid = true
	interTmpl.KeyUsage = smx509.KeyUsageCertSign
	inter, err := IssueCertificate(interTmpl, &interKey.PublicKey, root, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := issueTestLeaf(t, inter, interKey)
	roots := []*smx509.Certificate{root}

	if err := VerifyCertificate(leaf, roots, WithTime(certNow)); !errors.Is(err, ErrUntrustedCertificate) {
		t.Errorf("verified without the intermediate: %v, want ErrUntrustedCertificate", err)
	}
	if err := VerifyCertificate(leaf, roots, WithTime(certNow), WithIntermediates(inter)); err != nil {
		t.Errorf("does not verify with the intermediate: %v", err)
	}
}

// TestVerifyCertificate_RequiresSM2 builds chains with smx509 directly,
// since IssueCertificate refuses non-SM2 keys.
func TestVerifyCertificate_RequiresSM2(t *testing.T) {
	p256Key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256Root := parseDER(t, createDER(t, &smx509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "P-256 Root"},
		NotBefore: certNotBefore, NotAfter: certNotAfter,
		IsCA: true, BasicConstraintsValid: true, KeyUsage: smx509.KeyUsageCertSign,
	}, nil, &p256Key.PublicKey, p256Key))

	sm2Root, sm2RootKey := newTestCA(t, "Kaiban Root")
	p256Leaf := parseDER(t, createDER(t, &smx509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "P-256 leaf"},
		NotBefore: certNotBefore, NotAfter: certNotAfter,
	}, sm2Root, &p256Key.PublicKey, sm2RootKey))

	tests := []struct {
		name string
		cert *smx509.Certificate
		root *smx509.Certificate
	}{
		{"NIST P-256 throughout", p256Root, p256Root},
		{"SM2 root certifying a P-256 key", p256Leaf, sm2Root},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.cert.Verify(smx509.VerifyOptions{Roots: poolOf(tc.root), CurrentTime: certNow,
				KeyUsages: []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny}}); err != nil {
				t.Fatalf("precondition: chain should be valid for smx509: %v", err)
			}
			if err := VerifyCertificate(tc.cert, []*smx509.Certificate{tc.root}, WithTime(certNow)); !errors.Is(err, ErrUntrustedCertificate) {
				t.Errorf("VerifyCertificate = %v, want ErrUntrustedCertificate", err)
			}
		})
	}
	if _, err := CertificatePublicKey(p256Leaf); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("CertificatePublicKey of a P-256 certificate = %v, want ErrInvalidKey", err)
	}
}

func TestIssueCertificate_Rejects(t *testing.T) {
	ca, caKey := newTestCA(t, "Kaiban Root")
	_, otherKey := newTestCA(t, "Other Root")
	p256Key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		template  *smx509.Certificate
		pub       *ecdsa.PublicKey
		issuer    *smx509.Certificate
		issuerKey *sm2.PrivateKey
		want      error
	}{
		{"issuer key does not match issuer", leafTemplate("x"), &key.PublicKey, ca, otherKey, nil},
		{"P-256 subject key", leafTemplate("x"), &p256Key.PublicKey, ca, caKey, ErrInvalidKey},
		{"nil issuer key", leafTemplate("x"), &key.PublicKey, ca, nil, ErrInvalidKey},
		{"nil template", nil, &key.PublicKey, ca, caKey, ErrInvalidCertificate},
		{"nil issuer", leafTemplate("x"), &key.PublicKey, nil, caKey, ErrInvalidCertificate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := IssueCertificate(tc.template, tc.pub, tc.issuer, tc.issuerKey)
			if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("IssueCertificate = %v, want an error matching %v", err, tc.want)
			}
		})
	}
}

func TestIssueCertificate_LeavesTemplateAlone(t *testing.T) {
	ca, caKey := newTestCA(t, "Kaiban Root")
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	tmpl := leafTemplate("x")
	cert, err := IssueCertificate(tmpl, &key.PublicKey, ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.SignatureAlgorithm != 0 || tmpl.SerialNumber != nil {
		t.Errorf("template modified: algorithm %v, serial %v", tmpl.SignatureAlgorithm, tmpl.SerialNumber)
	}
	if cert.SerialNumber == nil || cert.SerialNumber.Sign() <= 0 {
		t.Errorf("issued certificate has serial %v, want a positive random one", cert.SerialNumber)
	}
}

func TestCertificatePEM_RoundTrip(t *testing.T) {
	ca, _ := newTestCA(t, "Kaiban Root")
	data := MarshalCertificatePEM(ca)
	got, err := ParseCertificatePEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(ca) {
		t.Error("parsed certificate differs from the marshalled one")
	}
}

func TestParseCertificatePEM_Rejects(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("certificate")},
		{"public key block", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0}})},
		{"garbage", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseCertificatePEM(tc.data); !errors.Is(err, ErrInvalidCertificate) {
				t.Errorf("ParseCertificatePEM = %v, want ErrInvalidCertificate", err)
			}
		})
	}
}

func TestCertificateFunctions_NilCertificate(t *testing.T) {
	if _, err := CertificatePublicKey(nil); !errors.Is(err, ErrInvalidCertificate) {
		t.Errorf("CertificatePublicKey(nil) = %v, want ErrInvalidCertificate", err)
	}
	if err := VerifyCertificate(nil, nil); !errors.Is(err, ErrInvalidCertificate) {
		t.Errorf("VerifyCertificate(nil) = %v, want ErrInvalidCertificate", err)
	}
}

func TestFingerprint_SameFromCertificateAndPEM(t *testing.T) {
	ca, caKey := newTestCA(t, "Kaiban Root")
	leaf, key := issueTestLeaf(t, ca, caKey)
	fromCert, err := CertificatePublicKey(leaf)
	if err != nil {
		t.Fatal(err)
	}
	data, err := MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	fromPEM, err := ParsePublicKeyPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Fingerprint(fromCert)
	b, _ := Fingerprint(fromPEM)
	if a != b {
		t.Errorf("fingerprint from certificate %s != from PEM %s", a, b)
	}
	if !bytes.Equal(leaf.RawSubjectPublicKeyInfo, mustSPKI(t, fromPEM)) {
		t.Error("certificate SubjectPublicKeyInfo differs from the PEM encoding")
	}
}

func mustSPKI(t *testing.T, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	der, err := smx509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func createDER(t *testing.T, template, parent *smx509.Certificate, pub, priv any) []byte {
	t.Helper()
	if parent == nil {
		parent = template
	}
	der, err := smx509.CreateCertificate(rand.Reader, template, parent, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func parseDER(t *testing.T, der []byte) *smx509.Certificate {
	t.Helper()
	cert, err := smx509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func poolOf(certs ...*smx509.Certificate) *smx509.CertPool {
	pool := smx509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}
