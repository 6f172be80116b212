package txsim

import (
	"fmt"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func drain(it shim.StateQueryIteratorInterface) ([]string, error) {
	defer it.Close()
	var keys []string
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return keys, err
		}
		keys = append(keys, kv.Key)
	}
	return keys, nil
}

func ck(t *testing.T, objectType string, attrs ...string) string {
	t.Helper()
	k, err := CreateCompositeKey(objectType, attrs)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seedMixed commits simple keys and composite keys of namespace "cc".
func seedMixed(t *testing.T, m *MemoryState) {
	seed(t, m, 1,
		"b", "1", "a", "1", "c", "1", "B", "1", "é", "1",
		ck(t, "asset", "org2", "x"), "1",
		ck(t, "asset", "org1", "b"), "1",
		ck(t, "asset", "org1", "a"), "1",
		ck(t, "grant", "g1"), "1",
	)
}

func TestStub_GetStateByRange_SortedSimpleKeysOnly(t *testing.T) {
	m := NewMemoryState()
	seedMixed(t, m)
	var all, bounded []string
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("", "")
		if err != nil {
			return err
		}
		if all, err = drain(it); err != nil {
			return err
		}
		it, err = stub.GetStateByRange("a", "c")
		if err != nil {
			return err
		}
		bounded, err = drain(it)
		return err
	})
	if want := []string{"B", "a", "b", "c", "é"}; !slices.Equal(all, want) {
		t.Fatalf("unbounded range = %q, want %q in byte order without composite keys", all, want)
	}
	if want := []string{"a", "b"}; !slices.Equal(bounded, want) {
		t.Fatalf("[a, c) = %q, want %q", bounded, want)
	}
	kv := nsSet(t, sim, "cc")
	if len(kv.Reads) != 0 {
		t.Errorf("range results recorded as plain reads: %v", kv.Reads)
	}
	if len(kv.RangeQueriesInfo) != 2 {
		t.Fatalf("range queries = %v", kv.RangeQueriesInfo)
	}
	first := kv.RangeQueriesInfo[0]
	if first.StartKey != "\x01" || first.EndKey != "" || !first.ItrExhausted {
		t.Errorf("first range query info = %v, want start \\x01, end empty, exhausted", first)
	}
	if got := readKeys(first.GetRawReads().GetKvReads()); !slices.Equal(got, all) {
		t.Errorf("raw reads = %q", got)
	}
	for _, r := range first.GetRawReads().GetKvReads() {
		if !proto.Equal(r.Version, &kvrwset.Version{BlockNum: 1}) {
			t.Errorf("raw read %q version %v", r.Key, r.Version)
		}
	}
}

func TestStub_GetStateByRange_RejectsCompositeBounds(t *testing.T) {
	simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		if _, err := stub.GetStateByRange("\x00asset", ""); err == nil {
			t.Error("composite start key accepted")
		}
		if _, err := stub.GetStateByRange("a", "\x00z"); err == nil {
			t.Error("composite end key accepted")
		}
		if _, _, err := stub.GetStateByRangeWithPagination("\x00a", "", 10, ""); err == nil {
			t.Error("composite start key accepted with pagination")
		}
		if _, err := stub.GetStateByPartialCompositeKey("asset", []string{"a\x00"}); err == nil {
			t.Error("partial key with U+0000 accepted")
		}
		if _, _, err := stub.GetStateByPartialCompositeKeyWithPagination("as\x00set", nil, 1, ""); err == nil {
			t.Error("paginated partial key with U+0000 accepted")
		}
		return nil
	})
}

