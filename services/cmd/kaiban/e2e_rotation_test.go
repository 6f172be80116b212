package main

import (
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/establish"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// TestDev_DepartmentKeyRotation_ReachesChainAndVerification follows a
// department's key rotation (密钥更换, 7.4.3 b 1) through the whole platform
// over REST: the market's officer rotates the market's key in the key
// service; the key change reaches the chain (the platform submits the
// ChangeMemberKey the old key signed); the simulated market department then
// issues the next licence under the new key without being told (its key
// session still open from the first licence); and the
// licences issued before and after both verify through the public endpoint,
// each under the key in force when it was issued.
func TestDev_DepartmentKeyRotation_ReachesChainAndVerification(t *testing.T) {
	d := startDevE2E(t, nil)
	ctx := d.ctx(6 * time.Minute)
	market := d.login("demo-market")

	licence := func(firm, name string) api.IssuedDocument {
		t.Helper()
		form := establish.Form(firm)
		form["name"] = name
		app, err := d.window.Apply(ctx, form)
		d.must(err)
		_, err = d.window.WaitBundle(ctx, app.Id)
		d.must(err)
		var docs api.IssuedDocumentList
		d.must(d.window.Clerk.Call(ctx, "GET", "/api/v1/issuance/processes/"+app.Id+"/documents", nil, 200, &docs))
		for _, doc := range docs.Items {
			if doc.Kind == "business-licence" {
				return doc
			}
		}
		t.Fatalf("no business licence among %+v", docs.Items)
		return api.IssuedDocument{}
	}
	verified := func(doc api.IssuedDocument, when string) {
		t.Helper()
		var v api.DocumentVerification
		d.must(d.anon.Call(ctx, "POST", "/api/v1/issuance/verification/payload", map[string]any{"payload": doc.Payload}, 200, &v))
		if !v.Valid || !v.Authentic || v.Asset == nil || *v.Asset != doc.Asset || v.Issuer == nil || *v.Issuer != "MarketMSP" {
			t.Fatalf("the licence issued %s the rotation does not verify: %+v", when, v)
		}
	}

	before := licence(d.openLocker("济南市轮换前科技有限公司"), "济南市轮换前科技有限公司")
	verified(before, "before")

	// Refused rotations change nothing: a wrong password, no note.
	snap := d.quiet()
	password := d.p.departmentKeyPassword("market")
	d.must(market.Call(ctx, "POST", "/api/v1/keys/department/MarketMSP/rotation", map[string]any{"password": "Not-the-password-1", "note": "年度密钥更换"}, 403, nil))
	d.must(market.Call(ctx, "POST", "/api/v1/keys/department/MarketMSP/rotation", map[string]any{"password": password}, 400, nil))
	if now := d.quiet(); now != snap {
		t.Fatalf("refused rotations changed the platform: %s → %s", snap, now)
	}

	var rot api.KeyRotation
	d.must(market.Call(ctx, "POST", "/api/v1/keys/department/MarketMSP/rotation", map[string]any{"password": password, "note": "年度密钥更换"}, 200, &rot))
	if rot.New.Version != rot.Old.Version+1 || rot.Old.Status != "retired" || rot.New.PublicKey == rot.Old.PublicKey {
		t.Fatalf("rotation %+v", rot)
	}
	// No waiting for the chain: the next licence is issued at once, as an
	// officer would, and verifies only if the new key reached the chain
	// (verification reads the issuer's key history from the ledger).
	after := licence(d.openLocker("济南市轮换后科技有限公司"), "济南市轮换后科技有限公司")
	verified(after, "after")
	verified(before, "before")
}
