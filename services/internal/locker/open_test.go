package locker_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
)

func TestOpen_ApprovedLockerIsActiveSubject_Devnet(t *testing.T) {
	e := newEnv(t)
	l := e.openActive(t, "济南开办测试有限公司", "locker password 1")
	if l.LegalRepID == idZhang || !strings.HasPrefix(l.LegalRepID, "1101") || l.LegalRepName == "张三" {
		t.Fatalf("personal data not masked: %+v", l)
	}
	subjects, err := e.chain.Contract(chaintest.Operator, model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	s, err := chain.EvaluateJSON[model.Subject](ctx, subjects, "GetSubject", chain.WithArguments(l.ID))
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != model.StatusActive || s.PublicKey != l.PublicKey || len(s.Commitments) != 3 {
		t.Fatalf("subject on chain %+v", s)
	}
	for _, c := range s.Commitments {
		if strings.Contains(c, idZhang) {
			t.Fatal("plain ID number on chain")
		}
	}
	var sealed []byte
	if err := e.pool.QueryRow(ctx, `SELECT legal_rep_id_sealed FROM locker_lockers WHERE id = $1`, l.ID).Scan(&sealed); err != nil || strings.Contains(string(sealed), idZhang) {
		t.Fatalf("ID number not sealed at rest: %v", err)
	}
	// The same enterprise twice is a conflict; a second review is refused.
	if _, err := e.locker.Open(ctx, locker.OpenInput{
		Enterprise: &locker.Enterprise{Name: "济南开办测试有限公司"}, LegalRep: &locker.Person{Name: "李四", IDNumber: idLi},
		ClerkID: "clerk-2", Password: "another password",
	}); !errors.Is(err, locker.ErrConflict) {
		t.Fatalf("second opening: %v", err)
	}
	if _, err := e.locker.Review(ctx, l.ID, locker.ReviewInput{Approve: false}); !errors.Is(err, locker.ErrState) {
		t.Fatalf("second review: %v", err)
	}
}

func TestOpen_BadInputChangesNothing_Devnet(t *testing.T) {
	e := newEnv(t)
	good := locker.OpenInput{
		Enterprise: &locker.Enterprise{Name: "坏输入公司"}, LegalRep: &locker.Person{Name: "张三", IDNumber: idZhang},
		ClerkID: "clerk-1", Password: "locker password 1",
	}
	cases := map[string]func(*locker.OpenInput){
		"short password": func(in *locker.OpenInput) { in.Password = "short" },
		"no clerk":       func(in *locker.OpenInput) { in.ClerkID = " " },
		"no enterprise":  func(in *locker.OpenInput) { in.Enterprise = nil },
		"no legal rep":   func(in *locker.OpenInput) { in.LegalRep = nil },
		"bad check digit": func(in *locker.OpenInput) {
			in.LegalRep = &locker.Person{Name: "张三", IDNumber: "110105194912310021"}
		},
		"bad kind":         func(in *locker.OpenInput) { in.Kind = "robot" },
		"person no person": func(in *locker.OpenInput) { in.Kind = model.SubjectPerson },
		"short uscc":       func(in *locker.OpenInput) { in.Enterprise = &locker.Enterprise{Name: "x", USCC: "123"} },
	}
	for name, mutate := range cases {
		in := good
		mutate(&in)
		if _, err := e.locker.Open(ctx, in); !errors.Is(err, locker.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if _, err := e.locker.Review(ctx, "0123456789abcdef0123456789abcdef", locker.ReviewInput{Approve: true}); !errors.Is(err, locker.ErrNotFound) {
		t.Errorf("review of unknown locker: %v", err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM locker_lockers) + (SELECT count(*) FROM chain_outbox) + (SELECT count(*) FROM keys)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after bad input: %d, %v", n, err)
	}
}

func TestOpen_PersonLockerRejected_Devnet(t *testing.T) {
	e := newEnv(t)
	l, err := e.locker.Open(ctx, locker.OpenInput{Kind: model.SubjectPerson, Person: &locker.Person{Name: "李四", IDNumber: idLi},
		ClerkID: "clerk-3", Password: "person password"})
	if err != nil {
		t.Fatal(err)
	}
	if l.Name == "李四" || l.Kind != model.SubjectPerson {
		t.Fatalf("person locker %+v", l)
	}
	if _, err := e.locker.Review(ctx, l.ID, locker.ReviewInput{Approve: false, Note: "材料不符"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "locker rejected", func() bool {
		got, err := e.locker.Get(ctx, l.ID)
		return err == nil && got.Status == model.StatusRejected
	})
}
