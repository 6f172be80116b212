package acceptance_test

import (
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// BenchmarkAccept measures one acceptance as the window sees it: validation,
// planning, material pull, sealing and the transaction that stores the
// application and enqueues StartProcess (the chain write follows).
func BenchmarkAccept(b *testing.B) {
	e := newEnv(b)
	f := form(e.applicant, registry.FollowUpServices...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.svc.Accept(ctx, f, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcceptToQueue measures from acceptance until the licence task is
// in the market department's queue: outbox submit and commit on devnet, then
// projection.
func BenchmarkAcceptToQueue(b *testing.B) {
	e := newEnv(b)
	f := form(e.applicant, registry.FollowUpServices...)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := e.svc.Accept(ctx, f, "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			if st, ready := e.stepState(a.ID, "licence"); st == model.StepPending && ready {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}
