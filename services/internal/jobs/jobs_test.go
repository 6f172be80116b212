package jobs_test

import (
	"context"
	"sync"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// TestMigrate_ConcurrentStarts migrates River's schema from two processes'
// worth of callers at once: one applies every version, the other none, and
// a third call later finds nothing to do.
func TestMigrate_ConcurrentStarts(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	var wg sync.WaitGroup
	applied := make([][]int, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = jobs.Migrate(ctx, pool)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(applied[0])+len(applied[1]) == 0 || (len(applied[0]) > 0 && len(applied[1]) > 0) {
		t.Fatalf("applied %v and %v: want every version once", applied[0], applied[1])
	}
	if again, err := jobs.Migrate(ctx, pool); err != nil || len(again) != 0 {
		t.Fatalf("third migration applied %v, %v", again, err)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&n); err != nil {
		t.Fatalf("river_job: %v", err)
	}
}
