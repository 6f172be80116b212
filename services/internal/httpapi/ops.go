package httpapi

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// Checker reports whether a dependency answers (the database, the chain,
// the object store). It should return within the context's deadline.
type Checker interface {
	Check(ctx context.Context) error
}

// CheckFunc adapts a function, such as (*pgxpool.Pool).Ping, to a Checker.
type CheckFunc func(ctx context.Context) error

// Check calls f.
func (f CheckFunc) Check(ctx context.Context) error { return f(ctx) }

// Check is one named readiness check.
type Check struct {
	Name    string
	Checker Checker
}

// checkTimeout bounds each readiness check, so that a hung dependency makes
// /readyz fail rather than hang the probe.
const checkTimeout = 2 * time.Second

// GetHealth answers the liveness probe: the process serves requests.
func (s *Server) GetHealth(context.Context, api.GetHealthRequestObject) (api.GetHealthResponseObject, error) {
	return api.GetHealth200JSONResponse{Status: "ok"}, nil
}

// GetReadiness runs every readiness check at once and answers 200 when all
// pass, else 503 naming the failed ones. The errors go to the log only.
func (s *Server) GetReadiness(ctx context.Context, _ api.GetReadinessRequestObject) (api.GetReadinessResponseObject, error) {
	states := make(map[string]api.CheckState, len(s.readiness))
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := false
	for _, ch := range s.readiness {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			err := ch.Checker.Check(cctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = true
				states[ch.Name] = api.CheckStateFailed
				s.log.Warn("readiness check failed", "check", ch.Name, "error", err.Error(), "request_id", RequestID(ctx))
				return
			}
			states[ch.Name] = api.CheckStateOk
		})
	}
	wg.Wait()
	if failed {
		detail := "a dependency of this process is not reachable"
		p := api.Problem{
			Type: "urn:kaiban:problem:" + kindUnavailable.name, Title: kindUnavailable.title,
			Status: http.StatusServiceUnavailable, Detail: &detail, Checks: &states,
		}
		if id := RequestID(ctx); id != "" {
			p.RequestId = &id
		}
		return api.GetReadiness503ApplicationProblemPlusJSONResponse(p), nil
	}
	return api.GetReadiness200JSONResponse{Status: "ok", Checks: states}, nil
}

// GetVersion reports the build of this process.
func (s *Server) GetVersion(context.Context, api.GetVersionRequestObject) (api.GetVersionResponseObject, error) {
	return api.GetVersion200JSONResponse(s.version), nil
}

// OpsHandler serves only /healthz, /readyz and /metrics, for the processes
// that have no API of their own (serve listener, serve worker).
func (s *Server) OpsHandler() http.Handler {
	e, err := newEngine(s.log, s.metrics, nil)
	if err != nil {
		panic(err) // no trusted proxies cannot fail
	}
	e.GET("/healthz", func(c *gin.Context) {
		r, _ := s.GetHealth(c, api.GetHealthRequestObject{})
		if err := r.VisitGetHealthResponse(c.Writer); err != nil {
			writeError(c, err)
		}
	})
	e.GET("/readyz", func(c *gin.Context) {
		r, _ := s.GetReadiness(c, api.GetReadinessRequestObject{})
		if err := r.VisitGetReadinessResponse(c.Writer); err != nil {
			writeError(c, err)
		}
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry})))
	return e
}
