package httpapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pquerna/otp/totp"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// The identity and audit operations over real identity and audit services
// on PostgreSQL, with the real authenticator and audit middleware.

type idFixture struct {
	t    *testing.T
	s    *Server
	id   *identity.Service
	log  *audit.Log
	pool *pgxpool.Pool
}

func key32(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

func newIDFixture(t *testing.T) *idFixture {
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
	id, err := identity.New(pool, names, identity.Config{SecretKey: key32(3), PasswordIterations: 1000},
		identity.WithRecorder(lg), identity.WithCache())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(id.Close)
	if err := id.WaitCache(t.Context()); err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, Options{Security: SecurityOptions{Identity: id, Audit: lg, CookieSecure: true,
		CertificateProxies: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}})
	return &idFixture{t: t, s: s, id: id, log: lg, pool: pool}
}

// call sends a JSON body (nil for none) with the given token as bearer
// (empty for none).
func (f *idFixture) call(token, method, path string, body any, header ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	if body != nil {
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		header = append(header, "Content-Type", "application/json")
	}
	if token != "" {
		header = append(header, "Authorization", "Bearer "+token)
	}
	return do(f.t, f.s.Handler(), method, path, rd, header...)
}

func (f *idFixture) ok(status int, token, method, path string, body, out any) {
	f.t.Helper()
	rec := f.call(token, method, path, body)
	if rec.Code != status {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
}

const fixturePassword = "Fixture-Password-1"

// admin creates an account with role through the bootstrap path, changes its
// initial password and returns a session token.
func (f *idFixture) admin(login, role string) (string, string) {
	f.t.Helper()
	u, pw, err := f.id.CreateAdmin(context.Background(), login, "管理员", role, true)
	if err != nil {
		f.t.Fatal(err)
	}
	var s api.Session
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": login, "password": pw}, &s)
	f.ok(200, s.Token, "POST", "/api/v1/me/password", map[string]any{"currentPassword": pw, "newPassword": fixturePassword}, &s)
	return s.Token, u.ID
}

// user creates a plain user through the API (by sysToken) with an initial
// password already changed, and returns its token and ID.
func (f *idFixture) user(sysToken, login, dept string) (string, string) {
	f.t.Helper()
	var u api.User
	f.ok(201, sysToken, "POST", "/api/v1/users", map[string]any{"login": login, "name": "赵六", "department": dept, "password": "Initial-Password-1"}, &u)
	var s api.Session
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": login, "password": "Initial-Password-1"}, &s)
	f.ok(200, s.Token, "POST", "/api/v1/me/password", map[string]any{"currentPassword": "Initial-Password-1", "newPassword": fixturePassword}, &s)
	return s.Token, u.Id.String()
}

func TestIdentityHTTP_LoginCookieBearerAndForcedPasswordChange(t *testing.T) {
	f := newIDFixture(t)
	_, pw, err := f.id.CreateAdmin(context.Background(), "root", "系统管理员", identity.RoleSystemAdmin, false)
	if err != nil {
		t.Fatal(err)
	}
	rec := f.call("", "POST", "/api/v1/sessions", map[string]any{"login": "root", "password": pw})
	if rec.Code != 201 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body)
	}
	cookie := rec.Header().Get("Set-Cookie")
	for _, attr := range []string{SessionCookie + "=kbs_", "HttpOnly", "Secure", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Fatalf("cookie %q lacks %s", cookie, attr)
		}
	}
	var s api.Session
	json.Unmarshal(rec.Body.Bytes(), &s)
	if !s.MustChangePassword {
		t.Fatal("initial password not flagged")
	}
	problemOf(t, f.call(s.Token, "GET", "/api/v1/departments", nil), 403, "password-change-required")
	var me api.Principal
	f.ok(200, s.Token, "GET", "/api/v1/me", nil, &me)
	if me.Kind != "user" || me.Name != "root" || !me.MustChangePassword || me.Roles[0] != identity.RoleSystemAdmin {
		t.Fatalf("me %+v", me)
	}
	// The system administrator's fixed grants, for the portal's menus.
	grants := map[string]bool{}
	for _, p := range me.Permissions {
		grants[p.Resource+":"+p.Action] = true
	}
	if !grants["identity.users:write"] || !grants["identity.departments:read"] || grants["audit.log:read"] {
		t.Fatalf("system administrator's permissions %+v", me.Permissions)
	}
	var s2 api.Session
	f.ok(200, s.Token, "POST", "/api/v1/me/password", map[string]any{"currentPassword": pw, "newPassword": fixturePassword}, &s2)
	problemOf(t, f.call(s.Token, "GET", "/api/v1/departments", nil), 401, "unauthenticated")

	// The cookie alone authenticates the portal.
	rec = do(t, f.s.Handler(), "GET", "/api/v1/departments", nil, "Cookie", SessionCookie+"="+s2.Token)
	var deps api.DepartmentList
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &deps) != nil || len(deps.Items) != 8 {
		t.Fatalf("departments by cookie: %d %s", rec.Code, rec.Body)
	}
	rec = f.call(s2.Token, "DELETE", "/api/v1/sessions/current", nil)
	if rec.Code != 204 || !strings.Contains(rec.Header().Get("Set-Cookie"), "Max-Age=0") {
		t.Fatalf("logout: %d %v", rec.Code, rec.Header())
	}
	problemOf(t, f.call(s2.Token, "GET", "/api/v1/me", nil), 401, "unauthenticated")
	problemOf(t, f.call("", "GET", "/api/v1/me", nil), 401, "unauthenticated")
	problemOf(t, f.call("", "GET", "/api/v1/me", nil, "Authorization", "Basic cm9vdDpyb290"), 401, "unauthenticated")
}

