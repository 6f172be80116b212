// Package portal serves Kaiban's web portal: the single-page application of
// services/web, built by `make portal` into dist/ and embedded in the kaiban
// binary, so that one binary serves the API and the pages that use it.
//
// The Go build does not need npm: without a build, dist/ holds only the
// placeholder that keeps go:embed compiling, and the portal answers every
// page with a short notice saying how to build it.
package portal

import (
	"bytes"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// reserved are the path prefixes the portal never answers: the REST API, the
// contract and its docs, and the operational endpoints.
var reserved = []string{"/api/", "/api-spec/", "/docs", "/healthz", "/readyz", "/metrics"}

// Reserved reports whether urlPath belongs to the API or the operational
// endpoints rather than to the portal.
func Reserved(urlPath string) bool {
	if urlPath == "/api" {
		return true
	}
	for _, p := range reserved {
		if strings.HasPrefix(urlPath, p) {
			// "/docs" and "/docs/..." are reserved, "/docsearch" is not.
			if strings.HasSuffix(p, "/") || len(urlPath) == len(p) || urlPath[len(p)] == '/' {
				return true
			}
		}
	}
	return false
}

// With returns a handler that sends the reserved paths, and every method but
// GET and HEAD, to api, and serves the portal for everything else. A path
// that is neither a file of the build nor reserved is one of the
// application's routes, answered with index.html (the SPA fallback).
func With(api http.Handler) http.Handler {
	p := Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Reserved(r.URL.Path) || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			api.ServeHTTP(w, r)
			return
		}
		p.ServeHTTP(w, r)
	})
}

// Handler returns the portal alone: the files of the build, with index.html
// for every other path. Hashed assets (under /assets/) are cached for a
// year; index.html and the other files are revalidated on every use, so a
// new build is seen at the next page load.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it always exists
	}
	return newHandler(root)
}

// Built reports whether the binary embeds a portal build rather than the
// placeholder.
func Built() bool {
	_, err := fs.Stat(dist, "dist/index.html")
	return err == nil
}

type handler struct {
	files fs.FS
	index []byte // nil without a build
	etag  string
}

func newHandler(files fs.FS) *handler {
	h := &handler{files: files}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		h.index, h.etag = b, etag(b)
	}
	return h
}

// etag is a strong validator of content: a cache check, not a security
// property, hence FNV.
func etag(b []byte) string {
	sum := fnv.New64a()
	sum.Write(b)
	return fmt.Sprintf(`"%x"`, sum.Sum64())
}

// immutable is the Cache-Control of files whose name carries their content
// hash: Vite puts exactly those under assets/.
const immutable = "public, max-age=31536000, immutable"

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	securityHeaders(w.Header())
	if h.index == nil {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(placeholder))
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && name != "index.html" && !strings.HasPrefix(path.Base(name), ".") {
		if f, err := fs.ReadFile(h.files, name); err == nil {
			if strings.HasPrefix(name, "assets/") {
				w.Header().Set("Cache-Control", immutable)
			} else {
				w.Header().Set("Cache-Control", "no-cache")
				w.Header().Set("ETag", etag(f))
			}
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f))
			return
		}
		// A missing asset is a stale or mistyped reference: answering it
		// with the page would hand HTML to a <script> tag.
		if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
			http.NotFound(w, r)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", h.etag)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}

// contentSecurityPolicy allows nothing from another origin: every script,
// style, font and image ships with the build. Element Plus positions popups
// with inline style attributes, hence 'unsafe-inline' for styles only. A
// document opened from the locker is previewed in a frame from a blob: URL
// the page made of the decrypted content (the browser's PDF viewer), hence
// frame-src blob:.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; frame-src 'self' blob:; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// placeholder is the page of a binary built without the portal.
const placeholder = `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Kaiban</title></head>
<body style="font-family: sans-serif; margin: 3rem">
<h1>门户尚未构建 · Portal not built</h1>
<p>This kaiban binary was built without the web portal. Run <code>make portal</code>
(or <code>make build</code>, which includes it) and rebuild.</p>
<p>The REST API is served as usual: <a href="/docs">/docs</a>.</p>
</body></html>
`
