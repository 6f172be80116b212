package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Access control is role-based: a permission is a (resource, action) pair,
// a role holds permissions, users and API clients hold roles, and a request
// is allowed when any of the caller's roles holds the permission (or "*" for
// the action or resource). The policy is flat — no role hierarchy, no
// attribute expressions — so it is a map lookup here rather than a casbin
// model: one rule set, readable in SQL (identity_role_permissions) and in
// docs/security.md, with the separation-of-duties constraints that casbin
// would not enforce anyway kept where roles are assigned.

// Permission is an action on a resource, e.g. {"identity.users", "write"}.
type Permission struct {
	Resource string `json:"resource"`
	Action   string `json:"action"`
}

// Perm returns the permission to do action on resource.
func Perm(resource, action string) Permission { return Permission{resource, action} }

func (p Permission) String() string { return p.Resource + ":" + p.Action }

// Administrator roles (三员分立). No user holds two of them.
const (
	RoleSystemAdmin   = "sysadmin"   // 系统管理员: departments, users, system configuration
	RoleSecurityAdmin = "secadmin"   // 安全管理员: roles, role assignment, client review, unlocks
	RoleAuditAdmin    = "auditadmin" // 审计管理员: the audit log and its verification
)

// AdminRoles lists the three administrator roles.
var AdminRoles = []string{RoleSystemAdmin, RoleSecurityAdmin, RoleAuditAdmin}

// Role is a named set of permissions.
type Role struct {
	Name        string       `json:"name"`
	Title       string       `json:"title"`
	Builtin     bool         `json:"builtin"`
	AdminKind   string       `json:"adminKind,omitempty"` // system, security or audit
	Permissions []Permission `json:"permissions"`
}

// reservedResource reports whether only the administrator roles may hold
// permissions on resource: otherwise a security administrator could put
// "audit.log:read" into a custom role and hand the auditor's power to a
// system administrator, undoing the separation of duties.
func reservedResource(resource string) bool {
	return resource == "*" || strings.HasPrefix(resource, "identity.") || strings.HasPrefix(resource, "audit.") || resource == "keys"
}

// policyCache holds the role → permissions map. It is reloaded when this
// process changes a role, when the cache's listener hears that
// another process did, and at most policyTTL after another process did
// otherwise.
type policyCache struct {
	db  *pgxpool.Pool
	mu  sync.RWMutex
	at  time.Time
	gen uint64 // bumped by invalidate: a load that raced one is not kept
	m   map[string]map[Permission]bool
}

const policyTTL = 5 * time.Second

func newPolicyCache(db *pgxpool.Pool) *policyCache { return &policyCache{db: db} }

func (c *policyCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.gen++
	c.mu.Unlock()
}

func (c *policyCache) get(ctx context.Context) (map[string]map[Permission]bool, error) {
	c.mu.RLock()
	m, at, gen := c.m, c.at, c.gen
	c.mu.RUnlock()
	if m != nil && time.Since(at) < policyTTL {
		return m, nil
	}
	rows, err := c.db.Query(ctx, "SELECT role, resource, action FROM identity_role_permissions")
	if err != nil {
		if m != nil {
			return m, nil // keep deciding on the last policy while the database is away
		}
		return nil, fmt.Errorf("load access policy: %w", err)
	}
	defer rows.Close()
	fresh := map[string]map[Permission]bool{}
	for rows.Next() {
		var role string
		var p Permission
		if err := rows.Scan(&role, &p.Resource, &p.Action); err != nil {
			return nil, fmt.Errorf("load access policy: %w", err)
		}
		if fresh[role] == nil {
			fresh[role] = map[Permission]bool{}
		}
		fresh[role][p] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load access policy: %w", err)
	}
	c.mu.Lock()
	if c.gen == gen {
		c.m, c.at = fresh, time.Now()
	}
	c.mu.Unlock()
	return fresh, nil
}

