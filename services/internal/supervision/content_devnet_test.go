package supervision_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// TestRegulator_ReadsContentInRemitOnly_Devnet issues a licence (in the
// regulator's remit, so its data key is also wrapped for the regulator
// member) and a seal record (outside it) through the locker; the regulator
// reads the licence's content with its member key's password and the read
// reaches the chain as a regulate access; the seal record is refused with
// nothing recorded, as is a wrong password; once the remit grows to seal
// records, the record is readable but its content is not (no key was wrapped
// for the regulator when it was issued).
func TestRegulator_ReadsContentInRemitOnly_Devnet(t *testing.T) {
	p := platformtest.Start(t, platformtest.Options{})
	const seal = "seal-record"
	operator, err := p.Chain.Contract(chaintest.Operator, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := operator.Submit(ctx, "DefineAssetType", chain.WithArguments(chaintest.Canonical(&model.AssetTypeDefinition{
		Code: seal, Name: "印章刻制告知单", Schema: `{"type":"object"}`, Issuers: []string{chaintest.Market},
	}))); err != nil {
		t.Fatal(err)
	}
	const ownerPassword, regulatorPassword = "firm unlock password", "regulator key password"
	owner := subjectWithKeys(t, p, "regulated firm", ownerPassword)
	regulator := keys.Owner{Kind: keys.KindDepartment, ID: chaintest.Operator}
	if _, err := p.Keys.Generate(ctx, regulator, regulatorPassword); err != nil {
		t.Fatal(err)
	}
	s := supervision.New(p.Pool, p.Outbox, supervision.Config{Regulator: chaintest.Operator + "/regulator", Keys: p.Keys, Store: p.Store})
	if _, err := s.SetRemit(ctx, supervision.Remit{Regulator: chaintest.Operator, AssetTypes: []string{chaintest.Licence}}); err != nil {
		t.Fatal(err)
	}

	issue := func(assetType string, content []byte) *locker.Issued {
		t.Helper()
		var out *locker.Issued
		err := pgx.BeginFunc(ctx, p.Pool, func(tx pgx.Tx) (err error) {
			out, err = p.Locker.Issue(ctx, tx, locker.IssueInput{
				Type: assetType, Owner: owner, Issuer: chaintest.Market, Channel: model.ChannelDepartment,
				BusinessKey: "REG-" + assetType, Content: content, Signer: platformtest.SM2Signer{Key: p.Consortium.MarketKey},
				Identity: chaintest.Market,
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the issue of "+assetType+" on chain and projected", func() bool {
			if e, _ := p.Outbox.Get(ctx, out.OutboxKey); e != nil && e.Status == outbox.StatusFailed {
				t.Fatalf("IssueAsset failed: %+v", e)
			}
			var n int
			_ = p.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger_assets WHERE id = $1`, out.AssetID).Scan(&n)
			return n == 1
		})
		return out
	}
	licenceContent := []byte("营业执照 regulated content")
	licence := issue(chaintest.Licence, licenceContent)
	sealRecord := issue(seal, []byte("印章刻制告知单 outside the remit"))

	// The chain shows who can read: the licence's key is wrapped for the
	// owner and the regulator, the seal record's for the owner only.
	assets, err := p.Chain.Contract(chaintest.Operator, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string][]string{licence.AssetID: {owner, chaintest.Operator}, sealRecord.AssetID: {owner}} {
		a, err := chain.EvaluateJSON[model.Asset](ctx, assets, "GetAsset", chain.WithArguments(id))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, k := range a.Keys {
			got = append(got, k.Recipient)
		}
		if len(got) != len(want) || got[0] != want[0] || got[len(got)-1] != want[len(want)-1] {
			t.Fatalf("asset %s keys for %v, want %v", id, got, want)
		}
	}

	regulateRecords := func(asset string) int {
		var n int
		_ = p.Pool.QueryRow(ctx, `SELECT count(*) FROM chain_outbox WHERE key LIKE 'regulator/access/' || $1 || '/%'`, asset).Scan(&n)
		return n
	}

	// Refusals record nothing: outside the remit, a wrong password.
	if _, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: sealRecord.AssetID,
		Reason: "checking seals", Password: regulatorPassword}); !errors.Is(err, supervision.ErrDenied) {
		t.Fatalf("asset outside the remit: %v", err)
	}
	if _, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: licence.AssetID,
		Reason: "annual licence audit", Password: "not the password"}); !errors.Is(err, keys.ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if n := regulateRecords(sealRecord.AssetID) + regulateRecords(licence.AssetID); n != 0 {
		t.Fatalf("refused inspections enqueued %d access records", n)
	}

	ins, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: licence.AssetID,
		Reason: "annual licence audit", Password: regulatorPassword})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ins.Content, licenceContent) || ins.Asset.ID != licence.AssetID {
		t.Fatalf("inspection content %q of %s", ins.Content, ins.Asset.ID)
	}
	waitFor(t, "the regulate access on chain and projected", func() bool {
		if e, _ := p.Outbox.Get(ctx, ins.OutboxKey); e != nil && e.Status == outbox.StatusFailed {
			t.Fatalf("RecordAccess failed: %+v", e)
		}
		var n int
		_ = p.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger_access_records WHERE asset = $1 AND action = 'regulate'
			AND accessor = $2 AND record->>'reason' = 'annual licence audit'`, licence.AssetID, chaintest.Operator).Scan(&n)
		return n == 1
	})

	// A remit that grows covers the record of an asset issued before, but
	// not its content: no key was wrapped for the regulator then.
	if _, err := s.SetRemit(ctx, supervision.Remit{Regulator: chaintest.Operator, AssetTypes: []string{chaintest.Licence, seal}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: sealRecord.AssetID,
		Reason: "checking seals", Password: regulatorPassword}); !errors.Is(err, supervision.ErrState) {
		t.Fatalf("content of an asset issued before the remit: %v", err)
	}
	if n := regulateRecords(sealRecord.AssetID); n != 0 {
		t.Fatalf("a refused inspection enqueued %d access records", n)
	}
	rec, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: sealRecord.AssetID, Reason: "checking seals"})
	if err != nil || rec.Content != nil || rec.Asset.Type != seal {
		t.Fatalf("record of the seal record: %+v, %v", rec, err)
	}
}

// subjectWithKeys opens an active enterprise subject on chain whose key is in
// the platform's key service under password.
func subjectWithKeys(t *testing.T, p *platformtest.Platform, name, password string) string {
	t.Helper()
	salt, err := gm.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	app := model.SubjectApplication{Kind: model.SubjectEnterprise, Commitments: map[string]string{
		model.CommitIdentity: gm.Commitment(salt, []byte(name)),
		model.CommitLegalRep: gm.Commitment(salt, []byte(name+" legal representative")),
	}}
	id := model.SubjectID(app.Kind, app.Commitments[model.CommitIdentity])
	owner := keys.Owner{Kind: keys.KindSubject, ID: id}
	key, err := p.Keys.Generate(ctx, owner, password)
	if err != nil {
		t.Fatal(err)
	}
	app.PublicKey = key.PublicKeyPEM
	canonical := chaintest.Canonical(&app)
	sig, err := p.Keys.Sign(ctx, owner, password, model.SigningMessage("subject.ApplySubject", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := p.Chain.Contract(chaintest.Operator, model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "ApplySubject", chain.WithArguments(canonical, keys.EncodeSignature(sig.Value))); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "ReviewSubject", chain.WithArguments(chaintest.Canonical(&model.SubjectReview{
		Subject: id, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))); err != nil {
		t.Fatal(err)
	}
	return id
}
