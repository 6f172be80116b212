package acceptance

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The task API of the department systems (7.7, 7.6.1 distribution): a
// department's queue is the projection of the approval chaincode's steps
// (ledger_steps, which approval.ListPendingSteps also serves on chain); a
// decision is signed with the department's SM2 key and reaches the chain
// through the outbox under the department's own identity.

// ActionDecideStep is what a department signs a decision for.
const ActionDecideStep = model.ChaincodeApproval + ".DecideStep"

// KeySigner signs and verifies with an owner's keys in custody (keys.Service).
type KeySigner interface {
	Sign(ctx context.Context, owner keys.Owner, password string, msg []byte) (keys.Signature, error)
	Verify(ctx context.Context, owner keys.Owner, msg, sig []byte) (keys.Key, error)
}

// MaterialViewer opens an asset's content for a grantee, recording the view
// on chain (locker.Service).
type MaterialViewer interface {
	View(ctx context.Context, in locker.ViewInput) (*locker.Content, error)
}

// ErrNoViewer is content asked of a process that has no locker.
var ErrNoViewer = errors.New("material content is not served by this process")

// TaskMaterial is a material of a task's application.
type TaskMaterial struct {
	Asset         string
	Type          string
	Material      string
	Granted       bool
	ContentDigest string
}

// Task is one step of a process as its department sees it.
type Task struct {
	model.StepView
	DepartmentCode string
	Item           string
	Applicant      string
	EnterpriseName string
	EnterpriseType string
	Inputs         []string
	Outputs        []string
	Pushed         []string
	// Information is what the step is pushed (7.5 c): the application's
	// data for each name of Pushed it holds, and "accumulated", the outputs
	// of the process's approved steps by step key.
	Information map[string]any
	Materials   []TaskMaterial
}

// TaskFilter selects a department's tasks.
type TaskFilter struct {
	Department string // department code
	Status     string // step status; default pending
	Ready      *bool
	Limit      int
	Cursor     string
}

func (s *Service) member(ctx context.Context, department string) (string, error) {
	m, err := s.cfg.Registry.Member(ctx, department)
	if errors.Is(err, registry.ErrNotFound) {
		return "", fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	return m, err
}

const taskColumns = `s.record, p.item, p.applicant, coalesce(a.name, '') AS name, coalesce(a.enterprise_type, '') AS enterprise_type`

func scanTask(row pgx.Row, dept string) (*Task, error) {
	t := &Task{DepartmentCode: dept}
	var record []byte
	if err := row.Scan(&record, &t.Item, &t.Applicant, &t.EnterpriseName, &t.EnterpriseType); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(record, &t.StepView); err != nil {
		return nil, fmt.Errorf("step record: %w", err)
	}
	return t, nil
}

// Tasks lists a department's tasks, the earliest deadline first (steps
// without one, not ready yet, last); pending ones only of running processes.
func (s *Service) Tasks(ctx context.Context, f TaskFilter) ([]*Task, string, error) {
	m, err := s.member(ctx, f.Department)
	if err != nil {
		return nil, "", err
	}
	if f.Status == "" {
		f.Status = model.StepPending
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	after, err := parseTaskCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	// due is the deadline in microseconds, the largest bigint without one.
	rows, err := s.cfg.Pool.Query(ctx, `SELECT record, item, applicant, name, enterprise_type, due FROM (
			SELECT `+taskColumns+`, s.process, s.step_key,
				coalesce((extract(epoch FROM s.deadline) * 1000000)::bigint, 9223372036854775807) AS due
			FROM ledger_steps s
			JOIN ledger_processes p ON p.id = s.process
			LEFT JOIN acceptance_applications a ON a.id = s.process
			WHERE s.department = $1 AND s.status = $2 AND ($2 <> 'pending' OR p.status = 'running')
			  AND ($3::boolean IS NULL OR s.ready = $3)) q
		WHERE (due, process, step_key) > ($4, $5, $6)
		ORDER BY due, process, step_key LIMIT $7`,
		m, f.Status, f.Ready, after.due, after.process, after.step, f.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("tasks of %s: %w", f.Department, err)
	}
	defer rows.Close()
	var out []*Task
	var last taskCursor
	for rows.Next() {
		t := &Task{DepartmentCode: f.Department}
		var record []byte
		var due int64
		if err := rows.Scan(&record, &t.Item, &t.Applicant, &t.EnterpriseName, &t.EnterpriseType, &due); err != nil {
			return nil, "", fmt.Errorf("tasks of %s: %w", f.Department, err)
		}
		if err := json.Unmarshal(record, &t.StepView); err != nil {
			return nil, "", fmt.Errorf("tasks of %s: %w", f.Department, err)
		}
		if len(out) == f.Limit {
			return out, last.String(), nil
		}
		out = append(out, t)
		last = taskCursor{due: due, process: t.Process, step: t.Key}
	}
	return out, "", rows.Err()
}

// taskCursor is the position of a task in the list order.
type taskCursor struct {
	due           int64
	process, step string
}

func (c taskCursor) String() string {
	return strconv.FormatInt(c.due, 10) + "/" + c.process + "/" + c.step
}

// ErrCursor is a cursor the task list did not return.
var ErrCursor = registry.FieldErrors{{Field: "cursor", Detail: "not a cursor this list returned"}}

func parseTaskCursor(s string) (taskCursor, error) {
	if s == "" {
		return taskCursor{due: -1 << 63}, nil
	}
	parts := strings.Split(s, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return taskCursor{}, ErrCursor
	}
	due, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return taskCursor{}, ErrCursor
	}
	return taskCursor{due: due, process: parts[1], step: parts[2]}, nil
}

// task reads one step and checks it is department's.
func (s *Service) task(ctx context.Context, department, process, step string) (*Task, string, error) {
	m, err := s.member(ctx, department)
	if err != nil {
		return nil, "", err
	}
	t, err := scanTask(s.cfg.Pool.QueryRow(ctx, `SELECT `+taskColumns+` FROM ledger_steps s
		JOIN ledger_processes p ON p.id = s.process
		LEFT JOIN acceptance_applications a ON a.id = s.process
		WHERE s.process = $1 AND s.step_key = $2`, process, step), department)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, "", fmt.Errorf("%w: task %s/%s", ErrNotFound, process, step)
	}
	if err != nil {
		return nil, "", fmt.Errorf("task %s/%s: %w", process, step, err)
	}
	if t.Department != m {
		return nil, "", fmt.Errorf("%w: task %s/%s belongs to %s", ErrForbidden, process, step, t.Department)
	}
	return t, m, nil
}

