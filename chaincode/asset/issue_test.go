package asset_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The three member channels of 7.6.2 c 1-3: the caller's own member issues,
// signs with its member key, and the asset is available in the owner's
// locker at once.
func TestIssueAsset_MemberChannels(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		channel model.IssueChannel
		issuer  func() (*cctest.Identity, string)
	}{
		{model.ChannelDepartment, func() (*cctest.Identity, string) { return w.market.Client, w.market.ID }},
		{model.ChannelAuthority, func() (*cctest.Identity, string) { return w.market.Admin, w.market.ID }},
		{model.ChannelWindow, func() (*cctest.Identity, string) { return w.window.Client, w.window.ID }},
	} {
		t.Run(string(tc.channel), func(t *testing.T) {
			w := w.in(t)
			caller, issuer := tc.issuer()
			key := w.market.Key
			if issuer == w.window.ID {
				key = w.window.Key
			}
			req := w.issueRequest(typeLicence, w.firm, issuer, tc.channel)
			res := w.issue(caller, key, req)
			w.emitted(res, model.EventAssetIssued)
			a := w.assetOf(res)
			want := model.AssetID(typeLicence, w.firm.ID, issuer, req.BusinessKey)
			if a.ID != want || a.Status != model.AssetAvailable || a.IssuerKind != model.IssuerMember ||
				a.Issuer != issuer || a.SubmittedBy != issuer || a.Channel != tc.channel || a.Owner != w.firm.ID ||
				a.ContentDigest != req.ContentDigest || a.Encryption != model.EncryptAsymmetric ||
				a.CreatedTx != res.TxID || a.UpdatedTx != res.TxID || a.CreatedAt != model.FormatTime(res.Timestamp) {
				t.Fatalf("issued %+v", a)
			}
			if stored := w.stored(a.ID); stored.IssuerSignature != a.IssuerSignature || stored.Status != model.AssetAvailable {
				t.Fatalf("stored %+v", stored)
			}
			// The stored signature is the issuer's over the canonical issue (5e).
			canonical, _ := model.Canonical(&req)
			sig, _ := base64.StdEncoding.DecodeString(a.IssuerSignature)
			pub := &w.market.Key.PublicKey
			if issuer == w.window.ID {
				pub = &w.window.Key.PublicKey
			}
			if !gm.Verify(pub, model.SigningMessage(asset.ActionIssueAsset, canonical), sig) {
				t.Fatal("stored issuer signature does not verify")
			}
			if !slices.Contains(w.locker(w.firm.ID, typeLicence), a.ID) {
				t.Fatal("asset is not in the owner's locker")
			}
		})
	}
}

// A subject holding PermIssueAsset and listed as an issuer issues to
// another subject (7.4.4 a); any active member submits it and answers for it.
func TestIssueAsset_SubjectIssuer(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeLicence, w.firm, w.notary.ID, model.ChannelAuthority)
	res := w.issue(w.window.Client, w.notary.Key, req)
	w.emitted(res, model.EventAssetIssued)
	a := w.assetOf(res)
	if a.Status != model.AssetAvailable || a.IssuerKind != model.IssuerSubject || a.Issuer != w.notary.ID || a.SubmittedBy != w.window.ID {
		t.Fatalf("issued %+v", a)
	}
}

// Self-upload (7.6.2 c 4): the owner signs, any active member submits, the
// asset waits for review.
func TestIssueAsset_SelfUpload(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)
	res := w.issue(w.tax.Client, w.person.Key, req)
	w.emitted(res, model.EventAssetIssued)
	a := w.assetOf(res)
	if a.Status != model.AssetPendingReview || a.IssuerKind != model.IssuerSubject || a.Issuer != w.person.ID ||
		a.SubmittedBy != w.tax.ID || a.ReviewedBy != "" {
		t.Fatalf("uploaded %+v", a)
	}
	if !slices.Equal(w.locker(w.person.ID, typeIDCard), []string{a.ID}) {
		t.Fatal("upload is not in the owner's locker")
	}
}

