package httpapi

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

// Authentication and authorization of the contract's operations.
//
// The authenticator accepts the credentials the operation's security allows,
// in this order: a TLS client certificate (clientCertificate), a signed API
// key (apiKeyID + apiKeySignature), a bearer session token (bearerToken), the
// session cookie (sessionCookie). Credentials that are presented and fail end
// the request with 401 — a bad signature is not retried as a cookie. The
// caller becomes an *identity.Principal on the request's context (Caller),
// the audit actor of the request, and the rate-limit client.
//
// Authorization is declared in the contract: an operation's
// `x-kaiban-permission: resource:action` is checked here against the
// caller's roles (403 otherwise). A session that must change its password may
// only change it, read /me and sign out. Handlers that need a finer decision
// (a department's own records) call Server.Require.

// SessionCookie is the portal's session cookie.
const SessionCookie = "kaiban_session"

// SecurityOptions wires identity and audit into the server.
type SecurityOptions struct {
	// Identity authenticates and authorizes callers and serves the identity
	// operations. Without it (and without Options.Authenticate) nothing is
	// authenticated: only tests of other handlers build such a server.
	Identity *identity.Service
	// Audit records every request (audit.Middleware) and serves the audit
	// operations.
	Audit *audit.Log
	// Anchors, when set, lets audit verification compare the ledger's
	// latest anchor too.
	Anchors audit.AnchorSource
	// CookieSecure sets the Secure attribute of the session cookie: on
	// wherever the portal is served over HTTPS.
	CookieSecure bool
	// CertificateProxies are the TLS-terminating proxies allowed to forward a
	// verified client certificate in X-Client-Certificate; from any other
	// peer the header is ignored.
	CertificateProxies []netip.Prefix
	// MaxSignedBody bounds the body read to check a request signature
	// (default 16 MiB).
	MaxSignedBody int64
	// Endpoints are the production and test base URLs shown to
	// integrators (getApiAccess); empty ones are left out.
	Endpoints Endpoints
}

// Endpoints are the API addresses integrators are told to call (A.3).
type Endpoints struct {
	Production string
	Test       string
}

// HeaderClientCertificate carries a client certificate forwarded by a
// trusted TLS-terminating proxy (PEM, URL-encoded).
const HeaderClientCertificate = "X-Client-Certificate"

// errNoIdentity is a server built without an identity service.
var errNoIdentity = errors.New("identity service not configured")

// mountSecurity puts the audit middleware on every request and the
// authenticator on the operations of the contract.
func (s *Server) mountSecurity(e *gin.Engine, o *Options) {
	s.sec = o.Security
	if s.sec.MaxSignedBody <= 0 {
		s.sec.MaxSignedBody = 16 << 20
	}
	if s.sec.Audit != nil {
		e.Use(audit.Middleware(s.sec.Audit, audit.RequestIDFrom(func(c *gin.Context) string { return RequestID(c) })))
	}
	if o.Authenticate == nil && s.sec.Identity != nil {
		o.Authenticate = s.authenticate
	}
}

// passwordChangeOps are what a session that must change its password may do.
var passwordChangeOps = map[string]bool{"changePassword": true, "getMe": true, "logout": true}

func (s *Server) authenticate(c *gin.Context) {
	r := routeOf(c)
	if r == nil || len(r.security) == 0 {
		c.Next() // security: [] (or outside the API)
		return
	}
	allowed := r.schemes
	p, err := s.identify(c, allowed)
	if err != nil {
		writeError(c, err)
		return
	}
	if p == nil {
		writeError(c, fmt.Errorf("%w: send %s", ErrUnauthenticated, credentialsHint(allowed)))
		return
	}
	c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
	SetClient(c, p.Kind+":"+p.ID)
	if r.hasPermission {
		if err := s.sec.Identity.Authorize(c, p, identity.Perm(r.permission[0], r.permission[1])); err != nil {
			writeError(c, err)
			return
		}
	} else if p.MustChangePassword && !passwordChangeOps[r.kin.Operation.OperationID] {
		writeError(c, identity.ErrPasswordChangeRequired)
		return
	}
	c.Next()
}

