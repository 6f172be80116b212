package supervision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Timeline is one application's process as supervision shows it: each
// department step with when it became ready, when it was decided, how long it
// took against its limit, whether it ran over, and every manual intervention
// with its reason.
type Timeline struct {
	Process       model.Process        `json:"process"`
	Steps         []StepLine           `json:"steps"`
	Interventions []model.Intervention `json:"interventions"`
	Bundle        *model.Bundle        `json:"bundle,omitempty"`
	// BundleQueued says the process's bundle is enqueued for the chain
	// (issuance_bundles) but not yet on it: from then on the process can no
	// longer be reopened (reopen.go), though Bundle is still empty.
	BundleQueued bool `json:"bundleQueued,omitempty"`
	// Overdue counts the steps that ran or are running past their deadline.
	Overdue int `json:"overdue"`
	// AsOf is when durations of undecided steps were measured.
	AsOf time.Time `json:"asOf"`
}

// StepLine is one step of a timeline.
type StepLine struct {
	Key              string     `json:"key"`
	Department       string     `json:"department"`
	DependsOn        []string   `json:"dependsOn"`
	Status           string     `json:"status"`
	Ready            bool       `json:"ready"`
	ReadyAt          *time.Time `json:"readyAt,omitempty"`
	Deadline         *time.Time `json:"deadline,omitempty"`
	DecidedAt        *time.Time `json:"decidedAt,omitempty"`
	LimitSeconds     int64      `json:"limitSeconds"`
	ExtensionSeconds int64      `json:"extensionSeconds"`
	// DurationSeconds is from ready to decision, or to AsOf while undecided
	// (absent while the step waits for its dependencies).
	DurationSeconds *int64 `json:"durationSeconds,omitempty"`
	// OverdueOnChain is the chain's overdue mark (MarkOverdue or a late
	// decision); Late is whether the step ran past its deadline, including a
	// pending step whose mark has not reached the chain yet.
	OverdueOnChain bool   `json:"overdueOnChain"`
	Late           bool   `json:"late"`
	Approver       string `json:"approver,omitempty"`
	Opinion        string `json:"opinion,omitempty"`
	Interventions  int    `json:"interventions"`
	DecisionTx     string `json:"decisionTx,omitempty"`
}

