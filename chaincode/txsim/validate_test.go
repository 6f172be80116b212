package txsim

import (
	"errors"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

func readAndWrite(key string) func(stub shim.ChaincodeStubInterface) error {
	return func(stub shim.ChaincodeStubInterface) error {
		v, err := stub.GetState(key)
		if err != nil {
			return err
		}
		return stub.PutState(key, append(v, '+'))
	}
}

func scanAndWrite(start, end, key string) func(stub shim.ChaincodeStubInterface) error {
	return func(stub shim.ChaincodeStubInterface) error {
		it, err := stub.GetStateByRange(start, end)
		if err != nil {
			return err
		}
		if _, err := drain(it); err != nil {
			return err
		}
		return stub.PutState(key, []byte("x"))
	}
}

func TestValidator_MVCC(t *testing.T) {
	tests := []struct {
		name string
		// first is committed between endorsing and committing second, unless inBlock
		// puts both into one block.
		first, second func(stub shim.ChaincodeStubInterface) error
		inBlock       bool
		want          peer.TxValidationCode
	}{
		{"read of a key updated since", readAndWrite("k"), readAndWrite("k"), false, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"read of a key updated earlier in the block", readAndWrite("k"), readAndWrite("k"), true, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"read of an absent key created since", readAndWrite("new"), readAndWrite("new"), false, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"read of a key deleted since", func(stub shim.ChaincodeStubInterface) error { return stub.DelState("k") }, readAndWrite("k"), false, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"read of a key deleted earlier in the block", func(stub shim.ChaincodeStubInterface) error { return stub.DelState("k") }, readAndWrite("k"), true, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"disjoint keys", readAndWrite("k"), readAndWrite("other"), true, peer.TxValidationCode_VALID},
		{"blind writes to the same key", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("k", []byte("a")) },
			func(stub shim.ChaincodeStubInterface) error { return stub.PutState("k", []byte("b")) }, true, peer.TxValidationCode_VALID},
		{"metadata update earlier in the block", func(stub shim.ChaincodeStubInterface) error {
			return stub.SetStateValidationParameter("k", []byte("p"))
		},
			readAndWrite("k"), true, peer.TxValidationCode_MVCC_READ_CONFLICT},
		{"insert into a scanned range", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("k5", []byte("x")) },
			scanAndWrite("k", "l", "out"), false, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert into a scanned range earlier in the block", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("k5", []byte("x")) },
			scanAndWrite("k", "l", "out"), true, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"delete in a scanned range", func(stub shim.ChaincodeStubInterface) error { return stub.DelState("k") },
			scanAndWrite("k", "l", "out"), true, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"update in a scanned range", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("k", []byte("changed")) },
			scanAndWrite("k", "l", "out"), false, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"insert beside a scanned range", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("m", []byte("x")) },
			scanAndWrite("k", "l", "out"), true, peer.TxValidationCode_VALID},
		{"insert into a scanned empty range", func(stub shim.ChaincodeStubInterface) error { return stub.PutState("b", []byte("x")) },
			scanAndWrite("a", "c", "out"), false, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"delete of an absent key in a scanned range", func(stub shim.ChaincodeStubInterface) error { return stub.DelState("b") },
			scanAndWrite("a", "c", "out"), true, peer.TxValidationCode_VALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemoryState()
			seed(t, m, 1, "k", "v", "k1", "v", "z", "v")
			first := simulate(t, m, tt.first)
			second := simulate(t, m, tt.second)
			var codes []peer.TxValidationCode
			if tt.inBlock {
				codes = commit(t, m, 2, first, second)
			} else {
				codes = append(commit(t, m, 2, first), commit(t, m, 3, second)...)
			}
			if codes[0] != peer.TxValidationCode_VALID {
				t.Fatalf("first = %s", codes[0])
			}
			if codes[1] != tt.want {
				t.Fatalf("second = %s, want %s", codes[1], tt.want)
			}
		})
	}
}

func TestValidator_InvalidTxWritesNothing(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "v")
	first, second := simulate(t, m, readAndWrite("k")), simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		if err := readAndWrite("k")(stub); err != nil {
			return err
		}
		return stub.PutState("side", []byte("effect"))
	})
	codes := commit(t, m, 2, first, second)
	if codes[1] != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("second = %s", codes[1])
	}
	if vv, _ := m.GetState("cc", "side"); vv != nil {
		t.Fatal("invalid transaction's write committed")
	}
	if vv, _ := m.GetState("cc", "k"); string(vv.Value) != "v+" || vv.Version != (Version{2, 0}) {
		t.Fatalf("k = %q %v", vv.Value, vv.Version)
	}
	if h := history(t, m, "cc", "side"); len(h) != 0 {
		t.Fatalf("history of invalid write = %q", h)
	}
}

