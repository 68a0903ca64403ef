package orders

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"
)

// List lists orders in the given statuses (all when none), newest first.
func (s *Store) List(ctx context.Context, statuses []Status, limit, offset int) ([]Order, error) {
	names := make([]string, len(statuses))
	for i, st := range statuses {
		names[i] = string(st)
	}
	return s.selectOrders(ctx, nil, orderSelect+`
WHERE cardinality($1::text[]) = 0 OR o.status = ANY($1) ORDER BY o.id DESC LIMIT $2 OFFSET $3`,
		pq.Array(names), limit, offset)
}

// Orders returns the orders with these ids that exist, in id order.
func (s *Store) Orders(ctx context.Context, ids []int64) ([]Order, error) {
	return s.selectOrders(ctx, nil, orderSelect+` WHERE o.id = ANY($1) ORDER BY o.id`, pq.Array(ids))
}

// Find searches orders by code, customer name, username or phone (ASCII digits: see
// catalog.NormalizeDigits), newest first.
func (s *Store) Find(ctx context.Context, text string, limit int) ([]Order, error) {
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(unmarked(text)), "@"))
	if text == "" {
		return nil, nil
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text) + "%"
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, text)
	// A number typed in its national form (0912 345 678) finds one kept in international
	// form (+84 912 345 678), and the other way round: the trunk prefix and the country
	// code are no part of what is compared, the last nine digits at most.
	if national := strings.TrimLeft(digits, "0"); len(national) >= 6 {
		digits = national
	}
	if len(digits) > 9 {
		digits = digits[len(digits)-9:]
	}
	return s.selectOrders(ctx, nil, orderSelect+`
WHERE o.code = upper($1)
   OR (c.first_name || ' ' || c.last_name) ILIKE $2 OR c.username ILIKE $2 OR o.recipient_name ILIKE $2
   OR ($3 <> '' AND length($3) >= 4 AND (regexp_replace(o.phone, '[^0-9]', '', 'g') LIKE '%' || $3 || '%'
       OR regexp_replace(c.phone, '[^0-9]', '', 'g') LIKE '%' || $3 || '%'))
ORDER BY o.id DESC LIMIT $4`, text, like, digits, limit)
}

// ReceiptInfo is a stored receipt without its bytes.
type ReceiptInfo struct {
	ID         int64     `db:"id"`
	MIME       string    `db:"mime"`
	FileID     string    `db:"file_id"`
	AsDocument bool      `db:"as_document"`
	At         time.Time `db:"created_at"`
	// ExtraPicture is another picture of the receipt before it (an album's).
	ExtraPicture bool `db:"extra_picture"`
}

// Receipts lists an order's receipts, oldest first.
func (s *Store) Receipts(ctx context.Context, orderID int64) ([]ReceiptInfo, error) {
	var rs []ReceiptInfo
	if err := s.db.SelectContext(ctx, &rs, `SELECT id, mime, file_id, as_document, created_at, extra_picture FROM receipts
WHERE order_id = $1 ORDER BY id`, orderID); err != nil {
		return nil, fmt.Errorf("orders: receipts: %w", err)
	}
	return rs, nil
}

// PurchaseLine is what to buy from the wholesaler for one item and size.
type PurchaseLine struct {
	ItemID   int64  `db:"item_id"`
	Title    string `db:"title"`
	Variant  string `db:"variant_name"`
	Paid     int    `db:"paid"`     // in orders whose payment is confirmed
	Awaiting int    `db:"awaiting"` // in orders still waiting for payment or its check
}

// Purchases sums the week's order lines per item and size: the list the seller takes to
// the wholesaler. An item renamed meanwhile is one line, by its name now (an item ordered
// is never deleted).
func (s *Store) Purchases(ctx context.Context, weekID int64) ([]PurchaseLine, error) {
	var lines []PurchaseLine
	if err := s.db.SelectContext(ctx, &lines, `SELECT l.item_id, min(i.title) AS title,
    (array_agg(l.variant_name ORDER BY l.id DESC))[1] AS variant_name,
    COALESCE(sum(l.quantity) FILTER (WHERE o.status IN ('paid', 'ready_for_pickup', 'shipped', 'completed')), 0) AS paid,
    COALESCE(sum(l.quantity) FILTER (WHERE o.status IN ('awaiting_payment', 'receipt_submitted')), 0) AS awaiting
FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN items i ON i.id = l.item_id
WHERE o.week_id = $1 AND o.status NOT IN ('cancelled', 'expired')
GROUP BY l.item_id, l.variant_id
ORDER BY l.item_id, l.variant_id`, weekID); err != nil {
		return nil, fmt.Errorf("orders: purchases: %w", err)
	}
	return lines, nil
}

// Stats are a period's figures.
type Stats struct {
	ByStatus  map[Status]int
	Orders    int
	Revenue   int64 // of orders whose payment is confirmed
	Paid      int
	Currency  string
	Top       []TopItem
	New       int // customers whose first order is in the period
	Returning int // customers with an earlier order
}

// TopItem is an item by units sold.
type TopItem struct {
	Title string `db:"title"`
	Units int    `db:"units"`
}

// Stats sums orders placed in [from, to).
func (s *Store) Stats(ctx context.Context, from, to time.Time) (Stats, error) {
	st := Stats{ByStatus: map[Status]int{}}
	var rows []struct {
		Status   Status `db:"status"`
		N        int    `db:"n"`
		Sum      int64  `db:"sum"`
		Currency string `db:"currency"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT status, count(*) AS n, COALESCE(sum(total), 0) AS sum, max(currency) AS currency
FROM orders WHERE created_at >= $1 AND created_at < $2 GROUP BY status`, from, to); err != nil {
		return st, fmt.Errorf("orders: stats: %w", err)
	}
	for _, r := range rows {
		st.ByStatus[r.Status] = r.N
		st.Orders += r.N
		st.Currency = r.Currency
		switch r.Status {
		case Paid, ReadyForPickup, Shipped, Completed:
			st.Revenue += r.Sum
			st.Paid += r.N
		}
	}
	// An item renamed meanwhile counts once, by its name now.
	if err := s.db.SelectContext(ctx, &st.Top, `SELECT min(i.title) AS title, sum(l.quantity) AS units
FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN items i ON i.id = l.item_id
WHERE o.created_at >= $1 AND o.created_at < $2 AND o.status NOT IN ('cancelled', 'expired')
GROUP BY l.item_id ORDER BY units DESC, title LIMIT 5`, from, to); err != nil {
		return st, fmt.Errorf("orders: top items: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT
    count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = c.customer_id AND p.created_at < $1)),
    count(*) FILTER (WHERE EXISTS (SELECT 1 FROM orders p WHERE p.customer_id = c.customer_id AND p.created_at < $1))
FROM (SELECT DISTINCT customer_id FROM orders WHERE created_at >= $1 AND created_at < $2) c`, from, to).Scan(&st.New, &st.Returning); err != nil {
		return st, fmt.Errorf("orders: new customers: %w", err)
	}
	return st, nil
}
