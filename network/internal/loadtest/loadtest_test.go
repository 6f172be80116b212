package loadtest

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun_CountsSuccessesAndFailures(t *testing.T) {
	var calls, refused atomic.Int64
	res := Run(4, 300*time.Millisecond, func(ctx context.Context) error {
		time.Sleep(time.Millisecond)
		if calls.Add(1)%3 == 0 {
			refused.Add(1)
			return errors.New("refused")
		}
		return nil
	})
	if got, want := int64(len(res.Latencies)), calls.Load()-refused.Load(); got != want {
		t.Errorf("%d successes counted of %d", got, want)
	}
	// Failures in the run's last 100 ms may have been cut short by it and
	// are not counted.
	if res.Failed == 0 || int64(res.Failed) > refused.Load() {
		t.Errorf("%d failures counted of %d", res.Failed, refused.Load())
	}
	if len(res.Errors) != min(res.Failed, keptErrors) || res.Errors[0].Error() != "refused" {
		t.Errorf("kept errors %v of %d failures", res.Errors, res.Failed)
	}
	for _, d := range res.Latencies {
		if d < time.Millisecond {
			t.Fatalf("latency %s shorter than the call", d)
		}
	}
	if res.Elapsed < 300*time.Millisecond {
		t.Errorf("elapsed %s, want at least the run's duration", res.Elapsed)
	}
}

func TestRun_CallCutShortIsNoFailure(t *testing.T) {
	res := Run(2, 300*time.Millisecond, func(ctx context.Context) error {
		// As a server answering DeadlineExceeded a moment before the
		// client's timer fires.
		deadline, _ := ctx.Deadline()
		time.Sleep(time.Until(deadline) - 10*time.Millisecond)
		return context.DeadlineExceeded
	})
	if len(res.Latencies) != 0 || res.Failed != 0 {
		t.Errorf("%d successes, %d failures; want none", len(res.Latencies), res.Failed)
	}
}

func TestResult_Percentile(t *testing.T) {
	var r Result
	for i := 100; i >= 1; i-- {
		r.Latencies = append(r.Latencies, time.Duration(i)*time.Millisecond)
	}
	r.Elapsed = 2 * time.Second
	if p := r.Percentile(0.50); p != 50*time.Millisecond {
		t.Errorf("p50 = %s", p)
	}
	if p := r.Percentile(0.99); p != 99*time.Millisecond {
		t.Errorf("p99 = %s", p)
	}
	if r.Latencies[0] != 100*time.Millisecond {
		t.Error("Percentile reordered the latencies")
	}
	if got := r.OpsPerSecond(); got != 50 {
		t.Errorf("ops/s = %v", got)
	}
}

func TestProcessCPUAndPeakRSS_OfThisProcess(t *testing.T) {
	deadline := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(deadline) {
	}
	pid := os.Getpid()
	if ProcessCPU(pid) <= 0 || SelfCPU() <= 0 {
		t.Errorf("CPU of this process: /proc %s, getrusage %s", ProcessCPU(pid), SelfCPU())
	}
	if PeakRSS(pid) < 1<<20 {
		t.Errorf("peak RSS %d bytes", PeakRSS(pid))
	}
	if ProcessCPU(-1) != 0 || PeakRSS(-1) != 0 {
		t.Error("a missing process has CPU time or RSS")
	}
}
