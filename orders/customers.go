package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Customer is a Telegram user who talked to the bot.
type Customer struct {
	ID               int64     `db:"id"`
	FirstName        string    `db:"first_name"`
	LastName         string    `db:"last_name"`
	Username         string    `db:"username"`
	TelegramLanguage string    `db:"telegram_language"`
	Language         string    `db:"language"` // chosen with /language; empty: follow Telegram
	Phone            string    `db:"phone"`
	Blocked          bool      `db:"blocked"`
	FirstSeen        time.Time `db:"first_seen"`
	LastSeen         time.Time `db:"last_seen"`
	// What they gave at their last checkout.
	DeliveryName    string `db:"delivery_name"`
	DeliveryAddress string `db:"delivery_address"`
	// Menu is the command menu last set for their own chat (SetMenu), "" for none.
	Menu string `db:"menu"`
}

// Name is how the shop addresses the customer: first and last name, or the username.
func (c Customer) Name() string {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if name == "" {
		name = c.Username
	}
	return name
}

// Profile is what Telegram tells about a user with each update.
type Profile struct {
	ID               int64
	FirstName        string
	LastName         string
	Username         string
	TelegramLanguage string
}

const customerColumns = `id, first_name, last_name, username, telegram_language, language, phone, blocked, first_seen, last_seen,
    delivery_name, delivery_address, menu`

// SeeCustomer records that a user talked to the bot: it creates the customer or refreshes
// their profile, clears a blocked flag (they are talking again), and returns the stored
// row with when they were last seen before (nil for a new customer).
func (s *Store) SeeCustomer(ctx context.Context, p Profile) (Customer, *time.Time, error) {
	const q = `
WITH prev AS (SELECT last_seen FROM customers WHERE id = $1)
INSERT INTO customers (id, first_name, last_name, username, telegram_language)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    first_name = EXCLUDED.first_name,
    last_name = EXCLUDED.last_name,
    username = EXCLUDED.username,
    telegram_language = EXCLUDED.telegram_language,
    blocked = false,
    last_seen = now()
RETURNING ` + customerColumns + `, (SELECT last_seen FROM prev) AS prev_seen`
	var row struct {
		Customer
		PrevSeen *time.Time `db:"prev_seen"`
	}
	if err := s.stmts.Get(ctx, nil, &row, q, p.ID, p.FirstName, p.LastName, p.Username, p.TelegramLanguage); err != nil {
		return Customer{}, nil, fmt.Errorf("orders: see customer: %w", err)
	}
	return row.Customer, row.PrevSeen, nil
}

// Customer returns the customer with the Telegram user id.
func (s *Store) Customer(ctx context.Context, id int64) (Customer, error) {
	var c Customer
	err := s.stmts.Get(ctx, nil, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("orders: customer: %w", err)
	}
	return c, nil
}

// SetLanguage stores the language a customer chose.
func (s *Store) SetLanguage(ctx context.Context, id int64, lang string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE customers SET language = $2 WHERE id = $1`, id, lang)
	if err != nil {
		return fmt.Errorf("orders: set language: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetMenu records the command menu set for a person's own chat.
func (s *Store) SetMenu(ctx context.Context, id int64, menu string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE customers SET menu = $2 WHERE id = $1`, id, menu); err != nil {
		return fmt.Errorf("orders: set menu: %w", err)
	}
	return nil
}

// Customers returns the customers with these ids that exist.
func (s *Store) Customers(ctx context.Context, ids []int64) ([]Customer, error) {
	var cs []Customer
	if err := s.stmts.Select(ctx, nil, &cs, `SELECT `+customerColumns+` FROM customers WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, fmt.Errorf("orders: customers: %w", err)
	}
	return cs, nil
}

// Reachable counts the customers who have not blocked the bot, but for those excluded.
func (s *Store) Reachable(ctx context.Context, exclude []int64) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM customers WHERE NOT blocked AND NOT id = ANY($1)`, pq.Array(exclude)); err != nil {
		return 0, fmt.Errorf("orders: reachable customers: %w", err)
	}
	return n, nil
}
