package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// FileEnv names the environment variable that, like --config, gives the
// configuration file.
const FileEnv = "KAIBAN_CONFIG"

// Load builds the configuration of a command from the defaults, the
// configuration file, the environment (looked up with getenv) and the flags
// in args, each overriding the one before, and validates it. It returns the
// arguments that follow the flags. With -h or --help it returns
// flag.ErrHelp after printing the usage to usage.
func Load(command string, args []string, getenv func(string) string, usage io.Writer) (Config, []string, error) {
	fs := flag.NewFlagSet(command, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	file := fs.String("config", "", "configuration file, YAML or JSON (env "+FileEnv+")")
	type flagValue struct {
		f     field
		value string
	}
	var given []flagValue
	for _, f := range fields() {
		record := func(s string) error { given = append(given, flagValue{f, s}); return nil }
		if f.typ.Kind() == reflect.Bool {
			fs.BoolFunc(f.flag, f.doc, record)
		} else {
			fs.Func(f.flag, f.doc, record)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			Usage(usage)
		}
		return Config{}, nil, err
	}

	c := Default()
	path := *file
	if path == "" {
		path = getenv(FileEnv)
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return Config{}, nil, err
		}
	}
	for _, f := range fields() {
		// The first variable set wins: KAIBAN_X before any conventional alias.
		for _, name := range f.envs {
			if s, ok := lookup(getenv, name); ok {
				if err := f.set(&c, s); err != nil {
					return Config{}, nil, fmt.Errorf("environment %s: %w", name, err)
				}
				break
			}
		}
	}
	for _, g := range given {
		if err := g.f.set(&c, g.value); err != nil {
			return Config{}, nil, fmt.Errorf("flag --%s: %w", g.f.flag, err)
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, nil, err
	}
	return c, fs.Args(), nil
}

// lookup treats an empty variable as unset, as shells and container
// runtimes often export empty values for variables they know of.
func lookup(getenv func(string) string, name string) (string, bool) {
	s := getenv(name)
	return s, s != ""
}

// loadFile applies a YAML or JSON file (JSON is YAML) onto c. Unknown keys
// are errors, so a misspelt key is reported rather than silently ignored.
func (c *Config) loadFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	byKey := map[string]field{}
	for _, f := range fields() {
		byKey[f.key()] = f
	}
	var errs []error
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			key := prefix + k
			switch v := m[k].(type) {
			case map[string]any:
				walk(v, key+".")
			case nil:
				// An empty key (`http:` with nothing under it) keeps the defaults.
			default:
				f, ok := byKey[key]
				if !ok {
					errs = append(errs, fmt.Errorf("unknown key %s", key))
					continue
				}
				if err := f.set(c, scalar(v)); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", key, err))
				}
			}
		}
	}
	walk(doc, "")
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// scalar renders a file value as the string form set parses; a list becomes
// comma-separated items.
func scalar(v any) string {
	if list, ok := v.([]any); ok {
		items := make([]string, len(list))
		for i, it := range list {
			items[i] = fmt.Sprint(it)
		}
		return strings.Join(items, ",")
	}
	return fmt.Sprint(v)
}

// MaskedJSON returns the configuration as JSON, fields in declaration order,
// with every secret masked: what a process prints when it starts.
func (c Config) MaskedJSON() json.RawMessage {
	leaves := map[string]field{}
	for _, f := range fields() {
		leaves[f.key()] = f
	}
	var b bytes.Buffer
	var object func(t reflect.Type, prefix string)
	object = func(t reflect.Type, prefix string) {
		b.WriteByte('{')
		for i := range t.NumField() {
			sf := t.Field(i)
			name := strings.Split(sf.Tag.Get("json"), ",")[0]
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(&b, name)
			b.WriteByte(':')
			if f, ok := leaves[prefix+name]; ok {
				writeJSON(&b, f.value(c))
			} else {
				object(sf.Type, prefix+name+".")
			}
		}
		b.WriteByte('}')
	}
	object(reflect.TypeFor[Config](), "")
	return b.Bytes()
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false) // a URL's & stays readable
	if err := enc.Encode(v); err != nil {
		panic("config: " + err.Error()) // every field type marshals
	}
	b.Truncate(b.Len() - 1) // Encode's newline
}

// Usage writes the flags of every command: the configuration fields with
// their environment variables and defaults.
func Usage(w io.Writer) {
	def := Default()
	fmt.Fprintf(w, "Configuration (flags win over environment, which wins over the file):\n\n")
	fmt.Fprintf(w, "  --config FILE\n      configuration file, YAML or JSON (env %s)\n", FileEnv)
	for _, f := range fields() {
		fmt.Fprintf(w, "  --%s\n      %s\n      env %s; file %s; default %s\n",
			f.flag, f.doc, strings.Join(f.envs, " or "), f.key(), defaultText(f, def))
	}
}

// Reference renders the configuration reference of docs/services.md: one
// Markdown table row per field.
func Reference() string {
	def := Default()
	var b strings.Builder
	b.WriteString("| file key | environment | flag | default | meaning |\n|---|---|---|---|---|\n")
	for _, f := range fields() {
		envs := make([]string, len(f.envs))
		for i, e := range f.envs {
			envs[i] = "`" + e + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | `--%s` | `%s` | %s |\n",
			f.key(), strings.Join(envs, ", "), f.flag, defaultText(f, def), strings.ReplaceAll(f.doc, "|", "\\|"))
	}
	return b.String()
}

func defaultText(f field, def Config) string {
	var b bytes.Buffer
	writeJSON(&b, f.value(def))
	return b.String()
}

// The markers between which docs/services.md holds the reference.
const (
	ReferenceBegin = "<!-- BEGIN config reference: generated by `make generate` from services/internal/config; do not edit -->"
	ReferenceEnd   = "<!-- END config reference -->"
)

// WithReference returns doc with the text between ReferenceBegin and
// ReferenceEnd replaced by the current Reference.
func WithReference(doc string) (string, error) {
	i := strings.Index(doc, ReferenceBegin)
	j := strings.Index(doc, ReferenceEnd)
	if i < 0 || j < i {
		return "", errors.New("no config reference markers")
	}
	return doc[:i+len(ReferenceBegin)] + "\n" + Reference() + doc[j:], nil
}
