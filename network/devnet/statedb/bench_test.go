package statedb

import (
	"encoding/hex"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BenchmarkWriteTx_IssueBlock measures the state update of one block of 256
// asset issues as devnet's committer makes it (Apply, IndexTx, SetSavepoint,
// Commit), on a database that already holds 64 such blocks: per transaction
// an asset record of 1.4 KB under a random ID, its owner-index entry, both
// in history, and the transaction ID. It reports the process's CPU time per
// transaction.
func BenchmarkWriteTx_IssueBlock(b *testing.B) {
	const txs = 256
	db, err := Open(filepath.Join(b.TempDir(), "state.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := rand.New(rand.NewPCG(1, 2))
	value := []byte(strings.Repeat("a", 1400))
	owner := hex.EncodeToString(randomBytes(r, 16))
	block := func(num uint64) (*txsim.UpdateBatch, []string) {
		batch := &txsim.UpdateBatch{BlockNum: num}
		ids := make([]string, txs)
		ts := timestamppb.Now()
		for i := range txs {
			v := txsim.Version{BlockNum: num, TxNum: uint64(i)}
			ids[i] = hex.EncodeToString(randomBytes(r, 32))
			asset := hex.EncodeToString(randomBytes(r, 16))
			for _, kv := range []struct {
				key   string
				value []byte
			}{
				{"\x00asset\x00" + asset + "\x00", value},
				{"\x00asset~owner\x00" + owner + "\x00licence\x00" + asset + "\x00", []byte{0}},
			} {
				batch.Updates = append(batch.Updates, txsim.KeyUpdate{Namespace: "asset", Key: kv.key, Value: kv.value, Version: v})
				batch.History = append(batch.History, txsim.HistoryEntry{Namespace: "asset", Key: kv.key, Version: v, TxID: ids[i], Timestamp: ts, Value: kv.value})
			}
		}
		slices.SortFunc(batch.Updates, func(a, b txsim.KeyUpdate) int { return strings.Compare(a.Key, b.Key) })
		return batch, ids
	}
	commit := func(num uint64, batch *txsim.UpdateBatch, ids []string) {
		w, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		defer w.Rollback()
		if err := w.Apply(batch); err != nil {
			b.Fatal(err)
		}
		for i, id := range ids {
			if err := w.IndexTx(id, TxLoc{BlockNum: num, TxNum: uint64(i)}); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.SetSavepoint(num); err != nil {
			b.Fatal(err)
		}
		if err := w.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	var num uint64
	for range 64 {
		num++
		batch, ids := block(num)
		commit(num, batch, ids)
	}
	type prepared struct {
		batch *txsim.UpdateBatch
		ids   []string
	}
	blocks := make([]prepared, b.N)
	for i := range blocks {
		blocks[i].batch, blocks[i].ids = block(num + 1 + uint64(i))
	}
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		commit(num+1+uint64(i), blocks[i].batch, blocks[i].ids)
	}
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N*txs), "cpu-µs/tx")
	b.ReportMetric(0, "ns/op")
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func randomBytes(r *rand.Rand, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = byte(r.Uint32())
	}
	return out
}