// Authorize returns nil when p may do perm: ErrUnauthenticated for no
// principal, ErrPasswordChangeRequired for a session that must change its
// password first, ErrForbidden when no role of p holds perm.
func (s *Service) Authorize(ctx context.Context, p *Principal, perm Permission) error {
	if p == nil {
		return ErrUnauthenticated
	}
	if p.MustChangePassword {
		return ErrPasswordChangeRequired
	}
	m, err := s.policy.get(ctx)
	if err != nil {
		return err
	}
	for _, r := range p.Roles {
		grants := m[r]
		if grants[perm] || grants[Permission{perm.Resource, "*"}] || grants[Permission{"*", perm.Action}] || grants[Permission{"*", "*"}] {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrForbidden, perm)
}

// Permissions returns what p's roles allow, as the union of their grants
// (wildcards as granted), sorted: what the portal builds its menus from.
// Authorize still decides each request.
func (s *Service) Permissions(ctx context.Context, p *Principal) ([]Permission, error) {
	if p == nil {
		return nil, ErrUnauthenticated
	}
	m, err := s.policy.get(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[Permission]bool{}
	out := make([]Permission, 0)
	for _, r := range p.Roles {
		for perm := range m[r] {
			if !seen[perm] {
				seen[perm] = true
				out = append(out, perm)
			}
		}
	}
	slices.SortFunc(out, func(a, b Permission) int { return cmp.Compare(a.String(), b.String()) })
	return out, nil
}

var (
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)
	resourceRE = regexp.MustCompile(`^([a-z][a-z0-9.-]{0,63}|\*)$`)
	actionRE   = regexp.MustCompile(`^([a-z][a-z0-9-]{0,31}|\*)$`)
)

func checkTitle(field, v string) error {
	if n := len([]rune(strings.TrimSpace(v))); n < 1 || n > 200 {
		return invalid(field, "must have 1 to 200 characters")
	}
	return nil
}

func checkPermissions(perms []Permission) error {
	if len(perms) > 200 {
		return invalid("permissions", "at most 200")
	}
	for i, p := range perms {
		if !resourceRE.MatchString(p.Resource) {
			return invalid(fmt.Sprintf("permissions[%d].resource", i), "must be lower-case words separated by dots or hyphens, or *")
		}
		if !actionRE.MatchString(p.Action) {
			return invalid(fmt.Sprintf("permissions[%d].action", i), "must be a lower-case word, or *")
		}
		if reservedResource(p.Resource) {
			return invalid(fmt.Sprintf("permissions[%d].resource", i), "%q is reserved to the administrator roles", p.Resource)
		}
	}
	return nil
}

// ListRoles returns every role with its permissions, by name.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.db.Query(ctx, `SELECT r.name, r.title, r.builtin, coalesce(r.admin_kind, ''),
		coalesce(array_agg(p.resource || ':' || p.action ORDER BY p.resource, p.action) FILTER (WHERE p.role IS NOT NULL), '{}')
		FROM identity_roles r LEFT JOIN identity_role_permissions p ON p.role = r.name
		GROUP BY r.name ORDER BY r.name`)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	defer rows.Close()
	out := []Role{}
	for rows.Next() {
		var r Role
		var perms []string
		if err := rows.Scan(&r.Name, &r.Title, &r.Builtin, &r.AdminKind, &perms); err != nil {
			return nil, fmt.Errorf("list roles: %w", err)
		}
		r.Permissions = make([]Permission, 0, len(perms))
		for _, p := range perms {
			res, act, _ := strings.Cut(p, ":")
			r.Permissions = append(r.Permissions, Permission{res, act})
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetRole returns one role.
func (s *Service) GetRole(ctx context.Context, name string) (Role, error) {
	roles, err := s.ListRoles(ctx)
	if err != nil {
		return Role{}, err
	}
	for _, r := range roles {
		if r.Name == name {
			return r, nil
		}
	}
	return Role{}, fmt.Errorf("role %q: %w", name, ErrNotFound)
}

// CreateRole defines a business role. Administrator roles are built in and
// cannot be created.
func (s *Service) CreateRole(ctx context.Context, actor *Principal, r Role) (Role, error) {
	if !nameRE.MatchString(r.Name) {
		return Role{}, invalid("name", "must be 2-40 lower-case letters, digits or hyphens, starting with a letter")
	}
	if err := checkTitle("title", r.Title); err != nil {
		return Role{}, err
	}
	if r.AdminKind != "" || r.Builtin {
		return Role{}, invalid("adminKind", "administrator and built-in roles cannot be created")
	}
	if err := checkPermissions(r.Permissions); err != nil {
		return Role{}, err
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO identity_roles (name, title) VALUES ($1, $2)", r.Name, strings.TrimSpace(r.Title)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("role %q: %w", r.Name, ErrConflict)
			}
			return fmt.Errorf("create role %s: %w", r.Name, err)
		}
		return insertPermissions(ctx, tx, r.Name, r.Permissions)
	})
	if err != nil {
		return Role{}, err
	}
	s.policy.invalidate()
	if err := s.record(ctx, s.event(actor, "identity.role.create", "role:"+r.Name, audit.ResultOK, nil)); err != nil {
		return Role{}, err
	}
	return s.GetRole(ctx, r.Name)
}

func insertPermissions(ctx context.Context, tx pgx.Tx, role string, perms []Permission) error {
	for _, p := range perms {
		if _, err := tx.Exec(ctx, `INSERT INTO identity_role_permissions (role, resource, action) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, role, p.Resource, p.Action); err != nil {
			return fmt.Errorf("role %s permission %s: %w", role, p, err)
		}
	}
	return nil
}

