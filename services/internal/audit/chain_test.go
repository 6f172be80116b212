package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// canonicalRows are rows whose encoding has something to get wrong: empty
// fields, multi-byte text, a large sequence number, a zero status, a time
// outside UTC.
var canonicalRows = []struct {
	seq uint64
	e   Entry
}{
	{1, Entry{Time: time.Date(2026, 11, 25, 1, 2, 3, 456789000, time.UTC), ActorKind: ActorUser, ActorID: "u-1",
		ActorName: "alice", Action: "GET /api/v1/users/:userId", Resource: "/api/v1/users/1", Result: ResultOK,
		Status: 200, Source: "127.0.0.1", RequestID: "0123456789abcdef", Detail: `{"durationMs":0,"bytes":312}`}},
	{18446744073709551615, Entry{Time: time.Date(2026, 1, 1, 8, 0, 0, 1000, time.FixedZone("CST", 8*3600)),
		ActorKind: ActorSystem, ActorName: "管理员", Action: "identity.login", Result: ResultFailed}},
	{42, Entry{}},
}

// TestAppendCanonical_AsDocumented pins the row encoding the chain hashes
// — every field as a 4-byte big-endian length and its bytes, in order — so
// that rows written before a change of the encoder still verify.
func TestAppendCanonical_AsDocumented(t *testing.T) {
	for _, r := range canonicalRows {
		var want []byte
		for _, f := range []string{strconv.FormatUint(r.seq, 10), r.e.Time.UTC().Format(timeLayout),
			r.e.ActorKind, r.e.ActorID, r.e.ActorName, r.e.Action, r.e.Resource, r.e.Result,
			strconv.Itoa(r.e.Status), r.e.Source, r.e.RequestID, r.e.Detail} {
			want = binary.BigEndian.AppendUint32(want, uint32(len(f)))
			want = append(want, f...)
		}
		if got := appendCanonical([]byte("prefix"), r.seq, &r.e); !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Errorf("row %d:\n got %x\nwant %x", r.seq, got, want)
		}
	}
}

// TestChainer_AsChainHashAndRowMAC: the writer's reusing chainer computes,
// row after row, what verification recomputes from scratch.
func TestChainer_AsChainHashAndRowMAC(t *testing.T) {
	key := macKey(testKey)
	c := newChainer(key)
	prev := genesis
	for _, r := range canonicalRows {
		h, mac, err := c.next(prev, r.seq, &r.e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := chainHash(prev, r.seq, &r.e)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := hex.DecodeString(prev)
		sum := gm.Sum(append(p, canonical(r.seq, &r.e)...))
		if h != want || h != hex.EncodeToString(sum[:]) {
			t.Fatalf("row %d: hash %s, chainHash %s", r.seq, h, want)
		}
		if mac != rowMAC(key, h) {
			t.Fatalf("row %d: MAC %s, rowMAC %s", r.seq, mac, rowMAC(key, h))
		}
		prev = h
	}
	if _, _, err := c.next("not hex", 1, &Entry{}); err == nil {
		t.Fatal("a malformed previous hash was accepted")
	}
}
