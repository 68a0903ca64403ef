package orders

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"

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
	Customer      Customer `db:"customer"` // name, username and language, for notices
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
//
// The stock is reserved last, just before the commit, so an item's rows are held by one
// order for as short a time as possible: in a drop every order wants the same few rows.
func (s *Store) Place(ctx context.Context, req PlaceRequest) (Order, error) {
	if len(req.Lines) == 0 {
		// A repeated confirmation after the cart was emptied by the first one.
		o, err := s.orderByKey(ctx, req.Key)
		if errors.Is(err, ErrNotFound) {
			return Order{}, ErrEmpty
		}
		return o, err
	}
	// Merge repeated variants; reserve in variant order, so concurrent orders of the same
	// variants never deadlock.
	qty := map[int64]Want{}
	for _, w := range req.Lines {
		if w.Quantity <= 0 || w.Quantity > MaxQuantity {
			return Order{}, fmt.Errorf("orders: place: quantity %d: %w", w.Quantity, ErrEmpty)
		}
		m := qty[w.VariantID]
		m.ItemID, m.VariantID, m.Quantity = w.ItemID, w.VariantID, m.Quantity+w.Quantity
		qty[w.VariantID] = m
	}
	wants := slices.SortedFunc(maps.Values(qty), func(a, b Want) int { return cmp.Compare(a.VariantID, b.VariantID) })
	for attempt := 0; ; attempt++ {
		o, err := s.place(ctx, req, wants, newCode())
		var pqErr *pq.Error
		switch {
		case errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "orders_code_key" && attempt < 5:
			continue // the code was taken: draw another
		case errors.Is(err, errStockTaken) && attempt < 10:
			continue // another order took the stock first: the next attempt reads what is left
		case errors.Is(err, ErrSoldOut) || errors.Is(err, ErrPriceChanged):
			// The same confirmation may have placed its order already (a process stopped
			// before the customer's session recorded it): that order is the answer, not
			// what the catalog says now.
			if placed, perr := s.orderByKey(ctx, req.Key); perr == nil {
				return placed, nil
			} else if !errors.Is(perr, ErrNotFound) {
				return Order{}, perr
			}
		}
		return o, err
	}
}

// PlaceSQL are the statements Place runs, in this order, in one transaction: Variants;
// Insert (the order, its lines and its first event, and the delivery details the customer
// gave remembered, returning the customer); outbox.Enqueue's insert of the notices;
// LockVariants, for several variants only; Reserve (returning how many variants it could
// take). The benchmark's raw SQL baseline runs them too.
var PlaceSQL = struct {
	Variants, Insert, LockVariants, Reserve string
}{
	Variants: `SELECT v.id AS variant_id, v.item_id, i.title, v.name, i.price, i.hidden, i.week_id,
    w.status, w.closes_at, v.stock
FROM variants v JOIN items i ON i.id = v.item_id JOIN weeks w ON w.id = i.week_id
WHERE v.id = ANY($1)`,
	Insert: `WITH o AS (
    INSERT INTO orders (code, customer_id, week_id, status, currency, total, delivery, recipient_name, phone,
        address, note, idempotency_key, expires_at)
    VALUES ($1, $2, $3, 'awaiting_payment', $4, $5, $6, $7, $8, $9, $10, $11, $12)
    ON CONFLICT (idempotency_key) DO NOTHING RETURNING id
), l AS (
    INSERT INTO order_lines (order_id, item_id, variant_id, title, variant_name, unit_price, quantity)
    SELECT o.id, x.item_id, x.variant_id, x.title, x.variant_name, x.unit_price, x.quantity
    FROM o, unnest($13::bigint[], $14::bigint[], $15::text[], $16::text[], $17::bigint[], $18::int[])
        WITH ORDINALITY AS x (item_id, variant_id, title, variant_name, unit_price, quantity, n)
    ORDER BY x.n RETURNING id
), e AS (
    INSERT INTO order_events (order_id, from_status, to_status, actor, note)
    SELECT o.id, '', 'awaiting_payment', $2, '' FROM o
), c AS (
    UPDATE customers SET delivery_name = CASE WHEN $7 = '' THEN delivery_name ELSE $7 END,
        phone = CASE WHEN $8 = '' THEN phone ELSE $8 END,
        delivery_address = CASE WHEN $9 = '' THEN delivery_address ELSE $9 END
    WHERE id = $2 AND EXISTS (SELECT FROM o) RETURNING ` + customerColumns + `
)
SELECT o.id, (SELECT array_agg(id ORDER BY id) FROM l) AS lines, ` + customerFields + ` FROM o, c`,
	LockVariants: `SELECT FROM variants WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE`,
	// An unlimited variant (stock NULL) stays so; its row is still locked, in case a
	// seller gives it a stock meanwhile.
	Reserve: `WITH taken AS (
    UPDATE variants v SET stock = v.stock - w.q FROM unnest($1::bigint[], $2::int[]) AS w (id, q)
    WHERE v.id = w.id AND (v.stock IS NULL OR v.stock >= w.q) RETURNING v.stock IS NOT NULL AS counted
), changed AS (
    INSERT INTO stock_changes (week_id) SELECT unnest($3::bigint[]) WHERE EXISTS (SELECT FROM taken WHERE counted)
)
SELECT count(*) FROM taken`,
}

