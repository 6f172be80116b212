package acceptance

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

func residentID(body string) string {
	c, _ := ResidentCheckChar(body)
	return body + string(c)
}

func uscc(body string) string {
	c, _ := USCCCheckChar(body)
	return body + string(c)
}

func validForm() Form {
	return Form{
		Applicant:         strings.Repeat("a", 32),
		Name:              "济南市明湖信息技术有限公司",
		EnterpriseType:    TypeLLC,
		RegisteredCapital: "1000000.00",
		Address:           Address{Division: "370102", Detail: "历下区泉城路 1 号"},
		BusinessScope:     "软件开发；信息技术咨询服务",
		Shareholders: []Shareholder{
			{Kind: HolderPerson, Name: "张三", IDNumber: residentID("37010219900307451"), Contribution: "600000"},
			{Kind: HolderEnterprise, Name: "山东某投资有限公司", IDNumber: uscc("91370102MA3C4T5R1"), Contribution: "400000.00"},
		},
		LegalRepresentative: Person{Name: "张三", IDNumber: residentID("37010219900307451"), Phone: "13800000000"},
		Services:            []string{"seal", "bank", "tax"},
	}
}

func TestFormValidate_Valid(t *testing.T) {
	f := validForm()
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	f.Name = "明湖（济南）信息技术有限公司"
	if err := f.Validate(); err != nil {
		t.Fatalf("division in brackets: %v", err)
	}
}

func TestFormValidate_FieldErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Form)
		field string
	}{
		{"applicant", func(f *Form) { f.Applicant = "x" }, "/applicant"},
		{"name missing", func(f *Form) { f.Name = "" }, "/name"},
		{"name latin", func(f *Form) { f.Name = "济南市Minghu信息技术有限公司" }, "/name"},
		{"name forbidden word", func(f *Form) { f.Name = "济南市中国信息技术有限公司" }, "/name"},
		{"name without division", func(f *Form) { f.Name = "明湖信息技术有限公司" }, "/name"},
		{"name form mismatch", func(f *Form) {
			f.Name = "济南市明湖信息技术股份有限公司"
			f.EnterpriseType = TypePartnership
		}, "/name"},
		{"name without trade name", func(f *Form) { f.Name = "济南市技术有限公司" }, "/name"},
		{"type", func(f *Form) { f.EnterpriseType = "bank" }, "/enterpriseType"},
		{"capital format", func(f *Form) { f.RegisteredCapital = "1e6" }, "/registeredCapital"},
		{"capital three decimals", func(f *Form) { f.RegisteredCapital = "1000000.001" }, "/registeredCapital"},
		{"capital zero", func(f *Form) { f.RegisteredCapital = "0"; f.Shareholders = f.Shareholders[:1] }, "/registeredCapital"},
		{"contributions do not add up", func(f *Form) { f.Shareholders[1].Contribution = "1" }, "/shareholders"},
		{"division", func(f *Form) { f.Address.Division = "000000" }, "/address/division"},
		{"address detail", func(f *Form) { f.Address.Detail = " " }, "/address/detail"},
		{"scope", func(f *Form) { f.BusinessScope = "" }, "/businessScope"},
		{"legal rep ID check digit", func(f *Form) {
			id := f.LegalRepresentative.IDNumber
			last := byte('0')
			if id[17] == '0' {
				last = '1'
			}
			f.LegalRepresentative.IDNumber = id[:17] + string(last)
		}, "/legalRepresentative/idNumber"},
		{"legal rep name", func(f *Form) { f.LegalRepresentative.Name = "x" }, "/legalRepresentative/name"},
		{"legal rep phone", func(f *Form) { f.LegalRepresentative.Phone = "12345" }, "/legalRepresentative/phone"},
		{"shareholder USCC", func(f *Form) { f.Shareholders[1].IDNumber = "91370102MA3C4T5R10" }, "/shareholders/1/idNumber"},
		{"shareholder kind", func(f *Form) { f.Shareholders[0].Kind = "ghost" }, "/shareholders/0/kind"},
		{"shareholder contribution", func(f *Form) { f.Shareholders[0].Contribution = "-5" }, "/shareholders/0/contribution"},
		{"no shareholders", func(f *Form) { f.Shareholders = nil }, "/shareholders"},
		{"sole llc two holders", func(f *Form) { f.EnterpriseType = TypeSoleLLC }, "/shareholders"},
		{"service twice", func(f *Form) { f.Services = []string{"bank", "bank"} }, "/services/1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := validForm()
			tc.edit(&f)
			err := f.Validate()
			var fe registry.FieldErrors
			if !errors.As(err, &fe) || !errors.Is(err, registry.ErrInvalid) {
				t.Fatalf("Validate = %v", err)
			}
			if !slices.ContainsFunc(fe, func(e registry.FieldError) bool { return e.Field == tc.field }) {
				t.Fatalf("errors %v do not name %s", fe, tc.field)
			}
		})
	}
}
