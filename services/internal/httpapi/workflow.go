package httpapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The workflow operations (api-spec blocks `# --- registry ---` and
// `# --- acceptance ---`): the item list and process definitions, the task API
// of department systems, and window acceptance. Field problems of the domain
// (registry.FieldErrors) become the problem's `errors`, one per field.

// Workflow wires the workflow services; a nil one answers its operations
// with 503.
type Workflow struct {
	Registry   *registry.Service
	Acceptance *acceptance.Service
}

// errWorkflowOff is the answer of a process that does not run the workflow
// services.
var errWorkflowOff = errors.New("the workflow services do not run in this process")

func (s *Server) registrySvc() (*registry.Service, error) {
	if s.workflow.Registry == nil {
		return nil, errWorkflowOff
	}
	return s.workflow.Registry, nil
}

func (s *Server) acceptanceSvc() (*acceptance.Service, error) {
	if s.workflow.Acceptance == nil {
		return nil, errWorkflowOff
	}
	return s.workflow.Acceptance, nil
}

// fieldProblems turns a domain's field errors into the contract's.
func fieldProblems(err error) error {
	var fe registry.FieldErrors
	if !errors.As(err, &fe) {
		return err
	}
	out := make([]api.FieldError, len(fe))
	for i, f := range fe {
		in := api.Body // a JSON pointer into the body; else a query parameter
		if !strings.HasPrefix(f.Field, "/") {
			in = api.Query
		}
		out[i] = api.FieldError{In: in, Field: f.Field, Detail: f.Detail}
	}
	return &ValidationError{Fields: out}
}

func ptr[T any](v T) *T { return &v }

func optSlice[T any](v []T) *[]T {
	if len(v) == 0 {
		return nil
	}
	return &v
}

func optString(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func orEmpty[T any](p *[]T) []T {
	if p == nil {
		return nil
	}
	return *p
}

func codes(p *[]api.RegistryCode) []string {
	var out []string
	for _, c := range orEmpty(p) {
		out = append(out, string(c))
	}
	return out
}

func itemOut(it registry.Item) api.Item {
	ms := make([]api.ItemMaterial, len(it.Materials))
	for i, m := range it.Materials {
		var depts *[]api.RegistryCode
		if len(m.Departments) > 0 {
			d := make([]api.RegistryCode, len(m.Departments))
			for j, c := range m.Departments {
				d[j] = api.RegistryCode(c)
			}
			depts = &d
		}
		ms[i] = api.ItemMaterial{Code: api.RegistryCode(m.Code), Name: m.Name, Required: m.Required, AssetType: optString(m.AssetType), Departments: depts}
	}
	out := api.Item{Code: api.RegistryCode(it.Code), Name: it.Name, Kind: api.ItemKind(it.Kind), Department: api.RegistryCode(it.Department),
		LegalBasis: it.LegalBasis, TimeLimitDays: it.TimeLimitDays, Materials: ms, UpdatedAt: it.UpdatedAt}
	if it.CurrentVersion > 0 {
		out.CurrentVersion = ptr(it.CurrentVersion)
	}
	return out
}

func stepOut(st registry.Step) api.DefinitionStep {
	var deps *[]api.RegistryCode
	if len(st.DependsOn) > 0 {
		d := make([]api.RegistryCode, len(st.DependsOn))
		for i, k := range st.DependsOn {
			d[i] = api.RegistryCode(k)
		}
		deps = &d
	}
	out := api.DefinitionStep{Key: api.RegistryCode(st.Key), Name: optString(st.Name), Department: api.RegistryCode(st.Department),
		DependsOn: deps, LimitSeconds: st.LimitSeconds, Inputs: optSlice(st.Inputs), Outputs: optSlice(st.Outputs),
		Shared: optSlice(st.Shared), Accumulated: optSlice(st.Accumulated), Pushed: optSlice(st.Pushed)}
	if st.Service != "" {
		out.Service = ptr(api.RegistryCode(st.Service))
	}
	return out
}

func definitionOut(v registry.Version) api.ProcessDefinition {
	steps := make([]api.DefinitionStep, len(v.Steps))
	for i, st := range v.Steps {
		steps[i] = stepOut(st)
	}
	return api.ProcessDefinition{Item: api.RegistryCode(v.Item), Version: v.Version, Digest: v.Digest, Steps: steps,
		Issuance: v.Issuance, CreatedAt: v.CreatedAt, CreatedBy: v.CreatedBy}
}

func actor(ctx context.Context) string {
	if p := Caller(ctx); p != nil {
		return p.Kind + ":" + p.ID
	}
	return "anonymous"
}

// ListItems returns the item list.
func (s *Server) ListItems(ctx context.Context, r api.ListItemsRequestObject) (api.ListItemsResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	items, err := reg.Items(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.Item, len(items))
	for i, it := range items {
		out[i] = itemOut(it)
	}
	return api.ListItems200JSONResponse{Items: out}, nil
}

// GetItem returns one item.
func (s *Server) GetItem(ctx context.Context, r api.GetItemRequestObject) (api.GetItemResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	it, err := reg.Item(ctx, string(r.ItemCode))
	if err != nil {
		return nil, err
	}
	return api.GetItem200JSONResponse(itemOut(it)), nil
}

// PutItem creates or updates an item.
func (s *Server) PutItem(ctx context.Context, r api.PutItemRequestObject) (api.PutItemResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	b := r.Body
	it := registry.Item{Code: string(r.ItemCode), Name: b.Name, Kind: string(b.Kind), Department: string(b.Department),
		LegalBasis: b.LegalBasis, TimeLimitDays: b.TimeLimitDays, Materials: make([]registry.Material, len(b.Materials))}
	for i, m := range b.Materials {
		it.Materials[i] = registry.Material{Code: string(m.Code), Name: m.Name, Required: m.Required, Departments: codes(m.Departments)}
		if m.AssetType != nil {
			it.Materials[i].AssetType = *m.AssetType
		}
	}
	got, err := reg.PutItem(ctx, it)
	if err != nil {
		return nil, fieldProblems(err)
	}
	return api.PutItem200JSONResponse(itemOut(got)), nil
}

// ListDefinitions returns an item's definition versions.
func (s *Server) ListDefinitions(ctx context.Context, r api.ListDefinitionsRequestObject) (api.ListDefinitionsResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	vs, err := reg.Versions(ctx, string(r.ItemCode))
	if err != nil {
		return nil, err
	}
	out := make([]api.ProcessDefinition, len(vs))
	for i, v := range vs {
		out[i] = definitionOut(v)
	}
	return api.ListDefinitions200JSONResponse{Items: out}, nil
}

// CreateDefinition stores a new definition version.
func (s *Server) CreateDefinition(ctx context.Context, r api.CreateDefinitionRequestObject) (api.CreateDefinitionResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	def := registry.Definition{Item: string(r.ItemCode), Steps: make([]registry.Step, len(r.Body.Steps))}
	if r.Body.Issuance != nil {
		def.Issuance = string(*r.Body.Issuance)
	}
	for i, st := range r.Body.Steps {
		def.Steps[i] = registry.Step{Key: string(st.Key), Department: string(st.Department), DependsOn: codes(st.DependsOn),
			LimitSeconds: st.LimitSeconds, Inputs: orEmpty(st.Inputs), Outputs: orEmpty(st.Outputs), Shared: orEmpty(st.Shared),
			Accumulated: orEmpty(st.Accumulated), Pushed: orEmpty(st.Pushed)}
		if st.Name != nil {
			def.Steps[i].Name = *st.Name
		}
		if st.Service != nil {
			def.Steps[i].Service = string(*st.Service)
		}
	}
	v, err := reg.Define(ctx, string(r.ItemCode), def, actor(ctx))
	if err != nil {
		return nil, fieldProblems(err)
	}
	return api.CreateDefinition201JSONResponse(definitionOut(v)), nil
}

// GetDefinition returns one definition version.
func (s *Server) GetDefinition(ctx context.Context, r api.GetDefinitionRequestObject) (api.GetDefinitionResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	v, err := reg.Version(ctx, string(r.ItemCode), r.Version)
	if err != nil {
		return nil, err
	}
	return api.GetDefinition200JSONResponse(definitionOut(v)), nil
}

// PutTaskWebhook sets where a department's ready tasks are pushed.
func (s *Server) PutTaskWebhook(ctx context.Context, r api.PutTaskWebhookRequestObject) (api.PutTaskWebhookResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	if err := reg.SetWebhook(ctx, string(r.DepartmentCode), r.Body.Url); err != nil {
		return nil, fieldProblems(err)
	}
	return api.PutTaskWebhook204Response{}, nil
}

// DeleteTaskWebhook stops pushing a department's tasks.
func (s *Server) DeleteTaskWebhook(ctx context.Context, r api.DeleteTaskWebhookRequestObject) (api.DeleteTaskWebhookResponseObject, error) {
	reg, err := s.registrySvc()
	if err != nil {
		return nil, err
	}
	if err := reg.SetWebhook(ctx, string(r.DepartmentCode), ""); err != nil {
		return nil, err
	}
	return api.DeleteTaskWebhook204Response{}, nil
}

// department is the department whose tasks the caller works: a department
// system's own; a person's own, or the one named when the person has none.
func department(ctx context.Context, named string) (string, error) {
	p := Caller(ctx)
	if p == nil {
		return "", ErrUnauthenticated
	}
	switch {
	case p.Kind == identity.KindClient || (p.Department != "" && named == ""):
		if named != "" && named != p.Department {
			return "", acceptance.ErrForbidden
		}
		return p.Department, nil
	case p.Department != "" && named != p.Department:
		return "", acceptance.ErrForbidden
	case named == "":
		return "", &ValidationError{Fields: []api.FieldError{{In: api.Query, Field: "department", Detail: "name the department whose tasks to list"}}}
	}
	return named, nil
}

func chainTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &t
}

func taskOut(t *acceptance.Task) api.Task {
	ms := make([]api.TaskMaterial, len(t.Materials))
	for i, m := range t.Materials {
		ms[i] = api.TaskMaterial{Asset: m.Asset, Type: m.Type, Material: optString(m.Material), Granted: m.Granted, ContentDigest: optString(m.ContentDigest)}
	}
	return api.Task{Process: t.Process, Step: t.Key, Department: t.DepartmentCode, Member: t.Department, Status: api.TaskStatus(t.Status),
		Ready: t.Ready, Overdue: t.Overdue, ReadyAt: chainTime(t.ReadyAt), Deadline: chainTime(t.Deadline), LimitSeconds: t.LimitSeconds,
		DependsOn: optSlice(t.DependsOn), Item: t.Item, Applicant: t.Applicant, EnterpriseName: optString(t.EnterpriseName),
		EnterpriseType: optString(t.EnterpriseType), Inputs: optSlice(t.Inputs), Outputs: optSlice(t.Outputs), Pushed: optSlice(t.Pushed),
		Materials: ms, Opinion: optString(t.Opinion), DecidedAt: chainTime(t.DecidedAt), DecisionOutputs: optSlice(t.StepView.Outputs)}
}

// ListTasks returns a department's tasks.
func (s *Server) ListTasks(ctx context.Context, r api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	p := r.Params
	named := ""
	if p.Department != nil {
		named = string(*p.Department)
	}
	dept, err := department(ctx, named)
	if err != nil {
		return nil, err
	}
	f := acceptance.TaskFilter{Department: dept, Ready: p.Ready}
	if p.Status != nil {
		f.Status = string(*p.Status)
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Cursor != nil {
		f.Cursor = *p.Cursor
	}
	ts, next, err := svc.Tasks(ctx, f)
	if err != nil {
		return nil, fieldProblems(err)
	}
	out := make([]api.Task, len(ts))
	for i, t := range ts {
		out[i] = taskOut(t)
		out[i].Materials = []api.TaskMaterial{}
	}
	return api.ListTasks200JSONResponse{Items: out, Next: optString(next)}, nil
}

// GetTask returns one task.
func (s *Server) GetTask(ctx context.Context, r api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	dept, err := department(ctx, "")
	if err != nil {
		return nil, err
	}
	t, err := svc.Task(ctx, dept, string(r.ProcessId), string(r.StepKey))
	if err != nil {
		return nil, err
	}
	out := taskOut(t)
	if t.Information != nil {
		info := t.Information
		out.Information = &info
	}
	return api.GetTask200JSONResponse(out), nil
}

// ReadTaskMaterial returns a granted material's content.
func (s *Server) ReadTaskMaterial(ctx context.Context, r api.ReadTaskMaterialRequestObject) (api.ReadTaskMaterialResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	dept, err := department(ctx, "")
	if err != nil {
		return nil, err
	}
	c, err := svc.ReadMaterial(ctx, dept, string(r.ProcessId), string(r.StepKey), string(r.AssetId), deref(r.Body.Password), r.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.ReadTaskMaterial200JSONResponse{Asset: c.Asset, Type: c.Type, Content: c.Content, ContentDigest: gm.Hex(c.Content)}, nil
}

// DecideTask queues a step decision.
func (s *Server) DecideTask(ctx context.Context, r api.DecideTaskRequestObject) (api.DecideTaskResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	dept, err := department(ctx, "")
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := acceptance.DecisionInput{Approve: b.Approve, Opinion: b.Opinion, Approver: b.Approver, Password: deref(b.Password), Signature: deref(b.Signature)}
	for _, o := range orEmpty(b.Outputs) {
		in.Outputs = append(in.Outputs, string(o))
	}
	d, err := svc.Decide(ctx, dept, string(r.ProcessId), string(r.StepKey), in)
	if err != nil {
		return nil, fieldProblems(err)
	}
	return api.DecideTask202JSONResponse{Process: d.Process, Step: d.Step, Approve: d.Approve, Decision: d.Canonical, Signature: d.Signature, Queued: d.Queued}, nil
}

func applicationOut(a *acceptance.Application) api.Application {
	f := a.Form
	out := api.Application{Id: a.ID, Status: api.ApplicationStatus(a.Status()), Item: a.Item, DefinitionVersion: a.DefinitionVersion,
		DefinitionDigest: a.DefinitionDigest, Applicant: f.Applicant, Name: f.Name, EnterpriseType: api.EnterpriseType(f.EnterpriseType),
		RegisteredCapital: f.RegisteredCapital, BusinessScope: f.BusinessScope, Services: f.Services, ProcessWrite: a.StartWrite,
		ProcessStatus: optString(a.ProcessStatus), AcceptedBy: a.AcceptedBy, CreatedAt: a.CreatedAt, Materials: []api.ApplicationMaterial{}}
	if out.Services == nil {
		out.Services = []string{}
	}
	out.Address.Division, out.Address.Detail = f.Address.Division, f.Address.Detail
	lr := f.LegalRepresentative
	out.LegalRepresentative.Name, out.LegalRepresentative.IdNumber, out.LegalRepresentative.Phone = lr.Name, lr.IDNumber, optString(lr.Phone)
	for _, h := range f.Shareholders {
		out.Shareholders = append(out.Shareholders, struct {
			Contribution string `json:"contribution"`
			IdNumber     string `json:"idNumber"`
			Kind         string `json:"kind"`
			Name         string `json:"name"`
		}{h.Contribution, h.IDNumber, h.Kind, h.Name})
	}
	for _, st := range a.Steps {
		out.Steps = append(out.Steps, struct {
			Department   string    `json:"department"`
			DependsOn    *[]string `json:"dependsOn,omitempty"`
			Key          string    `json:"key"`
			LimitSeconds int64     `json:"limitSeconds"`
			Member       string    `json:"member"`
		}{st.DepartmentCode, optSlice(st.DependsOn), st.Key, st.LimitSeconds, st.Department})
	}
	for _, m := range a.Materials {
		out.Materials = append(out.Materials, api.ApplicationMaterial{Asset: m.Asset, Type: m.Type, Material: m.Material, Departments: m.Departments,
			Grant: api.ApplicationMaterialGrant(m.Grant), Requested: optSlice(m.Requested)})
	}
	return out
}

// ListApplications returns accepted applications.
func (s *Server) ListApplications(ctx context.Context, r api.ListApplicationsRequestObject) (api.ListApplicationsResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	limit, cursor := 0, ""
	if r.Params.Limit != nil {
		limit = *r.Params.Limit
	}
	if r.Params.Cursor != nil {
		cursor = *r.Params.Cursor
	}
	as, next, err := svc.List(ctx, limit, cursor)
	if err != nil {
		return nil, fieldProblems(err)
	}
	out := make([]api.Application, len(as))
	for i, a := range as {
		out[i] = applicationOut(a)
	}
	return api.ListApplications200JSONResponse{Items: out, Next: optString(next)}, nil
}

// AcceptApplication accepts an establishment application.
func (s *Server) AcceptApplication(ctx context.Context, r api.AcceptApplicationRequestObject) (api.AcceptApplicationResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	b := r.Body
	f := acceptance.Form{Applicant: b.Applicant, Name: b.Name, EnterpriseType: string(b.EnterpriseType), RegisteredCapital: b.RegisteredCapital,
		Address: acceptance.Address{Division: b.Address.Division, Detail: b.Address.Detail}, BusinessScope: b.BusinessScope,
		LegalRepresentative: acceptance.Person{Name: b.LegalRepresentative.Name, IDNumber: b.LegalRepresentative.IdNumber, Phone: deref(b.LegalRepresentative.Phone)},
		Services:            b.Services}
	if b.Item != nil {
		f.Item = string(*b.Item)
	}
	for _, h := range b.Shareholders {
		f.Shareholders = append(f.Shareholders, acceptance.Shareholder{Kind: string(h.Kind), Name: h.Name, IDNumber: strings.TrimSpace(h.IdNumber), Contribution: h.Contribution})
	}
	a, err := svc.Accept(ctx, f, actor(ctx))
	if err != nil {
		return nil, fieldProblems(err)
	}
	return api.AcceptApplication201JSONResponse(applicationOut(a)), nil
}

// GetApplication returns one application.
func (s *Server) GetApplication(ctx context.Context, r api.GetApplicationRequestObject) (api.GetApplicationResponseObject, error) {
	svc, err := s.acceptanceSvc()
	if err != nil {
		return nil, err
	}
	a, err := svc.Get(ctx, string(r.ApplicationId))
	if err != nil {
		return nil, err
	}
	return api.GetApplication200JSONResponse(applicationOut(a)), nil
}
