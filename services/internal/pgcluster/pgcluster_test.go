package pgcluster

import (
	"context"
	"net"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestCluster_InitStartReuseStop runs the real server: init in an empty
// folder, start, reuse when already running, keep data across a restart.
func TestCluster_InitStartReuseStop(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: its parent is private to root and the server runs as
	// the postgres user when the tests run as root.
	dir, err := os.MkdirTemp("", "kaiban-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	c := &Cluster{Dir: dir, Port: freePort(t)}
	if err := c.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.Background()) })
	exec := func(sql string) {
		conn, err := pgx.Connect(ctx, c.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
	if err := c.Ensure(ctx); err != nil { // already running: reused
		t.Fatalf("second Ensure: %v", err)
	}
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if reachable(c.Port) {
		t.Fatal("server still reachable after Stop")
	}
	if err := c.Ensure(ctx); err != nil { // restart on the existing data
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v int
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != 42 {
		t.Fatalf("data after restart: %d, %v", v, err)
	}
}

func TestFindBinaries_Debian(t *testing.T) {
	d, err := FindBinaries()
	if err != nil {
		t.Fatal(err)
	}
	if !isExecutable(d+"/initdb") || !isExecutable(d+"/pg_ctl") {
		t.Fatalf("FindBinaries = %s without initdb/pg_ctl", d)
	}
}
