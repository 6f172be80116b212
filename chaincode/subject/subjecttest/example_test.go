package subjecttest_test

import (
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// fatal stands in for *testing.T outside a test function.
type fatal struct{}

func (fatal) Helper()                           {}
func (fatal) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A test of another chaincode founds a consortium, admits the departments it
// needs and opens subjects, then calls its own chaincode with their
// identities and keys.
func Example() {
	l := cctest.NewLedger()
	subjecttest.Register(l)
	c := subjecttest.New(fatal{}, l)

	market := c.AddDepartment(model.DeptMarket, model.PermContract)
	firm := c.OpenSubject(model.SubjectEnterprise, model.PermTransact, model.PermIssueAsset)

	fmt.Println(c.Operator.ID, c.Operator.Record.Status, c.Operator.Record.Permissions)
	fmt.Println(market.ID, market.Record.Kind, market.Record.Status, market.Record.Permissions)
	fmt.Println(firm.Record.Kind, firm.Record.Status, firm.Record.Sponsor, firm.Record.Permissions)

	// The subject signs its own requests with firm.Key; here, a key change.
	change := model.SubjectKeyChange{Subject: firm.ID, PublicKey: firm.PublicKeyPEM, Note: "same key"}
	canonical, sig := subjecttest.Sign(fatal{}, firm.Key, "subject.ChangeSubjectKey", &change)
	res := l.Submit(market.Client, model.ChaincodeSubject, "ChangeSubjectKey", canonical, sig)
	fmt.Println(res.Err(), len(res.Writes))

	// Another chaincode's clerk, supervisor or regulator is a role identity.
	clerk := market.Role(model.RoleClerk)
	fmt.Println(clerk.MSPID, clerk.Name)
	// Output:
	// OperatorMSP active [member contract node subject]
	// MarketMSP department active [contract]
	// enterprise active OperatorMSP [transact issue-asset]
	// <nil> 0
	// MarketMSP clerk1
}
