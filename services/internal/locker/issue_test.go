package locker_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

func TestIssue_BothModesReachChainAndOpen_Devnet(t *testing.T) {
	e := newEnv(t)
	const password = "firm unlock password"
	firm := e.subjectWithKeys(t, "issue test firm", password)
	market := platformtest.SM2Signer{Key: e.k.MarketKey}
	assets, err := e.chain.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []model.EncryptionMode{model.EncryptAsymmetric, model.EncryptSymmetric} {
		content := []byte("营业执照 " + string(mode))
		in := locker.IssueInput{
			Type: chaintest.Licence, Owner: firm, Issuer: chaintest.Market, Channel: model.ChannelDepartment,
			BusinessKey: "app-" + string(mode), Content: content, Encryption: mode, Signer: market,
			Identity: chaintest.Market,
		}
		if mode == model.EncryptSymmetric {
			in.OwnerPassword = password
		}
		var issued *locker.Issued
		if err := e.inTx(t, func(tx pgx.Tx) (err error) { issued, err = e.locker.Issue(ctx, tx, in); return err }); err != nil {
			t.Fatalf("%s: %v", mode, err)
		}
		if en := e.finished(t, issued.OutboxKey); en.Status != outbox.StatusDone {
			t.Fatalf("%s: write %+v", mode, en)
		}
		got, err := chain.EvaluateJSON[model.Asset](ctx, assets, "GetAsset", chain.WithArguments(issued.AssetID))
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != model.AssetAvailable || got.Encryption != mode || got.CipherDigest != issued.Issue.CipherDigest {
			t.Fatalf("%s: asset on chain %+v", mode, got)
		}
		dk, err := e.keys.Unwrap(ctx, keys.Owner{Kind: keys.KindSubject, ID: firm}, password, got.ID, got.Keys[0])
		if err != nil {
			t.Fatal(err)
		}
		plain, err := objectstore.GetSealed(ctx, e.store, got.StorageRef, dk, []byte(got.ID))
		if err != nil || !bytes.Equal(plain, content) {
			t.Fatalf("%s: content %q, %v", mode, plain, err)
		}
		// The same content again changes nothing; other content conflicts.
		var again *locker.Issued
		if err := e.inTx(t, func(tx pgx.Tx) (err error) { again, err = e.locker.Issue(ctx, tx, in); return err }); err != nil || !again.Existing || again.OutboxID != issued.OutboxID {
			t.Fatalf("%s: same content again: %+v, %v", mode, again, err)
		}
		in.Content = []byte("other")
		if err := e.inTx(t, func(tx pgx.Tx) error { _, err := e.locker.Issue(ctx, tx, in); return err }); !errors.Is(err, locker.ErrConflict) {
			t.Fatalf("%s: other content: %v", mode, err)
		}
	}
}

func TestIssue_BadInputEnqueuesNothing_Devnet(t *testing.T) {
	e := newEnv(t)
	firm := e.subjectWithKeys(t, "bad input firm", "firm unlock password")
	good := locker.IssueInput{
		Type: chaintest.Licence, Owner: firm, Issuer: chaintest.Market, Channel: model.ChannelDepartment,
		BusinessKey: "app-1", Content: []byte("x"), Signer: platformtest.SM2Signer{Key: e.k.MarketKey}, Identity: chaintest.Market,
	}
	cases := map[string]func(*locker.IssueInput){
		"no content":        func(in *locker.IssueInput) { in.Content = nil },
		"no signer":         func(in *locker.IssueInput) { in.Signer = nil },
		"bad channel":       func(in *locker.IssueInput) { in.Channel = "fax" },
		"symmetric no pass": func(in *locker.IssueInput) { in.Encryption = model.EncryptSymmetric },
		"symmetric bad pass": func(in *locker.IssueInput) {
			in.Encryption = model.EncryptSymmetric
			in.OwnerPassword = "wrong password"
		},
		"self not by owner":   func(in *locker.IssueInput) { in.Channel = model.ChannelSelf },
		"no submitting ident": func(in *locker.IssueInput) { in.Identity = "" },
	}
	for name, mutate := range cases {
		in := good
		mutate(&in)
		err := e.inTx(t, func(tx pgx.Tx) error { _, err := e.locker.Issue(ctx, tx, in); return err })
		if !errors.Is(err, locker.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	in := good
	in.Owner = "0123456789abcdef0123456789abcdef"
	if err := e.inTx(t, func(tx pgx.Tx) error { _, err := e.locker.Issue(ctx, tx, in); return err }); !errors.Is(err, locker.ErrNotFound) {
		t.Errorf("unknown owner: %v", err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM locker_issues) + (SELECT count(*) FROM chain_outbox)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after bad input: %d, %v", n, err)
	}
}
