package handlers

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
)

const defaultReleaseTimeout = 3 * time.Second

// Unavailable reports whether err means a service the bot depends on (Postgres, Redis) is
// out of reach or too slow, rather than a mistake in the request.
func Unavailable(err error) bool {
	var netErr net.Error
	var pqErr *pq.Error
	switch {
	case err == nil:
		return false
	case errors.Is(err, ErrBusy),
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		return true
	case errors.As(err, &pqErr):
		// Class 08: connection exception; 57P: the server is shutting down or restarting.
		code := string(pqErr.Code)
		return strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P")
	}
	// go-redis reports a closed or broken pool with plain errors.
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "redis: client is closed") ||
		strings.Contains(msg, "i/o timeout") || strings.Contains(msg, "connection reset")
}
