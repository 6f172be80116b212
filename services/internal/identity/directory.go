package identity

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Department kinds.
const (
	DeptKindOperator   = "operator"   // the platform operator (联盟链建设方)
	DeptKindDepartment = "department" // a department of clause 7.7
	DeptKindOther      = "other"
)

// Department is an organisation whose staff or systems use the platform:
// the seven departments of 7.7 (codes of chaincode/model), the operator, and
// any other added later.
type Department struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"createdAt"`
}

// Position is a post (岗位) within a department.
type Position struct {
	ID         string    `json:"id"`
	Department string    `json:"department"`
	Code       string    `json:"code"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"createdAt"`
}

// User is a member of staff. Name is personal information, sealed at rest.
type User struct {
	ID                 string     `json:"id"`
	Login              string     `json:"login"`
	Name               string     `json:"name"`
	Department         string     `json:"department"`
	Positions          []string   `json:"positions"` // position IDs
	Roles              []string   `json:"roles"`
	Disabled           bool       `json:"disabled"`
	MustChangePassword bool       `json:"mustChangePassword"`
	TOTPEnabled        bool       `json:"totpEnabled"`
	LockedUntil        *time.Time `json:"lockedUntil,omitempty"`
	CreatedAt          time.Time  `json:"createdAt"`
}

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)
var loginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)

// CreateDepartment adds a department.
func (s *Service) CreateDepartment(ctx context.Context, actor *Principal, d Department) (Department, error) {
	if !codeRE.MatchString(d.Code) {
		return Department{}, invalid("code", "must be 2-40 lower-case letters, digits or hyphens, starting with a letter")
	}
	if err := checkTitle("name", d.Name); err != nil {
		return Department{}, err
	}
	if d.Kind == "" {
		d.Kind = DeptKindDepartment
	}
	if d.Kind != DeptKindOperator && d.Kind != DeptKindDepartment && d.Kind != DeptKindOther {
		return Department{}, invalid("kind", "must be operator, department or other")
	}
	err := s.db.QueryRow(ctx, `INSERT INTO identity_departments (code, name, kind) VALUES ($1, $2, $3) RETURNING created_at`,
		d.Code, strings.TrimSpace(d.Name), d.Kind).Scan(&d.CreatedAt)
	if isUnique(err) {
		return Department{}, fmt.Errorf("department %q: %w", d.Code, ErrConflict)
	}
	if err != nil {
		return Department{}, fmt.Errorf("create department %s: %w", d.Code, err)
	}
	d.Name = strings.TrimSpace(d.Name)
	return d, s.record(ctx, s.event(actor, "identity.department.create", "department:"+d.Code, audit.ResultOK, nil))
}

// DepartmentUpdate changes a department; nil fields stay.
type DepartmentUpdate struct {
	Name     *string `json:"name,omitempty"`
	Disabled *bool   `json:"disabled,omitempty"`
}

// UpdateDepartment renames or disables a department. Its code is permanent:
// it is written on chain.
func (s *Service) UpdateDepartment(ctx context.Context, actor *Principal, code string, u DepartmentUpdate) (Department, error) {
	if u.Name != nil {
		if err := checkTitle("name", *u.Name); err != nil {
			return Department{}, err
		}
		*u.Name = strings.TrimSpace(*u.Name)
	}
	var d Department
	err := s.db.QueryRow(ctx, `UPDATE identity_departments SET name = coalesce($2, name), disabled = coalesce($3, disabled)
		WHERE code = $1 RETURNING code, name, kind, disabled, created_at`, code, u.Name, u.Disabled).
		Scan(&d.Code, &d.Name, &d.Kind, &d.Disabled, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Department{}, fmt.Errorf("department %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return Department{}, fmt.Errorf("update department %s: %w", code, err)
	}
	return d, s.record(ctx, s.event(actor, "identity.department.update", "department:"+code, audit.ResultOK, nil))
}

// ListDepartments returns every department by code.
func (s *Service) ListDepartments(ctx context.Context) ([]Department, error) {
	rows, err := s.db.Query(ctx, "SELECT code, name, kind, disabled, created_at FROM identity_departments ORDER BY code")
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Department, error) {
		var d Department
		err := r.Scan(&d.Code, &d.Name, &d.Kind, &d.Disabled, &d.CreatedAt)
		return d, err
	})
}

// CreatePosition adds a position to a department.
func (s *Service) CreatePosition(ctx context.Context, actor *Principal, p Position) (Position, error) {
	if !codeRE.MatchString(p.Code) {
		return Position{}, invalid("code", "must be 2-40 lower-case letters, digits or hyphens, starting with a letter")
	}
	if err := checkTitle("name", p.Name); err != nil {
		return Position{}, err
	}
	p.Name = strings.TrimSpace(p.Name)
	err := s.db.QueryRow(ctx, `INSERT INTO identity_positions (department_code, code, name) VALUES ($1, $2, $3)
		RETURNING id, created_at`, p.Department, p.Code, p.Name).Scan(&p.ID, &p.CreatedAt)
	switch {
	case isUnique(err):
		return Position{}, fmt.Errorf("position %s/%s: %w", p.Department, p.Code, ErrConflict)
	case isForeignKey(err):
		return Position{}, invalid("department", "no department %q", p.Department)
	case err != nil:
		return Position{}, fmt.Errorf("create position: %w", err)
	}
	return p, s.record(ctx, s.event(actor, "identity.position.create", "position:"+p.ID, audit.ResultOK, nil))
}

// ListPositions returns the positions of department (all when empty).
func (s *Service) ListPositions(ctx context.Context, department string) ([]Position, error) {
	rows, err := s.db.Query(ctx, `SELECT id, department_code, code, name, created_at FROM identity_positions
		WHERE $1 = '' OR department_code = $1 ORDER BY department_code, code`, department)
	if err != nil {
		return nil, fmt.Errorf("list positions: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Position, error) {
		var p Position
		err := r.Scan(&p.ID, &p.Department, &p.Code, &p.Name, &p.CreatedAt)
		return p, err
	})
}

// DeletePosition deletes a position nobody holds.
func (s *Service) DeletePosition(ctx context.Context, actor *Principal, id string) error {
	if !isUUID(id) {
		return fmt.Errorf("position %q: %w", id, ErrNotFound)
	}
	tag, err := s.db.Exec(ctx, "DELETE FROM identity_positions WHERE id = $1", id)
	if isForeignKey(err) {
		return fmt.Errorf("position %s is still held: %w", id, ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("delete position %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("position %s: %w", id, ErrNotFound)
	}
	return s.record(ctx, s.event(actor, "identity.position.delete", "position:"+id, audit.ResultOK, nil))
}

// NewUser is what creating a user takes. Password is the initial password,
// which the user must change at first login.
type NewUser struct {
	Login      string   `json:"login"`
	Name       string   `json:"name"`
	Department string   `json:"department"`
	Positions  []string `json:"positions"`
	Password   string   `json:"password"`
}

// CreateUser creates a user with no roles; roles are the security
// administrator's to give (AssignRole).
func (s *Service) CreateUser(ctx context.Context, actor *Principal, nu NewUser) (User, error) {
	u, err := s.createUser(ctx, nu, nil, true)
	if err != nil {
		return User{}, err
	}
	return u, s.record(ctx, s.event(actor, "identity.user.create", "user:"+u.ID, audit.ResultOK, map[string]any{"login": u.Login}))
}

func (s *Service) createUser(ctx context.Context, nu NewUser, roles []string, mustChange bool) (User, error) {
	nu.Login = strings.ToLower(strings.TrimSpace(nu.Login))
	if !loginRE.MatchString(nu.Login) {
		return User{}, invalid("login", "must be 3-64 lower-case letters, digits, '.', '_' or '-'")
	}
	if err := checkTitle("name", nu.Name); err != nil {
		return User{}, err
	}
	if err := CheckPasswordPolicy(nu.Login, nu.Password); err != nil {
		return User{}, err
	}
	if len(nu.Positions) > 50 {
		return User{}, invalid("positions", "at most 50")
	}
	for _, p := range nu.Positions {
		if !isUUID(p) {
			return User{}, invalid("positions", "%q is not a position ID", p)
		}
	}
	hash, err := hashPassword(nu.Password, s.cfg.PasswordIterations)
	if err != nil {
		return User{}, err
	}
	var id string
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT gen_random_uuid()").Scan(&id); err != nil {
			return err
		}
		sealed, err := s.names.Seal("identity.user.name", id, strings.TrimSpace(nu.Name))
		if err != nil {
			return fmt.Errorf("seal name: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO identity_users (id, login, name_sealed, department_code, password_hash, must_change_password)
			VALUES ($1, $2, $3, $4, $5, $6)`, id, nu.Login, sealed, nu.Department, hash, mustChange)
		switch {
		case isUnique(err):
			return fmt.Errorf("login %q: %w", nu.Login, ErrConflict)
		case isForeignKey(err):
			return invalid("department", "no department %q", nu.Department)
		case err != nil:
			return fmt.Errorf("create user: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO identity_password_history (user_id, hash) VALUES ($1, $2)", id, hash); err != nil {
			return err
		}
		if err := setPositions(ctx, tx, id, nu.Department, nu.Positions); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.Exec(ctx, "INSERT INTO identity_user_roles (user_id, role) VALUES ($1, $2)", id, r); err != nil {
				if isCheck(err, "identity_separate_admin_roles") {
					return ErrSeparationOfDuties
				}
				return fmt.Errorf("role %s: %w", r, err)
			}
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return s.GetUser(ctx, id)
}

