package identity

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// approvedClient runs the A.3 flow: a department user applies, the security
// administrator approves with a business role.
func approvedClient(t *testing.T, e *env) (Client, *Principal) {
	t.Helper()
	ctx := context.Background()
	e.user(t, "applicant", "officer")
	e.user(t, "sec", RoleSecurityAdmin)
	applicant, _ := e.login(t, "applicant")
	sec, _ := e.login(t, "sec")
	c, err := e.svc.ApplyClient(ctx, applicant, ClientApplication{Name: "市场监管审批系统", Department: "market", Vendor: "ISV Ltd", Purpose: "licence approvals"})
	if err != nil || c.Status != ClientPending {
		t.Fatal(c, err)
	}
	c, err = e.svc.ReviewClient(ctx, sec, c.ID, Review{Approve: true, Roles: []string{"department-system"}, Note: "ok"})
	if err != nil || c.Status != ClientApproved {
		t.Fatal(c, err)
	}
	return c, sec
}

func TestClients_ApplicationReviewAndCredentials(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "taxman", "officer")
	taxman, _ := e.login(t, "taxman") // the helper puts users in "market"
	_, err := e.svc.ApplyClient(ctx, taxman, ClientApplication{Name: "x", Department: "tax", Purpose: "p"})
	wantInvalid(t, err, "department")
	_, err = e.svc.ApplyClient(ctx, taxman, ClientApplication{Name: "", Department: "market", Purpose: "p"})
	wantInvalid(t, err, "name")

	c, sec := approvedClient(t, e)
	_, err = e.svc.ReviewClient(ctx, sec, c.ID, Review{Approve: true, Roles: []string{"clerk"}})
	wantErr(t, err, ErrConflict) // reviewed already

	pending, err := e.svc.ApplyClient(ctx, taxman, ClientApplication{Name: "second", Department: "market", Purpose: "p"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.IssueAPIKey(ctx, sec, pending.ID, CredentialHMAC, "", time.Time{})
	wantErr(t, err, ErrConflict) // not approved yet
	_, err = e.svc.ReviewClient(ctx, sec, pending.ID, Review{Approve: true, Roles: []string{RoleAuditAdmin}})
	wantInvalid(t, err, "roles")
	_, err = e.svc.ReviewClient(ctx, sec, pending.ID, Review{Approve: true})
	wantInvalid(t, err, "roles")
	if r, err := e.svc.ReviewClient(ctx, sec, pending.ID, Review{Approve: false, Note: "no business need"}); err != nil || r.Status != ClientRejected {
		t.Fatal(r, err)
	}

	_, err = e.svc.IssueAPIKey(ctx, sec, c.ID, "rsa", "", time.Time{})
	wantInvalid(t, err, "kind")
	_, err = e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialSM2, "not a key", time.Time{})
	wantInvalid(t, err, "publicKey")
	k, err := e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialHMAC, "", time.Time{})
	if err != nil || k.Secret == "" {
		t.Fatal(k, err)
	}
	var sealed []byte
	e.db.QueryRow(ctx, "SELECT secret_sealed FROM identity_credentials WHERE id = $1", k.ID).Scan(&sealed)
	raw, _ := base64.StdEncoding.DecodeString(k.Secret)
	if bytes.Contains(sealed, raw) {
		t.Fatal("API secret stored in the clear")
	}
	got, err := e.svc.GetClient(ctx, c.ID)
	if err != nil || len(got.Credentials) != 1 || got.Roles[0] != "department-system" {
		t.Fatal(got, err)
	}
	list, _ := e.svc.ListClients(ctx, ClientRejected)
	if len(list) != 1 || list[0].ID != pending.ID {
		t.Fatal(list)
	}
	_, err = e.svc.ListClients(ctx, "weird")
	wantInvalid(t, err, "status")
}

func signed(t *testing.T, keyID string, sign Signer, method, target string, body []byte, at time.Time) SignedRequest {
	t.Helper()
	req := httptest.NewRequest(method, target, bytes.NewReader(body))
	if err := SignRequest(req, body, keyID, sign, at); err != nil {
		t.Fatal(err)
	}
	return SignedRequest{KeyID: req.Header.Get(HeaderKey), Timestamp: req.Header.Get(HeaderTimestamp), Nonce: req.Header.Get(HeaderNonce),
		Signature: req.Header.Get(HeaderSignature), Method: method, Path: req.URL.EscapedPath(), RawQuery: req.URL.RawQuery, Body: body}
}

