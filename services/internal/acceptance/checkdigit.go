package acceptance

import (
	"strings"
	"time"
)

// Check digits of the two identifiers on the establishment form.

// usccAlphabet is the code alphabet of the unified social credit code
// (GB 32100-2015, 4.2): digits and upper-case letters without I, O, Z, S, V,
// whose positions are the characters' values 0-30.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are W_i = 3^(i-1) mod 31 for the 17 body characters (GB
// 32100-2015, 5.3).
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar returns the check character of a USCC's first 17 characters
// (GB 32100-2015, 5.3: C18 = 31 - MOD(Σ Ci×Wi, 31), 31 written as 0), and
// false when body is not 17 characters of the code alphabet.
func USCCCheckChar(body string) (byte, bool) {
	if len(body) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, body[i])
		if v < 0 {
			return 0, false
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccAlphabet[c], true
}

// ValidUSCC reports whether code is an 18-character unified social credit
// code: registration authority and organisation-type characters, a six-digit
// administrative division (positions 3-8), code-alphabet characters and the
// check character of GB 32100-2015.
func ValidUSCC(code string) bool {
	if len(code) != 18 {
		return false
	}
	for i := 2; i < 8; i++ {
		if code[i] < '0' || code[i] > '9' {
			return false
		}
	}
	c, ok := USCCCheckChar(code[:17])
	return ok && c == code[17]
}

// residentWeights are W_i = 2^(18-i) mod 11 for the 17 body digits of a
// citizen identity number (GB 11643-1999, 7.2).
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// residentCheck maps MOD(Σ ai×Wi, 11) to the check character a1 (GB
// 11643-1999, 7.2: a1 = (12 - S mod 11) mod 11, 10 written as X).
const residentCheck = "10X98765432"

// ResidentCheckChar returns the check character of an ID number's first 17
// digits, and false when body is not 17 digits.
func ResidentCheckChar(body string) (byte, bool) {
	if len(body) != 17 {
		return 0, false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
		sum += int(body[i]-'0') * residentWeights[i]
	}
	return residentCheck[sum%11], true
}

// ValidResidentID reports whether id is an 18-character citizen identity
// number of GB 11643-1999: address code, a real birth date not in the future,
// sequence code, and the check character (upper-case X for ten).
func ValidResidentID(id string) bool {
	if len(id) != 18 {
		return false
	}
	c, ok := ResidentCheckChar(id[:17])
	if !ok || c != id[17] {
		return false
	}
	birth, err := time.Parse("20060102", id[6:14])
	return err == nil && birth.Year() >= 1900 && !birth.After(time.Now())
}