// Task returns one of department's tasks with what its definition says the
// step reads, issues and is pushed, and the application's materials that the
// department needs, each with whether it holds a grant.
func (s *Service) Task(ctx context.Context, department, process, step string) (*Task, error) {
	t, m, err := s.task(ctx, department, process, step)
	if err != nil {
		return nil, err
	}
	var version int
	var materials []byte
	err = s.cfg.Pool.QueryRow(ctx, `SELECT definition_version, materials FROM acceptance_applications WHERE id = $1`, process).Scan(&version, &materials)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, nil // started elsewhere: the chain's step is all there is
	}
	if err != nil {
		return nil, fmt.Errorf("task %s/%s: %w", process, step, err)
	}
	if def, err := s.cfg.Registry.Version(ctx, t.Item, version); err == nil {
		for _, st := range def.Steps {
			if st.Key == step {
				t.Inputs, t.Outputs, t.Pushed = st.Inputs, st.Outputs, st.Pushed
			}
		}
	}
	if err := s.pushInformation(ctx, t); err != nil {
		return nil, err
	}
	var ms []Material
	if err := json.Unmarshal(materials, &ms); err != nil {
		return nil, fmt.Errorf("task %s/%s materials: %w", process, step, err)
	}
	for _, mat := range ms {
		needed := false
		for _, d := range mat.Departments {
			needed = needed || d == department
		}
		if !needed {
			continue
		}
		g, err := s.grantOf(ctx, mat.Asset, m)
		if err != nil {
			return nil, err
		}
		tm := TaskMaterial{Asset: mat.Asset, Type: mat.Type, Material: mat.Material, Granted: g != ""}
		_ = s.cfg.Pool.QueryRow(ctx, `SELECT coalesce(record->>'contentDigest', '') FROM ledger_assets WHERE id = $1`, mat.Asset).Scan(&tm.ContentDigest)
		t.Materials = append(t.Materials, tm)
	}
	return t, nil
}