// errStockTaken means stock read as enough was taken by another order before this one
// could reserve it. It wraps ErrSoldOut, for when it is still so after every attempt.
var errStockTaken = fmt.Errorf("%w: taken meanwhile", ErrSoldOut)

func (s *Store) place(ctx context.Context, req PlaceRequest, wants []Want, code string) (Order, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("orders: place: %w", err)
	}
	defer tx.Rollback()
	lines, weeks, err := s.priceLines(ctx, tx, wants, req.Now)
	if err != nil {
		return Order{}, err
	}
	var total int64
	for _, l := range lines {
		total += l.Amount()
	}
	if req.Total != 0 && total != req.Total {
		return Order{}, ErrPriceChanged
	}
	o := Order{Code: code, CustomerID: req.CustomerID, WeekID: weeks[len(weeks)-1], Status: AwaitingPayment,
		Currency: req.Currency, Total: total, Delivery: req.Delivery, RecipientName: req.RecipientName,
		Phone: req.Phone, Address: req.Address, Note: req.Note, ExpiresAt: req.Now.Add(req.TTL), CreatedAt: req.Now}
	// The order, its lines and its first event together. A confirmation with the same key
	// waits here for the one before it, then finds its order instead of placing another.
	var cols struct {
		itemIDs, variantIDs, prices, quantities pq.Int64Array
		titles, names                           pq.StringArray
	}
	for _, l := range lines {
		cols.itemIDs = append(cols.itemIDs, l.ItemID)
		cols.variantIDs = append(cols.variantIDs, l.VariantID)
		cols.prices = append(cols.prices, l.UnitPrice)
		cols.quantities = append(cols.quantities, int64(l.Quantity))
		cols.titles = append(cols.titles, l.Title)
		cols.names = append(cols.names, l.VariantName)
	}
	var stored PlacedRow
	err = s.stmts.Get(ctx, tx, &stored, PlaceSQL.Insert,
		code, req.CustomerID, o.WeekID, req.Currency, total, req.Delivery, req.RecipientName, req.Phone, req.Address,
		req.Note, req.Key, o.ExpiresAt,
		cols.itemIDs, cols.variantIDs, cols.titles, cols.names, cols.prices, cols.quantities)
	if errors.Is(err, sql.ErrNoRows) {
		// The same confirmation was placed before: its order is the answer.
		tx.Rollback()
		return s.orderByKey(ctx, req.Key)
	}
	if err != nil {
		return Order{}, fmt.Errorf("orders: insert order: %w", err)
	}
	if len(stored.Lines) != len(lines) {
		return Order{}, fmt.Errorf("orders: insert order: %d lines stored of %d", len(stored.Lines), len(lines))
	}
	o.ID = stored.ID
	for i := range lines {
		lines[i].ID, lines[i].OrderID = stored.Lines[i], o.ID
	}
	o.Lines, o.Customer = lines, stored.Customer
	if req.Notices != nil {
		if err := outbox.Enqueue(ctx, tx, req.Notices(o)...); err != nil {
			return Order{}, err
		}
	}
	if err := s.reserve(ctx, tx, wants, weeks); err != nil {
		return Order{}, err
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("orders: place: %w", err)
	}
	return o, nil
}

// PlacedRow is what PlaceSQL.Insert returns: the order's id, its lines' ids in their
// order, and its customer.
type PlacedRow struct {
	ID       int64         `db:"id"`
	Lines    pq.Int64Array `db:"lines"`
	Customer Customer      `db:"customer"`
}

