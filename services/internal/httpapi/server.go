// Package httpapi is Kaiban's HTTP surface on Gin: the REST API whose
// contract is api-spec/openapi.yaml (server interfaces generated into package
// api), the operational endpoints, the served contract and its docs page.
//
// Handlers are thin: the contract has already validated the request when a
// handler runs; it calls one domain method and returns the generated
// response type, or an error that problem.go maps to RFC 9457 problem+json
// in one place. Each domain's handlers live in a file named after it.
//
// Every request passes, in order: request ID, access log and metrics, panic
// recovery, problem rendering; then, for operations of the contract: the
// operation lookup, the authenticator, the per-client rate limit, and
// validation (body size, media type, parameters and body).
package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/alliance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
)

// Options configures a Server. The zero value of each field is usable
// except where noted.
type Options struct {
	// Logger receives one line per request and the errors behind 5xx
	// responses. Default slog.Default().
	Logger *slog.Logger
	// Registry collects the HTTP metrics, and is what /metrics serves (add the
	// process's other collectors to it). Default a new registry.
	Registry *prometheus.Registry
	// Version is what /api/v1/version reports; API defaults to the
	// contract's info.version.
	Version api.Version
	// Readiness are the checks /readyz runs.
	Readiness []Check
	// RateLimit is the sustained requests per second of one client; 0
	// disables rate limiting. RateBurst is the burst above it (at least 1).
	RateLimit float64
	RateBurst int
	// MaxBodyBytes bounds request bodies (413 above). Default 16 MiB.
	MaxBodyBytes int64
	// TrustedProxies are the proxies whose X-Forwarded-For names the client;
	// none by default, so the client is the connection's peer.
	TrustedProxies []string
	// Authenticate, when set, runs for every operation of the contract after
	// it is matched and before the rate limit: it identifies the caller
	// (SetClient) from the credentials the operation's Security allows, or
	// ends the request with c.Error(ErrUnauthenticated) and c.Abort().
	Authenticate gin.HandlerFunc

	// Keys is the key service (keys.go); nil answers its operations with
	// 503.
	Keys *keys.Service
	// Issuance is unified issuance (issuance.go); nil answers its
	// operations with 503.
	Issuance *issuance.Service
	// Locker is the digital locker (locker.go); nil answers its operations
	// with 503.
	Locker *locker.Service

	// Workflow is the registry, acceptance and the task API (workflow.go);
	// nil services answer their operations with 503.
	Workflow Workflow

	// Alliance administers the alliance (alliance.go); nil answers its
	// operations with 503.
	Alliance *alliance.Service

	// Oversight wires messages, supervision and monitoring (oversight.go);
	// a nil service answers its operations with 503.
	Oversight Oversight

	// Security wires identity (authentication, authorization, the identity
	// operations; auth.go, identity.go) and audit (every request recorded,
	// the audit operations; audit.go). Without Authenticate, the identity
	// service's authenticator is used.
	Security SecurityOptions
}

// Server serves the Kaiban API. It implements api.StrictServerInterface:
// each domain's handlers are its methods, in a file named after the domain.
type Server struct {
	log       *slog.Logger
	registry  *prometheus.Registry
	metrics   *metrics
	contract  *contract
	version   api.Version
	readiness []Check
	engine    *gin.Engine
	docs      []byte
	keys      *keys.Service
	issuance  *issuance.Service
	locker    *locker.Service
	oversight Oversight
	sec       SecurityOptions
	workflow  Workflow
	alliance  *alliance.Service
}

var _ api.StrictServerInterface = (*Server)(nil)

// New builds a Server from the contract embedded in package api.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 16 << 20
	}
	if o.RateLimit > 0 && o.RateBurst < 1 {
		return nil, errors.New("httpapi: a rate limit needs a burst of at least 1")
	}
	ct, err := loadContract(api.Spec)
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(o.Registry)
	if err != nil {
		return nil, fmt.Errorf("httpapi metrics: %w", err)
	}
	if o.Version.Api == "" {
		o.Version.Api = ct.doc.Info.Version
	}
	docs, err := renderDocs(ct.doc)
	if err != nil {
		return nil, err
	}
	s := &Server{
		log: o.Logger, registry: o.Registry, metrics: m, contract: ct,
		version: o.Version, readiness: o.Readiness, docs: docs,
		keys: o.Keys, issuance: o.Issuance, locker: o.Locker,
		oversight: o.Oversight,
	}

	s.workflow = o.Workflow
	s.alliance = o.Alliance

	e, err := newEngine(s.log, m, o.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s.mountSecurity(e, &o)
	s.mountOversight(e, o.Authenticate)
	chain := apiChain(ct, o)
	handler := api.NewStrictHandlerWithOptions(s, nil, api.StrictGinServerOptions{
		RequestErrorHandlerFunc: func(c *gin.Context, err error) {
			writeError(c, model.Errorf(model.CodeInvalid, "request body: %v", err))
		},
		HandlerErrorFunc:         writeError,
		ResponseErrorHandlerFunc: writeError,
	})
	api.RegisterHandlersWithOptions(e.Group("", chain...), handler, api.GinServerOptions{
		// Parameters were validated already; this is the generated binding's
		// own refusal, which names the parameter.
		ErrorHandler: func(c *gin.Context, err error, _ int) {
			writeError(c, model.Errorf(model.CodeInvalid, "%v", err))
		},
	})

	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry})))
	e.GET("/api-spec/openapi.yaml", func(c *gin.Context) {
		c.Data(http.StatusOK, "application/yaml; charset=utf-8", api.Spec)
	})
	e.GET("/docs", func(c *gin.Context) {
		c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		c.Data(http.StatusOK, "text/html; charset=utf-8", s.docs)
	})
	s.engine = e
	return s, nil
}

// newEngine is a Gin engine with the middleware every request passes and
// problem+json answers for unknown paths and methods.
func newEngine(log *slog.Logger, m *metrics, trustedProxies []string) (*gin.Engine, error) {
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(trustedProxies); err != nil {
		return nil, fmt.Errorf("httpapi trusted proxies: %w", err)
	}
	e.Use(requestID, accessLog(log, m), recovery(log), problems)
	e.NoRoute(func(c *gin.Context) { writeError(c, errNoRoute) })
	e.NoMethod(func(c *gin.Context) { writeError(c, errNoMethod) })
	return e, nil
}

// apiChain is the middleware of the contract's operations, in order.
func apiChain(ct *contract, o Options) []gin.HandlerFunc {
	chain := []gin.HandlerFunc{ct.operation}
	if o.Authenticate != nil {
		chain = append(chain, o.Authenticate)
	}
	if o.RateLimit > 0 {
		chain = append(chain, newLimiters(o.RateLimit, o.RateBurst).middleware)
	}
	return append(chain, newValidator(o.MaxBodyBytes).middleware)
}

// Handler returns the HTTP handler of everything the server serves.
func (s *Server) Handler() http.Handler { return s.engine }
