package acceptance

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// Enterprise types (organisational forms) the form accepts.
const (
	TypeLLC                = "llc"                 // 有限责任公司
	TypeSoleLLC            = "sole-llc"            // 一人有限责任公司
	TypeJointStock         = "joint-stock"         // 股份有限公司
	TypePartnership        = "partnership"         // 合伙企业
	TypeSoleProprietorship = "sole-proprietorship" // 个人独资企业
)

// Shareholder kinds.
const (
	HolderPerson     = "person"
	HolderEnterprise = "enterprise"
)

// Person is a natural person on the form.
type Person struct {
	Name     string `json:"name"`
	IDNumber string `json:"idNumber"`
	Phone    string `json:"phone,omitempty"`
}

// Shareholder is one investor: a person (resident ID) or an enterprise (USCC).
type Shareholder struct {
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	IDNumber     string `json:"idNumber"`
	Contribution string `json:"contribution"`
}

// Address is the registered address: GB/T 2260 division code and the rest.
type Address struct {
	Division string `json:"division"`
	Detail   string `json:"detail"`
}

// Form is the one form of the whole establishment (一表申请, 7.6.1).
type Form struct {
	Item                string        `json:"item"`
	Applicant           string        `json:"applicant"`
	Name                string        `json:"name"`
	EnterpriseType      string        `json:"enterpriseType"`
	RegisteredCapital   string        `json:"registeredCapital"`
	Address             Address       `json:"address"`
	BusinessScope       string        `json:"businessScope"`
	Shareholders        []Shareholder `json:"shareholders"`
	LegalRepresentative Person        `json:"legalRepresentative"`
	Services            []string      `json:"services"`
}

// ForbiddenNameWords may not appear in an enterprise name without approval
// of the State Council or are contrary to public order (企业名称登记管理规定
// art. 11, 12; 企业名称登记管理规定实施办法 art. 13).
var ForbiddenNameWords = []string{
	"中国", "中华", "全国", "国家", "国际", "政府", "党", "军", "武警", "公安", "人民", "联合国",
	"赌", "毒", "色情", "迷信", "邪教", "黑社会",
}

// organisationalForms lists the name endings each enterprise type may use.
var organisationalForms = map[string][]string{
	TypeLLC:                {"有限责任公司", "有限公司"},
	TypeSoleLLC:            {"有限责任公司", "有限公司"},
	TypeJointStock:         {"股份有限公司"},
	TypePartnership:        {"（普通合伙）", "（有限合伙）", "合伙企业"},
	TypeSoleProprietorship: {"个人独资企业", "（个人独资）"},
}

// divisionSuffixes end an administrative division's name (省, 市, 自治区 …).
var divisionPrefix = regexp.MustCompile(`^\p{Han}{1,9}?(省|市|自治区|自治州|地区|盟|县|区|旗)`)
var divisionInBrackets = regexp.MustCompile(`（\p{Han}{1,9}(省|市|自治区|自治州|地区|盟|县|区|旗)?）`)

var (
	hexID      = regexp.MustCompile(`^[0-9a-f]{32}$`)
	division   = regexp.MustCompile(`^[1-8][0-9]{5}$`)
	mobile     = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	amount     = regexp.MustCompile(`^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$`)
	personName = regexp.MustCompile(`^[\p{Han}·]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,49}$`)
)

// checkName applies the name rules to an enterprise name of the given type:
// administrative division (leading, or in brackets after the trade name) +
// trade name + industry + organisational form matching the type, Chinese
// characters only, no forbidden word.
func checkName(e *registry.FieldErrors, name, typ string) {
	const f = "/name"
	n := utf8.RuneCountInString(name)
	if n == 0 {
		e.Add(f, "is required")
		return
	}
	if n < 6 || n > 50 {
		e.Add(f, "must be 6 to 50 characters (division + trade name + industry + organisational form)")
		return
	}
	for _, r := range name {
		if !unicode.Is(unicode.Han, r) && r != '（' && r != '）' {
			e.Add(f, "may use Chinese characters and full-width brackets only, found %q", r)
			return
		}
	}
	for _, w := range ForbiddenNameWords {
		if strings.Contains(name, w) {
			e.Add(f, "contains the forbidden word %q", w)
			return
		}
	}
	forms := organisationalForms[typ]
	var form string
	for _, fm := range forms {
		if strings.HasSuffix(name, fm) {
			form = fm
			break
		}
	}
	if form == "" {
		if len(forms) > 0 {
			e.Add(f, "must end with the organisational form of a %s enterprise: %s", typ, strings.Join(forms, " or "))
		}
		return
	}
	rest := strings.TrimSuffix(name, form)
	if loc := divisionPrefix.FindStringIndex(rest); loc != nil {
		rest = rest[loc[1]:]
	} else if loc := divisionInBrackets.FindStringIndex(rest); loc != nil && loc[0] > 0 {
		rest = rest[:loc[0]] + rest[loc[1]:]
	} else {
		e.Add(f, "must name the administrative division first (济南市…) or in brackets after the trade name (…（济南）…)")
		return
	}
	if utf8.RuneCountInString(rest) < 4 {
		e.Add(f, "needs a trade name of at least two characters and an industry between the division and %q", form)
	}
}

