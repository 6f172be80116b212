package issuance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

var ctx = context.Background()

// testUSCC has a valid GB 32100 check character.
const testUSCC = "91370102MA3C4XYK1W"

// env is a devnet with the fixture consortium (the market department issues
// business licences), a migrated database, keys, a filesystem object store,
// an outbox worked by River, the projection, the locker and issuance.
type env struct {
	chain *chain.Client
	k     *chaintest.Consortium
	pool  *pgxpool.Pool
	keys  *keys.Service
	ob    *outbox.Outbox
	svc   *issuance.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	p := platformtest.Start(t, platformtest.Options{})
	e := &env{chain: p.Chain, k: p.Consortium, pool: p.Pool, keys: p.Keys, ob: p.Outbox}
	r, err := issuance.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	if e.svc, err = issuance.New(issuance.Config{Pool: e.pool, Renderer: r, Locker: p.Locker, Outbox: e.ob, Clerk: chaintest.Operator}); err != nil {
		t.Fatal(err)
	}
	return e
}

// company opens an active enterprise subject on chain whose key is in the
// key service (the locker wraps data keys for it).
func (e *env) company(t testing.TB, name string) string {
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
	key, err := e.keys.Generate(ctx, owner, "company-password-1")
	if err != nil {
		t.Fatal(err)
	}
	app.PublicKey = key.PublicKeyPEM
	canonical := chaintest.Canonical(&app)
	sig, err := e.keys.Sign(ctx, owner, "company-password-1", model.SigningMessage("subject.ApplySubject", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.chain.Contract(chaintest.Operator, model.ChaincodeSubject)
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

func licence() issuance.Document {
	return issuance.LicenceDocument("", chaintest.Market, issuance.Licence{
		USCC: testUSCC, Name: "济南开办示范科技有限公司", Type: "有限责任公司(自然人投资或控股)",
		LegalRepresentative: "张三", RegisteredCapital: "壹佰万元整",
		EstablishedOn: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), Address: "山东省济南市历下区经十路 100 号",
		Scope: "软件开发；信息技术咨询服务", IssuerName: "济南市市场监督管理局",
	}, time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC))
}

// issueLicence issues a licence for owner under process and waits until its
// asset is projected.
func (e *env) issueLicence(t testing.TB, owner, process string) *issuance.Issued {
	t.Helper()
	var out *issuance.Issued
	err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		var err error
		out, err = e.svc.IssueDocument(ctx, tx, issuance.DocumentInput{
			Document: licence(), Owner: owner, Process: process,
			Signer: platformtest.SM2Signer{Key: e.k.MarketKey}, Identity: chaintest.Market,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.projected(t, out.Asset, model.AssetAvailable)
	return out
}

func (e *env) projected(t testing.TB, asset, status string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got string
		_ = e.pool.QueryRow(ctx, `SELECT status FROM ledger_assets WHERE id = $1`, asset).Scan(&got)
		if got == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %s: status %q, want %q after 20s", asset, got, status)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestIssueDocument_Devnet_VerifyGenuineTamperedRevoked(t *testing.T) {
	e := newEnv(t)
	owner := e.company(t, "济南开办示范科技有限公司")
	issued := e.issueLicence(t, owner, "process-1")
	if issued.Signed == nil || issued.Asset != model.AssetID(string(issuance.KindLicence), owner, chaintest.Market, "process-1") {
		t.Fatalf("issued %+v", issued)
	}
	pdf := issued.Signed.PDF

	// Genuine, as a file and as its QR payload.
	v, err := e.svc.VerifyPDF(ctx, pdf)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || !v.Authentic || v.Status != model.AssetAvailable || v.Asset != issued.Asset || v.USCC != testUSCC {
		t.Fatalf("genuine PDF: %+v", v)
	}
	v, err = e.svc.VerifyPayload(ctx, issued.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.Kind != issuance.KindLicence || v.Issuer != chaintest.Market {
		t.Fatalf("genuine payload: %+v", v)
	}

	// Issuing again finds the first issue.
	again := e.issueLicenceNoWait(t, owner, "process-1")
	if !again.Existing || again.PDFDigest != issued.PDFDigest {
		t.Fatalf("reissue: %+v", again)
	}

	// Tampered: one byte changed; a payload with another USCC.
	tampered := bytes.Clone(pdf)
	tampered[len(tampered)/2] ^= 0x20
	v, err = e.svc.VerifyPDF(ctx, tampered)
	if err != nil {
		t.Fatal(err)
	}
	if v.Valid || v.Authentic || v.Reason == "" {
		t.Fatalf("tampered PDF: %+v", v)
	}
	p, err := issuance.DecodePayload(issued.Payload)
	if err != nil {
		t.Fatal(err)
	}
	p.USCC = "91370102MA3C4XYK2X"
	forged, _ := p.Encode()
	if v, err = e.svc.VerifyPayload(ctx, forged); err != nil || v.Valid || v.Authentic {
		t.Fatalf("forged payload: %+v, %v", v, err)
	}

	// The same answers over the public REST endpoints.
	h := e.http(t)
	if v := postVerify(t, h, "pdf", "application/pdf", pdf); !v.Valid || v.Asset != issued.Asset {
		t.Fatalf("POST genuine PDF: %+v", v)
	}
	if v := postVerify(t, h, "pdf", "application/pdf", tampered); v.Authentic || v.Reason == "" {
		t.Fatalf("POST tampered PDF: %+v", v)
	}
	body, _ := json.Marshal(map[string]string{"payload": issued.Payload})
	if v := postVerify(t, h, "payload", "application/json", body); !v.Valid {
		t.Fatalf("POST genuine payload: %+v", v)
	}

	// Revoked on chain: still authentic, no longer valid.
	ct, err := e.chain.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "RevokeAsset", chain.WithArguments(chaintest.Canonical(&model.AssetStatusChange{
		Asset: issued.Asset, Note: "licence withdrawn",
	}))); err != nil {
		t.Fatal(err)
	}
	e.projected(t, issued.Asset, model.AssetRevoked)
	for name, verify := range map[string]func() (issuance.Verification, error){
		"pdf":     func() (issuance.Verification, error) { return e.svc.VerifyPDF(ctx, pdf) },
		"payload": func() (issuance.Verification, error) { return e.svc.VerifyPayload(ctx, issued.Payload) },
	} {
		v, err := verify()
		if err != nil {
			t.Fatal(err)
		}
		if v.Valid || !v.Authentic || v.Status != model.AssetRevoked || !strings.Contains(v.Reason, "revoked") {
			t.Fatalf("revoked %s: %+v", name, v)
		}
	}
	if v := postVerify(t, h, "pdf", "application/pdf", pdf); v.Valid || !v.Authentic || v.Status != model.AssetRevoked {
		t.Fatalf("POST revoked PDF: %+v", v)
	}
}

// http is the REST API over the env's issuance service, with no
// authentication configured: the verification endpoints are public.
func (e *env) http(t testing.TB) http.Handler {
	t.Helper()
	s, err := httpapi.New(httpapi.Options{Issuance: e.svc, Logger: slog.New(slog.DiscardHandler),
		Authenticate: func(c *gin.Context) {}})
	if err != nil {
		t.Fatal(err)
	}
	return s.Handler()
}

func postVerify(t testing.TB, h http.Handler, what, contentType string, body []byte) issuance.Verification {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/issuance/verification/"+what, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("POST verification/%s: %d %s", what, rec.Code, rec.Body)
	}
	var v issuance.Verification
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) issueLicenceNoWait(t testing.TB, owner, process string) *issuance.Issued {
	t.Helper()
	var out *issuance.Issued
	if err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
		var err error
		out, err = e.svc.IssueDocument(ctx, tx, issuance.DocumentInput{
			Document: licence(), Owner: owner, Process: process,
			Signer: platformtest.SM2Signer{Key: e.k.MarketKey}, Identity: chaintest.Market,
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVerify_BadInput(t *testing.T) {
	e := newEnv(t)
	for _, pdf := range [][]byte{nil, []byte("hello"), append([]byte("%PDF-"), make([]byte, issuance.MaxPDFBytes)...)} {
		if _, err := e.svc.VerifyPDF(ctx, pdf); !errors.Is(err, issuance.ErrInvalid) {
			t.Errorf("VerifyPDF(%d bytes): err = %v, want ErrInvalid", len(pdf), err)
		}
	}
	if _, err := e.svc.VerifyPayload(ctx, "KBV1:not-base64!"); !errors.Is(err, issuance.ErrInvalid) {
		t.Errorf("VerifyPayload: err = %v, want ErrInvalid", err)
	}
	// A well-formed payload for an asset the chain does not have.
	p := issuance.Payload{Asset: strings.Repeat("a", 32), Kind: issuance.KindTax, USCC: testUSCC, Issuer: "TaxMSP",
		Content: strings.Repeat("b", 64), Signature: "c2ln"}
	code, _ := p.Encode()
	v, err := e.svc.VerifyPayload(ctx, code)
	if err != nil || v.Valid || v.Authentic || v.Status != "" {
		t.Fatalf("unknown asset: %+v, %v", v, err)
	}
}

func TestIssueDocument_BadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	owner := e.company(t, "坏输入有限公司")
	bad := licence()
	bad.USCC = "91370102MA3C4XYK1X"
	cases := map[string]issuance.DocumentInput{
		"no owner":  {Document: licence(), Process: "p", Signer: platformtest.SM2Signer{Key: e.k.MarketKey}, Identity: chaintest.Market},
		"no signer": {Document: licence(), Owner: owner, Process: "p", Identity: chaintest.Market},
		"bad uscc":  {Document: bad, Owner: owner, Process: "p", Signer: platformtest.SM2Signer{Key: e.k.MarketKey}, Identity: chaintest.Market},
	}
	for name, in := range cases {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			_, err := e.svc.IssueDocument(ctx, tx, in)
			return err
		})
		if !errors.Is(err, issuance.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM issuance_documents) + (SELECT count(*) FROM locker_issues)`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("rows after bad input: %d, %v", n, err)
	}
}

func TestIssueBundle_InvalidItemsEnqueueNothing(t *testing.T) {
	e := newEnv(t)
	for name, items := range map[string][]model.BundleItem{
		"none":             nil,
		"issued no asset":  {{Step: "market", Status: model.BundleIssued}},
		"skipped w/ asset": {{Step: "seal", Status: model.BundleSkipped, Asset: strings.Repeat("a", 32)}},
		"bad status":       {{Step: "tax", Status: "done"}},
	} {
		err := pgx.BeginFunc(ctx, e.pool, func(tx pgx.Tx) error {
			_, err := e.svc.IssueBundle(ctx, tx, "process-1", items)
			return err
		})
		if !errors.Is(err, issuance.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM issuance_bundles`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("bundles after bad input: %d, %v", n, err)
	}
}
