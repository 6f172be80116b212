package txsim

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestStub_WritesNotVisibleInSameTx(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "old")
	var got, gotNew []byte
	var multi [][]byte
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		if err := stub.PutState("k", []byte("new")); err != nil {
			return err
		}
		if err := stub.PutState("fresh", []byte("v")); err != nil {
			return err
		}
		var err error
		if got, err = stub.GetState("k"); err != nil {
			return err
		}
		if gotNew, err = stub.GetState("fresh"); err != nil {
			return err
		}
		multi, err = stub.GetMultipleStates("fresh", "k")
		return err
	})
	if string(got) != "old" || gotNew != nil {
		t.Fatalf("reads saw own writes: k=%q fresh=%q", got, gotNew)
	}
	if multi[0] != nil || string(multi[1]) != "old" {
		t.Fatalf("GetMultipleStates = %q", multi)
	}
	kv := nsSet(t, sim, "cc")
	want := []*kvrwset.KVRead{{Key: "fresh"}, {Key: "k", Version: &kvrwset.Version{BlockNum: 1, TxNum: 0}}}
	if len(kv.Reads) != 2 || !proto.Equal(kv.Reads[0], want[0]) || !proto.Equal(kv.Reads[1], want[1]) {
		t.Fatalf("reads = %v, want %v (absent key read with nil version, each key once)", kv.Reads, want)
	}
}

func TestStub_WritesLastWinsSortedAndEmptyValueDeletes(t *testing.T) {
	sim := simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		for _, kv := range [][2]string{{"b", "1"}, {"a", "1"}, {"b", "2"}, {"c", "x"}} {
			if err := stub.PutState(kv[0], []byte(kv[1])); err != nil {
				return err
			}
		}
		if err := stub.DelState("c"); err != nil {
			return err
		}
		return stub.PutState("d", []byte{})
	})
	kv := nsSet(t, sim, "cc")
	want := []*kvrwset.KVWrite{
		{Key: "a", Value: []byte("1")},
		{Key: "b", Value: []byte("2")},
		{Key: "c", IsDelete: true},
		{Key: "d", IsDelete: true},
	}
	if len(kv.Writes) != len(want) {
		t.Fatalf("writes = %v", kv.Writes)
	}
	for i := range want {
		if !proto.Equal(kv.Writes[i], want[i]) {
			t.Errorf("write %d = %v, want %v", i, kv.Writes[i], want[i])
		}
	}
	if len(kv.Reads) != 0 {
		t.Errorf("blind writes recorded reads: %v", kv.Reads)
	}
}

func TestStub_PutStateEmptyKey(t *testing.T) {
	sim := New(NewMemoryState(), testContext("tx"), Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
		return stub.PutState("", []byte("v"))
	})})
	if resp := sim.Invoke("cc", nil); resp.Status != shim.ERROR || resp.Message != "key must not be an empty string" {
		t.Fatalf("response = %d %q", resp.Status, resp.Message)
	}
	if w := sim.Writes(); len(w) != 0 {
		t.Fatalf("writes = %v", w)
	}
}

func TestStub_ValidationParameter(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "v")
	sim := simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		return stub.SetStateValidationParameter("k", []byte("policy"))
	})
	kv := nsSet(t, sim, "cc")
	want := &kvrwset.KVMetadataWrite{Key: "k", Entries: []*kvrwset.KVMetadataEntry{{Name: "VALIDATION_PARAMETER", Value: []byte("policy")}}}
	if len(kv.MetadataWrites) != 1 || !proto.Equal(kv.MetadataWrites[0], want) || len(kv.Writes) != 0 {
		t.Fatalf("metadata writes = %v, writes = %v", kv.MetadataWrites, kv.Writes)
	}
	commit(t, m, 2, sim)

	var ep, missing []byte
	sim = simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		var err error
		if ep, err = stub.GetStateValidationParameter("k"); err != nil {
			return err
		}
		missing, err = stub.GetStateValidationParameter("nokey")
		return err
	})
	if string(ep) != "policy" || missing != nil {
		t.Fatalf("validation parameter = %q, absent key = %q", ep, missing)
	}
	// The metadata-only write kept the value and moved the version.
	vv, _ := m.GetState("cc", "k")
	if string(vv.Value) != "v" || vv.Version != (Version{2, 0}) {
		t.Fatalf("state after metadata write = %q %v", vv.Value, vv.Version)
	}
	if got := readKeys(nsSet(t, sim, "cc").Reads); !slices.Equal(got, []string{"k", "nokey"}) {
		t.Fatalf("GetStateValidationParameter reads = %q", got)
	}
}