func TestStub_GetStateByPartialCompositeKey(t *testing.T) {
	m := NewMemoryState()
	seedMixed(t, m)
	var org1, assets, full []string
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByPartialCompositeKey("asset", []string{"org1"})
		if err != nil {
			return err
		}
		if org1, err = drain(it); err != nil {
			return err
		}
		it, err = stub.GetStateByPartialCompositeKey("asset", nil)
		if err != nil {
			return err
		}
		if assets, err = drain(it); err != nil {
			return err
		}
		it, err = stub.GetStateByPartialCompositeKey("asset", []string{"org1", "a"})
		if err != nil {
			return err
		}
		full, err = drain(it)
		return err
	})
	if want := []string{ck(t, "asset", "org1", "a"), ck(t, "asset", "org1", "b")}; !slices.Equal(org1, want) {
		t.Fatalf("asset/org1 = %q, want %q", org1, want)
	}
	if len(assets) != 3 || assets[2] != ck(t, "asset", "org2", "x") {
		t.Fatalf("asset = %q", assets)
	}
	// The shim's doc says a full key returns nothing, but the range the peer scans,
	// [key, key+U+10FFFF), starts at the key itself, so the key is returned.
	if want := []string{ck(t, "asset", "org1", "a")}; !slices.Equal(full, want) {
		t.Fatalf("full composite key as partial key = %q, want %q", full, want)
	}
	rqi := nsSet(t, sim, "cc").RangeQueriesInfo[0]
	if rqi.StartKey != "\x00asset\x00org1\x00" || rqi.EndKey != "\x00asset\x00org1\x00\U0010FFFF" {
		t.Fatalf("partial key range = [%q, %q)", rqi.StartKey, rqi.EndKey)
	}
}

func TestStub_Pagination_BookmarksAcrossPages(t *testing.T) {
	m := NewMemoryState()
	var kvs []string
	for i := range 7 {
		kvs = append(kvs, fmt.Sprintf("k%d", i), "v")
	}
	seed(t, m, 1, kvs...)

	type page struct {
		keys []string
		md   *peer.QueryResponseMetadata
	}
	var pages []page
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		bookmark := ""
		for {
			it, md, err := stub.GetStateByRangeWithPagination("k1", "k9", 3, bookmark)
			if err != nil {
				return err
			}
			keys, err := drain(it)
			if err != nil {
				return err
			}
			pages = append(pages, page{keys, md})
			if md.Bookmark == "" {
				return nil
			}
			bookmark = md.Bookmark
		}
	})
	want := []page{
		{[]string{"k1", "k2", "k3"}, &peer.QueryResponseMetadata{FetchedRecordsCount: 3, Bookmark: "k4"}},
		{[]string{"k4", "k5", "k6"}, &peer.QueryResponseMetadata{FetchedRecordsCount: 3, Bookmark: ""}},
		// The bookmark is the key after the page, so a page that ends exactly at the end
		// of the range gets no bookmark and there is no empty third page.
	}
	if len(pages) != len(want) {
		t.Fatalf("pages = %v", pages)
	}
	for i := range want {
		if !slices.Equal(pages[i].keys, want[i].keys) || !proto.Equal(pages[i].md, want[i].md) {
			t.Errorf("page %d = %q %v, want %q %v", i, pages[i].keys, pages[i].md, want[i].keys, want[i].md)
		}
	}
	// A full page stops without asking for more, so the query is not exhausted and ends
	// at its last key; it starts at the bookmark.
	rqis := nsSet(t, sim, "cc").RangeQueriesInfo
	if len(rqis) != 2 {
		t.Fatalf("range queries = %v", rqis)
	}
	if r := rqis[0]; r.StartKey != "k1" || r.EndKey != "k3" || r.ItrExhausted {
		t.Errorf("page 1 info = %v", r)
	}
	if r := rqis[1]; r.StartKey != "k4" || r.EndKey != "k6" || r.ItrExhausted {
		t.Errorf("page 2 info = %v", r)
	}

	// A page that runs dry before it is full records the query's own end key.
	sim = simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, md, err := stub.GetStateByRangeWithPagination("k5", "k9", 3, "")
		if err != nil {
			return err
		}
		keys, err := drain(it)
		if !slices.Equal(keys, []string{"k5", "k6"}) || md.Bookmark != "" || md.FetchedRecordsCount != 2 {
			t.Errorf("short page = %q %v", keys, md)
		}
		return err
	})
	if r := nsSet(t, sim, "cc").RangeQueriesInfo[0]; r.StartKey != "k5" || r.EndKey != "k9" || !r.ItrExhausted {
		t.Errorf("short page info = %v", r)
	}
}