func TestSignedRequest_HMACSignatureWindowAndReplay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, sec := approvedClient(t, e)
	k, err := e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialHMAC, "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base64.StdEncoding.DecodeString(k.Secret)
	sign := HMACSigner(secret)
	body := []byte(`{"decision":"approve"}`)

	r := signed(t, k.ID, sign, "POST", "/api/v1/tasks/42/decision?x=1", body, e.clock.now())
	p, err := e.svc.AuthenticateSigned(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != KindClient || p.ID != c.ID || p.Department != "market" || p.Method != MethodHMAC || !p.HasRole("department-system") {
		t.Fatalf("principal %+v", p)
	}
	if err := e.svc.Authorize(ctx, p, Perm("approval", "write")); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateSigned(ctx, r)
	wantErr(t, err, ErrReplay)

	for name, mutate := range map[string]func(*SignedRequest){
		"body":      func(r *SignedRequest) { r.Body = []byte(`{"decision":"reject"}`) },
		"method":    func(r *SignedRequest) { r.Method = "PUT" },
		"path":      func(r *SignedRequest) { r.Path = "/api/v1/tasks/43/decision" },
		"query":     func(r *SignedRequest) { r.RawQuery = "x=2" },
		"key":       func(r *SignedRequest) { r.KeyID = "kbk_00000000000000000000000000000000" },
		"signature": func(r *SignedRequest) { r.Signature = base64.StdEncoding.EncodeToString(make([]byte, 32)) },
		"nonce":     func(r *SignedRequest) { r.Nonce = "short" },
	} {
		r := signed(t, k.ID, sign, "POST", "/api/v1/tasks/42/decision?x=1", body, e.clock.now())
		mutate(&r)
		if _, err := e.svc.AuthenticateSigned(ctx, r); err != ErrUnauthenticated {
			t.Errorf("%s changed: %v", name, err)
		}
	}

	for _, skew := range []time.Duration{-6 * time.Minute, 6 * time.Minute} {
		r := signed(t, k.ID, sign, "GET", "/api/v1/tasks", nil, e.clock.now().Add(skew))
		_, err := e.svc.AuthenticateSigned(ctx, r)
		wantErr(t, err, ErrStaleRequest)
	}
	r = signed(t, k.ID, sign, "GET", "/api/v1/tasks", nil, e.clock.now().Add(-4*time.Minute))
	if _, err := e.svc.AuthenticateSigned(ctx, r); err != nil {
		t.Fatalf("inside the window: %v", err)
	}

	if err := e.svc.RevokeCredential(ctx, sec, c.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateSigned(ctx, signed(t, k.ID, sign, "GET", "/api/v1/tasks", nil, e.clock.now()))
	wantErr(t, err, ErrUnauthenticated)
}

func TestSignedRequest_SM2AndClientRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, sec := approvedClient(t, e)
	priv, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := gm.MarshalPublicKeyPEM(&priv.PublicKey)
	k, err := e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialSM2, string(pub), e.clock.now().Add(time.Hour))
	if err != nil || k.Secret != "" {
		t.Fatal(k, err)
	}
	p, err := e.svc.AuthenticateSigned(ctx, signed(t, k.ID, SM2Signer(priv), "GET", "/api/v1/tasks", nil, e.clock.now()))
	if err != nil || p.Method != MethodSM2 {
		t.Fatal(p, err)
	}
	other, _ := gm.GenerateKey()
	_, err = e.svc.AuthenticateSigned(ctx, signed(t, k.ID, SM2Signer(other), "GET", "/api/v1/tasks", nil, e.clock.now()))
	wantErr(t, err, ErrUnauthenticated)

	e.clock.advance(61 * time.Minute) // past notAfter
	_, err = e.svc.AuthenticateSigned(ctx, signed(t, k.ID, SM2Signer(priv), "GET", "/api/v1/tasks", nil, e.clock.now()))
	wantErr(t, err, ErrUnauthenticated)

	k2, _ := e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialSM2, string(pub), time.Time{})
	if err := e.svc.RevokeClient(ctx, sec, c.ID, "contract ended"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AuthenticateSigned(ctx, signed(t, k2.ID, SM2Signer(priv), "GET", "/api/v1/tasks", nil, e.clock.now()))
	wantErr(t, err, ErrUnauthenticated)
	_, err = e.svc.IssueAPIKey(ctx, sec, c.ID, CredentialHMAC, "", time.Time{})
	wantErr(t, err, ErrConflict)
}

func selfSigned(t *testing.T, cn string) (tls.Certificate, []byte) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestCertificate_MTLSClientIdentification runs a real TLS server asking for
// client certificates and identifies the client by its pinned certificate.
func TestCertificate_MTLSClientIdentification(t *testing.T) {
	e := newEnv(t)
	e.clock.t = time.Now() // the certificates are valid around the real now
	ctx := context.Background()
	c, sec := approvedClient(t, e)
	registered, regPEM := selfSigned(t, "market-system")
	stranger, _ := selfSigned(t, "market-system") // same name, other key

	cred, err := e.svc.RegisterCertificate(ctx, sec, c.ID, string(regPEM))
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.RegisterCertificate(ctx, sec, c.ID, string(regPEM))
	wantErr(t, err, ErrConflict)
	_, err = e.svc.RegisterCertificate(ctx, sec, c.ID, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	wantInvalid(t, err, "certificate")

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no certificate", http.StatusUnauthorized)
			return
		}
		p, err := e.svc.AuthenticateCertificate(r.Context(), r.TLS.PeerCertificates[0])
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "%s %s %s", p.ID, p.Method, p.CredentialID)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()

	call := func(cert *tls.Certificate) (int, string) {
		tr := srv.Client().Transport.(*http.Transport).Clone()
		if cert != nil {
			tr.TLSClientConfig.Certificates = []tls.Certificate{*cert}
		}
		resp, err := (&http.Client{Transport: tr}).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(bytes.TrimSpace(b))
	}
	if code, body := call(&registered); code != 200 || body != c.ID+" mtls "+cred.ID {
		t.Fatalf("registered certificate: %d %s", code, body)
	}
	if code, _ := call(&stranger); code != 401 {
		t.Fatalf("unregistered certificate with the same name: %d", code)
	}
	if code, _ := call(nil); code != 401 {
		t.Fatalf("no certificate: %d", code)
	}
	if err := e.svc.RevokeCredential(ctx, sec, c.ID, cred.ID); err != nil {
		t.Fatal(err)
	}
	if code, _ := call(&registered); code != 401 {
		t.Fatalf("revoked certificate: %d", code)
	}
}