func TestIdentityHTTP_LockoutAndTOTP(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	tok, _ := f.user(sys, "clerk1", "market")

	var enr api.TotpEnrolment
	f.ok(200, tok, "POST", "/api/v1/me/totp", nil, &enr)
	problemOf(t, f.call(tok, "POST", "/api/v1/me/totp/confirmation", map[string]any{"code": "000000"}), 400, "invalid")
	var codes api.RecoveryCodes
	f.ok(200, tok, "POST", "/api/v1/me/totp/confirmation", map[string]any{"code": totpNow(t, enr.Secret)}, &codes)
	if len(codes.RecoveryCodes) != 10 {
		t.Fatalf("recovery codes %v", codes)
	}
	problemOf(t, f.call("", "POST", "/api/v1/sessions", map[string]any{"login": "clerk1", "password": fixturePassword}), 401, "totp-required")
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": "clerk1", "password": fixturePassword, "code": codes.RecoveryCodes[0]}, nil)

	for range 5 {
		problemOf(t, f.call("", "POST", "/api/v1/sessions", map[string]any{"login": "clerk1", "password": "Wrong-Password-9"}), 401, "unauthenticated")
	}
	problemOf(t, f.call("", "POST", "/api/v1/sessions", map[string]any{"login": "clerk1", "password": fixturePassword, "code": codes.RecoveryCodes[1]}), 429, "rate-limited")
}

