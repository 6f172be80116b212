package locker_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// withAssets is an env with an active firm, a second active enterprise, Bank,
// an asymmetric asset issued by Bank into the firm's locker and a symmetric
// self-upload the bank approved.
type withAssets struct {
	*env
	firm, other string
	asym, sym   string
	asymC, symC string
}

func newWithAssets(t *testing.T) *withAssets {
	t.Helper()
	w := &withAssets{env: newEnv(t), asymC: "营业执照内容", symC: "章程内容"}
	w.joinBank(t, bankPassword)
	w.firm = w.openActive(t, "授权测试有限公司", firmPassword).ID
	w.other = w.openActive(t, "受托测试有限公司", "other unlock password").ID
	a, err := w.locker.IssueByMember(ctx, locker.MemberIssueInput{Member: Bank, Password: bankPassword, Channel: model.ChannelDepartment,
		Type: IDCopy, Owner: w.firm, BusinessKey: "licence", Content: []byte(w.asymC)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := w.locker.Upload(ctx, locker.UploadInput{Owner: w.firm, Password: firmPassword, Type: IDCopy, BusinessKey: "articles",
		Content: []byte(w.symC), Encryption: model.EncryptSymmetric})
	if err != nil {
		t.Fatal(err)
	}
	w.projectedAsset(t, s.AssetID, model.AssetPendingReview)
	key, err := w.locker.ReviewUpload(ctx, locker.UploadReview{Asset: s.AssetID, Member: Bank, Password: bankPassword, Approve: true})
	if err != nil {
		t.Fatal(err)
	}
	if en := w.finished(t, key); en.Status != outbox.StatusDone {
		t.Fatalf("review %+v", en)
	}
	w.projectedAsset(t, a.AssetID, model.AssetAvailable)
	w.projectedAsset(t, s.AssetID, model.AssetAvailable)
	w.asym, w.sym = a.AssetID, s.AssetID
	return w
}

func TestGrant_PushViewRevokeAndRequests_Devnet(t *testing.T) {
	w := newWithAssets(t)
	exp := time.Now().Add(time.Hour)
	g, err := w.locker.Grant(ctx, locker.GrantInput{Asset: w.asym, Grantor: w.firm, Password: firmPassword, Grantee: w.other,
		Kind: model.KindDelegation, Purpose: "代办开户", ExpiresAt: exp, Push: true})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "pushed into the grantee's locker", func() bool {
		l, err := w.locker.Assets(ctx, w.other, "")
		return err == nil && len(l) == 1 && l[0].Grant == g.ID
	})
	other := locker.Accessor{Subject: w.other, Password: "other unlock password"}
	c, err := w.locker.View(ctx, locker.ViewInput{Asset: w.asym, Accessor: other, Grant: g.ID, Reason: "代办"})
	if err != nil || string(c.Content) != w.asymC {
		t.Fatalf("grantee view: %+v, %v", c, err)
	}
	if _, err := w.locker.RevokeGrant(ctx, w.firm, firmPassword, g.ID, "办结"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.locker.View(ctx, locker.ViewInput{Asset: w.asym, Accessor: other, Grant: g.ID, Reason: "again"}); !errors.Is(err, locker.ErrDenied) {
		t.Fatalf("view after revocation: %v", err)
	}
	// The bank asks; the owner answers one request with a grant, denies another.
	bank := locker.Accessor{Member: Bank, Password: bankPassword}
	r, err := w.locker.RequestAccess(ctx, locker.RequestInput{Asset: w.asym, Requester: bank, Purpose: "开户审核", DueAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := w.locker.RequestAccess(ctx, locker.RequestInput{Asset: w.sym, Requester: bank, Purpose: "开户审核", DueAt: exp})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "requests projected", func() bool {
		l, err := w.locker.Requests(ctx, w.firm, "")
		return err == nil && len(l) == 2 && l[0].Status == model.RequestPending
	})
	bg, err := w.locker.Grant(ctx, locker.GrantInput{Asset: w.asym, Grantor: w.firm, Password: firmPassword, Grantee: Bank,
		GranteeMember: true, Purpose: "开户审核", ExpiresAt: exp, Request: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := w.locker.View(ctx, locker.ViewInput{Asset: w.asym, Accessor: bank, Grant: bg.ID, Reason: "开户审核"}); err != nil || string(c.Content) != w.asymC {
		t.Fatalf("bank view: %v", err)
	}
	if d, err := w.locker.DenyRequest(ctx, w.firm, firmPassword, r2.ID, "不需要"); err != nil || d.Status != model.RequestDenied {
		t.Fatalf("deny: %+v, %v", d, err)
	}
	if _, err := w.locker.DenyRequest(ctx, w.firm, firmPassword, r2.ID, "again"); !errors.Is(err, locker.ErrState) {
		t.Fatalf("deny twice: %v", err)
	}
}

func TestAuthCode_AndAssetQueries_Devnet(t *testing.T) {
	w := newWithAssets(t)
	ic, err := w.locker.IssueAuthCode(ctx, locker.AuthCodeInput{Asset: w.asym, Owner: w.firm, Password: firmPassword, Purpose: "核验执照", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ic.Code) != 2*locker.CodeBytes || ic.AuthCode.Hash == "" {
		t.Fatalf("code %+v", ic)
	}
	if _, err := w.locker.VerifyAuthCode(ctx, w.asym, ic.Code); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if _, err := w.locker.VerifyAuthCode(ctx, w.asym, "00000000000000000000000000000000"); !errors.Is(err, locker.ErrDenied) && !errors.Is(err, locker.ErrNotFound) {
		t.Fatalf("verify a wrong code: %v", err)
	}
	c, err := w.locker.ViewByCode(ctx, locker.CodeViewInput{Asset: w.asym, Code: ic.Code, Accessor: locker.Accessor{Member: Bank}, Reason: "核验"})
	if err != nil || string(c.Content) != w.asymC || c.Access.AuthCode != ic.AuthCode.ID {
		t.Fatalf("view by code: %+v, %v", c, err)
	}
	if _, err := w.locker.RevokeAuthCode(ctx, w.firm, firmPassword, ic.AuthCode.ID, "作废"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.locker.ViewByCode(ctx, locker.CodeViewInput{Asset: w.asym, Code: ic.Code, Accessor: locker.Accessor{Member: Bank}, Reason: "核验"}); err == nil {
		t.Fatal("view by a revoked code")
	}
	if st, err := w.locker.AssetStatus(ctx, w.asym); err != nil || st != model.AssetAvailable {
		t.Fatalf("d1 status %q, %v", st, err)
	}
	if tx, err := w.locker.LatestTxID(ctx, w.sym); err != nil || len(tx) != 64 {
		t.Fatalf("d2 latest tx %q, %v", tx, err)
	}
	if m, err := w.locker.EncryptionMode(ctx, w.sym); err != nil || m != model.EncryptSymmetric {
		t.Fatalf("d5 mode %q, %v", m, err)
	}
	if _, err := w.locker.ReleaseKey(ctx, w.firm, "wrong password", w.sym, "导出"); !errors.Is(err, locker.ErrInvalid) {
		t.Fatalf("d6 with a wrong password: %v", err)
	}
	if _, err := w.locker.ReleaseKey(ctx, w.firm, firmPassword, w.asym, "导出"); !errors.Is(err, locker.ErrState) {
		t.Fatalf("d6 of an asymmetric asset: %v", err)
	}
	k, err := w.locker.ReleaseKey(ctx, w.firm, firmPassword, w.sym, "导出")
	if err != nil || len(k.Key) != 32 || k.Access.Action != model.AccessKey {
		t.Fatalf("d6 %+v, %v", k, err)
	}
}
