package departments

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/sdk"
)

// readMaterials reads every granted material (each read is recorded on
// chain with its reason, as a real department's review would be) and returns
// the fields of those that are JSON objects, merged in the task's order: the
// application form is one of them. The reads run at once: each waits for
// its access record's block, and they can share one.
func (s *Simulator) readMaterials(ctx context.Context, t sdk.Task) map[string]any {
	contents := make([][]byte, len(t.Materials))
	var wg sync.WaitGroup
	for i, m := range t.Materials {
		if !m.Granted {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := s.dept.Client.ReadMaterial(ctx, t.Process, t.Step, m.Asset, s.dept.KeyPassword, "审核企业开办材料 (simulated review)")
			if err != nil {
				s.cfg.Logger.Warn("read material", "department", s.dept.Code, "asset", m.Asset, "err", err)
				return
			}
			contents[i] = c.Content
		}()
	}
	wg.Wait()
	form := map[string]any{}
	for _, c := range contents {
		var fields map[string]any
		if c != nil && json.Unmarshal(c, &fields) == nil {
			for k, v := range fields {
				form[k] = v
			}
		}
	}
	return form
}

// text returns the first non-empty string among the form's keys (a dotted
// key reads a nested object), else def.
func text(form map[string]any, def string, keys ...string) string {
	for _, k := range keys {
		var v any = form
		for _, part := range strings.Split(k, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[part]
		}
		switch x := v.(type) {
		case string:
			if strings.TrimSpace(x) != "" {
				return x
			}
		case float64:
			return fmt.Sprintf("%g", x)
		}
	}
	return def
}

// licenceFor builds the licence from the task and the application form,
// with a USCC the simulated registry assigns.
func licenceFor(t sdk.Task, form map[string]any) *sdk.Licence {
	name := text(form, t.EnterpriseName, "name", "enterprise.name", "enterpriseName")
	if name == "" {
		name = "企业 " + t.Process[:min(8, len(t.Process))]
	}
	capital := text(form, "见公司章程", "registeredCapital", "capital", "enterprise.registeredCapital")
	if !strings.ContainsAny(capital, "元圆") {
		capital += " 万元人民币"
	}
	return &sdk.Licence{
		USCC:                USCC(t.Process),
		Name:                name,
		Type:                enterpriseType(text(form, t.EnterpriseType, "type", "enterprise.type", "enterpriseType")),
		LegalRepresentative: text(form, "见登记材料", "legalRepresentative.name", "legalRepresentativeName", "legalRepresentative"),
		RegisteredCapital:   capital,
		EstablishedOn:       time.Now().UTC().Format(time.DateOnly),
		Address:             text(form, "见登记材料", "address", "enterprise.address"),
		Scope:               text(form, "见登记材料", "scope", "businessScope", "enterprise.scope"),
	}
}

var typeNames = map[string]string{
	"llc": "有限责任公司", "sole-llc": "有限责任公司(自然人独资)", "joint-stock": "股份有限公司",
	"partnership": "合伙企业", "sole-proprietorship": "个人独资企业",
}

func enterpriseType(t string) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	if t == "" {
		return "有限责任公司"
	}
	return t
}

// resultsFor returns a notice's printed results: registration numbers the
// simulated department derives from the process, so a retry prints the same.
func resultsFor(dept string, t sdk.Task) []sdk.Field {
	n := number(t.Process+"/"+dept, 10)
	switch dept {
	case "seal":
		return []sdk.Field{{Key: "sealNo", Label: "印章备案编号", Value: "3701" + n},
			{Key: "result", Label: "办理结果", Value: "公章、财务专用章、发票专用章已备案，可到刻制单位领取。"}}
	case "social":
		return []sdk.Field{{Key: "socialNo", Label: "单位社保登记号", Value: "37" + n},
			{Key: "result", Label: "办理结果", Value: "已完成单位社会保险登记，请于招用职工之日起三十日内办理参保。"}}
	case "medical":
		return []sdk.Field{{Key: "medicalNo", Label: "单位医保编码", Value: "H37" + n},
			{Key: "result", Label: "办理结果", Value: "已完成单位医疗保险登记。"}}
	case "housing-fund":
		return []sdk.Field{{Key: "accountNo", Label: "单位公积金账号", Value: "0101" + n},
			{Key: "result", Label: "办理结果", Value: "已开立单位住房公积金账户。"}}
	case "bank":
		return []sdk.Field{{Key: "appointmentNo", Label: "开户预约号", Value: "B" + n},
			{Key: "appointment", Label: "预约时间", Value: time.Now().Add(24 * time.Hour).Format("2006年01月02日 09:30")},
			{Key: "result", Label: "办理结果", Value: "已预约基本存款账户开户，请法定代表人携带营业执照按时办理。"}}
	default:
		return []sdk.Field{{Key: "taxpayerNo", Label: "纳税人识别号", Value: USCC(t.Process)},
			{Key: "result", Label: "办理结果", Value: "已完成涉税事项信息确认，可申领发票。"}}
	}
}

// number returns n decimal digits derived from s.
func number(s string, n int) string {
	d := gm.Sum([]byte(s))
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		b.WriteByte('0' + d[i%len(d)]%10)
	}
	return b.String()
}

// USCC returns a unified social credit code for a process, valid under
// GB 32100 (registration authority 9 enterprise, 1 company, Jinan's division
// code 370102, an organisation code derived from the process, and the check
// character).
func USCC(process string) string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	d := gm.Sum([]byte("uscc/" + process))
	code := []byte("91370102")
	for i := 0; len(code) < 17; i++ {
		code = append(code, alphabet[int(d[i])%len(alphabet)])
	}
	sum := 0
	for i, c := range code {
		sum += strings.IndexByte(alphabet, c) * weights[i]
	}
	return string(append(code, alphabet[(31-sum%31)%31]))
}
