package miniotest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Version is the github.com/minio/minio module version the harness builds:
// the server the project pins (DESIGN.md §6).
const Version = "v0.0.0-20260212201848-7aac2a2c5b7c"

const module = "github.com/minio/minio"

// CacheDir returns the folder holding the MinIO server built for Version:
// $KAIBAN_MINIO_CACHE when set, else kaiban/minio/VERSION under the user's
// cache folder ($XDG_CACHE_HOME or ~/.cache). scripts/install-minio.sh builds
// into the same folder, under the same lock.
func CacheDir() (string, error) {
	if d := os.Getenv("KAIBAN_MINIO_CACHE"); d != "" {
		return d, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("miniotest: no cache folder for the MinIO server (set KAIBAN_MINIO_CACHE): %w", err)
	}
	return filepath.Join(base, "kaiban", "minio", Version), nil
}

// Binary returns the path of the MinIO server: $KAIBAN_MINIO_BIN when set,
// else CacheDir()/minio, which it builds with `go install` when missing. The
// build takes minutes and needs the Go module proxy; a file lock makes test
// processes running in parallel wait for one build instead of each starting
// their own.
func Binary() (string, error) {
	if bin := os.Getenv("KAIBAN_MINIO_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("miniotest: KAIBAN_MINIO_BIN: %w", err)
		}
		return bin, nil
	}
	dir, err := CacheDir()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "minio")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if err := build(dir, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// build runs `go install module@Version` into a temporary folder beside bin
// and renames the result to bin, holding dir/build.lock throughout, so bin is
// either absent or a complete binary.
func build(dir, bin string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("miniotest: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("miniotest: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("miniotest: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return nil // built by another process while we waited
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return fmt.Errorf("miniotest: %w", err)
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	fmt.Fprintf(os.Stderr, "miniotest: building the MinIO server (go install %s@%s) into %s; this takes several minutes, once\n", module, Version, dir)
	// go test puts its own toolchain first on PATH.
	cmd := exec.Command("go", "install", module+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+tmp, "GOWORK=off", "GOFLAGS=")
	cmd.Dir = tmp
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("miniotest: cannot build the MinIO server the tests need "+
			"(go install %s@%s: %w); it needs the Go module proxy or a module cache holding it. "+
			"Build it where the proxy is reachable with scripts/install-minio.sh (it lands in %s), "+
			"or point KAIBAN_MINIO_BIN at a MinIO server binary. go said:\n%s",
			module, Version, err, dir, tail(out, 2000))
	}
	if err := os.Rename(filepath.Join(tmp, "minio"), bin); err != nil {
		return fmt.Errorf("miniotest: install the built MinIO server: %w", err)
	}
	fmt.Fprintf(os.Stderr, "miniotest: MinIO server built in %s\n", time.Since(start).Round(time.Second))
	return nil
}

// tail returns the last n bytes of out, the part of a long build log that
// says what went wrong.
func tail(out []byte, n int) string {
	s := strings.TrimSpace(string(out))
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return s
}