func TestStub_Pagination_PartialAndAllComposite(t *testing.T) {
	m := NewMemoryState()
	seedMixed(t, m)
	simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, md, err := stub.GetStateByPartialCompositeKeyWithPagination("asset", nil, 2, "")
		if err != nil {
			return err
		}
		keys, _ := drain(it)
		if len(keys) != 2 || md.Bookmark != ck(t, "asset", "org2", "x") || md.FetchedRecordsCount != 2 {
			t.Errorf("asset page 1 = %q %v", keys, md)
		}
		it, md, err = stub.GetStateByPartialCompositeKeyWithPagination("asset", nil, 2, md.Bookmark)
		if err != nil {
			return err
		}
		keys, _ = drain(it)
		if !slices.Equal(keys, []string{ck(t, "asset", "org2", "x")}) || md.Bookmark != "" || md.FetchedRecordsCount != 1 {
			t.Errorf("asset page 2 = %q %v", keys, md)
		}
		it, md, err = stub.GetAllStatesCompositeKeyWithPagination(10, "")
		if err != nil {
			return err
		}
		keys, _ = drain(it)
		if len(keys) != 4 || keys[3] != ck(t, "grant", "g1") || md.FetchedRecordsCount != 4 {
			t.Errorf("all composite keys = %q %v", keys, md)
		}
		return nil
	})
}

func TestStub_Pagination_ReadOnlyTransactionsOnly(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1")
	simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		if _, _, err := stub.GetStateByRangeWithPagination("", "", 1, ""); err != nil {
			return err
		}
		if err := stub.PutState("b", []byte("1")); err == nil {
			t.Error("write after a paginated query accepted")
		}
		if err := stub.SetStateValidationParameter("a", nil); err == nil {
			t.Error("metadata write after a paginated query accepted")
		}
		return nil
	})
	simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		if err := stub.DelState("a"); err != nil {
			return err
		}
		if _, _, err := stub.GetStateByRangeWithPagination("", "", 1, ""); err == nil {
			t.Error("paginated query after a write accepted")
		}
		// Page size 0 without a bookmark is not pagination for the peer.
		it, md, err := stub.GetStateByRangeWithPagination("", "", 0, "")
		if err != nil {
			t.Errorf("unpaginated query after a write: %v", err)
			return nil
		}
		keys, _ := drain(it)
		if !slices.Equal(keys, []string{"a"}) || !proto.Equal(md, &peer.QueryResponseMetadata{}) {
			t.Errorf("page size 0 = %q %v", keys, md)
		}
		return nil
	})
}

func TestStub_RangeQuery_PeerBatchingRecordsReadAhead(t *testing.T) {
	m := NewMemoryState()
	var kvs []string
	for i := range 250 {
		kvs = append(kvs, fmt.Sprintf("k%03d", i), "v")
	}
	seed(t, m, 1, kvs...)

	// The chaincode looks at one key only, but the peer handler has already read a
	// batch of 100 plus the first result of the next batch.
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("", "")
		if err != nil {
			return err
		}
		if _, err := it.Next(); err != nil {
			return err
		}
		return it.Close()
	})
	rqi := nsSet(t, sim, "cc").RangeQueriesInfo[0]
	if n := len(rqi.GetRawReads().GetKvReads()); n != 101 || rqi.EndKey != "k100" || rqi.ItrExhausted {
		t.Fatalf("one Next recorded %d reads, end %q, exhausted %v; want 101, k100, false", n, rqi.EndKey, rqi.ItrExhausted)
	}

	// Taking the last cached result of a batch fetches the next batch at once: the
	// carried-over result plus 99 more, and again one beyond.
	sim = simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("", "")
		if err != nil {
			return err
		}
		defer it.Close()
		for range 100 {
			if _, err := it.Next(); err != nil {
				return err
			}
		}
		return nil
	})
	rqi = nsSet(t, sim, "cc").RangeQueriesInfo[0]
	if n := len(rqi.GetRawReads().GetKvReads()); n != 201 || rqi.EndKey != "k200" {
		t.Fatalf("100 Next calls recorded %d reads, end %q; want 201, k200", n, rqi.EndKey)
	}

	var all []string
	sim = simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("", "")
		if err != nil {
			return err
		}
		all, err = drain(it)
		if err != nil {
			return err
		}
		if _, err := it.Next(); err == nil {
			t.Error("Next past the end succeeded")
		}
		return nil
	})
	rqi = nsSet(t, sim, "cc").RangeQueriesInfo[0]
	if len(all) != 250 || len(rqi.GetRawReads().GetKvReads()) != 250 || !rqi.ItrExhausted || rqi.EndKey != "" {
		t.Fatalf("full scan: %d keys, info %v", len(all), rqi)
	}
}

