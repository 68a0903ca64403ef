package orders

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"

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
	o, err := s.getOrder(ctx, tx, `SELECT `+orderColumns+` FROM orders WHERE id = $1 FOR UPDATE`, n.OrderID)
	if err != nil {
		return Order{}, Receipt{}, err
	}
	if o.CustomerID != n.CustomerID {
		return Order{}, Receipt{}, ErrNotFound
	}
	if o.Status != AwaitingPayment && o.Status != ReceiptSubmitted {
		return o, Receipt{}, ErrTransition
	}
	r := Receipt{OrderID: o.ID, MIME: n.MIME, FileID: n.FileID, FileUniqueID: n.FileUniqueID}
	sum := sha256.Sum256(n.Data)
	// The same picture again for this order (a retry after a lost answer) is the same receipt.
	err = tx.GetContext(ctx, &r.ID, `SELECT id FROM receipts WHERE order_id = $1 AND (sha256 = $2 OR file_unique_id = $3) LIMIT 1`,
		o.ID, sum[:], n.FileUniqueID)
	if err == nil {
		r.Repeated = true
		return o, r, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Order{}, Receipt{}, fmt.Errorf("orders: check receipt: %w", err)
	}
	var dup struct {
		ID   int64  `db:"id"`
		Code string `db:"code"`
	}
	err = tx.GetContext(ctx, &dup, `SELECT o.id, o.code FROM receipts r JOIN orders o ON o.id = r.order_id
WHERE (r.file_unique_id = $1 OR r.sha256 = $2) AND r.order_id <> $3 ORDER BY r.id LIMIT 1`, n.FileUniqueID, sum[:], o.ID)
	switch {
	case err == nil:
		r.DuplicateOf, r.DuplicateCode = dup.ID, dup.Code
	case !errors.Is(err, sql.ErrNoRows):
		return Order{}, Receipt{}, fmt.Errorf("orders: check receipt: %w", err)
	}
	var dupOf *int64
	if r.DuplicateOf != 0 {
		dupOf = &r.DuplicateOf
	}
	if err := tx.GetContext(ctx, &r.ID, `INSERT INTO receipts (order_id, data, mime, file_id, file_unique_id, sha256, as_document, duplicate_of)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, o.ID, n.Data, n.MIME, n.FileID, n.FileUniqueID, sum[:], n.AsDocument, dupOf); err != nil {
		return Order{}, Receipt{}, fmt.Errorf("orders: store receipt: %w", err)
	}
	if o.Status == AwaitingPayment {
		if err := s.moveTx(ctx, tx, &o, ReceiptSubmitted, n.CustomerID, ""); err != nil {
			return Order{}, Receipt{}, err
		}
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

// ReceiptData returns a stored receipt's bytes.
func (s *Store) ReceiptData(ctx context.Context, id int64) ([]byte, error) {
	var data []byte
	err := s.db.GetContext(ctx, &data, `SELECT data FROM receipts WHERE id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return data, err
}
