package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/shopbot/shopbot/outbox"
)

// ErrTooManyMessages refuses a customer's message past MessagesPerHour.
var ErrTooManyMessages = errors.New("orders: too many messages to the shop")

// Message is something a customer wrote to the shop, or a seller's answer to them.
type Message struct {
	ID          int64     `db:"id"`
	CustomerID  int64     `db:"customer_id"`
	SellerID    int64     `db:"seller_id"` // 0 for the customer's own words
	OrderID     int64     `db:"order_id"`  // the order it is about, 0 for none
	Text        string    `db:"text"`
	PhotoFileID string    `db:"photo_file_id"`
	CreatedAt   time.Time `db:"created_at"`
}

// NewMessage is a message to keep and pass on.
type NewMessage struct {
	CustomerID    int64
	SellerID      int64 // 0: the customer wrote it
	OrderID       int64 // 0: about no order in particular
	Text          string
	PhotoFileID   string
	AlbumID       string // the album the photo came in, if it did
	ChatMessageID int64  // the message in its writer's chat
	// PerHour caps a customer's own messages in the last hour (0: no cap), an album
	// counting as one; sellers' answers have none.
	PerHour int
	// Notices pass it on (to the sellers, or to the customer and the other sellers),
	// written in the same transaction.
	Notices func(Message) []outbox.Message
}

// AddMessage keeps a message and writes its notices, in one transaction. A message kept
// already (its update delivered again) is returned with added false, and nothing is
// passed on twice. A customer past their cap gets ErrTooManyMessages, and nothing is kept.
func (s *Store) AddMessage(ctx context.Context, n NewMessage) (m Message, added bool, err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Message{}, false, fmt.Errorf("orders: add message: %w", err)
	}
	defer tx.Rollback()
	if n.SellerID == 0 && n.PerHour > 0 {
		var recent int
		if err := tx.GetContext(ctx, &recent, `SELECT count(DISTINCT CASE WHEN album_id = '' THEN id::text ELSE album_id END)
FROM messages WHERE customer_id = $1 AND seller_id IS NULL AND created_at > now() - interval '1 hour'`, n.CustomerID); err != nil {
			return Message{}, false, fmt.Errorf("orders: add message: %w", err)
		}
		if recent >= n.PerHour {
			return Message{}, false, ErrTooManyMessages
		}
	}
	err = tx.GetContext(ctx, &m, `INSERT INTO messages (customer_id, seller_id, order_id, text, photo_file_id, album_id, chat_message_id)
VALUES ($1, NULLIF($2, 0), NULLIF($3, 0), $4, $5, $6, $7)
ON CONFLICT (COALESCE(seller_id, customer_id), chat_message_id) DO NOTHING
RETURNING id, customer_id, COALESCE(seller_id, 0) AS seller_id, COALESCE(order_id, 0) AS order_id, text, photo_file_id, created_at`,
		n.CustomerID, n.SellerID, n.OrderID, n.Text, n.PhotoFileID, n.AlbumID, n.ChatMessageID)
	if errors.Is(err, sql.ErrNoRows) {
		writer := n.CustomerID
		if n.SellerID != 0 {
			writer = n.SellerID
		}
		err = tx.GetContext(ctx, &m, `SELECT id, customer_id, COALESCE(seller_id, 0) AS seller_id, COALESCE(order_id, 0) AS order_id,
    text, photo_file_id, created_at
FROM messages WHERE COALESCE(seller_id, customer_id) = $1 AND chat_message_id = $2`,
			writer, n.ChatMessageID)
		if err != nil {
			return Message{}, false, fmt.Errorf("orders: add message: %w", err)
		}
		return m, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("orders: add message: %w", err)
	}
	if n.Notices != nil {
		if err := outbox.Enqueue(ctx, tx, n.Notices(m)...); err != nil {
			return Message{}, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Message{}, false, fmt.Errorf("orders: add message: %w", err)
	}
	return m, true, nil
}
