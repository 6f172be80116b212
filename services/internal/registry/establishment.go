package registry

import "github.com/kaiban-platform/kaiban/chaincode/model"

// Follow-up services of the establishment item: the six parallel steps after
// the business licence, named by their departments' codes.
var FollowUpServices = []string{model.DeptSeal, model.DeptSocial, model.DeptMedical, model.DeptHousingFund, model.DeptBank, model.DeptTax}

// DefaultEstablishment is version 1 of the establishment item's process as
// migration 00750 seeds it (7.6.3, 7.5 c): the business licence, then seal,
// social security, medical insurance, housing fund, bank account and tax in
// parallel, each optional, then unified issuance. TestSeed_DefaultDefinition
// checks that the seeded row is exactly this definition and its digest.
func DefaultEstablishment() Definition {
	basics := []string{"enterprise-basics", "uscc", "legal-representative"}
	follow := func(dept, name, output string, limit int64) Step {
		return Step{
			Key: dept, Name: name, Department: dept, Service: dept,
			DependsOn:    []string{"licence"},
			LimitSeconds: limit,
			Inputs:       []string{"business-licence", "legal-representative-id"},
			Outputs:      []string{output},
			Shared:       []string{"enterprise-basics"},
			Pushed:       basics,
		}
	}
	return Definition{
		Item: EstablishmentItem,
		Steps: []Step{
			{
				Key: "licence", Name: "营业执照 business licence", Department: model.DeptMarket,
				LimitSeconds: 8 * 3600,
				Inputs:       []string{"application-form", "legal-representative-id", "shareholder-ids", "articles-of-association", "address-proof"},
				Outputs:      []string{"business-licence"},
				Shared:       []string{"enterprise-basics"},
				Accumulated:  []string{"uscc", "enterprise-basics", "legal-representative"},
				Pushed:       []string{"application-form"},
			},
			follow(model.DeptSeal, "印章刻制 seal engraving", "seal-record", 4*3600),
			follow(model.DeptSocial, "社保登记 social security registration", "social-security-registration", 4*3600),
			follow(model.DeptMedical, "医保登记 medical insurance registration", "medical-insurance-registration", 4*3600),
			follow(model.DeptHousingFund, "住房公积金开户 housing fund account", "housing-fund-account", 4*3600),
			follow(model.DeptBank, "银行开户预约 bank account appointment", "bank-account-appointment", 4*3600),
			follow(model.DeptTax, "涉税办理 tax registration", "tax-registration", 4*3600),
		},
		Issuance: IssuanceUnified,
	}
}
