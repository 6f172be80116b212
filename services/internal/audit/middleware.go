package audit

import (
	"context"
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
// (anything but GET, HEAD, OPTIONS) have their response held until their row
// is committed, and answer 500 instead when it cannot be, so a 2xx write is
// never unaudited; reads are queued, so
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
		out := c.Writer
		var held *heldWriter
		if !isRead(c.Request.Method) {
			held = &heldWriter{ResponseWriter: out, status: http.StatusOK}
			c.Writer = held
		}
		defer func() {
			// A panicking handler is recorded as the 500 the recovery
			// middleware further out will answer, then the panic goes on.
			if r := recover(); r != nil {
				c.Writer = out
				m.record(l, c, req, start, http.StatusInternalServerError, "panic")
				panic(r)
			}
		}()
		c.Next()
		err := m.record(l, c, req, start, c.Writer.Status(), firstError(c))
		if held == nil {
			return
		}
		c.Writer = out
		if err != nil {
			// Fail closed: the write may have happened, but no 2xx leaves
			// without its audit row.
			for k := range out.Header() {
				out.Header().Del(k)
			}
			out.Header().Set("Content-Type", "application/problem+json")
			out.WriteHeader(http.StatusInternalServerError)
			out.WriteString(`{"type":"urn:kaiban:problem:internal","title":"Internal Server Error","status":500,` +
				`"detail":"the request could not be recorded in the audit log; it may have taken effect: check before repeating it"}`)
			return
		}
		held.release()
	}
}

func isRead(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// heldWriter keeps a state-changing request's response — status and body —
// until its audit row is committed: the headers go to the real writer's map,
// nothing to the client. Responses of writes are small (bodies of uploads
// are requests, not responses), so holding them costs nothing worth naming.
type heldWriter struct {
	gin.ResponseWriter
	status  int
	written bool
	body    []byte
}

func (w *heldWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
	}
}

func (w *heldWriter) WriteHeaderNow() { w.written = true }

func (w *heldWriter) Write(b []byte) (int, error) {
	w.written = true
	w.body = append(w.body, b...)
	return len(b), nil
}

func (w *heldWriter) WriteString(s string) (int, error) { return w.Write([]byte(s)) }

func (w *heldWriter) Status() int { return w.status }

func (w *heldWriter) Written() bool { return w.written }

func (w *heldWriter) Size() int {
	if !w.written {
		return -1
	}
	return len(w.body)
}

// Flush holds on: what a write answers leaves only once it is audited.
func (w *heldWriter) Flush() {}

// release sends the held response.
func (w *heldWriter) release() {
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.body) > 0 {
		w.ResponseWriter.Write(w.body)
	}
}

func (m *middleware) record(l *Log, c *gin.Context, req *Request, start time.Time, status int, errText string) error {
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
	if isRead(c.Request.Method) {
		_ = l.Submit(e)
		return nil
	}
	// A client that hung up does not cancel the record of what it did.
	if _, err := l.Append(context.WithoutCancel(c.Request.Context()), e); err != nil {
		l.logger.Error("audit: request not recorded", "action", e.Action, "request_id", e.RequestID, "err", err)
		return err
	}
	return nil
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
	if c.Request.URL.RawQuery == "" {
		return nil
	}
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
