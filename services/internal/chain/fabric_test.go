package chain_test

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/fabricproc"
	"github.com/kaiban-platform/kaiban/network/kaibannet"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/config"
)

// fabricNet starts a real Fabric network with kaiban-net (binaries from
// FABRIC_BIN; the test is skipped without them): one Raft orderer, the
// operator and the market department, the Kaiban chaincodes as a service.
// It returns kaiban's ledger client configured as kaiban is, from the
// connection profiles kaiban-net writes loaded as kaiban's configuration
// file, with the operator's clerk and supervisor identities beside.
func fabricNet(t *testing.T) (*kaibannet.Network, chain.Config) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: runs a real Fabric network")
	}
	for _, b := range []string{"peer", "orderer"} {
		if _, err := fabricproc.FindBinary(b); err != nil {
			t.Skipf("real Fabric test skipped: %v.\nTo run it, get the Fabric 3.1 binaries (see docs/kaiban-net.md, "+
				"\"Getting Fabric\") and run: FABRIC_BIN=/path/to/fabric/bin go test ./internal/chain -run Fabric -v", err)
		}
	}
	_, file, _, _ := runtime.Caller(0)
	ccBin := filepath.Join(t.TempDir(), "cc")
	build := exec.Command("go", "build", "-o", ccBin+string(filepath.Separator), "./chaincode/cmd/...")
	build.Dir = filepath.Join(filepath.Dir(file), "..", "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build chaincodes: %v\n%s", err, out)
	}

	ctx := t.Context()
	n, err := kaibannet.Init(filepath.Join(t.TempDir(), "net"), consortium.Options{
		BasePort:     26000,
		Orderers:     1,
		Departments:  []string{model.DeptMarket},
		BatchTimeout: 300 * time.Millisecond,
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Down(t.Context(), false); err != nil {
			t.Errorf("down: %v", err)
		}
		n.Close()
	})
	prod, err := n.Spec.ProductionChannel()
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.CreateChannels(ctx, prod.Name); err != nil {
		t.Fatal(err)
	}
	if err := n.Deploy(ctx, kaibannet.DeployOptions{Channels: []string{prod.Name}, Version: "1.0", BinDir: ccBin}); err != nil {
		t.Fatal(err)
	}

	var cfg chain.Config
	for _, msp := range []string{chaintest.Operator, chaintest.Market} {
		kc, _, err := config.Load("serve", []string{"--config", n.Layout.ProfileFile(msp)}, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatalf("profile of %s as kaiban's configuration: %v", msp, err)
		}
		c := kc.Chain
		// As cmd/kaiban's chainConfig maps the chain section.
		cfg.Orgs = append(cfg.Orgs, chain.OrgConfig{
			MSPID: c.MSPID, PeerEndpoint: c.Endpoint, PeerHostOverride: c.ServerName, TLSRootCert: c.TLSRootCert,
			CertPath: c.Cert, KeyPath: c.Key, Channel: c.Channel,
		})
	}
	op, err := n.Spec.Org(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Orgs[0].Identities = map[string]chain.IdentityConfig{}
	for _, role := range []string{model.RoleClerk, model.RoleSupervisor} {
		msp := filepath.Join(n.Layout.Crypto().UserDir(consortium.CryptoOrg(n.Spec, op), consortium.RoleUser(role)), "msp")
		cfg.Orgs[0].Identities[role] = chain.IdentityConfig{CertPath: filepath.Join(msp, "signcerts"), KeyPath: filepath.Join(msp, "keystore")}
	}
	return n, cfg
}

