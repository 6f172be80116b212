// Package subjecttest is TEST SUPPORT, not chaincode: it sets up an alliance
// on a cctest.Ledger in a few lines so that the tests of the asset,
// authorization and approval chaincodes can run against the real subject
// chaincode instead of faking it.
//
// A test registers the subject chaincode next to its own, founds the
// consortium, admits the department members it needs and opens subjects:
//
//	l := cctest.NewLedger()
//	subjecttest.Register(l)
//	l.Register(model.ChaincodeAsset, assetChaincode)
//	c := subjecttest.New(t, l)                           // operator, every member permission
//	market := c.AddDepartment(model.DeptMarket, model.PermContract)
//	firm := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
//	canonical, sig := subjecttest.Sign(t, market.Key, "asset.IssueAsset", &issue)
//	res := l.Submit(market.Admin, model.ChaincodeAsset, "IssueAsset", canonical, sig)
//
// Every helper goes through the subject chaincode's own transactions (apply,
// review, freeze, ...) as a real client would, and fails the test at once if
// one of them fails. The SM2 private keys of members and subjects are handed
// back so that tests can sign requests; the chain holds only the public keys.
// The package never touches the asset, authorization or approval namespaces.
package subjecttest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

// OperatorMSP is the MSP ID of the consortium's founding member, the chain
// operator (联盟链建设方), which New bootstraps with every member permission.
const OperatorMSP = "OperatorMSP"

// TB is the part of testing.TB the helpers use; *testing.T and *testing.B
// satisfy it, and so can a small panicking value in an example.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Chaincode returns a new subject chaincode, ready for cctest.Ledger.Register.
func Chaincode() *contractapi.ContractChaincode {
	cc, err := contractapi.NewChaincode(subject.New())
	if err != nil {
		panic(fmt.Sprintf("subjecttest: subject chaincode: %v", err))
	}
	return cc
}

// Register installs the subject chaincode on l under model.ChaincodeSubject,
// the name the other chaincodes call it by.
func Register(l *cctest.Ledger) {
	l.Register(model.ChaincodeSubject, Chaincode())
}

// Member is an alliance member made by a Consortium: its Fabric organisation
// and identities, and its SM2 key.
type Member struct {
	ID  string // MSP ID
	Org *cctest.Org
	// Admin is an admin identity (NodeOU admin) of the organisation; Client a
	// plain client identity without a role.
	Admin  *cctest.Identity
	Client *cctest.Identity
	// Key is the member's SM2 key, whose public half is on chain; members sign
	// the assets they issue and the steps they decide with it.
	Key          *sm2.PrivateKey
	PublicKeyPEM string
	// Record is the member as the chain returned it when the helper finished;
	// it is not refreshed by later transactions.
	Record model.Member

	roles map[string]*cctest.Identity
}

// Role returns a client identity of the member carrying role in
// model.AttrRole (model.RoleClerk, RoleSupervisor, RoleRegulator) and a
// pseudonymous user ID "<role>@<MSP ID>" in model.AttrUser. The identity is
// made once per role and reused.
func (m *Member) Role(role string) *cctest.Identity {
	if id, ok := m.roles[role]; ok {
		return id
	}
	id := m.Org.Identity(role+"1", cctest.Attr(model.AttrRole, role), cctest.Attr(model.AttrUser, role+"@"+m.ID))
	m.roles[role] = id
	return id
}

// Subject is a trusted subject made by a Consortium.
type Subject struct {
	ID string
	// Key is the subject's SM2 key; it signs the subject's requests.
	Key          *sm2.PrivateKey
	PublicKeyPEM string
	// Identity is the made-up identity data committed on chain, and Salt the
	// salt of its commitment; neither is on chain.
	Identity string
	Salt     []byte
	// Record is the subject as the chain returned it when the helper
	// finished; it is not refreshed by later transactions.
	Record model.Subject
}

// Consortium is an alliance on a cctest.Ledger: the operator and the members
// and subjects the test added.
type Consortium struct {
	Ledger   *cctest.Ledger
	Operator *Member

	t        TB
	members  map[string]*Member
	subjects int
}

