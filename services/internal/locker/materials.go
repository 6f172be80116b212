package locker

import (
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// MaterialType is an asset type of the establishment's materials (the
// registry's item names them by assetType) that an applicant may put into
// its own locker (7.6.2 c 4): self-uploaded, then made trusted by the
// reviewing department, and pulled from the locker at the window (7.1 c).
type MaterialType struct {
	Code string
	Name string
}

// MaterialTypes are the establishment item's materials held as assets.
var MaterialTypes = []MaterialType{
	{"identity-card", "法定代表人身份证明"},
	{"articles-of-association", "公司章程"},
	{"address-proof", "住所使用证明"},
}

// MaterialTypeDefinitions returns the on-chain definitions of MaterialTypes:
// self-upload allowed, issued (window channel) and reviewed by reviewer, the
// market regulator's member, which examines the materials of the licence.
func MaterialTypeDefinitions(reviewer string) ([]model.AssetTypeDefinition, error) {
	out := make([]model.AssetTypeDefinition, 0, len(MaterialTypes))
	for _, m := range MaterialTypes {
		d := model.AssetTypeDefinition{Code: m.Code, Name: m.Name, Issuers: []string{reviewer}, Reviewers: []string{reviewer}, SelfUpload: true,
			Schema: `{"type":"object","description":"A material of enterprise establishment, uploaded by the applicant or issued at the window"}`}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("material type %s: %w", m.Code, err)
		}
		out = append(out, d)
	}
	return out, nil
}
