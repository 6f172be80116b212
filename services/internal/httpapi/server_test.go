package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// newServer builds a Server whose log lines land in the returned buffer.
func newServer(t *testing.T, o Options) (*Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, &logs
}

func do(t *testing.T, h http.Handler, method, target string, body io.Reader, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem+json response and checks its invariants.
func problemOf(t *testing.T, rec *httptest.ResponseRecorder, status int, kind string) api.Problem {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	var p api.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, rec.Body)
	}
	if p.Status != status || p.Type != "urn:kaiban:problem:"+kind || p.Title == "" {
		t.Fatalf("problem %+v, want status %d type %s", p, status, kind)
	}
	if p.RequestId == nil || *p.RequestId != rec.Header().Get(HeaderRequestID) {
		t.Fatalf("problem requestId %v, header %q", p.RequestId, rec.Header().Get(HeaderRequestID))
	}
	return p
}

func TestHealthz_OK(t *testing.T) {
	s, _ := newServer(t, Options{})
	rec := do(t, s.Handler(), "GET", "/healthz", nil)
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestRequestID_GeneratedEchoedOrReplaced(t *testing.T) {
	s, logs := newServer(t, Options{})
	rec := do(t, s.Handler(), "GET", "/healthz", nil)
	gen := rec.Header().Get(HeaderRequestID)
	if len(gen) != 32 {
		t.Fatalf("generated request ID %q", gen)
	}
	rec = do(t, s.Handler(), "GET", "/healthz", nil, HeaderRequestID, "client-7.abc:1")
	if got := rec.Header().Get(HeaderRequestID); got != "client-7.abc:1" {
		t.Fatalf("well-formed ID not echoed: %q", got)
	}
	for _, bad := range []string{"has space", strings.Repeat("a", 129), "new\nline", "<script>"} {
		rec = do(t, s.Handler(), "GET", "/healthz", nil, HeaderRequestID, bad)
		if got := rec.Header().Get(HeaderRequestID); got == bad || len(got) != 32 {
			t.Fatalf("malformed ID %q answered with %q", bad, got)
		}
	}
	if !strings.Contains(logs.String(), `"request_id":"client-7.abc:1"`) {
		t.Fatalf("log lacks the request ID: %s", logs)
	}
}

func TestRequestID_ReachesHandlerContext(t *testing.T) {
	var seen, seenReq string
	e := testEngine(t, Options{}, func(c *gin.Context) {
		seen = RequestID(c)
		seenReq = RequestID(c.Request.Context())
		c.Status(204)
	})
	do(t, e, "GET", "/things/abc", nil, HeaderRequestID, "rid-1")
	if seen != "rid-1" || seenReq != "rid-1" {
		t.Fatalf("gin context %q, request context %q", seen, seenReq)
	}
}

func TestAccessLog_OneJSONLinePerRequest(t *testing.T) {
	s, logs := newServer(t, Options{})
	do(t, s.Handler(), "GET", "/api/v1/version?secret=1", nil, HeaderRequestID, "log-test")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines: %s", len(lines), logs)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &entry); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msg": "http request", "method": "GET", "route": "/api/v1/version", "status": 200.0, "request_id": "log-test", "client": "192.0.2.1", "level": "INFO"}
	for k, v := range want {
		if entry[k] != v {
			t.Errorf("log %s = %v, want %v", k, entry[k], v)
		}
	}
	if _, ok := entry["duration_ms"].(float64); !ok {
		t.Errorf("log lacks duration_ms: %v", entry)
	}
	if strings.Contains(lines[0], "secret") {
		t.Errorf("query string logged: %s", lines[0])
	}
}

func TestNotFound_Problem(t *testing.T) {
	s, logs := newServer(t, Options{})
	for _, path := range []string{"/nope", "/api/v1/nope", "/api/v1/version/"} {
		p := problemOf(t, do(t, s.Handler(), "GET", path, nil), 404, "not-found")
		if p.Instance == nil || *p.Instance != path {
			t.Fatalf("instance %v", p.Instance)
		}
	}
	if !strings.Contains(logs.String(), `"route":"unmatched"`) {
		t.Fatalf("unmatched route not labelled: %s", logs)
	}
}

func TestMethodNotAllowed_ProblemWithAllow(t *testing.T) {
	s, _ := newServer(t, Options{})
	rec := do(t, s.Handler(), "DELETE", "/api/v1/version", nil)
	problemOf(t, rec, 405, "method-not-allowed")
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Fatalf("Allow %q", allow)
	}
}

