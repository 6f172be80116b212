package subject_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

// TestLaunchOptions_AnswerAsTheContract: the chaincode as deployed, which
// serves GetMember and GetSubject ahead of contractapi, answers every call of
// them — found, unknown, malformed, namespaced, with another argument count,
// by another organisation — with the same status, message, payload and reads
// as the contract's methods through contractapi.
func TestLaunchOptions_AnswerAsTheContract(t *testing.T) {
	l, c := founded(t)
	market := c.AddDepartment(model.DeptMarket)
	firm := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	stranger := cctest.NewOrg("StrangerMSP").Identity("x")
	calls := []struct {
		caller cctest.Creator
		args   []string
	}{
		{market.Client, []string{"GetMember", market.ID}},
		{market.Client, []string{"GetMember", c.Operator.ID}},
		{stranger, []string{"GetMember", market.ID}},
		{market.Client, []string{"GetMember", "NobodyMSP"}},
		{market.Client, []string{"GetMember", ""}},
		{market.Client, []string{"GetMember", "a\x00b"}},
		{market.Client, []string{"GetMember", "\xff"}},
		{market.Client, []string{"GetMember"}},
		{market.Client, []string{"GetMember", market.ID, "extra"}},
		{market.Client, []string{model.ChaincodeSubject + ":GetMember", market.ID}},
		{market.Client, []string{"GetSubject", firm.ID}},
		{stranger, []string{"GetSubject", firm.ID}},
		{market.Client, []string{"GetSubject", "no-such-subject"}},
		{market.Client, []string{"GetSubject", market.ID}},
		{market.Client, []string{"GetSubject", ""}},
		{market.Client, []string{"ListMembers", "", "0", ""}},
	}
	deployed, err := launch.NewChaincode(subject.New(), subject.LaunchOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := launch.NewChaincode(subject.New())
	if err != nil {
		t.Fatal(err)
	}
	compare := func(when string) []*cctest.Result {
		t.Helper()
		var want []*cctest.Result
		l.Register(model.ChaincodeSubject, plain)
		for _, call := range calls {
			want = append(want, l.Evaluate(call.caller, model.ChaincodeSubject, call.args[0], call.args[1:]...))
		}
		l.Register(model.ChaincodeSubject, deployed)
		// Twice: the second answer of a record comes from the kept answers.
		for range 2 {
			for i, call := range calls {
				got := l.Evaluate(call.caller, model.ChaincodeSubject, call.args[0], call.args[1:]...)
				w := want[i]
				if got.Status != w.Status || got.Message != w.Message || string(got.Payload) != string(w.Payload) || !proto.Equal(got.RWSet, w.RWSet) {
					t.Errorf("%s, %q: got %d %q %s, reads %v; contractapi gives %d %q %s, reads %v",
						when, call.args, got.Status, got.Message, got.Payload, got.RWSet, w.Status, w.Message, w.Payload, w.RWSet)
				}
			}
		}
		return want
	}
	want := compare("at first")
	if want[0].Status != 200 || want[3].Status == 200 || want[10].Status != 200 {
		t.Fatalf("the calls do not cover success and failure: %d %d %d", want[0].Status, want[3].Status, want[10].Status)
	}
	// The records change: the answers follow.
	c.SuspendMember(market)
	c.FreezeSubject(firm)
	after := compare("after a change")
	if string(after[0].Payload) == string(want[0].Payload) || string(after[10].Payload) == string(want[10].Payload) {
		t.Fatal("the changes did not change the records")
	}
}