// foundOnFabric completes the consortium kaiban-net founded (the operator
// and the market department are members after cc deploy): a firm's subject
// opened and approved, the licence type defined. The market department's
// SM2 key is the one kaiban-net keeps for it.
func foundOnFabric(t *testing.T, n *kaibannet.Network, c *chain.Client) *chaintest.Consortium {
	t.Helper()
	mk, err := consortium.EnsureMemberKey(n.Layout, chaintest.Market)
	if err != nil {
		t.Fatal(err)
	}
	k := &chaintest.Consortium{MarketKey: mk.Key}
	var firmPub string
	if k.FirmKey, firmPub, err = chaintest.SM2Key(); err != nil {
		t.Fatal(err)
	}
	salt, err := gm.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	firm, _, err := chain.SubmitJSON[model.Subject](ctx, contract(t, c, chaintest.Operator, model.ChaincodeSubject), "ApplySubject",
		chain.WithArguments(chaintest.Signed(k.FirmKey, subject.ActionApplySubject, &model.SubjectApplication{
			Kind: model.SubjectEnterprise,
			Commitments: map[string]string{
				model.CommitIdentity: gm.Commitment(salt, []byte("fabric test firm")),
				model.CommitLegalRep: gm.Commitment(salt, []byte("fabric test firm legal representative")),
			},
			PublicKey: firmPub,
		})...))
	if err != nil {
		t.Fatalf("ApplySubject: %v", err)
	}
	k.Firm = firm.ID
	dk, err := gm.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := gm.Encrypt(&k.FirmKey.PublicKey, dk)
	if err != nil {
		t.Fatal(err)
	}
	k.FirmWrappedKey = model.WrappedKey{Recipient: firm.ID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString(wrapped)}
	if _, err := contract(t, c, chaintest.Operator, model.ChaincodeSubject).Submit(ctx, "ReviewSubject", chain.WithArguments(chaintest.Canonical(&model.SubjectReview{
		Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))); err != nil {
		t.Fatalf("ReviewSubject: %v", err)
	}
	if _, err := contract(t, c, chaintest.Operator, model.ChaincodeAsset).Submit(ctx, "DefineAssetType", chain.WithArguments(chaintest.Canonical(&model.AssetTypeDefinition{
		Code: chaintest.Licence, Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{chaintest.Market},
	}))); err != nil {
		t.Fatalf("DefineAssetType: %v", err)
	}
	return k
}

// TestClient_Fabric runs kaiban's ledger client against real Fabric
// (FABRIC_BIN) started by kaiban-net, for what the devnet tests above
// assume Fabric does: an asset issued across two chaincodes and two
// endorsing organisations; its chaincode events streamed from block 0 and
// from a checkpoint; a chaincode refusal typed at endorsement and at
// evaluation with the gateway's gRPC codes; concurrent writes to one key
// invalidated as MVCC_READ_CONFLICT and endorsed again by Submit; one
// endorsed transaction sent twice committing once, the second copy told
// the first one's block.
func TestClient_Fabric(t *testing.T) {
	n, cfg := fabricNet(t)
	c, err := chain.Connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	k := foundOnFabric(t, n, c)

	t.Run("issue", func(t *testing.T) {
		issued, _, err := chain.SubmitJSON[model.Asset](ctx, contract(t, c, chaintest.Market, model.ChaincodeAsset), "IssueAsset",
			chain.WithArguments(chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence("fabric-1"))...))
		if err != nil || issued.Owner != k.Firm || issued.Status != model.AssetAvailable {
			t.Fatalf("IssueAsset = %+v, %v", issued, err)
		}
	})

	t.Run("events", func(t *testing.T) {
		// From block 0: the licence type defined, then the licence issued; a
		// stream reopened after the first event starts at the second.
		id, err := c.Identity(chaintest.Market)
		if err != nil {
			t.Fatal(err)
		}
		read := func(from chain.Checkpoint, n int) []chain.Event {
			t.Helper()
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			events, err := id.ChaincodeEvents(sctx, model.ChaincodeAsset, from)
			if err != nil {
				t.Fatal(err)
			}
			var got []chain.Event
			for ev := range events {
				if got = append(got, ev); len(got) == n {
					break
				}
			}
			return got
		}
		got := read(chain.Checkpoint{}, 2)
		if len(got) != 2 || got[0].Name != model.EventAssetTypeDefined || got[1].Name != model.EventAssetIssued ||
			got[1].Chaincode != model.ChaincodeAsset || !strings.Contains(string(got[1].Payload), k.Firm) || got[1].Block <= got[0].Block {
			t.Fatalf("asset events from block 0 = %+v", got)
		}
		if again := read(chain.After(got[0]), 1); len(again) != 1 || again[0].TxID != got[1].TxID {
			t.Fatalf("after %s/%d: %+v, want %s", got[0].TxID, got[0].Block, again, got[1].TxID)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		// The operator's plain client user has no clerk role: StartProcess is DENIED.
		_, err := contract(t, c, chaintest.Operator, model.ChaincodeApproval).Submit(ctx, "StartProcess",
			chain.WithArguments(chaintest.Canonical(&model.ProcessStart{
				Application: "denied", Item: "establish", DefinitionDigest: gm.Hex([]byte("d")), Applicant: k.Firm,
				Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 60}},
			})))
		var ce *chain.Error
		if !errors.As(err, &ce) || ce.Step != chain.StepEndorse || !ce.Refused || ce.Code != model.CodeDenied || ce.TxID == "" || ce.Transient() {
			t.Fatalf("refusal = %v (%+v)", err, ce)
		}
		if status.Code(err) != codes.Aborted || !strings.Contains(ce.Message, "clerk") {
			t.Fatalf("gRPC code %s, message %q", status.Code(err), ce.Message)
		}
		_, err = contract(t, c, chaintest.Market, model.ChaincodeAsset).Evaluate(ctx, "GetAsset", chain.WithArguments(strings.Repeat("0", 32)))
		if !errors.As(err, &ce) || ce.Step != chain.StepEvaluate || !errors.Is(err, model.ErrNotFound) || ce.Transient() {
			t.Fatalf("GetAsset of nothing: %v", err)
		}
		_, err = contract(t, c, chaintest.Market, model.ChaincodeAsset).Evaluate(ctx, "GetAsset")
		if !errors.As(err, &ce) || !ce.Refused || ce.Code != "" || ce.Transient() {
			t.Fatalf("GetAsset without arguments: %v", err)
		}
	})

	t.Run("conflict", func(t *testing.T) {
		p := startProcess(t, c, k, "application-fabric-mvcc")
		supervisor := contract(t, c, chaintest.Operator+"/supervisor", model.ChaincodeApproval)
		note := func(reason string) error {
			_, err := supervisor.Submit(ctx, "Intervene", chain.WithArguments(chaintest.Canonical(&model.InterventionRequest{
				Process: p.ID, Step: "licence", Action: model.InterveneNote, Reason: reason,
			})))
			return err
		}
		const notes = 4
		errs := make([]error, notes)
		var wg sync.WaitGroup
		for i := range notes {
			wg.Go(func() { errs[i] = note("urge " + string(rune('a'+i))) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatalf("notes with retries: %v", err)
		}

		noRetry := cfg
		noRetry.ConflictRetries = -1
		c2, err := chain.Connect(noRetry)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		supervisor = contract(t, c2, chaintest.Operator+"/supervisor", model.ChaincodeApproval)
		for i := range notes {
			wg.Go(func() { errs[i] = note("again " + string(rune('a'+i))) })
		}
		wg.Wait()
		conflicts := 0
		for _, err := range errs {
			var ce *chain.Error
			switch {
			case err == nil:
			case errors.As(err, &ce) && ce.Step == chain.StepCommit && ce.Validation == peer.TxValidationCode_MVCC_READ_CONFLICT && ce.Conflict() && ce.Transient():
				conflicts++
			default:
				t.Errorf("unexpected error: %v", err)
			}
		}
		if conflicts == 0 {
			t.Error("no conflict surfaced without retries")
		}
		view, err := chain.EvaluateJSON[model.ProcessView](ctx, contract(t, c, chaintest.Operator+"/supervisor", model.ChaincodeApproval), "GetProcess", chain.WithArguments(p.ID))
		if err != nil || len(view.Interventions) != 2*notes-conflicts {
			t.Errorf("%d interventions after %d notes and %d conflicts, %v", len(view.Interventions), 2*notes, conflicts, err)
		}
	})

	t.Run("sent twice", func(t *testing.T) {
		sendTwice(t, c, k, "application-fabric-twice", func() {})
	})
}
