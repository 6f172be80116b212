package asset_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func TestReviewAsset_Approve(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	r := model.AssetReview{Asset: a.ID, Approve: true, Note: "checked against the original"}
	canonical, sig := w.sign(w.social.Key, asset.ActionReviewAsset, &r)
	res := w.submit(w.social.Client, "ReviewAsset", canonical, sig)
	w.emitted(res, model.EventAssetReviewed)
	got := w.assetOf(res)
	if got.Status != model.AssetAvailable || got.ReviewedBy != w.social.ID || got.ReviewSignature != sig ||
		got.Note != r.Note || got.UpdatedTx != res.TxID || got.CreatedTx != a.CreatedTx {
		t.Fatalf("approved %+v", got)
	}
	raw, _ := base64.StdEncoding.DecodeString(got.ReviewSignature)
	if !gm.Verify(&w.social.Key.PublicKey, model.SigningMessage(asset.ActionReviewAsset, []byte(canonical)), raw) {
		t.Fatal("stored review signature does not verify")
	}
	if w.stored(a.ID).Status != model.AssetAvailable {
		t.Fatal("approval not committed")
	}
}

func TestReviewAsset_Reject(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	res := w.review(w.social, model.AssetReview{Asset: a.ID, Note: "expired document"})
	w.emitted(res, model.EventAssetReviewed)
	if got := w.assetOf(res); got.Status != model.AssetRejected || got.Note != "expired document" || got.ReviewedBy != w.social.ID {
		t.Fatalf("rejected %+v", got)
	}
	// A rejected upload cannot be used: not transferred, not revoked.
	w.fails(model.CodeState, func() *cctest.Result { return w.transfer(w.person, w.transferRequest(w.get(a.ID), w.firm)) })
}

func TestReviewAsset_RetryWritesNothing(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	r := model.AssetReview{Asset: a.ID, Approve: true}
	w.mustOK(w.review(w.social, r))
	w.noWrite(w.review(w.social, r))
	// The other decision on a decided asset is the wrong state.
	w.fails(model.CodeState, func() *cctest.Result {
		return w.review(w.social, model.AssetReview{Asset: a.ID, Note: "changed my mind"})
	})
}

func TestReviewAsset_WrongState(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.define(w.op.Client, model.AssetTypeDefinition{
		Code: typeLicence, Name: "营业执照", Schema: testSchema,
		Issuers: []string{w.market.ID, w.window.ID, w.notary.ID}, Reviewers: []string{w.social.ID},
	}))
	issued := w.issued(w.firm)
	w.fails(model.CodeState, func() *cctest.Result {
		return w.review(w.social, model.AssetReview{Asset: issued.ID, Approve: true})
	})

	t.Run("owner frozen before approval", func(t *testing.T) {
		w := w.in(t)
		owner := w.c.OpenSubject(model.SubjectPerson, model.PermTransact)
		a := w.uploaded(owner)
		w.c.FreezeSubject(owner)
		w.fails(model.CodeState, func() *cctest.Result { return w.review(w.social, model.AssetReview{Asset: a.ID, Approve: true}) })
		// Rejecting it is still possible.
		w.mustOK(w.review(w.social, model.AssetReview{Asset: a.ID, Note: "owner frozen"}))
	})
	t.Run("type abolished before approval", func(t *testing.T) {
		w := w.in(t)
		a := w.uploaded(w.person)
		w.mustOK(w.submit(w.op.Client, "AbolishAssetType", typeIDCard, "no longer accepted"))
		w.fails(model.CodeState, func() *cctest.Result { return w.review(w.social, model.AssetReview{Asset: a.ID, Approve: true}) })
	})
}

func TestReviewAsset_Denied(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	w.fails(model.CodeDenied, func() *cctest.Result { return w.review(w.tax, model.AssetReview{Asset: a.ID, Approve: true}) })
	// The issuing member of the type is not a reviewer either.
	w.fails(model.CodeDenied, func() *cctest.Result { return w.review(w.market, model.AssetReview{Asset: a.ID, Approve: true}) })
	r := model.AssetReview{Asset: a.ID, Approve: true}
	canonical, sig := w.sign(w.social.Key, asset.ActionReviewAsset, &r)
	w.fails(model.CodeDenied, func() *cctest.Result { return w.submit(w.stranger, "ReviewAsset", canonical, sig) })
}

func TestReviewAsset_SignaturesAndInput(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	r := model.AssetReview{Asset: a.ID, Approve: true}
	canonical, _ := w.sign(w.social.Key, asset.ActionReviewAsset, &r)
	_, byOwner := w.sign(w.person.Key, asset.ActionReviewAsset, &r)
	_, asIssue := w.sign(w.social.Key, asset.ActionIssueAsset, &r)
	w.fails(model.CodeSignature, func() *cctest.Result { return w.submit(w.social.Client, "ReviewAsset", canonical, byOwner) })
	w.fails(model.CodeSignature, func() *cctest.Result { return w.submit(w.social.Client, "ReviewAsset", canonical, asIssue) })
	w.fails(model.CodeInvalid, func() *cctest.Result {
		return w.review(w.social, model.AssetReview{Asset: a.ID}) // a rejection needs its reason
	})
	w.fails(model.CodeInvalid, func() *cctest.Result {
		return w.submit(w.social.Client, "ReviewAsset", strings.Replace(canonical, ":", ": ", 1), byOwner)
	})
	w.fails(model.CodeNotFound, func() *cctest.Result {
		return w.review(w.social, model.AssetReview{Asset: strings.Repeat("0", 32), Approve: true})
	})
}
