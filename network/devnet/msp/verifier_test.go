package msp_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

type fixture struct {
	verifier *msp.Verifier
	ca       *cryptogen.CA
	foreign  *cryptogen.CA
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca, err := cryptogen.NewCA("ca", "org1.example.com")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := cryptogen.NewCA("ca", "org2.example.com")
	if err != nil {
		t.Fatal(err)
	}
	v, err := msp.NewVerifier([]msp.Org{{MSPID: "Org1MSP", RootCerts: []*x509.Certificate{ca.Cert}}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{verifier: v, ca: ca, foreign: foreign}
}

func (f *fixture) signer(t *testing.T, ca *cryptogen.CA, mspID string, req cryptogen.IdentityRequest) *msp.SigningIdentity {
	t.Helper()
	if req.CommonName == "" {
		req.CommonName = "User1@org1.example.com"
	}
	if req.Role == "" {
		req.Role = cryptogen.RoleClient
	}
	cert, key, err := ca.Issue(req)
	if err != nil {
		t.Fatal(err)
	}
	s, err := msp.NewSigningIdentity(mspID, cryptogen.CertPEM(cert), key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifier_AcceptsValidSignature(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{})
	msg := []byte("proposal bytes")
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.verifier.Verify(s.Serialize(), msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	id, err := f.verifier.Deserialize(s.Serialize())
	if err != nil || id.MSPID != "Org1MSP" || id.Role != cryptogen.RoleClient {
		t.Fatalf("Deserialize = %+v, %v", id, err)
	}
}

func TestVerifier_Rejections(t *testing.T) {
	f := newFixture(t)
	msg := []byte("msg")
	good := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{})
	goodSig, _ := good.Sign(msg)
	expired := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-time.Hour)})
	expiredSig, _ := expired.Sign(msg)
	foreign := f.signer(t, f.foreign, "Org1MSP", cryptogen.IdentityRequest{})
	foreignSig, _ := foreign.Sign(msg)
	unknown := f.signer(t, f.ca, "Org9MSP", cryptogen.IdentityRequest{})
	unknownSig, _ := unknown.Sign(msg)
	noRole := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{Role: "teller"})
	noRoleSig, _ := noRole.Sign(msg)

	cases := []struct {
		name    string
		creator []byte
		msg     []byte
		sig     []byte
		want    error
	}{
		{"tampered message", good.Serialize(), []byte("other"), goodSig, msp.ErrBadSignature},
		{"garbage signature", good.Serialize(), msg, []byte{1, 2, 3}, msp.ErrBadSignature},
		{"high S", good.Serialize(), msg, highS(t, goodSig), msp.ErrBadSignature},
		{"expired certificate", expired.Serialize(), msg, expiredSig, msp.ErrInvalidIdentity},
		{"foreign CA", foreign.Serialize(), msg, foreignSig, msp.ErrInvalidIdentity},
		{"unknown org", unknown.Serialize(), msg, unknownSig, msp.ErrUnknownOrg},
		{"no NodeOU role", noRole.Serialize(), msg, noRoleSig, msp.ErrInvalidIdentity},
		{"malformed creator", []byte{0xff, 0x01}, msg, goodSig, msp.ErrMalformed},
	}
	for _, c := range cases {
		err := f.verifier.Verify(c.creator, c.msg, c.sig)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestVerifier_ExpiryIsJudgedAtEveryCall(t *testing.T) {
	now := time.Now()
	ca, _ := cryptogen.NewCA("ca", "org1.example.com")
	v, _ := msp.NewVerifier([]msp.Org{{MSPID: "Org1MSP", RootCerts: []*x509.Certificate{ca.Cert}}}, msp.WithClock(func() time.Time { return now }))
	cert, key, _ := ca.Issue(cryptogen.IdentityRequest{CommonName: "u", Role: cryptogen.RoleClient, NotAfter: now.Add(time.Hour)})
	s, _ := msp.NewSigningIdentity("Org1MSP", cryptogen.CertPEM(cert), key)
	if _, err := v.Deserialize(s.Serialize()); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := v.Deserialize(s.Serialize()); !errors.Is(err, msp.ErrInvalidIdentity) {
		t.Fatalf("cached identity after expiry: err = %v", err)
	}
}

func TestSigningIdentity_SignsLowS(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{})
	half := new(big.Int).Rsh(s.Cert.PublicKey.(*ecdsa.PublicKey).Curve.Params().N, 1)
	for i := range 50 {
		msg := []byte{byte(i)}
		sig, err := s.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		var rs struct{ R, S *big.Int }
		if _, err := asn1.Unmarshal(sig, &rs); err != nil {
			t.Fatal(err)
		}
		if rs.S.Cmp(half) > 0 {
			t.Fatal("high S signature")
		}
		d := sha256.Sum256(msg)
		if !ecdsa.Verify(s.Cert.PublicKey.(*ecdsa.PublicKey), d[:], rs.R, rs.S) {
			t.Fatal("signature does not verify")
		}
	}
}

