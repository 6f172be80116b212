package identity

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestAuthorize_Decisions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.svc.CreateRole(ctx, nil, Role{Name: "archivist", Title: "Archivist",
		Permissions: []Permission{{"assets", "*"}, {"ledger", "read"}}}); err != nil {
		t.Fatal(err)
	}
	roles := func(r ...string) *Principal { return &Principal{Kind: KindUser, ID: "x", Roles: r} }
	for _, c := range []struct {
		p     *Principal
		perm  Permission
		allow bool
	}{
		{roles(RoleSystemAdmin), Perm("identity.users", "write"), true},
		{roles(RoleSystemAdmin), Perm("identity.role-assignments", "write"), false},
		{roles(RoleSystemAdmin), Perm("audit.log", "read"), false},
		{roles(RoleSecurityAdmin), Perm("identity.role-assignments", "write"), true},
		{roles(RoleSecurityAdmin), Perm("identity.users", "write"), false},
		{roles(RoleSecurityAdmin), Perm("audit.log", "read"), false},
		{roles(RoleAuditAdmin), Perm("audit.log", "read"), true},
		{roles(RoleAuditAdmin), Perm("audit.log", "verify"), true},
		{roles(RoleAuditAdmin), Perm("identity.users", "read"), false},
		{roles("clerk"), Perm("intake", "write"), true},
		{roles("clerk"), Perm("approval", "write"), false},
		{roles("clerk", "officer"), Perm("approval", "write"), true},
		{roles("archivist"), Perm("assets", "transfer"), true},
		{roles("archivist"), Perm("ledger", "read"), true},
		{roles("archivist"), Perm("intake", "read"), false},
		{roles("archivist"), Perm("ledger", "write"), false},
		{roles(), Perm("intake", "read"), false},
		{roles("no-such-role"), Perm("intake", "read"), false},
	} {
		err := e.svc.Authorize(ctx, c.p, c.perm)
		if (err == nil) != c.allow {
			t.Errorf("%v %s: %v, want allow=%v", c.p.Roles, c.perm, err, c.allow)
		}
		if err != nil {
			wantErr(t, err, ErrForbidden)
		}
	}
	wantErr(t, e.svc.Authorize(ctx, nil, Perm("intake", "read")), ErrUnauthenticated)
}

