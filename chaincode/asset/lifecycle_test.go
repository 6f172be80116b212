package asset_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func TestTransferAsset_Success(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	tr := w.transferRequest(a, w.person)
	tr.Key.Mode = model.EncryptSymmetric // the new owner keeps it under its unlock password
	res := w.transfer(w.firm, tr)
	w.emitted(res, model.EventAssetTransferred)
	got := w.assetOf(res)
	if got.Owner != w.person.ID || got.Encryption != model.EncryptSymmetric || got.Note != tr.Note ||
		got.UpdatedTx != res.TxID || got.Status != model.AssetAvailable || got.IssuerSignature != a.IssuerSignature {
		t.Fatalf("transferred %+v", got)
	}
	// The old owner's wrapped key is gone, the new owner's is there.
	if !slices.Equal(got.Keys, []model.WrappedKey{tr.Key}) {
		t.Fatalf("keys %+v", got.Keys)
	}
	if w.stored(a.ID).Owner != w.person.ID {
		t.Fatal("transfer not committed")
	}
	// The asset moved between lockers.
	if ids := w.locker(w.firm.ID, ""); len(ids) != 0 {
		t.Fatalf("old owner's locker still lists %v", ids)
	}
	if ids := w.locker(w.person.ID, typeLicence); !slices.Equal(ids, []string{a.ID}) {
		t.Fatalf("new owner's locker %v", ids)
	}
}

// Recipients other than the owner, for example the issuer's own copy, keep
// their wrapped keys.
func TestTransferAsset_KeepsOtherRecipients(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	issuerCopy := model.WrappedKey{Recipient: w.market.ID, Mode: model.EncryptAsymmetric, Key: w.wrap(w.firm).Key}
	req.Keys = append(req.Keys, issuerCopy)
	a := w.assetOf(w.mustOK(w.issue(w.market.Client, w.market.Key, req)))
	tr := w.transferRequest(a, w.person)
	got := w.assetOf(w.mustOK(w.transfer(w.firm, tr)))
	if !slices.Equal(got.Keys, []model.WrappedKey{issuerCopy, tr.Key}) {
		t.Fatalf("keys %+v", got.Keys)
	}
}

func TestTransferAsset_RetryWritesNothing(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	tr := w.transferRequest(a, w.person)
	first := w.assetOf(w.mustOK(w.transfer(w.firm, tr)))
	res := w.transfer(w.firm, tr)
	w.noWrite(res)
	if again := w.assetOf(res); again.UpdatedTx != first.UpdatedTx {
		t.Fatalf("retry returned %+v", again)
	}
	// A different transfer to the current owner is refused.
	other := w.transferRequest(first, w.person)
	w.fails(model.CodeInvalid, func() *cctest.Result { return w.transfer(w.person, other) })
}

// A signed transfer names the version it was signed for, so it cannot be
// replayed once the asset has come back to the same owner.
func TestTransferAsset_ReplayAfterReturnRefused(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	away := w.transferRequest(a, w.person)
	canonical, sig := w.sign(w.firm.Key, asset.ActionTransferAsset, &away)
	moved := w.assetOf(w.mustOK(w.submit(w.window.Client, "TransferAsset", canonical, sig)))
	w.mustOK(w.transfer(w.person, w.transferRequest(moved, w.firm)))
	w.fails(model.CodeState, func() *cctest.Result { return w.submit(w.window.Client, "TransferAsset", canonical, sig) })
}

