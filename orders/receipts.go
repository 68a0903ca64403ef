package orders

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shopbot/shopbot/outbox"
)

// Receipt is a payment receipt a customer sent for an order.
type Receipt struct {
	ID           int64
	OrderID      int64
	MIME         string
	FileID       string
	FileUniqueID string
	// DuplicateOf is another order the same picture was sent for, 0 if none.
	DuplicateOf int64
	// DuplicateCode is that order's code.
	DuplicateCode string
	// Repeated is set when the same picture was already stored for this order: nothing
	// new was stored or sent.
	Repeated bool
	// Moved is set when the receipt moved its order from awaiting payment to
	// receipt_submitted: it starts a submission, rather than adding to one.
	Moved bool
}

// NewReceipt is a receipt to store.
type NewReceipt struct {
	OrderID      int64
	CustomerID   int64 // must own the order
	Data         []byte
	MIME         string
	FileID       string
	FileUniqueID string
	AsDocument   bool // sent as a file, not as a photo
	// More is another picture of the receipt stored last (an album's): so it is kept,
	// unless it starts a submission of its own (the order waits for payment again).
	More bool
	// LateSince takes a receipt for an order that expired unpaid, its deadline after
	// LateSince, before the receipt came: it is kept with the order, whose status stays,
	// for the sellers to settle with the customer. Zero takes none.
	LateSince time.Time
	// Notices renders what the receipt causes (the picture to the sellers); the receipt
	// and the order are given with their ids.
	Notices func(Order, Receipt) []outbox.Message
}

// AddReceipt stores a receipt with its order, moves the order to receipt_submitted (a
// second receipt for an order already there is kept as well) and writes its notices, in
// one transaction. A picture already sent for another order is flagged in the receipt.
func (s *Store) AddReceipt(ctx context.Context, n NewReceipt) (Order, Receipt, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, Receipt{}, fmt.Errorf("orders: add receipt: %w", err)
	}
	defer tx.Rollback()
	o, err := s.getOrder(ctx, tx, orderSelect+` WHERE o.id = $1 FOR UPDATE OF o`, n.OrderID)
	if err != nil {
		return Order{}, Receipt{}, err
	}
	if o.CustomerID != n.CustomerID {
		return Order{}, Receipt{}, ErrNotFound
	}
	late := o.Status == Expired && !n.LateSince.IsZero() && o.ExpiresAt.After(n.LateSince)
	if o.Status != AwaitingPayment && o.Status != ReceiptSubmitted && !late {
		return o, Receipt{}, ErrTransition
	}
	r := Receipt{OrderID: o.ID, MIME: n.MIME, FileID: n.FileID, FileUniqueID: n.FileUniqueID}
	sum := sha256.Sum256(n.Data)
	var stored struct {
		ID            int64  `db:"id"`
		Repeated      bool   `db:"repeated"`
		DuplicateOf   int64  `db:"duplicate_of"`
		DuplicateCode string `db:"duplicate_code"`
	}
	if err := s.stmts.Get(ctx, tx, &stored, storeReceipt, o.ID, n.Data, n.MIME, n.FileID, n.FileUniqueID, sum[:], n.AsDocument,
		o.Status != AwaitingPayment, n.CustomerID, n.More && o.Status != AwaitingPayment); err != nil {
		return Order{}, Receipt{}, fmt.Errorf("orders: store receipt: %w", err)
	}
	r.ID = stored.ID
	if stored.Repeated {
		r.Repeated = true
		return o, r, nil
	}
	r.DuplicateOf, r.DuplicateCode = stored.DuplicateOf, stored.DuplicateCode
	if o.Status == AwaitingPayment {
		o.Status, r.Moved = ReceiptSubmitted, true
	}
	if n.Notices != nil {
		if err := outbox.Enqueue(ctx, tx, n.Notices(o, r)...); err != nil {
			return Order{}, Receipt{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Order{}, Receipt{}, fmt.Errorf("orders: add receipt: %w", err)
	}
	return o, r, nil
}

// storeReceipt stores a receipt ($1 the order, $2 the bytes, $3 the MIME type, $4 the file
// id, $5 its unique id, $6 the SHA-256 of the bytes, $7 whether it came as a file) unless
// the same picture (by unique id or hash) is stored for that order already since the
// sellers last rejected its receipts and is still waiting for them ($8): a retry after a
// lost answer is the same receipt (the latest of that picture for the order), returned as
// repeated. Sent again after the sellers rejected it, it is a new submission, each picture
// of an album sent again too. A new one names the first other order the picture
// was sent for, and moves an order awaiting payment to receipt_submitted, with its event
// by the customer ($9). $10 keeps it as another picture of the receipt before it. The
// pictures are found by their indexes, whatever the table's size.
const storeReceipt = `WITH same AS MATERIALIZED (
    SELECT id, order_id FROM receipts WHERE file_unique_id = $5
    UNION
    SELECT id, order_id FROM receipts WHERE sha256 = $6
), earlier AS (
    SELECT o.id, o.code FROM orders o
    WHERE o.id = (SELECT order_id FROM same WHERE order_id <> $1 ORDER BY id LIMIT 1)
), added AS (
    INSERT INTO receipts (order_id, data, mime, file_id, file_unique_id, sha256, as_document, duplicate_of, extra_picture)
    SELECT $1::bigint, $2::bytea, $3::text, $4::text, $5::text, $6::bytea, $7::boolean, (SELECT id FROM earlier), $10::boolean
    WHERE NOT ($8::boolean AND EXISTS (SELECT FROM same JOIN receipts r USING (id) WHERE same.order_id = $1
        AND r.created_at > coalesce((SELECT max(at) FROM order_events WHERE order_id = $1
            AND from_status = 'receipt_submitted' AND to_status = 'awaiting_payment'), '-infinity')))
    RETURNING id
), moved AS (
    UPDATE orders SET status = 'receipt_submitted', updated_at = now()
    WHERE id = $1 AND status = 'awaiting_payment' AND EXISTS (SELECT FROM added) RETURNING id
), event AS (
    INSERT INTO order_events (order_id, from_status, to_status, actor, note)
    SELECT id, 'awaiting_payment', 'receipt_submitted', $9, '' FROM moved
)
SELECT coalesce((SELECT id FROM added), (SELECT max(id) FROM same WHERE order_id = $1)) AS id,
    NOT EXISTS (SELECT FROM added) AS repeated,
    coalesce((SELECT id FROM earlier), 0) AS duplicate_of,
    coalesce((SELECT code FROM earlier), '') AS duplicate_code`

// ReceiptData returns a stored receipt's bytes.
func (s *Store) ReceiptData(ctx context.Context, id int64) ([]byte, error) {
	var data []byte
	err := s.db.GetContext(ctx, &data, `SELECT data FROM receipts WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return data, err
}
