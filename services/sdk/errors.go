package sdk

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels a *ProblemError matches with errors.Is, by the problem's type.
var (
	ErrInvalid         = errors.New("invalid request")
	ErrUnauthenticated = errors.New("unauthenticated")
	ErrDenied          = errors.New("denied")
	ErrNotFound        = errors.New("not found")
	ErrConflict        = errors.New("conflict")
	ErrState           = errors.New("wrong state")
	ErrRateLimited     = errors.New("rate limited")
	ErrUnavailable     = errors.New("unavailable")
)

// problemKinds maps the last segment of a problem type URN
// (urn:kaiban:problem:…) to its sentinel.
var problemKinds = map[string]error{
	"invalid":                ErrInvalid,
	"unsupported-media-type": ErrInvalid,
	"too-large":              ErrInvalid,
	"unauthenticated":        ErrUnauthenticated,
	"denied":                 ErrDenied,
	"not-found":              ErrNotFound,
	"conflict":               ErrConflict,
	"state":                  ErrState,
	"rate-limited":           ErrRateLimited,
	"unavailable":            ErrUnavailable,
}

// FieldError names one invalid field of a request.
type FieldError struct {
	In     string `json:"in"`
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ProblemError is an RFC 9457 problem the API answered with.
type ProblemError struct {
	// Status is the HTTP status; Type the problem's URN.
	Status    int          `json:"status"`
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance"`
	RequestID string       `json:"requestId"`
	Errors    []FieldError `json:"errors"`
	// Operation is the SDK method's API operation, for the message.
	Operation string `json:"-"`
}

// Error returns the operation, status, title and detail, and the request ID
// to quote to the platform's operators.
func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %s", e.Operation, e.Status, e.Title)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s %s: %s", f.In, f.Field, f.Reason)
	}
	if e.RequestID != "" {
		b.WriteString(" (request " + e.RequestID + ")")
	}
	return b.String()
}

// Is matches the sentinel of the problem's type, or of its status when the
// type is unknown.
func (e *ProblemError) Is(target error) bool {
	kind := e.Type[strings.LastIndexByte(e.Type, ':')+1:]
	if s, ok := problemKinds[kind]; ok {
		return s == target
	}
	switch {
	case e.Status == 400 || e.Status == 422:
		return target == ErrInvalid
	case e.Status == 401:
		return target == ErrUnauthenticated
	case e.Status == 403:
		return target == ErrDenied
	case e.Status == 404:
		return target == ErrNotFound
	case e.Status == 409:
		return target == ErrConflict
	case e.Status == 429:
		return target == ErrRateLimited
	case e.Status == 503:
		return target == ErrUnavailable
	}
	return false
}
