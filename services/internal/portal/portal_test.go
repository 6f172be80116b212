package portal

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
)

var build = fstest.MapFS{
	"index.html":             {Data: []byte(`<!doctype html><div id="app"></div><script type="module" src="/assets/index-1a2b.js"></script>`)},
	"assets/index-1a2b.js":   {Data: []byte(`console.log("portal")`)},
	"assets/index-1a2b.css":  {Data: []byte(`body{}`)},
	"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	".gitkeep":               {Data: nil},
	"assets/logo-9f8e7d.svg": {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
}

func get(t *testing.T, h http.Handler, method, target string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler_ServesBuild(t *testing.T) {
	h := newHandler(build)
	tests := []struct {
		target, wantType, wantCache string
		wantStatus                  int
		wantBody                    string
	}{
		{"/", "text/html; charset=utf-8", "no-cache", 200, `<div id="app">`},
		{"/index.html", "text/html; charset=utf-8", "no-cache", 200, `<div id="app">`},
		{"/login", "text/html; charset=utf-8", "no-cache", 200, `<div id="app">`},
		{"/admin/users/42?tab=roles", "text/html; charset=utf-8", "no-cache", 200, `<div id="app">`},
		{"/assets/index-1a2b.js", "text/javascript; charset=utf-8", immutable, 200, `console.log`},
		{"/assets/index-1a2b.css", "text/css; charset=utf-8", immutable, 200, `body{}`},
		{"/favicon.svg", "image/svg+xml", "no-cache", 200, `<svg`},
		{"/assets/../favicon.svg", "image/svg+xml", "no-cache", 200, `<svg`},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := get(t, h, http.MethodGet, tt.target)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type %q, want %q", got, tt.wantType)
			}
			if got := w.Header().Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control %q, want %q", got, tt.wantCache)
			}
			if !strings.Contains(w.Body.String(), tt.wantBody) {
				t.Errorf("body %q lacks %q", w.Body.String(), tt.wantBody)
			}
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy %q", csp)
			}
		})
	}
}

func TestHandler_MissingFilesAreNotThePage(t *testing.T) {
	h := newHandler(build)
	for _, target := range []string{"/assets/index-0000.js", "/assets/", "/robots.txt", "/.gitkeep", "/favicon.ico"} {
		w := get(t, h, http.MethodGet, target)
		if target == "/.gitkeep" || target == "/assets/" {
			// No extension and no file: an application route like any other.
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="app"`) {
				t.Errorf("%s: %d %q, want the page", target, w.Code, w.Body.String())
			}
			continue
		}
		if w.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, w.Code)
		}
	}
}

func TestHandler_Revalidation(t *testing.T) {
	h := newHandler(build)
	first := get(t, h, http.MethodGet, "/somewhere")
	tag := first.Header().Get("ETag")
	if tag == "" {
		t.Fatal("index.html has no ETag")
	}
	again := get(t, h, http.MethodGet, "/", "If-None-Match", tag)
	if again.Code != http.StatusNotModified {
		t.Fatalf("status %d with a matching If-None-Match, want 304", again.Code)
	}
	head := get(t, h, http.MethodHead, "/login")
	if head.Code != http.StatusOK || head.Body.Len() != 0 {
		t.Fatalf("HEAD: %d with %d bytes", head.Code, head.Body.Len())
	}
	if post := get(t, h, http.MethodPost, "/login"); post.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST to the portal: %d, want 405", post.Code)
	}
}

func TestHandler_Placeholder(t *testing.T) {
	h := newHandler(fstest.MapFS{".gitkeep": {}})
	w := get(t, h, http.MethodGet, "/login")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "make portal") {
		t.Fatalf("without a build: %d %q", w.Code, w.Body.String())
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("placeholder Cache-Control %q", w.Header().Get("Cache-Control"))
	}
}

func TestReserved(t *testing.T) {
	tests := map[string]bool{
		"/api": true, "/api/": true, "/api/v1/version": true, "/api-spec/openapi.yaml": true,
		"/docs": true, "/docs/": true, "/healthz": true, "/readyz": true, "/metrics": true,
		"/": false, "/login": false, "/apiary": false, "/docsearch": false, "/metrics-board": false,
		"/admin/api": false, "/assets/index.js": false,
	}
	for p, want := range tests {
		if got := Reserved(p); got != want {
			t.Errorf("Reserved(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestWith_RoutesAPIAndPortal(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTeapot)
	})
	h := With(api)
	tests := []struct {
		method, target string
		wantAPI        bool
	}{
		{"GET", "/api/v1/version", true},
		{"GET", "/api/v1/nope", true},
		{"GET", "/healthz", true},
		{"GET", "/readyz", true},
		{"GET", "/metrics", true},
		{"GET", "/docs", true},
		{"GET", "/api-spec/openapi.yaml", true},
		{"POST", "/api/v1/sessions", true},
		{"POST", "/login", true}, // the API answers 405 as problem+json
		{"GET", "/", false},
		{"GET", "/login", false},
		{"HEAD", "/verify", false},
	}
	for _, tt := range tests {
		w := get(t, h, tt.method, tt.target)
		if gotAPI := w.Code == http.StatusTeapot; gotAPI != tt.wantAPI {
			t.Errorf("%s %s: went to the API = %v, want %v", tt.method, tt.target, gotAPI, tt.wantAPI)
		}
	}
}

func TestBuilt_MatchesEmbeddedFiles(t *testing.T) {
	// Whether or not `make portal` ran, the embedded tree is consistent: a
	// build has index.html, the placeholder does not, and Handler serves
	// accordingly.
	w := get(t, Handler(), http.MethodGet, "/")
	if Built() != (w.Code == http.StatusOK) {
		t.Fatalf("Built() = %v but / answered %d", Built(), w.Code)
	}
}