// VariantRow is what an order needs to know of a variant it wants: a row of
// PlaceSQL.Variants.
type VariantRow struct {
	VariantID int64      `db:"variant_id"`
	ItemID    int64      `db:"item_id"`
	Title     string     `db:"title"`
	Variant   string     `db:"name"`
	Price     int64      `db:"price"`
	Hidden    bool       `db:"hidden"`
	WeekID    int64      `db:"week_id"`
	Status    string     `db:"status"`
	ClosesAt  *time.Time `db:"closes_at"`
	Stock     *int       `db:"stock"`
}

// priceLines reads what the wanted variants are now: their lines at today's prices and
// the weeks they are in, or a *ShortageError naming every line that cannot be booked.
func (s *Store) priceLines(ctx context.Context, tx *sqlx.Tx, wants []Want, now time.Time) ([]Line, []int64, error) {
	var rows []VariantRow
	ids := make(pq.Int64Array, len(wants))
	for i, w := range wants {
		ids[i] = w.VariantID
	}
	if err := s.stmts.Select(ctx, tx, &rows, PlaceSQL.Variants, ids); err != nil {
		return nil, nil, fmt.Errorf("orders: place: %w", err)
	}
	var lines []Line
	var short []Shortage
	var weeks []int64
	for _, w := range wants {
		i := slices.IndexFunc(rows, func(r VariantRow) bool {
			return r.VariantID == w.VariantID && r.ItemID == w.ItemID
		})
		if i < 0 {
			short = append(short, Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Wanted: w.Quantity})
			continue
		}
		row := rows[i]
		sh := Shortage{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, Variant: row.Variant, Wanted: w.Quantity}
		switch {
		case (row.Status != "published" && row.Status != "publishing") || (row.ClosesAt != nil && !now.Before(*row.ClosesAt)):
			sh.Closed = true
			short = append(short, sh)
			continue
		case row.Hidden:
			short = append(short, sh)
			continue
		case row.Stock != nil && *row.Stock < w.Quantity:
			sh.Left = *row.Stock
			short = append(short, sh)
			continue
		}
		if !slices.Contains(weeks, row.WeekID) {
			weeks = append(weeks, row.WeekID)
		}
		lines = append(lines, Line{ItemID: w.ItemID, VariantID: w.VariantID, Title: row.Title, VariantName: row.Variant,
			UnitPrice: row.Price, Quantity: w.Quantity})
	}
	if len(short) > 0 {
		return nil, nil, &ShortageError{Lines: short}
	}
	return lines, weeks, nil
}

// reserve takes the wanted stock, or returns errStockTaken when another order took some
// of it first. It records the stock change for the weeks' posts. Several variants are
// locked in variant order first, so two orders never wait on each other; the lock is
// FOR NO KEY UPDATE, as the stock update's own, which the key locks the order lines'
// foreign keys took on the same rows do not block.
func (s *Store) reserve(ctx context.Context, tx *sqlx.Tx, wants []Want, weeks []int64) error {
	ids, qs := make(pq.Int64Array, len(wants)), make(pq.Int64Array, len(wants))
	for i, w := range wants {
		ids[i], qs[i] = w.VariantID, int64(w.Quantity)
	}
	if len(wants) > 1 {
		if _, err := tx.ExecContext(ctx, PlaceSQL.LockVariants, ids); err != nil {
			return fmt.Errorf("orders: reserve: %w", err)
		}
	}
	var taken int
	if err := s.stmts.Get(ctx, tx, &taken, PlaceSQL.Reserve, ids, qs, pq.Int64Array(weeks)); err != nil {
		return fmt.Errorf("orders: reserve: %w", err)
	}
	if taken != len(wants) {
		return errStockTaken
	}
	return nil
}

// markWeeks tells the channel publisher that stock shown in these weeks' posts changed,
// with rows of their own (see migrations/00005_stock_changes.sql): updating the week's
// row would make every order of the week wait for the one before it to commit.
func markWeeks(ctx context.Context, tx *sqlx.Tx, weeks map[int64]bool) error {
	if len(weeks) == 0 {
		return nil
	}
	ids := slices.Collect(maps.Keys(weeks))
	if _, err := tx.ExecContext(ctx, `INSERT INTO stock_changes (week_id) SELECT unnest($1::bigint[])`, pq.Array(ids)); err != nil {
		return fmt.Errorf("orders: mark week changed: %w", err)
	}
	return nil
}

// orderColumns are the columns of an order (o).
const orderColumns = `o.id, o.code, o.customer_id, o.week_id, o.status, o.currency, o.total, o.delivery,
    o.recipient_name, o.phone, o.address, o.note, o.expires_at, o.reminded_at, o.created_at`

