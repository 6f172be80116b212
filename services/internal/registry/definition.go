package registry

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// MaxLimitSeconds is the longest time limit of a step, as the chaincode
// accepts it (a year).
const MaxLimitSeconds = 366 * 24 * 3600

// Step is one department step of a process definition (7.5 c). Serial order
// comes from DependsOn; steps sharing their dependencies run in parallel.
// Inputs, Outputs, Shared, Accumulated and Pushed name the information of
// 7.5 c: what the step reads, issues, shares with its parallel steps,
// accumulates for later ones and has pushed to its department.
type Step struct {
	Key        string `json:"key"`
	Name       string `json:"name,omitempty"`
	Department string `json:"department"`
	// Service is the follow-up service the step provides; a step with one
	// runs only when the applicant chose it.
	Service      string   `json:"service,omitempty"`
	DependsOn    []string `json:"dependsOn,omitempty"`
	LimitSeconds int64    `json:"limitSeconds"`
	Inputs       []string `json:"inputs,omitempty"`
	Outputs      []string `json:"outputs,omitempty"`
	Shared       []string `json:"shared,omitempty"`
	Accumulated  []string `json:"accumulated,omitempty"`
	Pushed       []string `json:"pushed,omitempty"`
}

// Definition is the content of one version of an item's process: what its
// Digest covers. Steps are kept in topological order (Normalize).
type Definition struct {
	Item     string `json:"item"`
	Steps    []Step `json:"steps"`
	Issuance string `json:"issuance"`
}

