package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Service is the registry over PostgreSQL (migration 00750).
type Service struct {
	pool *pgxpool.Pool
}

// New returns the registry stored in pool.
func New(pool *pgxpool.Pool) *Service { return &Service{pool: pool} }

const itemColumns = `code, name, kind, department, legal_basis, time_limit_days, materials, updated_at,
	(SELECT max(version) FROM registry_definitions d WHERE d.item = i.code)`

func scanItem(row pgx.Row) (Item, error) {
	var it Item
	var materials []byte
	var current *int
	if err := row.Scan(&it.Code, &it.Name, &it.Kind, &it.Department, &it.LegalBasis, &it.TimeLimitDays, &materials, &it.UpdatedAt, &current); err != nil {
		return Item{}, err
	}
	if err := json.Unmarshal(materials, &it.Materials); err != nil {
		return Item{}, fmt.Errorf("item %s materials: %w", it.Code, err)
	}
	if current != nil {
		it.CurrentVersion = *current
	}
	return it, nil
}

// Items returns the item list by code.
func (s *Service) Items(ctx context.Context) ([]Item, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM registry_items i ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("list items: %w", err)
	}
	defer rows.Close()
	items := []Item{}
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("list items: %w", err)
		}
		items = append(items, it)
	}
	return items, rows.Err()
}

// Item returns one item.
func (s *Service) Item(ctx context.Context, code string) (Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM registry_items i WHERE code = $1`, code))
	if errors.Is(err, pgx.ErrNoRows) {
		return Item{}, fmt.Errorf("%w: item %q", ErrNotFound, code)
	}
	if err != nil {
		return Item{}, fmt.Errorf("item %s: %w", code, err)
	}
	return it, nil
}

// PutItem creates or updates an item's elements; its definitions are
// untouched.
func (s *Service) PutItem(ctx context.Context, it Item) (Item, error) {
	if it.Materials == nil {
		it.Materials = []Material{}
	}
	if err := it.Validate(); err != nil {
		return Item{}, err
	}
	materials, err := json.Marshal(it.Materials)
	if err != nil {
		return Item{}, fmt.Errorf("item %s: %w", it.Code, err)
	}
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO registry_items (code, name, kind, department, legal_basis, time_limit_days, materials)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, department = $4, legal_basis = $5,
			time_limit_days = $6, materials = $7, updated_at = now()`,
		it.Code, it.Name, it.Kind, it.Department, it.LegalBasis, it.TimeLimitDays, materials); err != nil {
		return Item{}, fmt.Errorf("put item %s: %w", it.Code, err)
	}
	return s.Item(ctx, it.Code)
}

// Departments returns the chain member (MSP ID) of each department code.
func (s *Service) Departments(ctx context.Context) (map[string]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT code, member FROM registry_departments`)
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var code, member string
		if err := rows.Scan(&code, &member); err != nil {
			return nil, fmt.Errorf("departments: %w", err)
		}
		out[code] = member
	}
	return out, rows.Err()
}

// Member returns the chain member of a department.
func (s *Service) Member(ctx context.Context, department string) (string, error) {
	var m string
	err := s.pool.QueryRow(ctx, `SELECT member FROM registry_departments WHERE code = $1`, department).Scan(&m)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("%w: department %q has no chain member", ErrNotFound, department)
	}
	if err != nil {
		return "", fmt.Errorf("department %s: %w", department, err)
	}
	return m, nil
}

// Define validates def as the next version of item's process and stores it;
// it becomes the current version. Earlier versions are never changed.
func (s *Service) Define(ctx context.Context, item string, def Definition, by string) (Version, error) {
	def.Item = item
	if def.Issuance == "" {
		def.Issuance = IssuanceUnified
	}
	depts, err := s.Departments(ctx)
	if err != nil {
		return Version{}, err
	}
	known := make(map[string]bool, len(depts))
	for d := range depts {
		known[d] = true
	}
	if err := def.Validate(known); err != nil {
		return Version{}, err
	}
	def.Normalize()
	body, err := def.Canonical()
	if err != nil {
		return Version{}, fmt.Errorf("define %s: %w", item, err)
	}
	digest, err := def.Digest()
	if err != nil {
		return Version{}, err
	}
	v := Version{Definition: def, Digest: digest, CreatedBy: by}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The item row's lock serialises versions of one item.
		if err := tx.QueryRow(ctx, `SELECT code FROM registry_items WHERE code = $1 FOR UPDATE`, item).Scan(new(string)); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%w: item %q", ErrNotFound, item)
			}
			return err
		}
		return tx.QueryRow(ctx, `
			INSERT INTO registry_definitions (item, version, digest, body, created_by)
			VALUES ($1, (SELECT coalesce(max(version), 0) + 1 FROM registry_definitions WHERE item = $1), $2, $3, $4)
			RETURNING version, created_at`, item, digest, string(body), by).Scan(&v.Version, &v.CreatedAt)
	})
	if err != nil {
		return Version{}, fmt.Errorf("define %s: %w", item, err)
	}
	return v, nil
}

func scanVersion(row pgx.Row) (Version, error) {
	var v Version
	var body string
	if err := row.Scan(&v.Version, &v.Digest, &body, &v.CreatedAt, &v.CreatedBy); err != nil {
		return Version{}, err
	}
	if err := json.Unmarshal([]byte(body), &v.Definition); err != nil {
		return Version{}, fmt.Errorf("definition body: %w", err)
	}
	return v, nil
}

const versionColumns = `version, digest, body, created_at, created_by`

// Versions returns every version of item's process, newest first.
func (s *Service) Versions(ctx context.Context, item string) ([]Version, error) {
	if _, err := s.Item(ctx, item); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+versionColumns+` FROM registry_definitions WHERE item = $1 ORDER BY version DESC`, item)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", item, err)
	}
	defer rows.Close()
	out := []Version{}
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("versions of %s: %w", item, err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Version returns one version of item's process; version 0 is the current one.
func (s *Service) Version(ctx context.Context, item string, version int) (Version, error) {
	q := `SELECT ` + versionColumns + ` FROM registry_definitions WHERE item = $1 AND version = $2`
	args := []any{item, version}
	if version == 0 {
		q = `SELECT ` + versionColumns + ` FROM registry_definitions WHERE item = $1 ORDER BY version DESC LIMIT 1`
		args = args[:1]
	}
	v, err := scanVersion(s.pool.QueryRow(ctx, q, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return Version{}, fmt.Errorf("%w: item %q has no definition version %d", ErrNotFound, item, version)
	}
	if err != nil {
		return Version{}, fmt.Errorf("definition %s/%d: %w", item, version, err)
	}
	return v, nil
}

// SetWebhook sets (or with "" clears) the endpoint to which a department's
// ready tasks are pushed (acceptance.Dispatcher).
func (s *Service) SetWebhook(ctx context.Context, department, url string) error {
	var v *string
	if url != "" {
		if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
			return FieldErrors{{Field: "/url", Detail: "must be an http(s) URL"}}
		}
		v = &url
	}
	tag, err := s.pool.Exec(ctx, `UPDATE registry_departments SET webhook_url = $2 WHERE code = $1`, department, v)
	if err != nil {
		return fmt.Errorf("webhook of %s: %w", department, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: department %q", ErrNotFound, department)
	}
	return nil
}