func TestVersion_ReportsBuildAndContract(t *testing.T) {
	commit := "abc123"
	s, _ := newServer(t, Options{Version: api.Version{Version: "1.2.3", Commit: &commit, GoVersion: "go1.26"}})
	rec := do(t, s.Handler(), "GET", "/api/v1/version", nil)
	var v api.Version
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if v.Version != "1.2.3" || *v.Commit != "abc123" || v.Api != s.contract.doc.Info.Version || v.Api == "" {
		t.Fatalf("%+v", v)
	}
}

func TestReadyz_AllChecksPass(t *testing.T) {
	ok := CheckFunc(func(context.Context) error { return nil })
	s, _ := newServer(t, Options{Readiness: []Check{{"database", ok}, {"chain", ok}, {"objects", ok}}})
	rec := do(t, s.Handler(), "GET", "/readyz", nil)
	var r api.Readiness
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &r) != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if len(r.Checks) != 3 || r.Checks["chain"] != api.CheckStateOk {
		t.Fatalf("%+v", r)
	}
}

func TestReadyz_FailingCheckerIs503WithoutInternals(t *testing.T) {
	ok := CheckFunc(func(context.Context) error { return nil })
	bad := CheckFunc(func(context.Context) error {
		return errors.New("dial tcp 10.1.2.3:7051: connection refused")
	})
	s, logs := newServer(t, Options{Readiness: []Check{{"database", ok}, {"chain", bad}}})
	rec := do(t, s.Handler(), "GET", "/readyz", nil)
	p := problemOf(t, rec, 503, "unavailable")
	if p.Checks == nil || (*p.Checks)["chain"] != api.CheckStateFailed || (*p.Checks)["database"] != api.CheckStateOk {
		t.Fatalf("checks %v", p.Checks)
	}
	if strings.Contains(rec.Body.String(), "10.1.2.3") {
		t.Fatalf("internal error leaked: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "10.1.2.3") {
		t.Fatalf("the failure is not logged: %s", logs)
	}
}

func TestReadyz_CheckerGetsDeadline(t *testing.T) {
	var hasDeadline bool
	c := CheckFunc(func(ctx context.Context) error { _, hasDeadline = ctx.Deadline(); return nil })
	s, _ := newServer(t, Options{Readiness: []Check{{"database", c}}})
	do(t, s.Handler(), "GET", "/readyz", nil)
	if !hasDeadline {
		t.Fatal("readiness check without a deadline")
	}
}

func TestRateLimit_429WithRetryAfter(t *testing.T) {
	s, _ := newServer(t, Options{RateLimit: 0.5, RateBurst: 2})
	h := s.Handler()
	for i := range 2 {
		if rec := do(t, h, "GET", "/api/v1/version", nil); rec.Code != 200 {
			t.Fatalf("request %d within the burst: %d", i, rec.Code)
		}
	}
	rec := do(t, h, "GET", "/api/v1/version", nil)
	problemOf(t, rec, 429, "rate-limited")
	ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || ra < 1 || ra > 2 {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	// Another client (address) has its own bucket.
	req := httptest.NewRequest("GET", "/api/v1/version", nil)
	req.RemoteAddr = "198.51.100.7:4000"
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("other client limited: %d", rec.Code)
	}
	// Health probes are exempt (x-kaiban-rate-limit: false).
	for range 5 {
		if rec := do(t, h, "GET", "/healthz", nil); rec.Code != 200 {
			t.Fatalf("healthz limited: %d", rec.Code)
		}
	}
}

func TestRateLimit_KeyedByAuthenticatedClient(t *testing.T) {
	auth := func(c *gin.Context) {
		if id := c.GetHeader("X-Test-Client"); id != "" {
			SetClient(c, id)
		}
	}
	s, logs := newServer(t, Options{RateLimit: 0.1, RateBurst: 1, Authenticate: auth})
	h := s.Handler()
	if rec := do(t, h, "GET", "/api/v1/version", nil, "X-Test-Client", "dept-tax"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	problemOf(t, do(t, h, "GET", "/api/v1/version", nil, "X-Test-Client", "dept-tax"), 429, "rate-limited")
	// Same address, another authenticated client: its own bucket.
	if rec := do(t, h, "GET", "/api/v1/version", nil, "X-Test-Client", "dept-bank"); rec.Code != 200 {
		t.Fatalf("dept-bank limited by dept-tax's bucket: %d", rec.Code)
	}
	if !strings.Contains(logs.String(), `"client":"dept-bank"`) {
		t.Fatalf("access log does not name the client: %s", logs)
	}
}

func TestAuthenticate_Unauthenticated401(t *testing.T) {
	var sec int
	auth := func(c *gin.Context) {
		sec = len(Security(c))
		if Operation(c) == nil {
			t.Error("no operation for an API route")
		}
		_ = c.Error(ErrUnauthenticated)
		c.Abort()
	}
	s, _ := newServer(t, Options{Authenticate: auth})
	problemOf(t, do(t, s.Handler(), "GET", "/api/v1/version", nil), 401, "unauthenticated")
	if sec != 0 {
		t.Fatalf("version declares security: []; got %d requirements", sec)
	}
}

func TestMetrics_CountByRouteAndStatus(t *testing.T) {
	s, _ := newServer(t, Options{})
	h := s.Handler()
	do(t, h, "GET", "/healthz", nil)
	do(t, h, "GET", "/healthz", nil)
	do(t, h, "GET", "/nope", nil)
	rec := do(t, h, "GET", "/metrics", nil)
	body := rec.Body.String()
	for _, want := range []string{
		`kaiban_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`kaiban_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`kaiban_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.005"}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestSpecAndDocs_Served(t *testing.T) {
	s, _ := newServer(t, Options{})
	rec := do(t, s.Handler(), "GET", "/api-spec/openapi.yaml", nil)
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), api.Spec) {
		t.Fatalf("spec: %d", rec.Code)
	}
	rec = do(t, s.Handler(), "GET", "/docs", nil)
	body := rec.Body.String()
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{"getVersion", "/api/v1/version", "/readyz", `id="schema-Problem"`, "clientCertificate", `href="#schema-CheckState"`} {
		if !strings.Contains(body, want) {
			t.Errorf("docs lack %q", want)
		}
	}
	// Self-contained: nothing is fetched from anywhere.
	for _, banned := range []string{"<script", "src=", `href="http`, "@import", "url("} {
		if strings.Contains(body, banned) {
			t.Errorf("docs contain %q", banned)
		}
	}
}

func TestOpsHandler_OnlyOperationalEndpoints(t *testing.T) {
	s, _ := newServer(t, Options{})
	h := s.OpsHandler()
	if rec := do(t, h, "GET", "/healthz", nil); rec.Code != 200 {
		t.Fatalf("healthz %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/readyz", nil); rec.Code != 200 {
		t.Fatalf("readyz %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/metrics", nil); rec.Code != 200 {
		t.Fatalf("metrics %d", rec.Code)
	}
	problemOf(t, do(t, h, "GET", "/api/v1/version", nil), 404, "not-found")
}

func TestNew_RejectsRateWithoutBurst(t *testing.T) {
	if _, err := New(Options{RateLimit: 5}); err == nil {
		t.Fatal("no error")
	}
}

func TestSecurityHeaders(t *testing.T) {
	s, _ := newServer(t, Options{})
	rec := do(t, s.Handler(), "GET", "/api/v1/version", nil)
	for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if csp := do(t, s.Handler(), "GET", "/docs", nil).Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("docs CSP %q", csp)
	}
}

// TestClientIP_ForwardedOnlyFromTrustedProxies: a client cannot escape its
// rate limit by claiming another address in X-Forwarded-For, unless the
// header comes from a configured proxy.
func TestClientIP_ForwardedOnlyFromTrustedProxies(t *testing.T) {
	try := func(h http.Handler, remote, xff string) int {
		req := httptest.NewRequest("GET", "/api/v1/version", nil)
		req.RemoteAddr = remote
		req.Header.Set("X-Forwarded-For", xff)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	s, _ := newServer(t, Options{RateLimit: 0.1, RateBurst: 1})
	if try(s.Handler(), "203.0.113.9:1000", "10.0.0.1") != 200 || try(s.Handler(), "203.0.113.9:1000", "10.0.0.2") != 429 {
		t.Fatal("an untrusted peer's X-Forwarded-For changed its rate-limit bucket")
	}
	s, _ = newServer(t, Options{RateLimit: 0.1, RateBurst: 1, TrustedProxies: []string{"192.0.2.0/24"}})
	if try(s.Handler(), "192.0.2.5:1000", "10.0.0.1") != 200 || try(s.Handler(), "192.0.2.5:1000", "10.0.0.2") != 200 {
		t.Fatal("clients behind a trusted proxy share its bucket")
	}
}

// TestNewRequestID_TimeOrdered: generated IDs sort by the millisecond they
// were made in (so the audit log's request index grows at its end) and are
// unique within one.
func TestNewRequestID_TimeOrdered(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := range 1000 {
		id := newRequestID(t0.Add(time.Duration(i/10) * time.Millisecond))
		if len(id) != 32 || !validRequestID(id) {
			t.Fatalf("malformed ID %q", id)
		}
		if seen[id] {
			t.Fatalf("ID %s made twice", id)
		}
		seen[id] = true
		// Fixed-width hex of the millisecond first: IDs sort by it.
		if got := id[:12]; got != fmt.Sprintf("%012x", t0.UnixMilli()+int64(i/10)) {
			t.Fatalf("ID %s does not start with its millisecond", id)
		}
	}
}
