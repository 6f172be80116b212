package main

import (
	"errors"
	"strings"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
)

// runMember runs `kaiban-net member add` (A.2).
func runMember(args []string) error {
	return subcommand("member", args, map[string]func([]string) error{"add": runMemberAdd})
}

func runMemberAdd(args []string) error {
	fs := newFlagSet("member add", "member add --msp ID [--department CODE | --kind KIND --domain DOMAIN] [--name NAME] [--peers N] [--dir DIR]")
	dir := dirFlag(fs)
	msp := fs.String("msp", "", "MSP ID of the new member organisation; required (default for --department: e.g. HousingFundMSP)")
	department := fs.String("department", "", "department code of a department member: "+strings.Join(model.Departments, ", "))
	kind := fs.String("kind", "", "member kind: department, institution or regulator (default department with --department, else institution)")
	domain := fs.String("domain", "", "DNS domain of the organisation (default <department or msp>.<the consortium's domain>)")
	name := fs.String("name", "", "display name recorded in its member record")
	peers := fs.Int("peers", 1, "number of peers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *msp == "" && *department != "" {
		*msp = consortium.DepartmentMSP(*department)
	}
	if *msp == "" {
		return errors.New("--msp (or --department) is required")
	}
	if *kind == "" {
		*kind = string(model.MemberInstitution)
		if *department != "" {
			*kind = string(model.MemberDepartment)
		}
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	if *domain == "" {
		label := *department
		if label == "" {
			label = strings.ToLower(strings.TrimSuffix(*msp, "MSP"))
		}
		op, err := n.Spec.Operator()
		if err != nil {
			return err
		}
		*domain = label + "." + strings.TrimPrefix(op.Domain, "operator.")
	}
	ctx, cancel := signalContext()
	defer cancel()
	return n.AddMember(ctx, consortium.NewOrg{MSPID: *msp, Name: *name, Domain: *domain, Kind: *kind, Department: *department, Peers: *peers})
}
