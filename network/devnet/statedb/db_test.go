package statedb

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func openDB(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// randomTx returns a transaction that writes, deletes and sets metadata on random keys
// of two namespaces, some of them composite keys (which contain 0x00).
func randomTx(r *rand.Rand, txNum uint64, id string) txsim.BlockTx {
	keys := []string{"a", "ab", "b", "\x00asset\x00k1\x00", "\x00asset\x00k1\x00x\x00", "\x00asset\x00k2\x00", "z", string(bytes.Repeat([]byte("k"), 200))}
	var nss []txsim.NsReadWriteSet
	for _, ns := range []string{"asset", "subject"} {
		kv := &kvrwset.KVRWSet{}
		seen := map[string]bool{}
		for range r.IntN(4) {
			k := keys[r.IntN(len(keys))]
			if seen[k] {
				continue
			}
			seen[k] = true
			w := &kvrwset.KVWrite{Key: k, Value: []byte(fmt.Sprintf("%s-%d", id, r.IntN(100)))}
			if r.IntN(5) == 0 {
				w = &kvrwset.KVWrite{Key: k, IsDelete: true}
			}
			kv.Writes = append(kv.Writes, w)
		}
		if r.IntN(4) == 0 {
			k := keys[r.IntN(len(keys))]
			kv.MetadataWrites = append(kv.MetadataWrites, &kvrwset.KVMetadataWrite{Key: k, Entries: []*kvrwset.KVMetadataEntry{{Name: "VALIDATION_PARAMETER", Value: []byte(id)}}})
		}
		sortWrites(kv)
		nss = append(nss, txsim.NsReadWriteSet{Namespace: ns, KVRWSet: kv})
	}
	rws, err := txsim.EncodeReadWriteSet(nss)
	if err != nil {
		panic(err)
	}
	return txsim.BlockTx{TxNum: txNum, TxID: id, Timestamp: timestamppb.New(timestamppb.Now().AsTime()), RWSet: rws}
}

func sortWrites(kv *kvrwset.KVRWSet) {
	for i := range kv.Writes {
		for j := i + 1; j < len(kv.Writes); j++ {
			if kv.Writes[j].Key < kv.Writes[i].Key {
				kv.Writes[i], kv.Writes[j] = kv.Writes[j], kv.Writes[i]
			}
		}
	}
}

func applyBlock(t *testing.T, db *DB, num uint64, txs []txsim.BlockTx) {
	t.Helper()
	w, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Rollback()
	v := txsim.NewValidator(w, num)
	for _, tx := range txs {
		code, err := v.Validate(tx)
		if err != nil || code != peer.TxValidationCode_VALID {
			t.Fatalf("validate %s: %v %v", tx.TxID, code, err)
		}
		if err := w.IndexTx(tx.TxID, TxLoc{BlockNum: num, TxNum: tx.TxNum, Code: code}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Apply(v.Batch()); err != nil {
		t.Fatal(err)
	}
	if err := w.SetSavepoint(num); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func drainKV(t *testing.T, it txsim.KVIterator) []txsim.VersionedKV {
	t.Helper()
	defer it.Close()
	var out []txsim.VersionedKV
	for {
		kv, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if kv == nil {
			return out
		}
		out = append(out, *kv)
	}
}

func drainHistory(t *testing.T, it txsim.HistoryIterator) []string {
	t.Helper()
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
		out = append(out, fmt.Sprintf("%s:%q:%v:%d", km.TxId, km.Value, km.IsDelete, km.Timestamp.GetNanos()))
	}
}

// TestDB_MatchesMemoryState applies the same random blocks to the database and to
// txsim's MemoryState and checks that every read agrees, across a reopen.
func TestDB_MatchesMemoryState(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	mem := txsim.NewMemoryState()
	for num := uint64(0); num < 40; num++ {
		var txs []txsim.BlockTx
		for i := range uint64(r.IntN(4)) {
			txs = append(txs, randomTx(r, i*2, fmt.Sprintf("tx%d-%d", num, i)))
		}
		applyBlock(t, db, num, txs)
		codes, err := mem.Commit(num, txs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range codes {
			if c != peer.TxValidationCode_VALID {
				t.Fatalf("memory state: %v", c)
			}
		}
	}
	db.Close()
	db = openDB(t, path)
	if sp, ok, err := db.Savepoint(); err != nil || !ok || sp != 39 {
		t.Fatalf("Savepoint = %d %v %v, want 39", sp, ok, err)
	}
	snap, err := db.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	ranges := [][2]string{{"", ""}, {"a", "b"}, {"\x00", "\x01"}, {"\x00asset\x00k1\x00", "\x00asset\x00k1\x00\U0010ffff"}, {"b", ""}, {"zz", ""}}
	for _, ns := range []string{"asset", "subject", "none"} {
		for _, rg := range ranges {
			got := drainKV(t, mustScan(t, snap, ns, rg[0], rg[1]))
			want := drainKV(t, mustScan(t, mem, ns, rg[0], rg[1]))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("RangeScan(%s, %q, %q):\n got %v\nwant %v", ns, rg[0], rg[1], got, want)
			}
			for _, kv := range want {
				g, _ := snap.GetState(ns, kv.Key)
				w, _ := mem.GetState(ns, kv.Key)
				if fmt.Sprint(g) != fmt.Sprint(w) {
					t.Fatalf("GetState(%s, %q) = %v, want %v", ns, kv.Key, g, w)
				}
			}
		}
		for _, key := range []string{"a", "ab", "b", "\x00asset\x00k1\x00", "\x00asset\x00k1\x00x\x00", "z", "missing"} {
			g, _ := snap.GetState(ns, key)
			w, _ := mem.GetState(ns, key)
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Fatalf("GetState(%s, %q) = %v, want %v", ns, key, g, w)
			}
			gh, _ := snap.History(ns, key)
			wh, _ := mem.History(ns, key)
			if got, want := drainHistory(t, gh), drainHistory(t, wh); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("History(%s, %q):\n got %v\nwant %v", ns, key, got, want)
			}
		}
	}
}

func mustScan(t *testing.T, s txsim.State, ns, start, end string) txsim.KVIterator {
	t.Helper()
	it, err := s.RangeScan(ns, start, end)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func TestDB_IndexKeepsFirstCommit(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "state.db"))
	w, _ := db.Begin()
	w.IndexTx("t1", TxLoc{BlockNum: 1, TxNum: 0, Code: peer.TxValidationCode_MVCC_READ_CONFLICT})
	w.IndexTx("t1", TxLoc{BlockNum: 1, TxNum: 3, Code: peer.TxValidationCode_DUPLICATE_TXID})
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	loc, ok, err := db.TxLoc("t1")
	if err != nil || !ok || loc != (TxLoc{BlockNum: 1, TxNum: 0, Code: peer.TxValidationCode_MVCC_READ_CONFLICT}) {
		t.Fatalf("TxLoc = %+v %v %v", loc, ok, err)
	}
	if _, ok, _ := db.TxLoc("t2"); ok {
		t.Fatal("unknown tx found")
	}
}

