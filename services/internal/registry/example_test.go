package registry_test

import (
	"fmt"

	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The default establishment process planned for an applicant who chose a
// seal and a bank account: the licence first, then the two in parallel.
func ExampleDefinition_Plan() {
	d := registry.DefaultEstablishment()
	d.Normalize()
	plan, err := d.Plan([]string{"seal", "bank"}, func(dept string) (string, bool) { return dept + "-member", true })
	if err != nil {
		panic(err)
	}
	for _, s := range plan {
		fmt.Println(s.Key, s.Department, s.DependsOn, s.LimitSeconds)
	}
	// Output:
	// licence market-member [] 28800
	// bank bank-member [licence] 14400
	// seal seal-member [licence] 14400
}
