package approval_test

import (
	"slices"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// 7.6.7: once every department has decided, the window issues the results to
// the applicant's locker in one bundle and the process completes.
func TestIssueBundle_CompletesProcess(t *testing.T) {
	f := newFixture(t)
	f.start()
	assets := f.approveAll()
	items := allIssued(assets)
	// The tax step issued a second document: a step may list several assets.
	extra := f.issue(model.DeptTax)
	items = append(items, model.BundleItem{Step: model.DeptTax, Asset: extra, Status: model.BundleIssued})
	res := f.ok(f.bundle(items...))
	var b model.Bundle
	f.decode(res, &b)
	if b.Process != app || b.Owner != f.firm.ID || !slices.Equal(b.Items, items) || b.IssuedBy != windowMSP || b.At != at(res) || b.TxID != res.TxID {
		t.Fatalf("bundle = %+v", b)
	}
	event(t, res, model.EventBundleIssued, &model.Bundle{})
	wantKeys := []string{ck("bundle", app), ck("process", app)}
	if got := writtenKeys(res); !slices.Equal(got, wantKeys) {
		t.Fatalf("wrote %q, want %q", got, wantKeys)
	}
	v := f.view()
	if v.Process.Status != model.ProcessCompleted || v.Process.UpdatedTx != res.TxID || v.Bundle == nil || v.Bundle.TxID != res.TxID {
		t.Fatalf("view = %+v", v)
	}
	noWrite(t, f.bundle(items...))
	f.fails(model.CodeConflict, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: items[:len(items)-1]}))
	// Supervision notes are still recorded on a completed process.
	note := model.InterventionRequest{Process: app, Step: model.DeptTax, Action: model.InterveneNote, Reason: "closed"}
	f.ok(f.intervene(note))
}

// A rejected process is closed with what was achieved: the licence issued,
// the rejection, and the steps left pending skipped and taken off the queues.
// It stays rejected — a refused application is never counted as completed —
// and its bundle is what tells that it is closed: no step can be reopened.
func TestIssueBundle_RejectedProcess(t *testing.T) {
	f := newFixture(t)
	f.start()
	licence := f.issue(model.DeptMarket)
	f.ok(f.decide(model.DeptMarket, true, licence))
	f.ok(f.decide(model.DeptSeal, true))
	f.ok(f.decide(model.DeptTax, false))
	items := []model.BundleItem{
		{Step: model.DeptMarket, Asset: licence, Status: model.BundleIssued},
		{Step: model.DeptSeal, Status: model.BundleSkipped},
		{Step: model.DeptTax, Status: model.BundleRejected},
	}
	for _, d := range []string{model.DeptSocial, model.DeptMedical, model.DeptHousingFund, model.DeptBank} {
		items = append(items, model.BundleItem{Step: d, Status: model.BundleSkipped})
	}
	res := f.ok(f.bundle(items...))
	var b model.Bundle
	f.decode(res, &b)
	v := f.view()
	if v.Process.Status != model.ProcessRejected || v.Process.Note != "rejected at step tax" || v.Process.UpdatedTx != res.TxID ||
		v.Bundle == nil || v.Bundle.TxID != res.TxID || !slices.Equal(v.Bundle.Items, items) {
		t.Fatalf("view after the bundle = %+v, bundle %+v", v.Process, v.Bundle)
	}
	if got := writtenKeys(res); len(got) != 2+4 {
		t.Fatalf("wrote %q", got)
	}
	if q := listPending(t, f, "", 0, ""); len(q.Items) != 0 {
		t.Fatalf("queues still hold %+v", q.Items)
	}
	// Issuing the same bundle again returns it and writes nothing; another
	// bundle is a conflict, as for a completed process.
	again := f.ok(f.bundle(items...))
	noWrite(t, again)
	var same model.Bundle
	f.decode(again, &same)
	if same.TxID != b.TxID || !slices.Equal(same.Items, b.Items) {
		t.Fatalf("second bundle %+v, first %+v", same, b)
	}
	f.fails(model.CodeConflict, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: items[:len(items)-1]}))
	f.fails(model.CodeState, f.depts[model.DeptBank].Client, "DecideStep", signedArgs(f, model.DeptBank, true)...)
	reopen := model.InterventionRequest{Process: app, Step: model.DeptTax, Action: model.InterveneReopen, Reason: "too late"}
	f.fails(model.CodeState, f.supervisor, "Intervene", mustJSON(t, &reopen))
	if v := f.view(); v.Process.Status != model.ProcessRejected {
		t.Fatalf("process after the refused reopen = %+v", v.Process)
	}
}

