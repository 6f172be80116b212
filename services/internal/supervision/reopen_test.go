package supervision_test

import (
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

func reopenTax(process string) model.InterventionRequest {
	return model.InterventionRequest{Process: process, Step: "tax", Action: model.InterveneReopen, Reason: "materials supplemented"}
}

// underWay runs ReopenUnderWay in a transaction of its own.
func underWay(t *testing.T, pool *pgxpool.Pool, process string) bool {
	t.Helper()
	var busy bool
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		busy, err = supervision.ReopenUnderWay(ctx, tx, process)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return busy
}

// A reopen holds a bundle back from the moment it is enqueued until its
// intervention is in the projection — a committed write is not enough, the
// bundle is computed from the projection — or until its write failed.
func TestReopenUnderWay_UntilProjectedOrFailed_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, rejected("APP-R"))
	project(t, pool, rejected("APP-F"))
	if underWay(t, pool, "APP-R") {
		t.Fatal("under way before any reopen")
	}
	// A note is no reopen.
	if _, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: "APP-R", Step: "tax", Action: model.InterveneNote, Reason: "call back"}); err != nil {
		t.Fatal(err)
	}
	if underWay(t, pool, "APP-R") {
		t.Fatal("a note holds the bundle back")
	}
	iv, err := s.Intervene(ctx, "sup-1", reopenTax("APP-R"))
	if err != nil {
		t.Fatal(err)
	}
	if !underWay(t, pool, "APP-R") {
		t.Fatal("a queued reopen is not under way")
	}
	if underWay(t, pool, "APP-F") {
		t.Fatal("another process's reopen holds this one back")
	}
	// Committed on chain (as the outbox records it), not yet projected.
	if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'done', tx_id = 'tx-reopen', block_number = 9,
		result = convert_to('{"id":"iv-reopen","process":"APP-R","step":"tax","action":"reopen"}', 'UTF8') WHERE key = $1`, iv.OutboxKey); err != nil {
		t.Fatal(err)
	}
	if !underWay(t, pool, "APP-R") {
		t.Fatal("a reopen committed but not projected is not under way")
	}
	v := rejected("APP-R")
	v.Interventions = append(v.Interventions, model.Intervention{ID: "iv-reopen", Process: "APP-R", Step: "tax", Action: model.InterveneReopen,
		Reason: "materials supplemented", By: "OperatorMSP", At: at(0), TxID: "tx-reopen"})
	project(t, pool, v)
	if underWay(t, pool, "APP-R") {
		t.Fatal("a projected reopen is still under way")
	}

	ivF, err := s.Intervene(ctx, "sup-1", reopenTax("APP-F"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'failed', last_error = 'refused', error_code = 'STATE' WHERE key = $1`, ivF.OutboxKey); err != nil {
		t.Fatal(err)
	}
	if underWay(t, pool, "APP-F") {
		t.Fatal("a failed reopen is still under way")
	}
}

// Once a process's bundle is enqueued, before the chain has it, a reopen of
// its step is refused and changes nothing; so is the reopen of a step that
// is not the rejected step of a rejected process.
func TestIntervene_ReopenRefusedOnceBundleEnqueued_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, rejected("APP-B"))
	project(t, pool, establishment("APP-RUN"))
	if _, err := pool.Exec(ctx, `INSERT INTO issuance_bundles (process, items, outbox_id, outbox_key)
		VALUES ('APP-B', '[]', 1, 'issuance/bundle/APP-B')`); err != nil {
		t.Fatal(err)
	}
	for name, req := range map[string]model.InterventionRequest{
		"bundle enqueued": reopenTax("APP-B"),
		"running process": reopenTax("APP-RUN"),
		"approved step":   {Process: "APP-B", Step: "licence", Action: model.InterveneReopen, Reason: "x"},
	} {
		if _, err := s.Intervene(ctx, "sup-1", req); !errors.Is(err, supervision.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM chain_outbox) + (SELECT count(*) FROM supervision_interventions)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("refused reopens left %d rows (%v)", n, err)
	}
	// The timeline says so, for the portal to offer no reopen.
	for process, want := range map[string]bool{"APP-B": true, "APP-RUN": false} {
		tl, err := s.Timeline(ctx, process)
		if err != nil {
			t.Fatal(err)
		}
		if tl.BundleQueued != want || tl.Bundle != nil {
			t.Errorf("timeline of %s: bundle queued %v, bundle %+v; want queued %v", process, tl.BundleQueued, tl.Bundle, want)
		}
	}
}

// A reopen waits for the lock of a bundle being enqueued and, once that
// transaction has committed, sees its bundle and is refused: the two cannot
// both pass their checks against the same rejected process.
func TestIntervene_ReopenWaitsForBundleLock_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	project(t, pool, rejected("APP-L"))
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// What issuance.Bundle does: the check under the lock, then its row.
	if busy, err := supervision.ReopenUnderWay(ctx, tx, "APP-L"); err != nil || busy {
		t.Fatalf("under way %v %v", busy, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO issuance_bundles (process, items, outbox_id, outbox_key)
		VALUES ('APP-L', '[]', 1, 'issuance/bundle/APP-L')`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Intervene(ctx, "sup-1", reopenTax("APP-L"))
		done <- err
	}()
	waitFor(t, "the reopen waiting for the lock", func() bool {
		var waiting bool
		_ = pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted)`).Scan(&waiting)
		return waiting
	})
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("reopen after the bundle's commit: %v, want ErrInvalid", err)
	}
}