func optTime(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := model.ParseTime(s)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// line computes a step's line at now.
func line(v model.StepView, now time.Time) (StepLine, error) {
	l := StepLine{
		Key: v.Key, Department: v.Department, DependsOn: v.DependsOn, Status: v.Status, Ready: v.Ready,
		LimitSeconds: v.LimitSeconds, ExtensionSeconds: v.ExtensionSeconds, OverdueOnChain: v.Overdue,
		Approver: v.Approver, Opinion: v.Opinion, Interventions: v.Interventions, DecisionTx: v.DecisionTx,
	}
	if l.DependsOn == nil {
		l.DependsOn = []string{}
	}
	var err error
	if l.ReadyAt, err = optTime(v.ReadyAt); err != nil {
		return l, fmt.Errorf("step %s readyAt: %w", v.Key, err)
	}
	if l.Deadline, err = optTime(v.Deadline); err != nil {
		return l, fmt.Errorf("step %s deadline: %w", v.Key, err)
	}
	if l.DecidedAt, err = optTime(v.DecidedAt); err != nil {
		return l, fmt.Errorf("step %s decidedAt: %w", v.Key, err)
	}
	end := now
	if l.DecidedAt != nil {
		end = *l.DecidedAt
	}
	if l.ReadyAt != nil && (l.DecidedAt != nil || v.Status == model.StepPending) {
		d := int64(end.Sub(*l.ReadyAt) / time.Second)
		l.DurationSeconds = &d
	}
	switch {
	case v.Overdue:
		l.Late = true
	case l.Deadline != nil && l.DecidedAt != nil:
		l.Late = l.DecidedAt.After(*l.Deadline)
	case l.Deadline != nil && v.Status == model.StepPending && v.Ready:
		l.Late = now.After(*l.Deadline)
	}
	return l, nil
}

// Timeline returns process id's timeline from the projection.
func (s *Service) Timeline(ctx context.Context, id string) (*Timeline, error) {
	if err := checkID("process", id); err != nil {
		return nil, err
	}
	var rec, bundle []byte
	var queued bool
	err := s.pool.QueryRow(ctx, `SELECT p.record, b.record,
			b.record IS NULL AND EXISTS (SELECT 1 FROM issuance_bundles q WHERE q.process = p.id)
		FROM ledger_processes p
		LEFT JOIN ledger_bundles b ON b.process = p.id WHERE p.id = $1`, id).Scan(&rec, &bundle, &queued)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("process %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: %w", id, err)
	}
	tl := &Timeline{Steps: []StepLine{}, Interventions: []model.Intervention{}, AsOf: s.now().UTC(), BundleQueued: queued}
	if err := json.Unmarshal(rec, &tl.Process); err != nil {
		return nil, fmt.Errorf("timeline of %s: process record: %w", id, err)
	}
	if bundle != nil {
		tl.Bundle = &model.Bundle{}
		if err := json.Unmarshal(bundle, tl.Bundle); err != nil {
			return nil, fmt.Errorf("timeline of %s: bundle record: %w", id, err)
		}
	}
	steps := map[string]model.StepView{}
	rows, err := s.pool.Query(ctx, `SELECT record FROM ledger_steps WHERE process = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: steps: %w", id, err)
	}
	for rows.Next() {
		var v model.StepView
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("timeline of %s: step record: %w", id, err)
		}
		steps[v.Key] = v
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The process lists its steps in the definition's (topological) order.
	for _, k := range tl.Process.StepKeys {
		v, ok := steps[k]
		if !ok {
			continue
		}
		l, err := line(v, tl.AsOf)
		if err != nil {
			return nil, fmt.Errorf("timeline of %s: %w", id, err)
		}
		if l.Late {
			tl.Overdue++
		}
		tl.Steps = append(tl.Steps, l)
	}
	rows, err = s.pool.Query(ctx, `SELECT record FROM ledger_interventions WHERE process = $1 ORDER BY at, id`, id)
	if err != nil {
		return nil, fmt.Errorf("timeline of %s: interventions: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var raw []byte
		var iv model.Intervention
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &iv); err != nil {
			return nil, fmt.Errorf("timeline of %s: intervention record: %w", id, err)
		}
		tl.Interventions = append(tl.Interventions, iv)
	}
	return tl, rows.Err()
}

// ProcessSummary is one process in a supervision list.
type ProcessSummary struct {
	ID        string    `json:"id"`
	Item      string    `json:"item"`
	Applicant string    `json:"applicant"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"createdAt"`
	Steps     int       `json:"steps"`
	Decided   int       `json:"decided"`
	Late      int       `json:"late"`
}

// ProcessFilter selects processes, newest first.
type ProcessFilter struct {
	Status string // running, rejected, completed; all when empty
	Late   bool   // only processes with a late step
	Before time.Time
	Limit  int
}

// Processes lists processes for the supervision dashboard.
func (s *Service) Processes(ctx context.Context, f ProcessFilter) ([]ProcessSummary, error) {
	switch f.Status {
	case "", model.ProcessRunning, model.ProcessRejected, model.ProcessCompleted:
	default:
		return nil, fmt.Errorf("%w: status %q is not running, rejected or completed", ErrInvalid, f.Status)
	}
	if f.Limit < 0 || f.Limit > 200 {
		return nil, fmt.Errorf("%w: limit must be 1 to 200", ErrInvalid)
	}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	var before *time.Time
	if !f.Before.IsZero() {
		before = &f.Before
	}
	rows, err := s.pool.Query(ctx, `
		SELECT p.id, p.item, p.applicant, p.status, p.created_at, count(st.step_key),
		       count(st.step_key) FILTER (WHERE st.status <> 'pending'),
		       count(st.step_key) FILTER (WHERE st.overdue OR (st.status = 'pending' AND st.ready AND st.deadline < $4))
		FROM ledger_processes p LEFT JOIN ledger_steps st ON st.process = p.id
		WHERE ($1 = '' OR p.status = $1) AND ($2::timestamptz IS NULL OR p.created_at < $2)
		GROUP BY p.id
		HAVING NOT $3 OR count(st.step_key) FILTER (WHERE st.overdue OR (st.status = 'pending' AND st.ready AND st.deadline < $4)) > 0
		ORDER BY p.created_at DESC, p.id LIMIT $5`, f.Status, before, f.Late, s.now(), f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ProcessSummary, error) {
		var p ProcessSummary
		err := r.Scan(&p.ID, &p.Item, &p.Applicant, &p.Status, &p.CreatedAt, &p.Steps, &p.Decided, &p.Late)
		return p, err
	})
}
