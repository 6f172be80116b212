// Package pgcluster runs a PostgreSQL cluster that belongs to Kaiban: its data
// directory under a folder of the project (./.kaiban/pg for `kaiban dev`,
// ./.kaiban/pg-test for the tests), listening on loopback only, started with
// Debian's PostgreSQL binaries. It is what `kaiban dev` uses when no
// DATABASE_URL is given, so a newcomer needs no database set-up.
//
// Several processes may ask for the same cluster at once (the test binaries of
// different packages run in parallel), so Ensure takes a file lock and starts
// the server only if it is not already running.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoBinaries means no PostgreSQL server binaries were found;
// scripts/install-postgres.sh installs them.
var ErrNoBinaries = errors.New("PostgreSQL binaries (initdb, pg_ctl) not found: run scripts/install-postgres.sh")

// Cluster is a PostgreSQL cluster under Dir, served on 127.0.0.1:Port.
type Cluster struct {
	Dir  string
	Port int
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// URL is the connection string of the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "data") }

// Ensure initialises the cluster if it has no data directory yet, starts the
// server if it is not running, and waits until it accepts connections.
func (c *Cluster) Ensure(ctx context.Context) error {
	bin, err := FindBinaries()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", c.Dir, err)
	}
	unlock, err := lock(filepath.Join(c.Dir, ".lock"))
	if err != nil {
		return err
	}
	defer unlock()

	if reachable(c.Port) {
		return nil
	}
	runAs, err := serverUser()
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		c.logf("initialising PostgreSQL cluster in %s", c.dataDir())
		if err := os.MkdirAll(c.dataDir(), 0o700); err != nil {
			return fmt.Errorf("create %s: %w", c.dataDir(), err)
		}
		if err := chown(c.Dir, runAs); err != nil {
			return err
		}
		if err := c.run(ctx, runAs, filepath.Join(bin, "initdb"), "-D", c.dataDir(), "-U", "postgres",
			"--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"); err != nil {
			return fmt.Errorf("initdb: %w", err)
		}
	}
	c.logf("starting PostgreSQL on 127.0.0.1:%d", c.Port)
	// Loopback only, a private socket directory, and fsync kept on: this is
	// the data of `kaiban dev`, which must survive a crash like production.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s", c.Port, c.dataDir())
	if err := c.run(ctx, runAs, filepath.Join(bin, "pg_ctl"), "-D", c.dataDir(), "-o", opts,
		"-l", filepath.Join(c.Dir, "postgres.log"), "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("pg_ctl start (log: %s): %w", filepath.Join(c.Dir, "postgres.log"), err)
	}
	return waitReachable(ctx, c.Port)
}

// Stop stops the server if it runs (fast shutdown: sessions are ended,
// committed data is safe).
func (c *Cluster) Stop(ctx context.Context) error {
	bin, err := FindBinaries()
	if err != nil {
		return err
	}
	runAs, err := serverUser()
	if err != nil {
		return err
	}
	if !reachable(c.Port) {
		return nil
	}
	return c.run(ctx, runAs, filepath.Join(bin, "pg_ctl"), "-D", c.dataDir(), "-m", "fast", "-w", "stop")
}

func (c *Cluster) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

// run runs a PostgreSQL binary, as the unprivileged server user when this
// process is root (initdb and postgres refuse to run as root).
func (c *Cluster) run(ctx context.Context, runAs *user.User, name string, args ...string) error {
	var cmd *exec.Cmd
	if runAs != nil {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", runAs.Username, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(name), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// FindBinaries returns the directory holding initdb and pg_ctl: Debian's
// newest /usr/lib/postgresql/<version>/bin, else the PATH.
func FindBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			p = resolved
		}
		d := filepath.Dir(p)
		if isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&0o111 != 0
}

// serverUser is the account the server runs as: nil (this process) unless we
// are root, then Debian's postgres user.
func serverUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root and no postgres user to run the server as: %w", err)
	}
	return u, nil
}

func chown(dir string, u *user.User) error {
	if u == nil {
		return nil
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func reachable(port int) bool {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

func waitReachable(ctx context.Context, port int) error {
	deadline := time.Now().Add(30 * time.Second)
	for !reachable(port) {
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL on port %d did not come up within 30s", port)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
