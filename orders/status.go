package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/outbox"
)

// transitions is the status machine: from each status, where an order may go.
var transitions = map[Status][]Status{
	AwaitingPayment:  {ReceiptSubmitted, Paid, Cancelled, Expired},
	ReceiptSubmitted: {Paid, AwaitingPayment, Cancelled},
	Paid:             {ReadyForPickup, Shipped, Completed, Cancelled},
	ReadyForPickup:   {Completed, Cancelled},
	Shipped:          {Completed},
}

// CanMove reports whether an order may go from one status to another.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// releasesStock reports whether reaching the status gives the order's stock back.
func releasesStock(to Status) bool { return to == Cancelled || to == Expired }

// Move changes an order's status along the status machine, records who did it and why,
// gives stock back when the order is cancelled or expires, and writes the notices the
// change causes, all in one transaction. only, when not empty, lists the statuses the
// caller expects the order to be in (a button shown for one status must not act on
// another). customerID, when not 0, must own the order.
func (s *Store) Move(ctx context.Context, m Move) (Order, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, fmt.Errorf("orders: move: %w", err)
	}
	defer tx.Rollback()
	o, err := s.getOrder(ctx, tx, orderSelect+` WHERE o.id = $1 FOR UPDATE OF o`, m.OrderID)
	if err != nil {
		return Order{}, err
	}
	if m.CustomerID != 0 && o.CustomerID != m.CustomerID {
		return Order{}, ErrNotFound
	}
	if (len(m.From) > 0 && !slices.Contains(m.From, o.Status)) || !CanMove(o.Status, m.To) {
		return o, ErrTransition
	}
	if m.Changes != 0 {
		var n int
		if err := tx.GetContext(ctx, &n, changesOf, o.ID); err != nil {
			return Order{}, fmt.Errorf("orders: move: %w", err)
		}
		if n != m.Changes {
			return o, ErrTransition
		}
	}
	if err := s.moveTx(ctx, tx, &o, m.To, m.Actor, m.Note); err != nil {
		return Order{}, err
	}
	if m.To == AwaitingPayment && !m.ExpiresAt.IsZero() {
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET expires_at = $2, reminded_at = NULL WHERE id = $1`, o.ID, m.ExpiresAt); err != nil {
			return Order{}, fmt.Errorf("orders: move: %w", err)
		}
		o.ExpiresAt, o.RemindedAt = m.ExpiresAt, nil
	}
	if m.Notices != nil {
		if err := outbox.Enqueue(ctx, tx, m.Notices(o)...); err != nil {
			return Order{}, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Order{}, fmt.Errorf("orders: move: %w", err)
	}
	return o, nil
}

// Move asks for a status change.
type Move struct {
	OrderID    int64
	CustomerID int64 // when set, the order must be theirs
	From       []Status
	To         Status
	Actor      int64 // who: a Telegram user id, 0 for the shop itself
	Note       string
	// ExpiresAt is the new payment deadline when the order goes back to awaiting
	// payment (a rejected receipt): the customer gets time to pay again.
	ExpiresAt time.Time
	// Changes, when not 0, is how many changes (status changes and receipts) the order
	// must have had (Store.Changes): the move is for the order as someone saw it, not as it
	// became since (another receipt, or rejected and paid for again: the same status).
	Changes int
	Notices func(Order) []outbox.Message
}

func (s *Store) moveTx(ctx context.Context, tx *sqlx.Tx, o *Order, to Status, actor int64, note string) error {
	// The new status and its event in one statement.
	if _, err := tx.ExecContext(ctx, `WITH moved AS (UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 RETURNING id)
INSERT INTO order_events (order_id, from_status, to_status, actor, note) SELECT id, $3, $2, $4, $5 FROM moved`,
		o.ID, string(to), string(o.Status), actor, note); err != nil {
		return fmt.Errorf("orders: move: %w", err)
	}
	if releasesStock(to) {
		weeks := map[int64]bool{}
		for _, l := range o.Lines {
			var weekID int64
			err := tx.GetContext(ctx, &weekID, `UPDATE variants v SET stock = stock + $2 FROM items i
WHERE v.id = $1 AND i.id = v.item_id AND v.stock IS NOT NULL RETURNING i.week_id`, l.VariantID, l.Quantity)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("orders: release stock: %w", err)
			}
			if err == nil {
				weeks[weekID] = true
			}
		}
		if err := markWeeks(ctx, tx, weeks); err != nil {
			return err
		}
	}
	o.Status = to
	return nil
}

// ExpireDue expires unpaid orders past their time, gives their stock back and writes
// their notices. With several processes each order expires once (SKIP LOCKED).
func (s *Store) ExpireDue(ctx context.Context, now time.Time, notices func(Order) []outbox.Message) ([]Order, error) {
	var expired []Order
	for {
		o, ok, err := s.expireOne(ctx, now, notices)
		if err != nil {
			return expired, err
		}
		if !ok {
			return expired, nil
		}
		expired = append(expired, o)
	}
}

func (s *Store) expireOne(ctx context.Context, now time.Time, notices func(Order) []outbox.Message) (Order, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Order{}, false, fmt.Errorf("orders: expire: %w", err)
	}
	defer tx.Rollback()
	o, err := s.getOrder(ctx, tx, orderSelect+`
WHERE o.status = 'awaiting_payment' AND o.expires_at <= $1 ORDER BY o.expires_at LIMIT 1 FOR UPDATE OF o SKIP LOCKED`, now)
	if errors.Is(err, ErrNotFound) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, err
	}
	if err := s.moveTx(ctx, tx, &o, Expired, 0, ""); err != nil {
		return Order{}, false, err
	}
	if notices != nil {
		if err := outbox.Enqueue(ctx, tx, notices(o)...); err != nil {
			return Order{}, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Order{}, false, fmt.Errorf("orders: expire: %w", err)
	}
	return o, true, nil
}

// RemindDue marks the unpaid orders that expire within `before` and were not reminded,
// and writes their reminders; each order is reminded once.
func (s *Store) RemindDue(ctx context.Context, now time.Time, before time.Duration, notices func(Order) []outbox.Message) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("orders: remind: %w", err)
	}
	defer tx.Rollback()
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `UPDATE orders SET reminded_at = $1
WHERE id IN (SELECT id FROM orders WHERE status = 'awaiting_payment' AND reminded_at IS NULL
    AND expires_at > $1 AND expires_at <= $2 FOR UPDATE SKIP LOCKED)
RETURNING id`, now, now.Add(before)); err != nil {
		return 0, fmt.Errorf("orders: remind: %w", err)
	}
	for _, id := range ids {
		o, err := s.getOrder(ctx, tx, orderSelect+` WHERE o.id = $1`, id)
		if err != nil {
			return 0, err
		}
		if notices != nil {
			if err := outbox.Enqueue(ctx, tx, notices(o)...); err != nil {
				return 0, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("orders: remind: %w", err)
	}
	return len(ids), nil
}

// Event is one recorded status change.
type Event struct {
	From  Status    `db:"from_status"`
	To    Status    `db:"to_status"`
	Actor int64     `db:"actor"`
	Note  string    `db:"note"`
	At    time.Time `db:"at"`
}

// History lists an order's status changes, oldest first.
func (s *Store) History(ctx context.Context, orderID int64) ([]Event, error) {
	var evs []Event
	if err := s.db.SelectContext(ctx, &evs, `SELECT from_status, to_status, actor, note, at FROM order_events
WHERE order_id = $1 ORDER BY id`, orderID); err != nil {
		return nil, fmt.Errorf("orders: history: %w", err)
	}
	return evs, nil
}

// ChangedSince reports whether the order's status changed after since, a time Postgres
// gave (an outbox message's, say: written with the change that caused it, it is not after
// that change).
func (s *Store) ChangedSince(ctx context.Context, orderID int64, since time.Time) (bool, error) {
	var changed bool
	if err := s.db.GetContext(ctx, &changed, `SELECT EXISTS (SELECT 1 FROM order_events WHERE order_id = $1 AND at > $2)`, orderID, since); err != nil {
		return false, fmt.Errorf("orders: changed since: %w", err)
	}
	return changed, nil
}

// changesOf counts an order's ($1) status changes and receipts.
const changesOf = `SELECT (SELECT count(*) FROM order_events WHERE order_id = $1) + (SELECT count(*) FROM receipts WHERE order_id = $1)`

// Changes is how many changes (status changes and receipts) an order has had, for
// Move.Changes.
func (s *Store) Changes(ctx context.Context, orderID int64) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, changesOf, orderID); err != nil {
		return 0, fmt.Errorf("orders: changes: %w", err)
	}
	return n, nil
}
