// Package departments simulates the seven department systems of an
// establishment (DB37/T 4431-2021 7.7: licence, seal, social security,
// medical insurance, housing fund, bank account, tax) for demos and tests.
// Each simulator is built only on the public SDK (services/sdk), exactly as
// a real department's system would be: it pulls its ready tasks, reads the
// materials granted to it, issues its result document into the applicant's
// locker and approves the step with it — after a configurable delay, or not
// at all in manual mode, where a person decides in the department workbench.
package departments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kaiban-platform/kaiban/services/sdk"
)

// Department describes one simulated department system.
type Department struct {
	// Code is the department's code (market, seal, social, medical,
	// housing-fund, bank, tax).
	Code string
	// Client is the SDK client, authenticated as the department's API
	// client.
	Client *sdk.Client
	// KeyPassword unlocks the department's SM2 key in custody, which signs
	// its documents and decisions.
	KeyPassword string
}

// Mode says whether a simulator decides by itself.
type Mode string

// Modes.
const (
	// Auto approves every ready task after Delay, with the department's
	// document as output.
	Auto Mode = "auto"
	// Manual only watches: a person decides in the department workbench.
	Manual Mode = "manual"
)

// Config tunes a simulator. The zero value approves at once, polling every
// 200 ms.
type Config struct {
	Mode Mode
	// Delay is how long an automatic decision waits after the task was
	// first seen ready.
	Delay time.Duration
	// Poll is the interval between task pulls (default 200 ms).
	Poll time.Duration
	// Reject, when set, decides which tasks an automatic simulator rejects
	// and with what opinion (a test's rejected step).
	Reject func(sdk.Task) (opinion string, reject bool)
	// Parallel is how many tasks a simulator works on at once (default 4),
	// as a department's several officers would.
	Parallel int
	// Logger receives one line per decision (default slog.Default()).
	Logger *slog.Logger
}

// Simulator is one department system.
type Simulator struct {
	dept Department
	kind string
	cfg  Config

	mu      sync.Mutex
	seen    map[string]time.Time // task key → first seen ready
	decided map[string]bool
	waiting map[string]sdk.Task // manual mode: tasks waiting for a person
}

// kinds maps a department to the document it issues.
var kinds = map[string]string{
	"market": sdk.KindLicence, "seal": sdk.KindSeal, "social": sdk.KindSocial, "medical": sdk.KindMedical,
	"housing-fund": sdk.KindHousingFund, "bank": sdk.KindBank, "tax": sdk.KindTax,
}

// Codes lists the seven departments in process order.
var Codes = []string{"market", "seal", "social", "medical", "housing-fund", "bank", "tax"}

// New returns the simulator of d.
func New(d Department, cfg Config) (*Simulator, error) {
	kind, ok := kinds[d.Code]
	if !ok {
		return nil, fmt.Errorf("departments: unknown department %q", d.Code)
	}
	if d.Client == nil {
		return nil, fmt.Errorf("departments: %s has no SDK client", d.Code)
	}
	if cfg.Mode == "" {
		cfg.Mode = Auto
	}
	if cfg.Mode != Auto && cfg.Mode != Manual {
		return nil, fmt.Errorf("departments: mode %q is neither auto nor manual", cfg.Mode)
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 200 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	return &Simulator{dept: d, kind: kind, cfg: cfg, seen: map[string]time.Time{}, decided: map[string]bool{},
		waiting: map[string]sdk.Task{}}, nil
}

// Run pulls and handles tasks until ctx ends. Errors of one pass are logged
// and the next pass retries.
func (s *Simulator) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.cfg.Logger.Warn("department simulator pass failed", "department", s.dept.Code, "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step makes one pass over the department's ready tasks and returns how
// many it decided.
func (s *Simulator) Step(ctx context.Context) (int, error) {
	decided := 0
	cursor := ""
	for {
		opts := []sdk.ListOption{sdk.ReadyOnly(), sdk.WithLimit(200)}
		if cursor != "" {
			opts = append(opts, sdk.WithCursor(cursor))
		}
		page, err := s.dept.Client.ListTasks(ctx, opts...)
		if err != nil {
			return decided, fmt.Errorf("%s: list tasks: %w", s.dept.Code, err)
		}
		var (
			mu   sync.Mutex
			errs []error
			wg   sync.WaitGroup
			sem  = make(chan struct{}, s.cfg.Parallel)
		)
		for _, t := range page.Items {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				ok, err := s.handle(ctx, t)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if ok {
					decided++
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return decided, err
		}
		if page.Next == "" {
			return decided, nil
		}
		cursor = page.Next
	}
}

// Waiting returns the tasks a manual simulator has seen and nobody has
// decided yet.
func (s *Simulator) Waiting() []sdk.Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sdk.Task, 0, len(s.waiting))
	for _, t := range s.waiting {
		out = append(out, t)
	}
	return out
}

func (s *Simulator) handle(ctx context.Context, t sdk.Task) (bool, error) {
	if t.Status != sdk.TaskPending || !t.Ready {
		return false, nil
	}
	key := t.Process + "/" + t.Step
	s.mu.Lock()
	first, seen := s.seen[key]
	if !seen {
		first = time.Now()
		s.seen[key] = first
	}
	done := s.decided[key]
	if s.cfg.Mode == Manual && !done {
		s.waiting[key] = t
	}
	s.mu.Unlock()
	if done || s.cfg.Mode == Manual || time.Since(first) < s.cfg.Delay {
		return false, nil
	}
	if err := s.decide(ctx, t); err != nil {
		return false, fmt.Errorf("%s: task %s: %w", s.dept.Code, key, err)
	}
	s.mu.Lock()
	s.decided[key] = true
	delete(s.seen, key)
	s.mu.Unlock()
	return true, nil
}

func (s *Simulator) decide(ctx context.Context, t sdk.Task) error {
	approver := "sim-" + s.dept.Code
	if s.cfg.Reject != nil {
		if opinion, reject := s.cfg.Reject(t); reject {
			_, err := s.dept.Client.Reject(ctx, t.Process, t.Step, approver, opinion, s.dept.KeyPassword)
			if err == nil {
				s.cfg.Logger.Info("department rejected", "department", s.dept.Code, "process", t.Process, "step", t.Step)
			}
			return ignoreDecided(err)
		}
	}
	form := s.readMaterials(ctx, t)
	req := sdk.DocumentRequest{Process: t.Process, Kind: s.kind, Password: s.dept.KeyPassword}
	if s.kind == sdk.KindLicence {
		req.Licence = licenceFor(t, form)
	} else {
		req.Results = resultsFor(s.dept.Code, t)
	}
	doc, err := s.dept.Client.IssueDocument(ctx, req)
	if err != nil {
		return fmt.Errorf("issue %s: %w", s.kind, err)
	}
	_, err = s.dept.Client.Approve(ctx, t.Process, t.Step, approver, "准予办理（模拟部门自动审批）", s.dept.KeyPassword, doc.Asset)
	if err = ignoreDecided(err); err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	s.cfg.Logger.Info("department approved", "department", s.dept.Code, "process", t.Process, "step", t.Step, "asset", doc.Asset)
	return nil
}

// ignoreDecided treats a decision the platform already has (another
// replica, or a person, decided first) as done.
func ignoreDecided(err error) error {
	if errors.Is(err, sdk.ErrState) || errors.Is(err, sdk.ErrConflict) {
		return nil
	}
	return err
}