func TestTransferAsset_WrongState(t *testing.T) {
	w := newWorld(t)
	t.Run("stale latest transaction", func(t *testing.T) {
		w := w.in(t)
		a := w.issued(w.firm)
		tr := w.transferRequest(a, w.person)
		tr.LatestTx = a.CreatedTx + "0"
		w.fails(model.CodeState, func() *cctest.Result { return w.transfer(w.firm, tr) })
	})
	t.Run("revoked", func(t *testing.T) {
		w := w.in(t)
		a := w.issued(w.firm)
		revoked := w.assetOf(w.mustOK(w.change(w.market.Client, "RevokeAsset", a.ID, "issued in error")))
		w.fails(model.CodeState, func() *cctest.Result { return w.transfer(w.firm, w.transferRequest(revoked, w.person)) })
	})
	t.Run("pending review", func(t *testing.T) {
		w := w.in(t)
		a := w.uploaded(w.person)
		w.fails(model.CodeState, func() *cctest.Result { return w.transfer(w.person, w.transferRequest(a, w.firm)) })
	})
	t.Run("new owner frozen", func(t *testing.T) {
		w := w.in(t)
		to := w.c.OpenSubject(model.SubjectPerson)
		w.c.FreezeSubject(to)
		a := w.issued(w.firm)
		w.fails(model.CodeState, func() *cctest.Result { return w.transfer(w.firm, w.transferRequest(a, to)) })
	})
	t.Run("new owner unknown", func(t *testing.T) {
		w := w.in(t)
		a := w.issued(w.firm)
		tr := w.transferRequest(a, w.person)
		tr.NewOwner = strings.Repeat("cd", 16)
		tr.Key.Recipient = tr.NewOwner
		w.fails(model.CodeNotFound, func() *cctest.Result { return w.transfer(w.firm, tr) })
	})
	t.Run("asset unknown", func(t *testing.T) {
		w := w.in(t)
		tr := w.transferRequest(&model.Asset{ID: strings.Repeat("e", 32), UpdatedTx: "tx"}, w.person)
		w.fails(model.CodeNotFound, func() *cctest.Result { return w.transfer(w.firm, tr) })
	})
}

func TestTransferAsset_DeniedAndSignatures(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	tr := w.transferRequest(a, w.person)
	canonical, sig := w.sign(w.firm.Key, asset.ActionTransferAsset, &tr)
	_, byNewOwner := w.sign(w.person.Key, asset.ActionTransferAsset, &tr)
	_, byIssuer := w.sign(w.market.Key, asset.ActionTransferAsset, &tr)
	w.fails(model.CodeSignature, func() *cctest.Result { return w.submit(w.window.Client, "TransferAsset", canonical, byNewOwner) })
	w.fails(model.CodeSignature, func() *cctest.Result { return w.submit(w.window.Client, "TransferAsset", canonical, byIssuer) })
	w.fails(model.CodeDenied, func() *cctest.Result { return w.submit(w.stranger, "TransferAsset", canonical, sig) })

	// An owner without the transact permission cannot dispose of its assets.
	idleAsset := w.issued(w.idle)
	w.fails(model.CodeDenied, func() *cctest.Result { return w.transfer(w.idle, w.transferRequest(idleAsset, w.person)) })
	// Nor can a frozen owner.
	owner := w.c.OpenSubject(model.SubjectPerson, model.PermTransact)
	frozenAsset := w.issued(owner)
	w.c.FreezeSubject(owner)
	w.fails(model.CodeDenied, func() *cctest.Result { return w.transfer(owner, w.transferRequest(frozenAsset, w.person)) })

	w.mustOK(w.submit(w.window.Client, "TransferAsset", canonical, sig))
}

func TestTransferAsset_Malformed(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	wrongRecipient := w.transferRequest(a, w.person)
	wrongRecipient.Key.Recipient = w.firm.ID
	noLatest := w.transferRequest(a, w.person)
	noLatest.LatestTx = ""
	noNote := w.transferRequest(a, w.person)
	noNote.Note = ""
	toSelf := w.transferRequest(a, w.firm)
	for name, tr := range map[string]model.AssetTransfer{
		"key for someone else":  wrongRecipient,
		"no latest transaction": noLatest,
		"no note":               noNote,
		"to the current owner":  toSelf,
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeInvalid, func() *cctest.Result { return w.transfer(w.firm, tr) })
		})
	}
	w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.window.Client, "TransferAsset", "[]", "") })
}

func TestRevokeAsset_Success(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	res := w.change(w.market.Client, "RevokeAsset", a.ID, "licence withdrawn")
	w.emitted(res, model.EventAssetRevoked)
	got := w.assetOf(res)
	if got.Status != model.AssetRevoked || got.Note != "licence withdrawn" || got.UpdatedTx != res.TxID {
		t.Fatalf("revoked %+v", got)
	}
	if w.stored(a.ID).Status != model.AssetRevoked {
		t.Fatal("revocation not committed")
	}
	// Revoked assets stay in the locker, shown with their status.
	if !slices.Contains(w.locker(w.firm.ID, typeLicence), a.ID) {
		t.Fatal("revoked asset left the locker")
	}
}

