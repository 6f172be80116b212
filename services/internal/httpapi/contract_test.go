package httpapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// testSpec has what the platform's contract does not have yet: parameters
// and a request body, so that validation is tested on its own.
const testSpec = `
openapi: 3.0.3
info: {title: test, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, pattern: "^[a-z]+$"}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 10}}
      responses: {"200": {description: ok}}
  /things:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, maxLength: 5}
                age: {type: integer, minimum: 0}
                kind: {type: string, default: plain}
      responses: {"201": {description: created}}
`

// testEngine serves testSpec's operations through the same middleware as the
// Server, with handler answering each of them.
func testEngine(t *testing.T, o Options, handler gin.HandlerFunc) *gin.Engine {
	t.Helper()
	ct, err := loadContract([]byte(testSpec))
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 64
	}
	e, err := newEngine(slog.New(slog.NewJSONHandler(io.Discard, nil)), m, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := e.Group("", apiChain(ct, o)...)
	g.GET("/things/:id", handler)
	g.POST("/things", handler)
	return e
}

func fieldsOf(t *testing.T, rec *httptest.ResponseRecorder) []api.FieldError {
	t.Helper()
	p := problemOf(t, rec, 400, "invalid")
	if p.Errors == nil {
		t.Fatalf("no field errors: %s", rec.Body)
	}
	return *p.Errors
}

func hasField(fs []api.FieldError, in, field string) bool {
	for _, f := range fs {
		if string(f.In) == in && f.Field == field && f.Detail != "" {
			return true
		}
	}
	return false
}

func TestValidation_400NamesTheField(t *testing.T) {
	called := false
	e := testEngine(t, Options{}, func(c *gin.Context) { called = true; c.Status(200) })
	cases := []struct {
		name, method, target, body string
		want                       [][2]string // in, field
	}{
		{"query out of range", "GET", "/things/abc?limit=11", "", [][2]string{{"query", "limit"}}},
		{"query not a number", "GET", "/things/abc?limit=many", "", [][2]string{{"query", "limit"}}},
		{"path pattern", "GET", "/things/ABC", "", [][2]string{{"path", "id"}}},
		{"missing member", "POST", "/things", `{"age": 3}`, [][2]string{{"body", "/name"}}},
		{"every bad member", "POST", "/things", `{"name": "toolong", "age": -1}`, [][2]string{{"body", "/name"}, {"body", "/age"}}},
		{"wrong type", "POST", "/things", `{"name": 7}`, [][2]string{{"body", "/name"}}},
		{"not JSON", "POST", "/things", `{"name": `, [][2]string{{"body", "/"}}},
		{"no body", "POST", "/things", ``, [][2]string{{"body", "/"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			called = false
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			rec := do(t, e, tc.method, tc.target, body, "Content-Type", "application/json")
			fs := fieldsOf(t, rec)
			for _, w := range tc.want {
				if !hasField(fs, w[0], w[1]) {
					t.Errorf("no error for %s %s in %+v", w[0], w[1], fs)
				}
			}
			if called {
				t.Error("the handler ran on invalid input")
			}
		})
	}
}

func TestValidation_ValidRequestReachesHandlerWithDefaults(t *testing.T) {
	var got map[string]any
	e := testEngine(t, Options{}, func(c *gin.Context) {
		if c.Request.Method == "GET" {
			c.Status(200)
			return
		}
		vb, ok := c.Request.Body.(interface{ ValidatedValue() any })
		if !ok {
			t.Errorf("body has no validated value: %T", c.Request.Body)
		} else {
			got, _ = vb.ValidatedValue().(map[string]any)
		}
		c.Status(201)
	})
	rec := do(t, e, "POST", "/things", strings.NewReader(`{"name":"ok"}`), "Content-Type", "application/json; charset=utf-8")
	if rec.Code != 201 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if got["kind"] != "plain" {
		t.Fatalf("default not applied: %v", got)
	}
	if rec := do(t, e, "GET", "/things/abc?limit=3", nil); rec.Code != 200 {
		t.Fatalf("GET %d %s", rec.Code, rec.Body)
	}
}

func TestValidation_415UnsupportedMediaType(t *testing.T) {
	e := testEngine(t, Options{}, func(c *gin.Context) { c.Status(201) })
	for _, ct := range []string{"text/plain", "application/xml", "", "not a media type"} {
		rec := do(t, e, "POST", "/things", strings.NewReader(`{"name":"ok"}`), "Content-Type", ct)
		p := problemOf(t, rec, 415, "unsupported-media-type")
		if p.Detail == nil || !strings.Contains(*p.Detail, "application/json") {
			t.Fatalf("detail %v does not say what to send", p.Detail)
		}
	}
}

func TestValidation_413TooLarge(t *testing.T) {
	e := testEngine(t, Options{MaxBodyBytes: 32}, func(c *gin.Context) { c.Status(201) })
	big := `{"name":"ok","pad":"` + strings.Repeat("x", 64) + `"}`
	problemOf(t, do(t, e, "POST", "/things", strings.NewReader(big), "Content-Type", "application/json"), 413, "too-large")

	// Without Content-Length (chunked), the limit applies while reading.
	req := httptest.NewRequest("POST", "/things", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	problemOf(t, rec, 413, "too-large")
}

func TestRecovery_PanicIs500WithoutInternals(t *testing.T) {
	var logs bytes.Buffer
	ct, _ := loadContract([]byte(testSpec))
	m, _ := newMetrics(prometheus.NewRegistry())
	e, _ := newEngine(slog.New(slog.NewJSONHandler(&logs, nil)), m, nil)
	e.Group("", apiChain(ct, Options{MaxBodyBytes: 64})...).GET("/things/:id", func(*gin.Context) {
		panic("secret internal state")
	})
	rec := do(t, e, "GET", "/things/abc", nil)
	problemOf(t, rec, 500, "internal")
	if strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("panic leaked: %s", rec.Body)
	}
	if !strings.Contains(logs.String(), "secret internal state") || !strings.Contains(logs.String(), `"status":500`) {
		t.Fatalf("panic not logged: %s", logs.String())
	}
}

func TestGinPath(t *testing.T) {
	for in, want := range map[string]string{
		"/healthz":            "/healthz",
		"/api/v1/things/{id}": "/api/v1/things/:id",
		"/a/{x}/b/{y}":        "/a/:x/b/:y",
	} {
		if got := ginPath(in); got != want {
			t.Errorf("ginPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadContract_RejectsInvalidSpec(t *testing.T) {
	if _, err := loadContract([]byte("openapi: 3.0.3\ninfo: {title: x}\npaths: {}\n")); err == nil {
		t.Fatal("a contract without info.version loaded")
	}
}

func TestContract_EveryOperationIsRoutedAndRateLimitFlagRead(t *testing.T) {
	ct, err := loadContract(api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	r := ct.routes[http.MethodGet+" /healthz"]
	if r == nil || r.rateLimited {
		t.Fatalf("/healthz route %+v", r)
	}
	if r := ct.routes[http.MethodGet+" /api/v1/version"]; r == nil || !r.rateLimited {
		t.Fatalf("/api/v1/version route %+v", r)
	}
	// Every operation has an operationId and a documented error response.
	for key, r := range ct.routes {
		op := r.kin.Operation
		if op.OperationID == "" {
			t.Errorf("%s has no operationId", key)
		}
		if op.Responses.Default() == nil {
			t.Errorf("%s has no default (problem) response", key)
		}
		if op.Security == nil {
			t.Errorf("%s does not declare its security", key)
		}
	}
}
