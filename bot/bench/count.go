package main

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/redis/go-redis/v9"
)

// countedDriver is lib/pq on connections that count what crosses them; the bot opens it
// through bot.Options.DBDriver.
const countedDriver = "postgres-counted"

// Counts are what the bot asked of Postgres and Redis, counted on the wire and in the
// client, not estimated.
type Counts struct {
	// PGStatements are the statements Postgres was asked to run: simple queries (BEGIN,
	// COMMIT, statements without parameters) and executions of parameterised ones.
	PGStatements int64
	// PGRoundTrips are the times the client wrote and then waited for an answer.
	PGRoundTrips int64
	// RedisCommands are commands sent, RedisRoundTrips the calls and pipelines that sent them.
	RedisCommands   int64
	RedisRoundTrips int64
}

func (c Counts) sub(d Counts) Counts {
	return Counts{c.PGStatements - d.PGStatements, c.PGRoundTrips - d.PGRoundTrips,
		c.RedisCommands - d.RedisCommands, c.RedisRoundTrips - d.RedisRoundTrips}
}

var counts struct {
	pgStatements, pgRoundTrips, redisCommands, redisRoundTrips atomic.Int64
}

func readCounts() Counts {
	return Counts{counts.pgStatements.Load(), counts.pgRoundTrips.Load(), counts.redisCommands.Load(), counts.redisRoundTrips.Load()}
}

var registerOnce sync.Once

// registerCountedDriver makes countedDriver available to sql.Open.
func registerCountedDriver() {
	registerOnce.Do(func() {
		sql.Register(countedDriver, pqCounted{})
		// sqlx picks its placeholder style by driver name.
		sqlx.BindDriver(countedDriver, sqlx.DOLLAR)
	})
}

type pqCounted struct{}

func (pqCounted) Open(dsn string) (driver.Conn, error) { return pq.DialOpen(countingDialer{}, dsn) }

type countingDialer struct{}

func (countingDialer) Dial(network, address string) (net.Conn, error) {
	return countingDialer{}.DialContext(context.Background(), network, address)
}

func (countingDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return countingDialer{}.DialContext(ctx, network, address)
}

func (countingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c}, nil
}

// countingConn reads the frontend protocol the client writes: after the untyped startup
// message, each message is a type byte and a length. 'Q' is a simple query and 'E' the
// execution of a parsed statement; a read after a write is one round trip. A connection is
// used by one goroutine at a time.
type countingConn struct {
	net.Conn
	started bool
	header  [5]byte
	have    int // bytes of header read so far
	skip    int // bytes of the current message's body still to come
	wrote   bool
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.scan(p)
	c.wrote = true
	return c.Conn.Write(p)
}

func (c *countingConn) Read(p []byte) (int, error) {
	if c.wrote {
		c.wrote = false
		counts.pgRoundTrips.Add(1)
	}
	return c.Conn.Read(p)
}

func (c *countingConn) scan(p []byte) {
	for len(p) > 0 {
		if c.skip > 0 {
			n := min(c.skip, len(p))
			c.skip -= n
			p = p[n:]
			continue
		}
		size := 5
		if !c.started {
			size = 4 // the startup message (or SSL request) has no type byte
		}
		n := copy(c.header[c.have:size], p)
		c.have += n
		p = p[n:]
		if c.have < size {
			return
		}
		c.have = 0
		if !c.started {
			length := int(binary.BigEndian.Uint32(c.header[:4]))
			c.skip = length - 4
			// An SSL or GSS request comes before the startup message proper.
			c.started = length != 8
			continue
		}
		switch c.header[0] {
		case 'Q', 'E':
			counts.pgStatements.Add(1)
		}
		c.skip = int(binary.BigEndian.Uint32(c.header[1:5])) - 4
		if (c.header[0] == 'Q' || c.header[0] == 'P') && tracing.on.Load() {
			tracing.add(c.header[0], p[:min(c.skip, len(p))])
		}
	}
}

// tracing keeps the text of the statements sent while on, for -trace.
var tracing statementTrace

type statementTrace struct {
	on   atomic.Bool
	mu   sync.Mutex
	sent []string
}

// add records a simple query ('Q': the text) or a parsed statement ('P': a name, then the
// text), as far as it came in this write.
func (t *statementTrace) add(kind byte, body []byte) {
	if kind == 'P' {
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			return
		}
		body = body[i+1:]
	}
	if i := bytes.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	text := strings.Join(strings.Fields(string(body)), " ")
	if len(text) > 90 {
		text = text[:90] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sent = append(t.sent, text)
}

func (t *statementTrace) start() {
	t.mu.Lock()
	t.sent = nil
	t.mu.Unlock()
	t.on.Store(true)
}

func (t *statementTrace) stop() []string {
	t.on.Store(false)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}

// redisCounter counts commands and round trips of the bot's Redis client; while tracing,
// it keeps their names too.
type redisCounter struct{}

func (redisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (redisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		counts.redisCommands.Add(1)
		counts.redisRoundTrips.Add(1)
		if tracing.on.Load() {
			tracing.mu.Lock()
			tracing.sent = append(tracing.sent, "redis: "+cmd.Name())
			tracing.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}

func (redisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		counts.redisCommands.Add(int64(len(cmds)))
		counts.redisRoundTrips.Add(1)
		return next(ctx, cmds)
	}
}
