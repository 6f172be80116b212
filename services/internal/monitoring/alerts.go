package monitoring

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/services/internal/messages"
)

// DefaultLimit is the page size of a list asked for with limit 0.
const DefaultLimit = 50

// Alert rules.
const (
	RuleNodeDown     = "node.down"      // a node's /healthz does not answer 200
	RuleFailureRate  = "chain.failures" // failed chain writes above the rate
	RuleAccessVolume = "access.volume"  // one accessor's content accesses above the volume
)

// Alert is one alert: open while ResolvedAt is nil.
type Alert struct {
	ID         int64      `json:"id"`
	Rule       string     `json:"rule"`
	Subject    string     `json:"subject"`
	Detail     string     `json:"detail"`
	Value      float64    `json:"value"`
	Threshold  float64    `json:"threshold"`
	RaisedAt   time.Time  `json:"raisedAt"`
	ResolvedAt *time.Time `json:"resolvedAt,omitempty"`
}

// firing is a rule's condition that holds now for a subject.
type firing struct {
	rule, subject, detail string
	value, threshold      float64
}

// Evaluate checks every rule once: it raises an alert for each condition
// that holds and has no open alert, and resolves the open alerts whose
// condition no longer holds. It returns the alerts raised.
func (s *Service) Evaluate(ctx context.Context) ([]Alert, error) {
	now := s.now()
	r := s.cfg.Rules
	var fire []firing

	nodes, err := s.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if !n.Up {
			fire = append(fire, firing{rule: RuleNodeDown, subject: n.Name, detail: fmt.Sprintf("node %s (%s) is down: %s", n.Name, n.Health, n.Error)})
		}
	}

	var failed, finished int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'failed'), count(*)
		FROM chain_outbox WHERE status IN ('done', 'failed') AND updated_at >= $1`, now.Add(-r.Window)).Scan(&failed, &finished); err != nil {
		return nil, fmt.Errorf("failure rate: %w", err)
	}
	if finished >= r.MinWrites && float64(failed)/float64(finished) > r.FailureRate {
		rate := float64(failed) / float64(finished)
		fire = append(fire, firing{rule: RuleFailureRate, subject: "chain", value: rate, threshold: r.FailureRate,
			detail: fmt.Sprintf("%d of %d chain writes failed in the last %s", failed, finished, r.Window)})
	}

	rows, err := s.pool.Query(ctx, `SELECT accessor, count(*) FROM ledger_access_records WHERE at >= $1
		GROUP BY 1 HAVING count(*) > $2 ORDER BY 2 DESC LIMIT 100`, now.Add(-r.Window), r.AccessVolume)
	if err != nil {
		return nil, fmt.Errorf("access volume: %w", err)
	}
	for rows.Next() {
		var who string
		var n int
		if err := rows.Scan(&who, &n); err != nil {
			rows.Close()
			return nil, err
		}
		fire = append(fire, firing{rule: RuleAccessVolume, subject: who, value: float64(n), threshold: float64(r.AccessVolume),
			detail: fmt.Sprintf("%s accessed asset content %d times in the last %s", who, n, r.Window)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	raised := []Alert{}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		rules, subjects := []string{}, []string{}
		for _, f := range fire {
			rules, subjects = append(rules, f.rule), append(subjects, f.subject)
			var a Alert
			err := tx.QueryRow(ctx, `INSERT INTO monitoring_alerts (rule, subject, detail, value, threshold, raised_at)
				VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule, subject) WHERE resolved_at IS NULL DO NOTHING
				RETURNING id, rule, subject, detail, value, threshold, raised_at`,
				f.rule, f.subject, f.detail, f.value, f.threshold, now).
				Scan(&a.ID, &a.Rule, &a.Subject, &a.Detail, &a.Value, &a.Threshold, &a.RaisedAt)
			if err == pgx.ErrNoRows {
				continue
			}
			if err != nil {
				return err
			}
			for _, to := range s.cfg.Notify {
				if _, err := messages.Send(ctx, tx, messages.Message{From: messages.System, To: to, Topic: "monitoring." + a.Rule,
					Title: "Alert: " + a.Rule + " " + a.Subject, Body: a.Detail, Ref: fmt.Sprintf("monitoring-alert/%d", a.ID),
					DedupKey: fmt.Sprintf("monitoring-alert/%d/%s", a.ID, to)}); err != nil {
					return err
				}
			}
			raised = append(raised, a)
		}
		_, err := tx.Exec(ctx, `UPDATE monitoring_alerts SET resolved_at = $3 WHERE resolved_at IS NULL
			AND (rule, subject) NOT IN (SELECT * FROM unnest($1::text[], $2::text[]))`, rules, subjects, now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store alerts: %w", err)
	}
	return raised, nil
}

// Alerts lists alerts, newest first; open restricts to unresolved ones.
func (s *Service) Alerts(ctx context.Context, open bool, before int64, limit int) ([]Alert, error) {
	if limit < 0 || limit > 200 || before < 0 {
		return nil, fmt.Errorf("%w: limit must be 1 to 200 and before an alert ID", ErrInvalid)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, rule, subject, detail, value, threshold, raised_at, resolved_at
		FROM monitoring_alerts WHERE (NOT $1 OR resolved_at IS NULL) AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, open, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		return a, r.Scan(&a.ID, &a.Rule, &a.Subject, &a.Detail, &a.Value, &a.Threshold, &a.RaisedAt, &a.ResolvedAt)
	})
}

// Queue is the River queue of monitoring's job.
const Queue = "monitoring"

// EvaluateArgs is the River job that runs Evaluate.
type EvaluateArgs struct{}

// Kind names the job.
func (EvaluateArgs) Kind() string { return "kaiban.monitoring.evaluate" }

// InsertOpts puts the job on Queue; overlapping runs are harmless (one
// open alert per rule and subject).
func (EvaluateArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// EvaluateWorker works EvaluateArgs.
type EvaluateWorker struct {
	river.WorkerDefaults[EvaluateArgs]
	s *Service
}

// Work evaluates the rules once.
func (w *EvaluateWorker) Work(ctx context.Context, _ *river.Job[EvaluateArgs]) error {
	_, err := w.s.Evaluate(ctx)
	return err
}

// Register adds monitoring's worker to workers.
func (s *Service) Register(workers *river.Workers) { river.AddWorker(workers, &EvaluateWorker{s: s}) }

// PeriodicEvaluate is the periodic job that evaluates every interval; add it
// to the working River client (client.PeriodicJobs().Add).
func PeriodicEvaluate(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return EvaluateArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
