package chain_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
)

var ctx = context.Background()

func contract(t *testing.T, c *chain.Client, ref, chaincode string) *chain.Contract {
	t.Helper()
	ct, err := c.Contract(ref, chaincode)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// startProcess starts a one-step process (the market department's licence
// step) for application app as the operator's clerk.
func startProcess(t *testing.T, c *chain.Client, k *chaintest.Consortium, app string) model.Process {
	t.Helper()
	p, _, err := chain.SubmitJSON[model.Process](ctx, contract(t, c, chaintest.Operator+"/clerk", model.ChaincodeApproval), "StartProcess",
		chain.WithArguments(chaintest.Canonical(&model.ProcessStart{
			Application: app, Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.Firm,
			Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 86400}},
		})))
	if err != nil {
		t.Fatalf("StartProcess: %v", err)
	}
	return p
}

// TestClient_AllFourChaincodes_Devnet submits and evaluates through every
// Kaiban chaincode over TLS, with typed results: subject (the consortium's
// founding), asset (an issue by the market department), authorization (a
// grant by the firm) and approval (a process started by the operator's clerk).
func TestClient_AllFourChaincodes_Devnet(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)

	member, err := chain.EvaluateJSON[model.Member](ctx, contract(t, c, chaintest.Market, model.ChaincodeSubject), "GetMember", chain.WithArguments(chaintest.Market))
	if err != nil || member.Status != model.StatusActive || member.Kind != model.MemberDepartment {
		t.Fatalf("GetMember = %+v, %v", member, err)
	}

	assets := contract(t, c, chaintest.Market, model.ChaincodeAsset)
	issued, res, err := chain.SubmitJSON[model.Asset](ctx, assets, "IssueAsset",
		chain.WithArguments(chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence("app-1"))...))
	if err != nil {
		t.Fatalf("IssueAsset: %v", err)
	}
	if issued.Owner != k.Firm || issued.CreatedTx != res.TxID || res.Block == 0 || res.Attempts != 1 {
		t.Fatalf("issued %+v in %+v", issued, res)
	}
	got, err := chain.EvaluateJSON[model.Asset](ctx, assets, "GetAsset", chain.WithArguments(issued.ID))
	if err != nil || got.ID != issued.ID || got.Status != model.AssetAvailable {
		t.Fatalf("GetAsset = %+v, %v", got, err)
	}

	grant, _, err := chain.SubmitJSON[model.Grant](ctx, contract(t, c, chaintest.Market, model.ChaincodeAuthorization), "Grant",
		chain.WithArguments(chaintest.Signed(k.FirmKey, authorization.ActionGrant, &model.GrantRequest{
			Kind: model.KindAuthorization, Asset: issued.ID, Grantor: k.Firm, Grantee: chaintest.Market, Scope: model.ScopeView,
			Purpose: "licence check", ExpiresAt: model.FormatTime(time.Now().Add(time.Hour)), Nonce: "n1",
		})...))
	if err != nil || grant.Status != model.GrantActive {
		t.Fatalf("Grant = %+v, %v", grant, err)
	}
	if g, err := chain.EvaluateJSON[model.Grant](ctx, contract(t, c, chaintest.Operator, model.ChaincodeAuthorization), "GetGrant", chain.WithArguments(grant.ID)); err != nil || g.ID != grant.ID {
		t.Fatalf("GetGrant = %+v, %v", g, err)
	}

	p := startProcess(t, c, k, "application-1")
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, contract(t, c, chaintest.Operator, model.ChaincodeApproval), "GetProcess", chain.WithArguments(p.ID))
	if err != nil || view.Process.Status != model.ProcessRunning || len(view.Steps) != 1 || !view.Steps[0].Ready {
		t.Fatalf("GetProcess = %+v, %v", view, err)
	}
}

