package orders

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shopbot/shopbot/outbox"
)

// Status is where an order is; see SPEC.md's status machine.
type Status string

// Order statuses.
const (
	AwaitingPayment  Status = "awaiting_payment"
	ReceiptSubmitted Status = "receipt_submitted"
	Paid             Status = "paid"
	ReadyForPickup   Status = "ready_for_pickup"
	Shipped          Status = "shipped"
	Completed        Status = "completed"
	Cancelled        Status = "cancelled"
	Expired          Status = "expired"
)

// Delivery methods.
const (
	Pickup   = "pickup"
	Shipping = "shipping"
)

// Errors the handlers turn into replies.
var (
	ErrSoldOut    = errors.New("orders: not enough stock")
	ErrClosed     = errors.New("orders: bookings are closed")
	ErrGone       = errors.New("orders: an item is no longer available")
	ErrTransition = errors.New("orders: the order is not in a state that allows this")
	ErrEmpty      = errors.New("orders: no lines")
	// ErrPriceChanged means a price changed between the summary and its confirmation.
	ErrPriceChanged = errors.New("orders: prices changed")
)

// Order is a customer's order with its lines.
type Order struct {
	ID            int64      `db:"id"`
	Code          string     `db:"code"`
	CustomerID    int64      `db:"customer_id"`
	WeekID        int64      `db:"week_id"`
	Status        Status     `db:"status"`
	Currency      string     `db:"currency"`
	Total         int64      `db:"total"`
	Delivery      string     `db:"delivery"`
	RecipientName string     `db:"recipient_name"`
	Phone         string     `db:"phone"`
	Address       string     `db:"address"`
	Note          string     `db:"note"`
	ExpiresAt     time.Time  `db:"expires_at"`
	RemindedAt    *time.Time `db:"reminded_at"`
	CreatedAt     time.Time  `db:"created_at"`
	Lines         []Line
	Customer      Customer // name, username and language, for notices
}

// Line is one item and size of an order, at the price of the moment it was placed.
type Line struct {
	ID          int64  `db:"id"`
	OrderID     int64  `db:"order_id"`
	ItemID      int64  `db:"item_id"`
	VariantID   int64  `db:"variant_id"`
	Title       string `db:"title"`
	VariantName string `db:"variant_name"`
	UnitPrice   int64  `db:"unit_price"`
	Quantity    int    `db:"quantity"`
}

// Amount is the line's total.
func (l Line) Amount() int64 { return l.UnitPrice * int64(l.Quantity) }

// Cancellable reports whether the customer may still cancel: before the payment is confirmed.
func (o Order) Cancellable() bool { return o.Status == AwaitingPayment || o.Status == ReceiptSubmitted }

// MaxQuantity is the most of one size a line may hold.
const MaxQuantity = 999

// Want is a line the customer asks for.
type Want struct {
	ItemID    int64
	VariantID int64
	Quantity  int
}

// PlaceRequest is a confirmed checkout.
type PlaceRequest struct {
	CustomerID int64
	// Key identifies the confirmation: the same key never makes a second order.
	Key           string
	Lines         []Want
	Currency      string
	Delivery      string
	RecipientName string
	Phone         string
	Address       string
	Note          string
	Now           time.Time
	TTL           time.Duration // how long the order holds stock unpaid
	// Total is what the summary the customer confirmed said; when prices changed since,
	// the order is refused with ErrPriceChanged. 0 skips the check.
	Total int64
	// Notices renders the messages the new order causes (to the sellers), written in
	// the same transaction.
	Notices func(Order) []outbox.Message
}

// Shortage is a line that could not be reserved.
type Shortage struct {
	ItemID    int64
	VariantID int64
	Title     string
	Variant   string
	Wanted    int
	Left      int  // 0 when sold out or gone
	Closed    bool // its week's bookings are closed
}

// ShortageError lists every line that could not be reserved; it wraps ErrSoldOut.
type ShortageError struct{ Lines []Shortage }

func (e *ShortageError) Error() string {
	return fmt.Sprintf("orders: not enough stock for %d line(s)", len(e.Lines))
}
func (e *ShortageError) Unwrap() error { return ErrSoldOut }

