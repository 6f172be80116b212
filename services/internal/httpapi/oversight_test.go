package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/monitoring"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// The oversight operations over real messages, supervision and monitoring
// services on PostgreSQL. The caller is named by the X-Test-Principal header
// ("user:<id>" or "client:<id>:<department>") through a test authenticator.

type overFixture struct {
	t    *testing.T
	s    *Server
	srv  *httptest.Server
	pool *pgxpool.Pool
}

func newOverFixture(t *testing.T) *overFixture {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := messages.NewHub(pool, nil)
	go hub.Run(ctx)
	<-hub.Ready()
	ob, err := outbox.New(pool, nil, outbox.Config{Key: key32(9)[:16]})
	if err != nil {
		t.Fatal(err)
	}
	mon, err := monitoring.New(pool, monitoring.Config{})
	if err != nil {
		t.Fatal(err)
	}
	auth := func(c *gin.Context) {
		v := c.GetHeader("X-Test-Principal")
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			writeError(c, ErrUnauthenticated)
			return
		}
		p := &identity.Principal{Kind: parts[0], ID: parts[1]}
		if len(parts) > 2 {
			p.Department = parts[2]
		}
		c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
		SetClient(c, v)
	}
	s, _ := newServer(t, Options{Authenticate: auth, Oversight: Oversight{
		Messages: messages.NewStore(pool), Hub: hub, Monitoring: mon, Keepalive: time.Hour,
		Supervision: supervision.New(pool, ob, supervision.Config{Supervisor: "OperatorMSP/supervisor", Regulator: "RegMSP/regulator"}),
	}})
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return &overFixture{t: t, s: s, srv: srv, pool: pool}
}

func (f *overFixture) call(who, method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	header := []string{}
	if who != "" {
		header = append(header, "X-Test-Principal", who)
	}
	if body != nil {
		b, ok := body.(string)
		if !ok {
			raw, _ := json.Marshal(body)
			b = string(raw)
		}
		rd = strings.NewReader(b)
		header = append(header, "Content-Type", "application/json")
	}
	return do(f.t, f.s.Handler(), method, path, rd, header...)
}

func (f *overFixture) ok(status int, who, method, path string, body, out any) {
	f.t.Helper()
	rec := f.call(who, method, path, body)
	if rec.Code != status {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
}

// sse is an open event stream.
type sse struct {
	resp   *http.Response
	events chan api.Message
}

func (f *overFixture) stream(who, lastID string) *sse {
	f.t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+StreamPath, nil)
	req.Header.Set("X-Test-Principal", who)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		f.t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	s := &sse{resp: resp, events: make(chan api.Message, 100)}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		var id string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "id: "):
				id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				var m api.Message
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m); err == nil && fmt.Sprint(m.Id) == id {
					s.events <- m
				}
			}
		}
		close(s.events)
	}()
	f.t.Cleanup(s.close)
	return s
}

func (s *sse) close() { s.resp.Body.Close() }

func (s *sse) expect(t *testing.T, titles ...string) []api.Message {
	t.Helper()
	var out []api.Message
	for _, want := range titles {
		select {
		case m := <-s.events:
			if m.Title != want {
				t.Fatalf("event %q, want %q", m.Title, want)
			}
			out = append(out, m)
		case <-time.After(5 * time.Second):
			t.Fatalf("no event %q", want)
		}
	}
	select {
	case m, ok := <-s.events:
		if ok {
			t.Fatalf("unexpected event %q", m.Title)
		}
	case <-time.After(150 * time.Millisecond):
	}
	return out
}

const (
	alice = "user:alice"
	bank  = "client:bank-system:BankMSP"
)

