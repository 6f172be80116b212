package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/monitoring"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// This file is the one place where errors become HTTP responses: every
// handler, middleware and generated wrapper ends in writeError, and
// classify decides the status from the error's type or sentinel.

// ErrUnauthenticated is the error an authenticator returns (with c.Error and
// c.Abort, or wrapped) for a request without valid credentials: 401.
var ErrUnauthenticated = errors.New("authentication required")

// errUnsupportedMediaType, errTooLarge and errNoRoute are the HTTP layer's own
// refusals.
var (
	errUnsupportedMediaType = errors.New("unsupported media type")
	errTooLarge             = errors.New("request body too large")
	errNoRoute              = errors.New("no such resource")
	errNoMethod             = errors.New("method not allowed")
)

// ValidationError is a request that does not match the contract; Fields
// names each offending parameter or body member.
type ValidationError struct {
	Fields []api.FieldError
}

func (e *ValidationError) Error() string {
	if len(e.Fields) == 0 {
		return "invalid request"
	}
	f := e.Fields[0]
	msg := fmt.Sprintf("%s %s: %s", f.In, f.Field, f.Detail)
	if len(e.Fields) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(e.Fields)-1)
	}
	return msg
}

// RateLimitedError is a request over its client's rate limit.
type RateLimitedError struct {
	// Wait is how long until the client's next request is allowed.
	Wait time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limit exceeded; retry in %s", e.Wait.Round(time.Second))
}

// RetryAfter makes the response carry Retry-After.
func (e *RateLimitedError) RetryAfter(time.Time) time.Duration { return e.Wait }

// retryAfterer is an error that knows when trying again may succeed (a
// rate limit, a locked account); the problem then carries Retry-After.
type retryAfterer interface {
	RetryAfter(now time.Time) time.Duration
}

// kind is one kind of problem: its status, its type URN's last part and its
// title (the same for every occurrence, RFC 9457 §3.1.3).
type kind struct {
	status int
	name   string
	title  string
}