// SetRolePermissions replaces a role's permissions. The administrator roles'
// permissions are fixed: changing them would let one administrator widen
// their own power.
func (s *Service) SetRolePermissions(ctx context.Context, actor *Principal, name string, perms []Permission) (Role, error) {
	if err := checkPermissions(perms); err != nil {
		return Role{}, err
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var adminKind string
		err := tx.QueryRow(ctx, "SELECT coalesce(admin_kind, '') FROM identity_roles WHERE name = $1 FOR UPDATE", name).Scan(&adminKind)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("role %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("role %s: %w", name, err)
		}
		if adminKind != "" {
			return fmt.Errorf("role %s is an administrator role, its permissions are fixed: %w", name, ErrConflict)
		}
		if _, err := tx.Exec(ctx, "DELETE FROM identity_role_permissions WHERE role = $1", name); err != nil {
			return fmt.Errorf("role %s: %w", name, err)
		}
		return insertPermissions(ctx, tx, name, perms)
	})
	if err != nil {
		return Role{}, err
	}
	s.policy.invalidate()
	if err := s.record(ctx, s.event(actor, "identity.role.permissions", "role:"+name, audit.ResultOK, map[string]any{"permissions": perms})); err != nil {
		return Role{}, err
	}
	return s.GetRole(ctx, name)
}

// DeleteRole deletes a role that is neither built in nor held by anyone.
func (s *Service) DeleteRole(ctx context.Context, actor *Principal, name string) error {
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var builtin bool
		err := tx.QueryRow(ctx, "SELECT builtin FROM identity_roles WHERE name = $1 FOR UPDATE", name).Scan(&builtin)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("role %q: %w", name, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("role %s: %w", name, err)
		}
		if builtin {
			return fmt.Errorf("role %s is built in: %w", name, ErrConflict)
		}
		var held bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM identity_user_roles WHERE role = $1)
			OR EXISTS (SELECT 1 FROM identity_client_roles WHERE role = $1)`, name).Scan(&held); err != nil {
			return fmt.Errorf("role %s: %w", name, err)
		}
		if held {
			return fmt.Errorf("role %s is still held: %w", name, ErrConflict)
		}
		_, err = tx.Exec(ctx, "DELETE FROM identity_roles WHERE name = $1", name)
		return err
	})
	if err != nil {
		return err
	}
	s.policy.invalidate()
	return s.record(ctx, s.event(actor, "identity.role.delete", "role:"+name, audit.ResultOK, nil))
}

// AssignRole gives user userID the role. It enforces the separation of
// duties: nobody changes their own roles, and no user holds two of the three
// administrator roles (checked here under a lock on the user's row, and again
// by a trigger in the database). The user's sessions end: privileges changed.
func (s *Service) AssignRole(ctx context.Context, actor *Principal, userID, role string) error {
	if actor != nil && actor.Kind == KindUser && actor.ID == userID {
		s.record(ctx, s.event(actor, "identity.role.assign", "user:"+userID, audit.ResultDenied, map[string]any{"role": role, "reason": "self-assignment"}))
		return ErrSelfAssignment
	}
	if !isUUID(userID) {
		return fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, userID); err != nil {
			return err
		}
		var adminKind string
		err := tx.QueryRow(ctx, "SELECT coalesce(admin_kind, '') FROM identity_roles WHERE name = $1", role).Scan(&adminKind)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("role", "no role %q", role)
		}
		if err != nil {
			return fmt.Errorf("role %s: %w", role, err)
		}
		if adminKind != "" {
			var held string
			err := tx.QueryRow(ctx, `SELECT r.name FROM identity_user_roles ur JOIN identity_roles r ON r.name = ur.role
				WHERE ur.user_id = $1 AND r.admin_kind IS NOT NULL AND r.admin_kind <> $2 LIMIT 1`, userID, adminKind).Scan(&held)
			if err == nil {
				return fmt.Errorf("%w (the user holds %s)", ErrSeparationOfDuties, held)
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("assign role %s: %w", role, err)
			}
		}
		tag, err := tx.Exec(ctx, `INSERT INTO identity_user_roles (user_id, role, granted_by) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, userID, role, actorUserID(actor))
		if err != nil {
			if isCheck(err, "identity_separate_admin_roles") {
				return ErrSeparationOfDuties
			}
			return fmt.Errorf("assign role %s: %w", role, err)
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		return revokeUserSessions(ctx, tx, userID, "", s.now())
	})
	s.forgetUser(userID)
	if errors.Is(err, ErrSeparationOfDuties) {
		s.record(ctx, s.event(actor, "identity.role.assign", "user:"+userID, audit.ResultDenied, map[string]any{"role": role, "reason": "separation-of-duties"}))
	}
	if err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.role.assign", "user:"+userID, audit.ResultOK, map[string]any{"role": role}))
}