func TestMessagesHTTP_SendStreamOfflineReplayAndReceipts(t *testing.T) {
	f := newOverFixture(t)
	send := func(from, to, title string) api.Message {
		var m api.Message
		f.ok(201, from, "POST", "/api/v1/messages", map[string]any{"to": to, "topic": "notice", "title": title, "body": "b"}, &m)
		return m
	}
	// Offline: the bank's department is not connected.
	send(alice, "member:BankMSP", "offline")
	s := f.stream(bank, "")
	s.expect(t, "offline")
	// Live.
	live := send(alice, "member:BankMSP", "live")
	s.expect(t, "live")
	s.close()
	// Missed while away, replayed from Last-Event-ID.
	send(alice, "member:BankMSP", "missed")
	s = f.stream(bank, fmt.Sprint(live.Id))
	s.expect(t, "missed")

	// The bank reads and answers; alice sees the receipt.
	var inbox api.MessageList
	f.ok(200, bank, "GET", "/api/v1/messages?limit=2", nil, &inbox)
	if len(inbox.Items) != 2 || inbox.Next == nil || inbox.Items[0].Title != "missed" {
		t.Fatalf("inbox %+v", inbox)
	}
	var rest api.MessageList
	f.ok(200, bank, "GET", "/api/v1/messages?limit=2&cursor="+*inbox.Next, nil, &rest)
	if len(rest.Items) != 1 || rest.Items[0].Title != "offline" {
		t.Fatalf("second page %+v", rest)
	}
	var read api.Message
	f.ok(200, bank, "POST", fmt.Sprintf("/api/v1/messages/%d/read", live.Id), nil, &read)
	if read.ReadAt == nil || read.DeliveredAt == nil {
		t.Fatalf("read %+v", read)
	}
	var sent api.MessageList
	f.ok(200, alice, "GET", "/api/v1/messages?box=sent", nil, &sent)
	receipts := 0
	for _, m := range sent.Items {
		if m.ReadAt != nil {
			receipts++
		}
	}
	if len(sent.Items) != 3 || receipts != 1 {
		t.Fatalf("sent %+v", sent)
	}
	var unread api.MessageList
	f.ok(200, bank, "GET", "/api/v1/messages?unread=true&mailbox=member:BankMSP", nil, &unread)
	if len(unread.Items) != 2 {
		t.Fatalf("unread %+v", unread)
	}
	// Someone else's message is not found for alice's mailbox.
	problemOf(t, f.call("user:mallory", "GET", fmt.Sprintf("/api/v1/messages/%d", live.Id), nil), 404, "not-found")
}

// projectProcess writes a one-step process into the projection: ready an
// hour ago with a ten-minute limit, undecided.
func projectProcess(t *testing.T, pool *pgxpool.Pool, id string) {
	t.Helper()
	now := time.Now().UTC()
	p := model.Process{ID: id, Item: "establish", Applicant: "a1", Sponsor: "OperatorMSP", StepKeys: []string{"licence"},
		Status: model.ProcessRunning, CreatedAt: model.FormatTime(now.Add(-time.Hour))}
	st := model.StepView{Step: model.Step{Process: id, Key: "licence", Department: "MarketMSP", LimitSeconds: 600, Status: model.StepPending,
		ReadyAt: model.FormatTime(now.Add(-time.Hour)), Deadline: model.FormatTime(now.Add(-50 * time.Minute))}, Ready: true}
	pr, _ := json.Marshal(p)
	sr, _ := json.Marshal(st)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_processes (id, item, applicant, sponsor, status, created_at, record, block_number, tx_id)
		VALUES ($1, 'establish', 'a1', 'OperatorMSP', 'running', $2, $3, 1, 'tx')`, id, now.Add(-time.Hour), pr); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_steps (process, step_key, department, status, ready, overdue, deadline, record, block_number, tx_id)
		VALUES ($1, 'licence', 'MarketMSP', 'pending', true, false, $2, $3, 1, 'tx')`, id, now.Add(-50*time.Minute), sr); err != nil {
		t.Fatal(err)
	}
}

