package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

// identityTables are every table of the identity domain.
var identityTables = []string{"identity_departments", "identity_positions", "identity_users", "identity_user_positions",
	"identity_password_history", "identity_roles", "identity_role_permissions", "identity_user_roles", "identity_sessions",
	"identity_login_sources", "identity_recovery_codes", "identity_clients", "identity_client_roles", "identity_credentials",
	"identity_nonces"}

func (f *idFixture) snapshot() string {
	f.t.Helper()
	var out strings.Builder
	for _, table := range identityTables {
		var s *string
		if err := f.pool.QueryRow(context.Background(),
			fmt.Sprintf(`SELECT string_agg(t::text, '|' ORDER BY t::text) FROM %s t`, table)).Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		if s != nil {
			out.WriteString(table + ":" + *s + "\n")
		}
	}
	return out.String()
}

// TestIdentityHTTP_BadInputChangesNothing sends every identity operation
// input it must refuse: each gets a clear 4xx problem and no table changes.
func TestIdentityHTTP_BadInputChangesNothing(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	sec, _ := f.admin("security", identity.RoleSecurityAdmin)
	plain, uid := f.user(sys, "wang", "tax")
	var p api.Position
	f.ok(201, sys, "POST", "/api/v1/positions", map[string]any{"department": "market", "code": "reviewer", "name": "审核岗"}, &p)
	var pending, approved api.ApiClient
	f.ok(201, sys, "POST", "/api/v1/api-clients", map[string]any{"name": "a", "department": "tax", "purpose": "p"}, &pending)
	f.ok(201, sys, "POST", "/api/v1/api-clients", map[string]any{"name": "b", "department": "tax", "purpose": "p"}, &approved)
	f.ok(200, sec, "POST", "/api/v1/api-clients/"+approved.Id.String()+"/review", map[string]any{"approve": true, "roles": []string{"department-system"}}, nil)
	var issued api.IssuedApiCredential
	f.ok(201, sys, "POST", "/api/v1/api-clients/"+approved.Id.String()+"/credentials", map[string]any{"kind": "hmac-sm3"}, &issued)

	nobody := "00000000-0000-4000-8000-000000000000"
	users := "/api/v1/users/"
	clients := "/api/v1/api-clients/"
	long := strings.Repeat("长", 201)
	before := f.snapshot()
	cases := []struct {
		name, token, method, path string
		body                      any
		status                    int
		kind                      string
	}{
		{"login: no password", "", "POST", "/api/v1/sessions", map[string]any{"login": "root"}, 400, "invalid"},
		{"login: bad login", "", "POST", "/api/v1/sessions", map[string]any{"login": "r", "password": "x"}, 400, "invalid"},
		{"login: bad code", "", "POST", "/api/v1/sessions", map[string]any{"login": "root", "password": "x", "code": "12"}, 400, "invalid"},
		{"login: unknown field", "", "POST", "/api/v1/sessions", map[string]any{"login": "root", "password": "x", "admin": true}, 400, "invalid"},
		{"login: not JSON", "", "POST", "/api/v1/sessions", "{", 400, "invalid"},
		{"logout: no session", "", "DELETE", "/api/v1/sessions/current", nil, 401, "unauthenticated"},
		{"me: malformed bearer", "kbs_nothing", "GET", "/api/v1/me", nil, 401, "unauthenticated"},
		{"password: short", plain, "POST", "/api/v1/me/password", map[string]any{"currentPassword": fixturePassword, "newPassword": "Short-1"}, 400, "invalid"},
		{"password: contains login", plain, "POST", "/api/v1/me/password", map[string]any{"currentPassword": fixturePassword, "newPassword": "WANG-is-my-name-1"}, 400, "invalid"},
		{"password: one class", plain, "POST", "/api/v1/me/password", map[string]any{"currentPassword": fixturePassword, "newPassword": "abcdefghijklmnop"}, 400, "invalid"},
		{"password: reused", plain, "POST", "/api/v1/me/password", map[string]any{"currentPassword": fixturePassword, "newPassword": fixturePassword}, 400, "invalid"},
		{"totp enrol: no session", "", "POST", "/api/v1/me/totp", nil, 401, "unauthenticated"},
		{"totp confirm: bad code", plain, "POST", "/api/v1/me/totp/confirmation", map[string]any{"code": "12"}, 400, "invalid"},
		{"totp confirm: not enrolled", plain, "POST", "/api/v1/me/totp/confirmation", map[string]any{"code": "123456"}, 409, "conflict"},
		{"totp disable: no password", plain, "POST", "/api/v1/me/totp/disable", map[string]any{}, 400, "invalid"},
		{"departments: no permission", plain, "GET", "/api/v1/departments", nil, 403, "denied"},
		{"department: bad code", sys, "POST", "/api/v1/departments", map[string]any{"code": "Market", "name": "x"}, 400, "invalid"},
		{"department: no name", sys, "POST", "/api/v1/departments", map[string]any{"code": "notary"}, 400, "invalid"},
		{"department: bad kind", sys, "POST", "/api/v1/departments", map[string]any{"code": "notary", "name": "x", "kind": "bank"}, 400, "invalid"},
		{"department: exists", sys, "POST", "/api/v1/departments", map[string]any{"code": "market", "name": "x"}, 409, "conflict"},
		{"department: security admin", sec, "POST", "/api/v1/departments", map[string]any{"code": "notary", "name": "x"}, 403, "denied"},
		{"department update: empty", sys, "PATCH", "/api/v1/departments/market", map[string]any{}, 400, "invalid"},
		{"department update: unknown", sys, "PATCH", "/api/v1/departments/nowhere", map[string]any{"name": "x"}, 404, "not-found"},
		{"department update: long name", sys, "PATCH", "/api/v1/departments/market", map[string]any{"name": long}, 400, "invalid"},
		{"positions: bad department", sys, "GET", "/api/v1/positions?department=X", nil, 400, "invalid"},
		{"position: unknown department", sys, "POST", "/api/v1/positions", map[string]any{"department": "nowhere", "code": "a1", "name": "x"}, 400, "invalid"},
		{"position: exists", sys, "POST", "/api/v1/positions", map[string]any{"department": "market", "code": "reviewer", "name": "x"}, 409, "conflict"},
		{"position delete: bad ID", sys, "DELETE", "/api/v1/positions/42", nil, 400, "invalid"},
		{"position delete: unknown", sys, "DELETE", "/api/v1/positions/" + nobody, nil, 404, "not-found"},
		{"users: limit 0", sys, "GET", "/api/v1/users?limit=0", nil, 400, "invalid"},
		{"users: bad cursor", sys, "GET", "/api/v1/users?cursor=x", nil, 400, "invalid"},
		{"user: weak password", sys, "POST", "/api/v1/users", map[string]any{"login": "zhao", "name": "x", "department": "tax", "password": "abcdefghijklmnop"}, 400, "invalid"},
		{"user: bad login", sys, "POST", "/api/v1/users", map[string]any{"login": "z!", "name": "x", "department": "tax", "password": "Initial-Password-1"}, 400, "invalid"},
		{"user: position not UUID", sys, "POST", "/api/v1/users", map[string]any{"login": "zhao", "name": "x", "department": "tax", "password": "Initial-Password-1", "positions": []string{"x"}}, 400, "invalid"},
		{"user: position of another department", sys, "POST", "/api/v1/users", map[string]any{"login": "zhao", "name": "x", "department": "tax", "password": "Initial-Password-1", "positions": []string{p.Id.String()}}, 400, "invalid"},
		{"user: unknown department", sys, "POST", "/api/v1/users", map[string]any{"login": "zhao", "name": "x", "department": "nowhere", "password": "Initial-Password-1"}, 400, "invalid"},
		{"user: login taken", sys, "POST", "/api/v1/users", map[string]any{"login": "WANG", "name": "x", "department": "tax", "password": "Initial-Password-1"}, 409, "conflict"},
		{"user: bad ID", sys, "GET", users + "nope", nil, 400, "invalid"},
		{"user: unknown", sys, "GET", users + nobody, nil, 404, "not-found"},
		{"user update: empty", sys, "PATCH", users + uid, map[string]any{}, 400, "invalid"},
		{"user update: unknown field", sys, "PATCH", users + uid, map[string]any{"roles": []string{"sysadmin"}}, 400, "invalid"},
		{"user update: unknown department", sys, "PATCH", users + uid, map[string]any{"department": "nowhere"}, 400, "invalid"},
		{"user update: disable oneself", sys, "PATCH", users + mustID(t, f, sys), map[string]any{"disabled": true}, 409, "conflict"},
		{"password reset: short", sys, "POST", users + uid + "/password-reset", map[string]any{"password": "x"}, 400, "invalid"},
		{"password reset: policy", sys, "POST", users + uid + "/password-reset", map[string]any{"password": "wang-wang-wang-1A"}, 400, "invalid"},
		{"password reset: unknown", sys, "POST", users + nobody + "/password-reset", map[string]any{"password": "Initial-Password-1"}, 404, "not-found"},
		{"unlock: unknown", sec, "POST", users + nobody + "/unlock", nil, 404, "not-found"},
		{"unlock: bad ID", sec, "POST", users + "x/unlock", nil, 400, "invalid"},
		{"totp reset: unknown", sec, "POST", users + nobody + "/totp-reset", nil, 404, "not-found"},
		{"session revocation: unknown", sec, "POST", users + nobody + "/session-revocation", nil, 404, "not-found"},
		{"assign: bad role", sec, "PUT", users + uid + "/roles/Admin", nil, 400, "invalid"},
		{"assign: unknown role", sec, "PUT", users + uid + "/roles/emperor", nil, 400, "invalid"},
		{"assign: unknown user", sec, "PUT", users + nobody + "/roles/officer", nil, 404, "not-found"},
		{"revoke: not held", sec, "DELETE", users + uid + "/roles/officer", nil, 404, "not-found"},
		{"roles: no permission", plain, "GET", "/api/v1/roles", nil, 403, "denied"},
		{"role: reserved resource", sec, "POST", "/api/v1/roles", map[string]any{"name": "peek", "title": "x", "permissions": []any{map[string]string{"resource": "identity.users", "action": "write"}}}, 400, "invalid"},
		{"role: bad name", sec, "POST", "/api/v1/roles", map[string]any{"name": "P", "title": "x"}, 400, "invalid"},
		{"role: bad action", sec, "POST", "/api/v1/roles", map[string]any{"name": "peek", "title": "x", "permissions": []any{map[string]string{"resource": "assets", "action": "Read"}}}, 400, "invalid"},
		{"role: exists", sec, "POST", "/api/v1/roles", map[string]any{"name": "clerk", "title": "x"}, 409, "conflict"},
		{"role delete: built in", sec, "DELETE", "/api/v1/roles/clerk", nil, 409, "conflict"},
		{"role delete: unknown", sec, "DELETE", "/api/v1/roles/emperor", nil, 404, "not-found"},
		{"role permissions: missing", sec, "PUT", "/api/v1/roles/clerk/permissions", map[string]any{}, 400, "invalid"},
		{"role permissions: admin role", sec, "PUT", "/api/v1/roles/sysadmin/permissions", map[string]any{"permissions": []any{}}, 409, "conflict"},
		{"role permissions: unknown", sec, "PUT", "/api/v1/roles/emperor/permissions", map[string]any{"permissions": []any{}}, 404, "not-found"},
		{"clients: bad status", sys, "GET", "/api/v1/api-clients?status=maybe", nil, 400, "invalid"},
		{"apply: no purpose", sys, "POST", "/api/v1/api-clients", map[string]any{"name": "x", "department": "tax"}, 400, "invalid"},
		{"apply: unknown department", sys, "POST", "/api/v1/api-clients", map[string]any{"name": "x", "department": "nowhere", "purpose": "p"}, 400, "invalid"},
		{"client: bad ID", sys, "GET", clients + "x", nil, 400, "invalid"},
		{"client: unknown", sys, "GET", clients + nobody, nil, 404, "not-found"},
		{"review: admin role", sec, "POST", clients + pending.Id.String() + "/review", map[string]any{"approve": true, "roles": []string{"auditadmin"}}, 400, "invalid"},
		{"review: no decision", sec, "POST", clients + pending.Id.String() + "/review", map[string]any{"roles": []string{"officer"}}, 400, "invalid"},
		{"review: unknown role", sec, "POST", clients + pending.Id.String() + "/review", map[string]any{"approve": true, "roles": []string{"emperor"}}, 400, "invalid"},
		{"review: reviewed already", sec, "POST", clients + approved.Id.String() + "/review", map[string]any{"approve": false}, 409, "conflict"},
		{"credential: unknown kind", sys, "POST", clients + approved.Id.String() + "/credentials", map[string]any{"kind": "rsa"}, 400, "invalid"},
		{"credential: sm2 without key", sys, "POST", clients + approved.Id.String() + "/credentials", map[string]any{"kind": "sm2"}, 400, "invalid"},
		{"credential: bad certificate", sys, "POST", clients + approved.Id.String() + "/credentials", map[string]any{"kind": "mtls", "certificate": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, 400, "invalid"},
		{"credential: certificate with hmac", sys, "POST", clients + approved.Id.String() + "/credentials", map[string]any{"kind": "hmac-sm3", "certificate": "x"}, 400, "invalid"},
		{"credential: past notAfter", sys, "POST", clients + approved.Id.String() + "/credentials", map[string]any{"kind": "hmac-sm3", "notAfter": "2020-01-01T00:00:00Z"}, 400, "invalid"},
		{"credential: pending client", sys, "POST", clients + pending.Id.String() + "/credentials", map[string]any{"kind": "hmac-sm3"}, 409, "conflict"},
		{"credential revoke: bad ID", sec, "DELETE", clients + approved.Id.String() + "/credentials/key1", nil, 400, "invalid"},
		{"credential revoke: other client", sec, "DELETE", clients + pending.Id.String() + "/credentials/" + issued.Credential.Id, nil, 404, "not-found"},
		{"client revoke: unknown", sec, "POST", clients + nobody + "/revocation", map[string]any{}, 404, "not-found"},
		{"client revoke: long note", sec, "POST", clients + approved.Id.String() + "/revocation", map[string]any{"note": strings.Repeat("n", 2001)}, 400, "invalid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, f.call(c.token, c.method, c.path, c.body), c.status, c.kind)
			if p.Detail == nil || *p.Detail == "" {
				t.Fatalf("problem without detail: %+v", p)
			}
		})
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("refused requests changed the identity tables:\nbefore %s\nafter  %s", before, after)
	}
}

func mustID(t *testing.T, f *idFixture, token string) string {
	t.Helper()
	var me api.Principal
	f.ok(200, token, "GET", "/api/v1/me", nil, &me)
	return me.Id
}
