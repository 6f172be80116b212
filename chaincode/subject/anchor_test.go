package subject_test

import (
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func head(b byte) string { return strings.Repeat(string("0123456789abcdef"[b%16]), 64) }

func anchorReq(t *testing.T, seq int64, h string) string {
	return js(t, &model.AuditAnchorRequest{Seq: seq, Head: h})
}

func TestAnchorAudit_MovesForward(t *testing.T) {
	l, c := founded(t)
	market := c.AddDepartment(model.DeptMarket)
	var a model.AuditAnchor
	res := succeed(t, l, market.Client, model.EventAuditAnchored, &a, "AnchorAudit", anchorReq(t, 10, head(1)))
	if a.Member != market.ID || a.Seq != 10 || a.Head != head(1) || a.TxID != res.TxID || a.ID != model.AuditAnchorID(market.ID, 10) {
		t.Fatalf("anchor = %+v", a)
	}
	if a.At != model.FormatTime(res.Timestamp) {
		t.Fatalf("anchor time %s, tx time %s", a.At, model.FormatTime(res.Timestamp))
	}
	unchanged(t, l, market.Client, nil, "AnchorAudit", anchorReq(t, 10, head(1)))
	succeed(t, l, market.Client, model.EventAuditAnchored, nil, "AnchorAudit", anchorReq(t, 25, head(2)))

	var latest, first model.AuditAnchor
	if err := l.Evaluate(market.Client, cc, "LatestAuditAnchor", market.ID).JSON(&latest); err != nil || latest.Seq != 25 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	if err := l.Evaluate(c.Operator.Client, cc, "GetAuditAnchor", market.ID, "10").JSON(&first); err != nil || first.Head != head(1) {
		t.Fatalf("anchor 10 = %+v, %v", first, err)
	}
	// Each member anchors its own log.
	tax := c.AddDepartment(model.DeptTax)
	succeed(t, l, tax.Client, model.EventAuditAnchored, nil, "AnchorAudit", anchorReq(t, 3, head(3)))
	if err := l.Evaluate(tax.Client, cc, "LatestAuditAnchor", market.ID).JSON(&latest); err != nil || latest.Seq != 25 {
		t.Fatalf("market's latest after tax anchored = %+v, %v", latest, err)
	}
}

func TestAnchorAudit_Refusals(t *testing.T) {
	l, c := founded(t)
	market := c.AddDepartment(model.DeptMarket)
	succeed(t, l, market.Client, model.EventAuditAnchored, nil, "AnchorAudit", anchorReq(t, 10, head(1)))

	if msg := fail(t, l, market.Client, model.CodeConflict, "AnchorAudit", anchorReq(t, 10, head(2))); !strings.Contains(msg, "rewritten") {
		t.Fatalf("rewritten head: %s", msg)
	}
	fail(t, l, market.Client, model.CodeState, "AnchorAudit", anchorReq(t, 9, head(1)))
	fail(t, l, market.Client, model.CodeInvalid, "AnchorAudit", anchorReq(t, 0, head(1)))
	fail(t, l, market.Client, model.CodeInvalid, "AnchorAudit", anchorReq(t, 11, "not-a-digest"))
	fail(t, l, market.Client, model.CodeInvalid, "AnchorAudit", `{"seq":11}`)
	stranger := cctest.NewOrg("StrangerMSP").Identity("x")
	fail(t, l, stranger, model.CodeDenied, "AnchorAudit", anchorReq(t, 11, head(1)))
	c.SuspendMember(market)
	fail(t, l, market.Client, model.CodeDenied, "AnchorAudit", anchorReq(t, 11, head(1)))

	for _, args := range [][]string{{"LatestAuditAnchor", "TaxMSP"}, {"GetAuditAnchor", market.ID, "11"}} {
		res := l.Evaluate(c.Operator.Client, cc, args[0], args[1:]...)
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeNotFound {
			t.Fatalf("%v: %d %q", args, res.Status, res.Message)
		}
	}
}