func TestSupervisionHTTP_TimelineInterventionAndMonitoring(t *testing.T) {
	f := newOverFixture(t)
	projectProcess(t, f.pool, "APP-1")
	var tl api.ProcessTimeline
	f.ok(200, alice, "GET", "/api/v1/supervision/processes/APP-1", nil, &tl)
	if len(tl.Steps) != 1 || !tl.Steps[0].Late || tl.Overdue != 1 || tl.Steps[0].DurationSeconds == nil || *tl.Steps[0].DurationSeconds < 3599 {
		t.Fatalf("timeline %+v", tl)
	}
	var list api.SupervisedProcessList
	f.ok(200, alice, "GET", "/api/v1/supervision/processes?late=true", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Late != 1 {
		t.Fatalf("processes %+v", list)
	}
	var iv api.SupervisionIntervention
	f.ok(202, alice, "POST", "/api/v1/supervision/processes/APP-1/steps/licence/interventions",
		map[string]any{"action": "extend", "reason": "materials late", "extendSeconds": 3600}, &iv)
	if iv.OutboxKey == "" || iv.RequestedBy != alice {
		t.Fatalf("intervention %+v", iv)
	}
	var remit api.RegulatorRemit
	f.ok(200, alice, "PUT", "/api/v1/regulators/RegMSP/remit", map[string]any{"assetTypes": []string{"licence"}}, &remit)
	if len(remit.AssetTypes) != 1 {
		t.Fatalf("remit %+v", remit)
	}
	var regs api.ListRegulators200JSONResponse
	f.ok(200, alice, "GET", "/api/v1/regulators", nil, &regs)
	if len(regs.Items) != 1 || regs.Items[0].Regulator != "RegMSP" || len(regs.Items[0].AssetTypes) != 1 || regs.Items[0].Departments == nil {
		t.Fatalf("regulators %+v", regs)
	}
	var assets api.RegulatedAssetList
	f.ok(200, alice, "GET", "/api/v1/regulators/RegMSP/assets", nil, &assets)
	var txs api.RegulatedTransactionList
	f.ok(200, alice, "GET", "/api/v1/regulators/RegMSP/transactions", nil, &txs)

	var nodes api.GetNodeStatus200JSONResponse
	f.ok(200, alice, "GET", "/api/v1/monitoring/nodes", nil, &nodes)
	var series api.MonitoringSeriesList
	f.ok(200, alice, "GET", "/api/v1/monitoring/transactions?bucket=600", nil, &series)
	var acc api.AccountMonitoring
	f.ok(200, alice, "GET", "/api/v1/monitoring/accounts", nil, &acc)
	var am api.AssetMonitoring
	f.ok(200, alice, "GET", "/api/v1/monitoring/assets", nil, &am)
	var alerts api.MonitoringAlertList
	f.ok(200, alice, "GET", "/api/v1/monitoring/alerts?open=true", nil, &alerts)
	var sal api.SupervisionAlertList
	f.ok(200, alice, "GET", "/api/v1/supervision/alerts", nil, &sal)
}

// snapshot counts every row the oversight operations write.
func (f *overFixture) snapshot() string {
	f.t.Helper()
	var out []int
	for _, table := range []string{"messages", "supervision_interventions", "supervision_alerts", "regulator_remits", "monitoring_alerts", "chain_outbox"} {
		var n int
		if err := f.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, n)
	}
	return fmt.Sprint(out)
}

