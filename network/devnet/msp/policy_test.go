package msp_test

import (
	"errors"
	"testing"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

func TestEndorsementPolicy_Satisfied(t *testing.T) {
	orgs := []string{"A", "B", "C", "D"}
	peer := func(org string) *msp.Identity { return &msp.Identity{MSPID: org, Role: cryptogen.RolePeer} }
	client := func(org string) *msp.Identity { return &msp.Identity{MSPID: org, Role: cryptogen.RoleClient} }
	cases := []struct {
		name      string
		rule      msp.Rule
		endorsers []*msp.Identity
		ok        bool
	}{
		{"majority met", msp.Majority, []*msp.Identity{peer("A"), peer("B"), peer("C")}, true},
		{"majority short", msp.Majority, []*msp.Identity{peer("A"), peer("B")}, false},
		{"same org twice counts once", msp.Majority, []*msp.Identity{peer("A"), peer("A"), peer("B")}, false},
		{"client role does not count", msp.Majority, []*msp.Identity{peer("A"), peer("B"), client("C")}, false},
		{"outsider does not count", msp.Any, []*msp.Identity{peer("Z")}, false},
		{"any met", msp.Any, []*msp.Identity{peer("D")}, true},
		{"all short", msp.All, []*msp.Identity{peer("A"), peer("B"), peer("C")}, false},
		{"all met", msp.All, []*msp.Identity{peer("A"), peer("B"), peer("C"), peer("D")}, true},
	}
	for _, c := range cases {
		err := msp.EndorsementPolicy{Rule: c.rule, Orgs: orgs}.Satisfied(c.endorsers)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, msp.ErrPolicy)) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
}

func TestParseRule(t *testing.T) {
	for in, want := range map[string]msp.Rule{"MAJORITY": msp.Majority, "any": msp.Any, "All": msp.All} {
		if got, err := msp.ParseRule(in); err != nil || got != want {
			t.Errorf("ParseRule(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := msp.ParseRule("most"); err == nil {
		t.Error("ParseRule(most): no error")
	}
}