// customerFields are customerColumns of a customer (c) as the fields of Order.Customer.
var customerFields = func() string {
	var fields []string
	for _, col := range strings.Split(customerColumns, ",") {
		col = strings.TrimSpace(col)
		fields = append(fields, `c.`+col+` AS "customer.`+col+`"`)
	}
	return strings.Join(fields, ", ")
}()

// orderSelect reads orders (o) with their customer (c) and lines in one statement: the
// lines come as a JSON array of objects keyed by the Go field names.
var orderSelect = `SELECT ` + orderColumns + `, ` + customerFields + `,
    (SELECT coalesce(json_agg(json_build_object('ID', l.id, 'OrderID', l.order_id, 'ItemID', l.item_id,
        'VariantID', l.variant_id, 'Title', l.title, 'VariantName', l.variant_name, 'UnitPrice', l.unit_price,
        'Quantity', l.quantity) ORDER BY l.id), '[]')
     FROM order_lines l WHERE l.order_id = o.id) AS lines_json
FROM orders o JOIN customers c ON c.id = o.customer_id`

// orderRow is a row of orderSelect.
type orderRow struct {
	Order
	LinesJSON []byte `db:"lines_json"`
}

// selectOrders runs an orderSelect query (within tx, if not nil) and decodes its rows.
func (s *Store) selectOrders(ctx context.Context, tx *sqlx.Tx, query string, args ...any) ([]Order, error) {
	var rows []orderRow
	if err := s.stmts.Select(ctx, tx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("orders: orders: %w", err)
	}
	list := make([]Order, len(rows))
	for i, r := range rows {
		list[i] = r.Order
		if err := json.Unmarshal(r.LinesJSON, &list[i].Lines); err != nil {
			return nil, fmt.Errorf("orders: lines of order %d: %w", r.ID, err)
		}
	}
	return list, nil
}

// getOrder runs an orderSelect query for one order (within tx, if not nil).
func (s *Store) getOrder(ctx context.Context, tx *sqlx.Tx, query string, args ...any) (Order, error) {
	list, err := s.selectOrders(ctx, tx, query, args...)
	if err != nil {
		return Order{}, err
	}
	if len(list) == 0 {
		return Order{}, ErrNotFound
	}
	return list[0], nil
}

func (s *Store) orderByKey(ctx context.Context, key string) (Order, error) {
	return s.getOrder(ctx, nil, orderSelect+` WHERE o.idempotency_key = $1`, key)
}

// Order returns an order with its lines and customer.
func (s *Store) Order(ctx context.Context, id int64) (Order, error) {
	return s.getOrder(ctx, nil, orderSelect+` WHERE o.id = $1`, id)
}

// OrderByCode returns the order with a code, as people type or paste it (any case,
// with direction marks).
func (s *Store) OrderByCode(ctx context.Context, code string) (Order, error) {
	return s.getOrder(ctx, nil, orderSelect+` WHERE o.code = $1`, strings.ToUpper(strings.TrimSpace(unmarked(code))))
}

// unmarked is s without the invisible direction marks right-to-left text carries, which
// a copy and paste brings along.
func unmarked(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Bidi_Control, r) || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
}

// CustomerOrders lists a customer's orders, newest first.
func (s *Store) CustomerOrders(ctx context.Context, customerID int64, limit int) ([]Order, error) {
	return s.selectOrders(ctx, nil, orderSelect+` WHERE o.customer_id = $1 ORDER BY o.id DESC LIMIT $2`, customerID, limit)
}

// AwaitingPayment lists a customer's orders that a receipt could pay, oldest first, then
// the five at most that expired unpaid since (a payment made just too late), the latest
// first, without their lines and customer.
func (s *Store) AwaitingPayment(ctx context.Context, customerID int64, expiredSince time.Time) ([]Order, error) {
	var orders []Order
	if err := s.stmts.Select(ctx, nil, &orders, `SELECT `+orderColumns+` FROM orders o
WHERE o.customer_id = $1 AND (o.status IN ('awaiting_payment', 'receipt_submitted') OR o.id IN (
    SELECT e.id FROM orders e WHERE e.customer_id = $1 AND e.status = 'expired' AND e.expires_at > $2
    ORDER BY e.expires_at DESC, e.id DESC LIMIT 5))
ORDER BY o.status = 'expired', CASE WHEN o.status = 'expired' THEN o.expires_at END DESC,
    CASE WHEN o.status = 'expired' THEN -o.id ELSE o.id END`, customerID, expiredSince); err != nil {
		return nil, fmt.Errorf("orders: awaiting payment: %w", err)
	}
	return orders, nil
}