func TestRevokeAsset_RetryAndWrongState(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	w.mustOK(w.change(w.market.Client, "RevokeAsset", a.ID, "withdrawn"))
	w.noWrite(w.change(w.market.Client, "RevokeAsset", a.ID, "withdrawn"))
	w.fails(model.CodeState, func() *cctest.Result {
		return w.change(w.market.Client, "RevokeAsset", a.ID, "revoking a revoked asset")
	})

	b := w.issued(w.firm)
	w.mustOK(w.change(w.market.Client, "AbolishAsset", b.ID, "abolished"))
	w.fails(model.CodeState, func() *cctest.Result { return w.change(w.market.Client, "RevokeAsset", b.ID, "too late") })
}

func TestAbolishAsset_FromAvailableAndRevoked(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	res := w.change(w.market.Client, "AbolishAsset", a.ID, "company deregistered")
	w.emitted(res, model.EventAssetAbolished)
	if got := w.assetOf(res); got.Status != model.AssetAbolished || got.Note != "company deregistered" {
		t.Fatalf("abolished %+v", got)
	}
	w.noWrite(w.change(w.market.Client, "AbolishAsset", a.ID, "company deregistered"))
	w.fails(model.CodeState, func() *cctest.Result { return w.change(w.market.Client, "AbolishAsset", a.ID, "again") })

	b := w.issued(w.firm)
	w.mustOK(w.change(w.market.Client, "RevokeAsset", b.ID, "suspended"))
	res = w.change(w.market.Client, "AbolishAsset", b.ID, "abolished after revocation")
	w.emitted(res, model.EventAssetAbolished)
}

// Who answers for an asset (7.1 d): the issuing member; for a self-upload the
// member that reviewed it; for another subject's issue the member that
// submitted it.
func TestRevokeAsset_WhoAnswers(t *testing.T) {
	w := newWorld(t)
	t.Run("member issue", func(t *testing.T) {
		w := w.in(t)
		a := w.issued(w.firm)
		for _, other := range []*cctest.Identity{w.window.Client, w.tax.Client, w.op.Admin, w.stranger} {
			w.fails(model.CodeDenied, func() *cctest.Result { return w.change(other, "RevokeAsset", a.ID, "not mine") })
		}
		w.mustOK(w.change(w.market.Admin, "RevokeAsset", a.ID, "mine"))
	})
	t.Run("self-upload", func(t *testing.T) {
		w := w.in(t)
		a := w.uploaded(w.person)
		// Before review no member answers for it.
		for _, m := range []*cctest.Identity{w.window.Client, w.social.Client} {
			w.fails(model.CodeDenied, func() *cctest.Result { return w.change(m, "AbolishAsset", a.ID, "unreviewed") })
		}
		w.mustOK(w.review(w.social, model.AssetReview{Asset: a.ID, Approve: true}))
		w.fails(model.CodeDenied, func() *cctest.Result { return w.change(w.window.Client, "RevokeAsset", a.ID, "x") })
		w.mustOK(w.change(w.social.Client, "RevokeAsset", a.ID, "original found forged"))
	})
	t.Run("subject issue", func(t *testing.T) {
		w := w.in(t)
		req := w.issueRequest(typeLicence, w.firm, w.notary.ID, model.ChannelAuthority)
		a := w.assetOf(w.mustOK(w.issue(w.window.Client, w.notary.Key, req)))
		w.fails(model.CodeDenied, func() *cctest.Result { return w.change(w.market.Client, "RevokeAsset", a.ID, "x") })
		w.mustOK(w.change(w.window.Client, "RevokeAsset", a.ID, "notary withdrew it"))
	})
	t.Run("suspended issuer", func(t *testing.T) {
		w := w.in(t)
		a := w.issued(w.firm)
		w.c.SuspendMember(w.market)
		w.fails(model.CodeDenied, func() *cctest.Result { return w.change(w.market.Client, "RevokeAsset", a.ID, "x") })
	})
}

func TestRevokeAsset_Malformed(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	for name, arg := range map[string]string{
		"no note":      w.json(&model.AssetStatusChange{Asset: a.ID}),
		"bad asset ID": w.json(&model.AssetStatusChange{Asset: "ABC", Note: "x"}),
		"not JSON":     "revoke it",
	} {
		t.Run(name, func(t *testing.T) {
			w := w.in(t)
			w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.market.Client, "RevokeAsset", arg) })
			w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.market.Client, "AbolishAsset", arg) })
		})
	}
	w.fails(model.CodeNotFound, func() *cctest.Result { return w.change(w.market.Client, "RevokeAsset", strings.Repeat("1", 32), "x") })
}
