package locker_test

import (
	"errors"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

const (
	firmPassword = "firm unlock password"
	bankPassword = "bank key password"
)

func TestSelfUpload_ReviewedBecomesTrustedAndViewIsRecorded_Devnet(t *testing.T) {
	e := newEnv(t)
	e.joinBank(t, bankPassword)
	firm := e.openActive(t, "自传测试有限公司", firmPassword).ID
	up, err := e.locker.Upload(ctx, locker.UploadInput{Owner: firm, Password: firmPassword, Type: IDCopy, BusinessKey: "id-front", Content: []byte("身份证正面")})
	if err != nil {
		t.Fatal(err)
	}
	e.projectedAsset(t, up.AssetID, model.AssetPendingReview)
	key, err := e.locker.ReviewUpload(ctx, locker.UploadReview{Asset: up.AssetID, Member: Bank, Password: bankPassword, Approve: true, Note: "核验一致"})
	if err != nil {
		t.Fatal(err)
	}
	if en := e.finished(t, key); en.Status != outbox.StatusDone {
		t.Fatalf("review write %+v", en)
	}
	e.projectedAsset(t, up.AssetID, model.AssetAvailable)
	// Bank issues on the window channel too.
	win, err := e.locker.IssueByMember(ctx, locker.MemberIssueInput{Member: Bank, Password: bankPassword, Channel: model.ChannelWindow,
		Type: IDCopy, Owner: firm, BusinessKey: "window-copy", Content: []byte("窗口出件")})
	if err != nil {
		t.Fatal(err)
	}
	e.projectedAsset(t, win.AssetID, model.AssetAvailable)
	auth, err := e.locker.IssueByMember(ctx, locker.MemberIssueInput{Member: Bank, Password: bankPassword, Channel: model.ChannelAuthority,
		Type: IDCopy, Owner: firm, BusinessKey: "authority-copy", Content: []byte("权威签发")})
	if err != nil {
		t.Fatal(err)
	}
	e.projectedAsset(t, auth.AssetID, model.AssetAvailable)
	list, err := e.locker.Assets(ctx, firm, IDCopy)
	if err != nil || len(list) != 3 {
		t.Fatalf("assets by type: %+v, %v", list, err)
	}
	if other, err := e.locker.Assets(ctx, firm, chaintest.Licence); err != nil || len(other) != 0 {
		t.Fatalf("assets of another type: %+v, %v", other, err)
	}
	c, err := e.locker.View(ctx, locker.ViewInput{Asset: up.AssetID, Accessor: locker.Accessor{Subject: firm, Password: firmPassword}, Reason: "办理开户"})
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Content) != "身份证正面" || c.Access.TxID == "" || c.Access.Time == "" || c.Access.Reason != "办理开户" || c.Block == 0 {
		t.Fatalf("view %+v", c)
	}
	eventually(t, "access record listed", func() bool {
		rs, err := e.locker.AccessRecords(ctx, up.AssetID)
		return err == nil && len(rs) == 1 && rs[0].TxID == c.Access.TxID && rs[0].Block == c.Block && rs[0].Reason == "办理开户"
	})
}

func TestView_BadInputRecordsNothing_Devnet(t *testing.T) {
	e := newEnv(t)
	firm := e.openActive(t, "查看测试有限公司", firmPassword).ID
	e.joinBank(t, bankPassword)
	up, err := e.locker.IssueByMember(ctx, locker.MemberIssueInput{Member: Bank, Password: bankPassword, Channel: model.ChannelDepartment,
		Type: IDCopy, Owner: firm, BusinessKey: "k", Content: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	e.projectedAsset(t, up.AssetID, model.AssetAvailable)
	owner := locker.Accessor{Subject: firm, Password: firmPassword}
	cases := map[string]struct {
		in   locker.ViewInput
		want error
	}{
		"no reason":      {locker.ViewInput{Asset: up.AssetID, Accessor: owner}, locker.ErrInvalid},
		"bad action":     {locker.ViewInput{Asset: up.AssetID, Accessor: owner, Reason: "r", Action: "print"}, locker.ErrInvalid},
		"wrong password": {locker.ViewInput{Asset: up.AssetID, Accessor: locker.Accessor{Subject: firm, Password: "wrong password"}, Reason: "r"}, locker.ErrInvalid},
		"not owner":      {locker.ViewInput{Asset: up.AssetID, Accessor: locker.Accessor{Member: Bank, Password: bankPassword}, Reason: "r"}, locker.ErrDenied},
		"unknown asset":  {locker.ViewInput{Asset: "0123456789abcdef0123456789abcdef", Accessor: owner, Reason: "r"}, locker.ErrNotFound},
	}
	for name, c := range cases {
		if _, err := e.locker.View(ctx, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := e.locker.Upload(ctx, locker.UploadInput{Owner: firm, Password: firmPassword, Type: chaintest.Licence, BusinessKey: "x"}); !errors.Is(err, locker.ErrInvalid) {
		t.Errorf("upload without content: %v", err)
	}
	if _, err := e.locker.ReviewUpload(ctx, locker.UploadReview{Asset: up.AssetID, Member: Bank, Password: bankPassword, Approve: true}); !errors.Is(err, locker.ErrState) {
		t.Errorf("review of an available asset: %v", err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_access_records`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("access records after bad input: %d, %v", n, err)
	}
}
