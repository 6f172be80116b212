package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/config"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// The simulated departments' provisioning on a real database: an approved
// API client, a key credential and a department key for each of the seven.
func TestOpenDepartments_ProvisionsSevenSystems(t *testing.T) {
	ctx := context.Background()
	p := &platform{pool: pgtest.New(t), master: bytes.Repeat([]byte{5}, 32), log: slog.New(slog.DiscardHandler)}
	names, err := pii.New(1, p.key("pii", pii.MasterKeySize), nil)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.New(p.pool, names, identity.Config{SecretKey: p.key("identity", 32)})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := keys.New(p.pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := p.openIssuance(ks, nil, "OperatorMSP/clerk")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAIBAN_DEPARTMENTS", "manual")
	for range 2 { // a restart reuses the clients and keys, with a new API key each
		if _, err := p.openDepartments(ctx, "http://127.0.0.1:1", id, ks, iss); err != nil {
			t.Fatal(err)
		}
	}
	var clients, approved, creds, deptKeys int
	if err := p.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM identity_clients),
		(SELECT count(*) FROM identity_clients WHERE status = 'approved'),
		(SELECT count(*) FROM identity_credentials), (SELECT count(*) FROM keys WHERE owner_kind = 'department')`).
		Scan(&clients, &approved, &creds, &deptKeys); err != nil {
		t.Fatal(err)
	}
	var valid int
	if err := p.pool.QueryRow(ctx, `SELECT count(*) FROM identity_credentials WHERE revoked_at IS NULL`).Scan(&valid); err != nil {
		t.Fatal(err)
	}
	if clients != 7 || approved != 7 || creds != 14 || valid != 7 || deptKeys != 7 {
		t.Fatalf("clients %d approved %d credentials %d (valid %d) department keys %d", clients, approved, creds, valid, deptKeys)
	}
	if _, err := ks.Unlock(ctx, keys.Owner{Kind: keys.KindDepartment, ID: "TaxMSP"}, p.departmentKeyPassword("tax")); err != nil {
		t.Fatalf("tax key: %v", err)
	}
	t.Setenv("KAIBAN_DEPARTMENTS_DELAY", "soon")
	if _, err := p.openDepartments(ctx, "http://127.0.0.1:1", id, ks, iss); err == nil {
		t.Fatal("a bad delay was accepted")
	}
}

// TestDepartment_KeyPassword: `kaiban department key-password CODE` prints
// the password kaiban dev derives for the department's key from the master
// key, the same at every call; an unknown department or a missing master key
// is an error and prints nothing.
func TestDepartment_KeyPassword(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", config.MasterKeySize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &platform{master: bytes.Repeat([]byte{0xab}, config.MasterKeySize)}
	for _, code := range []string{"bank", "market", "operator"} {
		e, out, errs := testEnv(nil)
		if st := run(context.Background(), []string{"department", "key-password", "--secrets-master-key-file", keyFile, code}, e); st != 0 {
			t.Fatalf("%s: status %d: %s", code, st, errs)
		}
		if got, want := strings.TrimSpace(out.String()), p.departmentKeyPassword(code); got != want || len(got) != 32 {
			t.Fatalf("%s: printed %q, want %q", code, got, want)
		}
	}
	for _, tc := range []struct {
		args   []string
		status int
		want   string
	}{
		{[]string{"department", "key-password", "--secrets-master-key-file", keyFile, "nowhere"}, 2, "want CODE"},
		{[]string{"department", "rotate", "bank"}, 2, "key-password"},
		{[]string{"department", "key-password", "--secrets-master-key-file", filepath.Join(dir, "absent.key"), "bank"}, 1, "master key"},
	} {
		e, out, errs := testEnv(nil)
		if st := run(context.Background(), tc.args, e); st != tc.status || !strings.Contains(errs.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%v: status %d, stdout %q, stderr %q; want %d and %q", tc.args, st, out, errs, tc.status, tc.want)
		}
	}
}
