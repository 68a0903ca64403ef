// Package outbox keeps the messages that must reach someone — order notices, status
// changes, reminders — in Postgres, written in the same transaction as the change that
// causes them, until a sender delivers them.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Message is one message to deliver.
type Message struct {
	ID      int64           `db:"id"`
	ChatID  int64           `db:"chat_id"`
	Kind    string          `db:"kind"` // what it is about, for records and metrics
	OrderID *int64          `db:"order_id"`
	Text    string          `db:"text"` // Telegram HTML; the caption when ReceiptID is set
	Markup  json.RawMessage `db:"markup"`
	// ReceiptID sends the receipt's picture with Text as its caption.
	ReceiptID *int64 `db:"receipt_id"`
	Attempts  int    `db:"attempts"`
}

// Execer runs statements: a *sqlx.Tx of the change the messages belong to.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Enqueue writes messages in the caller's transaction.
func Enqueue(ctx context.Context, tx Execer, msgs ...Message) error {
	for _, m := range msgs {
		var markup any
		if len(m.Markup) > 0 {
			markup = []byte(m.Markup)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (chat_id, kind, order_id, text, markup, receipt_id)
VALUES ($1, $2, $3, $4, $5, $6)`, m.ChatID, m.Kind, m.OrderID, m.Text, markup, m.ReceiptID); err != nil {
			return fmt.Errorf("outbox: enqueue: %w", err)
		}
	}
	return nil
}

// Store claims and settles messages for the sender.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Claim takes up to limit pending messages that are due, oldest first, for d. Several
// senders may claim at once: each message goes to one of them (SKIP LOCKED), and one a
// sender claimed but never settled (it died) is due again when the claim runs out.
func (s *Store) Claim(ctx context.Context, limit int, d time.Duration) ([]Message, error) {
	var msgs []Message
	err := s.db.SelectContext(ctx, &msgs, `UPDATE outbox SET claimed_until = now() + $2 * interval '1 millisecond', attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox
    WHERE status = 'pending' AND next_attempt_at <= now() AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
RETURNING id, chat_id, kind, order_id, text, COALESCE(markup, 'null'::jsonb) AS markup, receipt_id, attempts`, limit, d.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return msgs, nil
}

// Sent records a delivered message.
func (s *Store) Sent(ctx context.Context, id int64, messageID int) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = now(), message_id = $2, claimed_until = NULL, last_error = ''
WHERE id = $1`, id, messageID); err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// Retry puts a message back to be tried again after wait.
func (s *Store) Retry(ctx context.Context, id int64, wait time.Duration, reason string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', claimed_until = NULL, last_error = $3
WHERE id = $1`, id, wait.Milliseconds(), reason); err != nil {
		return fmt.Errorf("outbox: retry: %w", err)
	}
	return nil
}

// Failed gives a message up for good (the chat is gone or refuses the bot).
func (s *Store) Failed(ctx context.Context, id int64, reason string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = $2 WHERE id = $1`, id, reason); err != nil {
		return fmt.Errorf("outbox: mark failed: %w", err)
	}
	return nil
}

// Receipt is a receipt's picture or file to send.
type Receipt struct {
	Data       []byte `db:"data"`
	MIME       string `db:"mime"`
	FileID     string `db:"file_id"`
	AsDocument bool   `db:"as_document"`
}

// Receipt returns a receipt to send.
func (s *Store) Receipt(ctx context.Context, id int64) (Receipt, error) {
	var r Receipt
	if err := s.db.GetContext(ctx, &r, `SELECT data, mime, file_id, as_document FROM receipts WHERE id = $1`, id); err != nil {
		return Receipt{}, fmt.Errorf("outbox: receipt: %w", err)
	}
	return r, nil
}

// BlockChat marks a customer who blocked the bot; nothing more is written to them.
func (s *Store) BlockChat(ctx context.Context, chatID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: block chat: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET blocked = true WHERE id = $1`, chatID); err != nil {
		return fmt.Errorf("outbox: block chat: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', last_error = 'blocked by the user'
WHERE chat_id = $1 AND status = 'pending'`, chatID); err != nil {
		return fmt.Errorf("outbox: block chat: %w", err)
	}
	return tx.Commit()
}

// Pending counts messages not delivered yet.
func (s *Store) Pending(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	return n, err
}
