package model

import (
	"encoding/base64"
	"regexp"
	"unicode/utf8"
)

// MaxTextLen bounds free text (names, purposes, reasons, opinions) in runes.
const MaxTextLen = 512

var (
	// idPattern matches a caller-chosen identifier: MSP IDs, node names, type
	// codes, step keys, user IDs. Printable ASCII without separators keeps
	// composite keys and URLs unambiguous.
	idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$`)
	// hexIDPattern matches an ID made by DeriveID.
	hexIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
	// digestPattern matches a hex SM3 or SHA-256 digest.
	digestPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checks accumulates the first validation failure so that a Validate method
// reads as a list of rules.
type checks struct{ err error }

func (c *checks) fail(format string, args ...any) {
	if c.err == nil {
		c.err = Errorf(CodeInvalid, format, args...)
	}
}

func (c *checks) id(field, v string) {
	if !idPattern.MatchString(v) {
		c.fail("%s %q must be 1-128 characters of letters, digits and ._:@- starting with a letter or digit", field, v)
	}
}

func (c *checks) optionalID(field, v string) {
	if v != "" {
		c.id(field, v)
	}
}

func (c *checks) hexID(field, v string) {
	if !hexIDPattern.MatchString(v) {
		c.fail("%s %q must be a 32-character lower-case hex ID", field, v)
	}
}

func (c *checks) digest(field, v string) {
	if !digestPattern.MatchString(v) {
		c.fail("%s must be a 64-character lower-case hex digest", field)
	}
}

func (c *checks) text(field, v string, required bool) {
	switch {
	case required && v == "":
		c.fail("%s is required", field)
	case !utf8.ValidString(v):
		c.fail("%s is not valid UTF-8", field)
	case utf8.RuneCountInString(v) > MaxTextLen:
		c.fail("%s is longer than %d characters", field, MaxTextLen)
	}
}

func (c *checks) base64(field, v string, required bool) {
	if v == "" {
		if required {
			c.fail("%s is required", field)
		}
		return
	}
	if _, err := base64.StdEncoding.DecodeString(v); err != nil {
		c.fail("%s is not standard base64", field)
	}
}

func (c *checks) pem(field, v string) {
	if len(v) < 32 || len(v) > 4096 || v[:11] != "-----BEGIN " {
		c.fail("%s must be a PEM block", field)
	}
}

func (c *checks) time(field, v string, required bool) {
	if v == "" {
		if required {
			c.fail("%s is required", field)
		}
		return
	}
	if _, err := ParseTime(v); err != nil {
		c.fail("%s %q is not an RFC 3339 time", field, v)
	}
}

func oneOf[T ~string](c *checks, field string, v T, allowed ...T) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail("%s %q is not one of %v", field, v, allowed)
}
