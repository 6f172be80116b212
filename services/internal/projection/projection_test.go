package projection_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
)

var ctx = context.Background()

// childEnv names the file with a childSpec; when set, the test binary runs a
// projector as the child process of the kill test.
const childEnv = "KAIBAN_PROJECTION_KILL_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(runChild(path))
	}
	os.Exit(m.Run())
}

type childSpec struct {
	DatabaseURL string
	Chain       chain.Config
}

// runChild projects the chain, one event per transaction, until killed.
func runChild(path string) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 1 }
	raw, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	var spec childSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fail(err)
	}
	pool, err := postgres.Open(ctx, spec.DatabaseURL)
	if err != nil {
		return fail(err)
	}
	c, err := chain.Connect(spec.Chain)
	if err != nil {
		return fail(err)
	}
	id, err := c.Identity(chaintest.Operator)
	if err != nil {
		return fail(err)
	}
	return fail(projection.New(pool, id, projection.WithBatch(1)).Run(ctx))
}

// run runs a projector until the test ends or stop is called.
func run(t *testing.T, p *projection.Projector) (stop func()) {
	t.Helper()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(rctx)
	}()
	stop = sync.OnceFunc(func() { cancel(); <-done })
	t.Cleanup(stop)
	return stop
}

// caughtUp waits until the projection holds events events.
func caughtUp(t *testing.T, pool *pgxpool.Pool, events int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM ledger_events").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n >= events {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events projected after 30s, want %d", n, events)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventTxs is the number of the chain's valid transactions, each of which
// emitted an event in these tests.
func eventTxs(t *testing.T, n *chaintest.Net) int {
	t.Helper()
	l := n.Ledger("kaiban")
	count := 0
	for num := uint64(1); num < l.Height(); num++ {
		b, err := l.Block(num)
		if err != nil {
			t.Fatal(err)
		}
		for _, code := range b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] {
			if peer.TxValidationCode(code) == peer.TxValidationCode_VALID {
				count++
			}
		}
	}
	return count
}

