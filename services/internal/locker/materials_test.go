package locker

import (
	"strings"
	"testing"
)

func TestMaterialTypeDefinitions_SelfUploadReviewedByTheMarket(t *testing.T) {
	defs, err := MaterialTypeDefinitions("MarketMSP")
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != len(MaterialTypes) {
		t.Fatalf("%d definitions for %d materials", len(defs), len(MaterialTypes))
	}
	for i, d := range defs {
		if d.Code != MaterialTypes[i].Code || !d.SelfUpload || len(d.Reviewers) != 1 || d.Reviewers[0] != "MarketMSP" || d.Issuers[0] != "MarketMSP" {
			t.Errorf("definition %+v", d)
		}
	}
	if _, err := MaterialTypeDefinitions(""); err == nil || !strings.Contains(err.Error(), "identity-card") {
		t.Fatalf("no reviewer: %v", err)
	}
}