func TestIdentityHTTP_RolesAndSeparationOfDuties(t *testing.T) {
	f := newIDFixture(t)
	sys, sysID := f.admin("root", identity.RoleSystemAdmin)
	sec, secID := f.admin("security", identity.RoleSecurityAdmin)
	aud, _ := f.admin("auditor", identity.RoleAuditAdmin)
	_, uid := f.user(sys, "wang", "tax")

	// The system administrator manages accounts but grants nothing.
	problemOf(t, f.call(sys, "PUT", "/api/v1/users/"+uid+"/roles/officer", nil), 403, "denied")
	// The security administrator grants, but never to themselves, and never
	// two administrator roles to one user.
	f.ok(204, sec, "PUT", "/api/v1/users/"+uid+"/roles/"+identity.RoleSystemAdmin, nil, nil)
	problemOf(t, f.call(sec, "PUT", "/api/v1/users/"+uid+"/roles/"+identity.RoleAuditAdmin, nil), 409, "conflict")
	problemOf(t, f.call(sec, "PUT", "/api/v1/users/"+secID+"/roles/officer", nil), 403, "denied")
	problemOf(t, f.call(sec, "PUT", "/api/v1/users/"+sysID+"/roles/"+identity.RoleSecurityAdmin, nil), 409, "conflict")
	f.ok(204, sec, "DELETE", "/api/v1/users/"+uid+"/roles/"+identity.RoleSystemAdmin, nil, nil)
	// Only the auditor reads the audit log.
	problemOf(t, f.call(sys, "GET", "/api/v1/audit/records", nil), 403, "denied")
	problemOf(t, f.call(sec, "POST", "/api/v1/audit/verification", nil), 403, "denied")
	var recs api.AuditRecordList
	f.ok(200, aud, "GET", "/api/v1/audit/records?action=identity.role.assign", nil, &recs)
	results := map[api.AuditResult]int{}
	for _, r := range recs.Items {
		results[r.Result]++
	}
	if results["ok"] != 1 || results["denied"] != 3 { // self-assignment and two separation refusals
		t.Fatalf("role assignments audited as %v", results)
	}
	// Administrator roles' permissions are fixed; reserved resources stay
	// with them.
	problemOf(t, f.call(sec, "PUT", "/api/v1/roles/auditadmin/permissions", map[string]any{"permissions": []any{}}), 409, "conflict")
	problemOf(t, f.call(sec, "POST", "/api/v1/roles", map[string]any{"name": "peek", "title": "Peek",
		"permissions": []any{map[string]string{"resource": "audit.log", "action": "read"}}}), 400, "invalid")
	var role api.Role
	f.ok(201, sec, "POST", "/api/v1/roles", map[string]any{"name": "archivist", "title": "Archivist",
		"permissions": []any{map[string]string{"resource": "assets", "action": "read"}}}, &role)
	f.ok(200, sec, "PUT", "/api/v1/roles/archivist/permissions", map[string]any{"permissions": []any{map[string]string{"resource": "ledger", "action": "read"}}}, &role)
	if len(role.Permissions) != 1 || role.Permissions[0].Resource != "ledger" {
		t.Fatalf("role %+v", role)
	}
	f.ok(204, sec, "DELETE", "/api/v1/roles/archivist", nil, nil)
	var roles api.RoleList
	f.ok(200, sys, "GET", "/api/v1/roles", nil, &roles)
	names := map[string]bool{}
	for _, r := range roles.Items {
		names[r.Name] = true
	}
	// Other domains add built-in roles of their own; what matters here is
	// that the deleted role is gone and the administrator roles remain.
	if names["archivist"] || !names[identity.RoleSystemAdmin] || !names[identity.RoleSecurityAdmin] || !names[identity.RoleAuditAdmin] {
		t.Fatalf("roles after delete: %v", names)
	}
}