// parseAmount returns a yuan amount in fen, or false.
func parseAmount(s string) (*big.Int, bool) {
	if !amount.MatchString(s) {
		return nil, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	v, ok := new(big.Int).SetString(whole+frac, 10)
	return v, ok
}

func checkPerson(e *registry.FieldErrors, p string, who Person, requirePhone bool) {
	if who.Name == "" {
		e.Add(p+"/name", "is required")
	} else if !personName.MatchString(who.Name) {
		e.Add(p+"/name", "must be a person's name (2-20 Chinese characters, or latin letters)")
	}
	if who.IDNumber == "" {
		e.Add(p+"/idNumber", "is required")
	} else if !ValidResidentID(who.IDNumber) {
		e.Add(p+"/idNumber", "is not a valid resident ID number (GB 11643-1999: 18 characters, real birth date, check character)")
	}
	if who.Phone == "" && requirePhone {
		e.Add(p+"/phone", "is required")
	} else if who.Phone != "" && !mobile.MatchString(who.Phone) {
		e.Add(p+"/phone", "must be an 11-digit mobile number")
	}
}

// Validate checks every field of the form and names each problem with a JSON
// pointer; the follow-up services are checked against the item's definition
// when the process is planned.
func (f *Form) Validate() error {
	var e registry.FieldErrors
	if !hexID.MatchString(f.Applicant) {
		e.Add("/applicant", "must be the applicant's subject ID (32 lower-case hex digits)")
	}
	if _, ok := organisationalForms[f.EnterpriseType]; !ok {
		e.Add("/enterpriseType", "must be one of llc, sole-llc, joint-stock, partnership, sole-proprietorship")
	}
	checkName(&e, f.Name, f.EnterpriseType)
	capital, ok := parseAmount(f.RegisteredCapital)
	switch {
	case f.RegisteredCapital == "":
		e.Add("/registeredCapital", "is required")
	case !ok:
		e.Add("/registeredCapital", "must be an amount in yuan with at most two decimals, e.g. 1000000.00")
	case capital.Sign() == 0:
		e.Add("/registeredCapital", "must be more than zero")
	}
	if !division.MatchString(f.Address.Division) {
		e.Add("/address/division", "must be a six-digit administrative division code (GB/T 2260)")
	}
	if d := strings.TrimSpace(f.Address.Detail); d == "" {
		e.Add("/address/detail", "is required")
	} else if utf8.RuneCountInString(d) < 4 {
		e.Add("/address/detail", "must give the street and number")
	}
	if strings.TrimSpace(f.BusinessScope) == "" {
		e.Add("/businessScope", "is required")
	}
	checkPerson(&e, "/legalRepresentative", f.LegalRepresentative, true)
	switch {
	case len(f.Shareholders) == 0:
		e.Add("/shareholders", "at least one shareholder is required")
	case len(f.Shareholders) > 1 && (f.EnterpriseType == TypeSoleLLC || f.EnterpriseType == TypeSoleProprietorship):
		e.Add("/shareholders", "a %s enterprise has exactly one investor", f.EnterpriseType)
	case len(f.Shareholders) < 2 && f.EnterpriseType == TypePartnership:
		e.Add("/shareholders", "a partnership needs at least two partners")
	}
	total := new(big.Int)
	sumOK := true
	seen := map[string]bool{}
	for i, h := range f.Shareholders {
		p := fmt.Sprintf("/shareholders/%d", i)
		switch h.Kind {
		case HolderPerson:
			checkPerson(&e, p, Person{Name: h.Name, IDNumber: h.IDNumber}, false)
		case HolderEnterprise:
			if n := utf8.RuneCountInString(strings.TrimSpace(h.Name)); n < 2 {
				e.Add(p+"/name", "is required")
			}
			if !ValidUSCC(h.IDNumber) {
				e.Add(p+"/idNumber", "is not a valid unified social credit code (GB 32100-2015: 18 characters, check character)")
			}
		default:
			e.Add(p+"/kind", "must be person or enterprise")
		}
		if seen[h.IDNumber] && h.IDNumber != "" {
			e.Add(p+"/idNumber", "the same investor is listed twice")
		}
		seen[h.IDNumber] = true
		c, ok := parseAmount(h.Contribution)
		if !ok || c.Sign() == 0 {
			e.Add(p+"/contribution", "must be an amount in yuan, more than zero, with at most two decimals")
			sumOK = false
			continue
		}
		total.Add(total, c)
	}
	if sumOK && capital != nil && len(f.Shareholders) > 0 && total.Cmp(capital) != 0 {
		e.Add("/shareholders", "contributions add up to %s fen, the registered capital is %s fen", total, capital)
	}
	seenSvc := map[string]bool{}
	for i, s := range f.Services {
		if seenSvc[s] {
			e.Add(fmt.Sprintf("/services/%d", i), "%q chosen twice", s)
		}
		seenSvc[s] = true
	}
	return e.Err()
}
