package asset_test

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The 7.4.4 d queries 1, 2 and 5 follow the asset through its life.
func TestQueries_StatusLatestTxEncryption(t *testing.T) {
	w := newWorld(t)
	a := w.issued(w.firm)
	query := func(fn string) string {
		t.Helper()
		// contractapi returns a string result as its bytes, not as JSON.
		return string(w.mustOK(w.evaluate(fn, a.ID)).Payload)
	}
	if query("GetAssetStatus") != model.AssetAvailable || query("GetLatestTxID") != a.CreatedTx ||
		query("GetEncryptionMode") != string(model.EncryptAsymmetric) {
		t.Fatal("queries after issue")
	}
	tr := w.transferRequest(a, w.person)
	tr.Key.Mode = model.EncryptSymmetric
	moved := w.mustOK(w.transfer(w.firm, tr))
	if query("GetLatestTxID") != moved.TxID || query("GetEncryptionMode") != string(model.EncryptSymmetric) {
		t.Fatal("queries after transfer")
	}
	revoked := w.mustOK(w.change(w.market.Client, "RevokeAsset", a.ID, "withdrawn"))
	if query("GetAssetStatus") != model.AssetRevoked || query("GetLatestTxID") != revoked.TxID {
		t.Fatal("queries after revocation")
	}
	abolished := w.mustOK(w.change(w.market.Client, "AbolishAsset", a.ID, "gone"))
	if query("GetAssetStatus") != model.AssetAbolished || query("GetLatestTxID") != abolished.TxID {
		t.Fatal("queries after abolition")
	}
}

func TestQueries_NotFoundAndInvalid(t *testing.T) {
	w := newWorld(t)
	for _, fn := range []string{"GetAsset", "GetAssetStatus", "GetLatestTxID", "GetEncryptionMode", "GetAssetHistory"} {
		for id, code := range map[string]model.Code{
			strings.Repeat("a", 32): model.CodeNotFound,
			"":                      model.CodeNotFound,
			"\xff\xfe":              model.CodeInvalid,
		} {
			res := w.evaluate(fn, id)
			if e := model.ParseError(res.Message); res.OK() || e == nil || e.Code != code {
				t.Fatalf("%s(%q): %d %q, want %s", fn, id, res.Status, res.Message, code)
			}
		}
	}
}