func TestIdentityHTTP_DirectoryAndUserAdministration(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	sec, _ := f.admin("security", identity.RoleSecurityAdmin)
	var d api.Department
	f.ok(201, sys, "POST", "/api/v1/departments", map[string]any{"code": "notary", "name": "公证处", "kind": "other"}, &d)
	f.ok(200, sys, "PATCH", "/api/v1/departments/notary", map[string]any{"disabled": true}, &d)
	if !d.Disabled {
		t.Fatal("not disabled")
	}
	var p api.Position
	f.ok(201, sys, "POST", "/api/v1/positions", map[string]any{"department": "market", "code": "reviewer", "name": "审核岗"}, &p)
	var ps api.PositionList
	f.ok(200, sys, "GET", "/api/v1/positions?department=market", nil, &ps)
	if len(ps.Items) != 1 {
		t.Fatal(ps)
	}
	var u api.User
	f.ok(201, sys, "POST", "/api/v1/users", map[string]any{"login": "lisi", "name": "李四", "department": "market",
		"positions": []string{p.Id.String()}, "password": "Initial-Password-1"}, &u)
	if u.Name != "李四" || len(u.Positions) != 1 || !u.MustChangePassword {
		t.Fatalf("user %+v", u)
	}
	for i := range 3 {
		f.ok(201, sys, "POST", "/api/v1/users", map[string]any{"login": fmt.Sprintf("user%d", i), "name": "x", "department": "tax", "password": "Initial-Password-1"}, nil)
	}
	var page api.UserList
	f.ok(200, sys, "GET", "/api/v1/users?limit=2", nil, &page)
	if len(page.Items) != 2 || page.Next == nil {
		t.Fatalf("page 1 %+v", page)
	}
	f.ok(200, sys, "GET", "/api/v1/users?limit=2&cursor="+*page.Next, nil, &page)
	if len(page.Items) != 2 || page.Next == nil {
		t.Fatalf("page 2 %+v", page)
	}
	next := *page.Next
	page = api.UserList{}
	f.ok(200, sys, "GET", "/api/v1/users?limit=2&cursor="+next, nil, &page)
	if len(page.Items) != 2 || page.Next != nil {
		t.Fatalf("page 3 %+v", page)
	}
	f.ok(200, sys, "PATCH", "/api/v1/users/"+u.Id.String(), map[string]any{"department": "tax"}, &u)
	if u.Department != "tax" || len(u.Positions) != 0 {
		t.Fatalf("moved user %+v", u)
	}
	f.ok(204, sys, "DELETE", "/api/v1/positions/"+p.Id.String(), nil, nil)
	f.ok(204, sys, "POST", "/api/v1/users/"+u.Id.String()+"/password-reset", map[string]any{"password": "Another-Initial-2"}, nil)
	for range 5 {
		f.call("", "POST", "/api/v1/sessions", map[string]any{"login": "lisi", "password": "Wrong-Password-9"})
	}
	problemOf(t, f.call(sys, "POST", "/api/v1/users/"+u.Id.String()+"/unlock", nil), 403, "denied")
	f.ok(204, sec, "POST", "/api/v1/users/"+u.Id.String()+"/unlock", nil, nil)
	var s api.Session
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": "lisi", "password": "Another-Initial-2"}, &s)
	f.ok(204, sec, "POST", "/api/v1/users/"+u.Id.String()+"/session-revocation", nil, nil)
	problemOf(t, f.call(s.Token, "GET", "/api/v1/me", nil), 401, "unauthenticated")
	f.ok(204, sec, "POST", "/api/v1/users/"+u.Id.String()+"/totp-reset", nil, nil)
	f.ok(200, sys, "GET", "/api/v1/users/"+u.Id.String(), nil, &u)
}