// codeAlphabet has no 0/O or 1/I, which people confuse when they type a code.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

func newCode() string {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// Place creates an order in one transaction: its lines at today's prices, the stock it
// reserves (conditional updates, so concurrent orders never oversell), its first status
// event, its notices. A line that cannot be reserved fails the whole order with a
// *ShortageError naming every such line; a request whose Key placed an order already
// returns that order.
func (s *Store) Place(ctx context.Context, req PlaceRequest) (Order, error) {
	if len(req.Lines) == 0 {
		// A repeated confirmation after the cart was emptied by the first one.
		o, err := s.orderByKey(ctx, req.Key)
		if errors.Is(err, ErrNotFound) {
			return Order{}, ErrEmpty
		}
		return o, err
	}
	for attempt := 0; ; attempt++ {
		o, err := s.place(ctx, req, newCode())
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "orders_code_key" && attempt < 5 {
			continue // the code was taken: draw another
		}
		return o, err
	}
}

func (s *Store) place(ctx context.Context, req PlaceRequest, code string) (Order, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("orders: place: %w", err)
	}
	defer tx.Rollback()
	// Confirmations with the same key take turns, and the later one finds the order the
	// first one placed instead of competing with it for the stock.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, req.Key); err != nil {
		return Order{}, fmt.Errorf("orders: place: %w", err)
	}
	if o, err := s.getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE idempotency_key = $1`, req.Key); err == nil {
		return o, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Order{}, err
	}

	// Merge repeated variants and lock in variant order, so concurrent orders of the
	// same variants never deadlock.
	qty := map[int64]Want{}
	for _, w := range req.Lines {
		if w.Quantity <= 0 || w.Quantity > MaxQuantity {
			return Order{}, fmt.Errorf("orders: place: quantity %d: %w", w.Quantity, ErrEmpty)
		}
		m := qty[w.VariantID]
		m.ItemID, m.VariantID, m.Quantity = w.ItemID, w.VariantID, m.Quantity+w.Quantity
		qty[w.VariantID] = m
	}
	wants := make([]Want, 0, len(qty))
	for _, w := range qty {
		wants = append(wants, w)
	}
	sort.Slice(wants, func(i, j int) bool { return wants[i].VariantID < wants[j].VariantID })

	var lines []Line
	var short []Shortage
	var weekID int64
	weeks := map[int64]bool{}
	for _, w := range wants {
		var row struct {
			Title    string     `db:"title"`
			Variant  string     `db:"name"`
			Price    int64      `db:"price"`
			Hidden   bool       `db:"hidden"`
			WeekID   int64      `db:"week_id"`
			Status   string     `db:"status"`
			ClosesAt *time.Time `db:"closes_at"`
			Stock    *int       `db:"stock"`
		}
		err := tx.GetContext(ctx, &row, `SELECT i.title, v.name, i.price, i.hidden, i.week_id, w.status, w.closes_at, v.stock
FROM variants v JOIN items i ON i.id = v.item_id JOIN weeks w ON w.id = i.week_id
WHERE v.id = $1 AND i.id = $2 FOR UPDATE OF v`, w.VariantID, w.ItemID)
		if errors.Is(err, sql.ErrNoRows) {
			short = append(short, Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Wanted: w.Quantity})
			continue
		}
		if err != nil {
			return Order{}, fmt.Errorf("orders: place: %w", err)
		}
		if (row.Status != "published" && row.Status != "publishing") || (row.ClosesAt != nil && !req.Now.Before(*row.ClosesAt)) {
			short = append(short, Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, Variant: row.Variant, Wanted: w.Quantity, Closed: true})
			continue
		}
		if row.Hidden {
			short = append(short, Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, Variant: row.Variant, Wanted: w.Quantity})
			continue
		}
		if row.Stock != nil && *row.Stock < w.Quantity {
			short = append(short, Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, Variant: row.Variant, Wanted: w.Quantity, Left: *row.Stock})
			continue
		}
		if row.Stock != nil {
			// The row is locked and checked: this cannot go below zero (and a CHECK
			// constraint would refuse it if it did).
			if _, err := tx.ExecContext(ctx, `UPDATE variants SET stock = stock - $2 WHERE id = $1`, w.VariantID, w.Quantity); err != nil {
				return Order{}, fmt.Errorf("orders: reserve: %w", err)
			}
			weeks[row.WeekID] = true
		}
		weekID = row.WeekID
		lines = append(lines, Line{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, VariantName: row.Variant,
			UnitPrice: row.Price, Quantity: w.Quantity})
	}
	if len(short) > 0 {
		return Order{}, &ShortageError{Lines: short}
	}

	var total int64
	for _, l := range lines {
		total += l.Amount()
	}
	if req.Total != 0 && total != req.Total {
		return Order{}, ErrPriceChanged
	}
	o := Order{Code: code, CustomerID: req.CustomerID, WeekID: weekID, Status: AwaitingPayment, Currency: req.Currency,
		Total: total, Delivery: req.Delivery, RecipientName: req.RecipientName, Phone: req.Phone, Address: req.Address,
		Note: req.Note, ExpiresAt: req.Now.Add(req.TTL), CreatedAt: req.Now}
	err = tx.GetContext(ctx, &o.ID, `INSERT INTO orders (code, customer_id, week_id, status, currency, total, delivery,
    recipient_name, phone, address, note, idempotency_key, expires_at)
