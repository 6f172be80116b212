package outbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// TestEnqueue_Postgres checks what Enqueue stores, on a real database without
// a chain: nothing for a bad write or a rolled-back transaction, one row and
// one job for a write enqueued twice, a refusal for a key reused for another
// write, and transient data only sealed.
func TestEnqueue_Postgres(t *testing.T) {
	pool := migrated(t)
	ob, err := outbox.New(pool, nil, outbox.Config{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	count := func(table string) int {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	w := outbox.Write{Key: "k1", Identity: "MarketMSP", Chaincode: "authorization", Function: "RecordAccess",
		Args: []string{"{}", ""}, Transient: map[string][]byte{"authCode": []byte("the-secret-code")}, Lane: "asset/1"}

	for name, bad := range map[string]outbox.Write{
		"no key":      {Identity: "A", Chaincode: "c", Function: "f"},
		"long key":    {Key: strings.Repeat("k", outbox.MaxKeyBytes+1), Identity: "A", Chaincode: "c", Function: "f"},
		"no identity": {Key: "k", Chaincode: "c", Function: "f"},
		"no function": {Key: "k", Identity: "A", Chaincode: "c"},
		"too large":   {Key: "k", Identity: "A", Chaincode: "c", Function: "f", Args: []string{strings.Repeat("x", outbox.MaxWriteBytes)}},
	} {
		tx, _ := pool.Begin(ctx)
		if _, err := ob.Enqueue(ctx, tx, bad); !errors.Is(err, outbox.ErrInvalidWrite) {
			t.Errorf("%s: %v, want ErrInvalidWrite", name, err)
		}
		tx.Rollback(ctx)
	}
	keyless, err := outbox.New(pool, nil, outbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tx, _ := pool.Begin(ctx)
	if _, err := keyless.Enqueue(ctx, tx, w); !errors.Is(err, outbox.ErrInvalidWrite) {
		t.Errorf("transient data without a key: %v, want ErrInvalidWrite", err)
	}
	tx.Rollback(ctx)
	if _, err := outbox.New(pool, nil, outbox.Config{Key: []byte("short")}); err == nil {
		t.Error("a 5-byte key was accepted")
	}

	tx, _ = pool.Begin(ctx)
	if _, err := ob.Enqueue(ctx, tx, w); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	if count("chain_outbox") != 0 || count("river_job") != 0 {
		t.Fatal("a rolled-back enqueue left rows behind")
	}

	first := enqueue(t, pool, ob, w)[0]
	again := enqueue(t, pool, ob, w)[0]
	if first != again || count("chain_outbox") != 1 || count("river_job") != 1 {
		t.Fatalf("enqueued twice: ids %d, %d; %d rows, %d jobs", first, again, count("chain_outbox"), count("river_job"))
	}
	other := w
	other.Args = []string{"{}", "sig"}
	tx, _ = pool.Begin(ctx)
	if _, err := ob.Enqueue(ctx, tx, other); !errors.Is(err, outbox.ErrKeyReused) {
		t.Fatalf("reused key: %v, want ErrKeyReused", err)
	}
	tx.Rollback(ctx)

	var sealed []byte
	var digest string
	if err := pool.QueryRow(ctx, "SELECT transient, digest FROM chain_outbox WHERE key = 'k1'").Scan(&sealed, &digest); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte("the-secret-code")) || strings.Contains(digest, "secret") {
		t.Fatalf("transient data stored as %q", sealed)
	}
	e, err := ob.Get(ctx, "k1")
	if err != nil || e.Status != outbox.StatusPending || e.Lane != "asset/1" || len(e.Args) != 2 {
		t.Fatalf("Get = %+v, %v", e, err)
	}
	if _, err := ob.Get(ctx, "nothing"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("Get of an unknown key: %v", err)
	}
}

// TestOutbox_SubmitsEveryWrite_Devnet enqueues licence issues in request-like
// transactions and checks that each committed once with its result.
func TestOutbox_SubmitsEveryWrite_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 12
	var writes []outbox.Write
	for i := range n {
		key := fmt.Sprintf("app-%02d", i)
		writes = append(writes, outbox.Write{
			Key: "issue/" + key, Identity: chaintest.Market, Chaincode: model.ChaincodeAsset, Function: "IssueAsset",
			Args: chaintest.Signed(e.k.MarketKey, asset.ActionIssueAsset, e.k.Licence(key)),
		})
	}
	enqueue(t, e.pool, e.ob, writes[:n/2]...)
	enqueue(t, e.pool, e.ob, writes[n/2:]...)
	assets, err := e.chain.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range writes {
		got := finished(t, e.ob, w.Key, 30*time.Second)
		if got.Status != outbox.StatusDone || got.TxID == "" || got.Block == 0 || got.Attempts != 1 {
			t.Fatalf("write %s: %+v", w.Key, got)
		}
		res := chain.Result{TxID: got.TxID, Payload: got.Result}
		var a model.Asset
		if err := res.Decode(&a); err != nil {
			t.Fatal(err)
		}
		want := model.AssetID(chaintest.Licence, e.k.Firm, chaintest.Market, fmt.Sprintf("app-%02d", i))
		if a.ID != want || a.CreatedTx != got.TxID {
			t.Fatalf("write %s committed asset %s in %s, want %s", w.Key, a.ID, a.CreatedTx, want)
		}
		if _, err := assets.Evaluate(ctx, "GetAsset", chain.WithArguments(want)); err != nil {
			t.Fatalf("asset %s not on chain: %v", want, err)
		}
	}
}

// TestOutbox_RefusalIsPermanent_Devnet: a DENIED or INVALID refusal fails the
// write at its first attempt, keeping the chaincode's code.
func TestOutbox_RefusalIsPermanent_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{})
	denied := e.startProcess("denied", "app-denied")
	denied.Identity = chaintest.Operator // no clerk role
	invalid := outbox.Write{Key: "invalid", Identity: chaintest.Operator + "/clerk", Chaincode: model.ChaincodeApproval,
		Function: "StartProcess", Args: []string{`{"not":"a start"}`}}
	enqueue(t, e.pool, e.ob, denied, invalid)
	for key, code := range map[string]model.Code{"denied": model.CodeDenied, "invalid": model.CodeInvalid} {
		got := finished(t, e.ob, key, 30*time.Second)
		if got.Status != outbox.StatusFailed || got.ErrorCode != string(code) || got.Attempts != 1 || !strings.Contains(got.LastError, string(code)+": ") {
			t.Fatalf("%s: %+v", key, got)
		}
	}
}

