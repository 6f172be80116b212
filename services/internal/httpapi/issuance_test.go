package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// The issuance handlers over a real issuance service on PostgreSQL; the
// genuine, tampered and revoked documents over the same endpoints are
// tested on devnet in package issuance.

func TestIssuance_BadInputChangesNothing(t *testing.T) {
	pool := pgtest.New(t)
	r, err := issuance.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := issuance.New(issuance.Config{Pool: pool, Renderer: r, Keys: ks, Clerk: "OperatorMSP/clerk"})
	if err != nil {
		t.Fatal(err)
	}
	// A market department system, and a caller of no department.
	as := func(dept string) gin.HandlerFunc {
		return func(c *gin.Context) {
			p := &identity.Principal{Kind: "client", ID: "c1", Department: dept}
			c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
			SetClient(c, "client:c1")
		}
	}
	market, _ := newServer(t, Options{Issuance: svc, Authenticate: as("market")})
	nobody, _ := newServer(t, Options{Issuance: svc, Authenticate: as("")})
	off, _ := newServer(t, Options{Authenticate: as("market")})
	ct := func(v string) []string { return []string{"Content-Type", v} }
	const licence = `"licence":{"uscc":"91370102MA3C4XYK1W","name":"甲公司","type":"有限责任公司","legalRepresentative":"张三",` +
		`"registeredCapital":"壹佰万元整","establishedOn":"2026-11-24","address":"济南","scope":"软件开发"}`
	cases := []struct {
		name         string
		h            *Server
		method, path string
		body         string
		header       []string
		status       int
		kind         string
	}{
		{"pdf: not a PDF", market, "POST", "/api/v1/issuance/verification/pdf", "hello", ct("application/pdf"), 400, "invalid"},
		{"pdf: empty", market, "POST", "/api/v1/issuance/verification/pdf", "", ct("application/pdf"), 400, "invalid"},
		{"pdf: JSON sent", market, "POST", "/api/v1/issuance/verification/pdf", `{}`, ct("application/json"), 415, "unsupported-media-type"},
		{"payload: missing", market, "POST", "/api/v1/issuance/verification/payload", `{}`, ct("application/json"), 400, "invalid"},
		{"payload: unknown field", market, "POST", "/api/v1/issuance/verification/payload", `{"payload":"KBV1:x","x":1}`, ct("application/json"), 400, "invalid"},
		{"payload: garbage", market, "POST", "/api/v1/issuance/verification/payload", `{"payload":"hello"}`, ct("application/json"), 400, "invalid"},
		{"issue: unknown kind", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"passport","password":"x"}`, ct("application/json"), 400, "invalid"},
		{"issue: no password", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"tax-registration"}`, ct("application/json"), 400, "invalid"},
		{"issue: bad USCC pattern", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"business-licence","password":"x",` + strings.Replace(licence, "91370102MA3C4XYK1W", "91370102MA3C4XYZ1W", 1) + `}`, ct("application/json"), 400, "invalid"},
		{"issue: licence without content", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"business-licence","password":"x"}`, ct("application/json"), 400, "invalid"},
		{"issue: another department's kind", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"tax-registration","password":"x"}`, ct("application/json"), 403, "denied"},
		{"issue: no department", nobody, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"business-licence","password":"x",` + licence + `}`, ct("application/json"), 403, "denied"},
		{"issue: unknown process", market, "POST", "/api/v1/issuance/documents", `{"process":"p1","kind":"business-licence","password":"x",` + licence + `}`, ct("application/json"), 404, "not-found"},
		{"bundle: unknown process", market, "POST", "/api/v1/issuance/processes/p1/bundle", "", nil, 404, "not-found"},
		{"bundle: bad process ID", market, "POST", "/api/v1/issuance/processes/%20x/bundle", "", nil, 400, "invalid"},
		{"off", off, "POST", "/api/v1/issuance/verification/payload", `{"payload":"KBV1:x"}`, ct("application/json"), 503, "unavailable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := do(t, c.h.Handler(), c.method, c.path, strings.NewReader(c.body), c.header...)
			problemOf(t, rec, c.status, c.kind)
		})
	}
	var n int
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM issuance_documents) + (SELECT count(*) FROM issuance_bundles)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after bad input: %d, %v", n, err)
	}
	rec := do(t, market.Handler(), http.MethodGet, "/api/v1/issuance/processes/p1/documents", nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"items":[]`) {
		t.Fatalf("list: %d %s", rec.Code, rec.Body)
	}
}