VALUES ($1, $2, $3, 'awaiting_payment', $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
		code, req.CustomerID, weekID, req.Currency, total, req.Delivery, req.RecipientName, req.Phone, req.Address,
		req.Note, req.Key, o.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		// The same confirmation raced us and won: its order is the answer.
		tx.Rollback()
		return s.orderByKey(ctx, req.Key)
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: insert order: %w", err)
	}
	for i := range lines {
		lines[i].OrderID = o.ID
		if err := tx.GetContext(ctx, &lines[i].ID, `INSERT INTO order_lines (order_id, item_id, variant_id, title, variant_name, unit_price, quantity)
VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, o.ID, lines[i].ItemID, lines[i].VariantID, lines[i].Title,
			lines[i].VariantName, lines[i].UnitPrice, lines[i].Quantity); err != nil {
			return Order{}, fmt.Errorf("orders: insert line: %w", err)
		}
	}
	o.Lines = lines
	if err := addEvent(ctx, tx, o.ID, "", AwaitingPayment, req.CustomerID, ""); err != nil {
		return Order{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET delivery_name = CASE WHEN $2 = '' THEN delivery_name ELSE $2 END,
    phone = CASE WHEN $3 = '' THEN phone ELSE $3 END,
    delivery_address = CASE WHEN $4 = '' THEN delivery_address ELSE $4 END WHERE id = $1`,
		req.CustomerID, req.RecipientName, req.Phone, req.Address); err != nil {
		return Order{}, fmt.Errorf("orders: remember delivery details: %w", err)
	}
	if err := markWeeks(ctx, tx, weeks); err != nil {
		return Order{}, err
	}
	if o.Customer, err = customerTx(ctx, tx, req.CustomerID); err != nil {
		return Order{}, err
	}
	if req.Notices != nil {
		if err := outbox.Enqueue(ctx, tx, req.Notices(o)...); err != nil {
			return Order{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("orders: place: %w", err)
	}
	return o, nil
}

// markWeeks tells the channel publisher that stock shown in these weeks' posts changed.
func markWeeks(ctx context.Context, tx *sqlx.Tx, weeks map[int64]bool) error {
	for id := range weeks {
		if _, err := tx.ExecContext(ctx, `UPDATE weeks SET needs_sync = true, sync_generation = sync_generation + 1 WHERE id = $1`, id); err != nil {
			return fmt.Errorf("orders: mark week changed: %w", err)
		}
	}
	return nil
}

func addEvent(ctx context.Context, tx *sqlx.Tx, orderID int64, from, to Status, actor int64, note string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO order_events (order_id, from_status, to_status, actor, note) VALUES ($1, $2, $3, $4, $5)`,
		orderID, string(from), string(to), actor, note); err != nil {
		return fmt.Errorf("orders: record event: %w", err)
	}
	return nil
}

func customerTx(ctx context.Context, q sqlx.QueryerContext, id int64) (Customer, error) {
	var c Customer
	if err := sqlx.GetContext(ctx, q, &c, `SELECT `+customerColumns+` FROM customers WHERE id = $1`, id); err != nil {
		return Customer{}, fmt.Errorf("orders: customer: %w", err)
	}
	return c, nil
}

const orderColumns = `id, code, customer_id, week_id, status, currency, total, delivery, recipient_name, phone, address, note, expires_at, reminded_at, created_at`

func (s *Store) orderByKey(ctx context.Context, key string) (Order, error) {
	return s.getOrder(ctx, s.db, `SELECT `+orderColumns+` FROM orders WHERE idempotency_key = $1`, key)
}

// Order returns an order with its lines and customer.
func (s *Store) Order(ctx context.Context, id int64) (Order, error) {
	return s.getOrder(ctx, s.db, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id)
}

// OrderByCode returns the order with a code, as people type it (any case).
func (s *Store) OrderByCode(ctx context.Context, code string) (Order, error) {
	return s.getOrder(ctx, s.db, `SELECT `+orderColumns+` FROM orders WHERE code = $1`, strings.ToUpper(strings.TrimSpace(code)))
}

func (s *Store) getOrder(ctx context.Context, q sqlx.QueryerContext, query string, args ...any) (Order, error) {
	var o Order
	err := sqlx.GetContext(ctx, q, &o, query, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, ErrNotFound
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: order: %w", err)
	}
	orders := []Order{o}
	if err := s.fill(ctx, q, orders); err != nil {
		return Order{}, err
	}
	return orders[0], nil
}

// fill loads the lines and customers of orders.
func (s *Store) fill(ctx context.Context, q sqlx.QueryerContext, orders []Order) error {
	if len(orders) == 0 {
		return nil
	}
	ids := make([]int64, len(orders))
	at := map[int64]int{}
	custIDs := map[int64]bool{}
	for i, o := range orders {
		ids[i] = o.ID
		at[o.ID] = i
		custIDs[o.CustomerID] = true
	}
	var lines []Line
	if err := sqlx.SelectContext(ctx, q, &lines, `SELECT id, order_id, item_id, variant_id, title, variant_name, unit_price, quantity
FROM order_lines WHERE order_id = ANY($1) ORDER BY order_id, id`, pq.Array(ids)); err != nil {
		return fmt.Errorf("orders: lines: %w", err)
	}
	for _, l := range lines {
		orders[at[l.OrderID]].Lines = append(orders[at[l.OrderID]].Lines, l)
	}
	var cids []int64
	for id := range custIDs {
		cids = append(cids, id)
	}
	var custs []Customer
	if err := sqlx.SelectContext(ctx, q, &custs, `SELECT `+customerColumns+` FROM customers WHERE id = ANY($1)`, pq.Array(cids)); err != nil {
		return fmt.Errorf("orders: customers: %w", err)
	}
	byID := map[int64]Customer{}
	for _, c := range custs {
		byID[c.ID] = c
	}
	for i := range orders {
		orders[i].Customer = byID[orders[i].CustomerID]
	}
	return nil
}

// CustomerOrders lists a customer's orders, newest first.
func (s *Store) CustomerOrders(ctx context.Context, customerID int64, limit int) ([]Order, error) {
	var orders []Order
	if err := s.db.SelectContext(ctx, &orders, `SELECT `+orderColumns+` FROM orders WHERE customer_id = $1
ORDER BY id DESC LIMIT $2`, customerID, limit); err != nil {
		return nil, fmt.Errorf("orders: customer orders: %w", err)
	}
	if err := s.fill(ctx, s.db, orders); err != nil {
		return nil, err
	}
	return orders, nil
}

// AwaitingPayment lists a customer's orders that a receipt could pay, oldest first.
func (s *Store) AwaitingPayment(ctx context.Context, customerID int64) ([]Order, error) {
	var orders []Order
	if err := s.db.SelectContext(ctx, &orders, `SELECT `+orderColumns+` FROM orders
WHERE customer_id = $1 AND status IN ('awaiting_payment', 'receipt_submitted') ORDER BY id`, customerID); err != nil {
		return nil, fmt.Errorf("orders: awaiting payment: %w", err)
	}
	if err := s.fill(ctx, s.db, orders); err != nil {
		return nil, err
	}
	return orders, nil
}
