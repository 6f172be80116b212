package acceptance_test

import (
	"errors"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

func checked(body string, check func(string) (byte, bool)) string {
	c, _ := check(body)
	return body + string(c)
}

func form(applicant string, services ...string) acceptance.Form {
	id := checked("37010219900307451", acceptance.ResidentCheckChar)
	return acceptance.Form{
		Applicant: applicant, Name: "济南市明湖信息技术有限公司", EnterpriseType: acceptance.TypeLLC,
		RegisteredCapital: "1000000.00", Address: acceptance.Address{Division: "370102", Detail: "历下区泉城路 1 号"},
		BusinessScope: "软件开发",
		Shareholders: []acceptance.Shareholder{
			{Kind: acceptance.HolderPerson, Name: "张三", IDNumber: id, Contribution: "600000"},
			{Kind: acceptance.HolderEnterprise, Name: "山东某投资有限公司", IDNumber: checked("91370102MA3C4T5R1", acceptance.USCCCheckChar), Contribution: "400000"},
		},
		LegalRepresentative: acceptance.Person{Name: "张三", IDNumber: id, Phone: "13800000000"},
		Services:            services,
	}
}

// TestAcceptDecide_Devnet proves acceptance to process start on chain, the
// tasks in the departments' queues, a licence approval that readies the
// follow-ups, a rejection signed by the department system itself, and the
// refusals of the task API.
func TestAcceptDecide_Devnet(t *testing.T) {
	e := newEnv(t)
	a, err := e.svc.Accept(ctx, form(e.applicant, "seal", "bank"), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Steps) != 3 || a.Steps[0].Key != "licence" || a.Form.LegalRepresentative.IDNumber == form("").LegalRepresentative.IDNumber {
		t.Fatalf("application %+v", a)
	}
	if en := e.finished(t, a.StartWrite); en.Status != outbox.StatusDone {
		t.Fatalf("StartProcess: %+v", en)
	}
	eventually(t, "process projected", func() bool { st, _ := e.stepState(a.ID, "bank"); return st == model.StepPending })
	got, err := e.svc.Get(ctx, a.ID)
	if err != nil || got.Status() != "started" || got.ProcessStatus != model.ProcessRunning {
		t.Fatalf("application after start: %+v, %v", got, err)
	}
	var pinned, applicant string
	if err := e.pool.QueryRow(ctx, `SELECT record->>'definitionDigest', applicant FROM ledger_processes WHERE id = $1`, a.ID).Scan(&pinned, &applicant); err != nil {
		t.Fatal(err)
	}
	current, _ := e.registry.Version(ctx, registry.EstablishmentItem, 0)
	if pinned != current.Digest || pinned != a.DefinitionDigest || applicant != e.applicant {
		t.Fatalf("chain pins digest %s for %s, the registry's is %s", pinned, applicant, current.Digest)
	}

	market, _, err := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: model.DeptMarket})
	if err != nil || len(market) != 1 || !market[0].Ready || market[0].Key != "licence" || market[0].EnterpriseName != "济南市明湖信息技术有限公司" {
		t.Fatalf("market queue %+v, %v", market, err)
	}
	ready := true
	if seal, _, err := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: model.DeptSeal, Ready: &ready}); err != nil || len(seal) != 0 {
		t.Fatalf("seal's ready tasks before the licence: %d, %v", len(seal), err)
	}
	if tax, _, _ := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: model.DeptTax}); len(tax) != 0 {
		t.Fatalf("tax was not chosen but has %d tasks", len(tax))
	}
	if _, err := e.svc.Decide(ctx, model.DeptSeal, a.ID, "seal", acceptance.DecisionInput{Approve: true, Opinion: "ok", Approver: "p1", Password: deptPassword}); !errors.Is(err, acceptance.ErrState) {
		t.Fatalf("decision on a step not ready: %v", err)
	}
	if _, err := e.svc.Decide(ctx, model.DeptSeal, a.ID, "licence", acceptance.DecisionInput{Approve: true, Opinion: "ok", Approver: "p1", Password: deptPassword}); !errors.Is(err, acceptance.ErrForbidden) {
		t.Fatalf("decision on another department's step: %v", err)
	}
	if _, err := e.svc.Decide(ctx, model.DeptMarket, a.ID, "licence", acceptance.DecisionInput{Approve: true, Opinion: "ok", Approver: "p1", Password: "wrong password"}); !errors.Is(err, keys.ErrBadPassword) {
		t.Fatalf("wrong key password: %v", err)
	}

	d, err := e.svc.Decide(ctx, model.DeptMarket, a.ID, "licence", acceptance.DecisionInput{Approve: true, Opinion: "准予设立登记", Approver: "officer-7", Password: deptPassword})
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.svc.Decide(ctx, model.DeptMarket, a.ID, "licence", acceptance.DecisionInput{Approve: true, Opinion: "准予设立登记", Approver: "officer-7", Password: deptPassword}); err != nil || again.Queued != d.Queued {
		t.Fatalf("same decision again: %v", err)
	}
	if _, err := e.svc.Decide(ctx, model.DeptMarket, a.ID, "licence", acceptance.DecisionInput{Approve: false, Opinion: "no", Approver: "officer-7", Password: deptPassword}); !errors.Is(err, acceptance.ErrConflict) {
		t.Fatalf("another decision: %v", err)
	}
	if en := e.finished(t, d.Queued); en.Status != outbox.StatusDone {
		t.Fatalf("DecideStep: %+v", en)
	}
	eventually(t, "seal ready", func() bool { st, r := e.stepState(a.ID, "seal"); return st == model.StepPending && r })
	if st, _ := e.stepState(a.ID, "licence"); st != model.StepApproved {
		t.Fatalf("licence is %s", st)
	}

	// The seal system signs its rejection itself.
	rej := model.StepDecision{Process: a.ID, Step: "seal", Approve: false, Approver: "officer-9", Opinion: "材料不全"}
	canonical, _ := model.Canonical(&rej)
	sig, err := e.keys.Sign(ctx, keys.Owner{Kind: keys.KindDepartment, ID: "SealMSP"}, deptPassword, model.SigningMessage(acceptance.ActionDecideStep, canonical))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(ctx, model.DeptSeal, a.ID, "seal", acceptance.DecisionInput{Approve: false, Opinion: "材料不全", Approver: "officer-9",
		Signature: keys.EncodeSignature(append([]byte{}, sig.Value[:len(sig.Value)-1]...))}); !errors.Is(err, keys.ErrBadSignature) {
		t.Fatalf("bad signature: %v", err)
	}
	d2, err := e.svc.Decide(ctx, model.DeptSeal, a.ID, "seal", acceptance.DecisionInput{Approve: false, Opinion: "材料不全", Approver: "officer-9", Signature: keys.EncodeSignature(sig.Value)})
	if err != nil {
		t.Fatal(err)
	}
	if en := e.finished(t, d2.Queued); en.Status != outbox.StatusDone {
		t.Fatalf("rejection: %+v", en)
	}
	eventually(t, "process rejected", func() bool {
		got, err := e.svc.Get(ctx, a.ID)
		return err == nil && got.ProcessStatus == model.ProcessRejected
	})
	if bank, _, _ := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: model.DeptBank}); len(bank) != 0 {
		t.Fatalf("a rejected process still queues %d bank tasks", len(bank))
	}
}

