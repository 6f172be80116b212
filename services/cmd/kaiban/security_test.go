package main

import (
	"context"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// TestAdminCreateAndAuditVerifyIntegration bootstraps the administrators on
// an empty database, then verifies the audit log before and after a record
// is altered behind the application's back.
func TestAdminCreateAndAuditVerifyIntegration(t *testing.T) {
	pool := pgtest.NewEmpty(t)
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t, pool), "KAIBAN_SECRETS_MASTER_KEY": hex.EncodeToString(make([]byte, 32))}
	ctx := context.Background()

	e, out, errs := testEnv(vars)
	if st := run(ctx, []string{"admin", "create", "sysadmin", "root", "系统管理员"}, e); st != 0 {
		t.Fatalf("admin create: %d %s", st, errs)
	}
	if !regexp.MustCompile(`created sysadmin root \(\S+\) in department operator\ninitial password \(shown once; change it at first sign-in\): \S{20}\n`).MatchString(out.String()) {
		t.Fatalf("admin create printed %q", out)
	}
	e, _, errs = testEnv(vars)
	if st := run(ctx, []string{"admin", "create", "sysadmin", "root2", "x"}, e); st != 1 || !strings.Contains(errs.String(), "an enabled sysadmin exists") {
		t.Fatalf("second sysadmin: %d %s", st, errs)
	}
	e, _, errs = testEnv(vars)
	if st := run(ctx, []string{"admin", "create", "clerk", "c1", "x"}, e); st != 2 || !strings.Contains(errs.String(), "ROLE must be one of") {
		t.Fatalf("non-admin role: %d %s", st, errs)
	}
	e, _, _ = testEnv(vars)
	if st := run(ctx, []string{"admin", "create", "auditadmin", "auditor", "审计管理员"}, e); st != 0 {
		t.Fatal("auditadmin not created")
	}

	e, out, errs = testEnv(vars)
	if st := run(ctx, []string{"audit", "verify"}, e); st != 0 || !strings.Contains(out.String(), "OK: no record altered") {
		t.Fatalf("verify: %d %s %s", st, out, errs)
	}
	for _, s := range []string{"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
		"UPDATE audit_log SET result = 'failed' WHERE seq = 1",
		"ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"} {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	e, out, errs = testEnv(vars)
	if st := run(ctx, []string{"audit", "verify"}, e); st != 1 || !strings.Contains(out.String(), "PROBLEM seq 1 altered") ||
		!strings.Contains(errs.String(), "verification failed") {
		t.Fatalf("verify after tampering: %d %s %s", st, out, errs)
	}
	e, _, errs = testEnv(vars)
	if st := run(ctx, []string{"audit", "check"}, e); st != 2 || !strings.Contains(errs.String(), "the only subcommand is verify") {
		t.Fatalf("audit check: %d %s", st, errs)
	}
}