func TestRoles_ReservedResourcesAndFixedAdminRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, res := range []string{"audit.log", "identity.users", "*", "keys"} {
		_, err := e.svc.CreateRole(ctx, nil, Role{Name: "sneaky", Title: "Sneaky", Permissions: []Permission{{res, "read"}}})
		wantInvalid(t, err, "permissions[0].resource")
	}
	_, err := e.svc.SetRolePermissions(ctx, nil, RoleSecurityAdmin, []Permission{{"intake", "read"}})
	wantErr(t, err, ErrConflict)
	_, err = e.svc.SetRolePermissions(ctx, nil, "clerk", []Permission{{"audit.log", "read"}})
	wantInvalid(t, err, "permissions[0].resource")
	wantErr(t, e.svc.DeleteRole(ctx, nil, "clerk"), ErrConflict)
	for _, bad := range []Role{{Name: "X", Title: "t"}, {Name: "ok-name", Title: ""}, {Name: "adm", Title: "t", AdminKind: "audit"}} {
		if _, err := e.svc.CreateRole(ctx, nil, bad); err == nil {
			t.Fatalf("role %+v created", bad)
		}
	}
	if _, err := e.svc.CreateRole(ctx, nil, Role{Name: "archivist", Title: "Archivist"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.CreateRole(ctx, nil, Role{Name: "archivist", Title: "Again"})
	wantErr(t, err, ErrConflict)
	r, err := e.svc.SetRolePermissions(ctx, nil, "archivist", []Permission{{"assets", "read"}})
	if err != nil || len(r.Permissions) != 1 {
		t.Fatal(r, err)
	}
	if err := e.svc.DeleteRole(ctx, nil, "archivist"); err != nil {
		t.Fatal(err)
	}
}

// TestRoles_SeparationOfDuties: no user combines two of the three
// administrator roles — through the service, directly in SQL, or by two
// security administrators racing — and nobody assigns roles to themselves.
func TestRoles_SeparationOfDuties(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "sec", RoleSecurityAdmin)
	e.user(t, "sec2", RoleSecurityAdmin)
	p, _ := e.login(t, "sec")
	p2, _ := e.login(t, "sec2")
	target := e.user(t, "target")

	if err := e.svc.AssignRole(ctx, p, target.ID, RoleSystemAdmin); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{RoleSecurityAdmin, RoleAuditAdmin} {
		wantErr(t, e.svc.AssignRole(ctx, p, target.ID, r), ErrSeparationOfDuties)
	}
	// Business roles combine freely with an administrator role.
	if err := e.svc.AssignRole(ctx, p, target.ID, "supervisor"); err != nil {
		t.Fatal(err)
	}
	// Assigning the role held again is harmless.
	if err := e.svc.AssignRole(ctx, p, target.ID, RoleSystemAdmin); err != nil {
		t.Fatal(err)
	}

	// The database refuses it too, whatever writes the row.
	_, err := e.db.Exec(ctx, "INSERT INTO identity_user_roles (user_id, role) VALUES ($1, 'auditadmin')", target.ID)
	if err == nil || !strings.Contains(err.Error(), "separation of duties") {
		t.Fatalf("direct insert of a second administrator role: %v", err)
	}

	// A security administrator cannot give themselves anything, nor take
	// anything from themselves.
	wantErr(t, e.svc.AssignRole(ctx, p, p.ID, RoleAuditAdmin), ErrSelfAssignment)
	wantErr(t, e.svc.AssignRole(ctx, p, p.ID, "clerk"), ErrSelfAssignment)
	wantErr(t, e.svc.RevokeRole(ctx, p, p.ID, RoleSecurityAdmin), ErrSelfAssignment)

	// Two security administrators race to give one user two admin roles.
	for i := range 10 {
		u := e.user(t, "race"+string(rune('a'+i)))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j, who := range []*Principal{p, p2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = e.svc.AssignRole(ctx, who, u.ID, []string{RoleSystemAdmin, RoleAuditAdmin}[j])
			}()
		}
		wg.Wait()
		var n int
		e.db.QueryRow(ctx, "SELECT count(*) FROM identity_user_roles WHERE user_id = $1", u.ID).Scan(&n)
		if n != 1 || (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("race %d: %d admin roles held, errors %v", i, n, errs)
		}
	}
}

func TestRoles_AssignmentEndsSessionsAndLastAdminStays(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "sec", RoleSecurityAdmin)
	p, _ := e.login(t, "sec")
	aud := e.user(t, "aud", RoleAuditAdmin)
	_, s := e.login(t, "aud")

	if err := e.svc.AssignRole(ctx, p, aud.ID, "regulator"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, s.Token); return err }(), ErrUnauthenticated)

	wantErr(t, e.svc.RevokeRole(ctx, p, aud.ID, RoleAuditAdmin), ErrConflict)
	aud2 := e.user(t, "aud2", RoleAuditAdmin)
	if err := e.svc.RevokeRole(ctx, p, aud.ID, RoleAuditAdmin); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.RevokeRole(ctx, p, aud.ID, RoleAuditAdmin), ErrNotFound)
	wantInvalid(t, e.svc.AssignRole(ctx, p, aud2.ID, "no-such-role"), "role")
}

func TestIsUUID(t *testing.T) {
	for s, want := range map[string]bool{
		"0192f3a1-c2d4-7111-8222-333344445555":  true,
		"00000000-0000-0000-0000-000000000000":  true,
		"0192F3A1-C2D4-7111-8222-333344445555":  false, // PostgreSQL answers lower case
		"0192f3a1c2d4-7111-8222-333344445555-":  false,
		"0192f3a1-c2d4-7111-8222-33334444555g":  false,
		"0192f3a1-c2d4-7111-8222-3333444455551": false,
		"0192f3a1-c2d4-7111-8222-33334444555":   false,
		"{0192f3a1-c2d4-7111-8222-33334444555}": false,
		"":                                      false,
	} {
		if got := isUUID(s); got != want {
			t.Errorf("isUUID(%q) = %v, want %v", s, got, want)
		}
	}
}
