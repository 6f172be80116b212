package ledger

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// BenchmarkLedger_Commit measures the commit path: b.N transactions, each issuing one
// asset (a read of a missing key and a 400-byte write) signed by its creator and
// endorsed by `endorsers` organisations, broadcast at once and committed in blocks of
// `block`; it reports committed tx/s. With cached, the verifier knows the signatures
// already, as devnet's msp verifier remembers those its gateway verified and its
// peers made. cpu-µs/tx is the
// process CPU time per transaction, which bounds tx/s on idle cores;
// commit-ms/block the mean time from the start of a block's MVCC pass to the end of
// its state commit (block file fsync included). Building and signing the envelopes is not
// timed; validation (every signature verified), MVCC, the block file fsync and the
// state commit are.
func BenchmarkLedger_Commit(b *testing.B) {
	for _, bc := range []struct {
		block, endorsers int
		cached           bool
	}{{100, 2, false}, {500, 2, false}, {500, 5, false}, {500, 5, true}} {
		b.Run(fmt.Sprintf("block=%d/endorsers=%d/cached=%v", bc.block, bc.endorsers, bc.cached), func(b *testing.B) {
			n := newNetwork(b)
			n.remember = bc.cached
			var endorsers []*identity
			for i := range bc.endorsers {
				id := newIdentity(b, fmt.Sprintf("Org%dMSP", i+1))
				n.verifier.known[string(id.serialized)] = id
				endorsers = append(endorsers, id)
			}
			n.policy["asset"] = bc.endorsers
			cfg := n.config(b.TempDir())
			cfg.BatchSize, cfg.BatchTimeout = bc.block, 100*time.Millisecond
			var commits, commitTime atomic.Int64
			cfg.OnCommit = func(info CommitInfo) {
				commits.Add(1)
				commitTime.Add(int64(info.Commit))
			}
			l, err := Open(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			envs := make([]*common.Envelope, b.N)
			ids := make([]string, b.N)
			for i := range envs {
				key := fmt.Sprintf("\x00asset\x00A%09d\x00", i)
				envs[i], ids[i] = n.build(b, txSpec{endorsers: endorsers, rwset: rwsetOf(kv{ns: "asset",
					reads:  map[string]*txsim.Version{key: nil},
					writes: map[string]string{key: strings.Repeat("v", 400)},
				})})
			}
			start := l.Height()
			cpu := cpuTime()
			b.ResetTimer()
			go func() {
				for _, env := range envs {
					if err := l.Broadcast(env); err != nil {
						panic(err)
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			st, err := l.WaitForTx(ctx, ids[len(ids)-1])
			b.StopTimer()
			if err != nil || st.Code != peer.TxValidationCode_VALID {
				b.Fatalf("last tx: %+v %v", st, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/tx")
			if c := commits.Load(); c > 0 {
				b.ReportMetric(float64(commitTime.Load())/float64(c)/1e6, "commit-ms/block")
			}
			b.ReportMetric(float64(l.Height()-start)/b.Elapsed().Seconds(), "blocks/s")
		})
	}
}

// cpuTime returns the CPU time the process has used, user and system: on a machine
// shared with other work, CPU per transaction is steadier than wall-clock rates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerify measures Verify over a chain of 100-transaction blocks; it reports
// blocks/s.
func BenchmarkVerify(b *testing.B) {
	n := newNetwork(b)
	dir := b.TempDir()
	cfg := n.config(dir)
	cfg.BatchSize, cfg.BatchTimeout = 100, 50*time.Millisecond
	l, err := Open(cfg)
	if err != nil {
		b.Fatal(err)
	}
	var last string
	for i := range 5000 {
		key := fmt.Sprintf("k%06d", i)
		env, id := n.build(b, txSpec{rwset: writeSet("asset", map[string]string{key: strings.Repeat("v", 400)})})
		if err := l.Broadcast(env); err != nil {
			b.Fatal(err)
		}
		last = id
	}
	if _, err := l.WaitForTx(context.Background(), last); err != nil {
		b.Fatal(err)
	}
	l.Close()
	b.ResetTimer()
	var blocks uint64
	for range b.N {
		rep, err := Verify(dir)
		if err != nil {
			b.Fatal(err)
		}
		blocks += rep.Blocks
	}
	b.ReportMetric(float64(blocks)/b.Elapsed().Seconds(), "blocks/s")
}
