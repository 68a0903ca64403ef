// Package catalog owns the shop's items, their photos, variants and stock, the weekly
// catalogs and the record of what was posted to the channel, with its Postgres store.
package catalog

import (
	"errors"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/internal/prepared"
)

// Errors the handlers turn into replies.
var (
	ErrNotFound    = errors.New("catalog: not found")
	ErrWeekExists  = errors.New("catalog: a week is already being prepared")
	ErrWrongStatus = errors.New("catalog: the week is not in a state that allows this")
	ErrHasOrders   = errors.New("catalog: the item has orders")
	ErrTooMany     = errors.New("catalog: too many")
)

// Limits of an item, from what a Telegram post can carry.
const (
	MaxPhotos      = 10
	MaxTitle       = 100
	MaxDescription = 2000
)

// Store is the Postgres store of the catalog package.
type Store struct {
	db *sqlx.DB
	// stmts are the statements of what customers do, prepared.
	stmts *prepared.Statements
}

// NewStore returns a Store on db. Make one for the process: it keeps prepared statements.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: db, stmts: prepared.New(db)}
}
