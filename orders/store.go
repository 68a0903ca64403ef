// Package orders owns customers, orders and everything that follows a booking, with its Postgres store.
package orders

import (
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/internal/prepared"
)

// ErrNotFound is returned when the asked-for row does not exist.
var ErrNotFound = errors.New("orders: not found")

// Store is the Postgres store of the orders package.
type Store struct {
	db *sqlx.DB
	// stmts are the statements of what customers do, prepared.
	stmts *prepared.Statements
}

// NewStore returns a Store on db. Make one for the process: it keeps prepared statements.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: db, stmts: prepared.New(db)}
}
