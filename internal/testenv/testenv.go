// Package testenv gives tests their own Postgres schema and Redis key prefix on the real
// services, so test packages can run in parallel without seeing each other's data.
//
// The services are found through TEST_DATABASE_URL and TEST_REDIS_URL (localhost defaults).
// An unreachable service fails the test: a test that silently skips proves nothing.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // Postgres driver
	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/internal/prepared"
)

// DatabaseURL is the Postgres server the tests use.
func DatabaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/shopbot_test?sslmode=disable"
}

// RedisURL is the Redis server the tests use.
func RedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// Name returns a fresh lowercase identifier with the given prefix.
func Name(prefix string) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return prefix + hex.EncodeToString(b[:])
}

// Postgres creates an empty schema for the test and returns a DSN whose search_path points
// at it, and an open connection on that DSN. The schema is dropped when the test ends.
func Postgres(t testing.TB) (dsn string, db *sqlx.DB) {
	t.Helper()
	schema := Name("t_")
	admin, err := sqlx.Open("postgres", DatabaseURL())
	if err != nil {
		t.Fatalf("testenv: postgres %s: %v", redactURL(DatabaseURL()), err)
	}
	t.Cleanup(func() { admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("testenv: postgres at %s is not usable (set TEST_DATABASE_URL, or run .ci/run): %v", redactURL(DatabaseURL()), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// A connection of the test's still finishing its work can make the drop the
		// victim of a deadlock: it is tried again.
		var err error
		for try := 0; try < 3; try++ {
			if _, err = admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("testenv: drop schema %s: %v", schema, err)
	})
	u, err := url.Parse(DatabaseURL())
	if err != nil {
		t.Fatalf("testenv: TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	dsn = prepared.URL(u.String()) // as the bot connects
	db, err = sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatalf("testenv: open %s: %v", schema, err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// Redis returns a client for the test Redis and a key prefix of the test's own; the keys
// under it are deleted when the test ends.
func Redis(t testing.TB) (client *redis.Client, prefix string) {
	t.Helper()
	opts, err := redis.ParseURL(RedisURL())
	if err != nil {
		t.Fatalf("testenv: TEST_REDIS_URL: %v", err)
	}
	client = redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatalf("testenv: redis at %s is not usable (set TEST_REDIS_URL, or run .ci/run): %v", RedisURL(), err)
	}
	prefix = Name("test:") + ":"
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		iter := client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		client.Close()
	})
	return client, prefix
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