func TestStub_EventLastWins(t *testing.T) {
	sim := New(NewMemoryState(), testContext("tx-ev"), Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
		if err := stub.SetEvent("", nil); err == nil {
			return errors.New("empty event name accepted")
		}
		if err := stub.SetEvent("First", []byte("1")); err != nil {
			return err
		}
		return stub.SetEvent("Second", []byte("2"))
	})})
	if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
		t.Fatal(resp.Message)
	}
	want := &peer.ChaincodeEvent{ChaincodeId: "cc", TxId: "tx-ev", EventName: "Second", Payload: []byte("2")}
	if !proto.Equal(sim.Event(), want) {
		t.Fatalf("event = %v, want %v", sim.Event(), want)
	}
}

func TestStub_NoEventWhenNoneSet(t *testing.T) {
	if ev := simulate(t, NewMemoryState(), func(shim.ChaincodeStubInterface) error { return nil }).Event(); ev != nil {
		t.Fatalf("event = %v", ev)
	}
}

func TestStub_ContextAccessors(t *testing.T) {
	sp := &peer.SignedProposal{ProposalBytes: []byte("p")}
	ctx := Context{
		ChannelID: "ch1", TxID: "tx-ctx", Timestamp: timestamppb.New(testTime), Creator: []byte("me"),
		Transient: map[string][]byte{"secret": []byte("s")}, Binding: []byte("bind"),
		Decorations: map[string][]byte{"d": []byte("1")}, SignedProposal: sp,
	}
	sim := New(NewMemoryState(), ctx, Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
		fn, params := stub.GetFunctionAndParameters()
		if fn != "Fn" || !slices.Equal(params, []string{"a", "b"}) {
			return errors.New("function and parameters")
		}
		if !slices.Equal(stub.GetStringArgs(), []string{"Fn", "a", "b"}) || len(stub.GetArgs()) != 3 {
			return errors.New("args")
		}
		if s, _ := stub.GetArgsSlice(); string(s) != "Fnab" {
			return errors.New("args slice")
		}
		if stub.GetTxID() != "tx-ctx" || stub.GetChannelID() != "ch1" {
			return errors.New("ids")
		}
		if c, _ := stub.GetCreator(); string(c) != "me" {
			return errors.New("creator")
		}
		if tr, _ := stub.GetTransient(); string(tr["secret"]) != "s" {
			return errors.New("transient")
		}
		if b, _ := stub.GetBinding(); string(b) != "bind" {
			return errors.New("binding")
		}
		if string(stub.GetDecorations()["d"]) != "1" {
			return errors.New("decorations")
		}
		if p, _ := stub.GetSignedProposal(); p != sp {
			return errors.New("signed proposal")
		}
		ts, err := stub.GetTxTimestamp()
		if err != nil || !ts.AsTime().Equal(testTime) {
			return errors.New("timestamp")
		}
		key, err := stub.CreateCompositeKey("t", []string{"a"})
		if err != nil || key != "\x00t\x00a\x00" {
			return errors.New("composite key")
		}
		if typ, attrs, err := stub.SplitCompositeKey(key); err != nil || typ != "t" || !slices.Equal(attrs, []string{"a"}) {
			return errors.New("split composite key")
		}
		stub.StartWriteBatch()
		return stub.FinishWriteBatch()
	})})
	if resp := sim.Invoke("cc", [][]byte{[]byte("Fn"), []byte("a"), []byte("b")}); resp.Status != shim.OK {
		t.Fatal(resp.Message)
	}
}

func TestStub_NoArgs(t *testing.T) {
	simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error { return nil })
	sim := New(NewMemoryState(), Context{TxID: "t"}, Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
		if fn, params := stub.GetFunctionAndParameters(); fn != "" || params == nil || len(params) != 0 {
			return errors.New("want empty function and empty, non-nil parameters")
		}
		if _, err := stub.GetTxTimestamp(); err == nil {
			return errors.New("timestamp without one in the context")
		}
		if v, err := stub.GetMultipleStates(); v != nil || err != nil {
			return errors.New("GetMultipleStates of no keys")
		}
		return nil
	})})
	if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
		t.Fatal(resp.Message)
	}
}

