package prepared_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopbot/shopbot/internal/prepared"
	"github.com/shopbot/shopbot/internal/testenv"
)

// A transaction holding the pool's only connection runs a statement nobody prepared yet:
// it must not wait for a second connection, and the statement is prepared once it can be.
func TestStatementsInATransactionNeverWaitForAnotherConnection(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t)
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := prepared.New(db)
	defer s.Close()
	const q = `SELECT $1::int + 1`
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.Get(ctx, tx, &n, q, 41); err != nil || n != 42 {
		t.Fatalf("in the transaction: %d, %v; want 42", n, err)
	}
	var ns []int
	if err := s.Select(ctx, tx, &ns, q, 1); err != nil || len(ns) != 1 || ns[0] != 2 {
		t.Fatalf("select in the transaction: %v, %v; want [2]", ns, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	// Outside a transaction, and in the next one, the prepared statement is used.
	if err := s.Get(ctx, nil, &n, q, 1); err != nil || n != 2 {
		t.Fatalf("on the pool: %d, %v; want 2", n, err)
	}
	var prepared int
	if err := db.GetContext(ctx, &prepared, `SELECT count(*) FROM pg_prepared_statements WHERE statement = $1`, q); err != nil {
		t.Fatal(err)
	}
	if prepared != 1 {
		t.Errorf("%d prepared statements on the connection for the query, want 1", prepared)
	}
	tx, err = db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := s.Get(ctx, tx, &n, q, 9); err != nil || n != 10 {
		t.Fatalf("in the next transaction: %d, %v; want 10", n, err)
	}
}

// The URL adds what the statements are meant for and keeps what the operator set.
func TestURL(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"postgres://shop@db:5432/shop?sslmode=disable",
			"postgres://shop@db:5432/shop?binary_parameters=yes&plan_cache_mode=force_generic_plan&sslmode=disable"},
		{"postgres://shop@db/shop?binary_parameters=no&plan_cache_mode=auto",
			"postgres://shop@db/shop?binary_parameters=no&plan_cache_mode=auto"},
		{"postgres://shop@pgbouncer/shop?plan_cache_mode=", // nothing sent to a pooler
			"postgres://shop@pgbouncer/shop?binary_parameters=yes"},
		{"::not a url", "::not a url"},
	} {
		if got := prepared.URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A connection made from the URL plans prepared statements once: Postgres takes the setting.
func TestURLReachesPostgres(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t) // connects through prepared.URL
	var mode string
	if err := db.Get(&mode, `SHOW plan_cache_mode`); err != nil || mode != "force_generic_plan" {
		t.Fatalf("plan_cache_mode = %q, %v; want force_generic_plan", mode, err)
	}
}
