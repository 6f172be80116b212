package access_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// probe exposes the access checks as transactions so the tests drive them the
// way a contract does: inside a simulated transaction, with the real subject
// chaincode answering the cross-chaincode lookups.
type probe struct{ contractapi.Contract }

func (probe) Whoami(ctx contractapi.TransactionContextInterface) (string, error) {
	c, err := access.CallerOf(ctx)
	if err != nil {
		return "", err
	}
	return strings.Join([]string{c.MSPID, boolString(c.Admin), c.Role, c.User}, "|"), nil
}

func (probe) Member(ctx contractapi.TransactionContextInterface, perm string) (*model.Member, error) {
	c, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	var perms []model.Permission
	if perm != "" {
		perms = append(perms, model.Permission(perm))
	}
	return access.ActiveMember(ctx, access.Remote{}, c, perms...)
}

func (probe) Admin(ctx contractapi.TransactionContextInterface) error {
	c, err := access.CallerOf(ctx)
	if err != nil {
		return err
	}
	return access.RequireAdmin(c)
}

func (probe) Role(ctx contractapi.TransactionContextInterface, role string) error {
	c, err := access.CallerOf(ctx)
	if err != nil {
		return err
	}
	return access.RequireRole(c, role)
}

func (probe) Subject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error) {
	return access.ActiveSubject(ctx, access.Remote{}, id)
}

func (probe) Verify(ctx contractapi.TransactionContextInterface, subjectID, action, canonical, sig string) error {
	s, err := access.Remote{}.Subject(ctx, subjectID)
	if err != nil {
		return err
	}
	return access.VerifySignature(s.PublicKey, action, []byte(canonical), sig, s.ID)
}

func (probe) VerifyWithKey(ctx contractapi.TransactionContextInterface, pem, sig string) error {
	return access.VerifySignature(pem, "x", []byte("{}"), sig, "someone")
}

func (probe) Unknown(ctx contractapi.TransactionContextInterface) error {
	var out struct{}
	return access.Query(ctx, model.ChaincodeSubject, "NoSuchFunction", &out)
}

func boolString(b bool) string {
	if b {
		return "admin"
	}
	return "client"
}

func setup(t *testing.T) (*cctest.Ledger, *subjecttest.Consortium) {
	t.Helper()
	l := cctest.NewLedger()
	subjecttest.Register(l)
	cc, err := contractapi.NewChaincode(&probe{})
	if err != nil {
		t.Fatal(err)
	}
	l.Register("probe", cc)
	return l, subjecttest.New(t, l)
}

func wantCode(t *testing.T, res *cctest.Result, code model.Code) {
	t.Helper()
	e := model.ParseError(res.Message)
	if res.OK() || e == nil || e.Code != code {
		t.Fatalf("status %d %q, want a %s error", res.Status, res.Message, code)
	}
}

func TestCallerOf_ReadsCertificate(t *testing.T) {
	l, c := setup(t)
	market := c.AddDepartment(model.DeptMarket)
	res := l.Evaluate(market.Role(model.RoleClerk), "probe", "Whoami")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	got := string(res.Payload)
	if !strings.HasPrefix(got, market.ID+"|client|clerk|") || strings.HasSuffix(got, "|") {
		t.Fatalf("Whoami = %q", got)
	}
	res = l.Evaluate(market.Admin, "probe", "Whoami")
	if !strings.HasPrefix(string(res.Payload), market.ID+"|admin||") {
		t.Fatalf("admin Whoami = %q", res.Payload)
	}
}

func TestCallerOf_NotX509(t *testing.T) {
	l, _ := setup(t)
	wantCode(t, l.Evaluate(cctest.RawCreator("not a serialized identity"), "probe", "Whoami"), model.CodeDenied)
}

