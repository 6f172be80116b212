package config

import (
	"os"
	"testing"
)

// TestReference_DocsUpToDate fails when a field of Config changed and
// docs/services.md was not regenerated (`make generate`).
func TestReference_DocsUpToDate(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/services.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := WithReference(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(doc) {
		t.Fatal("docs/services.md has a stale configuration reference: run `make generate`")
	}
}
