package anchoring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/anchoring"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// TestLedger_FindsDeletedTail_Devnet anchors a real audit log on a real
// devnet, then deletes the log's last rows and its local anchors — the
// tampering the SM3 chain alone cannot see — and verification against the
// ledger finds it.
func TestLedger_FindsDeletedTail_Devnet(t *testing.T) {
	ctx := context.Background()
	net := chaintest.Start(t, chaintest.Options{})
	client := net.Connect(t)
	chaintest.MustFound(t, client)
	subject, err := client.Contract(chaintest.Market, model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	anchors, err := anchoring.New(subject)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := anchors.LatestAnchor(ctx); ok || err != nil {
		t.Fatalf("a member that never anchored has an anchor: %v, %v", ok, err)
	}

	pool := pgtest.New(t)
	log, err := audit.New(pool, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(log.Close)
	for i := range 6 {
		if _, err := log.Append(ctx, audit.Entry{ActorKind: audit.ActorUser, ActorID: "u1", Action: "GET /api/v1/x", Resource: fmt.Sprint(i), Result: audit.ResultOK, Status: 200}); err != nil {
			t.Fatal(err)
		}
	}
	anc, ok, err := log.AnchorHead(ctx, anchors)
	if err != nil || !ok || anc.Seq != 6 || anc.TxID == "" {
		t.Fatalf("AnchorHead = %+v, %v, %v", anc, ok, err)
	}
	onChain, ok, err := anchors.LatestAnchor(ctx)
	if err != nil || !ok || onChain.Seq != 6 || onChain.Head != anc.Head || onChain.TxID != anc.TxID {
		t.Fatalf("ledger's anchor %+v, %v, %v; stored %+v", onChain, ok, err, anc)
	}
	// Re-anchoring the same head is harmless and names the first transaction.
	if tx, err := anchors.Anchor(ctx, 6, anc.Head); err != nil || tx != anc.TxID {
		t.Fatalf("re-anchor: %s, %v", tx, err)
	}
	if rep, err := log.Verify(ctx, anchors); err != nil || !rep.OK {
		t.Fatalf("intact log: %+v, %v", rep, err)
	}

	for _, stmt := range []string{
		"ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
		"DELETE FROM audit_log WHERE seq > 4",
		"DELETE FROM audit_anchors",
		"ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update",
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	rep, err := log.Verify(ctx, anchors)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatalf("deleted tail not found against the ledger: %+v", rep)
	}
	// A rewritten head for an anchored row is refused by the chain.
	rewritten := "0" + anc.Head[1:]
	if anc.Head[0] == '0' {
		rewritten = "1" + anc.Head[1:]
	}
	if _, err := anchors.Anchor(ctx, 6, rewritten); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("rewritten head: %v", err)
	}
}
