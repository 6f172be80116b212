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

// HeaderRequestID carries the request ID in and out.
const HeaderRequestID = "X-Request-ID"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	clientKey
)

// Keys of values kept on the gin context.
const (
	ginRequestID = "kaiban.requestID"
	ginClient    = "kaiban.client"
	ginRoute     = "kaiban.route"
)

// RequestID returns the ID of the request ctx belongs to (a *gin.Context or a
// context derived from its request), or "".
func RequestID(ctx context.Context) string {
	if c, ok := ctx.(*gin.Context); ok {
		return c.GetString(ginRequestID)
	}
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// SetClient records who an authenticated request comes from (a user, a
// department system); the authenticator calls it. Rate limits and the access
// log key on it; an unauthenticated request is known by its IP address.
func SetClient(c *gin.Context, id string) {
	c.Set(ginClient, id)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), clientKey, id))
}

// Client returns the authenticated client of a request, or "".
func Client(ctx context.Context) string {
	if c, ok := ctx.(*gin.Context); ok {
		return c.GetString(ginClient)
	}
	id, _ := ctx.Value(clientKey).(string)
	return id
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

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// requestID takes the caller's X-Request-ID when well-formed, else makes one,
// and puts it on the response, the gin context and the request's context.
func requestID(c *gin.Context) {
	id := c.GetHeader(HeaderRequestID)
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Set(ginRequestID, id)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), requestIDKey, id))
	h := c.Writer.Header()
	h.Set(HeaderRequestID, id)
	// No response is to be sniffed into another type or framed by another site.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
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

		client := c.GetString(ginClient)
		if client == "" {
			client = c.ClientIP()
		}
		level := slog.LevelInfo
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("request_id", c.GetString(ginRequestID)),
			slog.String("client", client),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
		}
		if status >= 500 {
			level = slog.LevelError
			if err := c.Errors.Last(); err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
		}
		log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
	}
}

// recovery turns a panic in a handler into a 500 problem and a logged stack,
// so that one bad request cannot take the process down.
func recovery(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				log.Error("panic in handler", "request_id", c.GetString(ginRequestID),
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