// pushInformation fills t.Information from the application (personal data
// masked) and the outputs of the process's approved steps.
func (s *Service) pushInformation(ctx context.Context, t *Task) error {
	a, err := s.Get(ctx, t.Process)
	if err != nil {
		return err
	}
	f := a.Form
	basics := map[string]any{"name": f.Name, "enterpriseType": f.EnterpriseType, "registeredCapital": f.RegisteredCapital,
		"address": f.Address, "businessScope": f.BusinessScope}
	info := map[string]any{}
	for _, name := range t.Pushed {
		switch name {
		case "enterprise-basics":
			info[name] = basics
		case "application-form":
			info[name] = map[string]any{"enterprise": basics, "services": f.Services, "shareholders": f.Shareholders}
		case "legal-representative":
			info[name] = f.LegalRepresentative
		}
	}
	rows, err := s.cfg.Pool.Query(ctx, `SELECT step_key, coalesce(record->'outputs', '[]') FROM ledger_steps
		WHERE process = $1 AND status = 'approved' ORDER BY step_key`, t.Process)
	if err != nil {
		return fmt.Errorf("accumulated information of %s: %w", t.Process, err)
	}
	defer rows.Close()
	acc := map[string][]string{}
	for rows.Next() {
		var key string
		var outputs []string
		if err := rows.Scan(&key, &outputs); err != nil {
			return fmt.Errorf("accumulated information of %s: %w", t.Process, err)
		}
		acc[key] = outputs
	}
	if err := rows.Err(); err != nil {
		return err
	}
	info["accumulated"] = acc
	t.Information = info
	return nil
}

// ReadMaterial returns the content of an asset of the task's applicant that
// the department holds a grant for, opened with the department key's
// password; the view is recorded on chain with its reason (locker.View).
func (s *Service) ReadMaterial(ctx context.Context, department, process, step, asset, password, reason string) (*locker.Content, error) {
	t, m, err := s.task(ctx, department, process, step)
	if err != nil {
		return nil, err
	}
	var owner string
	err = s.cfg.Pool.QueryRow(ctx, `SELECT owner FROM ledger_assets WHERE id = $1`, asset).Scan(&owner)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && owner != t.Applicant) {
		return nil, fmt.Errorf("%w: asset %s is not a material of %s", ErrNotFound, asset, process)
	}
	if err != nil {
		return nil, fmt.Errorf("asset %s: %w", asset, err)
	}
	g, err := s.grantOf(ctx, asset, m)
	if err != nil {
		return nil, err
	}
	if g == "" {
		return nil, fmt.Errorf("%w: %s holds no active grant of asset %s; the applicant grants it from its locker", ErrForbidden, m, asset)
	}
	if s.cfg.Viewer == nil {
		return nil, ErrNoViewer
	}
	return s.cfg.Viewer.View(ctx, locker.ViewInput{Asset: asset, Accessor: locker.Accessor{Member: m, Password: password}, Reason: reason, Grant: g})
}

// DecisionInput is a department's decision on its step. Either Password
// unlocks the department's key in custody to sign, or Signature is the
// department system's own base64 SM2 signature over
// model.SigningMessage(ActionDecideStep, canonical decision).
type DecisionInput struct {
	Approve   bool
	Opinion   string
	Approver  string
	Outputs   []string
	Password  string
	Signature string
}

// Decision is a signed decision queued for the chain.
type Decision struct {
	model.StepDecision
	Canonical string
	Signature string
	Queued    string
}

// DecisionWriteKey is the outbox key of a step's decision.
func DecisionWriteKey(process, step string) string {
	return "task/" + process + "/" + step + "/decision"
}