func TestOversightHTTP_BadInputChangesNothing(t *testing.T) {
	f := newOverFixture(t)
	projectProcess(t, f.pool, "APP-1")
	before := f.snapshot()
	ivPath := "/api/v1/supervision/processes/APP-1/steps/licence/interventions"
	for _, c := range []struct {
		name, who, method, path string
		body                    any
		status                  int
	}{
		{"send without auth", "", "POST", "/api/v1/messages", map[string]any{"to": "user:bob", "topic": "t", "title": "x"}, 401},
		{"send to a bad address", alice, "POST", "/api/v1/messages", map[string]any{"to": "planet:mars", "topic": "t", "title": "x"}, 400},
		{"send to the system", alice, "POST", "/api/v1/messages", map[string]any{"to": "system:kaiban", "topic": "t", "title": "x"}, 400},
		{"send without title", alice, "POST", "/api/v1/messages", map[string]any{"to": "user:bob", "topic": "t"}, 400},
		{"send with unknown field", alice, "POST", "/api/v1/messages", map[string]any{"to": "user:bob", "topic": "t", "title": "x", "cc": "y"}, 400},
		{"send from someone else", alice, "POST", "/api/v1/messages", map[string]any{"from": "user:bob", "to": "user:carol", "topic": "t", "title": "x"}, 403},
		{"send not JSON", alice, "POST", "/api/v1/messages", "{", 400},
		{"list a bad box", alice, "GET", "/api/v1/messages?box=trash", nil, 400},
		{"list a bad cursor", alice, "GET", "/api/v1/messages?cursor=abc", nil, 400},
		{"list a huge limit", alice, "GET", "/api/v1/messages?limit=1000", nil, 400},
		{"list another mailbox", alice, "GET", "/api/v1/messages?mailbox=user:bob", nil, 403},
		{"get a bad ID", alice, "GET", "/api/v1/messages/abc", nil, 400},
		{"get a missing message", alice, "GET", "/api/v1/messages/999", nil, 404},
		{"read a missing message", alice, "POST", "/api/v1/messages/999/read", nil, 404},
		{"timeline of a bad ID", alice, "GET", "/api/v1/supervision/processes/%20x", nil, 400},
		{"timeline of a missing process", alice, "GET", "/api/v1/supervision/processes/APP-404", nil, 404},
		{"processes with a bad status", alice, "GET", "/api/v1/supervision/processes?status=lost", nil, 400},
		{"processes with a bad cursor", alice, "GET", "/api/v1/supervision/processes?cursor=yesterday", nil, 400},
		{"intervene without reason", alice, "POST", ivPath, map[string]any{"action": "note"}, 400},
		{"intervene with a bad action", alice, "POST", ivPath, map[string]any{"action": "delete", "reason": "x"}, 400},
		{"extend without seconds", alice, "POST", ivPath, map[string]any{"action": "extend", "reason": "x"}, 400},
		{"note with seconds", alice, "POST", ivPath, map[string]any{"action": "note", "reason": "x", "extendSeconds": 5}, 400},
		{"intervene in a missing step", alice, "POST", "/api/v1/supervision/processes/APP-1/steps/seal/interventions", map[string]any{"action": "note", "reason": "x"}, 404},
		{"alerts with a bad cursor", alice, "GET", "/api/v1/supervision/alerts?cursor=-1", nil, 400},
		{"empty remit", alice, "PUT", "/api/v1/regulators/RegMSP/remit", map[string]any{}, 400},
		{"remit with a bad type", alice, "PUT", "/api/v1/regulators/RegMSP/remit", map[string]any{"assetTypes": []string{"a b"}}, 400},
		{"regulated assets with a huge limit", alice, "GET", "/api/v1/regulators/RegMSP/assets?limit=999", nil, 400},
		{"regulated transactions with a bad cursor", alice, "GET", "/api/v1/regulators/RegMSP/transactions?cursor=x", nil, 400},
		{"inspect without reason", alice, "POST", "/api/v1/regulators/RegMSP/assets/" + strings.Repeat("a", 32) + "/inspection", map[string]any{}, 400},
		{"inspect a bad asset ID", alice, "POST", "/api/v1/regulators/RegMSP/assets/xyz/inspection", map[string]any{"reason": "r"}, 400},
		{"inspect outside the remit", alice, "POST", "/api/v1/regulators/RegMSP/assets/" + strings.Repeat("a", 32) + "/inspection", map[string]any{"reason": "r"}, 403},
		{"transactions with reversed range", alice, "GET", "/api/v1/monitoring/transactions?from=2026-03-02T10:00:00Z&to=2026-03-01T10:00:00Z", nil, 400},
		{"transactions with tiny buckets", alice, "GET", "/api/v1/monitoring/transactions?bucket=1", nil, 400},
		{"accounts with too many buckets", alice, "GET", "/api/v1/monitoring/accounts?bucket=60&from=2020-01-01T00:00:00Z", nil, 400},
		{"assets with a bad time", alice, "GET", "/api/v1/monitoring/assets?from=monday", nil, 400},
		{"monitoring alerts with a bad limit", alice, "GET", "/api/v1/monitoring/alerts?limit=0", nil, 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := f.call(c.who, c.method, c.path, c.body)
			if rec.Code != c.status || rec.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d %s, want %d problem: %s", rec.Code, rec.Header().Get("Content-Type"), c.status, rec.Body)
			}
		})
	}
	// The stream refuses a bad Last-Event-ID and a foreign mailbox.
	for _, c := range []struct {
		header, query string
		status        int
	}{{"abc", "", 400}, {"", "?mailbox=user:bob", 403}, {"", "?mailbox=nonsense", 400}} {
		req, _ := http.NewRequest("GET", f.srv.URL+StreamPath+c.query, nil)
		req.Header.Set("X-Test-Principal", alice)
		if c.header != "" {
			req.Header.Set("Last-Event-ID", c.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("stream %q %q: %d, want %d", c.header, c.query, resp.StatusCode, c.status)
		}
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("bad input changed the database: %s → %s", before, after)
	}
}

