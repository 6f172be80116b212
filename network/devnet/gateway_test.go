package devnet_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/network/devnet"
)

func TestGateway_SubmitThenEvaluate(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	if _, err := kv.SubmitTransaction("Put", "a", "1"); err != nil {
		t.Fatalf("submit: %v", err)
	}
	got, err := kv.EvaluateTransaction("Get", "a")
	if err != nil || string(got) != "1" {
		t.Fatalf("evaluate = %q, %v", got, err)
	}
}

func TestGateway_OverTLS(t *testing.T) {
	n := startNetwork(t, func(c *devnet.Config) { c.TLS = true })
	if n.TLSRootCert() == nil {
		t.Fatal("no TLS root")
	}
	gw := connect(t, n, "MarketMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	if _, err := kv.SubmitTransaction("Put", "tls", "yes"); err != nil {
		t.Fatalf("submit over TLS: %v", err)
	}
	if got, err := kv.EvaluateTransaction("Get", "tls"); err != nil || string(got) != "yes" {
		t.Fatalf("evaluate over TLS = %q, %v", got, err)
	}
}

func TestGateway_EndorsingOrganizationsChosenByClient(t *testing.T) {
	n := startNetwork(t, func(c *devnet.Config) { c.Orgs = devnet.DefaultOrgs()[:3]; c.Endorsement = 2 /* All */ })
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	// Two of three organisations cannot satisfy ALL: the transaction is invalid.
	_, err := kv.Submit("Put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("OperatorMSP", "MarketMSP"))
	var commitErr *client.CommitError
	if !errors.As(err, &commitErr) || commitErr.Code != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("submit with too few endorsers: err = %v, want ENDORSEMENT_POLICY_FAILURE", err)
	}
	if _, err := kv.EvaluateTransaction("Get", "k"); err == nil {
		t.Fatal("key written by an invalid transaction")
	}
	_, err = kv.Submit("Put", client.WithArguments("k", "v"), client.WithEndorsingOrganizations("NoSuchMSP"))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("unknown endorsing org: err = %v, want Unavailable", err)
	}
	if _, err := kv.SubmitTransaction("Put", "k", "v"); err != nil {
		t.Fatalf("default endorsers: %v", err)
	}
}

// TestGateway_MVCCConflictInOneBlock endorses two read-modify-writes of one key
// against the same state, orders them into one block and expects the first VALID
// and the second MVCC_READ_CONFLICT, which the client reports as a CommitError.
func TestGateway_MVCCConflictInOneBlock(t *testing.T) {
	n := startNetwork(t, func(c *devnet.Config) { c.BatchSize = 2; c.BatchTimeout = 3 * time.Second })
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")

	var commits []*client.Commit
	var txs []*client.Transaction
	for range 2 {
		p, err := kv.NewProposal("Incr", client.WithArguments("counter"))
		if err != nil {
			t.Fatal(err)
		}
		tx, err := p.Endorse()
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	for _, tx := range txs {
		commit, err := tx.Submit()
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, commit)
	}
	st0, err := commits[0].Status()
	if err != nil {
		t.Fatal(err)
	}
	st1, err := commits[1].Status()
	if err != nil {
		t.Fatal(err)
	}
	if st0.BlockNumber != st1.BlockNumber {
		t.Fatalf("transactions in blocks %d and %d, want one block", st0.BlockNumber, st1.BlockNumber)
	}
	if st0.Code != peer.TxValidationCode_VALID || st1.Code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("codes = %s, %s; want VALID, MVCC_READ_CONFLICT", st0.Code, st1.Code)
	}
	if got, _ := kv.EvaluateTransaction("Get", "counter"); string(got) != "1" {
		t.Fatalf("counter = %q, want 1", got)
	}

	// Through SubmitTransaction, the same conflict surfaces as the SDK's CommitError:
	// both endorse before the block of two is cut.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = kv.SubmitTransaction("Incr", "counter")
		}()
	}
	wg.Wait()
	valid, conflicts := 0, 0
	for _, err := range errs {
		var commitErr *client.CommitError
		switch {
		case err == nil:
			valid++
		case errors.As(err, &commitErr) && commitErr.Code == peer.TxValidationCode_MVCC_READ_CONFLICT:
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if valid != 1 || conflicts != 1 {
		t.Fatalf("valid = %d, conflicts = %d; want one of each", valid, conflicts)
	}
}

func TestGateway_ChaincodeErrorIsReported(t *testing.T) {
	n := startNetwork(t)
	gw := connect(t, n, "OperatorMSP", "User1")
	kv := gw.GetNetwork(devnet.DefaultChannel).GetContract("kv")
	_, err := kv.EvaluateTransaction("Get", "missing")
	if status.Code(err) != codes.Unknown {
		t.Fatalf("evaluate of a failing function: %v, want Unknown", err)
	}
	_, err = kv.SubmitTransaction("Fail")
	var endorseErr *client.EndorseError
	if !errors.As(err, &endorseErr) || status.Code(err) != codes.Aborted {
		t.Fatalf("submit of a failing function: %v, want EndorseError Aborted", err)
	}
	details := endorseErr.Details()
	if len(details) != 1 || details[0].MspId != "OperatorMSP" || details[0].Message != "chaincode response 500, failed on purpose" {
		t.Fatalf("details = %v", details)
	}
}

func TestGateway_UnsupportedStubCallsAreClearErrors(t *testing.T) {
	n := startNetwork(t)
	kv := connect(t, n, "OperatorMSP", "User1").GetNetwork(devnet.DefaultChannel).GetContract("kv")
	for fn, arg := range map[string]string{"Private": "k", "Rich": `{"selector":{}}`} {
		_, err := kv.EvaluateTransaction(fn, arg)
		if status.Code(err) != codes.Unknown || !strings.Contains(err.Error(), "not supported") || !strings.Contains(err.Error(), "devnet") {
			t.Errorf("%s: %v, want a chaincode error saying devnet does not support it", fn, err)
		}
	}
}

// TestGateway_TwoChannels runs a test channel beside the production one (A.4):
// each has its own ledger, state and events.
func TestGateway_TwoChannels(t *testing.T) {
	n := startNetwork(t, func(c *devnet.Config) { c.Channels = []string{"kaiban", "kaiban-test"} })
	gw := connect(t, n, "OperatorMSP", "User1")
	prod := gw.GetNetwork("kaiban").GetContract("kv")
	test := gw.GetNetwork("kaiban-test").GetContract("kv")
	if _, err := test.SubmitTransaction("Put", "k", "test"); err != nil {
		t.Fatal(err)
	}
	if got, err := test.EvaluateTransaction("Get", "k"); err != nil || string(got) != "test" {
		t.Fatalf("test channel: %q, %v", got, err)
	}
	if _, err := prod.EvaluateTransaction("Get", "k"); err == nil {
		t.Fatal("a write on the test channel shows on the production channel")
	}
	if n.Ledger("kaiban").Height() != 1 || n.Ledger("kaiban-test").Height() != 2 {
		t.Fatalf("heights = %d, %d", n.Ledger("kaiban").Height(), n.Ledger("kaiban-test").Height())
	}
}