func TestIssueAsset_IdenticalRetryWritesNothing(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	first := w.assetOf(w.mustOK(w.issue(w.market.Client, w.market.Key, req)))
	// A retry signs again (SM2 signatures are randomised) and wraps the data
	// key again: still the same issue.
	req.Keys = []model.WrappedKey{w.wrap(w.firm)}
	res := w.issue(w.market.Client, w.market.Key, req)
	w.noWrite(res)
	if again := w.assetOf(res); again.UpdatedTx != first.UpdatedTx || again.IssuerSignature != first.IssuerSignature {
		t.Fatalf("retry returned %+v", again)
	}
}

func TestIssueAsset_OtherContentSameIDConflicts(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	w.mustOK(w.issue(w.market.Client, w.market.Key, req))
	req.ContentDigest = gm.Hex([]byte("forged content"))
	w.fails(model.CodeConflict, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
}

func TestIssueAsset_Denied(t *testing.T) {
	w := newWorld(t)
	suspended := w.c.AddMember("GoneMSP", model.MemberInstitution, "")
	w.c.SuspendMember(suspended)
	noIssue := w.c.OpenSubject(model.SubjectInstitution, model.PermTransact)
	frozenIssuer := w.c.OpenSubject(model.SubjectInstitution, model.PermIssueAsset)
	w.c.FreezeSubject(frozenIssuer)
	unlisted := w.c.OpenSubject(model.SubjectInstitution, model.PermIssueAsset)
	cases := []struct {
		name   string
		caller *cctest.Identity
		signer *sm2.PrivateKey
		req    model.AssetIssue
	}{
		{"member not listed as issuer", w.tax.Client, w.tax.Key,
			w.issueRequest(typeLicence, w.firm, w.tax.ID, model.ChannelDepartment)},
		{"caller is no member", w.stranger, w.market.Key,
			w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)},
		{"suspended member", suspended.Client, suspended.Key,
			w.issueRequest(typeLicence, w.firm, suspended.ID, model.ChannelDepartment)},
		{"member issuing in another member's name", w.window.Client, w.market.Key,
			w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)},
		{"another member's name on the authority channel", w.window.Client, w.market.Key,
			w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelAuthority)},
		{"subject issuer on the window channel", w.window.Client, w.notary.Key,
			w.issueRequest(typeLicence, w.firm, w.notary.ID, model.ChannelWindow)},
		{"subject issuer without issue permission", w.window.Client, noIssue.Key,
			w.issueRequest(typeLicence, w.firm, noIssue.ID, model.ChannelAuthority)},
		{"frozen subject issuer", w.window.Client, frozenIssuer.Key,
			w.issueRequest(typeLicence, w.firm, frozenIssuer.ID, model.ChannelAuthority)},
		{"subject issuer not listed", w.window.Client, unlisted.Key,
			w.issueRequest(typeLicence, w.firm, unlisted.ID, model.ChannelAuthority)},
		{"self-upload of a type closed to it", w.window.Client, w.firm.Key,
			w.issueRequest(typeLicence, w.firm, w.firm.ID, model.ChannelSelf)},
		{"self-upload by an owner without transact permission", w.window.Client, w.idle.Key,
			w.issueRequest(typeIDCard, w.idle, w.idle.ID, model.ChannelSelf)},
		{"self-upload submitted by no member", w.stranger, w.person.Key,
			w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w.in(t).fails(model.CodeDenied, func() *cctest.Result { return w.issue(tc.caller, tc.signer, tc.req) })
		})
	}
}

