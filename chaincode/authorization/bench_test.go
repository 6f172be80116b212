package authorization_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The benchmarks time whole transactions through the cctest harness: proposal
// parsing, contractapi dispatch, the caller's member looked up in the subject
// chaincode, the asset in the asset chaincode, the subject's SM2 signature
// verified, the writes and the block commit. Requests are signed before the
// timer starts, as a client signs them before submitting.

// BenchmarkGrant creates one pushed grant per iteration (a fresh nonce each).
func BenchmarkGrant(b *testing.B) {
	e := newEnv(b)
	type signed struct{ request, signature string }
	reqs := make([]signed, b.N)
	for i := range reqs {
		req := e.personGrant(fmt.Sprintf("bench-%d", i))
		req.ExpiresAt = e.l.Now().AddDate(10, 0, 0).Format(time.RFC3339)
		reqs[i].request, reqs[i].signature = e.sign(e.owner.Key, authorization.ActionGrant, &req)
	}
	gw := e.gateway()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range reqs {
		if res := e.call(gw, "Grant", reqs[i].request, reqs[i].signature); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
}

// BenchmarkRecordAccess records one grantee view per iteration: the grant is
// loaded and checked and the grantee's signature verified each time.
func BenchmarkRecordAccess(b *testing.B) {
	e := newEnv(b)
	req := e.personGrant("bench")
	req.ExpiresAt = e.l.Now().AddDate(10, 0, 0).Format(time.RFC3339)
	g := e.grant(req)
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID
	tx := e.tx(visit{rec: rec, signer: e.person})
	b.ReportAllocs()
	for b.Loop() {
		if res := e.l.SubmitTx(tx); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
}
