// Package acceptance is comprehensive window acceptance (综合受理, 7.6.1): the
// one establishment form, its validation, the applicant's on-chain materials
// pulled from its locker (7.1 c), and the start of the process on chain from
// the item's current definition and the chosen follow-up services, which puts
// each step in its department's task queue; and the task API through which
// the department systems (7.7) work those queues (tasks.go).
package acceptance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// Sentinel errors callers branch on; invalid input is a registry.FieldErrors
// (registry.ErrInvalid).
var (
	ErrNotFound = errors.New("not found")
	// ErrNoLocker is an applicant without an active subject on chain.
	ErrNoLocker = errors.New("the applicant has no active locker")
	// ErrState is a task not in a state for the request (decided, not ready).
	ErrState = errors.New("the task is not in a state for this")
	// ErrForbidden is a department acting on another department's task or
	// reading an asset it holds no grant for.
	ErrForbidden = errors.New("not the department's to do")
	// ErrConflict is a different decision for a step already decided here.
	ErrConflict = errors.New("the step has another decision")
)

// Enqueuer queues a chain write in the caller's transaction (outbox.Outbox).
type Enqueuer interface {
	Enqueue(ctx context.Context, tx pgx.Tx, w outbox.Write) (int64, error)
}

// Config wires the service.
type Config struct {
	Pool     *pgxpool.Pool
	Registry *registry.Service
	Outbox   Enqueuer
	PII      *pii.Protector
	// Clerk is the chain identity that starts processes: an identity with
	// the role clerk, e.g. "OperatorMSP/clerk".
	Clerk string
	// Keys signs the departments' decisions (tasks.go).
	Keys KeySigner
	// Viewer serves granted materials to departments; nil answers
	// ErrNoViewer.
	Viewer MaterialViewer
}

// Service accepts applications.
type Service struct {
	cfg Config
}

// New returns the acceptance service.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Registry == nil || cfg.Outbox == nil || cfg.PII == nil || cfg.Clerk == "" || cfg.Keys == nil {
		return nil, errors.New("acceptance: pool, registry, outbox, pii, keys and clerk are required")
	}
	return &Service{cfg: cfg}, nil
}

// Material is an asset of the applicant's locker attached to an application
// as a reference (7.1 c), with the departments that need it. Grant says how
// the departments get to read it: "granted" when every one of them holds an
// active grant, else "requested": acceptance queues an access request
// (authorization.RequestAccess) for each department without one, which the
// applicant answers from its locker with a grant — only the owner's unlock
// password can grant — and which the locker's reminders chase (7.6.2 d).
type Material struct {
	Asset       string   `json:"asset"`
	Type        string   `json:"type"`
	Material    string   `json:"material"`
	Departments []string `json:"departments"`
	Grant       string   `json:"grant"`
	// Requested are the members (MSP IDs) an access request was queued for.
	Requested []string `json:"requested,omitempty"`
}

// Grant states of a material.
const (
	MaterialGranted   = "granted"
	MaterialRequested = "requested"
)

// RequestDue is how long the applicant has to answer a department's access
// request before the locker's reminders escalate.
const RequestDue = 24 * time.Hour

// AccessRequestWriteKey is the outbox key of the access request of member
// for asset queued with an application.
func AccessRequestWriteKey(application, asset, member string) string {
	return "application/" + application + "/access/" + asset + "/" + member
}

// PlannedStep is one chain step of the application's process with its
// department code.
type PlannedStep struct {
	model.StepPlan
	DepartmentCode string `json:"departmentCode"`
}

// Application is an accepted application; personal data masked.
type Application struct {
	ID                string
	Item              string
	DefinitionVersion int
	DefinitionDigest  string
	Form              Form
	Steps             []PlannedStep
	Materials         []Material
	StartWrite        string
	ProcessStatus     string
	// StartStatus is the outbox status of StartProcess (outbox.Status).
	StartStatus string
	// StartError is why StartProcess failed, when it did.
	StartError string
	AcceptedBy string
	CreatedAt  time.Time
}

// Status is "started" once the chain's process is projected, "failed" when
// the chain refused StartProcess for good, else "accepted".
func (a *Application) Status() string {
	switch {
	case a.ProcessStatus != "":
		return "started"
	case a.StartStatus == string(outbox.StatusFailed):
		return "failed"
	default:
		return "accepted"
	}
}

