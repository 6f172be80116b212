package asset_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The fuzz targets feed arbitrary arguments through the harness, as a
// hostile client could send them. Whatever comes in, the chaincode must not
// panic (txsim turns a panic into an error saying so), must fail with a
// classified error, and a failed transaction must leave the ledger exactly as
// it was. The seeds in f.Add run as unit tests under plain `go test`.

// fuzzSubmit submits and checks those properties.
func (w *world) fuzzSubmit(t *testing.T, creator cctest.Creator, function string, args ...string) {
	t.Helper()
	before := w.state()
	res := w.submit(creator, function, args...)
	w.in(t).checkOutcome(res, before)
}

func (w *world) checkOutcome(res *cctest.Result, before state) {
	w.tb.Helper()
	if strings.Contains(res.Message, "panicked") {
		w.tb.Fatalf("chaincode panicked: %s", res.Message)
	}
	if res.OK() {
		return
	}
	if model.ParseError(res.Message) == nil {
		w.tb.Fatalf("unclassified error: %q", res.Message)
	}
	if res.Event != nil {
		w.tb.Fatalf("failed transaction set event %s", res.Event.EventName)
	}
	w.unchanged(before)
}

func FuzzIssueAsset(f *testing.F) {
	w := newWorld(f)
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	canonical, sig := w.sign(w.market.Key, asset.ActionIssueAsset, &req)
	self := w.issueRequest(typeIDCard, w.person, w.person.ID, model.ChannelSelf)
	selfCanonical, selfSig := w.sign(w.person.Key, asset.ActionIssueAsset, &self)
	f.Add(canonical, sig)
	f.Add(selfCanonical, selfSig)
	f.Add(canonical, selfSig)
	f.Add(strings.Replace(canonical, `"size":`, `"size":-`, 1), sig)
	f.Add(strings.Replace(canonical, `"keys":[`, `"keys":[null,`, 1), sig)
	f.Add(`{"type":"x","owner":null}`, "")
	f.Add("{}", "AAAA")
	f.Add("", "")
	f.Add("\xff", "\x00")
	f.Add(`{"type":"`+strings.Repeat("a", 200)+`"}`, sig)
	f.Fuzz(func(t *testing.T, issue, signature string) {
		w.fuzzSubmit(t, w.market.Client, "IssueAsset", issue, signature)
	})
}

func FuzzReviewAsset(f *testing.F) {
	w := newWorld(f)
	a := w.uploaded(w.person)
	r := model.AssetReview{Asset: a.ID, Approve: true}
	canonical, sig := w.sign(w.social.Key, asset.ActionReviewAsset, &r)
	f.Add(canonical, sig)
	f.Add(`{"asset":"`+a.ID+`","approve":false}`, sig)
	f.Add(`{"asset":"`+a.ID+`","approve":"yes"}`, sig)
	f.Add("null", "")
	f.Add("", "=")
	f.Fuzz(func(t *testing.T, review, signature string) {
		w.fuzzSubmit(t, w.social.Client, "ReviewAsset", review, signature)
	})
}

func FuzzTransferAsset(f *testing.F) {
	w := newWorld(f)
	a := w.issued(w.firm)
	tr := w.transferRequest(a, w.person)
	canonical, sig := w.sign(w.firm.Key, asset.ActionTransferAsset, &tr)
	f.Add(canonical, sig)
	f.Add(strings.Replace(canonical, `"latestTx":"`, `"latestTx":"x`, 1), sig)
	f.Add(`{"asset":"`+a.ID+`","newOwner":"`+w.firm.ID+`"}`, sig)
	f.Add(`{"key":{}}`, "")
	f.Add("[", "")
	f.Fuzz(func(t *testing.T, transfer, signature string) {
		w.fuzzSubmit(t, w.window.Client, "TransferAsset", transfer, signature)
	})
}

func FuzzDefineAssetType(f *testing.F) {
	w := newWorld(f)
	f.Add(w.json(diplomaType(w.market.ID)))
	f.Add(`{"code":"t","name":"n","schema":"{","issuers":["MarketMSP"]}`)
	f.Add(`{"code":"t","name":"n","schema":"{}","issuers":["MarketMSP"],"selfUpload":true}`)
	f.Add(`{"code":"t","name":"n","schema":"{}","issuers":[""]}`)
	f.Add(`{"code":"\u0000","name":"n","schema":"{}","issuers":["a"]}`)
	f.Add("")
	f.Fuzz(func(t *testing.T, definition string) {
		w.fuzzSubmit(t, w.op.Client, "DefineAssetType", definition)
	})
}

func FuzzAbolishAssetType(f *testing.F) {
	w := newWorld(f)
	f.Add(typeIDCard, "retired")
	f.Add(typeLicence, "")
	f.Add("\x00", "x")
	f.Add("", "x")
	f.Add("\xff", "\xff")
	f.Fuzz(func(t *testing.T, code, note string) {
		w.fuzzSubmit(t, w.op.Client, "AbolishAssetType", code, note)
	})
}

func FuzzChangeStatus(f *testing.F) {
	w := newWorld(f)
	a := w.issued(w.firm)
	f.Add(true, w.json(&model.AssetStatusChange{Asset: a.ID, Note: "withdrawn"}))
	f.Add(false, w.json(&model.AssetStatusChange{Asset: a.ID, Note: "gone"}))
	f.Add(true, `{"asset":"`+a.ID+`"}`)
	f.Add(false, `{"asset":1}`)
	f.Add(true, "")
	f.Fuzz(func(t *testing.T, revoke bool, change string) {
		fn := "AbolishAsset"
		if revoke {
			fn = "RevokeAsset"
		}
		w.fuzzSubmit(t, w.market.Client, fn, change)
	})
}

// FuzzQueries feeds arbitrary IDs, owners, types, page sizes and bookmarks to
// the read-only functions: no panic, and a failure is a classified error.
func FuzzQueries(f *testing.F) {
	w := newWorld(f)
	a := w.issued(w.firm)
	f.Add(a.ID, w.firm.ID, typeLicence, int32(1), "")
	f.Add("", "", "", int32(0), "")
	f.Add("\x00", "\xff", "\x00", int32(-1), "\x00")
	f.Add(strings.Repeat("f", 32), w.firm.ID, "", int32(1<<30), "bogus-bookmark")
	f.Add(a.ID, w.firm.ID, "", int32(1), "\xaf")
	f.Fuzz(func(t *testing.T, id, owner, assetType string, pageSize int32, bookmark string) {
		for _, call := range [][]string{
			{"GetAsset", id}, {"GetAssetStatus", id}, {"GetLatestTxID", id}, {"GetEncryptionMode", id},
			{"GetAssetHistory", id}, {"GetAssetType", id}, {"ListAssetTypes", strconv.Itoa(int(pageSize)), bookmark},
			{"ListAssetsByOwner", owner, assetType, strconv.Itoa(int(pageSize)), bookmark},
		} {
			res := w.evaluate(call[0], call[1:]...)
			if strings.Contains(res.Message, "panicked") {
				t.Fatalf("%s panicked: %s", call[0], res.Message)
			}
			if !res.OK() && model.ParseError(res.Message) == nil {
				t.Fatalf("%s%q: unclassified error %q", call[0], call[1:], res.Message)
			}
		}
	})
}
