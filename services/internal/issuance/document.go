package issuance

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Kind is the kind of an issued document. Each kind is also the code of its
// asset type on chain.
type Kind string

// The documents of unified issuance, one for each department of the default
// establishment process.
const (
	KindLicence     Kind = "business-licence"               // 营业执照 (market regulation)
	KindSeal        Kind = "seal-record"                    // 印章刻制告知单
	KindSocial      Kind = "social-security-registration"   // 社保登记告知单
	KindMedical     Kind = "medical-insurance-registration" // 医保登记告知单
	KindHousingFund Kind = "housing-fund-account"           // 住房公积金开户告知单
	KindBank        Kind = "bank-account-appointment"       // 银行开户告知单
	KindTax         Kind = "tax-registration"               // 涉税事项告知单
)

// Kinds lists every kind in the order of model.Departments.
var Kinds = []Kind{KindLicence, KindSeal, KindSocial, KindMedical, KindHousingFund, KindBank, KindTax}

var kindInfo = map[Kind]struct{ dept, title string }{
	KindLicence:     {model.DeptMarket, "营业执照"},
	KindSeal:        {model.DeptSeal, "印章刻制告知单"},
	KindSocial:      {model.DeptSocial, "社会保险登记告知单"},
	KindMedical:     {model.DeptMedical, "医疗保险登记告知单"},
	KindHousingFund: {model.DeptHousingFund, "住房公积金开户告知单"},
	KindBank:        {model.DeptBank, "银行开户告知单"},
	KindTax:         {model.DeptTax, "涉税事项告知单"},
}

// KindFor returns the kind of document a department issues.
func KindFor(department string) (Kind, bool) {
	for k, i := range kindInfo {
		if i.dept == department {
			return k, true
		}
	}
	return "", false
}

// Department returns the department that issues documents of kind k.
func (k Kind) Department() string { return kindInfo[k].dept }

// Title returns the document's printed title.
func (k Kind) Title() string { return kindInfo[k].title }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindInfo[k]; return ok }

// ErrInvalid is wrapped by every error about a document, a payload or a
// request that is malformed; callers answer it with a 4xx.
var ErrInvalid = errors.New("invalid issuance input")

// Field is one printed line of a document: a label and its value. Key is a
// stable machine name (for example "uscc"), independent of the label.
type Field struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// Document is what gets rendered and signed: its kind, the asset it becomes,
// the company, the issuing department and the printed fields in order.
type Document struct {
	Kind        Kind      `json:"kind"`
	Asset       string    `json:"asset"`
	USCC        string    `json:"uscc"`
	CompanyName string    `json:"companyName"`
	Issuer      string    `json:"issuer"`
	IssuerName  string    `json:"issuerName"`
	IssuedAt    time.Time `json:"issuedAt"`
	Fields      []Field   `json:"fields"`
}

// Validate checks that the document can be rendered and signed.
func (d *Document) Validate() error {
	var errs []string
	if !d.Kind.Valid() {
		errs = append(errs, fmt.Sprintf("unknown document kind %q", d.Kind))
	}
	if !isID(d.Asset) {
		errs = append(errs, "asset must be a 32-digit lower-case hex asset ID")
	}
	if !validUSCC(d.USCC) {
		errs = append(errs, fmt.Sprintf("uscc %q is not an 18-character unified social credit code", d.USCC))
	}
	text := func(name, v string, max int) {
		if strings.TrimSpace(v) == "" || utf8.RuneCountInString(v) > max || !utf8.ValidString(v) {
			errs = append(errs, fmt.Sprintf("%s must be 1 to %d characters", name, max))
		}
	}
	text("companyName", d.CompanyName, 100)
	text("issuer", d.Issuer, 64)
	text("issuerName", d.IssuerName, 100)
	if d.IssuedAt.IsZero() {
		errs = append(errs, "issuedAt is required")
	}
	if len(d.Fields) == 0 || len(d.Fields) > 24 {
		errs = append(errs, "a document has 1 to 24 fields")
	}
	for _, f := range d.Fields {
		text("field key", f.Key, 40)
		text("field label", f.Label, 40)
		if utf8.RuneCountInString(f.Value) > 2000 || !utf8.ValidString(f.Value) {
			errs = append(errs, fmt.Sprintf("field %q: value longer than 2000 characters", f.Key))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(errs, "; "))
	}
	return nil
}