// TestOutbox_NotFoundIsRetried_Devnet: a note on a process that does not
// exist yet is NOT_FOUND, retried until the process is started (here
// directly, as another service might), then done.
func TestOutbox_NotFoundIsRetried_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{outbox: outbox.Config{RetryBase: 100 * time.Millisecond, RetryMax: 200 * time.Millisecond}})
	enqueue(t, e.pool, e.ob, note("early-note", "app-later", "too early"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := e.ob.Get(ctx, "early-note")
		if err != nil {
			t.Fatal(err)
		}
		if got.Attempts >= 2 {
			if got.Status != outbox.StatusPending || got.ErrorCode != string(model.CodeNotFound) {
				t.Fatalf("while the process is missing: %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not retried: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := e.startProcess("x", "app-later")
	clerk, err := e.chain.Contract(start.Identity, start.Chaincode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Submit(ctx, start.Function, chain.WithArguments(start.Args...)); err != nil {
		t.Fatal(err)
	}
	got := finished(t, e.ob, "early-note", 30*time.Second)
	if got.Status != outbox.StatusDone || got.ErrorCode != "" || e.interventions(t, "app-later") != 1 {
		t.Fatalf("after the start: %+v", got)
	}
}

// TestOutbox_LaneKeepsOrder_Devnet: a note enqueued after its process's start
// in the same lane waits for the start instead of failing NOT_FOUND; a lane
// whose first write failed fails the writes after it.
func TestOutbox_LaneKeepsOrder_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{workers: 6})
	var writes []outbox.Write
	for i := range 3 {
		app := fmt.Sprintf("app-lane-%d", i)
		start, n := e.startProcess("start/"+app, app), note("note/"+app, app, "first note")
		start.Lane, n.Lane = "process/"+app, "process/"+app
		writes = append(writes, start, n)
	}
	bad := e.startProcess("start/app-bad", "app-bad")
	bad.Identity, bad.Lane = chaintest.Operator, "process/app-bad"
	after := note("note/app-bad", "app-bad", "never")
	after.Lane = bad.Lane
	enqueue(t, e.pool, e.ob, append(writes, bad, after)...)
	for _, w := range writes {
		got := finished(t, e.ob, w.Key, 30*time.Second)
		if got.Status != outbox.StatusDone || got.Attempts != 1 {
			t.Fatalf("%s: %+v", w.Key, got)
		}
	}
	got := finished(t, e.ob, after.Key, 30*time.Second)
	if got.Status != outbox.StatusFailed || got.Attempts != 0 || !strings.Contains(got.LastError, "must follow it") {
		t.Fatalf("write after a failed one: %+v", got)
	}
}

// TestOutbox_ConflictsAreRetried_Devnet: notes on one step enqueued at once
// are endorsed against the same state and conflict in their block; the
// losers are endorsed again and every note commits once.
func TestOutbox_ConflictsAreRetried_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{workers: 6, net: chaintest.Options{BatchTimeout: 300 * time.Millisecond}})
	start := e.startProcess("start", "app-busy")
	clerk, _ := e.chain.Contract(start.Identity, start.Chaincode)
	if _, err := clerk.Submit(ctx, start.Function, chain.WithArguments(start.Args...)); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var writes []outbox.Write
	for i := range n {
		writes = append(writes, note(fmt.Sprintf("note-%d", i), "app-busy", fmt.Sprintf("note %d", i)))
	}
	enqueue(t, e.pool, e.ob, writes...)
	retried := 0
	for _, w := range writes {
		got := finished(t, e.ob, w.Key, 60*time.Second)
		if got.Status != outbox.StatusDone {
			t.Fatalf("%s: %+v", w.Key, got)
		}
		if got.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no write was retried: the notes did not conflict")
	}
	if got := e.interventions(t, "app-busy"); got != n {
		t.Fatalf("%d interventions on chain, want %d", got, n)
	}
}

// TestOutbox_TransientDataSealedUsedErased_Devnet records an access under an
// authorization code presented in transient data: the chaincode sees the code,
// one record is written, and the sealed code is gone from the row.
func TestOutbox_TransientDataSealedUsedErased_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{})
	access, err := e.k.IssueCodeAccess(ctx, e.chain, "transient")
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, e.pool, e.ob, outbox.Write{Key: "view", Identity: chaintest.Market, Chaincode: model.ChaincodeAuthorization,
		Function: "RecordAccess", Args: access.Args("view once"), Transient: access.Transient()})
	got := finished(t, e.ob, "view", 30*time.Second)
	if got.Status != outbox.StatusDone {
		t.Fatalf("%+v", got)
	}
	if n, err := access.Records(ctx, e.chain, "view once"); err != nil || n != 1 {
		t.Fatalf("%d records, %v", n, err)
	}
	var erased, noEnvelope bool
	if err := e.pool.QueryRow(ctx, "SELECT transient IS NULL, envelope IS NULL FROM chain_outbox WHERE key = 'view'").Scan(&erased, &noEnvelope); err != nil {
		t.Fatal(err)
	}
	if !erased || !noEnvelope {
		t.Fatalf("after the commit: transient erased %v, envelope erased %v", erased, noEnvelope)
	}
}

