package msp

import (
	"fmt"
	"strings"
)

// Rule is how many of a policy's organisations must endorse.
type Rule int

// The rules of Fabric's implicit meta policies.
const (
	// Majority needs more than half of the organisations, like Fabric's default
	// lifecycle endorsement policy "MAJORITY Endorsement".
	Majority Rule = iota
	// Any needs one organisation.
	Any
	// All needs every organisation.
	All
)

// ParseRule parses "majority", "any" or "all" (any case).
func ParseRule(s string) (Rule, error) {
	switch strings.ToLower(s) {
	case "majority", "":
		return Majority, nil
	case "any":
		return Any, nil
	case "all":
		return All, nil
	}
	return 0, fmt.Errorf("unknown endorsement rule %q (want majority, any or all)", s)
}

// String returns the rule as Fabric writes it in implicit meta policies.
func (r Rule) String() string {
	switch r {
	case Any:
		return "ANY"
	case All:
		return "ALL"
	}
	return "MAJORITY"
}

// EndorsementPolicy requires endorsements by peers of a number of the channel's
// organisations. Only peer-role identities count, each organisation once, as with
// Fabric's "OR('Org.peer')" sub-policies under an implicit meta policy.
type EndorsementPolicy struct {
	Rule Rule
	// Orgs are the MSP IDs of the organisations whose peers endorse.
	Orgs []string
}

// Required returns how many organisations must endorse.
func (p EndorsementPolicy) Required() int {
	switch p.Rule {
	case Any:
		return 1
	case All:
		return len(p.Orgs)
	}
	return len(p.Orgs)/2 + 1
}

// Satisfied checks endorsers, identities whose signatures were already verified,
// against the policy.
func (p EndorsementPolicy) Satisfied(endorsers []*Identity) error {
	member := make(map[string]bool, len(p.Orgs))
	for _, o := range p.Orgs {
		member[o] = true
	}
	orgs := map[string]bool{}
	for _, e := range endorsers {
		if e != nil && e.Role == "peer" && member[e.MSPID] {
			orgs[e.MSPID] = true
		}
	}
	if need := p.Required(); len(orgs) < need {
		return fmt.Errorf("%w: %s of %d organisations requires %d peer endorsements, got %d", ErrPolicy, p.Rule, len(p.Orgs), need, len(orgs))
	}
	return nil
}
