package audit

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkAppend16Writers measures append throughput with 16 concurrent
// writers (GOMAXPROCS × parallelism ≥ 16 goroutines), three ways:
//   - batched: the writer goroutine appends whatever queued up in one
//     transaction (the production path);
//   - unbatched: the same writer, one row per transaction;
//   - direct-lock: no writer goroutine, every caller runs its own transaction
//     under the advisory lock (what several processes without batching do).
//
// go test ./internal/audit -run '^$' -bench Append16 -benchtime 3000x
func BenchmarkAppend16Writers(b *testing.B) {
	e := Entry{ActorKind: ActorUser, ActorID: "u-1", ActorName: "alice", Action: "POST /api/v1/things",
		Resource: "/api/v1/things", Result: ResultOK, Status: 201, Source: "10.0.0.1", RequestID: "r", Detail: `{"durationMs":3}`}
	run := func(b *testing.B, l *Log, appendOne func() error) {
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((16 + procs - 1) / procs)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := appendOne(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		if rep, err := l.Verify(context.Background(), nil); err != nil || !rep.OK || rep.Rows != uint64(b.N) {
			b.Fatalf("verify after benchmark: %d rows, %v, %v", rep.Rows, rep.Problems, err)
		}
	}
	for _, batch := range []int{512, 1} {
		name := "batched"
		if batch == 1 {
			name = "unbatched"
		}
		b.Run(name, func(b *testing.B) {
			l, _ := newLog(b, WithMaxBatch(batch))
			run(b, l, func() error { _, err := l.Append(context.Background(), e); return err })
		})
	}
	b.Run("direct-lock", func(b *testing.B) {
		l, _ := newLog(b)
		run(b, l, func() error {
			p := &pending{e: l.prepare(e)}
			if _, _, err := l.writeLocked(context.Background(), l.pool, newChainer(l.mac), []*pending{p}); err != nil {
				return fmt.Errorf("direct write: %w", err)
			}
			return nil
		})
	})
}