// TestOutbox_UnknownOutcomeIsResentNotRepeated_Devnet loses the answer of the
// first commit status request after the transaction was accepted: the outcome
// is unknown, and the next attempt sends the stored transaction again instead
// of endorsing a new one. The access record — whose ID derives from the
// transaction ID, so a second endorsement would write a second one — exists
// once.
func TestOutbox_UnknownOutcomeIsResentNotRepeated_Devnet(t *testing.T) {
	var lost atomic.Int32
	lose := grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == "/gateway.Gateway/CommitStatus" && lost.Add(1) == 1 {
			return status.Error(codes.Unavailable, "connection lost (test)")
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	e := newEnv(t, envOptions{chain: []chain.Option{chain.WithDialOptions(lose)}})
	access, err := e.k.IssueCodeAccess(ctx, e.chain, "unknown")
	if err != nil {
		t.Fatal(err)
	}
	enqueue(t, e.pool, e.ob, outbox.Write{Key: "view", Identity: chaintest.Market, Chaincode: model.ChaincodeAuthorization,
		Function: "RecordAccess", Args: access.Args("unknown outcome"), Transient: access.Transient()})
	got := finished(t, e.ob, "view", 30*time.Second)
	if got.Status != outbox.StatusDone || got.Attempts != 2 || lost.Load() < 2 {
		t.Fatalf("%+v (commit status calls %d)", got, lost.Load())
	}
	if n, err := access.Records(ctx, e.chain, "unknown outcome"); err != nil || n != 1 {
		t.Fatalf("%d records, %v; want 1", n, err)
	}
}

// TestOutbox_ExhaustedThenRetried_Devnet: a write that keeps meeting
// NOT_FOUND fails after MaxAttempts; once the cause is fixed, Retry puts it
// back to work and it commits.
func TestOutbox_ExhaustedThenRetried_Devnet(t *testing.T) {
	e := newEnv(t, envOptions{outbox: outbox.Config{MaxAttempts: 2, RetryBase: 50 * time.Millisecond}})
	enqueue(t, e.pool, e.ob, note("lonely", "app-missing", "no process yet"))
	got := finished(t, e.ob, "lonely", 30*time.Second)
	if got.Status != outbox.StatusFailed || got.Attempts != 2 || got.ErrorCode != string(model.CodeNotFound) {
		t.Fatalf("%+v", got)
	}
	if err := e.ob.Retry(ctx, "running"); !errors.Is(err, outbox.ErrNotFound) {
		t.Fatalf("Retry of an unknown write: %v", err)
	}
	start := e.startProcess("x", "app-missing")
	clerk, _ := e.chain.Contract(start.Identity, start.Chaincode)
	if _, err := clerk.Submit(ctx, start.Function, chain.WithArguments(start.Args...)); err != nil {
		t.Fatal(err)
	}
	if err := e.ob.Retry(ctx, "lonely"); err != nil {
		t.Fatal(err)
	}
	got = finished(t, e.ob, "lonely", 30*time.Second)
	if got.Status != outbox.StatusDone || e.interventions(t, "app-missing") != 1 {
		t.Fatalf("after Retry: %+v", got)
	}
}

// TestReschedule_Postgres: an unfinished write whose job River discarded gets
// a new job; a write with a live job or a finished one does not.
func TestReschedule_Postgres(t *testing.T) {
	pool := migrated(t)
	ob, err := outbox.New(pool, nil, outbox.Config{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	w := outbox.Write{Identity: "MarketMSP", Chaincode: "asset", Function: "IssueAsset"}
	w.Key = "orphan"
	orphan := enqueue(t, pool, ob, w)[0]
	w.Key = "live"
	enqueue(t, pool, ob, w)
	w.Key = "finished"
	finishedID := enqueue(t, pool, ob, w)[0]
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now()
		WHERE id IN (SELECT job_id FROM chain_outbox WHERE id = ANY($1))`, []int64{orphan, finishedID}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'failed' WHERE id = $1`, finishedID); err != nil {
		t.Fatal(err)
	}
	n, err := ob.Reschedule(ctx)
	if err != nil || n != 1 {
		t.Fatalf("rescheduled %d, %v; want 1", n, err)
	}
	var state string
	if err := pool.QueryRow(ctx, `SELECT j.state FROM chain_outbox o JOIN river_job j ON j.id = o.job_id WHERE o.id = $1`, orphan).Scan(&state); err != nil || state != "available" {
		t.Fatalf("the orphan's new job is %q, %v", state, err)
	}
	if n, err := ob.Reschedule(ctx); err != nil || n != 0 {
		t.Fatalf("second reschedule: %d, %v", n, err)
	}
}

// TestList_Postgres: List returns the writes of one status only, the latest
// ones when limited, always in enqueue order; an unknown status is refused.
func TestList_Postgres(t *testing.T) {
	pool := migrated(t)
	ob, err := outbox.New(pool, nil, outbox.Config{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	w := outbox.Write{Identity: "MarketMSP", Chaincode: "asset", Function: "IssueAsset"}
	for _, key := range []string{"a", "b", "c", "d", "e"} {
		w.Key = key
		enqueue(t, pool, ob, w)
	}
	// Failed out of order in time, so that enqueue order is what sorts them.
	for _, key := range []string{"e", "b", "d"} {
		if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'failed', attempts = 25, error_code = 'NOT_FOUND',
			last_error = 'no process ' || key, updated_at = clock_timestamp() WHERE key = $1`, key); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'done', tx_id = 't', block_number = 7 WHERE key = 'c'`); err != nil {
		t.Fatal(err)
	}
	keys := func(status outbox.Status, limit int) string {
		t.Helper()
		entries, err := ob.List(ctx, status, limit)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, e := range entries {
			if e.Status != status {
				t.Fatalf("List(%s) returned %s in status %s", status, e.Key, e.Status)
			}
			ks = append(ks, e.Key)
		}
		return strings.Join(ks, ",")
	}
	for _, tc := range []struct {
		status outbox.Status
		limit  int
		want   string
	}{
		{outbox.StatusFailed, 0, "b,d,e"},
		{outbox.StatusFailed, 2, "d,e"},
		{outbox.StatusFailed, 3, "b,d,e"},
		{outbox.StatusPending, 10, "a"},
		{outbox.StatusDone, 0, "c"},
		{outbox.StatusSubmitting, 0, ""},
	} {
		if got := keys(tc.status, tc.limit); got != tc.want {
			t.Errorf("List(%s, %d) = %q, want %q", tc.status, tc.limit, got, tc.want)
		}
	}
	entries, err := ob.List(ctx, outbox.StatusFailed, 1)
	if err != nil || len(entries) != 1 {
		t.Fatal(entries, err)
	}
	if e := entries[0]; e.Key != "e" || e.Function != "IssueAsset" || e.Attempts != 25 || e.ErrorCode != "NOT_FOUND" || e.LastError != "no process e" {
		t.Fatalf("%+v", e)
	}
	if _, err := ob.List(ctx, "broken", 0); err == nil || !strings.Contains(err.Error(), `unknown status "broken"`) {
		t.Fatalf("List of an unknown status: %v", err)
	}
	// A retried write leaves the failed ones for the pending ones, with a job.
	if err := ob.Retry(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got := keys(outbox.StatusFailed, 0); got != "d,e" {
		t.Fatalf("failed after Retry: %q", got)
	}
	if got := keys(outbox.StatusPending, 0); got != "a,b" {
		t.Fatalf("pending after Retry: %q", got)
	}
}

func TestParseStatus(t *testing.T) {
	for _, st := range outbox.Statuses {
		if got, err := outbox.ParseStatus(string(st)); err != nil || got != st {
			t.Errorf("ParseStatus(%q) = %q, %v", st, got, err)
		}
	}
	if _, err := outbox.ParseStatus("FAILED"); err == nil {
		t.Error("ParseStatus accepted FAILED")
	}
}
