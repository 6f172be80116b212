package registry

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func step(key string, deps ...string) Step {
	return Step{Key: key, Department: "market", LimitSeconds: 60, DependsOn: deps}
}

func TestDefinitionValidate_DAGRules(t *testing.T) {
	known := map[string]bool{"market": true}
	tests := []struct {
		name  string
		steps []Step
		field string
	}{
		{"no steps", nil, "/steps"},
		{"duplicate key", []Step{step("aa"), step("aa")}, "/steps/1/key"},
		{"bad key", []Step{step("A!")}, "/steps/0/key"},
		{"unknown dependency", []Step{step("aa", "zz")}, "/steps/0/dependsOn/0"},
		{"self dependency", []Step{step("aa", "aa")}, "/steps/0/dependsOn/0"},
		{"dependency twice", []Step{step("aa"), step("bb", "aa", "aa")}, "/steps/1/dependsOn/1"},
		{"cycle", []Step{step("aa", "cc"), step("bb", "aa"), step("cc", "bb")}, "/steps"},
		{"unknown department", []Step{{Key: "aa", Department: "police", LimitSeconds: 1}}, "/steps/0/department"},
		{"no limit", []Step{{Key: "aa", Department: "market"}}, "/steps/0/limitSeconds"},
		{"limit over a year", []Step{{Key: "aa", Department: "market", LimitSeconds: MaxLimitSeconds + 1}}, "/steps/0/limitSeconds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Definition{Item: "x-item", Steps: tc.steps, Issuance: IssuanceUnified}
			err := d.Validate(known)
			var fe FieldErrors
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v, want FieldErrors", err)
			}
			if !slices.ContainsFunc(fe, func(f FieldError) bool { return f.Field == tc.field }) {
				t.Fatalf("errors %v do not name %s", fe, tc.field)
			}
		})
	}
	tooMany := make([]Step, model.MaxSteps+1)
	for i := range tooMany {
		tooMany[i] = step("s" + strings.Repeat("a", i+1))
	}
	if err := (&Definition{Item: "x-item", Steps: tooMany, Issuance: IssuanceNone}).Validate(known); err == nil {
		t.Fatal("more than MaxSteps steps accepted")
	}
}

func TestDefinitionNormalize_OrderIndependentDigest(t *testing.T) {
	a := Definition{Item: "x-item", Issuance: IssuanceUnified, Steps: []Step{step("end", "mid2", "mid1"), step("mid1", "start"), step("start"), step("mid2", "start")}}
	b := Definition{Item: "x-item", Issuance: IssuanceUnified, Steps: []Step{step("start"), step("mid1", "start"), step("mid2", "start"), step("end", "mid1", "mid2")}}
	for _, d := range []*Definition{&a, &b} {
		if err := d.Validate(nil); err != nil {
			t.Fatal(err)
		}
		d.Normalize()
	}
	da, _ := a.Digest()
	db, _ := b.Digest()
	if da != db || len(da) != 64 {
		t.Fatalf("digests %s and %s of one DAG differ", da, db)
	}
	keys := func(d Definition) (out []string) {
		for _, s := range d.Steps {
			out = append(out, s.Key)
		}
		return out
	}
	if got := keys(a); !slices.Equal(got, []string{"start", "mid1", "mid2", "end"}) {
		t.Fatalf("topological order %v", got)
	}
	b.Steps[3].LimitSeconds++
	if db2, _ := b.Digest(); db2 == da {
		t.Fatal("a changed definition kept its digest")
	}
}

func TestDefinitionPlan_ChosenServicesOnly(t *testing.T) {
	d := DefaultEstablishment()
	d.Normalize()
	members := map[string]string{"market": "MarketMSP", "seal": "SealMSP", "bank": "BankMSP", "social": "SocialMSP", "medical": "MedicalMSP", "housing-fund": "HousingFundMSP", "tax": "TaxMSP"}
	member := func(d string) (string, bool) { m, ok := members[d]; return m, ok }
	plan, err := d.Plan([]string{"bank", "seal"}, member)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 3 || plan[0].Key != "licence" || plan[0].Department != "MarketMSP" || len(plan[0].DependsOn) != 0 {
		t.Fatalf("plan %+v", plan)
	}
	for _, p := range plan[1:] {
		if !slices.Equal(p.DependsOn, []string{"licence"}) || p.LimitSeconds != 4*3600 {
			t.Fatalf("follow-up step %+v", p)
		}
	}
	start := model.ProcessStart{Application: "app-1", Item: d.Item, DefinitionDigest: strings.Repeat("a", 64), Applicant: strings.Repeat("b", 32), Steps: plan}
	if err := start.Validate(); err != nil {
		t.Fatalf("the chain refuses the plan: %v", err)
	}
	all, err := d.Plan(FollowUpServices, member)
	if err != nil || len(all) != 7 {
		t.Fatalf("all services: %d steps, %v", len(all), err)
	}
	if _, err := d.Plan([]string{"bank", "spa"}, member); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "/services/1") {
		t.Fatalf("unknown service: %v", err)
	}
	if _, err := d.Plan([]string{"bank", "bank"}, member); !errors.Is(err, ErrInvalid) {
		t.Fatalf("service twice: %v", err)
	}
}

func TestDefinitionPlan_DroppedStepRewiresDependents(t *testing.T) {
	d := Definition{Item: "x-item", Issuance: IssuanceNone, Steps: []Step{
		step("aa"), {Key: "bb", Department: "market", Service: "opt", LimitSeconds: 60, DependsOn: []string{"aa"}}, step("cc", "bb"),
	}}
	plan, err := d.Plan(nil, func(string) (string, bool) { return "MarketMSP", true })
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || plan[1].Key != "cc" || !slices.Equal(plan[1].DependsOn, []string{"aa"}) {
		t.Fatalf("plan %+v", plan)
	}
}
