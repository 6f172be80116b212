package supervision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// DefaultLimit is the page size of a list asked for with limit 0.
const DefaultLimit = 50

// Queue is the River queue of supervision's jobs.
const Queue = "supervision"

// AlertOverdue is the kind of alert raised for a ready step past its deadline.
const AlertOverdue = "step.overdue"

// Alert is one supervision alert.
type Alert struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	Process    string     `json:"process"`
	Step       string     `json:"step"`
	Department string     `json:"department"`
	Deadline   *time.Time `json:"deadline,omitempty"`
	Detail     string     `json:"detail"`
	OutboxKey  string     `json:"outboxKey,omitempty"`
	RaisedAt   time.Time  `json:"raisedAt"`
}

// CheckOverdue finds the ready, undecided steps past their deadline that no
// alert covers yet (for that deadline) and, for each in one transaction:
// raises an alert, enqueues approval.MarkOverdue as the supervisor, and sends
// a message to the step's department and to the supervising member. It
// returns the alerts raised.
func (s *Service) CheckOverdue(ctx context.Context) ([]Alert, error) {
	if s.cfg.Supervisor == "" {
		return nil, fmt.Errorf("check overdue steps: no supervisor identity configured")
	}
	now := s.now()
	supervisor, _, _ := strings.Cut(s.cfg.Supervisor, "/")
	rows, err := s.pool.Query(ctx, `
		SELECT st.process, st.step_key, st.department, st.deadline FROM ledger_steps st
		WHERE st.status = 'pending' AND st.ready AND NOT st.overdue AND st.deadline < $1
		AND NOT EXISTS (SELECT 1 FROM supervision_alerts a
			WHERE a.kind = $2 AND a.process = st.process AND a.step_key = st.step_key AND a.deadline = st.deadline)
		ORDER BY st.deadline LIMIT 500`, now, AlertOverdue)
	if err != nil {
		return nil, fmt.Errorf("find overdue steps: %w", err)
	}
	due, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		a := Alert{Kind: AlertOverdue}
		return a, r.Scan(&a.Process, &a.Step, &a.Department, &a.Deadline)
	})
	if err != nil {
		return nil, fmt.Errorf("find overdue steps: %w", err)
	}
	raised := []Alert{}
	for _, a := range due {
		a.OutboxKey = fmt.Sprintf("supervision/overdue/%s/%s/%d", a.Process, a.Step, a.Deadline.UnixNano())
		a.Detail = fmt.Sprintf("step %s of %s (department %s) undecided past its deadline %s",
			a.Step, a.Process, a.Department, a.Deadline.UTC().Format(time.RFC3339))
		var fresh bool
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			err := tx.QueryRow(ctx, `INSERT INTO supervision_alerts (kind, process, step_key, department, deadline, detail, outbox_key)
				VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id, raised_at`,
				a.Kind, a.Process, a.Step, a.Department, a.Deadline, a.Detail, a.OutboxKey).Scan(&a.ID, &a.RaisedAt)
			if err == pgx.ErrNoRows {
				return nil // another run raised it
			}
			if err != nil {
				return err
			}
			fresh = true
			if _, err := s.ob.Enqueue(ctx, tx, outbox.Write{
				Key: a.OutboxKey, Identity: s.cfg.Supervisor, Chaincode: model.ChaincodeApproval,
				Function: "MarkOverdue", Args: []string{a.Process, a.Step},
			}); err != nil {
				return err
			}
			// The department that must act, and the supervising member's
			// mailbox (the supervision dashboard's live stream).
			to := []string{a.Department}
			if supervisor != "" && supervisor != a.Department {
				to = append(to, supervisor)
			}
			for _, to := range to {
				if _, err := messages.Send(ctx, tx, messages.Message{
					From: messages.System, To: messages.Address{Kind: messages.KindMember, ID: to},
					Topic: "supervision.overdue", Title: "Step overdue: " + a.Step, Body: a.Detail,
					Ref: a.Process + "/" + a.Step, DedupKey: a.OutboxKey + "/" + to,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return raised, fmt.Errorf("raise overdue alert for %s/%s: %w", a.Process, a.Step, err)
		}
		if fresh {
			raised = append(raised, a)
		}
	}
	return raised, nil
}

// Alerts lists alerts, newest first: kind filters when set, before pages.
func (s *Service) Alerts(ctx context.Context, kind string, before int64, limit int) ([]Alert, error) {
	if limit < 0 || limit > 200 || before < 0 {
		return nil, fmt.Errorf("%w: limit must be 1 to 200 and before an alert ID", ErrInvalid)
	}
	if limit == 0 {
		limit = DefaultLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT id, kind, process, step_key, department, deadline, detail, outbox_key, raised_at
		FROM supervision_alerts WHERE ($1 = '' OR kind = $1) AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3`, kind, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Alert, error) {
		var a Alert
		return a, r.Scan(&a.ID, &a.Kind, &a.Process, &a.Step, &a.Department, &a.Deadline, &a.Detail, &a.OutboxKey, &a.RaisedAt)
	})
}

// OverdueArgs is the River job that runs CheckOverdue.
type OverdueArgs struct{}

// Kind names the job.
func (OverdueArgs) Kind() string { return "kaiban.supervision.overdue" }

// InsertOpts puts the job on Queue. Two runs at once are harmless: an alert
// is raised once per step (its row is unique) with its chain write.
func (OverdueArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// OverdueWorker works OverdueArgs.
type OverdueWorker struct {
	river.WorkerDefaults[OverdueArgs]
	s *Service
}

// Work checks for overdue steps once.
func (w *OverdueWorker) Work(ctx context.Context, _ *river.Job[OverdueArgs]) error {
	_, err := w.s.CheckOverdue(ctx)
	return err
}

// Register adds supervision's workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &OverdueWorker{s: s})
}

// PeriodicOverdue is the periodic job that checks every interval; add it to
// the working River client (client.PeriodicJobs().Add).
func PeriodicOverdue(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return OverdueArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
