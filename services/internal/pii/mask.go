package pii

import (
	"strings"
	"unicode/utf8"
)

// The masks follow the de-identification practice of GB/T 35273 and of
// Chinese government portals: keep what lets a person recognise their own
// record, hide what identifies them to anyone else.

// MaskName keeps a name's first character: 张三丰 → 张**.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	first, size := utf8.DecodeRuneInString(name)
	return string(first) + strings.Repeat("*", max(utf8.RuneCountInString(name[size:]), 1))
}

// MaskIDNumber keeps the region code (first 6) and the last 4 characters of a
// resident ID number, hiding the birth date: 370102199001011234 →
// 370102********1234. Shorter values keep only their last character.
func MaskIDNumber(id string) string {
	id = Normalize(id)
	n := utf8.RuneCountInString(id)
	switch {
	case n == 0:
		return ""
	case n < 12:
		r := []rune(id)
		return strings.Repeat("*", n-1) + string(r[n-1])
	}
	r := []rune(id)
	return string(r[:6]) + strings.Repeat("*", n-10) + string(r[n-4:])
}

// MaskPhone keeps the first 3 and last 4 digits of a mobile number:
// 13812345678 → 138****5678. Shorter values keep only their last 2.
func MaskPhone(phone string) string {
	phone = Normalize(phone)
	n := len(phone)
	switch {
	case n == 0:
		return ""
	case n < 7:
		return strings.Repeat("*", max(n-2, 0)) + phone[max(n-2, 0):]
	}
	return phone[:3] + strings.Repeat("*", n-7) + phone[n-4:]
}
