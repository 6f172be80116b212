package acceptance

import (
	"encoding/json"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The portal computes the same check characters in the browser
// (services/web/src/areas/window/validation.ts) so that the window clerk sees
// a mistyped ID number next to the field. Both implementations are checked
// against one table: this test against the Go functions, the portal's
// Vitest (tests/unit/window/validation.spec.ts) against the TypeScript ones.
// `go test ./internal/acceptance -run CheckDigitFixture -update` writes it.

var updateFixture = flag.Bool("update", false, "rewrite the portal's check-digit fixture")

const checkDigitFixture = "../../web/tests/unit/window/checkdigits.json"

type checkDigitCase struct {
	Body  string `json:"body"`
	Check string `json:"check"`
}

type checkDigitTable struct {
	Resident []checkDigitCase `json:"resident"`
	USCC     []checkDigitCase `json:"uscc"`
}

func TestCheckDigitFixture_MatchesGo(t *testing.T) {
	if *updateFixture {
		r := rand.New(rand.NewPCG(4431, 2021))
		var tab checkDigitTable
		digits := "0123456789"
		for i := 0; i < 200; i++ {
			b := make([]byte, 17)
			for j := range b {
				b[j] = digits[r.IntN(10)]
			}
			c, _ := ResidentCheckChar(string(b))
			tab.Resident = append(tab.Resident, checkDigitCase{string(b), string(c)})
			u := make([]byte, 17)
			for j := range u {
				if j >= 2 && j < 8 {
					u[j] = digits[r.IntN(10)]
				} else {
					u[j] = usccAlphabet[r.IntN(len(usccAlphabet))]
				}
			}
			c, _ = USCCCheckChar(string(u))
			tab.USCC = append(tab.USCC, checkDigitCase{string(u), string(c)})
		}
		out, err := json.MarshalIndent(tab, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.FromSlash(checkDigitFixture), append(out, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.FromSlash(checkDigitFixture))
	if err != nil {
		t.Fatalf("read the portal's fixture: %v", err)
	}
	var tab checkDigitTable
	if err := json.Unmarshal(raw, &tab); err != nil {
		t.Fatal(err)
	}
	if len(tab.Resident) < 100 || len(tab.USCC) < 100 {
		t.Fatalf("fixture too small: %d resident, %d USCC cases", len(tab.Resident), len(tab.USCC))
	}
	for _, c := range tab.Resident {
		if got, ok := ResidentCheckChar(c.Body); !ok || string(got) != c.Check {
			t.Errorf("ResidentCheckChar(%s) = %c, fixture says %s", c.Body, got, c.Check)
		}
	}
	for _, c := range tab.USCC {
		if got, ok := USCCCheckChar(c.Body); !ok || string(got) != c.Check {
			t.Errorf("USCCCheckChar(%s) = %c, fixture says %s", c.Body, got, c.Check)
		}
	}
}
