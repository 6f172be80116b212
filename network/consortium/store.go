package consortium

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

const specHeader = `# Kaiban consortium (DB37/T 4431-2021 Annex A), managed by kaiban-net.
# kaiban-net reads this file and renders every other file of this directory
# from it; edit it with kaiban-net commands (member add, node add, ...).
`

// Load reads the consortium of a directory.
func Load(dir string) (*Spec, Layout, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, Layout{}, err
	}
	l := Layout{Dir: abs}
	data, err := os.ReadFile(l.SpecFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, l, &NotInitializedError{Dir: dir}
	}
	if err != nil {
		return nil, l, err
	}
	s, err := Parse(data)
	if err != nil {
		return nil, l, fmt.Errorf("%s: %w", l.SpecFile(), err)
	}
	return s, l, nil
}

// Parse decodes and validates a network.yaml; unknown keys are errors, so a
// misspelt key is not silently ignored.
func Parse(data []byte) (*Spec, error) {
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if s.ChannelCapability == "" {
		// network.yaml files written before the setting existed are Fabric 3 ones.
		s.ChannelCapability = "V3_0"
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// Marshal encodes s as network.yaml.
func (s *Spec) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(specHeader)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Save validates s and writes it to the layout's network.yaml atomically.
func Save(l Layout, s *Spec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	data, err := s.Marshal()
	if err != nil {
		return err
	}
	return WriteFile(l.SpecFile(), data, 0o644)
}

// WriteFile writes data to path through a temporary file and a rename, so a
// reader never sees a half-written file. It leaves an identical file alone.
func WriteFile(path string, data []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm() == mode {
			return nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