// TestSubmit_RefusalsAreTyped checks that a chaincode's refusal keeps its
// model code through the gateway: DENIED at endorsement, NOT_FOUND at
// evaluation, each with the step, the transaction ID and the gRPC status.
func TestSubmit_RefusalsAreTyped(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)

	// The operator's plain client user has no clerk role: StartProcess is DENIED.
	_, err := contract(t, c, chaintest.Operator, model.ChaincodeApproval).Submit(ctx, "StartProcess",
		chain.WithArguments(chaintest.Canonical(&model.ProcessStart{
			Application: "denied", Item: "establish", DefinitionDigest: gm.Hex([]byte("d")), Applicant: k.Firm,
			Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 60}},
		})))
	var ce *chain.Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *chain.Error", err)
	}
	if ce.Step != chain.StepEndorse || !ce.Refused || ce.Code != model.CodeDenied || ce.TxID == "" || ce.Transient() {
		t.Fatalf("refusal = %+v", ce)
	}
	if !errors.Is(err, model.ErrDenied) || errors.Is(err, model.ErrNotFound) || !model.IsCode(err, model.CodeDenied) {
		t.Fatalf("errors.Is does not see DENIED in %v", err)
	}
	if status.Code(err) != codes.Aborted {
		t.Fatalf("gRPC code = %s, want Aborted", status.Code(err))
	}
	var me *model.Error
	if !errors.As(err, &me) || me.Code != model.CodeDenied || !strings.Contains(me.Msg, "clerk") {
		t.Fatalf("model error = %+v", me)
	}
	if !strings.Contains(err.Error(), "approval.StartProcess: endorse failed (tx "+ce.TxID+"): DENIED: ") {
		t.Fatalf("message = %q", err)
	}

	_, err = contract(t, c, chaintest.Market, model.ChaincodeAsset).Evaluate(ctx, "GetAsset", chain.WithArguments(strings.Repeat("0", 32)))
	if !errors.As(err, &ce) || ce.Step != chain.StepEvaluate || !errors.Is(err, model.ErrNotFound) || ce.TxID == "" {
		t.Fatalf("GetAsset of nothing: %v", err)
	}

	// A contract API argument error is the chaincode's too, without a code.
	_, err = contract(t, c, chaintest.Market, model.ChaincodeAsset).Evaluate(ctx, "GetAsset")
	if !errors.As(err, &ce) || !ce.Refused || ce.Code != "" || ce.Transient() {
		t.Fatalf("GetAsset without arguments: %+v", ce)
	}
}

// TestSubmit_ConflictIsRetried runs supervisors' notes on one step at once.
// Each note rewrites the step, so notes endorsed against the same state
// conflict in their block; Submit endorses the losers again and every note
// commits. With retries off, the loser's error is a typed, transient commit
// conflict.
func TestSubmit_ConflictIsRetried(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{BatchTimeout: 300 * time.Millisecond})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)
	p := startProcess(t, c, k, "application-mvcc")
	supervisor := contract(t, c, chaintest.Operator+"/supervisor", model.ChaincodeApproval)

	const notes = 4
	var wg sync.WaitGroup
	results := make([]*chain.Result, notes)
	errs := make([]error, notes)
	for i := range notes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = supervisor.Submit(ctx, "Intervene", chain.WithArguments(chaintest.Canonical(&model.InterventionRequest{
				Process: p.ID, Step: "licence", Action: model.InterveneNote, Reason: "urge " + string(rune('a'+i)),
			})))
		}()
	}
	wg.Wait()
	retried := 0
	for i := range notes {
		if errs[i] != nil {
			t.Fatalf("note %d: %v", i, errs[i])
		}
		if results[i].Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Fatal("no note was retried: the notes did not conflict")
	}
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, supervisor, "GetProcess", chain.WithArguments(p.ID))
	if err != nil || len(view.Interventions) != notes || view.Steps[0].Interventions != notes {
		t.Fatalf("after %d notes: %d interventions, step count %d, %v", notes, len(view.Interventions), view.Steps[0].Interventions, err)
	}

	cfg := n.Config
	cfg.ConflictRetries = -1
	noRetry, err := chain.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer noRetry.Close()
	supervisor = contract(t, noRetry, chaintest.Operator+"/supervisor", model.ChaincodeApproval)
	for i := range notes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = supervisor.Submit(ctx, "Intervene", chain.WithArguments(chaintest.Canonical(&model.InterventionRequest{
				Process: p.ID, Step: "licence", Action: model.InterveneNote, Reason: "again " + string(rune('a'+i)),
			})))
		}()
	}
	wg.Wait()
	conflicts := 0
	for _, err := range errs {
		var ce *chain.Error
		switch {
		case err == nil:
		case errors.As(err, &ce) && ce.Conflict() && ce.Transient() && ce.Validation == peer.TxValidationCode_MVCC_READ_CONFLICT && ce.Step == chain.StepCommit:
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if conflicts == 0 {
		t.Fatal("no conflict surfaced without retries")
	}
}

// TestTransaction_SentTwiceCommitsOnce stores an endorsed transaction, submits
// it, then rebuilds it from its bytes and submits it again, as the outbox does
// after a crash: the second copy is refused at commit as DUPLICATE_TXID and
// the caller still learns the first copy's block.
func TestTransaction_SentTwiceCommitsOnce(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)
	l := n.Ledger(devnet.DefaultChannel)
	var height uint64
	sendTwice(t, c, k, "application-twice", func() { height = l.Height() })
	// The second copy lands in a later block, marked DUPLICATE_TXID.
	deadline := time.Now().Add(5 * time.Second)
	for l.Height() == height && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	b, err := l.Block(height)
	if err != nil {
		t.Fatal(err)
	}
	if codes := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]; len(codes) != 1 || peer.TxValidationCode(codes[0]) != peer.TxValidationCode_DUPLICATE_TXID {
		t.Fatalf("second copy's codes = %v, want [DUPLICATE_TXID]", codes)
	}
}