// setPositions replaces a user's positions, which must belong to the user's
// department.
func setPositions(ctx context.Context, tx pgx.Tx, userID, department string, positions []string) error {
	positions = sortedUnique(positions)
	if _, err := tx.Exec(ctx, "DELETE FROM identity_user_positions WHERE user_id = $1", userID); err != nil {
		return err
	}
	if len(positions) == 0 {
		return nil
	}
	var n int
	if err := tx.QueryRow(ctx, "SELECT count(*) FROM identity_positions WHERE id = ANY($1) AND department_code = $2",
		positions, department).Scan(&n); err != nil {
		return err
	}
	if n != len(positions) {
		return invalid("positions", "every position must exist in department %q", department)
	}
	_, err := tx.Exec(ctx, "INSERT INTO identity_user_positions (user_id, position_id) SELECT $1, unnest($2::uuid[])", userID, positions)
	return err
}

const userColumns = `u.id, u.login, u.name_sealed, u.department_code, u.disabled, u.must_change_password, u.totp_enabled,
	u.locked_until, u.created_at,
	coalesce((SELECT array_agg(position_id::text ORDER BY position_id) FROM identity_user_positions WHERE user_id = u.id), '{}'),
	coalesce((SELECT array_agg(role ORDER BY role) FROM identity_user_roles WHERE user_id = u.id), '{}')`

