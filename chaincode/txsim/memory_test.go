package txsim

import (
	"slices"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

func scanKeys(t *testing.T, s State, ns, start, end string) []string {
	t.Helper()
	it, err := s.RangeScan(ns, start, end)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var keys []string
	for {
		kv, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if kv == nil {
			return keys
		}
		keys = append(keys, kv.Key)
	}
}

func TestMemoryState_SnapshotIsolation(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1", "b", "1")
	snap := m.Snapshot()
	seed(t, m, 2, "a", "2", "c", "2")
	commit(t, m, 3, simulate(t, m, func(stub shim.ChaincodeStubInterface) error { return stub.DelState("b") }))

	if vv, _ := snap.GetState("cc", "a"); string(vv.Value) != "1" {
		t.Fatalf("snapshot sees later write: %q", vv.Value)
	}
	if got := scanKeys(t, snap, "cc", "", ""); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("snapshot scan = %q", got)
	}
	if got := history(t, snap, "cc", "a"); !slices.Equal(got, []string{"1"}) {
		t.Fatalf("snapshot history = %q", got)
	}
	if got := scanKeys(t, m, "cc", "", ""); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("live scan = %q", got)
	}
	if got := history(t, m, "cc", "a"); !slices.Equal(got, []string{"2", "1"}) {
		t.Fatalf("live history = %q", got)
	}
	if got := m.Keys("cc"); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("keys = %q", got)
	}
	if m.Keys("none") != nil || scanKeys(t, m, "none", "", "") != nil || history(t, m, "none", "k") != nil {
		t.Fatal("unknown namespace not empty")
	}
	if vv, err := m.GetState("none", "k"); vv != nil || err != nil {
		t.Fatalf("unknown namespace GetState = %v %v", vv, err)
	}
	if last, ok := m.LastBlock(); !ok || last != 3 {
		t.Fatalf("last block = %d %v", last, ok)
	}
}

func TestMemoryState_RangeBounds(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1", "b", "1", "c", "1")
	for _, tt := range []struct {
		start, end string
		want       []string
	}{
		{"", "", []string{"a", "b", "c"}},
		{"b", "", []string{"b", "c"}},
		{"", "b", []string{"a"}},
		{"a0", "c", []string{"b"}},
		{"c", "a", nil},
	} {
		if got := scanKeys(t, m, "cc", tt.start, tt.end); !slices.Equal(got, tt.want) {
			t.Errorf("[%q, %q) = %q, want %q", tt.start, tt.end, got, tt.want)
		}
	}
}

func TestMemoryState_ValuesAreCopies(t *testing.T) {
	m := NewMemoryState()
	seed(t, m, 1, "a", "1")
	vv, _ := m.GetState("cc", "a")
	vv.Value[0] = 'X'
	if again, _ := m.GetState("cc", "a"); string(again.Value) != "1" {
		t.Fatalf("state changed through a returned value: %q", again.Value)
	}
}

func TestMemoryState_ApplyOrder(t *testing.T) {
	m := NewMemoryState()
	if _, ok := m.LastBlock(); ok {
		t.Fatal("empty state has a last block")
	}
	seed(t, m, 5, "a", "1")
	if err := m.Apply(&UpdateBatch{BlockNum: 5}); err == nil {
		t.Fatal("block applied twice")
	}
	if _, err := m.Commit(4); err == nil {
		t.Fatal("older block applied")
	}
}
