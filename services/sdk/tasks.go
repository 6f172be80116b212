package sdk

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Task statuses.
const (
	TaskPending  = "pending"
	TaskApproved = "approved"
	TaskRejected = "rejected"
	TaskSkipped  = "skipped"
)

// Task is one process step assigned to the department.
type Task struct {
	Process        string     `json:"process"`
	Step           string     `json:"step"`
	Department     string     `json:"department"`
	Member         string     `json:"member"`
	Status         string     `json:"status"`
	Ready          bool       `json:"ready"`
	Overdue        bool       `json:"overdue"`
	ReadyAt        *time.Time `json:"readyAt,omitempty"`
	Deadline       *time.Time `json:"deadline,omitempty"`
	LimitSeconds   int64      `json:"limitSeconds"`
	DependsOn      []string   `json:"dependsOn,omitempty"`
	Item           string     `json:"item"`
	Applicant      string     `json:"applicant"`
	EnterpriseName string     `json:"enterpriseName,omitempty"`
	EnterpriseType string     `json:"enterpriseType,omitempty"`
	Inputs         []string   `json:"inputs,omitempty"`
	// Outputs are the asset types the step is expected to issue.
	Outputs   []string   `json:"outputs,omitempty"`
	Pushed    []string   `json:"pushed,omitempty"`
	Materials []Material `json:"materials"`
	Opinion   string     `json:"opinion,omitempty"`
	DecidedAt *time.Time `json:"decidedAt,omitempty"`
	// DecisionOutputs are the assets the decision named.
	DecisionOutputs []string `json:"decisionOutputs,omitempty"`
}

// Material is an asset a task needs, and whether the department may read it.
type Material struct {
	Asset         string `json:"asset"`
	Type          string `json:"type"`
	Material      string `json:"material,omitempty"`
	Granted       bool   `json:"granted"`
	ContentDigest string `json:"contentDigest,omitempty"`
}

// MaterialContent is a granted material's plaintext.
type MaterialContent struct {
	Asset         string `json:"asset"`
	Type          string `json:"type"`
	ContentDigest string `json:"contentDigest"`
	Content       []byte `json:"content"`
}

// TaskPage is a page of tasks; Next, when set, is the cursor of the next.
type TaskPage struct {
	Items []Task `json:"items"`
	Next  string `json:"next,omitempty"`
}

// ListOption narrows ListTasks.
type ListOption func(url.Values)

// WithStatus lists tasks of one status (pending by default).
func WithStatus(status string) ListOption { return func(q url.Values) { q.Set("status", status) } }

// ReadyOnly lists only tasks whose dependencies are all approved.
func ReadyOnly() ListOption { return func(q url.Values) { q.Set("ready", "true") } }

// WithDepartment names the department (for staff; a department system's
// own is implied).
func WithDepartment(code string) ListOption { return func(q url.Values) { q.Set("department", code) } }

// WithLimit sets the page size (1-200).
func WithLimit(n int) ListOption { return func(q url.Values) { q.Set("limit", strconv.Itoa(n)) } }

// WithCursor continues from a page's Next.
func WithCursor(cursor string) ListOption { return func(q url.Values) { q.Set("cursor", cursor) } }

// ListTasks returns a page of the department's tasks, oldest deadline first.
func (c *Client) ListTasks(ctx context.Context, opts ...ListOption) (*TaskPage, error) {
	q := url.Values{}
	for _, o := range opts {
		o(q)
	}
	var p TaskPage
	if err := c.do(ctx, "listTasks", "GET", "/api/v1/tasks", q, nil, "", &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Task returns one task with its application summary and materials.
func (c *Client) Task(ctx context.Context, process, step string) (*Task, error) {
	var t Task
	if err := c.do(ctx, "getTask", "GET", taskPath(process, step), nil, nil, "", &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// ReadMaterial returns a granted material's content, decrypted with the
// department's key (unlocked in custody with password). The view is
// recorded on chain with reason. Without a grant it is ErrDenied.
func (c *Client) ReadMaterial(ctx context.Context, process, step, asset, password, reason string) (*MaterialContent, error) {
	var m MaterialContent
	body := map[string]string{"password": password, "reason": reason}
	if err := c.do(ctx, "readTaskMaterial", "POST", taskPath(process, step)+"/materials/"+url.PathEscape(asset), nil, body, "", &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// Decision approves or rejects a step (审批).
type Decision struct {
	Approve bool
	// Opinion is the department's reasoning (审批意见), 1-2000 characters.
	Opinion string
	// Approver is the pseudonymous ID of the person or rule that decided.
	Approver string
	// Outputs are the assets the step issued (IssueDocument's Asset).
	Outputs []string
	// Password unlocks the department's key in custody, which signs the
	// decision in the platform. Alternatively Signer signs it here, with
	// the department's SM2 key held by the department system.
	Password string
	Signer   func(msg []byte) ([]byte, error)
}

// DecisionReceipt is a decision queued for the chain.
type DecisionReceipt struct {
	Process string `json:"process"`
	Step    string `json:"step"`
	Approve bool   `json:"approve"`
	// Decision is the canonical model.StepDecision that was signed.
	Decision  string `json:"decision"`
	Signature string `json:"signature"`
	// Queued is the outbox key of the chain write.
	Queued string `json:"queued"`
}

// ActionDecideStep is what a department signs when it decides a step itself.
const ActionDecideStep = model.ChaincodeApproval + ".DecideStep"

// Decide approves or rejects a step. The decision is durable once Decide
// returns and reaches the chain exactly once; a step not pending or not
// ready is ErrState or ErrConflict.
func (c *Client) Decide(ctx context.Context, process, step string, d Decision) (*DecisionReceipt, error) {
	body := map[string]any{"approve": d.Approve, "opinion": d.Opinion, "approver": d.Approver}
	if len(d.Outputs) > 0 {
		body["outputs"] = d.Outputs
	}
	switch {
	case d.Signer != nil:
		canonical, err := model.Canonical(&model.StepDecision{Process: process, Step: step, Approve: d.Approve,
			Approver: d.Approver, Opinion: d.Opinion, Outputs: d.Outputs})
		if err != nil {
			return nil, fmt.Errorf("decideTask: %w", err)
		}
		sig, err := d.Signer(model.SigningMessage(ActionDecideStep, canonical))
		if err != nil {
			return nil, fmt.Errorf("decideTask: sign: %w", err)
		}
		body["signature"] = base64.StdEncoding.EncodeToString(sig)
	case d.Password != "":
		body["password"] = d.Password
	default:
		return nil, errors.New("decideTask: a decision needs the key password or a signer")
	}
	var r DecisionReceipt
	if err := c.do(ctx, "decideTask", "POST", taskPath(process, step)+"/decision", nil, body, "", &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Approve approves a step with opinion, naming the assets it issued.
func (c *Client) Approve(ctx context.Context, process, step, approver, opinion, password string, outputs ...string) (*DecisionReceipt, error) {
	return c.Decide(ctx, process, step, Decision{Approve: true, Opinion: opinion, Approver: approver, Outputs: outputs, Password: password})
}

// Reject rejects a step with opinion (the reason the applicant sees).
func (c *Client) Reject(ctx context.Context, process, step, approver, opinion, password string) (*DecisionReceipt, error) {
	return c.Decide(ctx, process, step, Decision{Approve: false, Opinion: opinion, Approver: approver, Password: password})
}

func taskPath(process, step string) string {
	return "/api/v1/tasks/" + url.PathEscape(process) + "/" + url.PathEscape(step)
}