func scalar[T any](t *testing.T, pool *pgxpool.Pool, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := pool.QueryRow(ctx, sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func submit(t *testing.T, c *chain.Client, ref, chaincode, function string, args ...string) *chain.Result {
	t.Helper()
	ct, err := c.Contract(ref, chaincode)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ct.Submit(ctx, function, chain.WithArguments(args...))
	if err != nil {
		t.Fatalf("%s.%s: %v", chaincode, function, err)
	}
	return res
}

// TestProjector_ProjectsEveryChaincode_Devnet runs the platform's main flow on
// the chain — consortium, licence issue, access request answered by a grant,
// access under an authorization code, a process with a supervisor's note, the
// market department's approval and the unified issuance — and checks each
// record table against it.
func TestProjector_ProjectsEveryChaincode_Devnet(t *testing.T) {
	pool := pgtest.New(t)
	n := chaintest.Start(t, chaintest.Options{})
	c := n.Connect(t)
	id, err := c.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	p := projection.New(pool, id, projection.WithRetryDelay(100*time.Millisecond))
	run(t, p)

	k := chaintest.MustFound(t, c)
	access, err := k.IssueCodeAccess(ctx, c, "flow")
	if err != nil {
		t.Fatal(err)
	}
	auth, err := c.Contract(chaintest.Market, model.ChaincodeAuthorization)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Submit(ctx, "RecordAccess", chain.WithArguments(access.Args("check")...), chain.WithTransient(access.Transient())); err != nil {
		t.Fatal(err)
	}
	req := submit(t, c, chaintest.Market, model.ChaincodeAuthorization, "RequestAccess", chaintest.Canonical(&model.AccessRequestCreation{
		Asset: access.Asset, Requester: chaintest.Market, Kind: model.KindAuthorization, Scope: model.ScopeView,
		Purpose: "review", DueAt: model.FormatTime(time.Now().Add(time.Hour)), Nonce: "r1",
	}), "")
	var request model.AccessRequest
	if err := req.Decode(&request); err != nil {
		t.Fatal(err)
	}
	submit(t, c, chaintest.Market, model.ChaincodeAuthorization, "Grant", chaintest.Signed(k.FirmKey, authorization.ActionGrant, &model.GrantRequest{
		Kind: model.KindAuthorization, Asset: access.Asset, Grantor: k.Firm, Grantee: chaintest.Market, Scope: model.ScopeView,
		Purpose: "review", ExpiresAt: model.FormatTime(time.Now().Add(time.Hour)), Request: request.ID, Nonce: "g1",
	})...)

	const app = "application-flow"
	submit(t, c, chaintest.Operator+"/clerk", model.ChaincodeApproval, "StartProcess", chaintest.Canonical(&model.ProcessStart{
		Application: app, Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.Firm,
		Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 86400}},
	}))
	submit(t, c, chaintest.Operator+"/supervisor", model.ChaincodeApproval, "Intervene", chaintest.Canonical(&model.InterventionRequest{
		Process: app, Step: "licence", Action: model.InterveneNote, Reason: "urge",
	}))
	licence := submit(t, c, chaintest.Market, model.ChaincodeAsset, "IssueAsset", chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence(app))...)
	var issued model.Asset
	if err := licence.Decode(&issued); err != nil {
		t.Fatal(err)
	}
	submit(t, c, chaintest.Market, model.ChaincodeApproval, "DecideStep", chaintest.Signed(k.MarketKey, model.ChaincodeApproval+".DecideStep", &model.StepDecision{
		Process: app, Step: "licence", Approve: true, Approver: "u-1", Opinion: "approved", Outputs: []string{issued.ID},
	})...)
	submit(t, c, chaintest.Operator+"/clerk", model.ChaincodeApproval, "IssueBundle", chaintest.Canonical(&model.BundleIssue{
		Process: app, Items: []model.BundleItem{{Step: "licence", Asset: issued.ID, Status: model.BundleIssued}},
	}))

	total := eventTxs(t, n)
	caughtUp(t, pool, total)
	if st := p.Stats(); st.Applied != uint64(total) || st.Duplicates != 0 || st.Problems != 0 {
		t.Fatalf("stats %+v, want %d applied", st, total)
	}
	checks := []struct {
		sql  string
		want any
	}{
		{"SELECT count(*) FROM ledger_members WHERE status = 'active'", int64(2)},
		{"SELECT permissions FROM ledger_members WHERE id = 'OperatorMSP'", []string{"member", "contract", "node", "subject"}},
		{"SELECT status FROM ledger_subjects WHERE id = '" + k.Firm + "'", model.StatusActive},
		{"SELECT status FROM ledger_asset_types WHERE code = 'business-licence'", model.StatusActive},
		{"SELECT count(*) FROM ledger_assets WHERE owner = '" + k.Firm + "' AND status = 'available'", int64(2)},
		{"SELECT count(*) FROM ledger_auth_codes WHERE asset = '" + access.Asset + "'", int64(1)},
		{"SELECT count(*) FROM ledger_access_records WHERE asset = '" + access.Asset + "' AND auth_code IS NOT NULL", int64(1)},
		{"SELECT status || ' ' || grant_id FROM ledger_access_requests WHERE id = '" + request.ID + "'", "approved " + model.GrantID(model.KindAuthorization, access.Asset, chaintest.Market, "g1")},
		{"SELECT record->>'status' FROM ledger_access_requests WHERE id = '" + request.ID + "'", model.RequestApproved},
		{"SELECT count(*) FROM ledger_grants WHERE grantee = 'MarketMSP' AND request IS NOT NULL", int64(1)},
		{"SELECT status FROM ledger_processes WHERE id = '" + app + "'", model.ProcessCompleted},
		{"SELECT status || ' ' || (record->>'approver') FROM ledger_steps WHERE process = '" + app + "'", "approved u-1"},
		{"SELECT (record->>'interventions')::int FROM ledger_steps WHERE process = '" + app + "'", int32(1)},
		{"SELECT count(*) FROM ledger_interventions WHERE process = '" + app + "'", int64(1)},
		{"SELECT owner FROM ledger_bundles WHERE process = '" + app + "'", k.Firm},
	}
	for _, ch := range checks {
		var got any
		if err := pool.QueryRow(ctx, ch.sql).Scan(&got); err != nil {
			t.Errorf("%s: %v", ch.sql, err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(ch.want) {
			t.Errorf("%s = %v, want %v", ch.sql, got, ch.want)
		}
	}
	// The checkpoint is the last event's block and transaction.
	cp, err := p.Checkpoint(ctx, model.ChaincodeApproval)
	if err != nil || cp.Block == 0 || cp.TxID != scalar[string](t, pool, "SELECT tx_id FROM ledger_events WHERE event_name = 'BundleIssued'") {
		t.Fatalf("approval checkpoint %+v, %v", cp, err)
	}
}

// TestProjector_ResumesAfterKill_Devnet projects a chain of licence issues in
// a child process, one event per database transaction, and kills it with
// SIGKILL in the middle of the stream; a new projector resumes from the
// stored checkpoint. Every event is projected once: none is missing, and the
// new projector is delivered none that was already projected.
func TestProjector_ResumesAfterKill_Devnet(t *testing.T) {
	pool := pgtest.New(t)
	n := chaintest.Start(t, chaintest.Options{BatchTimeout: 100 * time.Millisecond})
	c := n.Connect(t)
	k := chaintest.MustFound(t, c)
	assets, err := c.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 150 {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := assets.Submit(ctx, "IssueAsset", chain.WithArguments(chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence(fmt.Sprintf("kill-%03d", i)))...)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	total := eventTxs(t, n)

	url := pgtest.URL(t, pool)
	if strings.Contains(url, "?") {
		url += "&application_name=kill-child"
	} else {
		url += "?application_name=kill-child"
	}
	raw, _ := json.Marshal(childSpec{DatabaseURL: url, Chain: n.Config})
	spec := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(spec, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+spec)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for scalar[int64](t, pool, "SELECT count(*) FROM ledger_events") < int64(total/3) {
		if time.Now().After(deadline) {
			t.Fatal("the child projected too little")
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	// A COMMIT the child sent just before it died may still be in the
	// server's hands; wait until its sessions are gone.
	for scalar[int64](t, pool, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kill-child'") > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the child's database sessions did not end")
		}
		time.Sleep(5 * time.Millisecond)
	}
	killedAt := scalar[int64](t, pool, "SELECT count(*) FROM ledger_events")
	cp := scalar[string](t, pool, "SELECT block_number || '/' || tx_id FROM ledger_checkpoints WHERE chaincode = 'asset'")
	if killedAt >= int64(total) {
		t.Fatalf("the child finished (%d events) before it was killed", killedAt)
	}
	sameBlock := scalar[int64](t, pool, "SELECT count(*) FROM ledger_events WHERE block_number = (SELECT block_number FROM ledger_checkpoints WHERE chaincode = 'asset') AND chaincode = 'asset'")
	t.Logf("killed after %d of %d events; asset checkpoint %s (%d events of that block projected)", killedAt, total, cp, sameBlock)

	id, err := c.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	p := projection.New(pool, id)
	run(t, p)
	caughtUp(t, pool, total)
	time.Sleep(300 * time.Millisecond) // let anything delivered twice arrive
	st := p.Stats()
	if st.Duplicates != 0 || st.Applied != uint64(int64(total)-killedAt) || st.Problems != 0 {
		t.Fatalf("resumed projector: %+v, want %d applied and no duplicates", st, int64(total)-killedAt)
	}
	if got := scalar[int64](t, pool, "SELECT count(*) FROM ledger_events"); got != int64(total) {
		t.Fatalf("%d events projected, want %d", got, total)
	}
	if got := scalar[int64](t, pool, "SELECT count(*) FROM ledger_assets WHERE business_key LIKE 'kill-%'"); got != 150 {
		t.Fatalf("%d licences projected, want 150", got)
	}
}

// emitter is a chaincode that emits whatever event it is told to, to feed the
// projector events it cannot apply.
type emitter struct{ contractapi.Contract }

// Emit sets the transaction's event and writes a key so it is a transaction.
func (emitter) Emit(ctx contractapi.TransactionContextInterface, name, payload string) error {
	if err := ctx.GetStub().PutState("k", []byte(payload)); err != nil {
		return err
	}
	return ctx.GetStub().SetEvent(name, []byte(payload))
}

// TestProjector_BadEventsAreKeptAndSkipped feeds events that cannot be
// applied: each is kept with its problem, the projection moves past it, and
// the good events after them (a node, an audit anchor) are applied.
func TestProjector_BadEventsAreKeptAndSkipped(t *testing.T) {
	cc, err := contractapi.NewChaincode(&emitter{})
	if err != nil {
		t.Fatal(err)
	}
	pool := pgtest.New(t)
	n := chaintest.Start(t, chaintest.Options{Chaincodes: map[string]shim.Chaincode{"emitter": cc}})
	c := n.Connect(t)
	bad := []struct{ name, payload, problem string }{
		{model.EventMemberApplied, "not json", "payload is not JSON"},
		{"Mystery", "{}", `unknown event "Mystery"`},
		{model.EventAssetIssued, `{"id":""}`, "payload of AssetIssued has no ID"},
		{model.EventAssetIssued, `{"id":"a1","createdAt":"yesterday"}`, `createdAt "yesterday" is not a time`},
		{model.EventGrantCreated, `{"id":"g\u0000","expiresAt":"2030-01-01T00:00:00Z"}`, "payload holds a NUL character"},
		{model.EventStepDecided, `{"process":"nope","key":"s"}`, "process nope of StepDecided is not on the chain"},
	}
	for _, b := range bad {
		submit(t, c, chaintest.Operator, "emitter", "Emit", b.name, b.payload)
	}
	submit(t, c, chaintest.Operator, "emitter", "Emit", model.EventNodeAdmitted,
		`{"id":"n1","member":"OperatorMSP","kind":"transaction","status":"active"}`)
	submit(t, c, chaintest.Operator, "emitter", "Emit", model.EventAuditAnchored,
		`{"id":"a1","member":"OperatorMSP","seq":42,"head":"h","at":"2026-01-01T00:00:00Z","txId":"t"}`)
	id, err := c.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	p := projection.New(pool, id, projection.WithChaincodes("emitter"))
	run(t, p)
	caughtUp(t, pool, len(bad)+2)
	if st := p.Stats(); st.Problems != uint64(len(bad)) || st.Applied != 2 {
		t.Fatalf("stats %+v", st)
	}
	var seq int64
	if err := pool.QueryRow(ctx, "SELECT seq FROM ledger_audit_anchors WHERE id = 'a1' AND member = 'OperatorMSP'").Scan(&seq); err != nil || seq != 42 {
		t.Fatalf("audit anchor not projected: %d, %v", seq, err)
	}
	rows, err := pool.Query(ctx, "SELECT problem FROM ledger_events WHERE problem IS NOT NULL ORDER BY block_number")
	if err != nil {
		t.Fatal(err)
	}
	var problems []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		problems = append(problems, s)
	}
	if len(problems) != len(bad) {
		t.Fatalf("problems %q", problems)
	}
	for i, b := range bad {
		if len(problems[i]) < len(b.problem) || problems[i][:len(b.problem)] != b.problem {
			t.Errorf("event %d: problem %q, want %q", i, problems[i], b.problem)
		}
	}
	if got := scalar[string](t, pool, "SELECT status FROM ledger_nodes WHERE id = 'n1'"); got != "active" {
		t.Fatalf("the good event after the bad ones: node status %q", got)
	}
}
