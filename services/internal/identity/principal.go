package identity

import (
	"context"
	"slices"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Principal kinds.
const (
	KindUser   = "user"
	KindClient = "client" // a department system or ISV (API client)
)

// Authentication methods a Principal may have used.
const (
	MethodSession = "session"
	MethodHMAC    = "hmac-sm3"
	MethodSM2     = "sm2"
	MethodMTLS    = "mtls"
)

// Principal is who is calling: a user with a session, or an API client
// authenticated by signature or certificate.
type Principal struct {
	Kind       string   `json:"kind"`
	ID         string   `json:"id"`
	Name       string   `json:"name"` // login name, or the client's name
	Department string   `json:"department"`
	Roles      []string `json:"roles"`
	Method     string   `json:"method"`
	// SessionID is the user's session (MethodSession).
	SessionID string `json:"-"`
	// CredentialID is the API key ID or certificate credential used.
	CredentialID string `json:"-"`
	// MustChangePassword restricts the session to changing the password.
	MustChangePassword bool `json:"mustChangePassword"`
}

// HasRole reports whether p holds role.
func (p *Principal) HasRole(role string) bool { return p != nil && slices.Contains(p.Roles, role) }

// AuditActor is p as the audit log names it.
func (p *Principal) AuditActor() audit.Actor {
	if p == nil {
		return audit.Actor{Kind: audit.ActorAnonymous}
	}
	kind := audit.ActorUser
	if p.Kind == KindClient {
		kind = audit.ActorClient
	}
	return audit.Actor{Kind: kind, ID: p.ID, Name: p.Name}
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p, and names p as the actor of the
// request's audit entries.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	audit.SetActor(ctx, p.AuditActor())
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal ctx carries, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
