package loadtest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// Result is what a load run measured.
type Result struct {
	// Latencies of the calls that succeeded, in the order they ended per client.
	Latencies []time.Duration
	// Failed counts the calls that returned an error before the run ended;
	// Errors holds the first few of those errors.
	Failed int
	Errors []error
	// Elapsed is the wall time of the run.
	Elapsed time.Duration
}

// keptErrors is how many failures a Result keeps to show.
const keptErrors = 3

// cutShort is how close to the end of a run a failed call may have been cut
// short by it: gRPC sends the deadline to the server, which may answer
// DeadlineExceeded just before the client's own timer fires.
const cutShort = 100 * time.Millisecond

// Run runs op in a loop on clients goroutines for d: each client calls op
// again as soon as the previous call returns (a closed loop, as kaiban's
// workers do). Calls cut short by the end of the run (failing in its last
// 100 ms) are counted neither as successes nor as failures.
func Run(clients int, d time.Duration, op func(context.Context) error) Result {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	end, _ := ctx.Deadline()
	var mu sync.Mutex
	var res Result
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			var errs []error
			failed := 0
			for ctx.Err() == nil {
				t0 := time.Now()
				err := op(ctx)
				switch {
				case err == nil:
					mine = append(mine, time.Since(t0))
				case time.Until(end) > cutShort:
					failed++
					if len(errs) < keptErrors {
						errs = append(errs, err)
					}
				}
			}
			mu.Lock()
			res.Latencies = append(res.Latencies, mine...)
			res.Failed += failed
			res.Errors = append(res.Errors, errs[:min(len(errs), keptErrors-len(res.Errors))]...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	return res
}

// OpsPerSecond is the rate of successful calls.
func (r Result) OpsPerSecond() float64 {
	return float64(len(r.Latencies)) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which the fraction p (0 to 1) of the
// successful calls ended.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	lat := slices.Clone(r.Latencies)
	slices.Sort(lat)
	return lat[int(p*float64(len(lat)-1))]
}

// Report reports ops/s, p50-ms and p99-ms (and failed, when any call failed,
// with the first failures in the log) as metrics of b, and zero ns/op, which
// means nothing for a timed run. It fails b when no call succeeded.
func (r Result) Report(b *testing.B) {
	b.Helper()
	if len(r.Latencies) == 0 {
		b.Fatalf("no call succeeded (%d failed)", r.Failed)
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(r.OpsPerSecond(), "ops/s")
	b.ReportMetric(ms(r.Percentile(0.50)), "p50-ms")
	b.ReportMetric(ms(r.Percentile(0.99)), "p99-ms")
	if r.Failed > 0 {
		b.ReportMetric(float64(r.Failed), "failed")
		for _, err := range r.Errors {
			b.Logf("failed: %v", err)
		}
	}
	b.ReportMetric(0, "ns/op")
}
