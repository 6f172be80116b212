// Package pgtest gives each test a fresh, fully migrated PostgreSQL database on
// a real server, and drops it when the test ends.
//
// The server is, in order: KAIBAN_TEST_DATABASE_URL or DATABASE_URL when set;
// the local server on 127.0.0.1:5432 (user postgres) when it answers; else a
// project cluster under .kaiban/pg-test at the repository root, started with
// Debian's PostgreSQL binaries through package pgcluster (shared by the test
// processes of every package, which run in parallel). A test never runs
// against a fake, and a machine with no PostgreSQL at all fails with the
// command that installs it.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/services/internal/pgcluster"
	"github.com/kaiban-platform/kaiban/services/internal/postgres"
)

// clusterPort is the project test cluster's port, away from the default so
// it never collides with a system server.
const clusterPort = 55432

var (
	serverOnce sync.Once
	serverURL  string
	serverErr  error
)

// ServerURL returns the URL of the server the tests use, starting the project
// cluster if no other server is available.
func ServerURL() (string, error) {
	serverOnce.Do(func() { serverURL, serverErr = findServer() })
	return serverURL, serverErr
}

func findServer() (string, error) {
	for _, env := range []string{"KAIBAN_TEST_DATABASE_URL", "DATABASE_URL"} {
		if u := os.Getenv(env); u != "" {
			return u, nil
		}
	}
	const local = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	if answers(local) {
		return local, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	c := &pgcluster.Cluster{Dir: filepath.Join(root, ".kaiban", "pg-test"), Port: clusterPort}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Ensure(ctx); err != nil {
		return "", fmt.Errorf("no PostgreSQL for the tests (set KAIBAN_TEST_DATABASE_URL, or install the server with scripts/install-postgres.sh): %w", err)
	}
	return c.URL(), nil
}

func answers(url string) bool {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return false
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), 300*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	c.Close(ctx)
	return true
}

// repoRoot is the folder holding go.work, found upwards from the test's
// working directory (its package folder).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.work")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.work above %s", dir)
		}
	}
}

// New returns a pool on a new database with every migration applied.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := NewEmpty(t)
	if _, err := postgres.Migrate(context.Background(), pool); err != nil {
		t.Fatalf("migrate test database: %v", err)
	}
	return pool
}

// NewEmpty returns a pool on a new, empty database (for migration tests).
func NewEmpty(t testing.TB) *pgxpool.Pool {
	t.Helper()
	url, err := ServerURL()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to the test server: %v", err)
	}
	defer admin.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	name := "kaiban_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect to test database: %v", err)
	}
	t.Cleanup(func() {
		pool.Close()
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return pool
}

// URL returns the connection string of pool's database, for code under test
// that connects by itself.
func URL(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	server, err := ServerURL()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("test server URL: %v", err)
	}
	u.Path = "/" + pool.Config().ConnConfig.Database
	return u.String()
}