func TestStub_UnsupportedFeatures(t *testing.T) {
	simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		errs := []error{}
		add := func(err error) { errs = append(errs, err) }
		_, err := stub.GetQueryResult(`{"selector":{}}`)
		add(err)
		_, _, err = stub.GetQueryResultWithPagination(`{}`, 1, "")
		add(err)
		_, err = stub.GetPrivateData("c", "k")
		add(err)
		_, err = stub.GetMultiplePrivateData("c", "k")
		add(err)
		_, err = stub.GetPrivateDataHash("c", "k")
		add(err)
		add(stub.PutPrivateData("c", "k", []byte("v")))
		add(stub.DelPrivateData("c", "k"))
		add(stub.PurgePrivateData("c", "k"))
		add(stub.SetPrivateDataValidationParameter("c", "k", nil))
		_, err = stub.GetPrivateDataValidationParameter("c", "k")
		add(err)
		_, err = stub.GetPrivateDataByRange("c", "a", "b")
		add(err)
		_, err = stub.GetPrivateDataByPartialCompositeKey("c", "t", nil)
		add(err)
		_, err = stub.GetPrivateDataQueryResult("c", "{}")
		add(err)
		for i, err := range errs {
			if !errors.Is(err, ErrNotSupported) {
				t.Errorf("call %d: error %v, want ErrNotSupported", i, err)
			}
		}
		return nil
	})
}

func TestSimulation_StubUnusableAfterInvoke(t *testing.T) {
	var kept shim.ChaincodeStubInterface
	simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		kept = stub
		return nil
	})
	if _, err := kept.GetState("k"); err == nil {
		t.Error("GetState after the invocation returned succeeded")
	}
	if err := kept.PutState("k", []byte("v")); err == nil {
		t.Error("PutState after the invocation returned succeeded")
	}
	if _, err := kept.GetStateByRange("", ""); err == nil {
		t.Error("GetStateByRange after the invocation returned succeeded")
	}
	if _, err := kept.GetHistoryForKey("k"); err == nil {
		t.Error("GetHistoryForKey after the invocation returned succeeded")
	}
	if resp := kept.InvokeChaincode("cc", nil, ""); resp.Status != shim.ERROR {
		t.Error("InvokeChaincode after the invocation returned succeeded")
	}
}

func TestSimulation_InvokeOnce(t *testing.T) {
	sim := New(NewMemoryState(), testContext("tx"), Chaincodes{"cc": body(func(shim.ChaincodeStubInterface) error { return nil })})
	if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
		t.Fatal(resp.Message)
	}
	if resp := sim.Invoke("cc", nil); resp.Status != shim.ERROR {
		t.Fatalf("second Invoke = %d", resp.Status)
	}
}

func TestSimulation_UnknownChaincodePanicAndNilResponse(t *testing.T) {
	reg := Chaincodes{
		"panics": ccFunc(func(shim.ChaincodeStubInterface) *peer.Response { panic("boom") }),
		"nil":    ccFunc(func(shim.ChaincodeStubInterface) *peer.Response { return nil }),
	}
	for _, name := range []string{"missing", "panics", "nil"} {
		resp := New(NewMemoryState(), testContext("tx"), reg).Invoke(name, nil)
		if resp.Status != shim.ERROR || resp.Message == "" {
			t.Errorf("%s: response %d %q", name, resp.Status, resp.Message)
		}
	}
}

func TestSucceeded_Thresholds(t *testing.T) {
	for status, want := range map[int32]bool{0: false, 199: false, 200: true, 302: true, 399: true, 400: false, 500: false} {
		if got := Succeeded(&peer.Response{Status: status}); got != want {
			t.Errorf("Succeeded(%d) = %v", status, got)
		}
	}
	if Succeeded(nil) {
		t.Error("Succeeded(nil)")
	}
}

func TestSimulation_ReadWriteSetLayout(t *testing.T) {
	sim := simulate(t, NewMemoryState(), func(stub shim.ChaincodeStubInterface) error {
		return stub.PutState("k", []byte("v"))
	})
	rws, err := sim.ReadWriteSet()
	if err != nil {
		t.Fatal(err)
	}
	if len(rws.NsRwset) != 1 || rws.NsRwset[0].Namespace != "cc" {
		t.Fatalf("rwset = %v", rws)
	}
	want, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "k", Value: []byte("v")}}})
	if !bytes.Equal(rws.NsRwset[0].Rwset, want) {
		t.Fatalf("namespace rwset bytes = %x, want %x", rws.NsRwset[0].Rwset, want)
	}
	if w := sim.Writes(); len(w) != 1 || w[0].Namespace != "cc" || len(w[0].Writes) != 1 {
		t.Fatalf("Writes() = %v", w)
	}
}
