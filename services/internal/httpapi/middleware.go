package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// HeaderRequestID carries the request ID in and out. It is spelled as Go
// canonicalises header names (the name is case-insensitive on the wire), so
// that reading and setting it costs no conversion per request.
const HeaderRequestID = "X-Request-Id"

// requestInfo is what the middleware learns about a request: its ID, the
// authenticated client, the contract's operation it matched. It is put on
// the request's context once, by the first middleware, and filled in by
// those after it, so that a request is copied (Request.WithContext) once
// for all of them rather than once per value.
type requestInfo struct {
	id     string
	client string
	route  *route
}

type infoKey struct{}

// withInfo returns the requestInfo of c's request, putting an empty one on
// its context if it has none (a request that did not pass requestID).
func withInfo(c *gin.Context) *requestInfo {
	if ri := infoOf(c.Request.Context()); ri != nil {
		return ri
	}
	ri := &requestInfo{}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), infoKey{}, ri))
	return ri
}

// infoOf returns the requestInfo ctx carries (a *gin.Context or a context
// derived from its request), or nil.
func infoOf(ctx context.Context) *requestInfo {
	if c, ok := ctx.(*gin.Context); ok {
		if c.Request == nil {
			return nil
		}
		ctx = c.Request.Context()
	}
	ri, _ := ctx.Value(infoKey{}).(*requestInfo)
	return ri
}

// RequestID returns the ID of the request ctx belongs to (a *gin.Context or a
// context derived from its request), or "".
func RequestID(ctx context.Context) string {
	if ri := infoOf(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// SetClient records who an authenticated request comes from (a user, a
// department system); the authenticator calls it. Rate limits and the access
// log key on it; an unauthenticated request is known by its IP address.
func SetClient(c *gin.Context, id string) { withInfo(c).client = id }

// Client returns the authenticated client of a request, or "".
func Client(ctx context.Context) string {
	if ri := infoOf(ctx); ri != nil {
		return ri.client
	}
	return ""
}

// validRequestID accepts what a caller may choose as request ID: 1 to 128
// characters out of letters, digits and "._:-", so that it is safe in logs
// and headers.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !('a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == ':' || b == '-') {
			return false
		}
	}
	return true
}

// newRequestID returns 32 hex digits: the time in milliseconds (48 bits)
// and 80 random bits. Time-ordered IDs keep the audit log's index on
// request IDs growing at its end, as its other indexes do, instead of
// inserting at random pages: in PostgreSQL, a random key costs an audit row
// about a quarter more (page reads and writes, and a full-page image in the
// WAL for each page first touched after a checkpoint).
func newRequestID(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	_, _ = rand.Read(b[6:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// Values of headers most responses carry, allocated once. Header values
// are never changed in place (net/http and Gin replace or append to the
// slice, and a full slice is copied by append), so responses can share them.
var (
	headerNoSniff = []string{"nosniff"}
	headerDeny    = []string{"DENY"}
	headerNoStore = []string{"no-store"}
)

// requestID takes the caller's X-Request-ID when well-formed, else makes one,
// and puts it on the response and, in the request's requestInfo, on its
// context.
func requestID(c *gin.Context) {
	id := c.Request.Header.Get(HeaderRequestID)
	if !validRequestID(id) {
		id = newRequestID(time.Now())
	}
	withInfo(c).id = id
	h := c.Writer.Header()
	h[HeaderRequestID] = []string{id}
	// No response is to be sniffed into another type or framed by another site.
	h["X-Content-Type-Options"] = headerNoSniff
	h["X-Frame-Options"] = headerDeny
	c.Next()
}

// accessLog writes one JSON line per request and records its metrics. The
// route is the template (/api/v1/things/:id), never the raw path, so that
// neither log analysis nor metric cardinality depends on IDs; the query
// string is never logged (it may hold personal data).
func accessLog(log *slog.Logger, m *metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start)
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		m.observe(c.Request.Method, route, status, elapsed)

		var id, client string
		if ri := infoOf(c); ri != nil {
			id, client = ri.id, ri.client
		}
		if client == "" {
			client = c.ClientIP()
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		ctx := c.Request.Context()
		h := log.Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		// The record is made here rather than by Logger.LogAttrs, with no
		// program counter: the line's source is always this function, and
		// the stack walk that finds it was a sizeable share of the line.
		r := slog.NewRecord(time.Now(), level, "http request", 0)
		r.AddAttrs(
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("request_id", id),
			slog.String("client", client),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
		)
		if err := c.Errors.Last(); err != nil && status >= 500 {
			r.AddAttrs(slog.String("error", err.Error()))
		}
		_ = h.Handle(ctx, r) // as Logger.LogAttrs, a handler's failure is not the request's
	}
}

// recovery turns a panic in a handler into a 500 problem and a logged stack,
// so that one bad request cannot take the process down.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "request_id", RequestID(c),
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				writeError(c, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// problems answers a request that a handler or middleware ended with
// c.Error and no response (an authenticator's ErrUnauthenticated, say)
// with the problem its last error is.
func problems(c *gin.Context) {
	c.Next()
	if !c.Writer.Written() && len(c.Errors) > 0 {
		writeError(c, c.Errors.Last().Err)
	}
}

// retryAfterSeconds formats a wait for Retry-After: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(int((d+time.Second-1)/time.Second), 1))
}
