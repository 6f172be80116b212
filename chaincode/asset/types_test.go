package asset_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func diplomaType(issuers ...string) model.AssetTypeDefinition {
	return model.AssetTypeDefinition{Code: "diploma", Name: "学历证书", Schema: testSchema, Issuers: issuers}
}

func TestDefineAssetType_Success(t *testing.T) {
	w := newWorld(t)
	res := w.define(w.op.Client, diplomaType(w.market.ID))
	w.emitted(res, model.EventAssetTypeDefined)
	got := w.typeOf(res)
	if got.Code != "diploma" || got.Status != model.StatusActive || got.DefinedBy != w.op.ID ||
		got.CreatedTx != res.TxID || got.UpdatedTx != res.TxID || !slices.Equal(got.Issuers, []string{w.market.ID}) {
		t.Fatalf("defined %+v", got)
	}
	var stored model.AssetType
	if found, err := w.l.StateJSON(model.ChaincodeAsset, "\x00assettype\x00diploma\x00", &stored); !found || err != nil {
		t.Fatalf("type not stored: %v %v", found, err)
	}
	if stored.Name != "学历证书" || stored.Schema != testSchema {
		t.Fatalf("stored %+v", stored)
	}
}

func TestDefineAssetType_IdenticalRetryWritesNothing(t *testing.T) {
	w := newWorld(t)
	first := w.typeOf(w.mustOK(w.define(w.op.Client, diplomaType(w.market.ID))))
	res := w.define(w.op.Client, diplomaType(w.market.ID))
	w.noWrite(res)
	if again := w.typeOf(res); again.UpdatedTx != first.UpdatedTx {
		t.Fatalf("retry changed the type: %+v", again)
	}
}

func TestDefineAssetType_RedefinitionUpdates(t *testing.T) {
	w := newWorld(t)
	first := w.typeOf(w.mustOK(w.define(w.op.Client, diplomaType(w.market.ID))))
	w.c.AddMember("EduMSP", model.MemberDepartment, "", model.PermContract)
	edu := w.c.Member("EduMSP")
	d := diplomaType(w.market.ID, edu.ID)
	d.Reviewers, d.SelfUpload = []string{w.social.ID}, true
	res := w.define(edu.Client, d)
	w.emitted(res, model.EventAssetTypeDefined)
	got := w.typeOf(res)
	if got.CreatedTx != first.CreatedTx || got.UpdatedTx != res.TxID || got.DefinedBy != edu.ID ||
		!got.SelfUpload || !slices.Equal(got.Issuers, []string{w.market.ID, edu.ID}) {
		t.Fatalf("redefined %+v", got)
	}
}

func TestDefineAssetType_Denied(t *testing.T) {
	w := newWorld(t)
	suspended := w.c.AddMember("GoneMSP", model.MemberInstitution, "", model.PermContract)
	w.c.SuspendMember(suspended)
	for name, who := range map[string]*cctest.Identity{
		"member without contract permission": w.market.Admin,
		"not a member":                       w.stranger,
		"suspended member":                   suspended.Admin,
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeDenied, func() *cctest.Result { return w.define(who, diplomaType(w.market.ID)) })
		})
	}
}

func TestDefineAssetType_Malformed(t *testing.T) {
	w := newWorld(t)
	dup := diplomaType(w.market.ID, w.market.ID)
	dupReviewers := diplomaType(w.market.ID)
	dupReviewers.Reviewers = []string{w.social.ID, w.social.ID}
	badSchema := diplomaType(w.market.ID)
	badSchema.Schema = "{not json"
	selfWithoutReviewer := diplomaType(w.market.ID)
	selfWithoutReviewer.SelfUpload = true
	for name, arg := range map[string]string{
		"not JSON":                   "{",
		"unknown field":              `{"code":"diploma","name":"x","schema":"{}","issuers":["MarketMSP"],"extra":1}`,
		"no issuers":                 w.json(diplomaType()),
		"issuer twice":               w.json(dup),
		"reviewer twice":             w.json(dupReviewers),
		"schema not JSON":            w.json(badSchema),
		"self-upload, no reviewer":   w.json(selfWithoutReviewer),
		"code with a separator":      strings.Replace(w.json(diplomaType(w.market.ID)), "diploma", "dip/loma", 1),
		"trailing data after object": w.json(diplomaType(w.market.ID)) + "{}",
	} {
		t.Run(name, func(t *testing.T) {
			w.in(t).fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.op.Client, "DefineAssetType", arg) })
		})
	}
}