func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// StartWriteKey is the outbox key of an application's StartProcess.
func StartWriteKey(application string) string { return "application/" + application + "/start-process" }

// Accept validates the form, plans the process from the item's current
// definition and the chosen services, attaches the applicant's on-chain
// materials, stores the application (personal data sealed) and enqueues
// approval.StartProcess under the clerk identity in the same transaction.
func (s *Service) Accept(ctx context.Context, f Form, acceptedBy string) (*Application, error) {
	if f.Item == "" {
		f.Item = registry.EstablishmentItem
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	def, err := s.cfg.Registry.Version(ctx, f.Item, 0)
	if err != nil {
		return nil, err
	}
	members, err := s.cfg.Registry.Departments(ctx)
	if err != nil {
		return nil, err
	}
	plan, err := def.Plan(f.Services, func(d string) (string, bool) { m, ok := members[d]; return m, ok })
	if err != nil {
		return nil, err
	}
	var status string
	err = s.cfg.Pool.QueryRow(ctx, `SELECT status FROM ledger_subjects WHERE id = $1`, f.Applicant).Scan(&status)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && status != model.StatusActive) {
		return nil, fmt.Errorf("%w: subject %s (open and approve a locker first)", ErrNoLocker, f.Applicant)
	}
	if err != nil {
		return nil, fmt.Errorf("applicant %s: %w", f.Applicant, err)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	steps := make([]PlannedStep, len(plan))
	codeOf := map[string]string{}
	for code, m := range members {
		codeOf[m] = code
	}
	inPlan := map[string]bool{}
	for i, p := range plan {
		steps[i] = PlannedStep{StepPlan: p, DepartmentCode: codeOf[p.Department]}
		inPlan[codeOf[p.Department]] = true
	}
	item, err := s.cfg.Registry.Item(ctx, f.Item)
	if err != nil {
		return nil, err
	}
	materials, err := s.pullMaterials(ctx, f.Applicant, item.Materials, inPlan, members)
	if err != nil {
		return nil, err
	}
	start := model.ProcessStart{Application: id, Item: f.Item, DefinitionDigest: def.Digest, Applicant: f.Applicant, Steps: plan}
	if err := start.Validate(); err != nil {
		return nil, fmt.Errorf("process start of %s: %w", id, err)
	}
	canonical, err := model.Canonical(&start)
	if err != nil {
		return nil, err
	}
	a := &Application{ID: id, Item: f.Item, DefinitionVersion: def.Version, DefinitionDigest: def.Digest, Form: f,
		Steps: steps, Materials: materials, StartWrite: StartWriteKey(id), AcceptedBy: acceptedBy}
	if err := s.insert(ctx, a, string(canonical)); err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// pullMaterials finds, for each material of the item that an asset type
// satisfies and a planned department needs, the applicant's newest available
// asset of that type in the projection of the chain.
func (s *Service) pullMaterials(ctx context.Context, applicant string, ms []registry.Material, inPlan map[string]bool, members map[string]string) ([]Material, error) {
	out := []Material{}
	for _, m := range ms {
		if m.AssetType == "" {
			continue
		}
		var depts []string
		for _, d := range m.Departments {
			if inPlan[d] {
				depts = append(depts, d)
			}
		}
		if len(depts) == 0 {
			continue
		}
		var asset string
		err := s.cfg.Pool.QueryRow(ctx, `SELECT id FROM ledger_assets WHERE owner = $1 AND type = $2 AND status = 'available'
			ORDER BY created_at DESC, id LIMIT 1`, applicant, m.AssetType).Scan(&asset)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("materials of %s: %w", applicant, err)
		}
		mat := Material{Asset: asset, Type: m.AssetType, Material: m.Code, Departments: depts, Grant: MaterialGranted}
		for _, d := range depts {
			ok, err := s.granted(ctx, asset, members[d])
			if err != nil {
				return nil, err
			}
			if !ok {
				mat.Grant = MaterialRequested
				mat.Requested = append(mat.Requested, members[d])
			}
		}
		out = append(out, mat)
	}
	return out, nil
}

// granted reports whether member holds an active, unexpired grant of asset,
// and returns nothing else: callers that need the grant use grantOf.
func (s *Service) granted(ctx context.Context, asset, member string) (bool, error) {
	g, err := s.grantOf(ctx, asset, member)
	return g != "", err
}

func (s *Service) grantOf(ctx context.Context, asset, member string) (string, error) {
	var id string
	err := s.cfg.Pool.QueryRow(ctx, `SELECT id FROM ledger_grants WHERE asset = $1 AND grantee = $2 AND status = 'active'
		AND expires_at > now() ORDER BY expires_at DESC LIMIT 1`, asset, member).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("grant of %s to %s: %w", asset, member, err)
	}
	return id, nil
}