// highS returns the same signature with S replaced by N-S: valid ECDSA, refused by Fabric.
func highS(t *testing.T, sig []byte) []byte {
	t.Helper()
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatal(err)
	}
	n, _ := new(big.Int).SetString("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551", 16)
	rs.S = new(big.Int).Sub(n, rs.S)
	out, err := asn1.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerifier_SignatureCacheAcceptsOnlyWhatVerifies(t *testing.T) {
	ca, _ := cryptogen.NewCA("ca", "org1.example.com")
	cache := msp.NewSignatureCache()
	v, _ := msp.NewVerifier([]msp.Org{{MSPID: "Org1MSP", RootCerts: []*x509.Certificate{ca.Cert}}}, msp.WithSignatureCache(cache))
	cert, key, _ := ca.Issue(cryptogen.IdentityRequest{CommonName: "peer0", Role: cryptogen.RolePeer})
	s, _ := msp.NewSigningIdentity("Org1MSP", cryptogen.CertPEM(cert), key)
	s.RememberIn(cache)
	msg := []byte("proposal response payload")
	sig, _ := s.Sign(msg)
	for range 2 {
		if err := v.Verify(s.Serialize(), msg, sig); err != nil {
			t.Fatalf("own signature: %v", err)
		}
	}
	if err := v.Verify(s.Serialize(), []byte("other"), sig); !errors.Is(err, msp.ErrBadSignature) {
		t.Fatalf("cached signature over another message: %v", err)
	}
	if err := v.Verify(s.Serialize(), msg, highS(t, sig)); !errors.Is(err, msp.ErrBadSignature) {
		t.Fatalf("malleated cached signature: %v", err)
	}
}

// TestVerifier_HotKeyRejectsAsBefore uses one key until the Verifier has
// precomputed its table, then checks that valid signatures still verify and
// spoilt ones are still refused.
func TestVerifier_HotKeyRejectsAsBefore(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{})
	other := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{CommonName: "User2@org1.example.com"})
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; !msp.HasTable(f.verifier, s.Serialize()); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no table after %d verifications", i)
		}
		msg := []byte{byte(i), byte(i >> 8)}
		sig, _ := s.Sign(msg)
		if err := f.verifier.VerifyOnce(s.Serialize(), msg, sig); err != nil {
			t.Fatalf("verification %d: %v", i, err)
		}
		if i > 64 {
			time.Sleep(time.Millisecond)
		}
	}
	for i := range 50 {
		msg := []byte{'h', byte(i)}
		sig, _ := s.Sign(msg)
		otherSig, _ := other.Sign(msg)
		if err := f.verifier.VerifyOnce(s.Serialize(), msg, sig); err != nil {
			t.Fatalf("valid signature %d refused: %v", i, err)
		}
		for name, c := range map[string]struct{ msg, sig []byte }{
			"tampered message":   {[]byte("other"), sig},
			"high S":             {msg, highS(t, sig)},
			"another key's":      {msg, otherSig},
			"truncated":          {msg, sig[:len(sig)-1]},
			"signature of other": {[]byte{'h', byte(i + 1)}, sig},
		} {
			if err := f.verifier.VerifyOnce(s.Serialize(), c.msg, c.sig); !errors.Is(err, msp.ErrBadSignature) {
				t.Fatalf("%s (%d): err = %v, want ErrBadSignature", name, i, err)
			}
		}
	}
}

// TestPrefix_DigestAndVerifyDigest checks that a Prefix gives SHA-256 of the
// whole message for several suffixes, and that a signature made with
// SignDigest verifies with Verify and VerifyDigest and fails for another suffix.
func TestPrefix_DigestAndVerifyDigest(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, f.ca, "Org1MSP", cryptogen.IdentityRequest{})
	payload := []byte("proposal response payload")
	p := msp.NewPrefix(payload)
	for _, suffix := range [][]byte{nil, []byte("a"), s.Serialize(), []byte("a")} {
		got := p.Digest(suffix)
		if want := sha256.Sum256(append(append([]byte(nil), payload...), suffix...)); got != want {
			t.Fatalf("Digest(%q) = %x, want %x", suffix, got, want)
		}
	}
	digest := p.Digest(s.Serialize())
	sig, err := s.SignDigest(&digest)
	if err != nil {
		t.Fatal(err)
	}
	msg := append(append([]byte(nil), payload...), s.Serialize()...)
	if err := f.verifier.Verify(s.Serialize(), msg, sig); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if err := f.verifier.VerifyDigest(s.Serialize(), &digest, sig); err != nil {
		t.Fatalf("VerifyDigest: %v", err)
	}
	other := p.Digest([]byte("another endorser"))
	if err := f.verifier.VerifyDigest(s.Serialize(), &other, sig); !errors.Is(err, msp.ErrBadSignature) {
		t.Fatalf("VerifyDigest of another message: err = %v, want ErrBadSignature", err)
	}
}
