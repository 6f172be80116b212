package model

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies a chaincode error so that a client on the other side of the
// gRPC boundary can branch on it: Fabric carries only a message, so the code
// travels as the message's first word.
type Code string

// Error codes, each mapping naturally onto an HTTP status in the services.
const (
	CodeInvalid   Code = "INVALID"   // malformed or out-of-range input
	CodeDenied    Code = "DENIED"    // the caller may not do this
	CodeNotFound  Code = "NOT_FOUND" // the record does not exist
	CodeConflict  Code = "CONFLICT"  // exists already with other content
	CodeState     Code = "STATE"     // the record is in the wrong state for this
	CodeSignature Code = "SIGNATURE" // an SM2 signature did not verify
)

// Error is a classified chaincode error.
type Error struct {
	Code Code
	Msg  string
}

// Error returns "CODE: message", the form that ParseError reads back.
func (e *Error) Error() string { return string(e.Code) + ": " + e.Msg }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, model.ErrNotFound) works for any not-found error.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Msg == ""
}

// Sentinels for errors.Is; they carry a code and no message.
var (
	ErrInvalid   = &Error{Code: CodeInvalid}
	ErrDenied    = &Error{Code: CodeDenied}
	ErrNotFound  = &Error{Code: CodeNotFound}
	ErrConflict  = &Error{Code: CodeConflict}
	ErrState     = &Error{Code: CodeState}
	ErrSignature = &Error{Code: CodeSignature}
)

// Errorf builds a classified error with a formatted message.
func Errorf(code Code, format string, args ...any) error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ParseError recovers a classified error from a chaincode response message,
// as a client sees it after Fabric has flattened the error to text. A message
// without a known code yields nil.
func ParseError(message string) *Error {
	// Fabric and the SDK may wrap the message, so look for the code anywhere.
	for _, c := range []Code{CodeInvalid, CodeDenied, CodeNotFound, CodeConflict, CodeState, CodeSignature} {
		prefix := string(c) + ": "
		if i := strings.Index(message, prefix); i >= 0 {
			return &Error{Code: c, Msg: message[i+len(prefix):]}
		}
	}
	return nil
}

// IsCode reports whether err is a classified error with code c.
func IsCode(err error, c Code) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == c
}