func TestValidator_PartialScanOnlyGuardsWhatWasRead(t *testing.T) {
	m := NewMemoryState()
	var kvs []string
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		kvs = append(kvs, k, "v")
	}
	seed(t, m, 1, kvs...)
	// With a total query limit of 2 the scan stops at "b", unexhausted: the recorded
	// range is ["", "b"] inclusive, so a key inserted after "b" is no phantom and a key
	// inserted before it is.
	scan := func() *Simulation {
		sim := New(m.Snapshot(), testContext("tx-scan"), Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
			it, err := stub.GetStateByRange("", "")
			if err != nil {
				return err
			}
			_, err = drain(it)
			return err
		})}, WithTotalQueryLimit(2))
		if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
			t.Fatal(resp.Message)
		}
		return sim
	}
	after := simulate(t, m, func(stub shim.ChaincodeStubInterface) error { return stub.PutState("bb", []byte("x")) })
	sim := scan()
	if rqi := nsSet(t, sim, "cc").RangeQueriesInfo[0]; rqi.EndKey != "b" || rqi.ItrExhausted {
		t.Fatalf("scan info = %v", rqi)
	}
	if codes := commit(t, m, 2, after, sim); codes[1] != peer.TxValidationCode_VALID {
		t.Fatalf("insert after the last key read: %s", codes[1])
	}
	sim = scan()
	before := simulate(t, m, func(stub shim.ChaincodeStubInterface) error { return stub.PutState("aa", []byte("x")) })
	if codes := commit(t, m, 3, before, sim); codes[1] != peer.TxValidationCode_PHANTOM_READ_CONFLICT {
		t.Fatalf("insert before the last key read: %s", codes[1])
	}
}

func TestValidator_MetadataMerge(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "v1")
	setEP := func(key string) func(stub shim.ChaincodeStubInterface) error {
		return func(stub shim.ChaincodeStubInterface) error {
			return stub.SetStateValidationParameter(key, []byte("ep"))
		}
	}
	commit(t, m, 2, simulate(t, m, setEP("k")), simulate(t, m, setEP("absent")))
	if vv, _ := m.GetState("cc", "absent"); vv != nil {
		t.Fatalf("metadata write created a key: %v", vv)
	}
	// A value-only write keeps the key's metadata, in a later block and within one.
	seed(t, m, 3, "k", "v2")
	vv, _ := m.GetState("cc", "k")
	if string(vv.Value) != "v2" || string(vv.Metadata[validationParameterMetakey]) != "ep" {
		t.Fatalf("after value write: %q %q", vv.Value, vv.Metadata)
	}
	// Value and metadata in one transaction; then a delete drops both.
	commit(t, m, 4, simulate(t, m, func(stub shim.ChaincodeStubInterface) error {
		if err := stub.PutState("k", []byte("v3")); err != nil {
			return err
		}
		return stub.SetStateValidationParameter("k", []byte("ep2"))
	}))
	vv, _ = m.GetState("cc", "k")
	if string(vv.Value) != "v3" || string(vv.Metadata[validationParameterMetakey]) != "ep2" {
		t.Fatalf("after value and metadata write: %q %q", vv.Value, vv.Metadata)
	}
	v := NewValidator(m.Snapshot(), 5)
	for i, fn := range []func(shim.ChaincodeStubInterface) error{
		func(stub shim.ChaincodeStubInterface) error { return stub.PutState("n", []byte("new")) },
		setEP("n"),
		func(stub shim.ChaincodeStubInterface) error { return stub.PutState("n", []byte("newer")) },
	} {
		sim := simulate(t, m, fn)
		rws, _ := sim.ReadWriteSet()
		if code, err := v.Validate(BlockTx{TxNum: uint64(i), TxID: "t", RWSet: rws}); err != nil || code != peer.TxValidationCode_VALID {
			t.Fatalf("tx %d: %s %v", i, code, err)
		}
	}
	b := v.Batch()
	if len(b.Updates) != 1 || string(b.Updates[0].Value) != "newer" || string(b.Updates[0].Metadata[validationParameterMetakey]) != "ep" || b.Updates[0].Version != (Version{5, 2}) {
		t.Fatalf("block updates = %+v", b.Updates)
	}
	if len(b.History) != 2 {
		t.Fatalf("block history = %+v", b.History)
	}
	if err := m.Apply(b); err != nil {
		t.Fatal(err)
	}
	commit(t, m, 6, simulate(t, m, func(stub shim.ChaincodeStubInterface) error { return stub.DelState("k") }))
	if vv, _ := m.GetState("cc", "k"); vv != nil {
		t.Fatalf("deleted key = %v", vv)
	}
}

