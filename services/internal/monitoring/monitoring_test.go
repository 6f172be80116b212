package monitoring_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/monitoring"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

var ctx = context.Background()

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// node is an operations endpoint whose health the test switches.
type node struct {
	*httptest.Server
	healthy atomic.Bool
}

func newNode(t *testing.T) *node {
	n := &node{}
	n.healthy.Store(true)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !n.healthy.Load() {
			http.Error(w, `{"status":"Service Unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, `{"status":"OK"}`)
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# HELP ledger_blockchain_height Height\n# TYPE ledger_blockchain_height gauge\n"+
			"ledger_blockchain_height{channel=\"kaiban\"} 42\nledger_blockchain_height{channel=\"sys tem\"} 3\ngo_goroutines 17\nother 5\n")
	})
	n.Server = httptest.NewServer(mux)
	t.Cleanup(n.Close)
	return n
}

func service(t *testing.T, pool *pgxpool.Pool, nodes ...monitoring.Node) *monitoring.Service {
	t.Helper()
	s, err := monitoring.New(pool, monitoring.Config{Nodes: nodes, ProbeTimeout: time.Second,
		Rules: monitoring.Rules{Window: 10 * time.Minute, FailureRate: 0.5, MinWrites: 4, AccessVolume: 5}},
		monitoring.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestNodes_UpDownAndMetrics(t *testing.T) {
	pool := pgtest.New(t)
	up, down := newNode(t), newNode(t)
	down.healthy.Store(false)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	exec(t, pool, `INSERT INTO ledger_nodes (id, member, kind, status, record, block_number, tx_id)
		VALUES ('peer0.market', 'MarketMSP', 'transaction', 'active', '{}', 1, 'tx')`)
	s := service(t, pool,
		monitoring.Node{Name: "peer0.market", Kind: "peer", Health: up.URL + "/healthz", Metrics: up.URL + "/metrics"},
		monitoring.Node{Name: "orderer0", Kind: "orderer", Health: down.URL + "/healthz"},
		monitoring.Node{Name: "peer1", Kind: "peer", Health: gone.URL + "/healthz"})
	st, err := s.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st[0].Up || st[0].Figures["ledger_blockchain_height"] != 45 || st[0].Figures["go_goroutines"] != 17 || st[0].OnChain == nil || st[0].OnChain.Member != "MarketMSP" {
		t.Errorf("healthy node %+v", st[0])
	}
	if st[1].Up || st[1].Status != 503 || st[1].Error == "" {
		t.Errorf("unhealthy node %+v", st[1])
	}
	if st[2].Up || st[2].Error == "" {
		t.Errorf("unreachable node %+v", st[2])
	}
	if _, err := monitoring.New(pool, monitoring.Config{Nodes: []monitoring.Node{{Name: "x"}}}); err == nil {
		t.Error("a node without a health URL was accepted")
	}
}

func TestTransactions_BucketedByChaincode(t *testing.T) {
	pool := pgtest.New(t)
	for i, e := range []struct {
		cc  string
		min int
	}{{"asset", 1}, {"asset", 2}, {"approval", 2}, {"asset", 25}, {"subject", 70}, {"asset", -5}} {
		exec(t, pool, `INSERT INTO ledger_events (tx_id, channel, chaincode, block_number, event_name, projected_at)
			VALUES ($1, 'kaiban', $2, $3, 'E', $4)`, fmt.Sprint("tx", i), e.cc, i, t0.Add(time.Duration(e.min)*time.Minute))
	}
	s := service(t, pool)
	series, err := s.Transactions(ctx, monitoring.Range{From: t0, To: t0.Add(time.Hour), Bucket: 20 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, sr := range series {
		got[sr.Name] = fmt.Sprint(sr.Total, " ", sr.Points[0].Count, sr.Points[1].Count, sr.Points[2].Count)
		if len(sr.Points) != 3 || !sr.Points[1].At.Equal(t0.Add(20*time.Minute)) {
			t.Errorf("%s: points %+v", sr.Name, sr.Points)
		}
	}
	if got["asset"] != "3 2 1 0" || got["approval"] != "1 1 0 0" || len(got) != 2 {
		t.Fatalf("series %v", got)
	}
	for name, r := range map[string]monitoring.Range{
		"empty":         {From: t0, To: t0, Bucket: time.Minute},
		"tiny buckets":  {From: t0, To: t0.Add(time.Hour), Bucket: time.Second},
		"too many":      {From: t0, To: t0.Add(24 * time.Hour), Bucket: time.Minute},
		"reversed":      {From: t0.Add(time.Hour), To: t0, Bucket: time.Minute},
		"no from or to": {Bucket: time.Hour},
	} {
		if _, err := s.Transactions(ctx, r); !errors.Is(err, monitoring.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestAccountsAndAssets_CountsAndIncrements(t *testing.T) {
	pool := pgtest.New(t)
	ts := func(m int) string { return t0.Add(time.Duration(m) * time.Minute).Format(time.RFC3339Nano) }
	exec(t, pool, `INSERT INTO ledger_members (id, kind, status, record, block_number, tx_id) VALUES
		('OperatorMSP', 'operator', 'active', jsonb_build_object('createdAt', $1::text), 1, 't1'),
		('MarketMSP', 'department', 'active', jsonb_build_object('createdAt', $2::text), 2, 't2'),
		('TaxMSP', 'department', 'active', jsonb_build_object('createdAt', $3::text), 3, 't3')`, ts(-600), ts(5), ts(15))
	exec(t, pool, `INSERT INTO ledger_subjects (id, kind, status, sponsor, record, block_number, tx_id) VALUES
		('s1', 'enterprise', 'active', 'OperatorMSP', jsonb_build_object('createdAt', $1::text), 4, 't4')`, ts(7))
	exec(t, pool, `INSERT INTO ledger_asset_types (code, status, record, block_number, tx_id) VALUES
		('licence', 'active', jsonb_build_object('createdAt', $1::text), 5, 't5')`, ts(1))
	for i, a := range []struct {
		typ, status string
		min         int
	}{{"licence", "available", 2}, {"licence", "revoked", 12}, {"licence", "available", -60}, {"tax-notice", "available", 14}} {
		exec(t, pool, `INSERT INTO ledger_assets (id, type, owner, issuer, status, business_key, created_at, record, block_number, tx_id)
			VALUES ($1, $2, 's1', 'MarketMSP', $3, $1, $4, '{}', 6, 't')`, fmt.Sprint("a", i), a.typ, a.status, t0.Add(time.Duration(a.min)*time.Minute))
	}
	exec(t, pool, `INSERT INTO ledger_access_records (id, asset, accessor, action, at, record, block_number, tx_id)
		VALUES ('r1', 'a0', 'BankMSP', 'view', $1, '{}', 7, 't')`, t0.Add(3*time.Minute))
	exec(t, pool, `INSERT INTO ledger_events (tx_id, channel, chaincode, block_number, event_name, projected_at) VALUES
		('e1', 'kaiban', 'asset', 8, 'AssetRevoked', $1), ('e2', 'kaiban', 'approval', 9, 'StepDecided', $1)`, t0.Add(12*time.Minute))
	s := service(t, pool)
	r := monitoring.Range{From: t0, To: t0.Add(20 * time.Minute), Bucket: 10 * time.Minute}
	acc, err := s.Accounts(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(acc.Members) != "[{department 2} {operator 1}]" || fmt.Sprint(acc.Subjects) != "[{enterprise 1}]" || fmt.Sprint(acc.AssetTypes) != "[{active 1}]" {
		t.Fatalf("accounts %+v", acc)
	}
	created := map[string]string{}
	for _, sr := range acc.Created {
		created[sr.Name] = fmt.Sprint(sr.Points[0].Count, sr.Points[1].Count)
	}
	if created["member/department"] != "1 1" || created["subject/enterprise"] != "1 0" || created["assetType"] != "1 0" || len(created) != 3 {
		t.Fatalf("created %v", created)
	}
	as, err := s.Assets(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(as.Totals) != "[{licence 3 2 1 0} {tax-notice 1 1 0 0}]" {
		t.Fatalf("totals %+v", as.Totals)
	}
	inc := map[string]string{}
	for _, sr := range as.Increments {
		inc[sr.Name] = fmt.Sprint(sr.Points[0].Count, sr.Points[1].Count)
	}
	act := map[string]string{}
	for _, sr := range as.Activity {
		act[sr.Name] = fmt.Sprint(sr.Points[0].Count, sr.Points[1].Count)
	}
	if inc["licence"] != "1 1" || inc["tax-notice"] != "0 1" || len(act) != 2 || act["access/view"] != "1 0" || act["tx/AssetRevoked"] != "0 1" {
		t.Fatalf("increments %v activity %v", inc, act)
	}
}

func TestEvaluate_FiresOnConditionsAndNotOtherwise(t *testing.T) {
	pool := pgtest.New(t)
	n := newNode(t)
	ops := messages.Address{Kind: messages.KindMember, ID: "OperatorMSP"}
	s, err := monitoring.New(pool, monitoring.Config{Nodes: []monitoring.Node{{Name: "peer0", Kind: "peer", Health: n.URL + "/healthz"}},
		Rules: monitoring.Rules{Window: 10 * time.Minute, FailureRate: 0.5, MinWrites: 4, AccessVolume: 5}, Notify: []messages.Address{ops}},
		monitoring.WithClock(func() time.Time { return t0 }))
	if err != nil {
		t.Fatal(err)
	}
	write := func(key, status string, age time.Duration) {
		exec(t, pool, `INSERT INTO chain_outbox (key, identity, chaincode, function, args, digest, status, updated_at)
			VALUES ($1, 'OperatorMSP', 'approval', 'F', '[]', 'd', $2, $3)`, key, status, t0.Add(-age))
	}
	access := func(id, who string, age time.Duration) {
		exec(t, pool, `INSERT INTO ledger_access_records (id, asset, accessor, action, at, record, block_number, tx_id)
			VALUES ($1, 'a', $2, 'view', $3, '{}', 1, 't')`, id, who, t0.Add(-age))
	}
	// Healthy: the node answers, 1 of 4 writes failed (rate 0.25 ≤ 0.5), 5
	// accesses by the bank (not above 5), old failures and accesses outside
	// the window.
	write("w1", "done", time.Minute)
	write("w2", "done", time.Minute)
	write("w3", "done", time.Minute)
	write("w4", "failed", time.Minute)
	for i := range 3 {
		write(fmt.Sprint("old", i), "failed", time.Hour)
	}
	for i := range 5 {
		access(fmt.Sprint("b", i), "BankMSP", time.Minute)
	}
	for i := range 10 {
		access(fmt.Sprint("old", i), "TaxMSP", time.Hour)
	}
	if raised, err := s.Evaluate(ctx); err != nil || len(raised) != 0 {
		t.Fatalf("healthy: raised %+v %v", raised, err)
	}

	// Node down, failures spike, the bank reads a sixth time.
	n.healthy.Store(false)
	write("w5", "failed", time.Minute)
	write("w6", "failed", time.Minute)
	write("w7", "failed", time.Minute) // 4 of 7
	access("b5", "BankMSP", time.Minute)
	raised, err := s.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rules := map[string]string{}
	for _, a := range raised {
		rules[a.Rule] = a.Subject
	}
	if len(raised) != 3 || rules[monitoring.RuleNodeDown] != "peer0" || rules[monitoring.RuleFailureRate] != "chain" || rules[monitoring.RuleAccessVolume] != "BankMSP" {
		t.Fatalf("raised %+v", raised)
	}
	if again, err := s.Evaluate(ctx); err != nil || len(again) != 0 {
		t.Fatalf("raised twice: %+v %v", again, err)
	}
	// Each alert was sent to the operator's mailbox once.
	inbox, err := messages.NewStore(pool).Inbox(ctx, ops, messages.Page{})
	if err != nil || len(inbox) != 3 {
		t.Fatalf("notifications %+v %v", inbox, err)
	}

	// The node recovers: its alert is resolved, the others stay open.
	n.healthy.Store(true)
	if _, err := s.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	open, err := s.Alerts(ctx, true, 0, 0)
	if err != nil || len(open) != 2 {
		t.Fatalf("open alerts %+v %v", open, err)
	}
	all, _ := s.Alerts(ctx, false, 0, 0)
	if len(all) != 3 {
		t.Fatalf("all alerts %+v", all)
	}
	if _, err := s.Alerts(ctx, false, 0, 1000); !errors.Is(err, monitoring.ErrInvalid) {
		t.Fatalf("bad limit: %v", err)
	}
}
