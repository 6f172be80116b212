package subject_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

const cc = model.ChaincodeSubject

// newLedger returns a ledger with the subject chaincode and the probe
// chaincode (which reads the subject chaincode through access.Remote).
func newLedger(t testing.TB) *cctest.Ledger {
	t.Helper()
	l := cctest.NewLedger()
	subjecttest.Register(l)
	probe, err := contractapi.NewChaincode(&probeContract{})
	if err != nil {
		t.Fatalf("probe chaincode: %v", err)
	}
	l.Register("probe", probe)
	return l
}

// founded returns a ledger with a bootstrapped consortium.
func founded(t testing.TB) (*cctest.Ledger, *subjecttest.Consortium) {
	t.Helper()
	l := newLedger(t)
	return l, subjecttest.New(t, l)
}

// newKey returns a fresh SM2 key and its public PEM.
func newKey(t testing.TB) (*sm2.PrivateKey, string) {
	t.Helper()
	key, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gm.MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, string(pub)
}

// sign returns the canonical request and its signature by key for action.
func sign(t testing.TB, key *sm2.PrivateKey, action string, req any) (string, string) {
	t.Helper()
	return subjecttest.Sign(t, key, action, req)
}

// js encodes a request canonically.
func js(t testing.TB, req any) string {
	t.Helper()
	raw, err := model.Canonical(req)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// snapshot is every committed key and value of the subject namespace.
func snapshot(l *cctest.Ledger) string {
	var b strings.Builder
	for _, k := range l.Keys(cc) {
		b.WriteString(k)
		b.WriteByte('=')
		b.Write(l.State(cc, k))
		b.WriteByte('\n')
	}
	return b.String()
}

// succeed submits a transaction that must change state and emit event; the
// event's payload must be the returned record, which is decoded into out.
func succeed(t testing.TB, l *cctest.Ledger, creator cctest.Creator, event string, out any, fn string, args ...string) *cctest.Result {
	t.Helper()
	res := l.Submit(creator, cc, fn, args...)
	if err := res.Err(); err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	if len(res.Writes) == 0 {
		t.Fatalf("%s wrote nothing", fn)
	}
	if res.Event == nil || res.Event.EventName != event {
		t.Fatalf("%s: event %v, want %s", fn, res.Event, event)
	}
	if !jsonEqual(res.Event.Payload, res.Payload) {
		t.Fatalf("%s: event payload %s differs from the result %s", fn, res.Event.Payload, res.Payload)
	}
	if out != nil {
		if err := res.JSON(out); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// unchanged submits a transaction that must succeed without writing or
// emitting anything (an idempotent retry); its result is decoded into out.
func unchanged(t testing.TB, l *cctest.Ledger, creator cctest.Creator, out any, fn string, args ...string) {
	t.Helper()
	before := snapshot(l)
	res := l.Submit(creator, cc, fn, args...)
	if err := res.Err(); err != nil {
		t.Fatalf("%s: %v", fn, err)
	}
	if len(res.Writes) != 0 || res.Event != nil {
		t.Fatalf("%s: retry wrote %v, event %v", fn, res.Writes, res.Event)
	}
	if snapshot(l) != before {
		t.Fatalf("%s: retry changed state", fn)
	}
	if out != nil {
		if err := res.JSON(out); err != nil {
			t.Fatal(err)
		}
	}
}

// fail submits a transaction that must fail with code and leave state,
// height and events untouched; it returns the error message.
func fail(t testing.TB, l *cctest.Ledger, creator cctest.Creator, code model.Code, fn string, args ...string) string {
	t.Helper()
	before, height := snapshot(l), l.Height()
	res := l.Submit(creator, cc, fn, args...)
	if res.Err() == nil {
		t.Fatalf("%s succeeded, want %s: %s", fn, code, res.Payload)
	}
	e := model.ParseError(res.Message)
	if e == nil || e.Code != code {
		t.Fatalf("%s: %q, want a %s error", fn, res.Message, code)
	}
	if len(res.Writes) != 0 || res.Event != nil {
		t.Fatalf("%s failed but recorded writes %v, event %v", fn, res.Writes, res.Event)
	}
	if l.Height() != height || snapshot(l) != before {
		t.Fatalf("%s failed but changed the ledger", fn)
	}
	return e.Msg
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return bytes.Equal(ax, by)
}

// getMember reads a member through the chaincode.
func getMember(t testing.TB, l *cctest.Ledger, id string) model.Member {
	t.Helper()
	var m model.Member
	res := l.Evaluate(cctest.NewOrg("ReaderMSP").Identity("reader"), cc, "GetMember", id)
	if err := res.Err(); err != nil {
		t.Fatalf("GetMember %s: %v", id, err)
	}
	if err := res.JSON(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// getSubject reads a subject through the chaincode.
func getSubject(t testing.TB, l *cctest.Ledger, id string) model.Subject {
	t.Helper()
	var s model.Subject
	res := l.Evaluate(cctest.NewOrg("ReaderMSP").Identity("reader"), cc, "GetSubject", id)
	if err := res.Err(); err != nil {
		t.Fatalf("GetSubject %s: %v", id, err)
	}
	if err := res.JSON(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// hasIndex reports whether the committed index entry objectType/attrs exists.
func hasIndex(t testing.TB, l *cctest.Ledger, objectType string, attrs ...string) bool {
	t.Helper()
	key := "\x00" + objectType + "\x00"
	for _, a := range attrs {
		key += a + "\x00"
	}
	return l.State(cc, key) != nil
}

// application returns a member application for mspID with a fresh key.
func application(t testing.TB, mspID string, kind model.MemberKind) (model.MemberApplication, *sm2.PrivateKey) {
	t.Helper()
	key, pub := newKey(t)
	return model.MemberApplication{ID: mspID, Name: mspID + " org", Kind: kind, PublicKey: pub}, key
}

// subjectApp returns a subject application with fresh commitments and key.
func subjectApp(t testing.TB, kind model.SubjectKind, identity string) (model.SubjectApplication, *sm2.PrivateKey) {
	t.Helper()
	key, pub := newKey(t)
	salt := make([]byte, gm.SaltSize)
	c := map[string]string{model.CommitIdentity: gm.Commitment(salt, []byte(identity))}
	if kind == model.SubjectEnterprise {
		c[model.CommitLegalRep] = gm.Commitment(salt, []byte(identity+"/legal-rep"))
		c[model.CommitAcceptor] = gm.Commitment(salt, []byte(identity+"/acceptor"))
	}
	return model.SubjectApplication{Kind: kind, Commitments: c, PublicKey: pub}, key
}

// probeContract stands in for the other chaincodes: it reads the subject
// chaincode through access.Remote, as asset, authorization and approval do.
type probeContract struct {
	contractapi.Contract
}

// Member returns the member through access.Remote.
func (p *probeContract) Member(ctx contractapi.TransactionContextInterface, id string) (*model.Member, error) {
	return access.Remote{}.Member(ctx, id)
}

// Subject returns the subject through access.Remote.
func (p *probeContract) Subject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error) {
	return access.Remote{}.Subject(ctx, id)
}

// Act succeeds when the caller's member is active and holds perm.
func (p *probeContract) Act(ctx contractapi.TransactionContextInterface, perm string) (string, error) {
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return "", err
	}
	var perms []model.Permission
	if perm != "" {
		perms = append(perms, model.Permission(perm))
	}
	m, err := access.ActiveMember(ctx, access.Remote{}, caller, perms...)
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// Active succeeds when the subject is active.
func (p *probeContract) Active(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	s, err := access.ActiveSubject(ctx, access.Remote{}, id)
	if err != nil {
		return "", err
	}
	return s.ID, nil
}
