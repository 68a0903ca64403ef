// Package migrations holds the numbered SQL migrations, embedded in the binary and applied at start-up.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/fnv"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed *.sql
var files embed.FS

// Up applies every pending migration. A Postgres session lock makes replicas that start
// together take turns; a database newer than this binary is refused rather than used.
func Up(ctx context.Context, db *sql.DB) (applied int, err error) {
	// The lock is per database and schema: replicas of one shop take turns, while shops
	// (or tests) in other schemas of the same server do not wait for each other.
	var where string
	if err := db.QueryRowContext(ctx, `SELECT current_database() || '.' || current_schema()`).Scan(&where); err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	h := fnv.New64a()
	h.Write([]byte(where))
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
	if err != nil {
		return 0, fmt.Errorf("migrations: locker: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	sources := p.ListSources()
	latest := sources[len(sources)-1].Version
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: read schema version: %w", err)
	}
	if current > latest {
		return 0, fmt.Errorf("migrations: the database schema is at version %d, newer than this build knows (%d): run a newer ShopBot", current, latest)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrations: apply: %w", err)
	}
	return len(results), nil
}
