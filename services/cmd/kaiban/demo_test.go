package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/establish"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

func TestDemoFrom(t *testing.T) {
	for v, want := range map[string]*demo{"": {establishment: true}, "on": {establishment: true}, "accounts": {}, "off": nil} {
		got, err := demoFrom(v)
		if err != nil || (got == nil) != (want == nil) || (got != nil && got.establishment != want.establishment) {
			t.Errorf("KAIBAN_DEMO=%q: %+v, %v", v, got, err)
		}
	}
	if _, err := demoFrom("yes"); err == nil || !strings.Contains(err.Error(), "KAIBAN_DEMO") {
		t.Errorf("KAIBAN_DEMO=yes: %v", err)
	}
}

// TestDev_DemoDataIntegration starts kaiban dev on an empty data folder as
// `make run` does: the start summary names the demo accounts and their
// password, every account signs in with it without a forced change, and the
// demo establishment reaches its bundle, so supervision and the demo
// company's locker are not empty. A restart on the same data seeds nothing
// again, and keeps a demo password someone changed.
func TestDev_DemoDataIntegration(t *testing.T) {
	pool := pgtest.NewEmpty(t)
	dir := t.TempDir()
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t, pool), "KAIBAN_DEPARTMENTS_DELAY": "0s", "KAIBAN_DEPARTMENTS_POLL": "200ms"}
	args := []string{"dev", "--http-listen", "127.0.0.1:0",
		"--chain-devnet-dir", filepath.Join(dir, "devnet"), "--chain-devnet-listen", "127.0.0.1:0", "--chain-devnet-ops", "127.0.0.1:0",
		"--objects-dir", filepath.Join(dir, "objects"), "--secrets-master-key-file", filepath.Join(dir, "master.key"),
		"--audit-anchor-every", "24h", "--log-level", "warn"}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	base, out, stop := startedUntil(t, args, vars, "API")
	if !strings.Contains(out.String(), "password "+DemoPassword) || !strings.Contains(out.String(), "a demo establishment runs") {
		t.Fatalf("the start summary does not show the demo accounts:\n%s", out)
	}
	for _, a := range demoAccounts {
		if _, err := establish.Login(ctx, base, nil, a.login, DemoPassword); err != nil {
			t.Fatal(err)
		}
	}
	sup, err := establish.Login(ctx, base, nil, "demo-supervisor", DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	var list api.SupervisedProcessList
	if err := establish.Poll(ctx, 500*time.Millisecond, "the demo establishment's bundle", func() (bool, error) {
		err := sup.Call(ctx, "GET", "/api/v1/supervision/processes", nil, 200, &list)
		return len(list.Items) == 1 && list.Items[0].Status == "completed" && list.Items[0].Decided == 7, err
	}); err != nil {
		t.Fatalf("%v\n%s", err, tail(out.String(), 4000))
	}
	applicant, err := establish.Login(ctx, base, nil, "demo-applicant", DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	var assets api.LockerAssetList
	if err := establish.Poll(ctx, 500*time.Millisecond, "the demo company's seven documents", func() (bool, error) {
		err := applicant.Call(ctx, "GET", "/api/v1/lockers/"+list.Items[0].Applicant+"/assets", nil, 200, &assets)
		return len(assets.Items) == 7, err
	}); err != nil {
		t.Fatal(err)
	}
	// The bank read the licence, granted, with its reason.
	if err := establish.Poll(ctx, 500*time.Millisecond, "the bank's read of the demo licence", func() (bool, error) {
		var recs api.LockerAccessRecordList
		for _, a := range assets.Items {
			if a.Type == "business-licence" {
				err := applicant.Call(ctx, "GET", "/api/v1/locker-assets/"+a.Id+"/access-records", nil, 200, &recs)
				return slices.ContainsFunc(recs.Items, func(r api.LockerAccessEntry) bool { return r.Accessor == "BankMSP" && r.Grant != nil }), err
			}
		}
		return false, nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, tail(out.String(), 4000))
	}
	// Someone changes the clerk's password; the restart keeps it.
	clerk, err := establish.Login(ctx, base, nil, "demo-clerk", DemoPassword)
	if err != nil {
		t.Fatal(err)
	}
	const changed = "Changed-clerk-password-9"
	if err := clerk.Call(ctx, "POST", "/api/v1/me/password", map[string]any{"currentPassword": DemoPassword, "newPassword": changed}, 200, nil); err != nil {
		t.Fatal(err)
	}
	stop()

	base, out, stop = startedUntil(t, args, vars, "API")
	defer stop()
	if !strings.Contains(out.String(), "0 created now, the others kept as they are; no new demo establishment") {
		t.Fatalf("the restart's summary:\n%s", out)
	}
	if _, err := establish.Login(ctx, base, nil, "demo-clerk", changed); err != nil {
		t.Fatalf("the changed password did not survive the restart: %v", err)
	}
	var users, lockers, applications int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM identity_users WHERE login LIKE 'demo-%'),
		(SELECT count(*) FROM locker_lockers), (SELECT count(*) FROM acceptance_applications)`).Scan(&users, &lockers, &applications); err != nil {
		t.Fatal(err)
	}
	if users != len(demoAccounts) || lockers != 1 || applications != 1 {
		t.Fatalf("after the restart: %d demo users, %d lockers, %d applications", users, lockers, applications)
	}
}
