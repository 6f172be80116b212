package subjecttest_test

import (
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

func TestConsortium_Helpers(t *testing.T) {
	l := cctest.NewLedger()
	subjecttest.Register(l)
	c := subjecttest.New(t, l)

	if got := subjecttest.DepartmentMSP(model.DeptHousingFund); got != "HousingFundMSP" {
		t.Fatalf("DepartmentMSP = %s", got)
	}
	m := c.AddDepartment(model.DeptHousingFund, model.PermSubject)
	if c.AddDepartment(model.DeptHousingFund) != m || c.Member(m.ID) != m || c.Member("NoMSP") != nil {
		t.Fatal("members are not remembered")
	}
	if m.Role(model.RoleSupervisor) != m.Role(model.RoleSupervisor) {
		t.Fatal("role identities are not reused")
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(m.Record.PublicKey))
	if err != nil || !pub.Equal(&m.Key.PublicKey) {
		t.Fatalf("member key on chain does not match: %v", err)
	}

	c.SuspendMember(m)
	if m.Record.Status != model.StatusSuspended {
		t.Fatalf("suspended %+v", m.Record)
	}
	p := c.ApplyMember("PendingMSP", model.MemberInstitution, "")
	if p.Record.Status != model.StatusPending || c.Member(p.ID) != nil {
		t.Fatalf("pending %+v", p.Record)
	}

	s := c.OpenSubject(model.SubjectPerson, model.PermTransact)
	if s.Record.Status != model.StatusActive || !gm.VerifyCommitment(s.Salt, []byte(s.Identity), s.Record.Commitments[model.CommitIdentity]) {
		t.Fatalf("subject %+v", s.Record)
	}
	c.FreezeSubject(s)
	if s.Record.Status != model.StatusFrozen {
		t.Fatalf("frozen %+v", s.Record)
	}
	if q := c.ApplySubject(model.SubjectInstitution); q.Record.Status != model.StatusPending || q.ID == s.ID {
		t.Fatalf("pending subject %+v", q.Record)
	}
}
