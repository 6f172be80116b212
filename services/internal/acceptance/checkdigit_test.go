package acceptance

import "testing"

// Valid numbers below are computed with the algorithms of the standards
// (ResidentCheckChar, USCCCheckChar) and cross-checked by hand for the first
// of each: GB 11643-1999 7.2 and GB 32100-2015 5.3.

func TestValidResidentID_Table(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		// 11010519491231002 → Σ a·W = 167, 167 mod 11 = 2 → "X" (GB 11643-1999's own example).
		{"11010519491231002X", true},
		{"440524188001010014", false}, // check character right (S mod 11 = 8 → 4) but born 1880
		{"370102199003074512", false},
		{"11010519491231002x", false}, // lower-case x
		{"110105194912310021", false}, // wrong check character
		{"11010519491331002X", false}, // month 13
		{"1101051949123100", false},   // too short
		{"11010519491231002XX", false},
		{"1101051949123A002X", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := ValidResidentID(tc.id); got != tc.want {
			t.Errorf("ValidResidentID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
	for _, body := range []string{"37010219900307451", "37020219851111002", "11010120000229123"} {
		c, ok := ResidentCheckChar(body)
		if !ok || !ValidResidentID(body+string(c)) {
			t.Errorf("computed ID %s%c refused", body, c)
		}
		wrong := byte('0')
		if c == '0' {
			wrong = '1'
		}
		if ValidResidentID(body + string(wrong)) {
			t.Errorf("ID %s%c with a wrong check character accepted", body, wrong)
		}
	}
	if c, _ := ResidentCheckChar("11010520010229123"); ValidResidentID("11010520010229123" + string(c)) {
		t.Error("29 February 2001 accepted")
	}
}

func TestValidUSCC_Table(t *testing.T) {
	tests := []struct {
		code string
		want bool
	}{
		// 91350100M000100Y4: Σ Ci·Wi = 1640, 1640 mod 31 = 28 → 31-28 = 3 → "3".
		{"91350100M000100Y43", true},
		{"91350100M000100Y4Q", false},
		{"91110000600037341L", true},
		{"91110000600037341M", false},
		{"9135010OM000100Y43", false}, // letter O in the division
		{"91350100M000100Y4", false},  // 17 characters
		{"91350100I000100Y43", false}, // I is not in the alphabet
		{"", false},
	}
	for _, tc := range tests {
		if got := ValidUSCC(tc.code); got != tc.want {
			c, _ := USCCCheckChar(tc.code[:min(17, len(tc.code))])
			t.Errorf("ValidUSCC(%q) = %v, want %v (check char %c)", tc.code, got, tc.want, c)
		}
	}
	for _, body := range []string{"91370102MA3C4T5R1", "52370000MJD600123", "12100000400000624", "93370100MA3N8PLQ2"} {
		c, ok := USCCCheckChar(body)
		if !ok || !ValidUSCC(body+string(c)) {
			t.Errorf("computed USCC %s%c refused", body, c)
		}
		for _, w := range []byte("0A") {
			if w != c && ValidUSCC(body+string(w)) {
				t.Errorf("USCC %s%c with a wrong check character accepted", body, w)
			}
		}
	}
}
