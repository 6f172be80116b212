package audit

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newLog(t testing.TB, opts ...Option) (*Log, *pgxpool.Pool) {
	t.Helper()
	pool := pgtest.New(t)
	l, err := New(pool, testKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l, pool
}

func appendN(t testing.TB, l *Log, n int) {
	t.Helper()
	for i := range n {
		if _, err := l.Append(context.Background(), Entry{
			ActorKind: ActorUser, ActorID: fmt.Sprintf("u%d", i%3), ActorName: "alice",
			Action: "GET /api/v1/things/:id", Resource: fmt.Sprintf("/api/v1/things/%d", i),
			Result: ResultOK, Status: 200, Source: "10.0.0.1", RequestID: fmt.Sprintf("req-%d", i),
			Detail: `{"durationMs":1}`,
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// tamper runs statements with the append-only triggers disabled, as an
// attacker with the database owner's rights would.
func tamper(t *testing.T, pool *pgxpool.Pool, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	all := append([]string{"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"}, stmts...)
	all = append(all, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update")
	for _, s := range all {
		if _, err := pool.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func verify(t *testing.T, l *Log, src AnchorSource) Report {
	t.Helper()
	rep, err := l.Verify(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func hasProblem(rep Report, kind string, seq uint64) bool {
	for _, p := range rep.Problems {
		if p.Kind == kind && p.Seq == seq {
			return true
		}
	}
	return false
}

type fakeAnchorer struct {
	mu      sync.Mutex
	anchors []Anchor
}

func (f *fakeAnchorer) Anchor(_ context.Context, seq uint64, head string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tx := fmt.Sprintf("tx%d", len(f.anchors)+1)
	f.anchors = append(f.anchors, Anchor{Seq: seq, Head: head, TxID: tx})
	return tx, nil
}

func (f *fakeAnchorer) LatestAnchor(context.Context) (Anchor, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.anchors) == 0 {
		return Anchor{}, false, nil
	}
	return f.anchors[len(f.anchors)-1], true, nil
}

func TestLog_ConcurrentAppendsChainWithoutGaps(t *testing.T) {
	l, pool := newLog(t)
	const writers, each = 16, 40
	var wg sync.WaitGroup
	seqs := make(chan uint64, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				seq, err := l.Append(context.Background(), Entry{Action: "test", Resource: fmt.Sprintf("%d/%d", w, i), Result: ResultOK})
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- seq
			}
		}()
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("sequence number %d returned twice", s)
		}
		seen[s] = true
	}
	var n, maxSeq int64
	if err := pool.QueryRow(context.Background(), "SELECT count(*), max(seq) FROM audit_log").Scan(&n, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if n != writers*each || maxSeq != n {
		t.Fatalf("%d rows, max seq %d; want %d without gaps", n, maxSeq, writers*each)
	}
	if rep := verify(t, l, nil); !rep.OK || rep.Rows != writers*each {
		t.Fatalf("verify: %+v", rep)
	}
}

// TestLog_TwoProcessesShareOneChain runs two Logs (two processes of a
// deployment) on the same database: the advisory lock keeps one chain.
func TestLog_TwoProcessesShareOneChain(t *testing.T) {
	a, pool := newLog(t)
	b, err := New(pool, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	for _, l := range []*Log{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			appendN(t, l, 30)
		}()
	}
	wg.Wait()
	if rep := verify(t, a, nil); !rep.OK || rep.Rows != 120 {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestLog_SubmitIsWrittenByClose(t *testing.T) {
	pool := pgtest.New(t)
	l, err := New(pool, testKey)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := l.Submit(Entry{Action: "read", Resource: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if err := l.Submit(Entry{Action: "late"}); err != ErrClosed {
		t.Fatalf("Submit after Close: %v", err)
	}
	var n int
	pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log").Scan(&n)
	if n != 50 {
		t.Fatalf("%d rows after Close, want 50", n)
	}
}

func TestLog_StoresOddTextExactly(t *testing.T) {
	l, _ := newLog(t)
	odd := Entry{Action: "x\x00y", Resource: "bad \xff utf-8 " + strings.Repeat("长", 2000), Detail: `{"k":"v"}`,
		Time: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("CST", 8*3600))}
	if _, err := l.Append(context.Background(), odd); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, l, nil); !rep.OK {
		t.Fatalf("verify: %+v", rep)
	}
	recs, err := l.Query(context.Background(), Filter{})
	if err != nil || len(recs) != 1 {
		t.Fatal(recs, err)
	}
	if recs[0].Action != "xy" || len(recs[0].Resource) > maxPath || recs[0].Time.Nanosecond() != 123456000 {
		t.Fatalf("stored %+v", recs[0])
	}
}

func TestLog_AppendOnlyForTheApplication(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 3)
	ctx := context.Background()
	for _, s := range []string{"UPDATE audit_log SET result = 'denied' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 3", "TRUNCATE audit_log"} {
		if _, err := pool.Exec(ctx, s); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func TestNew_ShortKey(t *testing.T) {
	if _, err := New(nil, []byte("short")); err != ErrBadKey {
		t.Fatalf("New with a short key: %v", err)
	}
}

func TestVerify_Intact(t *testing.T) {
	l, _ := newLog(t)
	if rep := verify(t, l, nil); !rep.OK || rep.Rows != 0 {
		t.Fatalf("empty log: %+v", rep)
	}
	appendN(t, l, 10)
	a := &fakeAnchorer{}
	if _, ok, err := l.AnchorHead(context.Background(), a); !ok || err != nil {
		t.Fatal(ok, err)
	}
	rep := verify(t, l, a)
	if !rep.OK || rep.Rows != 10 || rep.HeadSeq != 10 || rep.Anchors != 1 || !rep.ChainChecked {
		t.Fatalf("verify: %+v", rep)
	}
}

func TestVerify_AlteredRow(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	tamper(t, pool, "UPDATE audit_log SET result = 'denied' WHERE seq = 4")
	rep := verify(t, l, nil)
	if rep.OK || !hasProblem(rep, ProblemAltered, 4) || len(rep.Problems) != 1 {
		t.Fatalf("altered row 4 not found exactly: %+v", rep.Problems)
	}
}

// TestVerify_AlteredRowWithRecomputedChain: the attacker changes a row and
// recomputes the SM3 chain from there on, which SM3 alone cannot catch; the
// MACs (no key in the database) and the anchor do.
func TestVerify_AlteredRowWithRecomputedChain(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	a := &fakeAnchorer{}
	l.AnchorHead(context.Background(), a)
	tamper(t, pool, "UPDATE audit_log SET actor_id = 'someone-else' WHERE seq = 6")
	rechain(t, pool, 6)
	rep := verify(t, l, a)
	if rep.OK || !hasProblem(rep, ProblemForged, 6) || !hasProblem(rep, ProblemAnchorMismatch, 10) {
		t.Fatalf("recomputed chain not detected: %+v", rep.Problems)
	}
	for _, p := range rep.Problems {
		if p.Kind == ProblemAltered || p.Kind == ProblemBrokenLink {
			t.Fatalf("the recomputed chain should be consistent, the MAC is what fails: %+v", p)
		}
	}
}

// rechain recomputes prev_hash and hash from row from on, as an attacker who
// knows the (public) hashing scheme but not the MAC key would.
func rechain(t *testing.T, pool *pgxpool.Pool, from uint64) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT seq, at, actor_kind, actor_id, actor_name, action, resource, result, status,
		source, request_id, detail FROM audit_log WHERE seq >= $1 ORDER BY seq`, int64(from))
	if err != nil {
		t.Fatal(err)
	}
	var recs []Record
	for rows.Next() {
		var r Record
		var seq int64
		if err := rows.Scan(&seq, &r.Time, &r.ActorKind, &r.ActorID, &r.ActorName, &r.Action, &r.Resource, &r.Result,
			&r.Status, &r.Source, &r.RequestID, &r.Detail); err != nil {
			t.Fatal(err)
		}
		r.Seq = uint64(seq)
		recs = append(recs, r)
	}
	rows.Close()
	prev := genesis
	if from > 1 {
		if err := pool.QueryRow(ctx, "SELECT hash FROM audit_log WHERE seq = $1", int64(from-1)).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	}
	var stmts []string
	for _, r := range recs {
		h, _ := chainHash(prev, r.Seq, &r.Entry)
		stmts = append(stmts, fmt.Sprintf("UPDATE audit_log SET prev_hash = '%s', hash = '%s' WHERE seq = %d", prev, h, r.Seq))
		prev = h
	}
	tamper(t, pool, stmts...)
}

func TestVerify_InsertedRowInTheMiddle(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	// Make room at 5 by renumbering 5..10 to 6..11, then copy row 4 as a
	// "new" row 5 with a plausible previous hash.
	tamper(t, pool,
		"UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5",
		"UPDATE audit_log SET seq = seq - 99 WHERE seq >= 105",
		`INSERT INTO audit_log SELECT 5, at, actor_kind, actor_id, actor_name, 'DELETE /api/v1/things/:id', resource,
			result, status, source, request_id, detail, hash, hash, mac FROM audit_log WHERE seq = 4`)
	rep := verify(t, l, nil)
	if rep.OK || rep.Rows != 11 || !hasProblem(rep, ProblemAltered, 5) {
		t.Fatalf("inserted row 5 not found: %+v", rep.Problems)
	}
	// The renumbered rows no longer hash either: their number is in the hash.
	if !hasProblem(rep, ProblemAltered, 6) {
		t.Fatalf("renumbered row not flagged: %+v", rep.Problems)
	}
}

// TestVerify_InsertedRowAtTheEnd: a row appended by SQL with a correct SM3
// link fails its MAC.
func TestVerify_InsertedRowAtTheEnd(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 5)
	var prev string
	pool.QueryRow(context.Background(), "SELECT hash FROM audit_log WHERE seq = 5").Scan(&prev)
	e := Entry{Time: time.Now().UTC().Truncate(time.Microsecond), ActorKind: ActorUser, ActorID: "u0", Action: "forged", Result: ResultOK}
	h, _ := chainHash(prev, 6, &e)
	if _, err := pool.Exec(context.Background(), `INSERT INTO audit_log VALUES (6, $1, 'user', 'u0', '', 'forged', '', 'ok', 0, '', '', '', $2, $3, $4)`,
		e.Time, prev, h, strings.Repeat("0", 64)); err != nil {
		t.Fatal(err)
	}
	rep := verify(t, l, nil)
	if rep.OK || !hasProblem(rep, ProblemForged, 6) || len(rep.Problems) != 1 {
		t.Fatalf("forged row 6 not found exactly: %+v", rep.Problems)
	}
}

func TestVerify_DeletedRowInTheMiddle(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	tamper(t, pool, "DELETE FROM audit_log WHERE seq IN (3, 4)")
	rep := verify(t, l, nil)
	if rep.OK || !hasProblem(rep, ProblemGap, 3) || !hasProblem(rep, ProblemBrokenLink, 5) {
		t.Fatalf("deleted rows 3-4 not found: %+v", rep.Problems)
	}
}

// TestVerify_DeletedRowRenumbered: deleting a row and renumbering the rest to
// close the gap still breaks the chain.
func TestVerify_DeletedRowRenumbered(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	tamper(t, pool, "DELETE FROM audit_log WHERE seq = 3", "UPDATE audit_log SET seq = seq - 1 WHERE seq > 3")
	rep := verify(t, l, nil)
	if rep.OK || !hasProblem(rep, ProblemBrokenLink, 3) || hasProblem(rep, ProblemGap, 3) {
		t.Fatalf("renumbered deletion not found: %+v", rep.Problems)
	}
}

// TestVerify_DeletedLastRows: rows cut from the end leave a consistent shorter
// chain; only the anchor tells.
func TestVerify_DeletedLastRows(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	a := &fakeAnchorer{}
	if _, _, err := l.AnchorHead(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 2)
	tamper(t, pool, "DELETE FROM audit_log WHERE seq > 7")
	rep := verify(t, l, nil)
	if rep.OK || !hasProblem(rep, ProblemAnchorMissing, 10) || rep.HeadSeq != 7 {
		t.Fatalf("deleted tail not found: %+v", rep)
	}
}

// TestVerify_DeletedLastRowsAndAnchors: the attacker also deletes the anchor
// rows; the ledger's copy of the latest anchor still tells.
func TestVerify_DeletedLastRowsAndAnchors(t *testing.T) {
	l, pool := newLog(t)
	appendN(t, l, 10)
	a := &fakeAnchorer{}
	l.AnchorHead(context.Background(), a)
	tamper(t, pool, "DELETE FROM audit_log WHERE seq > 7", "DELETE FROM audit_anchors")
	if rep := verify(t, l, nil); !rep.OK {
		t.Fatalf("without the ledger this tampering is invisible, the report says %+v", rep)
	}
	rep := verify(t, l, a)
	if rep.OK || !hasProblem(rep, ProblemAnchorMissing, 10) {
		t.Fatalf("deleted tail and anchors not found with the ledger: %+v", rep.Problems)
	}
}

func TestAnchorHead_OnlyWhenNew(t *testing.T) {
	l, _ := newLog(t)
	a := &fakeAnchorer{}
	ctx := context.Background()
	if _, ok, _ := l.AnchorHead(ctx, a); ok {
		t.Fatal("anchored an empty log")
	}
	appendN(t, l, 3)
	anc, ok, err := l.AnchorHead(ctx, a)
	if !ok || err != nil || anc.Seq != 3 || anc.TxID != "tx1" {
		t.Fatal(anc, ok, err)
	}
	if _, ok, _ := l.AnchorHead(ctx, a); ok {
		t.Fatal("anchored the same head twice")
	}
	appendN(t, l, 1)
	if anc, ok, _ := l.AnchorHead(ctx, a); !ok || anc.Seq != 4 {
		t.Fatal(anc, ok)
	}
	list, err := l.Anchors(ctx, 1)
	if err != nil || len(list) != 1 || list[0].Seq != 4 {
		t.Fatal(list, err)
	}
}

func TestRunAnchoring_AnchorsPeriodically(t *testing.T) {
	l, _ := newLog(t)
	appendN(t, l, 2)
	a := &fakeAnchorer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.RunAnchoring(ctx, a, 10*time.Millisecond); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if anc, ok, _ := a.LatestAnchor(ctx); ok && anc.Seq == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not anchored")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}

func TestQuery_Filters(t *testing.T) {
	l, _ := newLog(t)
	appendN(t, l, 9)
	ctx := context.Background()
	recs, err := l.Query(ctx, Filter{ActorID: "u1", Limit: 2})
	if err != nil || len(recs) != 2 || recs[0].Seq != 8 || recs[1].Seq != 5 {
		t.Fatalf("%+v %v", recs, err)
	}
	recs, _ = l.Query(ctx, Filter{ActorID: "u1", Before: 5})
	if len(recs) != 1 || recs[0].Seq != 2 {
		t.Fatalf("page: %+v", recs)
	}
	recs, _ = l.Query(ctx, Filter{RequestID: "req-3"})
	if len(recs) != 1 || recs[0].Seq != 4 {
		t.Fatalf("by request: %+v", recs)
	}
	for _, f := range []Filter{{Limit: -1}, {Limit: 1001}, {From: time.Now(), To: time.Now().Add(-time.Hour)}} {
		if _, err := l.Query(ctx, f); err == nil {
			t.Fatalf("bad filter %+v accepted", f)
		}
	}
}

func TestLog_FlushWaitsForQueuedEntries(t *testing.T) {
	l, pool := newLog(t)
	for i := range 100 {
		if err := l.Submit(Entry{Action: "read", Resource: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_log").Scan(&n)
	if n != 100 {
		t.Fatalf("%d rows after Flush, want 100", n)
	}
	if rep := verify(t, l, nil); !rep.OK || rep.Rows != 100 {
		t.Fatalf("a flush barrier left a trace: %+v", rep)
	}
}