// New founds a consortium on l, on which the subject chaincode must be
// registered (see Register): the operator, OperatorMSP, bootstraps it and
// holds every member permission, so it reviews members and subjects.
func New(t TB, l *cctest.Ledger) *Consortium {
	t.Helper()
	c := &Consortium{Ledger: l, t: t, members: map[string]*Member{}}
	op := c.newMember(OperatorMSP)
	app := model.MemberApplication{ID: op.ID, Name: "Kaiban chain operator", Kind: model.MemberOperator, PublicKey: op.PublicKeyPEM}
	canonical, sig := Sign(t, op.Key, subject.ActionBootstrap, &app)
	c.submit(op.Admin, &op.Record, "Bootstrap", canonical, sig)
	c.members[op.ID] = op
	c.Operator = op
	return c
}

// DepartmentMSP is the MSP ID AddDepartment gives a department code:
// "market" → "MarketMSP", "housing-fund" → "HousingFundMSP".
func DepartmentMSP(department string) string {
	var b strings.Builder
	for _, part := range strings.Split(department, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String() + "MSP"
}

// AddDepartment admits the government department with code department (one
// of model.Departments) as an active member of kind model.MemberDepartment,
// MSP ID DepartmentMSP(department), holding perms. Adding a department twice
// returns the member made the first time.
func (c *Consortium) AddDepartment(department string, perms ...model.Permission) *Member {
	c.t.Helper()
	return c.AddMember(DepartmentMSP(department), model.MemberDepartment, department, perms...)
}

// AddMember admits an organisation as an active member: its admin applies
// with a fresh SM2 key and the operator approves it with perms. Adding an
// MSP ID twice returns the member made the first time.
func (c *Consortium) AddMember(mspID string, kind model.MemberKind, department string, perms ...model.Permission) *Member {
	c.t.Helper()
	if m, ok := c.members[mspID]; ok {
		return m
	}
	m := c.ApplyMember(mspID, kind, department)
	review := model.MemberReview{Member: mspID, Approve: true, Permissions: perms}
	var rec model.Member
	c.submit(c.Operator.Admin, &rec, "ReviewMember", c.json(&review))
	m.Record = rec
	c.members[mspID] = m
	return m
}

// ApplyMember files an application for mspID and leaves it pending, for
// tests that need a member which is not (yet) admitted. The member is not
// remembered by the Consortium.
func (c *Consortium) ApplyMember(mspID string, kind model.MemberKind, department string) *Member {
	c.t.Helper()
	m := c.newMember(mspID)
	app := model.MemberApplication{ID: mspID, Name: mspID + " (test member)", Kind: kind, Department: department, PublicKey: m.PublicKeyPEM}
	canonical, sig := Sign(c.t, m.Key, subject.ActionApplyMember, &app)
	c.submit(m.Admin, &m.Record, "ApplyMember", canonical, sig)
	return m
}

// Member returns a member added by AddMember, AddDepartment or New, or nil.
func (c *Consortium) Member(mspID string) *Member {
	return c.members[mspID]
}

// SuspendMember suspends m, which can no longer act, and updates m.Record.
func (c *Consortium) SuspendMember(m *Member) {
	c.t.Helper()
	ch := model.MemberChange{Member: m.ID, Note: "suspended by subjecttest"}
	var rec model.Member
	c.submit(c.Operator.Admin, &rec, "SuspendMember", c.json(&ch))
	m.Record = rec
}

// OpenSubject opens an active subject of kind holding perms: the operator's
// window applies with a fresh SM2 key and made-up identity data, then the
// operator approves it. Each call opens a new subject.
func (c *Consortium) OpenSubject(kind model.SubjectKind, perms ...model.Permission) *Subject {
	c.t.Helper()
	s := c.ApplySubject(kind)
	review := model.SubjectReview{Subject: s.ID, Approve: true, Permissions: perms}
	var rec model.Subject
	c.submit(c.Operator.Client, &rec, "ReviewSubject", c.json(&review))
	s.Record = rec
	return s
}

// ApplySubject files a locker-opening application through the operator and
// leaves the subject pending, for tests that need a subject which is not
// (yet) admitted.
func (c *Consortium) ApplySubject(kind model.SubjectKind) *Subject {
	c.t.Helper()
	c.subjects++
	key, pub := c.newKey()
	s := &Subject{Key: key, PublicKeyPEM: pub, Identity: fmt.Sprintf("subjecttest %s %d", kind, c.subjects)}
	// A deterministic salt keeps the IDs of a test's subjects stable across
	// runs; real salts come from gm.NewSalt.
	salt := sha256.Sum256([]byte(s.Identity))
	s.Salt = salt[:gm.SaltSize]
	commitments := map[string]string{model.CommitIdentity: gm.Commitment(s.Salt, []byte(s.Identity))}
	if kind == model.SubjectEnterprise {
		commitments[model.CommitLegalRep] = gm.Commitment(s.Salt, []byte(s.Identity+" legal representative"))
	}
	app := model.SubjectApplication{Kind: kind, Commitments: commitments, PublicKey: pub}
	canonical, sig := Sign(c.t, key, subject.ActionApplySubject, &app)
	c.submit(c.Operator.Client, &s.Record, "ApplySubject", canonical, sig)
	s.ID = s.Record.ID
	return s
}

// FreezeSubject freezes s, which can neither act nor receive, and updates
// s.Record.
func (c *Consortium) FreezeSubject(s *Subject) {
	c.t.Helper()
	ch := model.SubjectChange{Subject: s.ID, Note: "frozen by subjecttest"}
	var rec model.Subject
	c.submit(c.Operator.Client, &rec, "FreezeSubject", c.json(&ch))
	s.Record = rec
}

// Sign returns the canonical JSON of request and the base64 SM2 signature by
// key over model.SigningMessage(action, canonical): the two arguments of a
// signed transaction such as ("subject.ApplySubject", application) or
// ("asset.IssueAsset", issue).
func Sign(t TB, key *sm2.PrivateKey, action string, request any) (canonical, signature string) {
	t.Helper()
	raw, err := model.Canonical(request)
	if err != nil {
		t.Fatalf("subjecttest: canonical %T: %v", request, err)
	}
	sig, err := gm.Sign(key, model.SigningMessage(action, raw))
	if err != nil {
		t.Fatalf("subjecttest: sign %s: %v", action, err)
	}
	return string(raw), base64.StdEncoding.EncodeToString(sig)
}

func (c *Consortium) newMember(mspID string) *Member {
	c.t.Helper()
	org := cctest.NewOrg(mspID)
	key, pub := c.newKey()
	return &Member{
		ID:           mspID,
		Org:          org,
		Admin:        org.Identity("admin", cctest.Admin()),
		Client:       org.Identity("client1"),
		Key:          key,
		PublicKeyPEM: pub,
		roles:        map[string]*cctest.Identity{},
	}
}

func (c *Consortium) newKey() (*sm2.PrivateKey, string) {
	c.t.Helper()
	key, err := gm.GenerateKey()
	if err != nil {
		c.t.Fatalf("subjecttest: %v", err)
	}
	pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		c.t.Fatalf("subjecttest: %v", err)
	}
	return key, string(pub)
}

func (c *Consortium) json(request any) string {
	c.t.Helper()
	raw, err := model.Canonical(request)
	if err != nil {
		c.t.Fatalf("subjecttest: encode %T: %v", request, err)
	}
	return string(raw)
}

// submit runs a subject transaction and decodes its result into out.
func (c *Consortium) submit(creator cctest.Creator, out any, function string, args ...string) {
	c.t.Helper()
	res := c.Ledger.Submit(creator, model.ChaincodeSubject, function, args...)
	if err := res.Err(); err != nil {
		c.t.Fatalf("subjecttest: %s: %v", function, err)
	}
	if err := res.JSON(out); err != nil {
		c.t.Fatalf("subjecttest: %s result: %v", function, err)
	}
}