func TestIdentityHTTP_ApiClientsSignedAndCertificateRequests(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	sec, _ := f.admin("security", identity.RoleSecurityAdmin)
	var c api.ApiClient
	f.ok(201, sys, "POST", "/api/v1/api-clients", map[string]any{"name": "税务办理系统", "department": "tax", "vendor": "ISV", "purpose": "tax registration"}, &c)
	if c.Status != "pending" {
		t.Fatal(c)
	}
	problemOf(t, f.call(sys, "POST", "/api/v1/api-clients/"+c.Id.String()+"/review", map[string]any{"approve": true, "roles": []string{"department-system"}}), 403, "denied")
	f.ok(200, sec, "POST", "/api/v1/api-clients/"+c.Id.String()+"/review", map[string]any{"approve": true, "roles": []string{"department-system"}, "note": "A.3 reviewed"}, &c)
	var issued api.IssuedApiCredential
	f.ok(201, sys, "POST", "/api/v1/api-clients/"+c.Id.String()+"/credentials", map[string]any{"kind": "hmac-sm3"}, &issued)
	secret, _ := base64.StdEncoding.DecodeString(*issued.Secret)

	signed := func(method, target, body string) *http.Request {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if err := identity.SignRequest(req, []byte(body), issued.Credential.Id, identity.HMACSigner(secret), time.Now()); err != nil {
			t.Fatal(err)
		}
		return req
	}
	req := signed("GET", "/api/v1/me", "")
	rec := httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	var me api.Principal
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &me) != nil || me.Kind != "client" || me.Method != "hmac-sm3" || me.Department != "tax" {
		t.Fatalf("signed GET /me: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req) // the same request again
	problemOf(t, rec, 401, "unauthenticated")
	// A department system may not administer identity.
	rec = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, signed("GET", "/api/v1/me", ""))
	if rec.Code != 200 {
		t.Fatalf("fresh signed request: %d", rec.Code)
	}

	// mTLS: a pinned certificate, directly and through a trusted proxy.
	cert, certPEM := clientCert(t)
	var mt api.IssuedApiCredential
	f.ok(201, sys, "POST", "/api/v1/api-clients/"+c.Id.String()+"/credentials", map[string]any{"kind": "mtls", "certificate": certPEM}, &mt)
	srv := httptest.NewUnstartedServer(f.s.Handler())
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert}
	srv.StartTLS()
	defer srv.Close()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/api/v1/me")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || json.Unmarshal(b, &me) != nil || me.Method != "mtls" {
		t.Fatalf("mTLS GET /me: %d %s", resp.StatusCode, b)
	}
	fwd := url.QueryEscape(certPEM)
	req = httptest.NewRequest("GET", "/api/v1/me", nil)
	req.RemoteAddr = "192.0.2.10:5555"
	req.Header.Set(HeaderClientCertificate, fwd)
	rec = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("forwarded certificate from the proxy: %d %s", rec.Code, rec.Body)
	}
	req.RemoteAddr = "198.51.100.10:5555" // not a proxy: the header is ignored
	rec = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, req)
	problemOf(t, rec, 401, "unauthenticated")

	f.ok(204, sec, "DELETE", "/api/v1/api-clients/"+c.Id.String()+"/credentials/"+mt.Credential.Id, nil, nil)
	f.ok(204, sec, "POST", "/api/v1/api-clients/"+c.Id.String()+"/revocation", map[string]any{"note": "contract ended"}, nil)
	rec = httptest.NewRecorder()
	f.s.Handler().ServeHTTP(rec, signed("GET", "/api/v1/me", ""))
	problemOf(t, rec, 401, "unauthenticated")
	var list api.ApiClientList
	f.ok(200, sec, "GET", "/api/v1/api-clients?status=revoked", nil, &list)
	if len(list.Items) != 1 || len(list.Items[0].Credentials) != 2 {
		t.Fatalf("revoked clients %+v", list)
	}
	f.ok(200, sys, "GET", "/api/v1/api-clients/"+c.Id.String(), nil, &c)
}

func TestIdentityHTTP_ApiAccessShowsTheConfiguredEndpoints(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	audit, _ := f.admin("auditor", identity.RoleAuditAdmin)
	// The fixture configures none: only the documentation is named.
	var got api.ApiAccess
	f.ok(200, sys, "GET", "/api/v1/api-access", nil, &got)
	if got.Docs != "/docs" || got.Production != nil || got.Test != nil {
		t.Fatalf("no endpoints configured: %+v", got)
	}
	f.s.sec.Endpoints = Endpoints{Production: "https://api.example.cn/api/v1", Test: "https://test.example.cn/api/v1"}
	f.ok(200, sys, "GET", "/api/v1/api-access", nil, &got)
	if got.Production == nil || *got.Production != "https://api.example.cn/api/v1" || got.Test == nil || *got.Test != "https://test.example.cn/api/v1" {
		t.Fatalf("configured endpoints: %+v", got)
	}
	// The audit administrator has nothing to do with onboarding.
	problemOf(t, f.call(audit, "GET", "/api/v1/api-access", nil), 403, "denied")
	problemOf(t, f.call("", "GET", "/api/v1/api-access", nil), 401, "unauthenticated")
}

func clientCert(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tax-system"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func totpNow(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}
