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
