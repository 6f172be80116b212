package httpapi

import (
	"context"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
)

type fakeAnchorer struct{ seq uint64 }

func (a *fakeAnchorer) Anchor(_ context.Context, seq uint64, _ string) (string, error) {
	a.seq = seq
	return "tx-anchor", nil
}

func TestAuditHTTP_EveryCallRecordedQueriedAndVerified(t *testing.T) {
	f := newIDFixture(t)
	aud, audID := f.admin("auditor", identity.RoleAuditAdmin)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)

	rec := f.call(sys, "GET", "/api/v1/departments", nil, "X-Request-ID", "trace-42")
	if rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	f.call("", "GET", "/api/v1/users", nil, "X-Request-ID", "trace-43") // refused: recorded too
	if err := f.log.Flush(context.Background()); err != nil {           // the reads are queued
		t.Fatal(err)
	}

	var recs api.AuditRecordList
	f.ok(200, aud, "GET", "/api/v1/audit/records?requestId=trace-42", nil, &recs)
	if len(recs.Items) != 1 || recs.Items[0].Action != "GET /api/v1/departments" || recs.Items[0].ActorName != "root" ||
		recs.Items[0].Result != "ok" || recs.Items[0].Status != 200 || recs.Items[0].Source == "" {
		t.Fatalf("records of trace-42: %+v", recs.Items)
	}
	f.ok(200, aud, "GET", "/api/v1/audit/records?requestId=trace-43", nil, &recs)
	if len(recs.Items) != 1 || recs.Items[0].Result != "denied" || recs.Items[0].Status != 401 || recs.Items[0].ActorKind != "anonymous" {
		t.Fatalf("records of trace-43: %+v", recs.Items)
	}
	f.ok(200, aud, "GET", "/api/v1/audit/records?actor="+audID+"&limit=2", nil, &recs)
	if len(recs.Items) != 2 || recs.Items[0].Seq <= recs.Items[1].Seq || recs.Items[0].ActorId != audID || recs.Next == nil {
		t.Fatalf("page of the auditor's records: %+v", recs)
	}
	var older api.AuditRecordList
	f.ok(200, aud, "GET", "/api/v1/audit/records?actor="+audID+"&limit=2&cursor="+*recs.Next, nil, &older)
	if len(older.Items) == 0 || older.Items[0].Seq >= recs.Items[1].Seq {
		t.Fatalf("next page %+v", older)
	}

	if _, _, err := f.log.AnchorHead(context.Background(), &fakeAnchorer{}); err != nil {
		t.Fatal(err)
	}
	var rep api.AuditReport
	f.ok(200, aud, "POST", "/api/v1/audit/verification", nil, &rep)
	if !rep.Ok || rep.Rows == 0 || rep.Anchors != 1 || rep.LatestAnchor == nil {
		t.Fatalf("report %+v", rep)
	}
	var anchors api.AuditAnchorList
	f.ok(200, aud, "GET", "/api/v1/audit/anchors", nil, &anchors)
	if len(anchors.Items) != 1 || anchors.Items[0].TxId != "tx-anchor" {
		t.Fatalf("anchors %+v", anchors)
	}

	// Tampering shows in the report.
	for _, s := range []string{"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
		"UPDATE audit_log SET actor_name = 'someone' WHERE seq = 3",
		"ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update"} {
		if _, err := f.pool.Exec(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	f.ok(200, aud, "POST", "/api/v1/audit/verification", nil, &rep)
	if rep.Ok || len(rep.Problems) == 0 || rep.Problems[0].Seq != 3 || rep.Problems[0].Kind != "altered" {
		t.Fatalf("tampered report %+v", rep)
	}
}

func TestAuditHTTP_BadInputChangesNothing(t *testing.T) {
	f := newIDFixture(t)
	aud, _ := f.admin("auditor", identity.RoleAuditAdmin)
	for _, c := range []struct{ name, path string }{
		{"limit 0", "/api/v1/audit/records?limit=0"},
		{"limit too big", "/api/v1/audit/records?limit=201"},
		{"unknown result", "/api/v1/audit/records?result=maybe"},
		{"bad time", "/api/v1/audit/records?from=yesterday"},
		{"from after to", "/api/v1/audit/records?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"},
		{"bad cursor", "/api/v1/audit/records?cursor=abc"},
		{"zero cursor", "/api/v1/audit/records?cursor=0"},
		{"long action", "/api/v1/audit/records?action=" + strings.Repeat("a", 300)},
		{"anchors limit", "/api/v1/audit/anchors?limit=-1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			problemOf(t, f.call(aud, "GET", c.path, nil), 400, "invalid")
		})
	}
}
