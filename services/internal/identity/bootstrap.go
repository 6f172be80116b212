package identity

import (
	"context"
	"fmt"
	"slices"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Bootstrap. A fresh platform has no users, and the API gives roles only to
// a security administrator acting on someone else. The first administrators
// are therefore created from the command line by whoever operates the
// database (`kaiban admin create --role sysadmin|secadmin|auditadmin LOGIN`):
// the command prints a generated initial password once, and the account must
// change it at first login — no password sits in a configuration file, and
// an installation gets the three separated administrators as three
// accounts from the start. The command is refused once an enabled holder of
// the role exists (use the API then), unless forced.

// CreateAdmin creates an account in the operator's department holding one
// administrator role, with a generated initial password that must be
// changed at first login. It returns the user and the password. Unless
// force, it fails with ErrConflict when an enabled holder of role exists.
func (s *Service) CreateAdmin(ctx context.Context, login, name, role string, force bool) (User, string, error) {
	if !slices.Contains(AdminRoles, role) {
		return User{}, "", invalid("role", "must be one of %v", AdminRoles)
	}
	if !force {
		var n int
		if err := s.db.QueryRow(ctx, `SELECT count(*) FROM identity_user_roles ur JOIN identity_users u ON u.id = ur.user_id
			WHERE ur.role = $1 AND NOT u.disabled`, role).Scan(&n); err != nil {
			return User{}, "", fmt.Errorf("create admin: %w", err)
		}
		if n > 0 {
			return User{}, "", fmt.Errorf("an enabled %s exists; create further administrators through the API: %w", role, ErrConflict)
		}
	}
	password, err := GeneratePassword(login)
	if err != nil {
		return User{}, "", err
	}
	var operator string
	if err := s.db.QueryRow(ctx, "SELECT code FROM identity_departments WHERE kind = 'operator' ORDER BY code LIMIT 1").Scan(&operator); err != nil {
		return User{}, "", fmt.Errorf("create admin: no operator department: %w", err)
	}
	u, err := s.createUser(ctx, NewUser{Login: login, Name: name, Department: operator, Password: password}, []string{role}, true)
	if err != nil {
		return User{}, "", err
	}
	err = s.record(ctx, audit.Entry{ActorKind: audit.ActorSystem, ActorID: "cli", ActorName: "kaiban admin create",
		Action: "identity.admin.create", Resource: "user:" + u.ID, Result: audit.ResultOK, Detail: `{"role":"` + role + `"}`})
	return u, password, err
}

// GeneratePassword returns a random 20-character password that satisfies
// CheckPasswordPolicy for login (about 115 bits).
func GeneratePassword(login string) (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!"
	for {
		p, err := randomString(alphabet, 20)
		if err != nil {
			return "", err
		}
		if CheckPasswordPolicy(login, p) == nil {
			return p, nil
		}
	}
}

// MissingAdmins lists the administrator roles no enabled user holds, for a
// starting process to say which `kaiban admin create` is still to run.
func (s *Service) MissingAdmins(ctx context.Context) ([]string, error) {
	var missing []string
	err := s.db.QueryRow(ctx, `SELECT coalesce(array_agg(r ORDER BY r), '{}') FROM unnest($1::text[]) r
		WHERE NOT EXISTS (SELECT 1 FROM identity_user_roles ur JOIN identity_users u ON u.id = ur.user_id
		                  WHERE ur.role = r AND NOT u.disabled)`, AdminRoles).Scan(&missing)
	if err != nil {
		return nil, fmt.Errorf("administrators: %w", err)
	}
	return missing, nil
}

// CreateDemoUser creates an account holding roles whose password need not be
// changed at sign-in. It exists for the demo accounts of `kaiban dev`, whose
// one password is published in the developers' guide: nothing that runs
// outside kaiban dev may call it. An existing login is ErrConflict.
func (s *Service) CreateDemoUser(ctx context.Context, nu NewUser, roles []string) (User, error) {
	u, err := s.createUser(ctx, nu, roles, false)
	if err != nil {
		return User{}, err
	}
	err = s.record(ctx, audit.Entry{ActorKind: audit.ActorSystem, ActorID: "kaiban-dev", ActorName: "kaiban dev demo data",
		Action: "identity.demo-user.create", Resource: "user:" + u.ID, Result: audit.ResultOK, Detail: `{"login":"` + u.Login + `"}`})
	return u, err
}
