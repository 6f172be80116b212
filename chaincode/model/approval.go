package model

// Process statuses.
const (
	ProcessRunning   = "running"
	ProcessRejected  = "rejected"
	ProcessCompleted = "completed"
)

// Step statuses. A pending step is "waiting" while a step it depends on is
// undecided and "ready" after; StepView says which.
const (
	StepPending  = "pending"
	StepApproved = "approved"
	StepRejected = "rejected"
)

// Process is one enterprise-establishment application's process instance on
// chain (7.3 b, 7.6.6). Its steps are separate records so that departments
// working in parallel never write the same key.
type Process struct {
	ID               string   `json:"id"`
	Item             string   `json:"item"`
	DefinitionDigest string   `json:"definitionDigest"`
	Applicant        string   `json:"applicant"`
	Sponsor          string   `json:"sponsor"`
	StepKeys         []string `json:"stepKeys"`
	Status           string   `json:"status"`
	Note             string   `json:"note,omitempty" metadata:",optional"`
	CreatedAt        string   `json:"createdAt"`
	CreatedTx        string   `json:"createdTx"`
	UpdatedAt        string   `json:"updatedAt"`
	UpdatedTx        string   `json:"updatedTx"`
}

// StepPlan is one department step of a process definition: serial order comes
// from DependsOn, parallel branches share their dependencies.
type StepPlan struct {
	Key          string   `json:"key"`
	Department   string   `json:"department"`
	DependsOn    []string `json:"dependsOn,omitempty"`
	LimitSeconds int64    `json:"limitSeconds"`
}

// ProcessStart starts a process for an accepted application (7.5 d). Steps
// are in topological order: a step depends only on steps listed before it.
type ProcessStart struct {
	Application      string     `json:"application"`
	Item             string     `json:"item"`
	DefinitionDigest string     `json:"definitionDigest"`
	Applicant        string     `json:"applicant"`
	Steps            []StepPlan `json:"steps"`
}

// MaxSteps bounds a process definition.
const MaxSteps = 32

// Validate checks the start's fields and that the steps form a DAG.
func (p *ProcessStart) Validate() error {
	var c checks
	c.id("application", p.Application)
	c.id("item", p.Item)
	c.digest("definitionDigest", p.DefinitionDigest)
	c.hexID("applicant", p.Applicant)
	if len(p.Steps) == 0 || len(p.Steps) > MaxSteps {
		c.fail("a process needs 1 to %d steps", MaxSteps)
	}
	seen := make(map[string]bool, len(p.Steps))
	for _, s := range p.Steps {
		c.id("step key", s.Key)
		c.id("step department", s.Department)
		if seen[s.Key] {
			c.fail("step %q appears twice", s.Key)
		}
		for _, d := range s.DependsOn {
			if !seen[d] {
				c.fail("step %q depends on %q, which is not listed before it", s.Key, d)
			}
		}
		if s.LimitSeconds <= 0 || s.LimitSeconds > 366*24*3600 {
			c.fail("step %q needs a time limit between 1 second and a year", s.Key)
		}
		seen[s.Key] = true
	}
	return c.err
}

// Step is one department step of a process. ReadyAt, Deadline and Overdue are
// written when the step is decided; StepView computes them for pending steps.
type Step struct {
	Process          string   `json:"process"`
	Key              string   `json:"key"`
	Department       string   `json:"department"`
	DependsOn        []string `json:"dependsOn,omitempty" metadata:",optional"`
	LimitSeconds     int64    `json:"limitSeconds"`
	ExtensionSeconds int64    `json:"extensionSeconds"`
	Status           string   `json:"status"`
	ReadyAt          string   `json:"readyAt,omitempty" metadata:",optional"`
	Deadline         string   `json:"deadline,omitempty" metadata:",optional"`
	Overdue          bool     `json:"overdue"`
	Approver         string   `json:"approver,omitempty" metadata:",optional"`
	Opinion          string   `json:"opinion,omitempty" metadata:",optional"`
	Outputs          []string `json:"outputs,omitempty" metadata:",optional"`
	Signature        string   `json:"signature,omitempty" metadata:",optional"`
	Interventions    int      `json:"interventions"`
	DecidedAt        string   `json:"decidedAt,omitempty" metadata:",optional"`
	DecisionTx       string   `json:"decisionTx,omitempty" metadata:",optional"`
	UpdatedAt        string   `json:"updatedAt"`
	UpdatedTx        string   `json:"updatedTx"`
}

// StepView is a step as a query shows it: the stored record plus, while
// pending, whether it is ready and when it falls due.
type StepView struct {
	Step
	Ready bool `json:"ready"`
}

// StepDecision approves or rejects a step (审批), signed with the deciding
// department's SM2 key. Approver is the pseudonymous ID of the person who
// decided; Outputs lists the assets the step issued.
type StepDecision struct {
	Process  string   `json:"process"`
	Step     string   `json:"step"`
	Approve  bool     `json:"approve"`
	Approver string   `json:"approver"`
	Opinion  string   `json:"opinion"`
	Outputs  []string `json:"outputs,omitempty"`
}