func (s *Service) insert(ctx context.Context, a *Application, canonical string) error {
	f := a.Form
	p := s.cfg.PII
	seal := func(field, v string) ([]byte, error) { return p.Seal("acceptance_applications."+field, a.ID, v) }
	repName, err := seal("legal_rep_name", f.LegalRepresentative.Name)
	if err != nil {
		return err
	}
	repID, err := seal("legal_rep_id", f.LegalRepresentative.IDNumber)
	if err != nil {
		return err
	}
	var repPhone []byte
	if f.LegalRepresentative.Phone != "" {
		if repPhone, err = seal("legal_rep_phone", f.LegalRepresentative.Phone); err != nil {
			return err
		}
	}
	holders, err := json.Marshal(f.Shareholders)
	if err != nil {
		return err
	}
	sealedHolders, err := seal("shareholders", string(holders))
	if err != nil {
		return err
	}
	address, _ := json.Marshal(f.Address)
	steps, _ := json.Marshal(a.Steps)
	materials, _ := json.Marshal(a.Materials)
	services := f.Services
	if services == nil {
		services = []string{}
	}
	return pgx.BeginFunc(ctx, s.cfg.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO acceptance_applications (id, item, definition_version, definition_digest, applicant,
			name, enterprise_type, registered_capital, address, business_scope, legal_rep_name, legal_rep_id, legal_rep_id_index,
			legal_rep_phone, shareholders, services, steps, materials, start_write, accepted_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)`,
			a.ID, a.Item, a.DefinitionVersion, a.DefinitionDigest, f.Applicant, f.Name, f.EnterpriseType, f.RegisteredCapital,
			address, f.BusinessScope, repName, repID, p.Index("legal_rep_id", f.LegalRepresentative.IDNumber), repPhone,
			sealedHolders, services, steps, materials, a.StartWrite, a.AcceptedBy); err != nil {
			return fmt.Errorf("store application %s: %w", a.ID, err)
		}
		if _, err := s.cfg.Outbox.Enqueue(ctx, tx, outbox.Write{
			Key: a.StartWrite, Identity: s.cfg.Clerk, Chaincode: model.ChaincodeApproval,
			Function: "StartProcess", Args: []string{canonical}, Lane: "process/" + a.ID,
		}); err != nil {
			return fmt.Errorf("enqueue start of %s: %w", a.ID, err)
		}
		return s.requestAccess(ctx, tx, a)
	})
}

// requestAccess queues, in the application's transaction, an access request
// of each department that needs a material it holds no grant for.
func (s *Service) requestAccess(ctx context.Context, tx pgx.Tx, a *Application) error {
	due := time.Now().Add(RequestDue).UTC().Format(time.RFC3339)
	for _, m := range a.Materials {
		for _, member := range m.Requested {
			nonce, err := newID()
			if err != nil {
				return err
			}
			c := model.AccessRequestCreation{Asset: m.Asset, Requester: member, Kind: model.KindAuthorization, Scope: model.ScopeView,
				Purpose: "企业开办 " + a.Form.Name + "（" + m.Material + "）, application " + a.ID, DueAt: due, Nonce: nonce}
			if err := c.Validate(); err != nil {
				return fmt.Errorf("access request for %s: %w", m.Asset, err)
			}
			canonical, err := model.Canonical(&c)
			if err != nil {
				return err
			}
			if _, err := s.cfg.Outbox.Enqueue(ctx, tx, outbox.Write{
				Key: AccessRequestWriteKey(a.ID, m.Asset, member), Identity: member, Chaincode: model.ChaincodeAuthorization,
				Function: "RequestAccess", Args: []string{string(canonical), ""},
			}); err != nil {
				return fmt.Errorf("enqueue access request for %s: %w", m.Asset, err)
			}
		}
	}
	return nil
}

const applicationColumns = `a.id, a.item, a.definition_version, a.definition_digest, a.applicant, a.name, a.enterprise_type,
	a.registered_capital::text, a.address, a.business_scope, a.legal_rep_name, a.legal_rep_id, a.legal_rep_phone, a.shareholders,
	a.services, a.steps, a.materials, a.start_write, a.accepted_by, a.created_at, coalesce(p.status, ''), coalesce(o.status, ''), coalesce(o.last_error, '')`

func (s *Service) scan(row pgx.Row) (*Application, error) {
	var a Application
	var address, steps, materials, repName, repID, repPhone, holders []byte
	f := &a.Form
	if err := row.Scan(&a.ID, &a.Item, &a.DefinitionVersion, &a.DefinitionDigest, &f.Applicant, &f.Name, &f.EnterpriseType,
		&f.RegisteredCapital, &address, &f.BusinessScope, &repName, &repID, &repPhone, &holders, &f.Services, &steps, &materials,
		&a.StartWrite, &a.AcceptedBy, &a.CreatedAt, &a.ProcessStatus, &a.StartStatus, &a.StartError); err != nil {
		return nil, err
	}
	f.Item = a.Item
	for _, u := range []struct {
		b []byte
		v any
	}{{address, &f.Address}, {steps, &a.Steps}, {materials, &a.Materials}} {
		if err := json.Unmarshal(u.b, u.v); err != nil {
			return nil, fmt.Errorf("application %s: %w", a.ID, err)
		}
	}
	open := func(field string, b []byte) (string, error) {
		if b == nil {
			return "", nil
		}
		return s.cfg.PII.Open("acceptance_applications."+field, a.ID, b)
	}
	var err error
	rep := &f.LegalRepresentative
	if rep.Name, err = open("legal_rep_name", repName); err != nil {
		return nil, err
	}
	if rep.IDNumber, err = open("legal_rep_id", repID); err != nil {
		return nil, err
	}
	if rep.Phone, err = open("legal_rep_phone", repPhone); err != nil {
		return nil, err
	}
	hs, err := open("shareholders", holders)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(hs), &f.Shareholders); err != nil {
		return nil, fmt.Errorf("application %s shareholders: %w", a.ID, err)
	}
	// Personal data leaves the service masked (GB/T 35273).
	rep.Name, rep.IDNumber, rep.Phone = pii.MaskName(rep.Name), pii.MaskIDNumber(rep.IDNumber), pii.MaskPhone(rep.Phone)
	for i := range f.Shareholders {
		if h := &f.Shareholders[i]; h.Kind == HolderPerson {
			h.Name, h.IDNumber = pii.MaskName(h.Name), pii.MaskIDNumber(h.IDNumber)
		}
	}
	return &a, nil
}

// Get returns an application, personal data masked.
func (s *Service) Get(ctx context.Context, id string) (*Application, error) {
	a, err := s.scan(s.cfg.Pool.QueryRow(ctx, `SELECT `+applicationColumns+` FROM acceptance_applications a
		LEFT JOIN ledger_processes p ON p.id = a.id LEFT JOIN chain_outbox o ON o.key = a.start_write WHERE a.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: application %q", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("application %s: %w", id, err)
	}
	return a, nil
}

// List returns up to limit applications, newest first, after cursor (the
// ID of the last one of the previous page).
func (s *Service) List(ctx context.Context, limit int, cursor string) ([]*Application, string, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if cursor != "" {
		var n int
		if err := s.cfg.Pool.QueryRow(ctx, `SELECT count(*) FROM acceptance_applications WHERE id = $1`, cursor).Scan(&n); err != nil {
			return nil, "", fmt.Errorf("list applications: %w", err)
		}
		if n == 0 {
			return nil, "", ErrCursor
		}
	}
	rows, err := s.cfg.Pool.Query(ctx, `SELECT `+applicationColumns+` FROM acceptance_applications a
		LEFT JOIN ledger_processes p ON p.id = a.id LEFT JOIN chain_outbox o ON o.key = a.start_write
		WHERE $1 = '' OR (a.created_at, a.id) < (SELECT created_at, id FROM acceptance_applications WHERE id = $1)
		ORDER BY a.created_at DESC, a.id DESC LIMIT $2`, cursor, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list applications: %w", err)
	}
	defer rows.Close()
	var out []*Application
	for rows.Next() {
		a, err := s.scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list applications: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return slices.Clip(out), next, nil
}
