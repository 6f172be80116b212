package audit

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// MiddlewareOption configures Middleware.
type MiddlewareOption func(*middleware)

type middleware struct {
	skip      map[string]bool
	requestID func(*gin.Context) string
}

// SkipPaths leaves requests to these exact paths unrecorded (probes and
// metrics scrapes, which would drown the log; default /healthz, /readyz,
// /metrics).
func SkipPaths(paths ...string) MiddlewareOption {
	return func(m *middleware) {
		m.skip = map[string]bool{}
		for _, p := range paths {
			m.skip[p] = true
		}
	}
}

// RequestIDFrom sets how the request ID is found (default: the X-Request-ID
// response header set by the request-ID middleware, else the request's).
func RequestIDFrom(f func(*gin.Context) string) MiddlewareOption {
	return func(m *middleware) { m.requestID = f }
}

// Middleware records every request in l: who (the actor the authentication
// middleware sets with SetActor), what (method and route), when, the result
// and status, the source address and the request ID.
//
// Mount it before the authentication middleware, so that refused requests are
// recorded too, and after the request-ID middleware. State-changing requests
// (anything but GET, HEAD, OPTIONS) wait for their row to commit before the
// response leaves, so a 2xx write is never unaudited; reads are queued, so
// the audit log never adds a database round trip to a read's latency, at the
// price that a crash can lose the reads of the last few milliseconds.
func Middleware(l *Log, opts ...MiddlewareOption) gin.HandlerFunc {
	m := &middleware{
		skip: map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true},
		requestID: func(c *gin.Context) string {
			if id := c.Writer.Header().Get("X-Request-ID"); id != "" {
				return id
			}
			return c.Request.Header.Get("X-Request-ID")
		},
	}
	for _, o := range opts {
		o(m)
	}
	return func(c *gin.Context) {
		if m.skip[c.Request.URL.Path] {
			c.Next()
			return
		}
		start := time.Now()
		req := &Request{Source: c.ClientIP()}
		c.Request = c.Request.WithContext(WithRequest(c.Request.Context(), req))
		defer func() {
			// A panicking handler is recorded as the 500 the recovery
			// middleware further out will answer, then the panic goes on.
			if r := recover(); r != nil {
				m.record(l, c, req, start, http.StatusInternalServerError, "panic")
				panic(r)
			}
		}()
		c.Next()
		m.record(l, c, req, start, c.Writer.Status(), firstError(c))
	}
}

func (m *middleware) record(l *Log, c *gin.Context, req *Request, start time.Time, status int, errText string) {
	req.ID = m.requestID(c)
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	detail := requestDetail(paramNames(c), time.Since(start).Milliseconds(), max(c.Writer.Size(), 0), errText)
	e := FromContext(c.Request.Context(), Entry{
		Action:   c.Request.Method + " " + route,
		Resource: c.Request.URL.Path,
		Result:   resultOf(status),
		Status:   status,
		Detail:   detail,
	})
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		_ = l.Submit(e)
	default:
		if _, err := l.Append(c.Request.Context(), e); err != nil {
			l.logger.Error("audit: request not recorded", "action", e.Action, "request_id", e.RequestID, "err", err)
		}
	}
}

// requestDetail is the detail of a request's row:
// {"params":[…],"durationMs":…,"bytes":…,"error":…}, params and error only
// when there are some. Built by hand, as json.Marshal of the equivalent
// struct would (TestRequestDetail_AsJSONMarshal), without its reflection on
// every request.
func requestDetail(params []string, durationMS int64, bytes int, errText string) string {
	b := make([]byte, 0, 64)
	b = append(b, '{')
	if len(params) > 0 {
		p, _ := json.Marshal(params)
		b = append(b, `"params":`...)
		b = append(b, p...)
		b = append(b, ',')
	}
	b = append(b, `"durationMs":`...)
	b = strconv.AppendInt(b, durationMS, 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	if errText != "" {
		e, _ := json.Marshal(errText)
		b = append(b, `,"error":`...)
		b = append(b, e...)
	}
	return string(append(b, '}'))
}

func paramNames(c *gin.Context) []string {
	q := c.Request.URL.Query()
	if len(q) == 0 {
		return nil
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func firstError(c *gin.Context) string {
	if len(c.Errors) == 0 {
		return ""
	}
	s := c.Errors[0].Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return clean(s, 512)
}

func resultOf(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return ResultDenied
	case status >= 500:
		return ResultError
	case status >= 400:
		return ResultRejected
	default:
		return ResultOK
	}
}
