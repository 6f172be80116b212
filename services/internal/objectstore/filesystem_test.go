package objectstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
)

func fsBackend() backend {
	return backend{
		open: func(t *testing.T, opts ...objectstore.Option) objectstore.Store {
			s, err := objectstore.NewFS(t.TempDir(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		tamper: func(t *testing.T, s objectstore.Store, name string, data []byte) {
			// In place, as an intruder editing the file would: same inode.
			if err := os.WriteFile(objectPath(fsOf(s), name), data, 0o640); err != nil {
				t.Fatal(err)
			}
		},
		stray: func(t *testing.T, s objectstore.Store) {
			dir, valid := fsOf(s).Dir(), gm.Hex([]byte("stray"))
			os.MkdirAll(filepath.Join(dir, "ab"), 0o750)
			os.MkdirAll(filepath.Join(dir, valid[:2]), 0o750)
			for _, p := range []string{"README", "tmp/put-123", "ab/notes.txt", valid[:2] + "/" + valid + ".bak", "ab/" + valid} {
				if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o640); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
}

func fsOf(s objectstore.Store) *objectstore.FS {
	if p, ok := s.(plainStore); ok {
		s = p.Store
	}
	return s.(*objectstore.FS)
}

func objectPath(s *objectstore.FS, name string) string {
	return filepath.Join(s.Dir(), name[:2], name)
}

func TestFS(t *testing.T) {
	testStore(t, fsBackend())
}

func TestFS_Layout(t *testing.T) {
	s, err := objectstore.NewFS(filepath.Join(t.TempDir(), "new", "objects"))
	if err != nil {
		t.Fatal(err)
	}
	name := put(t, s, []byte("licence"))
	info, err := os.Stat(objectPath(s, name))
	if err != nil {
		t.Fatalf("object not at DIR/%s/NAME: %v", name[:2], err)
	}
	if perm := info.Mode().Perm(); perm&0o007 != 0 {
		t.Fatalf("object mode %v is open to others", perm)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp")); len(entries) != 0 {
		t.Fatalf("temporary files left after a put: %v", entries)
	}
}

func TestFS_SweepsStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := objectstore.NewFS(dir); err != nil {
		t.Fatal(err)
	}
	stale, fresh := filepath.Join(dir, "tmp", "put-1"), filepath.Join(dir, "tmp", "put-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("half an object"), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	if _, err := objectstore.NewFS(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stale temporary file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary file (a put in progress) was removed: %v", err)
	}
}

func TestFS_NotARegularFile(t *testing.T) {
	s, _ := objectstore.NewFS(t.TempDir())
	name := gm.Hex([]byte("dir"))
	if err := os.MkdirAll(objectPath(s, name), 0o750); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), name); !errors.Is(err, objectstore.ErrTampered) {
		t.Fatalf("get of a folder = %v; want ErrTampered", err)
	}
}

func TestFS_CheckFailsWithoutFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "objects")
	s, err := objectstore.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(context.Background()); err == nil {
		t.Fatal("check passed with the folder gone")
	}
}

func TestFS_Options(t *testing.T) {
	if _, err := objectstore.NewFS(""); err == nil {
		t.Error("NewFS accepted no folder")
	}
	if _, err := objectstore.NewFS(t.TempDir(), objectstore.WithMaxSize(0)); err == nil {
		t.Error("NewFS accepted a zero size limit")
	}
}

// killHelperEnv makes TestFS_KillHelper, run as a child process, put objects
// into the folder it names until it is killed.
const killHelperEnv = "OBJECTSTORE_KILL_HELPER_DIR"

// TestFS_KillHelper is not a test of its own: TestFS_KillDuringPuts runs the
// test binary with killHelperEnv set to make it the process it kills.
func TestFS_KillHelper(t *testing.T) {
	dir := os.Getenv(killHelperEnv)
	if dir == "" {
		t.Skip("child process of TestFS_KillDuringPuts")
	}
	s, err := objectstore.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	for {
		name := put(t, s, random(t, rand.IntN(2<<20)))
		fmt.Fprintln(out, "put", name) // only once the put has returned
		out.Flush()
	}
}

// TestFS_KillDuringPuts kills a process writing objects (kill -9) at random
// moments and checks that every object under a valid name is whole: each
// file's name is its SM3 digest, and every put that returned is there.
func TestFS_KillDuringPuts(t *testing.T) {
	dir := t.TempDir()
	var done []string
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestFS_KillHelper$", "-test.count=1")
		cmd.Env = append(os.Environ(), killHelperEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		want := 3 + rand.IntN(5)
		for i := 0; i < want && lines.Scan(); i++ {
			if name, ok := strings.CutPrefix(lines.Text(), "put "); ok {
				done = append(done, name)
			}
		}
		// Land the kill somewhere inside a put, not just between two.
		time.Sleep(time.Duration(rand.IntN(40)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		for lines.Scan() {
			if name, ok := strings.CutPrefix(lines.Text(), "put "); ok {
				done = append(done, name)
			}
		}
		cmd.Wait()
		if len(done) < want {
			t.Fatalf("round %d: the helper stopped after %d puts", round, len(done))
		}
	}

	s, err := objectstore.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	objects, partial := 0, 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if filepath.Base(filepath.Dir(path)) == "tmp" {
			partial++ // a put the kill interrupted: never under a valid name
			return nil
		}
		objects++
		if _, err := s.Get(ctx, d.Name()); err != nil {
			t.Errorf("object %s after kill -9: %v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range done {
		if _, err := s.Get(ctx, name); err != nil {
			t.Errorf("a put that returned is lost: %s: %v", name, err)
		}
	}
	t.Logf("after 4 kills: %d objects, all whole; %d puts had returned; %d interrupted puts left temporary files", objects, len(done), partial)
}