func TestOversightHTTP_WithoutServicesIs503(t *testing.T) {
	s, _ := newServer(t, Options{Authenticate: func(c *gin.Context) {
		c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), &identity.Principal{Kind: "user", ID: "u"}))
		SetClient(c, "u")
	}})
	for _, path := range []string{"/api/v1/messages", "/api/v1/supervision/alerts", "/api/v1/monitoring/nodes", StreamPath} {
		problemOf(t, do(t, s.Handler(), "GET", path, nil), 503, "unavailable")
	}
}

// TestOversightHTTP_RealAuthenticatorStreamAndPermissions runs the oversight
// operations and the message stream behind the real authenticator and the
// built-in roles' permissions.
func TestOversightHTTP_RealAuthenticatorStreamAndPermissions(t *testing.T) {
	f := newIDFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hub := messages.NewHub(f.pool, nil)
	go hub.Run(ctx)
	<-hub.Ready()
	mon, err := monitoring.New(f.pool, monitoring.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f.s, _ = newServer(t, Options{Security: f.s.sec, Oversight: Oversight{Messages: messages.NewStore(f.pool), Hub: hub, Monitoring: mon}})
	srv := httptest.NewServer(f.s.Handler())
	t.Cleanup(srv.Close)

	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	sec, _ := f.admin("security", identity.RoleSecurityAdmin)
	officer, offID := f.user(sys, "liwei", "tax")
	supervisor, supID := f.user(sys, "zhao", "tax")
	nobody, _ := f.user(sys, "qian", "tax")
	f.ok(204, sec, "PUT", "/api/v1/users/"+offID+"/roles/officer", nil, nil)
	f.ok(204, sec, "PUT", "/api/v1/users/"+supID+"/roles/supervisor", nil, nil)
	// A role change ends the user's sessions: sign in again.
	login := func(name string) string {
		var s api.Session
		f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": name, "password": fixturePassword}, &s)
		return s.Token
	}
	officer, supervisor = login("liwei"), login("zhao")

	// Without credentials the stream is refused; the supervisor's opens.
	resp, err := http.Get(srv.URL + StreamPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("anonymous stream: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest("GET", srv.URL+StreamPath, nil)
	req.Header.Set("Authorization", "Bearer "+supervisor)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("supervisor stream: %d %s", resp.StatusCode, b)
	}
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				lines <- sc.Text()
			}
		}
	}()
	for hub.Connected(messages.Address{Kind: messages.KindUser, ID: supID}) == 0 {
		time.Sleep(5 * time.Millisecond)
	}

	problemOf(t, f.call(nobody, "POST", "/api/v1/messages", map[string]any{"to": "user:" + supID, "topic": "t", "title": "x"}), 403, "denied")
	f.ok(201, officer, "POST", "/api/v1/messages", map[string]any{"to": "user:" + supID, "topic": "notice", "title": "licence ready"}, nil)
	select {
	case l := <-lines:
		if !strings.Contains(l, "licence ready") {
			t.Fatalf("event %s", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no live event")
	}
	problemOf(t, f.call(officer, "GET", "/api/v1/monitoring/nodes", nil), 403, "denied")
	problemOf(t, f.call(supervisor, "GET", "/api/v1/regulators", nil), 403, "denied")
	f.ok(200, supervisor, "GET", "/api/v1/monitoring/nodes", nil, nil)
	f.ok(200, sys, "GET", "/api/v1/monitoring/alerts", nil, nil)
}