var (
	kindInvalid     = kind{http.StatusBadRequest, "invalid", "Invalid request"}
	kindUnauth      = kind{http.StatusUnauthorized, "unauthenticated", "Authentication required"}
	kindDenied      = kind{http.StatusForbidden, "denied", "Not allowed"}
	kindNotFound    = kind{http.StatusNotFound, "not-found", "Not found"}
	kindNoMethod    = kind{http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed"}
	kindConflict    = kind{http.StatusConflict, "conflict", "Conflict"}
	kindState       = kind{http.StatusConflict, "state", "Not in a state for this"}
	kindTooLarge    = kind{http.StatusRequestEntityTooLarge, "too-large", "Request body too large"}
	kindMediaType   = kind{http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type"}
	kindSignature   = kind{http.StatusUnprocessableEntity, "signature", "Signature does not verify"}
	kindRateLimited = kind{http.StatusTooManyRequests, "rate-limited", "Too many requests"}
	kindInternal    = kind{http.StatusInternalServerError, "internal", "Internal error"}
	kindUnavailable = kind{http.StatusServiceUnavailable, "unavailable", "Service unavailable"}
	// --- identity ---
	kindTOTPRequired   = kind{http.StatusUnauthorized, "totp-required", "One-time code required"}
	kindPasswordChange = kind{http.StatusForbidden, "password-change-required", "Password change required"}
)

// modelKinds maps the chaincode model's error codes, which arrive from the
// chain through the ledger client and from domain services that reuse them.
var modelKinds = map[model.Code]kind{
	model.CodeInvalid:   kindInvalid,
	model.CodeDenied:    kindDenied,
	model.CodeNotFound:  kindNotFound,
	model.CodeConflict:  kindConflict,
	model.CodeState:     kindState,
	model.CodeSignature: kindSignature,
}

// sentinels maps the sentinel errors of the HTTP layer and of the domain
// packages, matched with errors.Is in order. A domain package adds its
// sentinels here, in one block per domain.
var sentinels = []struct {
	err  error
	kind kind
}{
	// --- http ---
	{ErrUnauthenticated, kindUnauth},
	{errUnsupportedMediaType, kindMediaType},
	{errTooLarge, kindTooLarge},
	{errNoRoute, kindNotFound},
	{errNoMethod, kindNoMethod},
	// --- keys ---
	{keys.ErrInvalid, kindInvalid},
	{keys.ErrNotFound, kindNotFound},
	{keys.ErrExists, kindConflict},
	{keys.ErrBadPassword, kindDenied},
	{keys.ErrForbidden, kindDenied},
	{keys.ErrLocked, kindRateLimited},
	{keys.ErrConflict, kindConflict},
	{keys.ErrBadShare, kindInvalid},
	{keys.ErrRecoveryState, kindState},
	{keys.ErrDecrypt, kindInvalid},
	{keys.ErrBadSignature, kindSignature},
	{errKeysOff, kindUnavailable},
	// --- identity ---
	{identity.ErrInvalid, kindInvalid},
	{identity.ErrUnauthenticated, kindUnauth},
	{identity.ErrInvalidCredentials, kindUnauth},
	{identity.ErrReplay, kindUnauth},
	{identity.ErrStaleRequest, kindUnauth},
	{identity.ErrTOTPRequired, kindTOTPRequired},
	{identity.ErrAccountLocked, kindRateLimited},
	{identity.ErrSourceBlocked, kindRateLimited},
	{identity.ErrPasswordChangeRequired, kindPasswordChange},
	{identity.ErrForbidden, kindDenied},
	{identity.ErrSelfAssignment, kindDenied},
	{identity.ErrSeparationOfDuties, kindConflict},
	{identity.ErrNotFound, kindNotFound},
	{identity.ErrConflict, kindConflict},
	{errNoIdentity, kindUnavailable},
	// --- audit ---
	{errNoAudit, kindUnavailable},
	// --- issuance ---
	{issuance.ErrInvalid, kindInvalid},
	{issuance.ErrNotFound, kindNotFound},
	{issuance.ErrDenied, kindDenied},
	{issuance.ErrState, kindState},
	{errIssuanceOff, kindUnavailable},
	// --- locker ---
	{locker.ErrInvalid, kindInvalid},
	{locker.ErrNotFound, kindNotFound},
	{locker.ErrConflict, kindConflict},
	{locker.ErrState, kindState},
	{locker.ErrDenied, kindDenied},
	{errLockerOff, kindUnavailable},
	{errAllianceOff, kindUnavailable},
	// --- workflow ---
	{errWorkflowOff, kindUnavailable},
	{registry.ErrInvalid, kindInvalid},
	{registry.ErrNotFound, kindNotFound},
	{acceptance.ErrNotFound, kindNotFound},
	{acceptance.ErrNoLocker, kindState},
	{acceptance.ErrState, kindState},
	{acceptance.ErrForbidden, kindDenied},
	{acceptance.ErrConflict, kindConflict},
	{acceptance.ErrNoViewer, kindUnavailable},
	// --- oversight ---
	{messages.ErrInvalid, kindInvalid},
	{messages.ErrNotFound, kindNotFound},
	{errMessagesOff, kindUnavailable},
	{supervision.ErrInvalid, kindInvalid},
	{supervision.ErrNotFound, kindNotFound},
	{supervision.ErrDenied, kindDenied},
	{supervision.ErrState, kindState},
	{errSupervisionOff, kindUnavailable},
	{monitoring.ErrInvalid, kindInvalid},
	{errMonitoringOff, kindUnavailable},
}

// classify decides the kind of problem err is, and the detail shown to the
// client. Only errors the code knows are shown; anything else is internal and
// its text stays in the log.
func classify(err error) (kind, string) {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return kindInvalid, ve.Error()
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return kindRateLimited, rl.Error()
	}
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return kindTooLarge, fmt.Sprintf("the request body is larger than %d bytes", mb.Limit)
	}
	var me *model.Error
	if errors.As(err, &me) {
		if k, ok := modelKinds[me.Code]; ok {
			return k, me.Msg
		}
	}
	for _, s := range sentinels {
		if errors.Is(err, s.err) {
			return s.kind, err.Error()
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return kindUnavailable, "the request timed out; try again"
	}
	return kindInternal, ""
}

// writeError answers the request with the problem err is and records err on
// the context for the access log. Nothing is written if the response has
// started already.
func writeError(c *gin.Context, err error) {
	_ = c.Error(err)
	c.Abort()
	if c.Writer.Written() {
		return
	}
	k, detail := classify(err)
	p := newProblem(c, k, detail)
	var ve *ValidationError
	if errors.As(err, &ve) && len(ve.Fields) > 0 {
		p.Errors = &ve.Fields
	}
	var ra retryAfterer
	if errors.As(err, &ra) {
		c.Header("Retry-After", retryAfterSeconds(ra.RetryAfter(time.Now())))
	}
	writeProblem(c, p)
}

func newProblem(c *gin.Context, k kind, detail string) api.Problem {
	if k.status >= 500 && detail == "" {
		detail = "the server could not complete the request; quote the request ID to the operators"
	}
	p := api.Problem{
		Type:   "urn:kaiban:problem:" + k.name,
		Title:  k.title,
		Status: k.status,
	}
	if detail != "" {
		p.Detail = &detail
	}
	if path := c.Request.URL.Path; path != "" {
		p.Instance = &path
	}
	if id := RequestID(c); id != "" {
		p.RequestId = &id
	}
	return p
}

func writeProblem(c *gin.Context, p api.Problem) {
	body, err := json.Marshal(p)
	if err != nil { // a Problem always marshals
		panic(err)
	}
	c.Data(p.Status, "application/problem+json", body)
}
