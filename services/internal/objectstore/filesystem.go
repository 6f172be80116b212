package objectstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// FS is a Store in a local folder, for development and single-node
// deployments. Object abcd… lives at DIR/ab/abcd…: the two-digit fan-out keeps
// folders small (256 of them, each 1/256 of the objects). An object is written
// to DIR/tmp, flushed to disk, then renamed into place and the folder flushed,
// so a crash (kill -9, power loss) leaves at worst a stray temporary file and
// never a partial object under a valid name.
type FS struct {
	dir     string
	tmp     string
	maxSize int64
}

// staleTemp is how old a temporary file must be before NewFS deletes it as the
// remains of a crashed Put rather than the work of a Put in progress.
const staleTemp = time.Hour

const (
	dirPerm  = 0o750
	filePerm = 0o640
)

// NewFS opens the store in dir, creating the folder when missing, and deletes
// temporary files that crashed writers left behind.
func NewFS(dir string, opts ...Option) (*FS, error) {
	o, err := applyOptions(opts)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		return nil, errors.New("objectstore: filesystem store needs a folder")
	}
	s := &FS{dir: dir, tmp: filepath.Join(dir, "tmp"), maxSize: o.maxSize}
	if err := os.MkdirAll(s.tmp, dirPerm); err != nil {
		return nil, fmt.Errorf("objectstore: open %s: %w", dir, err)
	}
	if err := s.sweep(time.Now().Add(-staleTemp)); err != nil {
		return nil, fmt.Errorf("objectstore: open %s: %w", dir, err)
	}
	return s, nil
}

// sweep deletes temporary files last modified before cutoff.
func (s *FS) sweep(cutoff time.Time) error {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || info.ModTime().After(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(s.tmp, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Dir returns the folder of the store.
func (s *FS) Dir() string { return s.dir }

func (s *FS) path(name string) string {
	return filepath.Join(s.dir, name[:2], name)
}

// Put stores data under its SM3 name. It always writes, even when the name
// exists, so that a Put of the right bytes repairs a tampered object; the
// rename makes the replacement atomic for concurrent readers and writers.
// Hashing and writing the temporary file run in parallel.
func (s *FS) Put(ctx context.Context, data []byte) (string, error) {
	// The digest is computed on another core while the bytes go to disk.
	var (
		name string
		wg   sync.WaitGroup
	)
	wg.Go(func() { name = Name(data) })
	err := s.store(ctx, data, func() string { wg.Wait(); return name })
	return name, err
}

// putNamed stores data under name, which the caller computed as its SM3
// digest (PutSealed names the ciphertext while sealing it).
func (s *FS) putNamed(ctx context.Context, name string, data []byte) error {
	return s.store(ctx, data, func() string { return name })
}

// store writes data durably to a temporary file and renames it to name(),
// which it calls only once the bytes are on disk.
func (s *FS) store(ctx context.Context, data []byte, name func() string) error {
	if int64(len(data)) > s.maxSize {
		return fmt.Errorf("objectstore: put %d bytes: %w (limit %d)", len(data), ErrTooLarge, s.maxSize)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("objectstore: put: %w", err)
	}
	tmp, err := s.writeTemp(data)
	n := name()
	if err != nil {
		return fmt.Errorf("objectstore: put %s: %w", n, err)
	}
	if err := s.install(tmp, n); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("objectstore: put %s: %w", n, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file, flushed to disk, and returns
// its path.
func (s *FS) writeTemp(data []byte) (string, error) {
	f, err := os.CreateTemp(s.tmp, "put-*")
	if err != nil {
		return "", err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(filePerm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// install renames the flushed temporary file tmp to the object's path and
// flushes the folders the rename (and a new fan-out folder) changed.
func (s *FS) install(tmp, name string) error {
	fan := filepath.Join(s.dir, name[:2])
	switch err := os.Mkdir(fan, dirPerm); {
	case err == nil:
		if err := syncDir(s.dir); err != nil {
			return err
		}
	case !errors.Is(err, fs.ErrExist):
		return err
	}
	if err := os.Rename(tmp, s.path(name)); err != nil {
		return err
	}
	return syncDir(fan)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get returns the object called name once its SM3 digest is checked.
func (s *FS) Get(ctx context.Context, name string) ([]byte, error) {
	data, err := s.fetch(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := verify(name, data); err != nil {
		return nil, err
	}
	return data, nil
}

// fetch reads the object called name without verifying it.
func (s *FS) fetch(ctx context.Context, name string) ([]byte, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("objectstore: get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, err)
	}
	f, err := os.Open(s.path(name))
	if err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, notFound(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("objectstore: get %s: %w: not a regular file", name, ErrTampered)
	}
	if info.Size() > s.maxSize {
		return nil, fmt.Errorf("objectstore: get %s: %w (%d bytes, limit %d)", name, ErrTooLarge, info.Size(), s.maxSize)
	}
	// This store replaces objects only by rename, so the open file changes
	// only if someone writes it in place: a byte past the size is tampering.
	data := make([]byte, info.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("objectstore: get %s: %w", name, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("objectstore: get %s: %w: file grew while read", name, ErrTampered)
	}
	return data, nil
}

// Stat describes the object called name without reading it.
func (s *FS) Stat(ctx context.Context, name string) (Info, error) {
	if err := checkName(name); err != nil {
		return Info{}, fmt.Errorf("objectstore: stat: %w", err)
	}
	info, err := os.Stat(s.path(name))
	if err != nil {
		return Info{}, fmt.Errorf("objectstore: stat %s: %w", name, notFound(err))
	}
	return Info{Name: name, Size: info.Size(), Modified: info.ModTime()}, nil
}

// Delete removes the object called name; a missing one is not an error.
func (s *FS) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("objectstore: delete: %w", err)
	}
	if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("objectstore: delete %s: %w", name, err)
	}
	return nil
}

// List calls fn with every object, fan-out folder by fan-out folder. Files
// that cannot be objects (temporary files, names that are not digests) are
// passed over.
func (s *FS) List(ctx context.Context, fn func(Info) error) error {
	fans, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("objectstore: list %s: %w", s.dir, err)
	}
	for _, fan := range fans {
		if !fan.IsDir() || len(fan.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(s.dir, fan.Name()))
		if err != nil {
			return fmt.Errorf("objectstore: list %s: %w", s.dir, err)
		}
		for _, e := range entries {
			if checkName(e.Name()) != nil || e.Name()[:2] != fan.Name() || !e.Type().IsRegular() {
				continue
			}
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("objectstore: list %s: %w", s.dir, err)
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since the folder was read
			}
			if err != nil {
				return fmt.Errorf("objectstore: list %s: %w", s.dir, err)
			}
			if err := fn(Info{Name: e.Name(), Size: info.Size(), Modified: info.ModTime()}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check reports whether the store's folder is there and writable, by creating
// and removing a temporary file.
func (s *FS) Check(ctx context.Context) error {
	f, err := os.CreateTemp(s.tmp, "check-*")
	if err != nil {
		return fmt.Errorf("objectstore: check %s: %w", s.dir, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("objectstore: check %s: %w", s.dir, err)
	}
	return nil
}

// notFound turns a missing file into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}