func (s *Service) scanUser(row pgx.Row) (User, error) {
	var u User
	var sealed []byte
	if err := row.Scan(&u.ID, &u.Login, &sealed, &u.Department, &u.Disabled, &u.MustChangePassword, &u.TOTPEnabled,
		&u.LockedUntil, &u.CreatedAt, &u.Positions, &u.Roles); err != nil {
		return User{}, err
	}
	name, err := s.names.Open("identity.user.name", u.ID, sealed)
	if err != nil {
		return User{}, fmt.Errorf("user %s name: %w", u.ID, err)
	}
	u.Name = name
	s.unlockExpired(&u)
	return u, nil
}

// unlockExpired clears a lockout that has run out: it is no lockout, though
// the row keeps its time until the next login.
func (s *Service) unlockExpired(u *User) {
	if u.LockedUntil != nil && !u.LockedUntil.After(s.now()) {
		u.LockedUntil = nil
	}
}

// GetUser returns one user. With the cache (WithCache), a user read in the
// last touchEvery is answered from memory; cache.go explains why that never
// outlives a change.
func (s *Service) GetUser(ctx context.Context, id string) (User, error) {
	if !isUUID(id) {
		return User{}, fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	var gen uint64
	if s.cache != nil {
		if u, ok := s.cache.user(id); ok {
			s.unlockExpired(&u)
			return u, nil
		}
		gen = s.cache.generation()
	}
	readAt := time.Now()
	u, err := s.scanUser(s.db.QueryRow(ctx, "SELECT "+userColumns+" FROM identity_users u WHERE u.id = $1", id))
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	if err == nil && s.cache != nil {
		s.cache.putUser(u, readAt, gen)
	}
	return u, err
}

// UserFilter selects users to list.
type UserFilter struct {
	Department string
	Role       string
	Limit      int // 1..500, default 100
	Offset     int
}

// ListUsers returns users by login.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, error) {
	if f.Limit == 0 {
		f.Limit = 100
	}
	if f.Limit < 1 || f.Limit > 500 {
		return nil, invalid("limit", "must be 1 to 500")
	}
	if f.Offset < 0 {
		return nil, invalid("offset", "must not be negative")
	}
	rows, err := s.db.Query(ctx, "SELECT "+userColumns+` FROM identity_users u
		WHERE ($1 = '' OR u.department_code = $1)
		  AND ($2 = '' OR EXISTS (SELECT 1 FROM identity_user_roles r WHERE r.user_id = u.id AND r.role = $2))
		ORDER BY u.login LIMIT $3 OFFSET $4`, f.Department, f.Role, f.Limit, f.Offset)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserUpdate changes a user; nil fields stay.
type UserUpdate struct {
	Name       *string   `json:"name,omitempty"`
	Department *string   `json:"department,omitempty"`
	Positions  *[]string `json:"positions,omitempty"`
	Disabled   *bool     `json:"disabled,omitempty"`
}

// UpdateUser changes a user's name, department, positions or disabled flag.
// Moving or disabling a user ends their sessions.
func (s *Service) UpdateUser(ctx context.Context, actor *Principal, id string, up UserUpdate) (User, error) {
	if !isUUID(id) {
		return User{}, fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	if up.Name != nil {
		if err := checkTitle("name", *up.Name); err != nil {
			return User{}, err
		}
	}
	if up.Positions != nil {
		if len(*up.Positions) > 50 {
			return User{}, invalid("positions", "at most 50")
		}
		for _, p := range *up.Positions {
			if !isUUID(p) {
				return User{}, invalid("positions", "%q is not a position ID", p)
			}
		}
	}
	if up.Disabled != nil && *up.Disabled && actor != nil && actor.ID == id {
		return User{}, fmt.Errorf("you cannot disable your own account: %w", ErrConflict)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var dept string
		var disabled bool
		err := tx.QueryRow(ctx, "SELECT department_code, disabled FROM identity_users WHERE id = $1 FOR UPDATE", id).Scan(&dept, &disabled)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("user %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		endSessions := false
		if up.Name != nil {
			sealed, err := s.names.Seal("identity.user.name", id, strings.TrimSpace(*up.Name))
			if err != nil {
				return fmt.Errorf("seal name: %w", err)
			}
			if _, err := tx.Exec(ctx, "UPDATE identity_users SET name_sealed = $2, updated_at = now() WHERE id = $1", id, sealed); err != nil {
				return err
			}
		}
		if up.Department != nil && *up.Department != dept {
			_, err := tx.Exec(ctx, "UPDATE identity_users SET department_code = $2, updated_at = now() WHERE id = $1", id, *up.Department)
			if isForeignKey(err) {
				return invalid("department", "no department %q", *up.Department)
			}
			if err != nil {
				return err
			}
			dept, endSessions = *up.Department, true
			if up.Positions == nil {
				empty := []string{}
				up.Positions = &empty // positions belong to the old department
			}
		}
		if up.Positions != nil {
			if err := setPositions(ctx, tx, id, dept, *up.Positions); err != nil {
				return err
			}
		}
		if up.Disabled != nil && *up.Disabled != disabled {
			if _, err := tx.Exec(ctx, "UPDATE identity_users SET disabled = $2, updated_at = now() WHERE id = $1", id, *up.Disabled); err != nil {
				return err
			}
			endSessions = endSessions || *up.Disabled
		}
		if endSessions {
			return revokeUserSessions(ctx, tx, id, "", s.now())
		}
		return nil
	})
	s.forgetUser(id)
	if err != nil {
		return User{}, err
	}
	if err := s.record(ctx, s.event(actor, "identity.user.update", "user:"+id, audit.ResultOK, nil)); err != nil {
		return User{}, err
	}
	return s.GetUser(ctx, id)
}

// ResetPassword sets a new initial password for a user (who must change it
// at next login), clears a lockout and ends the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, actor *Principal, id, password string) error {
	u, err := s.GetUser(ctx, id)
	if err != nil {
		return err
	}
	if actor != nil && actor.ID == id {
		return fmt.Errorf("change your own password with your current one: %w", ErrConflict)
	}
	if err := CheckPasswordPolicy(u.Login, password); err != nil {
		return err
	}
	hash, err := hashPassword(password, s.cfg.PasswordIterations)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE identity_users SET password_hash = $2, password_changed_at = now(), must_change_password = true,
			failed_logins = 0, locked_until = NULL, updated_at = now() WHERE id = $1`, id, hash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO identity_password_history (user_id, hash) VALUES ($1, $2)", id, hash); err != nil {
			return err
		}
		return revokeUserSessions(ctx, tx, id, "", s.now())
	})
	s.forgetUser(id)
	if err != nil {
		return fmt.Errorf("reset password of %s: %w", id, err)
	}
	return s.record(ctx, s.event(actor, "identity.user.reset-password", "user:"+id, audit.ResultOK, nil))
}

// UnlockUser clears a user's lockout.
func (s *Service) UnlockUser(ctx context.Context, actor *Principal, id string) error {
	if !isUUID(id) {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	tag, err := s.db.Exec(ctx, "UPDATE identity_users SET failed_logins = 0, locked_until = NULL WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("unlock %s: %w", id, err)
	}
	s.forgetUser(id)
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("user %s: %w", id, ErrNotFound)
	}
	return s.record(ctx, s.event(actor, "identity.user.unlock", "user:"+id, audit.ResultOK, nil))
}