// Version is a stored, immutable definition version.
type Version struct {
	Definition
	Version   int       `json:"version"`
	Digest    string    `json:"digest"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
}

// Canonical returns the canonical JSON of d (model.Canonical: fields in
// declaration order, empty optional fields omitted).
func (d *Definition) Canonical() ([]byte, error) {
	return model.Canonical(d)
}

// Digest returns the hex SM3 of d's canonical JSON.
func (d *Definition) Digest() (string, error) {
	b, err := d.Canonical()
	if err != nil {
		return "", fmt.Errorf("definition digest: %w", err)
	}
	return gm.Hex(b), nil
}

// Validate checks d as a DAG of department steps: at least one and at most
// model.MaxSteps steps, unique keys, dependencies on listed steps only, no
// cycle, departments among known (when known is not nil), time limits
// between a second and a year. Field pointers are into d as submitted.
func (d *Definition) Validate(known map[string]bool) error {
	var e FieldErrors
	if !codePattern.MatchString(d.Item) {
		e.Add("/item", "must be an item code")
	}
	if d.Issuance != IssuanceUnified && d.Issuance != IssuanceNone {
		e.Add("/issuance", "must be unified or none")
	}
	if len(d.Steps) == 0 || len(d.Steps) > model.MaxSteps {
		e.Add("/steps", "a process needs 1 to %d steps", model.MaxSteps)
	}
	index := make(map[string]int, len(d.Steps))
	for i, s := range d.Steps {
		p := fmt.Sprintf("/steps/%d", i)
		switch {
		case !codePattern.MatchString(s.Key):
			e.Add(p+"/key", "must be 2-40 lower-case letters, digits and hyphens starting with a letter")
		case index[s.Key] != 0:
			e.Add(p+"/key", "step %q appears twice", s.Key)
		default:
			index[s.Key] = i + 1
		}
		if !codePattern.MatchString(s.Department) {
			e.Add(p+"/department", "must be a department code")
		} else if known != nil && !known[s.Department] {
			e.Add(p+"/department", "unknown department %q", s.Department)
		}
		if s.Service != "" && !codePattern.MatchString(s.Service) {
			e.Add(p+"/service", "must be a service code")
		}
		if s.LimitSeconds < 1 || s.LimitSeconds > MaxLimitSeconds {
			e.Add(p+"/limitSeconds", "must be between 1 second and a year (%d)", MaxLimitSeconds)
		}
		if len([]rune(s.Name)) > 200 {
			e.Add(p+"/name", "at most 200 characters")
		}
	}
	for i, s := range d.Steps {
		seen := map[string]bool{}
		for j, dep := range s.DependsOn {
			p := fmt.Sprintf("/steps/%d/dependsOn/%d", i, j)
			switch {
			case dep == s.Key:
				e.Add(p, "step %q depends on itself", s.Key)
			case index[dep] == 0:
				e.Add(p, "unknown step %q", dep)
			case seen[dep]:
				e.Add(p, "%q listed twice", dep)
			}
			seen[dep] = true
		}
	}
	if len(e) > 0 {
		return e
	}
	if _, cycle := d.order(); cycle != nil {
		e.Add("/steps", "the steps form a cycle: %s", strings.Join(cycle, " → "))
	}
	return e.Err()
}

// order returns the step indexes in topological order, canonical whatever
// the listing order: by depth (the longest chain of dependencies before the
// step), then by key; or the keys of a cycle.
func (d *Definition) order() ([]int, []string) {
	index := make(map[string]int, len(d.Steps))
	for i, s := range d.Steps {
		index[s.Key] = i
	}
	depth := make([]int, len(d.Steps))
	done := make([]bool, len(d.Steps))
	var out []int
	for len(out) < len(d.Steps) {
		var ready []int
		for i, s := range d.Steps {
			if done[i] {
				continue
			}
			ok := true
			for _, dep := range s.DependsOn {
				j := index[dep]
				if !done[j] {
					ok = false
					break
				}
				depth[i] = max(depth[i], depth[j]+1)
			}
			if ok {
				ready = append(ready, i)
			}
		}
		if len(ready) == 0 {
			var cycle []string
			for i, s := range d.Steps {
				if !done[i] {
					cycle = append(cycle, s.Key)
				}
			}
			return nil, cycle
		}
		for _, i := range ready {
			done[i] = true
		}
		out = append(out, ready...)
	}
	slices.SortStableFunc(out, func(a, b int) int {
		if depth[a] != depth[b] {
			return depth[a] - depth[b]
		}
		return strings.Compare(d.Steps[a].Key, d.Steps[b].Key)
	})
	return out, nil
}

// Normalize puts a valid definition's steps in canonical topological order
// and sorts each step's dependencies, so that two equal DAGs have one
// canonical JSON and one digest.
func (d *Definition) Normalize() {
	idx, cycle := d.order()
	if cycle != nil {
		return
	}
	steps := make([]Step, len(idx))
	for n, i := range idx {
		s := d.Steps[i]
		s.DependsOn = slices.Clone(s.DependsOn)
		slices.Sort(s.DependsOn)
		steps[n] = s
	}
	d.Steps = steps
}

// Services returns the follow-up services the definition offers, in step order.
func (d *Definition) Services() []string {
	var out []string
	for _, s := range d.Steps {
		if s.Service != "" && !slices.Contains(out, s.Service) {
			out = append(out, s.Service)
		}
	}
	return out
}

// Plan builds the chain steps of a process from d for the chosen follow-up
// services: steps whose service was not chosen are left out and their
// dependents depend on what they depended on, so the DAG's order holds.
// member maps a department code to its chain member (MSP ID). A service d
// does not offer is an error at /services/i.
func (d *Definition) Plan(services []string, member func(department string) (string, bool)) ([]model.StepPlan, error) {
	var e FieldErrors
	offered := d.Services()
	chosen := map[string]bool{}
	for i, s := range services {
		switch {
		case !slices.Contains(offered, s):
			e.Add(fmt.Sprintf("/services/%d", i), "unknown service %q; offered: %s", s, strings.Join(offered, ", "))
		case chosen[s]:
			e.Add(fmt.Sprintf("/services/%d", i), "%q chosen twice", s)
		}
		chosen[s] = true
	}
	if len(e) > 0 {
		return nil, e
	}
	idx, cycle := d.order()
	if cycle != nil {
		return nil, fmt.Errorf("%w: definition has a cycle", ErrInvalid)
	}
	effective := map[string][]string{} // a dropped step's key → its kept ancestors
	var plan []model.StepPlan
	for _, i := range idx {
		s := d.Steps[i]
		var deps []string
		for _, dep := range s.DependsOn {
			if eff, dropped := effective[dep]; dropped {
				deps = append(deps, eff...)
			} else {
				deps = append(deps, dep)
			}
		}
		slices.Sort(deps)
		deps = slices.Compact(deps)
		if s.Service != "" && !chosen[s.Service] {
			effective[s.Key] = deps
			continue
		}
		m, ok := member(s.Department)
		if !ok {
			return nil, fmt.Errorf("%w: department %q has no chain member", ErrNotFound, s.Department)
		}
		plan = append(plan, model.StepPlan{Key: s.Key, Department: m, DependsOn: deps, LimitSeconds: s.LimitSeconds})
	}
	return plan, nil
}