// The history (7.3 g, 7.6.2 e) lists every version newest first, and its
// oldest entry is the issue as the issuer signed it.
func TestGetAssetHistory(t *testing.T) {
	w := newWorld(t)
	a := w.uploaded(w.person)
	reviewed := w.mustOK(w.review(w.social, model.AssetReview{Asset: a.ID, Approve: true}))
	transferred := w.mustOK(w.transfer(w.person, w.transferRequest(w.get(a.ID), w.firm)))
	revoked := w.mustOK(w.change(w.social.Client, "RevokeAsset", a.ID, "forged"))

	var hist []model.AssetHistoryEntry
	if err := w.mustOK(w.evaluate("GetAssetHistory", a.ID)).JSON(&hist); err != nil {
		t.Fatal(err)
	}
	wantTx := []string{revoked.TxID, transferred.TxID, reviewed.TxID, a.CreatedTx}
	wantStatus := []string{model.AssetRevoked, model.AssetAvailable, model.AssetAvailable, model.AssetPendingReview}
	if len(hist) != len(wantTx) {
		t.Fatalf("history has %d entries: %+v", len(hist), hist)
	}
	for i, e := range hist {
		if e.TxID != wantTx[i] || e.IsDelete || e.Asset == nil || e.Asset.Status != wantStatus[i] || e.Timestamp == "" {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	if hist[0].Timestamp != model.FormatTime(revoked.Timestamp) {
		t.Fatalf("newest entry at %s, revoked at %s", hist[0].Timestamp, model.FormatTime(revoked.Timestamp))
	}
	first := hist[len(hist)-1].Asset
	if first.Owner != w.person.ID || first.IssuerSignature != a.IssuerSignature {
		t.Fatalf("oldest version %+v", first)
	}
}

func TestListAssetsByOwner_TypesAndPages(t *testing.T) {
	w := newWorld(t)
	var licences []string
	for range 5 {
		licences = append(licences, w.issued(w.firm).ID)
	}
	card := w.uploaded(w.firm)
	other := w.issued(w.person)
	sort.Strings(licences)

	if got := w.locker(w.firm.ID, typeLicence); !slices.Equal(got, licences) {
		t.Fatalf("licences %v, want %v", got, licences)
	}
	if got := w.locker(w.firm.ID, typeIDCard); !slices.Equal(got, []string{card.ID}) {
		t.Fatalf("ID cards %v", got)
	}
	// "" lists every type, ordered by type then ID: "business-licence" < "id-card".
	if got := w.locker(w.firm.ID, ""); !slices.Equal(got, append(slices.Clone(licences), card.ID)) {
		t.Fatalf("all %v", got)
	}
	if got := w.locker(w.person.ID, ""); !slices.Equal(got, []string{other.ID}) {
		t.Fatalf("person %v", got)
	}

	var paged []string
	bookmark := ""
	for range 10 {
		var page model.AssetPage
		if err := w.mustOK(w.evaluate("ListAssetsByOwner", w.firm.ID, "", "2", bookmark)).JSON(&page); err != nil {
			t.Fatal(err)
		}
		if len(page.Items) > 2 {
			t.Fatalf("page of %d", len(page.Items))
		}
		for _, a := range page.Items {
			paged = append(paged, a.ID)
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if !slices.Equal(paged, w.locker(w.firm.ID, "")) {
		t.Fatalf("paged %v", paged)
	}
}

func TestListAssetsByOwner_EmptyAndInvalid(t *testing.T) {
	w := newWorld(t)
	res := w.mustOK(w.evaluate("ListAssetsByOwner", w.idle.ID, "", "0", ""))
	if string(compact(t, res.Payload)) != `{"items":[]}` {
		t.Fatalf("empty locker: %s", res.Payload)
	}
	for _, args := range [][]string{
		{"", "", "0", ""},
		{w.firm.ID, "", "-5", ""},
		{"\xff", "", "0", ""},
		{w.firm.ID, "", "0", "\xaf"}, // a bookmark is a key: it must be UTF-8
	} {
		if res := w.evaluate("ListAssetsByOwner", args...); res.OK() || model.ParseError(res.Message) == nil ||
			model.ParseError(res.Message).Code != model.CodeInvalid {
			t.Fatalf("ListAssetsByOwner%q: %d %q", args, res.Status, res.Message)
		}
	}
}

// Only the transactions of the plan are exported; helpers stay unexported.
func TestContract_Transactions(t *testing.T) {
	l := cctest.NewLedger()
	l.Register(model.ChaincodeAsset, mustChaincode(t))
	res := l.Evaluate(cctest.NewOrg("AnyMSP").Identity("reader"), model.ChaincodeAsset, "org.hyperledger.fabric:GetMetadata")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	var md metadata.ContractChaincodeMetadata
	if err := json.Unmarshal(res.Payload, &md); err != nil {
		t.Fatal(err)
	}
	c, ok := md.Contracts[model.ChaincodeAsset]
	if !ok || !c.Default {
		t.Fatalf("contract %q missing or not default: %+v", model.ChaincodeAsset, md.Contracts)
	}
	var names []string
	for _, tx := range c.Transactions {
		names = append(names, tx.Name)
	}
	sort.Strings(names)
	want := []string{
		"AbolishAsset", "AbolishAssetType", "DefineAssetType", "GetAsset", "GetAssetHistory", "GetAssetStatus",
		"GetAssetType", "GetEncryptionMode", "GetLatestTxID", "IssueAsset", "ListAssetTypes", "ListAssetsByOwner",
		"ReviewAsset", "RevokeAsset", "TransferAsset",
	}
	if !slices.Equal(names, want) {
		t.Fatalf("transactions %v, want %v", names, want)
	}
}
