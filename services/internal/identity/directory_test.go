package identity

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func TestDepartments_SeededAndManaged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	list, err := e.svc.ListDepartments(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]string{}
	for _, d := range list {
		have[d.Code] = d.Kind
	}
	for _, code := range model.Departments {
		if have[code] != DeptKindDepartment {
			t.Errorf("department %s of chaincode/model not seeded as a department (%q)", code, have[code])
		}
	}
	if have["operator"] != DeptKindOperator {
		t.Error("no operator department")
	}
	d, err := e.svc.CreateDepartment(ctx, nil, Department{Code: "notary", Name: "公证处", Kind: DeptKindOther})
	if err != nil || d.CreatedAt.IsZero() {
		t.Fatal(d, err)
	}
	_, err = e.svc.CreateDepartment(ctx, nil, Department{Code: "notary", Name: "again"})
	wantErr(t, err, ErrConflict)
	for _, bad := range []Department{{Code: "No", Name: "x"}, {Code: "ok", Name: ""}, {Code: "okk", Name: "x", Kind: "bank"}} {
		if _, err := e.svc.CreateDepartment(ctx, nil, bad); err == nil {
			t.Fatalf("department %+v created", bad)
		}
	}
	name, off := "公证处（新）", true
	d, err = e.svc.UpdateDepartment(ctx, nil, "notary", DepartmentUpdate{Name: &name, Disabled: &off})
	if err != nil || d.Name != name || !d.Disabled {
		t.Fatal(d, err)
	}
	_, err = e.svc.UpdateDepartment(ctx, nil, "nowhere", DepartmentUpdate{Name: &name})
	wantErr(t, err, ErrNotFound)
}

func TestUsers_PositionsNamesAndUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	pos, err := e.svc.CreatePosition(ctx, nil, Position{Department: "market", Code: "reviewer", Name: "登记审核岗"})
	if err != nil {
		t.Fatal(err)
	}
	taxPos, _ := e.svc.CreatePosition(ctx, nil, Position{Department: "tax", Code: "reviewer", Name: "税务审核岗"})
	_, err = e.svc.CreatePosition(ctx, nil, Position{Department: "market", Code: "reviewer", Name: "dup"})
	wantErr(t, err, ErrConflict)
	_, err = e.svc.CreatePosition(ctx, nil, Position{Department: "nowhere", Code: "reviewer", Name: "x"})
	wantInvalid(t, err, "department")

	_, err = e.svc.CreateUser(ctx, nil, NewUser{Login: "wang", Name: "王五", Department: "market", Positions: []string{taxPos.ID}, Password: testPassword})
	wantInvalid(t, err, "positions")
	u, err := e.svc.CreateUser(ctx, nil, NewUser{Login: "Wang", Name: "王五", Department: "market", Positions: []string{pos.ID}, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	if u.Login != "wang" || u.Name != "王五" || len(u.Positions) != 1 || !u.MustChangePassword || len(u.Roles) != 0 {
		t.Fatalf("user %+v", u)
	}
	var sealed []byte
	e.db.QueryRow(ctx, "SELECT name_sealed FROM identity_users WHERE id = $1", u.ID).Scan(&sealed)
	if bytes.Contains(sealed, []byte("王五")) {
		t.Fatal("name stored in the clear")
	}
	_, err = e.svc.CreateUser(ctx, nil, NewUser{Login: "wang", Name: "x", Department: "market", Password: testPassword})
	wantErr(t, err, ErrConflict)
	for field, nu := range map[string]NewUser{
		"login":      {Login: "w", Name: "x", Department: "market", Password: testPassword},
		"name":       {Login: "wang2", Name: strings.Repeat("x", 201), Department: "market", Password: testPassword},
		"password":   {Login: "wang2", Name: "x", Department: "market", Password: "short"},
		"department": {Login: "wang2", Name: "x", Department: "nowhere", Password: testPassword},
	} {
		_, err := e.svc.CreateUser(ctx, nil, nu)
		wantInvalid(t, err, field)
	}

	wantErr(t, e.svc.DeletePosition(ctx, nil, pos.ID), ErrConflict)
	_, s := e.login(t, func() string { e.db.Exec(ctx, "UPDATE identity_users SET must_change_password = false"); return "wang" }())
	tax := "tax"
	u, err = e.svc.UpdateUser(ctx, nil, u.ID, UserUpdate{Department: &tax})
	if err != nil || u.Department != "tax" || len(u.Positions) != 0 {
		t.Fatal(u, err)
	}
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, s.Token); return err }(), ErrUnauthenticated)
	if err := e.svc.DeletePosition(ctx, nil, pos.ID); err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.ListUsers(ctx, UserFilter{Department: "tax"})
	if err != nil || len(list) != 1 || list[0].Name != "王五" {
		t.Fatal(list, err)
	}
	_, err = e.svc.ListUsers(ctx, UserFilter{Limit: 501})
	wantInvalid(t, err, "limit")
	_, err = e.svc.GetUser(ctx, "not-a-uuid")
	wantErr(t, err, ErrNotFound)
}

func TestCreateAdmin_Bootstrap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if missing, err := e.svc.MissingAdmins(ctx); err != nil || len(missing) != 3 {
		t.Fatalf("missing on a fresh platform: %v %v", missing, err)
	}
	u, pw, err := e.svc.CreateAdmin(ctx, "root", "系统管理员", RoleSystemAdmin, false)
	if err != nil {
		t.Fatal(err)
	}
	if missing, _ := e.svc.MissingAdmins(ctx); len(missing) != 2 || missing[0] != RoleAuditAdmin || missing[1] != RoleSecurityAdmin {
		t.Fatalf("missing after the sysadmin: %v", missing)
	}
	if u.Department != "operator" || len(u.Roles) != 1 || u.Roles[0] != RoleSystemAdmin || !u.MustChangePassword {
		t.Fatalf("admin %+v", u)
	}
	_, _, err = e.svc.CreateAdmin(ctx, "root2", "x", RoleSystemAdmin, false)
	wantErr(t, err, ErrConflict)
	_, _, err = e.svc.CreateAdmin(ctx, "root3", "x", "clerk", false)
	wantInvalid(t, err, "role")
	s, err := e.svc.Login(ctx, LoginRequest{Login: "root", Password: pw})
	if err != nil || !s.MustChangePassword {
		t.Fatal(s, err)
	}
	p, _ := e.svc.Authenticate(ctx, s.Token)
	wantErr(t, e.svc.Authorize(ctx, p, Perm("identity.users", "write")), ErrPasswordChangeRequired)
	s, err = e.svc.ChangePassword(ctx, p, pw, "Admin-Password-2026")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = e.svc.Authenticate(ctx, s.Token)
	if err := e.svc.Authorize(ctx, p, Perm("identity.users", "write")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateAdmin(ctx, "sec", "安全管理员", RoleSecurityAdmin, false); err != nil {
		t.Fatal(err)
	}
}