func TestActiveMember(t *testing.T) {
	l, c := setup(t)
	market := c.AddDepartment(model.DeptMarket, model.PermContract)
	if err := l.Evaluate(market.Client, "probe", "Member", string(model.PermContract)).Err(); err != nil {
		t.Fatalf("member with permission refused: %v", err)
	}
	wantCode(t, l.Evaluate(market.Client, "probe", "Member", string(model.PermNode)), model.CodeDenied)
	stranger := cctest.NewOrg("StrangerMSP").Identity("x")
	wantCode(t, l.Evaluate(stranger, "probe", "Member", ""), model.CodeDenied)
	c.SuspendMember(market)
	wantCode(t, l.Evaluate(market.Client, "probe", "Member", ""), model.CodeDenied)
}

func TestRequireAdminAndRole(t *testing.T) {
	l, c := setup(t)
	tax := c.AddDepartment(model.DeptTax)
	if err := l.Evaluate(tax.Admin, "probe", "Admin").Err(); err != nil {
		t.Fatalf("admin refused: %v", err)
	}
	wantCode(t, l.Evaluate(tax.Client, "probe", "Admin"), model.CodeDenied)
	if err := l.Evaluate(tax.Role(model.RoleSupervisor), "probe", "Role", model.RoleSupervisor).Err(); err != nil {
		t.Fatalf("role refused: %v", err)
	}
	wantCode(t, l.Evaluate(tax.Role(model.RoleClerk), "probe", "Role", model.RoleSupervisor), model.CodeDenied)
}

func TestActiveSubject(t *testing.T) {
	l, c := setup(t)
	firm := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	if err := l.Evaluate(c.Operator.Client, "probe", "Subject", firm.ID).Err(); err != nil {
		t.Fatalf("active subject refused: %v", err)
	}
	wantCode(t, l.Evaluate(c.Operator.Client, "probe", "Subject", model.DeriveID("none")), model.CodeNotFound)
	c.FreezeSubject(firm)
	wantCode(t, l.Evaluate(c.Operator.Client, "probe", "Subject", firm.ID), model.CodeState)
}

func TestVerifySignature(t *testing.T) {
	l, c := setup(t)
	firm := c.OpenSubject(model.SubjectPerson)
	other := c.OpenSubject(model.SubjectPerson)
	req := &model.NodeRetirement{Node: model.DeriveID("n"), Note: "signed"}
	canonical, sig := subjecttest.Sign(t, firm.Key, "probe.Verify", req)
	op := c.Operator.Client
	if err := l.Evaluate(op, "probe", "Verify", firm.ID, "probe.Verify", canonical, sig).Err(); err != nil {
		t.Fatalf("good signature refused: %v", err)
	}
	wantCode(t, l.Evaluate(op, "probe", "Verify", other.ID, "probe.Verify", canonical, sig), model.CodeSignature)
	wantCode(t, l.Evaluate(op, "probe", "Verify", firm.ID, "probe.Other", canonical, sig), model.CodeSignature)
	wantCode(t, l.Evaluate(op, "probe", "Verify", firm.ID, "probe.Verify", canonical+" ", sig), model.CodeSignature)
	wantCode(t, l.Evaluate(op, "probe", "Verify", firm.ID, "probe.Verify", canonical, "%%%"), model.CodeSignature)
	wantCode(t, l.Evaluate(op, "probe", "Verify", firm.ID, "probe.Verify", canonical, ""), model.CodeSignature)
	res := l.Evaluate(op, "probe", "VerifyWithKey", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", base64.StdEncoding.EncodeToString([]byte("sig")))
	if res.OK() || !strings.Contains(res.Message, "unreadable") {
		t.Fatalf("unreadable key: status %d %q", res.Status, res.Message)
	}
}

func TestQuery_UnclassifiedCalleeError(t *testing.T) {
	l, c := setup(t)
	res := l.Evaluate(c.Operator.Client, "probe", "Unknown")
	if res.OK() || !strings.Contains(res.Message, "subject NoSuchFunction") {
		t.Fatalf("status %d %q", res.Status, res.Message)
	}
}
