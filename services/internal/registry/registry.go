// Package registry holds the item list (事项清单, 7.6.3) and the process
// definitions of its items (7.5 c): versioned DAGs of department steps. A
// definition version never changes once stored; editing an item's process
// stores the next version, which becomes current. Each version is pinned by
// its Digest, the SM3 of its canonical JSON, which StartProcess records on
// chain (model.ProcessStart.DefinitionDigest) so a process can always be
// traced to the exact definition it ran.
package registry

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Sentinel errors callers branch on.
var (
	// ErrInvalid is input that breaks a rule; the error is a *FieldErrors
	// naming each field.
	ErrInvalid = errors.New("invalid registry input")
	// ErrNotFound is an unknown item, definition version or department.
	ErrNotFound = errors.New("not found in the registry")
)

// FieldError is one problem of an input, at a JSON pointer into it.
type FieldError struct {
	Field  string // JSON pointer, e.g. /steps/2/dependsOn/0
	Detail string
}

// FieldErrors is an input's problems; it is ErrInvalid.
type FieldErrors []FieldError

func (e FieldErrors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Detail
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes a FieldErrors match ErrInvalid.
func (e FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Add appends a problem at field.
func (e *FieldErrors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Detail: fmt.Sprintf(format, args...)})
}

// Err returns e as an error, or nil when it is empty.
func (e FieldErrors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// Item kinds (事项类型 of DB37/T 3448.4).
const (
	KindLicensing     = "licensing"      // 行政许可
	KindConfirmation  = "confirmation"   // 行政确认
	KindRegistration  = "registration"   // 登记
	KindPublicService = "public-service" // 公共服务
	KindOther         = "other"          // 其他
)

var itemKinds = map[string]bool{KindLicensing: true, KindConfirmation: true, KindRegistration: true, KindPublicService: true, KindOther: true}

// EstablishmentItem is the code of the enterprise establishment item seeded
// with the default process (migration 00750).
const EstablishmentItem = "establishment"

// Issuance values of a definition: the terminal unified issuance (统一发证)
// the platform performs after every step (approval.IssueBundle), or none.
const (
	IssuanceUnified = "unified"
	IssuanceNone    = "none"
)

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// Material is one material of an item (申请材料).
type Material struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Required bool   `json:"required"`
	// AssetType is the on-chain asset type that satisfies the material,
	// pulled from the applicant's locker when present (7.1 c).
	AssetType string `json:"assetType,omitempty"`
	// Departments are those whose steps need the material.
	Departments []string `json:"departments,omitempty"`
}

// Item is one item of the list, with the elements of DB37/T 3448.4 that
// the establishment flow uses.
type Item struct {
	Code           string     `json:"code"`
	Name           string     `json:"name"`       // 事项名称
	Kind           string     `json:"kind"`       // 事项类型
	Department     string     `json:"department"` // 实施主体
	LegalBasis     string     `json:"legalBasis"` // 设定依据
	TimeLimitDays  int        `json:"timeLimitDays"`
	Materials      []Material `json:"materials"`
	CurrentVersion int        `json:"currentVersion,omitempty"`
	UpdatedAt      time.Time  `json:"updatedAt"`
}

// Validate checks an item's elements.
func (it *Item) Validate() error {
	var e FieldErrors
	if !codePattern.MatchString(it.Code) {
		e.Add("/code", "must be 2-40 lower-case letters, digits and hyphens starting with a letter")
	}
	if n := len([]rune(strings.TrimSpace(it.Name))); n == 0 || n > 200 {
		e.Add("/name", "is required (at most 200 characters)")
	}
	if !itemKinds[it.Kind] {
		e.Add("/kind", "must be one of licensing, confirmation, registration, public-service, other")
	}
	if !codePattern.MatchString(it.Department) {
		e.Add("/department", "must be a department code")
	}
	if strings.TrimSpace(it.LegalBasis) == "" {
		e.Add("/legalBasis", "is required")
	}
	if it.TimeLimitDays < 1 || it.TimeLimitDays > 366 {
		e.Add("/timeLimitDays", "must be 1 to 366 days")
	}
	seen := map[string]bool{}
	for i, m := range it.Materials {
		p := fmt.Sprintf("/materials/%d", i)
		if !codePattern.MatchString(m.Code) {
			e.Add(p+"/code", "must be a code of lower-case letters, digits and hyphens")
		} else if seen[m.Code] {
			e.Add(p+"/code", "%q appears twice", m.Code)
		}
		seen[m.Code] = true
		if strings.TrimSpace(m.Name) == "" {
			e.Add(p+"/name", "is required")
		}
		for j, d := range m.Departments {
			if !codePattern.MatchString(d) {
				e.Add(fmt.Sprintf("%s/departments/%d", p, j), "must be a department code")
			}
		}
	}
	return e.Err()
}
