package acceptance_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// TestDispatch_PushesReadyTasksOnce_Devnet proves the webhook push: the
// market's licence task is pushed once, signed; the seal's endpoint fails
// and its push is kept for a retry; the tax department, without a webhook,
// pulls.
func TestDispatch_PushesReadyTasksOnce_Devnet(t *testing.T) {
	e := newEnv(t)
	key := []byte("notice-signing-key")
	var mu sync.Mutex
	var got []acceptance.TaskNotice
	market := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get(acceptance.HeaderSignature) != acceptance.SignNotice(key, body) || r.Header.Get(acceptance.HeaderEvent) != acceptance.EventTaskReady {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var n acceptance.TaskNotice
		_ = json.Unmarshal(body, &n)
		mu.Lock()
		got = append(got, n)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer market.Close()
	seal := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	defer seal.Close()
	if err := e.registry.SetWebhook(ctx, model.DeptMarket, market.URL); err != nil {
		t.Fatal(err)
	}
	if err := e.registry.SetWebhook(ctx, model.DeptSeal, seal.URL); err != nil {
		t.Fatal(err)
	}
	if err := e.registry.SetWebhook(ctx, "nope", market.URL); err == nil {
		t.Fatal("webhook of an unknown department accepted")
	}
	d := acceptance.NewDispatcher(e.pool, key, nil, nil)
	a, err := e.svc.Accept(ctx, form(e.applicant, "seal", "tax"), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	e.finished(t, a.StartWrite)
	eventually(t, "process projected", func() bool { st, _ := e.stepState(a.ID, "licence"); return st == model.StepPending })
	if n, err := d.Dispatch(ctx); err != nil || n != 1 {
		t.Fatalf("first dispatch delivered %d, %v", n, err)
	}
	if n, err := d.Dispatch(ctx); err != nil || n != 0 {
		t.Fatalf("second dispatch delivered %d, %v", n, err)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Process != a.ID || got[0].Step != "licence" || got[0].Member != "MarketMSP" || got[0].Task != "/api/v1/tasks/"+a.ID+"/licence" || got[0].Deadline == "" {
		t.Fatalf("notices %+v", got)
	}
	mu.Unlock()
	dec, err := e.svc.Decide(ctx, model.DeptMarket, a.ID, "licence", acceptance.DecisionInput{Approve: true, Opinion: "准予", Approver: "o1", Password: deptPassword})
	if err != nil {
		t.Fatal(err)
	}
	if en := e.finished(t, dec.Queued); en.Status != outbox.StatusDone {
		t.Fatalf("decision %+v", en)
	}
	eventually(t, "seal ready", func() bool { _, r := e.stepState(a.ID, "seal"); return r })
	if n, err := d.Dispatch(ctx); err != nil || n != 0 {
		t.Fatalf("dispatch to a failing endpoint delivered %d, %v", n, err)
	}
	var status, lastErr string
	var attempts int
	if err := e.pool.QueryRow(ctx, `SELECT status, attempts, last_error FROM acceptance_dispatches WHERE process = $1 AND step_key = 'seal'`, a.ID).Scan(&status, &attempts, &lastErr); err != nil {
		t.Fatal(err)
	}
	if status != "retrying" || attempts != 1 || lastErr == "" {
		t.Fatalf("seal push %s after %d attempts: %s", status, attempts, lastErr)
	}
	var taxPushes int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM acceptance_dispatches WHERE process = $1 AND step_key = 'tax'`, a.ID).Scan(&taxPushes)
	if taxPushes != 0 {
		t.Fatal("a department without a webhook was pushed")
	}
}