// Field returns the value of the field named key, or "".
func (d *Document) Field(key string) string {
	for _, f := range d.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// isID reports whether s has the shape of model.DeriveID's IDs.
func isID(s string) bool {
	return len(s) == 32 && strings.Trim(s, "0123456789abcdef") == ""
}

// validUSCC checks the shape and the GB 32100-2015 check character of a
// unified social credit code.
func validUSCC(s string) bool {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(alphabet, s[i])
		if v < 0 {
			return false
		}
		sum += v * weights[i]
	}
	c := (31 - sum%31) % 31
	return s[17] == alphabet[c]
}

// Licence is the content of a business licence (营业执照).
type Licence struct {
	USCC                string
	Name                string
	Type                string // 类型, e.g. 有限责任公司(自然人投资或控股)
	LegalRepresentative string
	RegisteredCapital   string // as printed, e.g. 壹佰万元整
	EstablishedOn       time.Time
	Address             string
	Scope               string
	IssuerName          string // 登记机关
}

// LicenceDocument returns the document of a business licence issued by the
// market-regulation department as asset.
func LicenceDocument(asset, issuer string, l Licence, issuedAt time.Time) Document {
	return Document{
		Kind: KindLicence, Asset: asset, USCC: l.USCC, CompanyName: l.Name,
		Issuer: issuer, IssuerName: l.IssuerName, IssuedAt: issuedAt,
		Fields: []Field{
			{"uscc", "统一社会信用代码", l.USCC},
			{"name", "名称", l.Name},
			{"type", "类型", l.Type},
			{"legalRepresentative", "法定代表人", l.LegalRepresentative},
			{"registeredCapital", "注册资本", l.RegisteredCapital},
			{"establishedOn", "成立日期", chineseDate(l.EstablishedOn)},
			{"address", "住所", l.Address},
			{"scope", "经营范围", l.Scope},
		},
	}
}

// NoticeDocument returns a notice of kind k for the company: the fields are
// the department's registration results (for example the social-security
// registration number), printed after the company's code and name.
func NoticeDocument(k Kind, asset, issuer, issuerName, uscc, company string, results []Field, issuedAt time.Time) Document {
	fields := append([]Field{
		{"uscc", "统一社会信用代码", uscc},
		{"name", "单位名称", company},
	}, results...)
	return Document{
		Kind: k, Asset: asset, USCC: uscc, CompanyName: company,
		Issuer: issuer, IssuerName: issuerName, IssuedAt: issuedAt, Fields: fields,
	}
}

func chineseDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d年%02d月%02d日", t.Year(), int(t.Month()), t.Day())
}

// AssetTypes returns the asset type definitions of the seven documents, each
// issued by its department's chain member (members maps a department code to
// its MSP ID); the operator defines them on chain (asset.DefineAssetType)
// when the consortium is founded.
func AssetTypes(members map[string]string) ([]model.AssetTypeDefinition, error) {
	out := make([]model.AssetTypeDefinition, 0, len(Kinds))
	for _, k := range Kinds {
		m, ok := members[k.Department()]
		if !ok {
			return nil, fmt.Errorf("%w: no chain member for department %s", ErrInvalid, k.Department())
		}
		d := model.AssetTypeDefinition{Code: string(k), Name: k.Title(), Issuers: []string{m},
			Schema: `{"type":"object","description":"A PDF document rendered and SM2-signed by the issuing department (services/internal/issuance)"}`}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("asset type %s: %w", k, err)
		}
		out = append(out, d)
	}
	return out, nil
}