func TestStub_RangeQuery_TotalQueryLimit(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1", "b", "1", "c", "1", "d", "1")
	var keys []string
	var md *peer.QueryResponseMetadata
	sim := New(m, testContext("tx"), Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("", "")
		if err != nil {
			return err
		}
		if keys, err = drain(it); err != nil {
			return err
		}
		// A page larger than the limit is cut at the limit and still gets a bookmark.
		it, md, err = stub.GetStateByRangeWithPagination("", "", 10, "")
		if err != nil {
			return err
		}
		_, err = drain(it)
		return err
	})}, WithTotalQueryLimit(2))
	if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
		t.Fatal(resp.Message)
	}
	if !slices.Equal(keys, []string{"a", "b"}) {
		t.Fatalf("limited range = %q, want the first 2 keys", keys)
	}
	if md.FetchedRecordsCount != 2 || md.Bookmark != "c" {
		t.Fatalf("limited page metadata = %v", md)
	}
}

func TestStub_RangeQuery_DuplicateQueriesRecordedOnce(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1")
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		for range 2 {
			it, err := stub.GetStateByRange("a", "z")
			if err != nil {
				return err
			}
			if _, err := drain(it); err != nil {
				return err
			}
		}
		return nil
	})
	if n := len(nsSet(t, sim, "cc").RangeQueriesInfo); n != 1 {
		t.Fatalf("identical range queries recorded %d times", n)
	}
}

func TestStub_RangeQuery_EmptyResultHasNoReadsInfo(t *testing.T) {
	sim := simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange("a", "b")
		if err != nil {
			return err
		}
		if it.HasNext() {
			t.Error("empty range has a result")
		}
		return it.Close()
	})
	rqi := nsSet(t, sim, "cc").RangeQueriesInfo[0]
	if rqi.ReadsInfo != nil || !rqi.ItrExhausted || rqi.EndKey != "b" {
		t.Fatalf("empty range info = %v", rqi)
	}
}

func TestStub_GetHistoryForKey_NewestFirst(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "v1")
	seed(t, m, 2, "k", "v2", "other", "x")
	del := simulate(t, m, func(stub shim.ChaincodeStubInterface) error { return stub.DelState("k") })
	commit(t, m, 3, del)
	// Metadata-only writes are not history.
	commit(t, m, 4, simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		return stub.SetStateValidationParameter("other", []byte("p"))
	}))
	seed(t, m, 5, "k", "v3")

	type entry struct {
		value    string
		isDelete bool
	}
	var got []entry
	var txIDs []string
	simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetHistoryForKey("k")
		if err != nil {
			return err
		}
		defer it.Close()
		for it.HasNext() {
			km, err := it.Next()
			if err != nil {
				return err
			}
			got = append(got, entry{string(km.Value), km.IsDelete})
			txIDs = append(txIDs, km.TxId)
			if !km.Timestamp.AsTime().Equal(testTime) {
				t.Errorf("history timestamp %v", km.Timestamp.AsTime())
			}
		}
		if _, err := it.Next(); err == nil {
			t.Error("Next past the end succeeded")
		}
		return nil
	})
	want := []entry{{"v3", false}, {"", true}, {"v2", false}, {"v1", false}}
	if !slices.Equal(got, want) {
		t.Fatalf("history = %v, want %v", got, want)
	}
	if txIDs[1] != del.Context().TxID {
		t.Fatalf("delete's tx ID = %q, want %q", txIDs[1], del.Context().TxID)
	}
	if h := history(t, m, "cc", "other"); len(h) != 1 {
		t.Fatalf("history of key with a metadata write = %v", h)
	}
}

func history(t *testing.T, s State, ns, key string) []string {
	t.Helper()
	it, err := s.History(ns, key)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []string
	for {
		km, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if km == nil {
			return out
		}
		out = append(out, string(km.Value))
	}
}
