package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
)

func TestMigrate_UpFromEmptyThenNothing(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewEmpty(t)
	before, err := postgres.Status(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) == 0 {
		t.Fatal("no embedded migrations")
	}
	for _, s := range before {
		if s.Applied {
			t.Fatalf("migration %d applied on an empty database", s.Version)
		}
	}
	applied, err := postgres.Migrate(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(before) {
		t.Fatalf("applied %d of %d migrations", len(applied), len(before))
	}
	again, err := postgres.Migrate(ctx, pool)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %d, %v", len(again), err)
	}
	after, err := postgres.Status(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range after {
		if !s.Applied {
			t.Fatalf("migration %d (%s) not applied", s.Version, s.Source)
		}
	}
}

// TestMigrate_Concurrent starts two migrations at once, as two processes of a
// deployment would: the advisory lock lets one apply and the other find
// nothing left to do.
func TestMigrate_Concurrent(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewEmpty(t)
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := postgres.Migrate(ctx, pool)
			counts[i], errs[i] = len(r), err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st, _ := postgres.Status(ctx, pool)
	if counts[0]+counts[1] != len(st) {
		t.Fatalf("applied %d + %d migrations, %d exist", counts[0], counts[1], len(st))
	}
}

func TestOpen_BadURL(t *testing.T) {
	if _, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/x?connect_timeout=1"); err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if _, err := postgres.Open(context.Background(), "::not a url"); err == nil {
		t.Fatal("Open of a malformed URL succeeded")
	}
}
