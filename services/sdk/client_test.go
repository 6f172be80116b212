package sdk_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/sdk"
)

var ctx = context.Background()

func key32(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// platform is the real API (identity, audit and issuance on PostgreSQL)
// served over loopback HTTP, and an approved market department system with
// an HMAC-SM3 API key.
type platform struct {
	url    string
	keyID  string
	secret string
}

func newPlatform(t *testing.T) *platform {
	t.Helper()
	pool := pgtest.New(t)
	names, err := pii.New(1, key32(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.New(pool, key32(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	id, err := identity.New(pool, names, identity.Config{SecretKey: key32(3), PasswordIterations: 1000}, identity.WithRecorder(lg))
	if err != nil {
		t.Fatal(err)
	}
	r, err := issuance.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := issuance.New(issuance.Config{Pool: pool, Renderer: r, Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	s, err := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler), Issuance: iss,
		Security: httpapi.SecurityOptions{Identity: id, Audit: lg}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	admin := func(login, role string) *identity.Principal {
		u, _, err := id.CreateAdmin(ctx, login, "管理员", role, true)
		if err != nil {
			t.Fatal(err)
		}
		return &identity.Principal{Kind: identity.KindUser, ID: u.ID, Name: login, Roles: []string{role}}
	}
	sys, sec := admin("root", identity.RoleSystemAdmin), admin("security", identity.RoleSecurityAdmin)
	sys.Department = "market" // a department applies for its own system
	c, err := id.ApplyClient(ctx, sys, identity.ClientApplication{Name: "营业执照申领业务系统", Department: "market", Vendor: "ISV", Purpose: "licences"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := id.ReviewClient(ctx, sec, c.ID, identity.Review{Approve: true, Roles: []string{"department-system"}, Note: "A.3"}); err != nil {
		t.Fatal(err)
	}
	cred, err := id.IssueAPIKey(ctx, sys, c.ID, identity.CredentialHMAC, "", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return &platform{url: srv.URL, keyID: cred.ID, secret: cred.Secret}
}

func (p *platform) client(t *testing.T) *sdk.Client {
	t.Helper()
	sign, err := sdk.HMACKey(p.secret)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sdk.New(p.url, sdk.WithAPIKey(p.keyID, sign), sdk.WithUserAgent("market-licence-system/test"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClient_RealServer_SignedKeyAndTypedErrors(t *testing.T) {
	p := newPlatform(t)
	c := p.client(t)

	// Authenticated by the signed API key, authorized by its role.
	docs, err := c.IssuedDocuments(ctx, "process-1")
	if err != nil || len(docs) != 0 {
		t.Fatalf("IssuedDocuments: %v, %v", docs, err)
	}
	// The problems the server answers come back typed.
	_, err = c.IssueDocument(ctx, sdk.DocumentRequest{Process: "process-1", Kind: sdk.KindTax, Password: "x"})
	var pe *sdk.ProblemError
	if !errors.Is(err, sdk.ErrDenied) || !errors.As(err, &pe) || pe.Status != 403 || pe.RequestID == "" {
		t.Fatalf("another department's kind: %v", err)
	}
	_, err = c.IssueDocument(ctx, sdk.DocumentRequest{Process: "process-1", Kind: "passport", Password: "x"})
	if !errors.Is(err, sdk.ErrInvalid) || !errors.As(err, &pe) || len(pe.Errors) == 0 {
		t.Fatalf("unknown kind: %v", err)
	}
	_, err = c.IssueDocument(ctx, sdk.DocumentRequest{Process: "process-1", Kind: sdk.KindLicence, Password: "x",
		Licence: &sdk.Licence{USCC: "91370102MA3C4XYK1W", Name: "甲公司", Type: "有限责任公司", LegalRepresentative: "张三",
			RegisteredCapital: "壹佰万元整", EstablishedOn: "2026-11-24", Address: "济南", Scope: "软件开发"}})
	if !errors.Is(err, sdk.ErrNotFound) {
		t.Fatalf("unknown process: %v", err)
	}

	// Verification is public: a client without credentials may call it.
	anon, err := sdk.New(p.url)
	if err != nil {
		t.Fatal(err)
	}
	v, err := anon.VerifyPDF(ctx, []byte("%PDF-1.3 not issued here"))
	if err != nil || v.Authentic || v.Valid || v.Reason == "" || v.Digest == "" {
		t.Fatalf("VerifyPDF: %+v, %v", v, err)
	}
	if _, err := anon.VerifyPayload(ctx, "hello"); !errors.Is(err, sdk.ErrInvalid) {
		t.Fatalf("VerifyPayload: %v", err)
	}
	// Without credentials the rest is refused; with a wrong secret too.
	if _, err := anon.IssuedDocuments(ctx, "process-1"); !errors.Is(err, sdk.ErrUnauthenticated) {
		t.Fatalf("anonymous: %v", err)
	}
	wrong, _ := sdk.New(p.url, sdk.WithAPIKey(p.keyID, func([]byte) ([]byte, error) { return make([]byte, 32), nil }))
	if _, err := wrong.IssuedDocuments(ctx, "process-1"); !errors.Is(err, sdk.ErrUnauthenticated) {
		t.Fatalf("wrong secret: %v", err)
	}
}

// taskServer answers the task API as the contract describes it, after
// checking each request's signature the way identity does.
func taskServer(t *testing.T, keyID string, secret []byte, got *[]map[string]any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Kaiban-Signature"))
		s := identity.StringToSign(identity.SignedRequest{KeyID: r.Header.Get("X-Kaiban-Key-ID"),
			Timestamp: r.Header.Get("X-Kaiban-Date"), Nonce: r.Header.Get("X-Kaiban-Nonce"),
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Body: body})
		if r.Header.Get("X-Kaiban-Key-ID") != keyID || !bytes.Equal(gm.HMAC(secret, s), sig) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(401)
			w.Write([]byte(`{"type":"urn:kaiban:problem:unauthenticated","title":"Authentication required","status":401,"requestId":"r1"}`))
			return
		}
		var req map[string]any
		_ = json.Unmarshal(body, &req)
		*got = append(*got, map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery, "body": req})
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/api/v1/tasks":
			w.Write([]byte(`{"items":[{"process":"p1","step":"licence","department":"market","member":"MarketMSP","status":"pending","ready":true,"overdue":false,"limitSeconds":28800,"item":"establishment","applicant":"s1","materials":[{"asset":"a1","type":"id-card","granted":true}]}],"next":"c2"}`))
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/materials/a1"):
			w.Write([]byte(`{"asset":"a1","type":"id-card","contentDigest":"d","content":"` + base64.StdEncoding.EncodeToString([]byte("内容")) + `"}`))
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/decision"):
			w.WriteHeader(202)
			w.Write([]byte(`{"process":"p1","step":"licence","approve":true,"decision":"{}","signature":"s","queued":"k"}`))
		case r.Method == "GET" && r.URL.Path == "/api/v1/tasks/p1/gone":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(404)
			w.Write([]byte(`{"type":"urn:kaiban:problem:not-found","title":"Not found","status":404,"detail":"no step gone","requestId":"r2"}`))
		default:
			w.WriteHeader(500)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestClient_TaskAPI_RequestsAndDecoding(t *testing.T) {
	secret := key32(9)
	var got []map[string]any
	srv := taskServer(t, "kbk_test", secret, &got)
	sign, _ := sdk.HMACKey(base64.StdEncoding.EncodeToString(secret))
	c, err := sdk.New(srv.URL, sdk.WithAPIKey("kbk_test", sign))
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.ListTasks(ctx, sdk.ReadyOnly(), sdk.WithLimit(10))
	if err != nil || len(page.Items) != 1 || page.Next != "c2" || !page.Items[0].Materials[0].Granted {
		t.Fatalf("ListTasks: %+v, %v", page, err)
	}
	if q := got[0]["query"]; q != "limit=10&ready=true" {
		t.Fatalf("query %v", q)
	}
	m, err := c.ReadMaterial(ctx, "p1", "licence", "a1", "pw", "licence review")
	if err != nil || string(m.Content) != "内容" {
		t.Fatalf("ReadMaterial: %+v, %v", m, err)
	}
	if b := got[1]["body"].(map[string]any); b["reason"] != "licence review" || b["password"] != "pw" {
		t.Fatalf("material body %v", b)
	}
	if _, err := c.Approve(ctx, "p1", "licence", "officer-7", "符合登记条件", "pw", "asset-1"); err != nil {
		t.Fatal(err)
	}
	if b := got[2]["body"].(map[string]any); b["approve"] != true || b["opinion"] != "符合登记条件" || b["outputs"].([]any)[0] != "asset-1" {
		t.Fatalf("decision body %v", b)
	}

	// A decision signed by the department system itself carries a signature
	// over the canonical model.StepDecision, and no password.
	k, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decide(ctx, "p1", "licence", sdk.Decision{Approve: false, Opinion: "材料不全", Approver: "officer-7",
		Signer: func(msg []byte) ([]byte, error) { return gm.Sign(k, msg) }}); err != nil {
		t.Fatal(err)
	}
	b := got[3]["body"].(map[string]any)
	canonical, _ := model.Canonical(&model.StepDecision{Process: "p1", Step: "licence", Approver: "officer-7", Opinion: "材料不全"})
	sig, _ := base64.StdEncoding.DecodeString(b["signature"].(string))
	if b["password"] != nil || !gm.Verify(&k.PublicKey, model.SigningMessage("approval.DecideStep", canonical), sig) {
		t.Fatalf("self-signed decision body %v", b)
	}
	if _, err := c.Decide(ctx, "p1", "licence", sdk.Decision{Approve: true, Opinion: "x", Approver: "y"}); err == nil {
		t.Fatal("a decision without password or signer was sent")
	}

	_, err = c.Task(ctx, "p1", "gone")
	var pe *sdk.ProblemError
	if !errors.Is(err, sdk.ErrNotFound) || !errors.As(err, &pe) || pe.RequestID != "r2" || !strings.Contains(err.Error(), "getTask: 404 Not found: no step gone") {
		t.Fatalf("Task: %v", err)
	}
	bad, _ := sdk.New(srv.URL, sdk.WithAPIKey("kbk_test", func([]byte) ([]byte, error) { return []byte("x"), nil }))
	if _, err := bad.ListTasks(ctx); !errors.Is(err, sdk.ErrUnauthenticated) {
		t.Fatalf("bad signature: %v", err)
	}
}

func TestNew_BadInput(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "kaiban.example", "http://"} {
		if _, err := sdk.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
	if _, err := sdk.HMACKey("not base64!"); err == nil {
		t.Error("HMACKey accepted garbage")
	}
	if _, err := sdk.New("http://x", sdk.WithAPIKey("", nil)); err == nil {
		t.Error("WithAPIKey accepted no key")
	}
}