// Decide signs department's decision on a pending, ready step and queues
// approval.DecideStep under the department's chain identity. The same
// decision again is answered as before; another one is ErrConflict.
func (s *Service) Decide(ctx context.Context, department, process, step string, in DecisionInput) (*Decision, error) {
	var e registry.FieldErrors
	if strings.TrimSpace(in.Opinion) == "" {
		e.Add("/opinion", "is required")
	}
	if (in.Password == "") == (in.Signature == "") {
		e.Add("/password", "give either password (sign in custody) or signature (signed by the department system)")
	}
	for i, o := range in.Outputs {
		if !hexID.MatchString(o) {
			e.Add(fmt.Sprintf("/outputs/%d", i), "must be an asset ID (32 lower-case hex digits)")
		}
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	t, m, err := s.task(ctx, department, process, step)
	if err != nil {
		return nil, err
	}
	for i, o := range in.Outputs {
		var owner string
		err := s.cfg.Pool.QueryRow(ctx, `SELECT owner FROM ledger_assets WHERE id = $1`, o).Scan(&owner)
		if err == nil && owner != t.Applicant {
			e.Add(fmt.Sprintf("/outputs/%d", i), "asset %s is not the applicant's", o)
		} else if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("output %s: %w", o, err)
		}
	}
	if err := e.Err(); err != nil {
		return nil, err
	}
	d := model.StepDecision{Process: process, Step: step, Approve: in.Approve, Approver: in.Approver, Opinion: in.Opinion, Outputs: in.Outputs}
	if err := d.Validate(); err != nil {
		return nil, registry.FieldErrors{{Field: "/", Detail: err.Error()}}
	}
	canonical, err := model.Canonical(&d)
	if err != nil {
		return nil, err
	}
	key := DecisionWriteKey(process, step)
	prior, err := s.priorDecision(ctx, key)
	if err != nil {
		return nil, err
	}
	switch {
	case prior == nil:
	case prior.status == outbox.StatusFailed:
		// The chain refused it for good (an output not the applicant's,
		// say): the department decides again under the next key.
		key = fmt.Sprintf("%s/%d", DecisionWriteKey(process, step), prior.n+1)
	case prior.args[0] != string(canonical):
		return nil, fmt.Errorf("%w: step %s/%s was decided differently", ErrConflict, process, step)
	default:
		// SM2 signatures are randomised: the same decision again is
		// answered with the one already queued, never signed anew.
		return &Decision{StepDecision: d, Canonical: prior.args[0], Signature: prior.args[1], Queued: prior.key}, nil
	}
	if t.Status != model.StepPending {
		return nil, fmt.Errorf("%w: step %s/%s is %s", ErrState, process, step, t.Status)
	}
	if !t.Ready {
		return nil, fmt.Errorf("%w: step %s/%s waits for %s", ErrState, process, step, strings.Join(t.DependsOn, ", "))
	}
	owner := keys.Owner{Kind: keys.KindDepartment, ID: m}
	msg := model.SigningMessage(ActionDecideStep, canonical)
	var sig string
	if in.Signature != "" {
		raw, err := base64.StdEncoding.DecodeString(in.Signature)
		if err != nil {
			return nil, registry.FieldErrors{{Field: "/signature", Detail: "must be base64"}}
		}
		if _, err := s.cfg.Keys.Verify(ctx, owner, msg, raw); err != nil {
			return nil, fmt.Errorf("decision of %s/%s: %w", process, step, err)
		}
		sig = in.Signature
	} else {
		sg, err := s.cfg.Keys.Sign(ctx, owner, in.Password, msg)
		if err != nil {
			return nil, fmt.Errorf("sign decision of %s/%s: %w", process, step, err)
		}
		sig = keys.EncodeSignature(sg.Value)
	}
	// A decision naming outputs follows the issue of the first on its
	// asset's lane (the one issuance and the locker use): the chain refuses
	// a decision whose outputs do not exist yet, and waiting in the lane
	// costs no failed endorsements and no retry backoff.
	lane := ""
	if len(d.Outputs) > 0 {
		lane = "asset/" + d.Outputs[0]
	}
	err = pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error {
		_, err := s.cfg.Outbox.Enqueue(ctx, tx, outbox.Write{
			Key: key, Identity: m, Chaincode: model.ChaincodeApproval, Function: "DecideStep",
			Args: []string{string(canonical), sig}, Lane: lane,
		})
		return err
	})
	if errors.Is(err, outbox.ErrKeyReused) {
		return nil, fmt.Errorf("%w: step %s/%s was decided differently", ErrConflict, process, step)
	}
	if err != nil {
		return nil, fmt.Errorf("queue decision of %s/%s: %w", process, step, err)
	}
	return &Decision{StepDecision: d, Canonical: string(canonical), Signature: sig, Queued: key}, nil
}

// queuedDecision is the latest decision write of a step.
type queuedDecision struct {
	key    string
	n      int // 1 for DecisionWriteKey, n for its "/n" successors
	args   []string
	status outbox.Status
}

// priorDecision returns the latest decision queued for a step under base or
// its numbered successors, or nil.
func (s *Service) priorDecision(ctx context.Context, base string) (*queuedDecision, error) {
	q := &queuedDecision{}
	err := s.cfg.Pool.QueryRow(ctx, `SELECT key, args, status FROM chain_outbox WHERE key = $1 OR key LIKE $1 || '/%'
		ORDER BY id DESC LIMIT 1`, base).Scan(&q.key, &q.args, &q.status)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("outbox %s: %w", base, err)
	}
	if len(q.args) != 2 {
		return nil, fmt.Errorf("outbox %s: %d arguments", q.key, len(q.args))
	}
	q.n = 1
	if suffix, ok := strings.CutPrefix(q.key, base+"/"); ok {
		if q.n, err = strconv.Atoi(suffix); err != nil {
			return nil, fmt.Errorf("outbox %s: %w", q.key, err)
		}
	}
	return q, nil
}
