package txsim

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// The key space conventions of fabric-chaincode-go's shim. Composite keys live under a
// leading U+0000 so that simple-key range queries (which must not start with it) never
// return them, and U+10FFFF, which no attribute may contain, closes a partial key's range.
const (
	minUnicodeRuneValue   = 0
	maxUnicodeRuneValue   = utf8.MaxRune
	compositeKeyNamespace = "\x00"
	// emptyKeySubstitute replaces an empty start key of GetStateByRange so that an
	// "unbounded" simple-key range begins after every composite key.
	emptyKeySubstitute = "\x01"
)

// ErrNotCompositeKey is returned by SplitCompositeKey for a key that was not made by
// CreateCompositeKey.
var ErrNotCompositeKey = errors.New("not a composite key")

// CreateCompositeKey builds the key Fabric's shim builds: U+0000, the object type, then
// each attribute, every part followed by U+0000. The object type and attributes must be
// valid UTF-8 without U+0000 or U+10FFFF.
func CreateCompositeKey(objectType string, attributes []string) (string, error) {
	if err := validateCompositeKeyAttribute(objectType); err != nil {
		return "", err
	}
	size := len(compositeKeyNamespace) + len(objectType) + 1
	for _, att := range attributes {
		size += len(att) + 1
	}
	ck := make([]byte, 0, size)
	ck = append(ck, compositeKeyNamespace...)
	ck = append(ck, objectType...)
	ck = append(ck, minUnicodeRuneValue)
	for _, att := range attributes {
		if err := validateCompositeKeyAttribute(att); err != nil {
			return "", err
		}
		ck = append(ck, att...)
		ck = append(ck, minUnicodeRuneValue)
	}
	return string(ck), nil
}

// SplitCompositeKey splits a composite key into its object type and attributes.
//
// Fabric's shim panics (index out of range) on a key with no U+0000 after its first
// byte; here such a key, and any key not starting with U+0000, yields
// ErrNotCompositeKey instead, so a chaincode bug shows up as a failed transaction.
func SplitCompositeKey(compositeKey string) (string, []string, error) {
	if len(compositeKey) == 0 || compositeKey[0] != compositeKeyNamespace[0] {
		return "", nil, fmt.Errorf("split %q: %w", compositeKey, ErrNotCompositeKey)
	}
	componentIndex := 1
	var components []string
	for i := 1; i < len(compositeKey); i++ {
		if compositeKey[i] == minUnicodeRuneValue {
			components = append(components, compositeKey[componentIndex:i])
			componentIndex = i + 1
		}
	}
	if len(components) == 0 {
		return "", nil, fmt.Errorf("split %q: %w", compositeKey, ErrNotCompositeKey)
	}
	// The shim returns an empty, non-nil slice for a key without attributes.
	return components[0], append([]string{}, components[1:]...), nil
}

func validateCompositeKeyAttribute(str string) error {
	if !utf8.ValidString(str) {
		return fmt.Errorf("not a valid utf8 string: [%x]", str)
	}
	for index, runeValue := range str {
		if runeValue == minUnicodeRuneValue || runeValue == maxUnicodeRuneValue {
			return fmt.Errorf(`input contains unicode %#U starting at position [%d]. %#U and %#U are not allowed in the input attribute of a composite key`,
				runeValue, index, minUnicodeRuneValue, maxUnicodeRuneValue)
		}
	}
	return nil
}

// validateSimpleKeys rejects range bounds inside the composite key namespace, as the
// shim does, so a simple-key range query cannot be used to read composite keys.
func validateSimpleKeys(simpleKeys ...string) error {
	for _, key := range simpleKeys {
		if len(key) > 0 && key[0] == compositeKeyNamespace[0] {
			return fmt.Errorf(`first character of the key [%s] contains a null character which is not allowed`, key)
		}
	}
	return nil
}

// partialCompositeKeyRange returns the range covering every composite key that starts
// with the given object type and attributes.
func partialCompositeKeyRange(objectType string, attributes []string) (string, string, error) {
	partial, err := CreateCompositeKey(objectType, attributes)
	if err != nil {
		return "", "", err
	}
	return partial, partial + string(rune(maxUnicodeRuneValue)), nil
}