func TestIssueAsset_OwnerAndType(t *testing.T) {
	w := newWorld(t)
	pending := w.c.ApplySubject(model.SubjectPerson)
	frozen := w.c.OpenSubject(model.SubjectPerson, model.PermTransact)
	w.c.FreezeSubject(frozen)
	t.Run("owner not found", func(t *testing.T) {
		req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
		req.Owner = strings.Repeat("ab", 16)
		req.Keys[0].Recipient = req.Owner
		w.in(t).fails(model.CodeNotFound, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
	})
	t.Run("owner pending", func(t *testing.T) {
		req := w.issueRequest(typeLicence, pending, w.market.ID, model.ChannelDepartment)
		w.in(t).fails(model.CodeState, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
	})
	t.Run("owner frozen", func(t *testing.T) {
		req := w.issueRequest(typeLicence, frozen, w.market.ID, model.ChannelDepartment)
		w.in(t).fails(model.CodeState, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
	})
	t.Run("frozen owner uploading", func(t *testing.T) {
		req := w.issueRequest(typeIDCard, frozen, frozen.ID, model.ChannelSelf)
		w.in(t).fails(model.CodeDenied, func() *cctest.Result { return w.issue(w.window.Client, frozen.Key, req) })
	})
	t.Run("type not found", func(t *testing.T) {
		req := w.issueRequest("no-such-type", w.firm, w.market.ID, model.ChannelDepartment)
		w.in(t).fails(model.CodeNotFound, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
	})
}

func TestIssueAsset_Malformed(t *testing.T) {
	w := newWorld(t)
	base := func() model.AssetIssue {
		return w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	}
	noOwnerKey := base()
	noOwnerKey.Keys[0].Recipient = w.person.ID
	modeMismatch := base()
	modeMismatch.Encryption = model.EncryptSymmetric
	twice := base()
	twice.Keys = append(twice.Keys, twice.Keys[0])
	selfByOther := w.issueRequest(typeIDCard, w.person, w.firm.ID, model.ChannelSelf)
	subjectToItself := w.issueRequest(typeLicence, w.notary, w.notary.ID, model.ChannelAuthority)
	badChannel := base()
	badChannel.Channel = "mail"
	noSize := base()
	noSize.Size = 0
	for name, tc := range map[string]struct {
		req    model.AssetIssue
		signer *sm2.PrivateKey
	}{
		"no key for the owner":        {noOwnerKey, w.market.Key},
		"owner's key in another mode": {modeMismatch, w.market.Key},
		"a recipient twice":           {twice, w.market.Key},
		"self-upload by another":      {selfByOther, w.firm.Key},
		"subject issuing to itself":   {subjectToItself, w.notary.Key},
		"unknown channel":             {badChannel, w.market.Key},
		"size zero":                   {noSize, w.market.Key},
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeInvalid, func() *cctest.Result { return w.issue(w.market.Client, tc.signer, tc.req) })
		})
	}
	canonical, sig := w.sign(w.market.Key, asset.ActionIssueAsset, base())
	for name, arg := range map[string]string{
		"not JSON":      "{",
		"empty":         "",
		"non-canonical": strings.Replace(canonical, `","`, `", "`, 1),
		"unknown field": strings.TrimSuffix(canonical, "}") + `,"extra":1}`,
		"too large":     strings.Repeat(" ", model.MaxRequestBytes+1),
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.market.Client, "IssueAsset", arg, sig) })
		})
	}
}

func TestIssueAsset_Signatures(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	canonical, sig := w.sign(w.market.Key, asset.ActionIssueAsset, &req)
	_, wrongKey := w.sign(w.window.Key, asset.ActionIssueAsset, &req)
	_, wrongAction := w.sign(w.market.Key, asset.ActionTransferAsset, &req)
	altered := req
	altered.Size++
	alteredCanonical, _ := w.sign(w.market.Key, asset.ActionIssueAsset, &altered)
	selfReq := w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)
	selfCanonical, _ := w.sign(w.person.Key, asset.ActionIssueAsset, &selfReq)
	_, selfByMember := w.sign(w.market.Key, asset.ActionIssueAsset, &selfReq)
	subjReq := w.issueRequest(typeLicence, w.firm, w.notary.ID, model.ChannelAuthority)
	subjCanonical, _ := w.sign(w.notary.Key, asset.ActionIssueAsset, &subjReq)
	_, subjByOwner := w.sign(w.firm.Key, asset.ActionIssueAsset, &subjReq)
	for name, tc := range map[string]struct {
		caller         *cctest.Identity
		canonical, sig string
	}{
		"another member's key":          {w.market.Client, canonical, wrongKey},
		"signed for another action":     {w.market.Client, canonical, wrongAction},
		"altered payload":               {w.market.Client, alteredCanonical, sig},
		"not base64":                    {w.market.Client, canonical, "%%%"},
		"empty":                         {w.market.Client, canonical, ""},
		"far too long":                  {w.market.Client, canonical, strings.Repeat("A", 1024)},
		"self-upload signed by member":  {w.window.Client, selfCanonical, selfByMember},
		"subject issue signed by owner": {w.window.Client, subjCanonical, subjByOwner},
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeSignature, func() *cctest.Result { return w.submit(tc.caller, "IssueAsset", tc.canonical, tc.sig) })
		})
	}
	w.mustOK(w.submit(w.market.Client, "IssueAsset", canonical, sig))
}