// Validate checks the decision's fields.
func (d *StepDecision) Validate() error {
	var c checks
	c.id("process", d.Process)
	c.id("step", d.Step)
	c.id("approver", d.Approver)
	c.text("opinion", d.Opinion, true)
	if len(d.Outputs) > 16 {
		c.fail("at most 16 outputs")
	}
	for _, o := range d.Outputs {
		c.hexID("output", o)
	}
	return c.err
}

// Intervention actions (人工干预, 7.6.6).
const (
	InterveneExtend   = "extend"   // move the deadline
	InterveneReassign = "reassign" // hand the step to another department
	InterveneNote     = "note"     // record a supervision note or urging
	InterveneReopen   = "reopen"   // reopen a rejected step for a new decision
)

// Intervention is a manual intervention in a step, recorded with its reason.
type Intervention struct {
	ID            string `json:"id"`
	Process       string `json:"process"`
	Step          string `json:"step"`
	Action        string `json:"action"`
	Reason        string `json:"reason"`
	ExtendSeconds int64  `json:"extendSeconds,omitempty" metadata:",optional"`
	NewDepartment string `json:"newDepartment,omitempty" metadata:",optional"`
	By            string `json:"by"`
	User          string `json:"user"`
	At            string `json:"at"`
	TxID          string `json:"txId"`
}

// InterventionRequest intervenes in a step.
type InterventionRequest struct {
	Process       string `json:"process"`
	Step          string `json:"step"`
	Action        string `json:"action"`
	Reason        string `json:"reason"`
	ExtendSeconds int64  `json:"extendSeconds,omitempty"`
	NewDepartment string `json:"newDepartment,omitempty"`
}

// Validate checks the request's fields.
func (r *InterventionRequest) Validate() error {
	var c checks
	c.id("process", r.Process)
	c.id("step", r.Step)
	oneOf(&c, "action", r.Action, InterveneExtend, InterveneReassign, InterveneNote, InterveneReopen)
	c.text("reason", r.Reason, true)
	if (r.Action == InterveneExtend) != (r.ExtendSeconds > 0) || r.ExtendSeconds > 366*24*3600 {
		c.fail("extendSeconds (up to a year) is required for extend and only for extend")
	}
	if (r.Action == InterveneReassign) != (r.NewDepartment != "") {
		c.fail("newDepartment is required for reassign and only for reassign")
	}
	c.optionalID("newDepartment", r.NewDepartment)
	return c.err
}

// Bundle item statuses.
const (
	BundleIssued   = "issued"
	BundleRejected = "rejected"
	BundleSkipped  = "skipped"
)

// BundleItem is one result of a unified issuance.
type BundleItem struct {
	Step   string `json:"step"`
	Asset  string `json:"asset,omitempty" metadata:",optional"`
	Status string `json:"status"`
}

// Bundle is the unified issuance (统一出件, 7.6.7) of a process's results into
// the applicant's locker.
type Bundle struct {
	Process  string       `json:"process"`
	Owner    string       `json:"owner"`
	Items    []BundleItem `json:"items"`
	IssuedBy string       `json:"issuedBy"`
	At       string       `json:"at"`
	TxID     string       `json:"txId"`
}

// BundleIssue issues a process's bundle once every step is decided.
type BundleIssue struct {
	Process string       `json:"process"`
	Items   []BundleItem `json:"items"`
}

// Validate checks the issue's fields.
func (b *BundleIssue) Validate() error {
	var c checks
	c.id("process", b.Process)
	if len(b.Items) == 0 || len(b.Items) > MaxSteps {
		c.fail("a bundle needs 1 to %d items", MaxSteps)
	}
	for _, it := range b.Items {
		c.id("item step", it.Step)
		oneOf(&c, "item status", it.Status, BundleIssued, BundleRejected, BundleSkipped)
		if (it.Status == BundleIssued) != (it.Asset != "") {
			c.fail("item %q: an issued item names its asset, and only an issued one", it.Step)
		}
		if it.Asset != "" {
			c.hexID("item asset", it.Asset)
		}
	}
	return c.err
}

// ProcessView is a process with its steps and interventions, as a query
// shows it.
type ProcessView struct {
	Process       Process        `json:"process"`
	Steps         []StepView     `json:"steps"`
	Interventions []Intervention `json:"interventions"`
	Bundle        *Bundle        `json:"bundle,omitempty" metadata:",optional"`
}

// ProcessPage and StepPage are pages of a query.
type (
	ProcessPage struct {
		Items    []Process `json:"items"`
		Bookmark string    `json:"bookmark,omitempty" metadata:",optional"`
	}
	StepPage struct {
		Items    []StepView `json:"items"`
		Bookmark string     `json:"bookmark,omitempty" metadata:",optional"`
	}
)