func credentialsHint(allowed map[string]bool) string {
	var out []string
	if allowed["sessionCookie"] || allowed["bearerToken"] {
		out = append(out, "a session (sign in at POST /api/v1/sessions)")
	}
	if allowed["clientCertificate"] || allowed["apiKeyID"] {
		out = append(out, "a client certificate or a signed API key")
	}
	return strings.Join(out, " or ")
}

// identify returns the caller, nil when no credentials were presented, or an
// error when presented credentials fail.
func (s *Server) identify(c *gin.Context, allowed map[string]bool) (*identity.Principal, error) {
	id := s.sec.Identity
	if id == nil {
		return nil, errNoIdentity
	}
	ctx := c.Request.Context()
	if allowed["clientCertificate"] {
		cert, err := s.clientCertificate(c)
		if err != nil {
			return nil, err
		}
		if cert != nil {
			return id.AuthenticateCertificate(ctx, cert)
		}
	}
	if allowed["apiKeyID"] && c.GetHeader(identity.HeaderKey) != "" {
		body, err := s.readBody(c)
		if err != nil {
			return nil, err
		}
		return id.AuthenticateSigned(ctx, identity.SignedRequest{
			KeyID: c.GetHeader(identity.HeaderKey), Timestamp: c.GetHeader(identity.HeaderTimestamp),
			Nonce: c.GetHeader(identity.HeaderNonce), Signature: c.GetHeader(identity.HeaderSignature),
			Method: c.Request.Method, Path: c.Request.URL.EscapedPath(), RawQuery: c.Request.URL.RawQuery, Body: body,
		})
	}
	if allowed["bearerToken"] {
		if h := c.GetHeader("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				return nil, fmt.Errorf("%w: Authorization must be Bearer", ErrUnauthenticated)
			}
			return id.Authenticate(ctx, strings.TrimSpace(token))
		}
	}
	if allowed["sessionCookie"] {
		if token, err := c.Cookie(SessionCookie); err == nil && token != "" {
			return id.Authenticate(ctx, token)
		}
	}
	return nil, nil
}

// clientCertificate is the leaf certificate of the TLS handshake, or the one
// a trusted proxy forwarded.
func (s *Server) clientCertificate(c *gin.Context) (*x509.Certificate, error) {
	if tls := c.Request.TLS; tls != nil && len(tls.PeerCertificates) > 0 {
		return tls.PeerCertificates[0], nil
	}
	fwd := c.GetHeader(HeaderClientCertificate)
	if fwd == "" || !s.fromCertificateProxy(c) {
		return nil, nil
	}
	raw, err := url.QueryUnescape(fwd)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not URL-encoded", ErrUnauthenticated, HeaderClientCertificate)
	}
	block, _ := pem.Decode([]byte(raw))
	if block == nil {
		return nil, fmt.Errorf("%w: %s holds no PEM certificate", ErrUnauthenticated, HeaderClientCertificate)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrUnauthenticated, HeaderClientCertificate, err)
	}
	return cert, nil
}

func (s *Server) fromCertificateProxy(c *gin.Context) bool {
	peer, err := netip.ParseAddr(c.RemoteIP())
	if err != nil {
		return false
	}
	for _, p := range s.sec.CertificateProxies {
		if p.Contains(peer.Unmap()) {
			return true
		}
	}
	return false
}

// readBody reads the body for its digest and puts it back for the handler.
func (s *Server) readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil || c.Request.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.sec.MaxSignedBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, mb
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// Caller returns who is calling: the principal the authenticator put on the
// request's context, or nil for an operation without security.
func Caller(ctx context.Context) *identity.Principal { return identity.PrincipalFrom(ctx) }

// Require checks a permission inside a handler, for decisions finer than the
// operation's x-kaiban-permission; the error maps to 401 or 403.
func (s *Server) Require(ctx context.Context, perm identity.Permission) error {
	if s.sec.Identity == nil {
		return errNoIdentity
	}
	return s.sec.Identity.Authorize(ctx, Caller(ctx), perm)
}

// RequirePermission is Require as middleware, for routes outside the
// contract (the portal's pages, say) behind the authenticator.
func (s *Server) RequirePermission(perm identity.Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := s.Require(c, perm); err != nil {
			writeError(c, err)
			return
		}
		c.Next()
	}
}
