package pgtest

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNew_IsolatedMigratedDatabases(t *testing.T) {
	a, b := New(t), New(t)
	ctx := context.Background()
	if a.Config().ConnConfig.Database == b.Config().ConnConfig.Database {
		t.Fatal("two tests share a database")
	}
	if _, err := a.Exec(ctx, "CREATE TABLE only_in_a (v int)"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("table leaked into the other database: %d, %v", n, err)
	}
	if err := a.QueryRow(ctx, "SELECT count(*) FROM goose_db_version").Scan(&n); err != nil || n < 2 {
		t.Fatalf("migrations not applied: %d rows, %v", n, err)
	}
	conn, err := pgx.Connect(ctx, URL(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM only_in_a").Scan(&n); err != nil {
		t.Fatalf("URL does not point at the test's database: %v", err)
	}
}
