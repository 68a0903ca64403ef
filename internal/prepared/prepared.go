// Package prepared keeps the statements the bot runs on every update prepared, once per
// connection of the pool, so Postgres parses and plans them once instead of every time
// (with lib/pq a statement with parameters is otherwise parsed and planned anew each run).
package prepared

import (
	"context"
	"net/url"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// Statements prepares queries on a pool and keeps them by their text.
type Statements struct {
	db        *sqlx.DB
	mu        sync.Mutex
	m         map[string]*sqlx.Stmt
	preparing map[string]chan struct{} // closed when the prepare under way ends
}

// New returns Statements on db.
func New(db *sqlx.DB) *Statements {
	return &Statements{db: db, m: map[string]*sqlx.Stmt{}, preparing: map[string]chan struct{}{}}
}

// prepareTimeout bounds a prepare made in the background.
const prepareTimeout = 10 * time.Second

// stmt returns query prepared on the pool, or within tx when tx is not nil; the driver
// prepares it on a connection the first time it runs there. A query is prepared once:
// whoever comes while it is being prepared waits for that. Within a transaction a query
// not prepared yet returns nil (the caller runs it unprepared) and is prepared in the
// background: preparing on the pool takes a second connection, and transactions waiting
// for one while holding theirs could exhaust it.
func (s *Statements) stmt(ctx context.Context, tx *sqlx.Tx, query string) (*sqlx.Stmt, error) {
	s.mu.Lock()
	st, ok := s.m[query]
	done, underway := s.preparing[query]
	if !ok && !underway {
		done = make(chan struct{})
		s.preparing[query] = done
	}
	s.mu.Unlock()
	switch {
	case ok:
	case tx != nil:
		if !underway {
			go func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), prepareTimeout)
				defer cancel()
				s.prepare(ctx, query, done)
			}()
		}
		return nil, nil
	case underway:
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return s.stmt(ctx, tx, query) // prepared now, or its prepare failed: try again
	default:
		var err error
		if st, err = s.prepare(ctx, query, done); err != nil {
			return nil, err
		}
	}
	if tx != nil {
		return tx.StmtxContext(ctx, st), nil
	}
	return st, nil
}

// prepare prepares query on the pool and keeps it, then tells those waiting (done).
func (s *Statements) prepare(ctx context.Context, query string, done chan struct{}) (*sqlx.Stmt, error) {
	st, err := s.db.PreparexContext(ctx, query)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.preparing, query)
	close(done)
	if err != nil {
		return nil, err
	}
	s.m[query] = st
	return st, nil
}

// Get runs query (within tx, if not nil) and scans its one row into dest.
func (s *Statements) Get(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := s.stmt(ctx, tx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return tx.GetContext(ctx, dest, query, args...)
	}
	return st.GetContext(ctx, dest, args...)
}

// Select runs query (within tx, if not nil) and scans its rows into dest, a slice.
func (s *Statements) Select(ctx context.Context, tx *sqlx.Tx, dest any, query string, args ...any) error {
	st, err := s.stmt(ctx, tx, query)
	switch {
	case err != nil:
		return err
	case st == nil:
		return tx.SelectContext(ctx, dest, query, args...)
	}
	return st.SelectContext(ctx, dest, args...)
}

// Close releases the statements.
func (s *Statements) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q, st := range s.m {
		st.Close()
		delete(s.m, q)
	}
	return nil
}

// URL returns databaseURL with the connection settings the statements are meant for,
// each unless the URL sets it already:
//
//   - binary_parameters=yes (lib/pq): a statement with parameters is parsed, bound and run
//     in one round trip instead of two (a prepare, then the execution). Byte slices are
//     then sent in binary, which suits the bytea columns, the only ones they are written to.
//   - plan_cache_mode=force_generic_plan (Postgres): a prepared statement is planned once
//     per connection. Postgres otherwise plans one anew on each run while its generic plan
//     looks costlier than the custom ones, which it does for the item and customer lookups
//     of every update; their generic plans are the same index lookups. The setting is the
//     connection's, so the statements run unprepared (the sellers' lists, exports and
//     reports) are planned without their parameters' values too; with the tables' indexes
//     their plans are the same scans.
//
// A setting given empty in the URL is left out altogether: plan_cache_mode= for a pooler
// that refuses startup parameters it does not know (PgBouncer without
// ignore_startup_parameters). A URL that does not parse is returned as it is, for the
// caller's own check to refuse.
func URL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return databaseURL
	}
	q := u.Query()
	for k, v := range map[string]string{"binary_parameters": "yes", "plan_cache_mode": "force_generic_plan"} {
		switch {
		case !q.Has(k):
			q.Set(k, v)
		case q.Get(k) == "":
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
