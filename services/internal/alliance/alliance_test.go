package alliance_test

import (
	"context"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/alliance"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// TestFound_FreshChainThenIdempotent_Devnet founds the consortium on a new
// devnet with keys from the real key service, checks each member is active
// with its custody key on chain, and that a second run writes nothing.
func TestFound_FreshChainThenIdempotent_Devnet(t *testing.T) {
	ctx := context.Background()
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	ks, err := keys.New(pgtest.New(t), keys.Config{})
	if err != nil {
		t.Fatal(err)
	}
	founder := alliance.Member{MSPID: "OperatorMSP", Name: "平台运营方", Kind: model.MemberOperator, Password: "operator-password-1"}
	members := []alliance.Member{
		{MSPID: "MarketMSP", Name: "市场监管局", Kind: model.MemberDepartment, Department: model.DeptMarket, Permissions: []model.Permission{model.PermSubject}, Password: "market-password-1"},
		{MSPID: "TaxMSP", Name: "税务局", Kind: model.MemberDepartment, Department: model.DeptTax, Password: "tax-password-1"},
	}
	if err := alliance.Found(ctx, c, ks, founder, members...); err != nil {
		t.Fatal(err)
	}
	reader, err := c.Contract("OperatorMSP/User1", model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append([]alliance.Member{founder}, members...) {
		got, err := chain.EvaluateJSON[model.Member](ctx, reader, "GetMember", chain.WithArguments(m.MSPID))
		if err != nil {
			t.Fatal(err)
		}
		key, err := ks.ActiveKey(ctx, keys.Owner{Kind: keys.KindDepartment, ID: m.MSPID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.StatusActive || got.PublicKey != key.PublicKeyPEM || got.Kind != m.Kind {
			t.Fatalf("%s on chain: %+v", m.MSPID, got)
		}
		if m.MSPID == founder.MSPID && len(got.Permissions) != len(model.MemberPermissions) {
			t.Fatalf("founder permissions %v", got.Permissions)
		}
	}
	height := net.Ledger("kaiban").Height()
	if err := alliance.Found(ctx, c, ks, founder, members...); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if h := net.Ledger("kaiban").Height(); h != height {
		t.Fatalf("second run wrote %d blocks", h-height)
	}
	// A member added later is admitted by a later run.
	bank := alliance.Member{MSPID: "BankMSP", Name: "银行", Kind: model.MemberInstitution, Password: "bank-password-1"}
	if err := alliance.Found(ctx, c, ks, founder, bank); err != nil {
		t.Fatal(err)
	}
	// A wrong custody password fails with the key service's error, and the
	// member does not apply.
	if _, err := ks.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: "SealMSP"}, "seal-password-1"); err != nil {
		t.Fatal(err)
	}
	seal := alliance.Member{MSPID: "SealMSP", Name: "公安局", Kind: model.MemberDepartment, Department: model.DeptSeal, Password: "not-the-password"}
	if err := alliance.Found(ctx, c, ks, founder, seal); err == nil {
		t.Fatal("a wrong custody password went through")
	}
	if _, err := chain.EvaluateJSON[model.Member](ctx, reader, "GetMember", chain.WithArguments("SealMSP")); err == nil {
		t.Fatal("SealMSP applied with a key it could not unlock")
	}
}
