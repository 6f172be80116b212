package txsim

import (
	"errors"
	"slices"
	"testing"
)

func TestCreateCompositeKey_Encoding(t *testing.T) {
	tests := []struct {
		objectType string
		attrs      []string
		want       string
	}{
		{"asset", []string{"org1", "a1"}, "\x00asset\x00org1\x00a1\x00"},
		{"asset", nil, "\x00asset\x00"},
		{"", nil, "\x00\x00"},
		{"许可", []string{"鲁", ""}, "\x00许可\x00鲁\x00\x00"},
	}
	for _, tt := range tests {
		got, err := CreateCompositeKey(tt.objectType, tt.attrs)
		if err != nil {
			t.Fatalf("CreateCompositeKey(%q, %q): %v", tt.objectType, tt.attrs, err)
		}
		if got != tt.want {
			t.Errorf("CreateCompositeKey(%q, %q) = %q, want %q", tt.objectType, tt.attrs, got, tt.want)
		}
	}
}

func TestCreateCompositeKey_RejectsReservedRunes(t *testing.T) {
	tests := []struct {
		name       string
		objectType string
		attrs      []string
	}{
		{"nul in object type", "as\x00set", nil},
		{"nul in attribute", "asset", []string{"a\x00"}},
		{"max rune in attribute", "asset", []string{"a\U0010FFFF"}},
		{"invalid utf8", "asset", []string{"\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := CreateCompositeKey(tt.objectType, tt.attrs); err == nil {
				t.Fatal("want error")
			}
		})
	}
}

func TestSplitCompositeKey_RoundTrip(t *testing.T) {
	key, err := CreateCompositeKey("grant", []string{"s1", "", "view"})
	if err != nil {
		t.Fatal(err)
	}
	objectType, attrs, err := SplitCompositeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if objectType != "grant" || !slices.Equal(attrs, []string{"s1", "", "view"}) {
		t.Fatalf("split = %q %q", objectType, attrs)
	}
	_, attrs, err = SplitCompositeKey("\x00grant\x00")
	if err != nil || attrs == nil || len(attrs) != 0 {
		t.Fatalf("split of key without attributes = %q, %v; want empty non-nil slice", attrs, err)
	}
}

func TestSplitCompositeKey_NotComposite(t *testing.T) {
	for _, key := range []string{"", "simple", "\x00noterminator", "a\x00b\x00"} {
		if _, _, err := SplitCompositeKey(key); !errors.Is(err, ErrNotCompositeKey) {
			t.Errorf("SplitCompositeKey(%q) error = %v, want ErrNotCompositeKey", key, err)
		}
	}
}

func FuzzCompositeKey_RoundTrip(f *testing.F) {
	f.Add("asset", "org1", "a1", uint8(2))
	f.Add("", "", "", uint8(0))
	f.Add("许可", "鲁", "\u00e9", uint8(1))
	f.Fuzz(func(t *testing.T, objectType, a, b string, n uint8) {
		attrs := []string{a, b, a + b}[:n%4]
		key, err := CreateCompositeKey(objectType, attrs)
		if err != nil {
			// Only invalid parts may be rejected.
			if validateCompositeKeyAttribute(objectType) == nil && validateCompositeKeyAttribute(a) == nil && validateCompositeKeyAttribute(b) == nil {
				t.Fatalf("valid parts rejected: %v", err)
			}
			return
		}
		gotType, gotAttrs, err := SplitCompositeKey(key)
		if err != nil {
			t.Fatalf("split %q: %v", key, err)
		}
		if gotType != objectType || !slices.Equal(gotAttrs, attrs) {
			t.Fatalf("round trip of %q %q gave %q %q", objectType, attrs, gotType, gotAttrs)
		}
		// A composite key sorts inside its partial key's range, and after every
		// simple-key range start.
		start, end, err := partialCompositeKeyRange(objectType, nil)
		if err != nil {
			t.Fatal(err)
		}
		if key < start || key >= end || key >= emptyKeySubstitute {
			t.Fatalf("key %q outside [%q, %q) or not before simple keys", key, start, end)
		}
	})
}