func TestAccept_RefusedChangesNothing(t *testing.T) {
	e := newEnv(t)
	count := func() (n int) {
		_ = e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM acceptance_applications) + (SELECT count(*) FROM chain_outbox)`).Scan(&n)
		return n
	}
	before := count()
	bad := form(e.applicant, "seal")
	bad.LegalRepresentative.IDNumber = "370102199003074510"
	if _, err := e.svc.Accept(ctx, bad, "c"); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("bad ID number: %v", err)
	}
	if _, err := e.svc.Accept(ctx, form(e.applicant, "spa"), "c"); !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("unknown service: %v", err)
	}
	if _, err := e.svc.Accept(ctx, form("0123456789abcdef0123456789abcdef"), "c"); !errors.Is(err, acceptance.ErrNoLocker) {
		t.Fatalf("applicant without locker: %v", err)
	}
	f := form(e.applicant)
	f.Item = "no-such-item"
	if _, err := e.svc.Accept(ctx, f, "c"); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("unknown item: %v", err)
	}
	if n := count(); n != before {
		t.Fatalf("refused applications changed %d rows", n-before)
	}
}

func TestLists_Pages_Devnet(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 3; i++ {
		a, err := e.svc.Accept(ctx, form(e.applicant, "bank"), "clerk-1")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
		if a.Status() != "accepted" && a.Status() != "started" {
			t.Fatalf("status %s", a.Status())
		}
	}
	page, next, err := e.svc.List(ctx, 2, "")
	if err != nil || len(page) != 2 || next == "" || page[0].ID != ids[2] {
		t.Fatalf("first page %d, next %q, %v", len(page), next, err)
	}
	page, next, err = e.svc.List(ctx, 2, next)
	if err != nil || len(page) != 1 || next != "" || page[0].ID != ids[0] {
		t.Fatalf("second page %d, next %q, %v", len(page), next, err)
	}
	for _, id := range ids {
		e.finished(t, acceptance.StartWriteKey(id))
		eventually(t, "queued", func() bool { st, _ := e.stepState(id, "licence"); return st == model.StepPending })
	}
	var seen []string
	cursor := ""
	for {
		ts, next, err := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: model.DeptMarket, Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts {
			seen = append(seen, tk.Process)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 3 {
		t.Fatalf("paged through %d market tasks, want 3", len(seen))
	}
	if got, err := e.svc.Get(ctx, ids[0]); err != nil || got.Status() != "started" || got.StartStatus != "done" {
		t.Fatalf("started application %+v, %v", got, err)
	}
	if _, _, err := e.svc.Tasks(ctx, acceptance.TaskFilter{Department: "police"}); !errors.Is(err, acceptance.ErrForbidden) {
		t.Fatalf("tasks of an unknown department: %v", err)
	}
}
