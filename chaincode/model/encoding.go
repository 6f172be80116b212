package model

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// MaxRequestBytes bounds a request argument; nothing Kaiban writes on chain is
// anywhere near this, and the bound keeps a hostile argument from costing the
// endorsers memory.
const MaxRequestBytes = 64 << 10

// DeriveID returns the ID of a record from its business key: the first 128
// bits of SM3 over the kind and parts, hex-encoded. Parts are separated by
// U+0000 so that ("ab","c") and ("a","bc") give different IDs.
func DeriveID(kind string, parts ...string) string {
	h := sm3.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Canonical returns the canonical bytes of a request: Go's encoding/json of the
// model struct (fields in declaration order, empty optional fields omitted, no
// HTML escaping, no trailing newline). Signers sign exactly these bytes and the
// chaincode accepts a request only in this form, so the signed bytes can be
// rebuilt from the stored record at any time.
func Canonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical encoding: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// SigningMessage returns the message an SM2 signature covers: a domain tag,
// the action and the canonical request. Binding the action stops a signature
// made for one transaction from being replayed as another.
func SigningMessage(action string, canonical []byte) []byte {
	msg := make([]byte, 0, len(signingDomain)+len(action)+1+len(canonical))
	msg = append(msg, signingDomain...)
	msg = append(msg, action...)
	msg = append(msg, '\n')
	return append(msg, canonical...)
}

const signingDomain = "KAIBAN-SIG-V1\n"

// Validator is implemented by every request; Validate reports the first
// problem as an INVALID error.
type Validator interface {
	Validate() error
}

// Decode parses a request argument strictly (no unknown fields, no trailing
// data, bounded size) into v and validates it.
func Decode(arg string, v Validator) error {
	if len(arg) > MaxRequestBytes {
		return Errorf(CodeInvalid, "request is %d bytes, more than the %d allowed", len(arg), MaxRequestBytes)
	}
	dec := json.NewDecoder(strings.NewReader(arg))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeInvalid, "request is not valid JSON for %T: %v", v, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(CodeInvalid, "request has data after its JSON object")
	}
	return v.Validate()
}

// DecodeCanonical is Decode for a signed request: it also insists that arg is
// in canonical form, because the signature is checked over these bytes and
// must be reproducible from the record later.
func DecodeCanonical(arg string, v Validator) error {
	if err := Decode(arg, v); err != nil {
		return err
	}
	canon, err := Canonical(v)
	if err != nil {
		return Errorf(CodeInvalid, "%v", err)
	}
	if string(canon) != arg {
		return Errorf(CodeInvalid, "request is not in canonical form (encode it with model.Canonical)")
	}
	return nil
}

// TimeFormat is how every time on chain is written: UTC, RFC 3339 with
// nanoseconds, so that times sort as strings.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// FormatTime renders t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses a time given in RFC 3339 (with or without fractional
// seconds, any offset).
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Errorf(CodeInvalid, "time %q is not RFC 3339", s)
	}
	return t.UTC(), nil
}
