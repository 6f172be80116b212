package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func TestClassify_MapsEveryKnownError(t *testing.T) {
	cases := []struct {
		err    error
		status int
		kind   string
		detail string
	}{
		{model.Errorf(model.CodeInvalid, "bad id %q", "x"), 400, "invalid", `bad id "x"`},
		{fmt.Errorf("issue asset a1: %w", model.Errorf(model.CodeDenied, "not the issuer")), 403, "denied", "not the issuer"},
		{fmt.Errorf("get: %w", model.Errorf(model.CodeNotFound, "asset a1")), 404, "not-found", "asset a1"},
		{model.Errorf(model.CodeConflict, "exists"), 409, "conflict", "exists"},
		{model.Errorf(model.CodeState, "revoked"), 409, "state", "revoked"},
		{model.Errorf(model.CodeSignature, "bad SM2 signature"), 422, "signature", "bad SM2 signature"},
		{model.ErrNotFound, 404, "not-found", ""},
		{fmt.Errorf("login: %w", ErrUnauthenticated), 401, "unauthenticated", "login: authentication required"},
		{&ValidationError{}, 400, "invalid", "invalid request"},
		{&http.MaxBytesError{Limit: 10}, 413, "too-large", "the request body is larger than 10 bytes"},
		{errTooLarge, 413, "too-large", "request body too large"},
		{errUnsupportedMediaType, 415, "unsupported-media-type", "unsupported media type"},
		{&RateLimitedError{Wait: 2 * time.Second}, 429, "rate-limited", "rate limit exceeded; retry in 2s"},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), 503, "unavailable", "the request timed out; try again"},
		{errors.New("pq: password authentication failed for user kaiban at 10.0.0.5"), 500, "internal", ""},
	}
	for _, tc := range cases {
		k, detail := classify(tc.err)
		if k.status != tc.status || k.name != tc.kind || detail != tc.detail {
			t.Errorf("classify(%v) = %d %s %q, want %d %s %q", tc.err, k.status, k.name, detail, tc.status, tc.kind, tc.detail)
		}
	}
}

// TestWriteError_ThroughHandlers checks the mapping end to end: a handler's
// error becomes the problem, internals stay in the log, and an error left
// with c.Error is answered by the problems middleware.
func TestWriteError_ThroughHandlers(t *testing.T) {
	var logs strings.Builder
	m, _ := newMetrics(prometheus.NewRegistry())
	e, _ := newEngine(slog.New(slog.NewJSONHandler(&logs, nil)), m, nil)
	e.GET("/internal", func(c *gin.Context) { writeError(c, errors.New("disk /var/lib/kaiban full")) })
	e.GET("/state", func(c *gin.Context) {
		writeError(c, fmt.Errorf("approve: %w", model.Errorf(model.CodeState, "step already approved")))
	})
	e.GET("/left", func(c *gin.Context) { _ = c.Error(ErrUnauthenticated) })
	e.GET("/locked", func(c *gin.Context) { writeError(c, lockedErr{until: time.Now().Add(90 * time.Second)}) })

	rec := do(t, e, "GET", "/internal", nil)
	p := problemOf(t, rec, 500, "internal")
	if strings.Contains(rec.Body.String(), "/var/lib") || p.Detail == nil || !strings.Contains(*p.Detail, "request ID") {
		t.Fatalf("500 body: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "disk /var/lib/kaiban full") {
		t.Fatalf("the internal error is not logged: %s", logs.String())
	}

	p = problemOf(t, do(t, e, "GET", "/state", nil), 409, "state")
	if *p.Detail != "step already approved" {
		t.Fatalf("detail %q", *p.Detail)
	}
	problemOf(t, do(t, e, "GET", "/left", nil), 401, "unauthenticated")

	rec = do(t, e, "GET", "/locked", nil)
	if ra := rec.Header().Get("Retry-After"); ra != "90" {
		t.Fatalf("Retry-After %q from the error's RetryAfter", ra)
	}
}

// lockedErr is a domain error that knows when to retry, like a locked
// account; it is internal (not in the table), so 500, but keeps Retry-After.
type lockedErr struct{ until time.Time }

func (e lockedErr) Error() string                          { return "locked" }
func (e lockedErr) RetryAfter(now time.Time) time.Duration { return e.until.Sub(now) }

func TestWriteError_NothingAfterResponseStarted(t *testing.T) {
	m, _ := newMetrics(prometheus.NewRegistry())
	e, _ := newEngine(slog.New(slog.NewJSONHandler(io.Discard, nil)), m, nil)
	e.GET("/x", func(c *gin.Context) {
		c.String(200, "partial")
		writeError(c, errors.New("late"))
	})
	rec := do(t, e, "GET", "/x", nil)
	if rec.Code != 200 || rec.Body.String() != "partial" {
		t.Fatalf("%d %q", rec.Code, rec.Body)
	}
}