// RevokeRole takes role from user userID, ending their sessions. Nobody
// revokes their own roles, and the last enabled holder of an administrator
// role keeps it, so that the platform is never left without one.
func (s *Service) RevokeRole(ctx context.Context, actor *Principal, userID, role string) error {
	if actor != nil && actor.Kind == KindUser && actor.ID == userID {
		return ErrSelfAssignment
	}
	if !isUUID(userID) {
		return fmt.Errorf("user %q: %w", userID, ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, userID); err != nil {
			return err
		}
		// Lock the role's row so two revocations of the last two holders
		// cannot both see the other one still there.
		var adminKind string
		err := tx.QueryRow(ctx, "SELECT coalesce(admin_kind, '') FROM identity_roles WHERE name = $1 FOR UPDATE", role).Scan(&adminKind)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("role %q: %w", role, ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("revoke role %s: %w", role, err)
		}
		tag, err := tx.Exec(ctx, "DELETE FROM identity_user_roles WHERE user_id = $1 AND role = $2", userID, role)
		if err != nil {
			return fmt.Errorf("revoke role %s: %w", role, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %s does not hold %s: %w", userID, role, ErrNotFound)
		}
		if adminKind != "" {
			var left int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM identity_user_roles ur JOIN identity_users u ON u.id = ur.user_id
				WHERE ur.role = $1 AND NOT u.disabled`, role).Scan(&left); err != nil {
				return fmt.Errorf("revoke role %s: %w", role, err)
			}
			if left == 0 {
				return fmt.Errorf("%s is the last enabled holder of %s: %w", userID, role, ErrConflict)
			}
		}
		return revokeUserSessions(ctx, tx, userID, "", s.now())
	})
	s.forgetUser(userID)
	if err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.role.revoke", "user:"+userID, audit.ResultOK, map[string]any{"role": role}))
}

func lockUser(ctx context.Context, tx pgx.Tx, userID string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM identity_users WHERE id = $1 FOR UPDATE", userID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("user %s: %w", userID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("user %s: %w", userID, err)
	}
	return nil
}

func actorUserID(actor *Principal) any {
	if actor == nil || actor.Kind != KindUser {
		return nil
	}
	return actor.ID
}

func isUnique(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505"
}

func isForeignKey(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503"
}

func isCheck(err error, constraint string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23514" && (constraint == "" || pg.ConstraintName == constraint)
}

// isUUID accepts a UUID in PostgreSQL's output form (lower-case hex, 8-4-4-4-12),
// checked by hand rather than by a regular expression: it runs on every
// lookup by ID, and the expression cost more than the cached lookup.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

func sortedUnique(v []string) []string {
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}