func TestDB_SnapshotIsolation(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "state.db"))
	r := rand.New(rand.NewPCG(3, 4))
	applyBlock(t, db, 0, []txsim.BlockTx{randomTx(r, 0, "a")})
	snap, _ := db.Snapshot()
	defer snap.Close()
	before := drainKV(t, mustScan(t, snap, "asset", "", ""))
	applyBlock(t, db, 1, []txsim.BlockTx{randomTx(r, 0, "b"), randomTx(r, 1, "c")})
	if after := drainKV(t, mustScan(t, snap, "asset", "", "")); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("snapshot changed after a commit")
	}
	if sp, _ := snap.Savepoint(); sp != 0 {
		t.Fatalf("snapshot savepoint %d, want 0", sp)
	}
}

func TestDB_SecondOpenIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	openDB(t, path)
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
}

func TestCompare_FindsDifference(t *testing.T) {
	dir := t.TempDir()
	a, b := openDB(t, filepath.Join(dir, "a")), openDB(t, filepath.Join(dir, "b"))
	r1, r2 := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
	tx1, tx2 := randomTx(r1, 0, "x"), randomTx(r2, 0, "x")
	tx2.Timestamp = tx1.Timestamp
	applyBlock(t, a, 0, []txsim.BlockTx{tx1})
	applyBlock(t, b, 0, []txsim.BlockTx{tx2})
	if _, err := Compare(a, b); err != nil {
		t.Fatalf("equal databases: %v", err)
	}
	tx3 := txsim.BlockTx{TxNum: 0, TxID: "y", RWSet: rwsetOf("asset", "extra", "v")}
	applyBlock(t, b, 1, []txsim.BlockTx{tx3})
	if _, err := Compare(a, b); !errors.Is(err, ErrDiffer) {
		t.Fatalf("Compare after extra write: %v, want ErrDiffer", err)
	}
}

func rwsetOf(ns, key, value string) *rwset.TxReadWriteSet {
	kv, _ := proto.Marshal(&kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: key, Value: []byte(value)}}})
	return &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{{Namespace: ns, Rwset: kv}}}
}

func TestDB_Meta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db := openDB(t, path)
	if v, err := db.Meta("boot"); err != nil || v != nil {
		t.Fatalf("Meta of a new database = %q %v", v, err)
	}
	if err := db.SetMeta(map[string][]byte{"boot": []byte("b1"), "clean": []byte("0")}); err != nil {
		t.Fatal(err)
	}
	if err := db.SetMeta(map[string][]byte{"savepoint": {1}}); err == nil {
		t.Fatal("SetMeta overwrote the savepoint")
	}
	db.Close()
	db = openDB(t, path)
	if v, _ := db.Meta("boot"); string(v) != "b1" {
		t.Fatalf("Meta after reopen = %q", v)
	}
	if _, ok, _ := db.Savepoint(); ok {
		t.Fatal("savepoint set by meta entries")
	}
}
