package establish

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// One runs establishment number i from application to bundle and returns
// how long that took.
type One func(ctx context.Context, i int) (time.Duration, error)

// Result is what a load run measured.
type Result struct {
	N, Concurrency int
	Failed         int
	Elapsed        time.Duration
	// PerMinute is completed establishments per minute of wall time.
	PerMinute float64
	// Mean, P50, P99 and Max are the application→bundle latencies of the
	// completed ones.
	Mean, P50, P99, Max time.Duration
	// FirstError is the first failure, if any.
	FirstError error
}

func (r Result) String() string {
	s := fmt.Sprintf("n=%d concurrency=%d: %.1f establishments/min, application→bundle mean %v p50 %v p99 %v max %v, wall %v",
		r.N, r.Concurrency, r.PerMinute, r.Mean.Round(time.Millisecond), r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond),
		r.Max.Round(time.Millisecond), r.Elapsed.Round(time.Millisecond))
	if r.Failed > 0 {
		s += fmt.Sprintf(", %d FAILED (first: %v)", r.Failed, r.FirstError)
	}
	return s
}

// Run runs n establishments with at most concurrency in flight at once and
// measures them. Failures are counted, not fatal.
func Run(ctx context.Context, n, concurrency int, one One) Result {
	r := Result{N: n, Concurrency: concurrency}
	var (
		mu   sync.Mutex
		lats []time.Duration
		wg   sync.WaitGroup
		sem  = make(chan struct{}, max(concurrency, 1))
	)
	start := time.Now()
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := one(ctx, i)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failed++
				if r.FirstError == nil {
					r.FirstError = err
				}
				return
			}
			lats = append(lats, d)
		}()
	}
	wg.Wait()
	r.Elapsed = time.Since(start)
	if len(lats) > 0 {
		slices.Sort(lats)
		var sum time.Duration
		for _, d := range lats {
			sum += d
		}
		r.Mean = sum / time.Duration(len(lats))
		r.P50, r.P99, r.Max = quantile(lats, 0.50), quantile(lats, 0.99), lats[len(lats)-1]
		r.PerMinute = float64(len(lats)) / r.Elapsed.Minutes()
	}
	return r
}

// quantile is the nearest-rank quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted)) + 0.999999)
	return sorted[min(max(i, 1), len(sorted))-1]
}

// Tracker learns which processes have their bundle from one source read
// every interval, so that many waiting establishments cost one read per
// interval instead of one each (the API also limits each client's rate).
type Tracker struct {
	source Completed
	every  time.Duration

	mu      sync.Mutex
	done    map[string]time.Time
	waiters map[string][]chan struct{}
	err     error
}

// Completed lists processes whose bundle is issued (it may list others
// too, and the same ones again).
type Completed func(ctx context.Context) ([]string, error)

// Track starts reading source every interval until ctx ends.
func Track(ctx context.Context, source Completed, every time.Duration) *Tracker {
	t := &Tracker{source: source, every: every, done: map[string]time.Time{}, waiters: map[string][]chan struct{}{}}
	go t.run(ctx)
	return t
}

func (t *Tracker) run(ctx context.Context) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	for {
		ids, err := t.source(ctx)
		now := time.Now()
		t.mu.Lock()
		t.err = err
		for _, id := range ids {
			if _, seen := t.done[id]; seen {
				continue
			}
			t.done[id] = now
			for _, w := range t.waiters[id] {
				close(w)
			}
			delete(t.waiters, id)
		}
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Wait blocks until process is completed and returns when the tracker saw
// it so (within one interval of the bundle's commit).
func (t *Tracker) Wait(ctx context.Context, process string) (time.Time, error) {
	t.mu.Lock()
	if at, ok := t.done[process]; ok {
		t.mu.Unlock()
		return at, nil
	}
	ch := make(chan struct{})
	t.waiters[process] = append(t.waiters[process], ch)
	t.mu.Unlock()
	select {
	case <-ch:
		t.mu.Lock()
		defer t.mu.Unlock()
		return t.done[process], nil
	case <-ctx.Done():
		t.mu.Lock()
		defer t.mu.Unlock()
		return time.Time{}, fmt.Errorf("process %s not completed: %w (tracker's last error: %v)", process, ctx.Err(), t.err)
	}
}

// SupervisorCompleted is the supervisor's list of completed processes
// (GET /api/v1/supervision/processes?status=completed), paged back to those
// created at since.
func SupervisorCompleted(sup *Client, since time.Time) Completed {
	return func(ctx context.Context) ([]string, error) {
		var ids []string
		cursor := ""
		for {
			path := "/api/v1/supervision/processes?status=" + model.ProcessCompleted + "&limit=200"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			var page api.SupervisedProcessList
			if err := sup.Call(ctx, http.MethodGet, path, nil, http.StatusOK, &page); err != nil {
				return ids, err
			}
			older := false
			for _, p := range page.Items {
				if p.CreatedAt.Before(since) {
					older = true
					continue
				}
				ids = append(ids, p.Id)
			}
			if older || page.Next == nil || *page.Next == "" || len(page.Items) == 0 {
				return ids, nil
			}
			cursor = *page.Next
		}
	}
}

// Establisher returns the One of a load run over REST: each establishment
// is one application of the whole establishment form for applicant (all
// seven departments), timed from the request to the tracker seeing its
// bundle; each waits at most timeout.
func Establisher(w *Window, t *Tracker, applicant string, timeout time.Duration) One {
	return func(ctx context.Context, _ int) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		start := time.Now()
		a, err := w.Apply(ctx, Form(applicant, AllServices...))
		if err != nil {
			return 0, err
		}
		at, err := t.Wait(ctx, a.Id)
		if err != nil {
			return 0, err
		}
		return at.Sub(start), nil
	}
}
