package ledger_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

type item struct {
	ID    string `json:"id"`
	Group string `json:"group"`
	At    string `json:"at"`
}

type page struct {
	IDs      []string `json:"ids"`
	Bookmark string   `json:"bookmark"`
}

// probe drives the ledger helpers inside real simulated transactions.
type probe struct{ contractapi.Contract }

func (probe) Add(ctx contractapi.TransactionContextInterface, group, id string) error {
	stub := ctx.GetStub()
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return err
	}
	key, err := ledger.Key(stub, "item", id)
	if err != nil {
		return err
	}
	it := item{ID: id, Group: group, At: st.At}
	if err := ledger.Put(stub, key, it); err != nil {
		return err
	}
	if err := ledger.PutIndex(stub, "item~group", group, id); err != nil {
		return err
	}
	return ledger.Emit(stub, "ItemAdded", it)
}

func (probe) Move(ctx contractapi.TransactionContextInterface, from, to, id string) error {
	stub := ctx.GetStub()
	if err := ledger.DelIndex(stub, "item~group", from, id); err != nil {
		return err
	}
	return ledger.PutIndex(stub, "item~group", to, id)
}

func (probe) Get(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	stub := ctx.GetStub()
	key, err := ledger.Key(stub, "item", id)
	if err != nil {
		return "", err
	}
	var it item
	if err := ledger.MustGet(stub, key, &it, "item "+id); err != nil {
		return "", err
	}
	return it.ID + "@" + it.At, nil
}

func (probe) Page(ctx contractapi.TransactionContextInterface, group string, size int32, bookmark string) (string, error) {
	var p page
	var err error
	p.Bookmark, err = ledger.Page(ctx.GetStub(), "item~group", []string{group}, size, bookmark, func(attrs []string, _ []byte) error {
		p.IDs = append(p.IDs, attrs[1])
		return nil
	})
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(p)
	return string(b), nil
}

func (probe) All(ctx contractapi.TransactionContextInterface, group string) (string, error) {
	var ids []string
	err := ledger.All(ctx.GetStub(), "item~group", []string{group}, func(attrs []string, _ []byte) error {
		ids = append(ids, attrs[1])
		return nil
	})
	return strings.Join(ids, ","), err
}

func (probe) BadKey(ctx contractapi.TransactionContextInterface) error {
	_, err := ledger.Key(ctx.GetStub(), "item", "bad\x00attr")
	return err
}

func setup(t *testing.T) (*cctest.Ledger, *cctest.Identity) {
	t.Helper()
	cc, err := contractapi.NewChaincode(&probe{})
	if err != nil {
		t.Fatal(err)
	}
	l := cctest.NewLedger()
	l.Register("probe", cc)
	return l, cctest.NewOrg("OperatorMSP").Identity("op")
}

func TestPutGetEmit(t *testing.T) {
	l, op := setup(t)
	res := l.Submit(op, "probe", "Add", "g", "a")
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if res.Event == nil || res.Event.EventName != "ItemAdded" || !strings.Contains(string(res.Event.Payload), `"id":"a"`) {
		t.Fatalf("event = %v", res.Event)
	}
	got := l.Evaluate(op, "probe", "Get", "a")
	want := "a@" + model.FormatTime(res.Timestamp)
	if string(got.Payload) != want {
		t.Fatalf("Get = %q, want %q (time from the tx timestamp)", got.Payload, want)
	}
	miss := l.Evaluate(op, "probe", "Get", "zz")
	if e := model.ParseError(miss.Message); e == nil || e.Code != model.CodeNotFound || !strings.Contains(e.Msg, "item zz") {
		t.Fatalf("missing item: %q", miss.Message)
	}
}

func TestPage_WalksAllPagesInKeyOrder(t *testing.T) {
	l, op := setup(t)
	for i := 0; i < 7; i++ {
		if err := l.Submit(op, "probe", "Add", "g", "id"+strconv.Itoa(i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	l.Submit(op, "probe", "Add", "other", "x")
	var all []string
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		res := l.Evaluate(op, "probe", "Page", "g", "3", bookmark)
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		var p page
		if err := json.Unmarshal([]byte(res.Payload), &p); err != nil {
			t.Fatal(err)
		}
		all = append(all, p.IDs...)
		if p.Bookmark == "" {
			break
		}
		bookmark = p.Bookmark
	}
	if strings.Join(all, ",") != "id0,id1,id2,id3,id4,id5,id6" {
		t.Fatalf("pages gave %v", all)
	}
}

func TestPage_Bounds(t *testing.T) {
	l, op := setup(t)
	if err := l.Submit(op, "probe", "Add", "g", "a").Err(); err != nil {
		t.Fatal(err)
	}
	res := l.Evaluate(op, "probe", "Page", "g", "-1", "")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
		t.Fatalf("negative page size: %q", res.Message)
	}
	for _, size := range []string{"0", "100000"} {
		res := l.Evaluate(op, "probe", "Page", "g", size, "")
		if err := res.Err(); err != nil || !strings.Contains(string(res.Payload), `"ids":["a"]`) {
			t.Fatalf("page size %s: %s %v", size, res.Payload, err)
		}
	}
}

func TestIndexMoveAndAll(t *testing.T) {
	l, op := setup(t)
	l.Submit(op, "probe", "Add", "g", "a")
	l.Submit(op, "probe", "Add", "g", "b")
	if err := l.Submit(op, "probe", "Move", "g", "h", "a").Err(); err != nil {
		t.Fatal(err)
	}
	if got := string(l.Evaluate(op, "probe", "All", "g").Payload); got != "b" {
		t.Fatalf("All(g) = %q", got)
	}
	if got := string(l.Evaluate(op, "probe", "All", "h").Payload); got != "a" {
		t.Fatalf("All(h) = %q", got)
	}
}

func TestKey_RejectsBadAttribute(t *testing.T) {
	l, op := setup(t)
	res := l.Evaluate(op, "probe", "BadKey")
	if res.OK() || !strings.Contains(res.Message, "composite key") {
		t.Fatalf("BadKey: %d %q", res.Status, res.Message)
	}
}

func TestPage_RefusesNonUTF8Bookmark(t *testing.T) {
	l, op := setup(t)
	res := l.Evaluate(op, "probe", "Page", "g", "1", "\xff")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
		t.Fatalf("bookmark \\xff: %d %q", res.Status, res.Message)
	}
}

// TestPage_RefusesForeignBookmark: Fabric starts the range at the bookmark,
// so one from another query would list other records.
func TestPage_RefusesForeignBookmark(t *testing.T) {
	l, op := setup(t)
	l.Submit(op, "probe", "Add", "g", "a")
	l.Submit(op, "probe", "Add", "h", "b")
	for _, bm := range []string{"\x00", "\x00item~group\x00h\x00b\x00", "zzz"} {
		res := l.Evaluate(op, "probe", "Page", "g", "10", bm)
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
			t.Fatalf("bookmark %q: %d %q %s", bm, res.Status, res.Message, res.Payload)
		}
	}
}
