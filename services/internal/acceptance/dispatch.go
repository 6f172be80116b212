package acceptance

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Dispatch pushes (7.6.1 automatic distribution; 7.7 "receive or pull"):
// when a step becomes ready, the Dispatcher POSTs a signed task.ready notice
// to its department's webhook (registry.Service.SetWebhook); the department
// system then reads and decides the task through the task API. A step is
// announced once; an endpoint that fails is retried with growing delays.
// Departments without a webhook pull (GET /api/v1/tasks).

// Headers of a notice.
const (
	HeaderEvent     = "X-Kaiban-Event"
	HeaderSignature = "X-Kaiban-Signature"
	EventTaskReady  = "task.ready"
)

// TaskNotice is the body of a task.ready push.
type TaskNotice struct {
	Event      string `json:"event"`
	Process    string `json:"process"`
	Step       string `json:"step"`
	Department string `json:"department"`
	Member     string `json:"member"`
	ReadyAt    string `json:"readyAt,omitempty"`
	Deadline   string `json:"deadline,omitempty"`
	// Task is the task API path of the step.
	Task string `json:"task"`
}

// SignNotice returns the X-Kaiban-Signature of a notice body: hex
// HMAC-SM3 under the key shared with the department systems.
func SignNotice(key, body []byte) string {
	return "hmac-sm3=" + hex.EncodeToString(gm.HMAC(key, body))
}

// Dispatcher pushes ready tasks to the departments' webhooks.
type Dispatcher struct {
	pool   *pgxpool.Pool
	key    []byte
	client *http.Client
	log    *slog.Logger
}

// NewDispatcher returns a dispatcher signing notices with key; client nil
// is a client with a 5 s timeout.
func NewDispatcher(pool *pgxpool.Pool, key []byte, client *http.Client, log *slog.Logger) *Dispatcher {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Dispatcher{pool: pool, key: key, client: client, log: log}
}

type pending struct {
	notice TaskNotice
	url    string
	tries  int
}

// Dispatch pushes every ready, unannounced step (and every retry that is
// due) once, and returns how many were delivered.
func (d *Dispatcher) Dispatch(ctx context.Context) (int, error) {
	rows, err := d.pool.Query(ctx, `SELECT s.process, s.step_key, r.code, s.department, r.webhook_url, s.record, coalesce(x.attempts, 0)
		FROM ledger_steps s
		JOIN ledger_processes p ON p.id = s.process
		JOIN registry_departments r ON r.member = s.department
		LEFT JOIN acceptance_dispatches x ON x.process = s.process AND x.step_key = s.step_key
		WHERE s.status = 'pending' AND s.ready AND p.status = 'running' AND r.webhook_url IS NOT NULL
		  AND (x.process IS NULL OR (x.status = 'retrying' AND x.next_at <= now()))
		ORDER BY s.deadline NULLS LAST LIMIT 200`)
	if err != nil {
		return 0, fmt.Errorf("dispatch: %w", err)
	}
	var todo []pending
	for rows.Next() {
		var p pending
		var record []byte
		if err := rows.Scan(&p.notice.Process, &p.notice.Step, &p.notice.Department, &p.notice.Member, &p.url, &record, &p.tries); err != nil {
			rows.Close()
			return 0, fmt.Errorf("dispatch: %w", err)
		}
		var st model.StepView
		if err := json.Unmarshal(record, &st); err == nil {
			p.notice.ReadyAt, p.notice.Deadline = st.ReadyAt, st.Deadline
		}
		p.notice.Event = EventTaskReady
		p.notice.Task = "/api/v1/tasks/" + p.notice.Process + "/" + p.notice.Step
		todo = append(todo, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	delivered := 0
	for _, p := range todo {
		perr := d.push(ctx, p)
		status, lastErr, delay := "delivered", "", time.Duration(0)
		if perr != nil {
			status, lastErr = "retrying", perr.Error()
			delay = min(time.Second<<min(p.tries, 8), 5*time.Minute)
			d.log.Warn("task push failed", "process", p.notice.Process, "step", p.notice.Step, "department", p.notice.Department, "error", lastErr)
		} else {
			delivered++
		}
		if _, err := d.pool.Exec(ctx, `INSERT INTO acceptance_dispatches (process, step_key, department, url, status, attempts, last_error, next_at, delivered_at)
			VALUES ($1, $2, $3, $4, $5, 1, $6, now() + make_interval(secs => $7), CASE WHEN $5 = 'delivered' THEN now() END)
			ON CONFLICT (process, step_key) DO UPDATE SET status = $5, attempts = acceptance_dispatches.attempts + 1, last_error = $6,
				url = $4, next_at = now() + make_interval(secs => $7), delivered_at = CASE WHEN $5 = 'delivered' THEN now() END`,
			p.notice.Process, p.notice.Step, p.notice.Department, p.url, status, lastErr, delay.Seconds()); err != nil {
			return delivered, fmt.Errorf("dispatch record: %w", err)
		}
	}
	return delivered, nil
}

func (d *Dispatcher) push(ctx context.Context, p pending) error {
	body, err := json.Marshal(p.notice)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEvent, EventTaskReady)
	req.Header.Set(HeaderSignature, SignNotice(d.key, body))
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("endpoint answered %s", resp.Status)
	}
	return nil
}

// Run dispatches every interval until ctx ends.
func (d *Dispatcher) Run(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := d.Dispatch(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("task dispatch", "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