func TestIssueBundle_NotDecided(t *testing.T) {
	f := newFixture(t)
	f.start()
	licence := f.issue(model.DeptMarket)
	f.ok(f.decide(model.DeptMarket, true, licence))
	items := []model.BundleItem{{Step: model.DeptMarket, Asset: licence, Status: model.BundleIssued}}
	for _, d := range model.Departments[1:] {
		items = append(items, model.BundleItem{Step: d, Status: model.BundleSkipped})
	}
	f.fails(model.CodeState, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: items}))
	f.fails(model.CodeNotFound, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: "APP-none", Items: items}))
}

func TestIssueBundle_Items(t *testing.T) {
	f := newFixture(t)
	f.start()
	assets := f.approveAll()
	stranger := f.c.OpenSubject(model.SubjectEnterprise)
	firm := f.firm
	f.firm = stranger
	foreign := f.issue(model.DeptSocial)
	f.firm = firm
	revoked := f.issue(model.DeptSocial)
	change := model.AssetStatusChange{Asset: revoked, Note: "issued in error"}
	f.ok(f.l.Submit(f.depts[model.DeptSocial].Client, model.ChaincodeAsset, "RevokeAsset", mustJSON(t, &change)))

	replace := func(i int, it model.BundleItem) []model.BundleItem {
		items := allIssued(assets)
		items[i] = it
		return items
	}
	cases := []struct {
		name  string
		code  model.Code
		items []model.BundleItem
	}{
		{"missing step", model.CodeInvalid, allIssued(assets)[1:]},
		{"unknown step", model.CodeInvalid, append(allIssued(assets), model.BundleItem{Step: "notary", Status: model.BundleSkipped})},
		{"listed twice", model.CodeInvalid, append(allIssued(assets), allIssued(assets)[0])},
		{"skipped and issued", model.CodeInvalid, append(allIssued(assets), model.BundleItem{Step: model.DeptBank, Status: model.BundleSkipped})},
		{"rejected but approved", model.CodeInvalid, replace(2, model.BundleItem{Step: model.DeptSocial, Status: model.BundleRejected})},
		{"foreign asset", model.CodeInvalid, replace(2, model.BundleItem{Step: model.DeptSocial, Asset: foreign, Status: model.BundleIssued})},
		{"revoked asset", model.CodeState, replace(2, model.BundleItem{Step: model.DeptSocial, Asset: revoked, Status: model.BundleIssued})},
		{"unknown asset", model.CodeNotFound, replace(2, model.BundleItem{Step: model.DeptSocial, Asset: model.DeriveID("none"), Status: model.BundleIssued})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.fails(tc.code, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: tc.items}))
		})
	}
	// An approved step without a document is skipped.
	f.ok(f.bundle(replace(5, model.BundleItem{Step: model.DeptBank, Status: model.BundleSkipped})...))
}

func TestIssueBundle_RejectedStepItems(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, false))
	rest := func(first model.BundleItem) []model.BundleItem {
		items := []model.BundleItem{first}
		for _, d := range model.Departments[1:] {
			items = append(items, model.BundleItem{Step: d, Status: model.BundleSkipped})
		}
		return items
	}
	asset := f.issue(model.DeptMarket)
	for name, it := range map[string]model.BundleItem{
		"issued":  {Step: model.DeptMarket, Asset: asset, Status: model.BundleIssued},
		"skipped": {Step: model.DeptMarket, Status: model.BundleSkipped},
	} {
		t.Run(name, func(t *testing.T) {
			f.fails(model.CodeInvalid, f.clerk, "IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: rest(it)}))
		})
	}
	f.ok(f.bundle(rest(model.BundleItem{Step: model.DeptMarket, Status: model.BundleRejected})...))
}

func TestIssueBundle_DeniedAndMalformed(t *testing.T) {
	f := newFixture(t)
	f.start()
	assets := f.approveAll()
	good := mustJSON(t, &model.BundleIssue{Process: app, Items: allIssued(assets)})
	for name, who := range map[string]cctest.Creator{
		"supervisor": f.supervisor,
		"department": f.depts[model.DeptMarket].Client,
		"no role":    f.window.Client,
	} {
		t.Run(name, func(t *testing.T) { f.fails(model.CodeDenied, who, "IssueBundle", good) })
	}
	for name, arg := range map[string]string{
		"empty":           "",
		"no items":        mustJSON(t, &model.BundleIssue{Process: app}),
		"issued no asset": mustJSON(t, &model.BundleIssue{Process: app, Items: []model.BundleItem{{Step: "market", Status: model.BundleIssued}}}),
		"skipped asset":   mustJSON(t, &model.BundleIssue{Process: app, Items: []model.BundleItem{{Step: "market", Asset: assets["market"], Status: model.BundleSkipped}}}),
		"bad status":      mustJSON(t, &model.BundleIssue{Process: app, Items: []model.BundleItem{{Step: "market", Status: "lost"}}}),
	} {
		t.Run(name, func(t *testing.T) { f.fails(model.CodeInvalid, f.clerk, "IssueBundle", arg) })
	}
	f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "IssueBundle", good))
}
