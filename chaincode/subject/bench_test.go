package subject_test

import (
	"fmt"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

// BenchmarkGetSubject is the lookup every other chaincode makes through
// access.Remote for each subject it checks.
func BenchmarkGetSubject(b *testing.B) {
	l, c := founded(b)
	s := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	b.ReportAllocs()
	for b.Loop() {
		if res := l.Evaluate(reader, cc, "GetSubject", s.ID); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
}

// BenchmarkApplySubject is a locker-opening application: strict decoding,
// canonical-form and key checks, an SM2 verification and three writes.
func BenchmarkApplySubject(b *testing.B) {
	l, c := founded(b)
	type signed struct{ req, sig string }
	reqs := make([]signed, b.N)
	for i := range reqs {
		app, key := subjectApp(b, model.SubjectPerson, fmt.Sprint("bench person ", i))
		reqs[i].req, reqs[i].sig = sign(b, key, subject.ActionApplySubject, &app)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, r := range reqs {
		if res := l.Submit(c.Operator.Client, cc, "ApplySubject", r.req, r.sig); res.Err() != nil || len(res.Writes) == 0 {
			b.Fatal(res.Err())
		}
	}
}

// BenchmarkListSubjects pages 50 subjects of one kind through the index.
func BenchmarkListSubjects(b *testing.B) {
	l, c := founded(b)
	for range 60 {
		c.ApplySubject(model.SubjectEnterprise)
	}
	b.ReportAllocs()
	for b.Loop() {
		if res := l.Evaluate(reader, cc, "ListSubjects", string(model.SubjectEnterprise), "50", ""); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
}
