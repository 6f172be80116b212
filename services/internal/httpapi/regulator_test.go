package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// TestRegulatorHTTP_InspectionReturnsContent inspects, over REST, an asset in
// the regulator's remit whose data key is wrapped for the regulator member
// (as locker.Issue wraps it; here the projection's row is written directly):
// with the member key's password the answer carries the content; a wrong
// password is 403 and enqueues nothing; without a password the record comes
// back alone.
func TestRegulatorHTTP_InspectionReturnsContent(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	ks, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	store, err := objectstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(pool, nil, outbox.Config{Key: key32(9)[:16]})
	if err != nil {
		t.Fatal(err)
	}
	const regulator, password = "RegMSP", "regulator key password"
	if _, err := ks.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: regulator}, password); err != nil {
		t.Fatal(err)
	}
	id := model.AssetID("licence", strings.Repeat("ab", 16), "MarketMSP", "app-1")
	content := []byte("营业执照 content the regulator reads")
	sealed, err := objectstore.PutSealed(ctx, store, content, []byte(id))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := ks.WrapFor(ctx, keys.Owner{Kind: keys.KindDepartment, ID: regulator}, sealed.Key)
	if err != nil {
		t.Fatal(err)
	}
	record, _ := json.Marshal(model.Asset{ID: id, Type: "licence", Owner: strings.Repeat("ab", 16), Issuer: "MarketMSP",
		StorageRef: sealed.Name, CipherDigest: sealed.Name, Keys: []model.WrappedKey{wrapped}, Status: model.AssetAvailable})
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_assets (id, type, owner, issuer, status, business_key, created_at, record, block_number, tx_id)
		VALUES ($1, 'licence', $2, 'MarketMSP', 'available', 'app-1', $3, $4, 7, 'tx-1')`, id, strings.Repeat("ab", 16), time.Now(), record); err != nil {
		t.Fatal(err)
	}
	svc := supervision.New(pool, ob, supervision.Config{Regulator: regulator + "/regulator", Keys: ks, Store: store})
	if _, err := svc.SetRemit(ctx, supervision.Remit{Regulator: regulator, AssetTypes: []string{"licence"}}); err != nil {
		t.Fatal(err)
	}
	s, _ := newServer(t, Options{Authenticate: func(c *gin.Context) {
		p := &identity.Principal{Kind: "user", ID: "reg-1"}
		c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
		SetClient(c, "user:reg-1")
	}, Oversight: Oversight{Supervision: svc}})
	path := "/api/v1/regulators/" + regulator + "/assets/" + id + "/inspection"
	post := func(body string) (int, []byte) {
		rec := do(t, s.Handler(), "POST", path, strings.NewReader(body), "Content-Type", "application/json")
		return rec.Code, rec.Body.Bytes()
	}
	writes := func() int {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM chain_outbox`).Scan(&n)
		return n
	}

	code, body := post(`{"reason":"annual audit","password":"not the password"}`)
	if code != 403 || writes() != 0 {
		t.Fatalf("wrong password: %d %s, %d writes", code, body, writes())
	}
	code, body = post(`{"reason":"annual audit","password":"` + password + `"}`)
	var ins api.RegulatorInspection
	if code != 200 || json.Unmarshal(body, &ins) != nil || ins.Content == nil || !bytes.Equal(*ins.Content, content) || ins.OutboxKey == "" {
		t.Fatalf("with the password: %d %s", code, body)
	}
	if strings.Contains(string(body), password) {
		t.Fatal("the answer repeats the password")
	}
	code, body = post(`{"reason":"annual audit"}`)
	ins = api.RegulatorInspection{}
	if code != 200 || json.Unmarshal(body, &ins) != nil || ins.Content != nil || ins.Asset.Id != id {
		t.Fatalf("without a password: %d %s", code, body)
	}
	if writes() != 2 {
		t.Fatalf("%d access records enqueued, want 2", writes())
	}
}
