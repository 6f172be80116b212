package supervision_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

func auditLog(t testing.TB, pool *pgxpool.Pool) *audit.Log {
	t.Helper()
	l, err := audit.New(pool, []byte("audit-key-0123456789abcdef012345"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// projectAsset projects an asset and its issue event.
func projectAsset(t testing.TB, pool *pgxpool.Pool, id, typ, issuer string, block int64) {
	t.Helper()
	rec, _ := json.Marshal(map[string]string{"id": id, "type": typ, "issuer": issuer, "owner": "a1b2"})
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_assets (id, type, owner, issuer, status, business_key, created_at, record, block_number, tx_id)
		VALUES ($1, $2, 'a1b2', $3, 'available', $1, $4, $5, $6, 'tx-' || $1)`, id, typ, issuer, t0.Add(time.Duration(block)*time.Minute), rec, block); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_events (tx_id, channel, chaincode, block_number, event_name, payload)
		VALUES ('tx-' || $1, 'kaiban', 'asset', $2, 'AssetIssued', $3)`, id, block, rec); err != nil {
		t.Fatal(err)
	}
}

func TestRegulator_RemitAssetsTransactionsAudited_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	log := auditLog(t, pool)
	projectAsset(t, pool, "aa010000000000000000000000000000", "licence", "MarketMSP", 1)
	projectAsset(t, pool, "aa020000000000000000000000000000", "tax-notice", "TaxMSP", 2)
	projectAsset(t, pool, "aa030000000000000000000000000000", "bank-notice", "BankMSP", 3)
	project(t, pool, establishment("APP-1"))
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_events (tx_id, channel, chaincode, block_number, event_name, payload)
		VALUES ('tx-step', 'kaiban', 'approval', 4, 'StepDecided', '{"process":"APP-1","key":"seal","department":"PoliceMSP"}')`); err != nil {
		t.Fatal(err)
	}

	// Market regulation regulates licences and the tax department.
	remit, err := s.SetRemit(ctx, supervision.Remit{Regulator: "MarketRegMSP", AssetTypes: []string{"licence"}, Departments: []string{"TaxMSP"}})
	if err != nil || len(remit.AssetTypes) != 1 || len(remit.Departments) != 1 {
		t.Fatalf("remit %+v %v", remit, err)
	}
	assets, err := s.RegulatedAssets(ctx, log, "MarketRegMSP", supervision.AssetFilter{})
	if err != nil || len(assets) != 2 || assets[0].ID != "aa020000000000000000000000000000" || assets[1].ID != "aa010000000000000000000000000000" {
		t.Fatalf("assets %+v %v", assets, err)
	}
	txs, err := s.RegulatedTransactions(ctx, log, "MarketRegMSP", 0, 0)
	if err != nil || len(txs) != 2 {
		t.Fatalf("transactions %+v %v", txs, err)
	}
	// Someone with no remit sees nothing; the police's step is outside.
	if none, _ := s.RegulatedAssets(ctx, log, "OtherMSP", supervision.AssetFilter{}); len(none) != 0 {
		t.Fatalf("no remit, assets %+v", none)
	}
	for _, id := range []string{"aa030000000000000000000000000000", "aa0f0000000000000000000000000000"} {
		if _, err := s.Inspect(ctx, log, supervision.InspectInput{Regulator: "MarketRegMSP", Asset: id, Reason: "routine check"}); !errors.Is(err, supervision.ErrDenied) {
			t.Fatalf("asset %s outside the remit (or unknown): %v", id, err)
		}
	}
	var writes int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM chain_outbox`).Scan(&writes)
	if writes != 0 {
		t.Fatalf("a refused inspection enqueued %d writes", writes)
	}
	ins, err := s.Inspect(ctx, log, supervision.InspectInput{Regulator: "MarketRegMSP", Asset: "aa010000000000000000000000000000", Reason: "routine check"})
	if err != nil || ins.Asset.Type != "licence" || ins.OutboxKey == "" {
		t.Fatalf("inspect %+v %v", ins, err)
	}
	var fn, args string
	if err := pool.QueryRow(ctx, `SELECT function, args::text FROM chain_outbox WHERE key = $1`, ins.OutboxKey).Scan(&fn, &args); err != nil || fn != "RecordAccess" {
		t.Fatalf("outbox %s %s %v", fn, args, err)
	}
	if err := log.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{"regulator.assets": 2, "regulator.transactions": 1, "regulator.inspect": 3} {
		recs, err := log.Query(ctx, audit.Filter{Action: action})
		if err != nil || len(recs) != want {
			t.Errorf("audit %s: %d records (%v), want %d", action, len(recs), err, want)
		}
	}
}

func TestRegulator_Remits_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	if rs, err := s.Remits(ctx); err != nil || rs == nil || len(rs) != 0 {
		t.Fatalf("no remit yet: %+v %v", rs, err)
	}
	for _, r := range []supervision.Remit{
		{Regulator: "TaxRegMSP", Departments: []string{"TaxMSP"}},
		{Regulator: "MarketRegMSP", AssetTypes: []string{"licence", "seal-record"}, Departments: []string{"MarketMSP"}},
	} {
		if _, err := s.SetRemit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := s.Remits(ctx)
	if err != nil || len(rs) != 2 {
		t.Fatalf("remits %+v %v", rs, err)
	}
	m, tx := rs[0], rs[1]
	if m.Regulator != "MarketRegMSP" || len(m.Departments) != 1 || m.Departments[0] != "MarketMSP" ||
		len(m.AssetTypes) != 2 || m.AssetTypes[0] != "licence" || m.AssetTypes[1] != "seal-record" {
		t.Fatalf("market regulator %+v", m)
	}
	if tx.Regulator != "TaxRegMSP" || len(tx.Departments) != 1 || len(tx.AssetTypes) != 0 {
		t.Fatalf("tax regulator %+v", tx)
	}
}

func TestRegulator_BadInput_Postgres(t *testing.T) {
	pool := migrated(t)
	s := service(t, pool)
	for name, r := range map[string]supervision.Remit{
		"empty":          {Regulator: "RegMSP"},
		"bad regulator":  {Regulator: "a b", AssetTypes: []string{"licence"}},
		"bad department": {Regulator: "RegMSP", Departments: []string{"x y"}},
	} {
		if _, err := s.SetRemit(ctx, r); !errors.Is(err, supervision.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: "RegMSP", Asset: "aa010000000000000000000000000000"}); !errors.Is(err, supervision.ErrInvalid) {
		t.Errorf("no reason: %v", err)
	}
	if _, err := s.RegulatedAssets(ctx, nil, "RegMSP", supervision.AssetFilter{Limit: 500}); !errors.Is(err, supervision.ErrInvalid) {
		t.Errorf("limit: %v", err)
	}
	var n int
	_ = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM regulator_remits) + (SELECT count(*) FROM chain_outbox)`).Scan(&n)
	if n != 0 {
		t.Fatalf("bad input left %d rows", n)
	}
}
