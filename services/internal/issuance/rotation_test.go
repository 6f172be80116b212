package issuance_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

// TestVerify_AcrossMemberKeyRotation_Devnet issues a licence under the
// market's first key, changes the market's key on chain (ChangeMemberKey,
// signed by the old key), and issues another under the new key: both verify,
// each under the key in force when its asset was created, while a payload of
// the new document signed with the retired key does not.
func TestVerify_AcrossMemberKeyRotation_Devnet(t *testing.T) {
	e := newEnv(t)
	owner := e.company(t, "济南开办示范科技有限公司")
	before := e.issueLicence(t, owner, "process-before")

	next, err := gm.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gm.MarshalPublicKeyPEM(&next.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	members, err := e.chain.Contract(chaintest.Market, model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	change := model.MemberKeyChange{Member: chaintest.Market, PublicKey: string(pub), Note: "yearly rotation"}
	if _, err := members.Submit(ctx, "ChangeMemberKey", chain.WithArguments(chaintest.Signed(e.k.MarketKey, subject.ActionChangeMemberKey, &change)...)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_member_keys WHERE member = $1`, chaintest.Market).Scan(&n)
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the market's key history has %d keys after 20s, want 2", n)
		}
		time.Sleep(25 * time.Millisecond)
	}

	var after *issuance.Issued
	if err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) (err error) {
		after, err = e.svc.IssueDocument(ctx, tx, issuance.DocumentInput{
			Document: licence(), Owner: owner, Process: "process-after",
			Signer: platformtest.SM2Signer{Key: next}, Identity: chaintest.Market,
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	e.projected(t, after.Asset, model.AssetAvailable)

	for name, d := range map[string]*issuance.Issued{"before the rotation": before, "after the rotation": after} {
		if v, err := e.svc.VerifyPDF(ctx, d.Signed.PDF); err != nil || !v.Valid || v.Asset != d.Asset {
			t.Errorf("PDF issued %s: %+v, %v", name, v, err)
		}
		if v, err := e.svc.VerifyPayload(ctx, d.Payload); err != nil || !v.Valid || v.Asset != d.Asset {
			t.Errorf("payload issued %s: %+v, %v", name, v, err)
		}
	}

	// The retired key no longer speaks for the market on a new document.
	p, err := issuance.DecodePayload(after.Payload)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := p.Message()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := gm.Sign(e.k.MarketKey, msg)
	if err != nil {
		t.Fatal(err)
	}
	p.Signature = base64.StdEncoding.EncodeToString(sig)
	forged, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if v, err := e.svc.VerifyPayload(ctx, forged); err != nil || v.Authentic || v.Valid {
		t.Fatalf("new document signed by the retired key: %+v, %v", v, err)
	}
}
