package acceptance_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// TestMaterials_PulledGrantedAndRead_Devnet proves 7.1 c and the material
// read of the task API: an address proof already in the applicant's locker
// is attached to the application by type, the market department sees it
// granted in its task and reads its content (recorded on chain by the
// locker), while an asset it holds no grant for is refused.
func TestMaterials_PulledGrantedAndRead_Devnet(t *testing.T) {
	e := newEnv(t)
	store, err := objectstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	protector, _ := pii.New(1, make([]byte, pii.MasterKeySize), nil)
	lk, err := locker.New(locker.Config{Pool: e.pool, Store: store, Keys: e.keys, Outbox: e.ob, PII: protector, Chain: e.chain, Gateway: "OperatorMSP"})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := acceptance.New(acceptance.Config{Pool: e.pool, Registry: e.registry, Outbox: e.ob, PII: protector,
		Clerk: "OperatorMSP/clerk", Keys: e.keys, Viewer: lk})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(key, content string) string {
		t.Helper()
		is, err := lk.IssueByMember(ctx, locker.MemberIssueInput{Member: "MarketMSP", Password: deptPassword, Channel: model.ChannelDepartment,
			Type: "address-proof", Owner: e.applicant, BusinessKey: key, Content: []byte(content)})
		if err != nil {
			t.Fatal(err)
		}
		if en := e.finished(t, is.OutboxKey); en.Status != outbox.StatusDone {
			t.Fatalf("issue: %+v", en)
		}
		eventually(t, "asset projected", func() bool {
			var n int
			_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_assets WHERE id = $1`, is.AssetID).Scan(&n)
			return n == 1
		})
		return is.AssetID
	}
	ungranted := issue("addr-old", "旧住所证明")
	time.Sleep(10 * time.Millisecond) // the newer asset is the one pulled
	asset := issue("addr-1", "济南市历下区泉城路 1 号 租赁合同")
	// Accepted before any grant: the market's access request is queued.
	first, err := svc.Accept(ctx, form(e.applicant), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Materials) != 1 || first.Materials[0].Grant != acceptance.MaterialRequested || len(first.Materials[0].Requested) != 1 {
		t.Fatalf("materials before the grant %+v", first.Materials)
	}
	if en := e.finished(t, acceptance.AccessRequestWriteKey(first.ID, asset, "MarketMSP")); en.Status != outbox.StatusDone {
		t.Fatalf("access request: %+v", en)
	}
	var request string
	eventually(t, "access request projected", func() bool {
		return e.pool.QueryRow(ctx, `SELECT id FROM ledger_access_requests WHERE asset = $1 AND requester = 'MarketMSP' AND status = 'pending'`, asset).Scan(&request) == nil
	})
	// The applicant answers it from its locker.
	g, err := lk.Grant(ctx, locker.GrantInput{Asset: asset, Grantor: e.applicant, Password: firmPassword, Grantee: "MarketMSP", Request: request,
		GranteeMember: true, Kind: model.KindAuthorization, Scope: model.ScopeView, Purpose: "设立登记审核", ExpiresAt: time.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "grant projected", func() bool {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_grants WHERE id = $1 AND status = 'active'`, g.ID).Scan(&n)
		return n == 1
	})

	a, err := svc.Accept(ctx, form(e.applicant, "bank"), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Materials) != 1 || a.Materials[0].Asset != asset || a.Materials[0].Material != "address-proof" || a.Materials[0].Grant != acceptance.MaterialGranted || len(a.Materials[0].Requested) != 0 {
		t.Fatalf("materials %+v", a.Materials)
	}
	e.finished(t, a.StartWrite)
	eventually(t, "process projected", func() bool { st, _ := e.stepState(a.ID, "licence"); return st == model.StepPending })
	task, err := svc.Task(ctx, model.DeptMarket, a.ID, "licence")
	if err != nil {
		t.Fatal(err)
	}
	if len(task.Materials) != 1 || !task.Materials[0].Granted || task.Materials[0].ContentDigest == "" || len(task.Inputs) == 0 {
		t.Fatalf("task %+v", task)
	}
	c, err := svc.ReadMaterial(ctx, model.DeptMarket, a.ID, "licence", asset, deptPassword, "设立登记审核")
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Content) != "济南市历下区泉城路 1 号 租赁合同" || c.Access.TxID == "" {
		t.Fatalf("content %q, access %+v", c.Content, c.Access)
	}
	if _, err := svc.ReadMaterial(ctx, model.DeptMarket, a.ID, "licence", ungranted, deptPassword, "设立登记审核"); !errors.Is(err, acceptance.ErrForbidden) {
		t.Fatalf("asset without a grant: %v", err)
	}
	if _, err := svc.ReadMaterial(ctx, model.DeptBank, a.ID, "licence", asset, deptPassword, "x"); !errors.Is(err, acceptance.ErrForbidden) {
		t.Fatalf("another department's task: %v", err)
	}
}