func TestValidator_RejectsBadInput(t *testing.T) {
	m := NewMemoryState()
	v := NewValidator(m, 1)
	if code, err := v.Validate(BlockTx{TxNum: 3, RWSet: &rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: "cc", Rwset: []byte{0xff}}}}}); err != nil || code != peer.TxValidationCode_INVALID_OTHER_REASON {
		t.Fatalf("undecodable rwset: %s %v", code, err)
	}
	if _, err := v.Validate(BlockTx{TxNum: 3}); err == nil {
		t.Fatal("repeated tx number accepted")
	}
	merkle, _ := EncodeReadWriteSet([]NsReadWriteSet{{Namespace: "cc", KVRWSet: &kvrwset.KVRWSet{RangeQueriesInfo: []*kvrwset.RangeQueryInfo{{
		StartKey: "a", ReadsInfo: &kvrwset.RangeQueryInfo_ReadsMerkleHashes{ReadsMerkleHashes: &kvrwset.QueryReadsMerkleSummary{MaxDegree: 50}},
	}}}}})
	if code, err := ValidateMVCC(m, merkle); err != nil || code != peer.TxValidationCode_INVALID_OTHER_REASON {
		t.Fatalf("merkle summary: %s %v", code, err)
	}
	private := &rwset.TxReadWriteSet{NsRwset: []*rwset.NsReadWriteSet{{Namespace: "cc", CollectionHashedRwset: []*rwset.CollectionHashedReadWriteSet{{CollectionName: "c"}}}}}
	if code, err := ValidateMVCC(m, private); err != nil || code != peer.TxValidationCode_INVALID_OTHER_REASON {
		t.Fatalf("private data: %s %v", code, err)
	}
	if code, err := ValidateMVCC(m, &rwset.TxReadWriteSet{DataModel: 7}); err != nil || code != peer.TxValidationCode_INVALID_OTHER_REASON {
		t.Fatalf("unknown data model: %s %v", code, err)
	}
	if code, err := ValidateMVCC(m, nil); err != nil || code != peer.TxValidationCode_VALID {
		t.Fatalf("empty rwset: %s %v", code, err)
	}
}

func TestValidateMVCC_AgainstCommittedState(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "k", "v")
	sim := simulate(t, m, readAndWrite("k"))
	rws, _ := sim.ReadWriteSet()
	if code, err := ValidateMVCC(m, rws); err != nil || code != peer.TxValidationCode_VALID {
		t.Fatalf("fresh: %s %v", code, err)
	}
	seed(t, m, 2, "k", "w")
	if code, err := ValidateMVCC(m, rws); err != nil || code != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("stale: %s %v", code, err)
	}
}

// failingState fails every call, to check that state errors surface as errors.
type failingState struct{}

var errBroken = errors.New("disk on fire")

func (failingState) GetState(string, string) (*VersionedValue, error) { return nil, errBroken }
func (failingState) RangeScan(string, string, string) (KVIterator, error) {
	return nil, errBroken
}
func (failingState) History(string, string) (HistoryIterator, error) { return nil, errBroken }

// failingIterators returns iterators that fail on Next.
type failingIterators struct{ failingState }

type failingIterator struct{}

func (failingIterator) Next() (*VersionedKV, error) { return nil, errBroken }
func (failingIterator) Close() error                { return nil }

type failingHistory struct{}

func (failingHistory) Next() (*queryresult.KeyModification, error) { return nil, errBroken }
func (failingHistory) Close() error                                { return nil }

func (failingIterators) RangeScan(string, string, string) (KVIterator, error) {
	return failingIterator{}, nil
}
func (failingIterators) History(string, string) (HistoryIterator, error) {
	return failingHistory{}, nil
}

func TestStateErrors_Surface(t *testing.T) {
	for _, state := range []State{failingState{}, failingIterators{}} {
		sim := New(state, testContext("tx"), Chaincodes{"cc": body(func(stub shim.ChaincodeStubInterface) error {
			if _, err := stub.GetState("k"); !errors.Is(err, errBroken) {
				t.Errorf("GetState error = %v", err)
			}
			if _, err := stub.GetMultipleStates("k"); !errors.Is(err, errBroken) {
				t.Errorf("GetMultipleStates error = %v", err)
			}
			if _, err := stub.GetStateValidationParameter("k"); !errors.Is(err, errBroken) {
				t.Errorf("GetStateValidationParameter error = %v", err)
			}
			if _, err := stub.GetStateByRange("a", "b"); !errors.Is(err, errBroken) {
				t.Errorf("GetStateByRange error = %v", err)
			}
			if _, _, err := stub.GetStateByRangeWithPagination("a", "b", 1, ""); !errors.Is(err, errBroken) {
				t.Errorf("GetStateByRangeWithPagination error = %v", err)
			}
			if _, err := stub.GetHistoryForKey("k"); !errors.Is(err, errBroken) {
				t.Errorf("GetHistoryForKey error = %v", err)
			}
			return nil
		})})
		if resp := sim.Invoke("cc", nil); resp.Status != shim.OK {
			t.Fatal(resp.Message)
		}
	}
	m := NewMemoryState()
	seed(t, m, 1, "k", "v")
	sim := simulate(t, m, scanAndWrite("a", "z", "k"))
	rws, _ := sim.ReadWriteSet()
	for _, state := range []State{failingState{}, failingIterators{}} {
		if _, err := NewValidator(state, 2).Validate(BlockTx{TxNum: 0, RWSet: rws}); !errors.Is(err, errBroken) {
			t.Errorf("Validate error = %v", err)
		}
	}
}
