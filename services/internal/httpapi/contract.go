package httpapi

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// contract is the loaded OpenAPI document and its operations, indexed by
// the Gin route each is served on, so that a request is matched once (by
// Gin) and validated against the operation it matched.
type contract struct {
	doc    *openapi3.T
	routes map[string]*route // "GET /api/v1/things/:id"
}

// route is one operation of the contract, with what the middleware needs
// of it worked out once, when the contract is loaded.
type route struct {
	kin *routers.Route
	// validate is kin with no security requirements: security is the
	// authenticator's job, and kin-openapi would otherwise walk the
	// requirements on every request only to accept them.
	validate    *routers.Route
	rateLimited bool
	// security is the operation's requirements, else the document's;
	// schemes the names of the schemes they allow.
	security openapi3.SecurityRequirements
	schemes  map[string]bool
	// permission is x-kaiban-permission, split at its colon, when the
	// operation declares one.
	permission    [2]string
	hasPermission bool
}

func loadContract(spec []byte) (*contract, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI contract: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI contract is invalid: %w", err)
	}
	ct := &contract{doc: doc, routes: map[string]*route{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ct.routes[method+" "+ginPath(path)] = newRoute(doc, path, item, method, op)
		}
	}
	return ct, nil
}

func newRoute(doc *openapi3.T, path string, item *openapi3.PathItem, method string, op *openapi3.Operation) *route {
	r := &route{
		kin:         &routers.Route{Spec: doc, Path: path, PathItem: item, Method: method, Operation: op},
		rateLimited: true,
		security:    openapi3.SecurityRequirements{},
		schemes:     map[string]bool{},
	}
	unsecured := *op
	unsecured.Security = &openapi3.SecurityRequirements{}
	v := *r.kin
	v.Operation = &unsecured
	r.validate = &v
	if b, ok := op.Extensions["x-kaiban-rate-limit"].(bool); ok {
		r.rateLimited = b
	}
	switch {
	case op.Security != nil:
		r.security = *op.Security
	case doc.Security != nil:
		r.security = doc.Security
	}
	for _, req := range r.security {
		for name := range req {
			r.schemes[name] = true
		}
	}
	if perm, ok := op.Extensions["x-kaiban-permission"].(string); ok {
		res, act, _ := strings.Cut(perm, ":")
		r.permission, r.hasPermission = [2]string{res, act}, true
	}
	return r
}

// ginPath turns an OpenAPI path template into Gin's syntax, as the generated
// code registers it: /things/{id} → /things/:id.
func ginPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			parts[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(parts, "/")
}

// operation finds the contract's operation for the matched Gin route and
// keeps it on the context for the middleware after it. API responses may
// carry personal data, so no cache (browser or proxy) may keep them.
func (ct *contract) operation(c *gin.Context) {
	if r := ct.routes[c.Request.Method+" "+c.FullPath()]; r != nil {
		withInfo(c).route = r
	}
	c.Writer.Header()["Cache-Control"] = headerNoStore
	c.Next()
}

func routeOf(c *gin.Context) *route {
	if ri := infoOf(c); ri != nil {
		return ri.route
	}
	return nil
}

// Operation returns the contract's operation a request matched, or nil
// outside the API (for /docs, say). An authenticator reads its security.
func Operation(c *gin.Context) *openapi3.Operation {
	if r := routeOf(c); r != nil {
		return r.kin.Operation
	}
	return nil
}

// Security returns the security requirements of the operation a request
// matched: the operation's own, else the document's. An empty list means no
// credentials are needed; nil means the request is outside the API.
func Security(c *gin.Context) openapi3.SecurityRequirements {
	if r := routeOf(c); r != nil {
		return r.security
	}
	return nil
}

// validator checks each request against its operation: body size (413),
// media type (415), then parameters and body against their schemas (400,
// naming every offending field). Security is the authenticator's job.
type validator struct {
	maxBody int64
	options *openapi3filter.Options
}

func newValidator(maxBody int64) *validator {
	return &validator{maxBody: maxBody, options: &openapi3filter.Options{
		MultiError:         true,
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// The generated handlers bind the value that was validated, defaults
		// included, instead of decoding the body a second time.
		KeepValidatedValue: true,
	}}
}

func (v *validator) middleware(c *gin.Context) {
	r := routeOf(c)
	if r == nil {
		c.Next()
		return
	}
	req := c.Request
	if req.ContentLength > v.maxBody {
		writeError(c, fmt.Errorf("%w: the body is larger than %d bytes", errTooLarge, v.maxBody))
		return
	}
	if req.Body != nil && req.Body != http.NoBody {
		req.Body = http.MaxBytesReader(c.Writer, req.Body, v.maxBody)
	}
	if rb := r.kin.Operation.RequestBody; rb != nil && rb.Value != nil && hasBody(req) {
		mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
		if err != nil || rb.Value.Content.Get(mt) == nil {
			writeError(c, fmt.Errorf("%w: send %s", errUnsupportedMediaType, strings.Join(mediaTypes(rb.Value.Content), " or ")))
			return
		}
	}
	params := make(map[string]string, len(c.Params))
	for _, p := range c.Params {
		params[p.Key] = p.Value
	}
	err := openapi3filter.ValidateRequest(req.Context(), &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: r.validate, Options: v.options,
	})
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(c, mb)
			return
		}
		writeError(c, &ValidationError{Fields: fieldErrors(err)})
		return
	}
	c.Next()
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

func mediaTypes(c openapi3.Content) []string {
	out := make([]string, 0, len(c))
	for mt := range c {
		out = append(out, mt)
	}
	sort.Strings(out)
	return out
}

// fieldErrors flattens kin-openapi's validation errors into one entry per
// offending field.
func fieldErrors(err error) []api.FieldError {
	var out []api.FieldError
	var walk func(err error, in api.FieldErrorIn, field string)
	walk = func(err error, in api.FieldErrorIn, field string) {
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, inner := range e {
				walk(inner, in, field)
			}
		case *openapi3filter.RequestError:
			switch {
			case e.Parameter != nil:
				in, field = api.FieldErrorIn(e.Parameter.In), e.Parameter.Name
			case e.RequestBody != nil:
				in, field = api.FieldErrorIn("body"), "/"
			}
			if e.Err == nil {
				out = append(out, api.FieldError{In: in, Field: field, Detail: e.Reason})
				return
			}
			if errors.Is(e.Err, openapi3filter.ErrInvalidRequired) {
				what := "parameter is required"
				if e.RequestBody != nil {
					what = "a request body is required"
				}
				out = append(out, api.FieldError{In: in, Field: field, Detail: what})
				return
			}
			walk(e.Err, in, field)
		case *openapi3.SchemaError:
			f := field
			if in == "body" {
				f = "/" + strings.Join(e.JSONPointer(), "/")
			}
			out = append(out, api.FieldError{In: in, Field: f, Detail: e.Reason})
		case *openapi3filter.ParseError:
			detail := e.Reason
			if detail == "" && e.Cause != nil {
				detail = e.Cause.Error()
			}
			if in == "body" {
				detail = "not valid JSON: " + detail
			}
			out = append(out, api.FieldError{In: in, Field: field, Detail: detail})
		default:
			if in == "" {
				in = "body"
			}
			if field == "" {
				field = "/"
			}
			out = append(out, api.FieldError{In: in, Field: field, Detail: err.Error()})
		}
	}
	walk(err, "", "")
	return out
}