// sendTwice starts a process and endorses a supervisor's note on it, stores
// the endorsed transaction and submits it, then rebuilds it from its bytes
// and submits it again, as the outbox does after a crash; beforeSecond runs
// just before the second submit. Both submits must report the first copy's
// commit, and the note must be on the process once.
func sendTwice(t *testing.T, c *chain.Client, k *chaintest.Consortium, application string, beforeSecond func()) {
	t.Helper()
	p := startProcess(t, c, k, application)
	supervisor := contract(t, c, chaintest.Operator+"/supervisor", model.ChaincodeApproval)
	tx, err := supervisor.Endorse(ctx, "Intervene", chain.WithArguments(chaintest.Canonical(&model.InterventionRequest{
		Process: p.ID, Step: "licence", Action: model.InterveneNote, Reason: "once",
	})))
	if err != nil {
		t.Fatal(err)
	}
	stored, err := tx.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	first, err := tx.Submit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := supervisor.Identity().Transaction(stored)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID() != tx.ID() {
		t.Fatalf("rebuilt transaction has ID %s, want %s", again.ID(), tx.ID())
	}
	beforeSecond()
	second, err := again.Submit(ctx)
	if err != nil {
		t.Fatalf("second copy: %v", err)
	}
	if second.TxID != first.TxID || second.Block != first.Block {
		t.Fatalf("second copy reported %+v, first %+v", second, first)
	}
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, supervisor, "GetProcess", chain.WithArguments(p.ID))
	if err != nil || len(view.Interventions) != 1 {
		t.Fatalf("interventions = %d, %v; want 1", len(view.Interventions), err)
	}
}

// TestEvaluate_UnreachablePeerIsTransient points the client at a closed port:
// the failure is an evaluate *Error with status Unavailable, transient.
func TestEvaluate_UnreachablePeerIsTransient(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{})
	cfg := n.Config
	for i := range cfg.Orgs {
		cfg.Orgs[i].PeerEndpoint = "127.0.0.1:1"
	}
	c, err := chain.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = contract(t, c, chaintest.Operator, model.ChaincodeSubject).Evaluate(ctx, "GetMember", chain.WithArguments(chaintest.Operator))
	var ce *chain.Error
	if !errors.As(err, &ce) || ce.Step != chain.StepEvaluate || ce.Refused || !ce.Transient() || status.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v (%+v)", err, ce)
	}
}

// TestConnect_Plaintext reaches a devnet served without TLS.
func TestConnect_Plaintext(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{Plaintext: true})
	c := n.Connect(t)
	_, err := contract(t, c, chaintest.Operator, model.ChaincodeSubject).Evaluate(ctx, "GetMember", chain.WithArguments(chaintest.Operator))
	if !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("GetMember before bootstrap: %v, want NOT_FOUND", err)
	}
}

// TestConnect_BadConfig refuses incomplete or unusable configurations before
// dialling anything.
func TestConnect_BadConfig(t *testing.T) {
	n := chaintest.Start(t, chaintest.Options{})
	good := n.Config.Orgs[0]
	cases := map[string]func(o *chain.OrgConfig){
		"no MSP ID":        func(o *chain.OrgConfig) { o.MSPID = "" },
		"no endpoint":      func(o *chain.OrgConfig) { o.PeerEndpoint = "" },
		"no channel":       func(o *chain.OrgConfig) { o.Channel = "" },
		"no key":           func(o *chain.OrgConfig) { o.KeyPath = "" },
		"missing cert":     func(o *chain.OrgConfig) { o.CertPath = "/nonexistent/cert.pem" },
		"key is not a key": func(o *chain.OrgConfig) { o.KeyPath = o.CertPath },
		"TLS root missing": func(o *chain.OrgConfig) { o.TLSRootCert = "/nonexistent/ca.pem" },
		"bad identity name": func(o *chain.OrgConfig) {
			o.Identities = map[string]chain.IdentityConfig{"a/b": {CertPath: o.CertPath, KeyPath: o.KeyPath}}
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			o := good
			o.Identities = nil
			mutate(&o)
			if c, err := chain.Connect(chain.Config{Orgs: []chain.OrgConfig{o}}); err == nil {
				c.Close()
				t.Fatal("connected")
			}
		})
	}
	if _, err := chain.Connect(chain.Config{}); err == nil {
		t.Fatal("connected without organisations")
	}
	c := n.Connect(t)
	if _, err := c.Identity("OperatorMSP/nobody"); err == nil || !strings.Contains(err.Error(), "OperatorMSP/clerk") {
		t.Fatalf("unknown identity: %v", err)
	}
}