func TestDefineAssetType_AbolishedTypeIsFinal(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.define(w.op.Client, diplomaType(w.market.ID)))
	w.mustOK(w.submit(w.op.Client, "AbolishAssetType", "diploma", "replaced by e-diploma"))
	w.fails(model.CodeState, func() *cctest.Result { return w.define(w.op.Client, diplomaType(w.market.ID)) })
}

func TestAbolishAssetType_Success(t *testing.T) {
	w := newWorld(t)
	res := w.submit(w.op.Client, "AbolishAssetType", typeLicence, "superseded")
	w.emitted(res, model.EventAssetTypeAbolished)
	got := w.typeOf(res)
	if got.Status != model.AssetAbolished || got.Note != "superseded" || got.UpdatedTx != res.TxID {
		t.Fatalf("abolished %+v", got)
	}
	// No asset of an abolished type can be issued any more.
	req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
	w.fails(model.CodeState, func() *cctest.Result { return w.issue(w.market.Client, w.market.Key, req) })
}

func TestAbolishAssetType_RetryAndWrongState(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.submit(w.op.Client, "AbolishAssetType", typeLicence, "superseded"))
	w.noWrite(w.submit(w.op.Client, "AbolishAssetType", typeLicence, "superseded"))
	w.fails(model.CodeState, func() *cctest.Result {
		return w.submit(w.op.Client, "AbolishAssetType", typeLicence, "another reason")
	})
}

func TestAbolishAssetType_DeniedMalformedMissing(t *testing.T) {
	w := newWorld(t)
	w.fails(model.CodeDenied, func() *cctest.Result { return w.submit(w.market.Admin, "AbolishAssetType", typeLicence, "x") })
	w.fails(model.CodeDenied, func() *cctest.Result { return w.submit(w.stranger, "AbolishAssetType", typeLicence, "x") })
	w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.op.Client, "AbolishAssetType", typeLicence, "") })
	w.fails(model.CodeInvalid, func() *cctest.Result {
		return w.submit(w.op.Client, "AbolishAssetType", typeLicence, strings.Repeat("长", model.MaxTextLen+1))
	})
	w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.op.Client, "AbolishAssetType", typeLicence, "\xff") })
	w.fails(model.CodeNotFound, func() *cctest.Result { return w.submit(w.op.Client, "AbolishAssetType", "no-such-type", "x") })
	w.fails(model.CodeInvalid, func() *cctest.Result { return w.submit(w.op.Client, "AbolishAssetType", "bad\xffcode", "x") })
}

func TestGetAssetType(t *testing.T) {
	w := newWorld(t)
	got := w.typeOf(w.mustOK(w.evaluate("GetAssetType", typeIDCard)))
	if got.Code != typeIDCard || !got.SelfUpload || !slices.Equal(got.Reviewers, []string{w.social.ID}) {
		t.Fatalf("got %+v", got)
	}
	if res := w.evaluate("GetAssetType", "no-such-type"); model.ParseError(res.Message) == nil ||
		model.ParseError(res.Message).Code != model.CodeNotFound {
		t.Fatalf("missing type: %d %s", res.Status, res.Message)
	}
}

func TestListAssetTypes_Pages(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		d := diplomaType(w.market.ID)
		d.Code = fmt.Sprintf("type-%d", i)
		w.mustOK(w.define(w.op.Client, d))
	}
	var codes []string
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
		var page model.AssetTypePage
		if err := w.mustOK(w.evaluate("ListAssetTypes", strconv.Itoa(3), bookmark)).JSON(&page); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			codes = append(codes, it.Code)
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	want := []string{typeLicence, typeIDCard, "type-0", "type-1", "type-2", "type-3", "type-4"}
	if !slices.Equal(codes, want) {
		t.Fatalf("listed %v, want %v", codes, want)
	}
	if res := w.evaluate("ListAssetTypes", "-1", ""); res.OK() {
		t.Fatal("a negative page size was accepted")
	}
}

func TestListAssetTypes_EmptyTable(t *testing.T) {
	l := cctest.NewLedger()
	w := &world{tb: t, l: l}
	l.Register(model.ChaincodeAsset, mustChaincode(t))
	res := w.mustOK(l.Evaluate(cctest.NewOrg("AnyMSP").Identity("reader"), model.ChaincodeAsset, "ListAssetTypes", "0", ""))
	if string(compact(t, res.Payload)) != `{"items":[]}` {
		t.Fatalf("empty list: %s", res.Payload)
	}
}