// A rejected self-upload may be uploaded again with corrected content; the
// record keeps its creation and its history.
func TestIssueAsset_ReuploadAfterRejection(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)
	first := w.assetOf(w.mustOK(w.issue(w.window.Client, w.person.Key, req)))
	w.mustOK(w.review(w.social, model.AssetReview{Asset: first.ID, Note: "photo unreadable"}))

	// The same upload again is a retry: nothing changes.
	w.noWrite(w.issue(w.window.Client, w.person.Key, req))
	if got := w.get(first.ID); got.Status != model.AssetRejected {
		t.Fatalf("retry reopened the upload: %+v", got)
	}

	req.ContentDigest = gm.Hex([]byte("a readable photo"))
	res := w.issue(w.window.Client, w.person.Key, req)
	w.emitted(res, model.EventAssetIssued)
	again := w.assetOf(res)
	if again.ID != first.ID || again.Status != model.AssetPendingReview || again.CreatedTx != first.CreatedTx ||
		again.UpdatedTx != res.TxID || again.ReviewedBy != "" || again.Note != "" || again.ContentDigest != req.ContentDigest {
		t.Fatalf("re-uploaded %+v", again)
	}
	if got := w.locker(w.person.ID, typeIDCard); !slices.Equal(got, []string{first.ID}) {
		t.Fatalf("locker %v", got)
	}
}

// An available upload is not replaced by a second upload under its ID.
func TestIssueAsset_ReuploadOfReviewedConflicts(t *testing.T) {
	w := newWorld(t)
	req := w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)
	a := w.assetOf(w.mustOK(w.issue(w.window.Client, w.person.Key, req)))
	w.mustOK(w.review(w.social, model.AssetReview{Asset: a.ID, Approve: true}))
	req.ContentDigest = gm.Hex([]byte("something else"))
	w.fails(model.CodeConflict, func() *cctest.Result { return w.issue(w.window.Client, w.person.Key, req) })
}

// The member and subject records read through InvokeChaincode join the
// issue's read set: a suspension ordered before the issue in the same block
// invalidates it, as two issues of the same asset do.
func TestIssueAsset_ConcurrentChangesInvalidate(t *testing.T) {
	w := newWorld(t)
	endorse := func(creator *cctest.Identity, chaincode, function string, args ...string) *cctest.Result {
		res := w.l.EvaluateTx(cctest.Tx{Creator: creator, Chaincode: chaincode, Function: function, Args: args})
		w.mustOK(res)
		return res
	}
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	canonical, sig := w.sign(w.market.Key, asset.ActionIssueAsset, &req)
	first := endorse(w.market.Client, model.ChaincodeAsset, "IssueAsset", canonical, sig)
	second := endorse(w.market.Admin, model.ChaincodeAsset, "IssueAsset", canonical, sig)
	w.l.Commit(first, second)
	if !first.Committed || second.Committed || second.ValidationCode.String() != "MVCC_READ_CONFLICT" {
		t.Fatalf("same asset twice in a block: %s, %s", first.ValidationCode, second.ValidationCode)
	}

	req = w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	canonical, sig = w.sign(w.market.Key, asset.ActionIssueAsset, &req)
	issue := endorse(w.market.Client, model.ChaincodeAsset, "IssueAsset", canonical, sig)
	suspend := endorse(w.op.Admin, model.ChaincodeSubject, "SuspendMember",
		w.json(&model.MemberChange{Member: w.market.ID, Note: "licence authority moved"}))
	w.l.Commit(suspend, issue)
	if !suspend.Committed || issue.Committed {
		t.Fatalf("issue endorsed before a suspension: %s, %s", suspend.ValidationCode, issue.ValidationCode)
	}
	if w.l.State(model.ChaincodeAsset, "\x00asset\x00"+model.AssetID(req.Type, req.Owner, req.Issuer, req.BusinessKey)+"\x00") != nil {
		t.Fatal("invalidated issue was written")
	}
}
