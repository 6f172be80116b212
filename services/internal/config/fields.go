package config

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// field is one leaf of Config, with the names it is known by in a file, the
// environment and on the command line, all derived from its json path.
type field struct {
	path   []string // json names from the root, e.g. ["http", "listen"]
	index  []int    // reflect field index from the root
	typ    reflect.Type
	doc    string
	envs   []string // KAIBAN_... first, then the env tag's extra names
	flag   string
	secret string // "", "true" (mask all) or "url" (mask the password of a URL)
}

// key is the field's dotted file path, e.g. "http.listen".
func (f field) key() string { return strings.Join(f.path, ".") }

var durationType = reflect.TypeFor[time.Duration]()

// fields lists the leaves of Config in declaration order.
var fields = sync.OnceValue(func() []field {
	var out []field
	var walk func(t reflect.Type, path []string, index []int)
	walk = func(t reflect.Type, path []string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("json"), ",")[0]
			if name == "" || name == "-" {
				panic("config: field " + sf.Name + " has no json name")
			}
			p := append(append([]string(nil), path...), name)
			idx := append(append([]int(nil), index...), i)
			if sf.Type.Kind() == reflect.Struct && sf.Type != durationType {
				walk(sf.Type, p, idx)
				continue
			}
			words := make([]string, 0, len(p))
			for _, seg := range p {
				words = append(words, kebab(seg))
			}
			flagName := strings.Join(words, "-")
			envs := []string{"KAIBAN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))}
			if extra := sf.Tag.Get("env"); extra != "" {
				envs = append(envs, strings.Split(extra, ",")...)
			}
			if sf.Tag.Get("doc") == "" {
				panic("config: field " + strings.Join(p, ".") + " has no doc tag")
			}
			out = append(out, field{
				path: p, index: idx, typ: sf.Type, doc: sf.Tag.Get("doc"),
				envs: envs, flag: flagName, secret: sf.Tag.Get("secret"),
			})
		}
	}
	walk(reflect.TypeFor[Config](), nil, nil)
	return out
})

// kebab turns a camelCase json name into flag words: "maxBodyBytes" →
// "max-body-bytes", "mspId" → "msp-id".
func kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// set parses s into the field of c; a list field takes comma-separated items.
func (f field) set(c *Config, s string) error {
	v := reflect.ValueOf(c).Elem().FieldByIndex(f.index)
	switch {
	case f.typ == durationType:
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration (like 500ms, 15s, 2m)", s)
		}
		v.SetInt(int64(d))
	case f.typ.Kind() == reflect.String:
		v.SetString(s)
	case f.typ.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case f.typ.Kind() == reflect.Int, f.typ.Kind() == reflect.Int32, f.typ.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, f.typ.Bits())
		if err != nil {
			return fmt.Errorf("%q is not a whole number", s)
		}
		v.SetInt(n)
	case f.typ.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", s)
		}
		v.SetFloat(x)
	case f.typ.Kind() == reflect.Slice && f.typ.Elem().Kind() == reflect.String:
		var items []string
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		panic("config: unsupported field type " + f.typ.String())
	}
	return nil
}

// value returns the field's value in c, masked when the field is secret, in
// the form it is printed: durations as "15s", lists as JSON arrays.
func (f field) value(c Config) any {
	v := reflect.ValueOf(c).FieldByIndex(f.index)
	if f.typ == durationType {
		return time.Duration(v.Int()).String()
	}
	if f.typ.Kind() == reflect.Slice && v.IsNil() {
		return []string{}
	}
	if f.typ.Kind() == reflect.String {
		switch f.secret {
		case "true":
			if v.String() != "" {
				return mask
			}
		case "url":
			return MaskURL(v.String())
		}
	}
	return v.Interface()
}

// mask replaces a secret in printed configuration.
const mask = "******"

var dsnPassword = regexp.MustCompile(`(?i)(password\s*=\s*)('[^']*'|\S+)`)

// MaskURL hides the password of a connection URL (user:password@ or a
// password parameter) and keeps the rest, which is what an operator needs
// to see. Anything it cannot parse is masked whole.
func MaskURL(s string) string {
	if s == "" {
		return ""
	}
	if !strings.Contains(s, "://") { // key=value connection string
		return dsnPassword.ReplaceAllString(s, "${1}"+mask)
	}
	u, err := url.Parse(s)
	if err != nil {
		return mask
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, mask)
		}
	}
	u.RawQuery = q.Encode()
	// url escapes the mask's asterisks; show them as typed.
	return strings.ReplaceAll(u.String(), url.QueryEscape(mask), mask)
}
