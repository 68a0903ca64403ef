// Package outbox keeps the messages that must reach someone — order notices, status
// changes, reminders — in Postgres, written in the same transaction as the change that
// causes them, until a sender delivers them.
package outbox

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
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
	// PhotoFileID sends a photo by Telegram file id with Text as its caption.
	PhotoFileID string    `db:"photo_file_id"`
	BroadcastID *int64    `db:"broadcast_id"`
	Attempts    int       `db:"attempts"`
	CreatedAt   time.Time `db:"created_at"`
	// Bounce is who is told, and what, if the message can't be delivered: a seller whose
	// answer, or whose news of an order, the customer never got. Enqueue writes it; Claim
	// leaves it in the store.
	Bounce *Bounce `db:"-"`
}

// Bounce is a message to write when another can't be delivered.
type Bounce struct {
	ChatID int64
	Text   string // Telegram HTML, in the reader's language
}

// KindBounce is the kind of a message telling that another was not delivered.
const KindBounce = "undelivered"

// Execer runs statements: a *sqlx.Tx of the change the messages belong to.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Enqueue writes messages in the caller's transaction, in one statement for up to
// enqueueBatch of them.
func Enqueue(ctx context.Context, tx Execer, msgs ...Message) error {
	const columns = 10
	for len(msgs) > 0 {
		batch := msgs[:min(len(msgs), enqueueBatch)]
		msgs = msgs[len(batch):]
		var q strings.Builder
		q.WriteString(`INSERT INTO outbox (chat_id, kind, order_id, text, markup, receipt_id, photo_file_id, broadcast_id, bounce_chat_id, bounce_text) VALUES `)
		args := make([]any, 0, columns*len(batch))
		for i, m := range batch {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('(')
			for c := range columns {
				if c > 0 {
					q.WriteByte(',')
				}
				q.WriteByte('$')
				q.WriteString(strconv.Itoa(i*columns + c + 1))
			}
			q.WriteByte(')')
			var markup any // a string: the driver sends byte slices in binary, which jsonb does not take
			if len(m.Markup) > 0 {
				markup = string(m.Markup)
			}
			var bounceTo any
			bounceText := ""
			if m.Bounce != nil {
				bounceTo, bounceText = m.Bounce.ChatID, m.Bounce.Text
			}
			args = append(args, m.ChatID, m.Kind, m.OrderID, m.Text, markup, m.ReceiptID, m.PhotoFileID, m.BroadcastID, bounceTo, bounceText)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("outbox: enqueue: %w", err)
		}
	}
	return nil
}

// enqueueBatch is how many messages one INSERT writes, well under Postgres's 65,535
// parameters a statement.
const enqueueBatch = 1000

// Store claims and settles messages for the sender.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store on db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Claim takes up to limit pending messages that are due for d, none of the chats in busy
// (the caller's, still being delivered): first the shop's own (new orders to the sellers,
// an order's news to its customer, answers), oldest first and at most perChat of any one
// chat (delivered at about one a second, they must all fit in d); then broadcasts, which
// take minutes at Telegram's rate and so go last, one a chat, oldest due first. Several
// senders may claim at once: each message goes to one of them (the update checks the claim
// again once it holds the row), and one a sender claimed but never settled (it died) is
// due again when d runs out.
func (s *Store) Claim(ctx context.Context, limit, perChat int, d time.Duration, busy ...int64) ([]Message, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	defer tx.Rollback()
	// One claim at a time, of all processes on this shop's tables: what a chat may be sent
	// depends on what of it is out, so each claim must see what the one before it took
	// (else two processes could take two messages of one chat at once).
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('outbox claim'), hashtext(current_schema()))`); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	var msgs []Message
	// The chats with messages other than broadcasts waiting are walked through their index
	// one by one (a loose index scan), and of each only its first perChat pending messages
	// are read: a claim costs the same whether a seller's chat has five messages waiting or
	// five thousand. Broadcasts are read in the order they are due and only until there are
	// enough: a claim costs the same whether a broadcast goes to a hundred customers or to
	// ten thousand.
	err = tx.SelectContext(ctx, &msgs, `WITH RECURSIVE chats AS (
    (SELECT chat_id FROM outbox WHERE status = 'pending' AND broadcast_id IS NULL ORDER BY chat_id LIMIT 1)
    UNION ALL
    SELECT (SELECT o.chat_id FROM outbox o WHERE o.status = 'pending' AND o.broadcast_id IS NULL AND o.chat_id > c.chat_id
        ORDER BY o.chat_id LIMIT 1)
    FROM chats c WHERE c.chat_id IS NOT NULL
), out AS (
    -- the chats with a broadcast out: a few, found through the broadcasts' claims
    SELECT chat_id FROM outbox WHERE status = 'pending' AND broadcast_id IS NOT NULL AND claimed_until >= now()
), shop AS (
    SELECT f.id FROM chats c, LATERAL (
        -- one chat's messages go in order: none while an earlier one waits or is out
        SELECT o.id, bool_and(o.next_attempt_at <= now() AND (o.claimed_until IS NULL OR o.claimed_until < now()))
            OVER (ORDER BY o.id) AS ready
        FROM outbox o WHERE o.chat_id = c.chat_id AND o.status = 'pending' AND o.broadcast_id IS NULL ORDER BY o.id LIMIT $2
    ) f
    WHERE c.chat_id IS NOT NULL AND NOT c.chat_id = ANY(COALESCE($4::bigint[], '{}')) AND f.ready
        -- nor while a broadcast to the chat is out
        AND NOT EXISTS (SELECT FROM out WHERE out.chat_id = c.chat_id)
    ORDER BY f.id LIMIT $1
), broadcasts AS (
    SELECT o.id FROM outbox o
    WHERE o.status = 'pending' AND o.broadcast_id IS NOT NULL AND o.next_attempt_at <= now()
        AND (o.claimed_until IS NULL OR o.claimed_until < now()) AND NOT o.chat_id = ANY(COALESCE($4::bigint[], '{}'))
        -- after the chat's other messages due or out (one waiting for a retry does not hold
        -- it up), and after the broadcasts before it
        AND NOT EXISTS (SELECT FROM outbox p WHERE p.chat_id = o.chat_id AND p.status = 'pending' AND p.id <> o.id
            AND (p.broadcast_id IS NULL AND (p.next_attempt_at <= now() OR p.claimed_until >= now()) OR p.id < o.id))
    ORDER BY o.next_attempt_at, o.id LIMIT $1 - (SELECT count(*) FROM shop)
)
UPDATE outbox SET claimed_until = now() + $3 * interval '1 millisecond', attempts = attempts + 1
WHERE id = ANY(ARRAY(SELECT id FROM shop UNION ALL SELECT id FROM broadcasts))
AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
RETURNING id, chat_id, kind, order_id, text, COALESCE(markup, 'null'::jsonb) AS markup, receipt_id, photo_file_id,
    broadcast_id, attempts, created_at`, limit, perChat, d.Milliseconds(), pq.Array(busy))
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	// RETURNING keeps no order, whatever the subquery's: the sender delivers each chat's
	// messages in the order of this list.
	slices.SortFunc(msgs, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
	return msgs, nil
}

// Merge gathers first, a message this sender claimed, with the messages of its kind
// waiting right behind it for its chat: those in mine (this sender claimed them too) and
// those no sender holds that are due, up to the first that is neither (out with another
// sender, or waiting for a retry), which keeps its place, and most of them at most. build
// writes the one message of as many of them as it takes (n, from the first); when that is
// least at least, it takes first's place in the chat's turn (its row, with the newest's
// time, which the give-up clock counts from), and the others are kept as merged into it,
// never sent by themselves. It returns the message to send in first's place and the ids
// merged into it: first itself and none when there are fewer than least, or when another
// sender took one of them meanwhile. No transaction is open while build runs. After an
// error, whether they were merged is not known (a commit whose answer was lost): first
// must not be sent as it was read, but put back and claimed again as it is stored.
func (s *Store) Merge(ctx context.Context, first Message, mine []int64, least, most int,
	build func([]Message) (one Message, n int, err error)) (Message, []int64, error) {
	mine = append([]int64{first.ID}, mine...)
	// This sender's, while its claim holds, or no sender's and due.
	const eligible = `(id = ANY($3) AND claimed_until >= now() OR (claimed_until IS NULL OR claimed_until < now()) AND next_attempt_at <= now())`
	var msgs []Message
	if err := s.db.SelectContext(ctx, &msgs, `SELECT id, chat_id, kind, order_id, text, COALESCE(markup, 'null'::jsonb) AS markup,
    receipt_id, photo_file_id, broadcast_id, attempts, created_at
FROM outbox WHERE chat_id = $1 AND status = 'pending' AND broadcast_id IS NULL AND id >= $2 AND kind = $4 AND `+eligible+`
    AND id < COALESCE((SELECT min(id) FROM outbox WHERE chat_id = $1 AND status = 'pending' AND broadcast_id IS NULL
        AND id > $2 AND NOT `+eligible+`), 9223372036854775807)
ORDER BY id LIMIT $5`, first.ChatID, first.ID, pq.Array(mine), first.Kind, most); err != nil {
		return first, nil, fmt.Errorf("outbox: merge: %w", err)
	}
	if len(msgs) < max(least, 1) || msgs[0].ID != first.ID {
		return first, nil, nil
	}
	one, n, err := build(msgs)
	if err != nil {
		return first, nil, err
	}
	if n < max(least, 1) || n > len(msgs) {
		return first, nil, nil
	}
	msgs = msgs[:n]
	merged := make([]int64, 0, n-1)
	newest := first.CreatedAt
	for _, m := range msgs[1:] {
		merged = append(merged, m.ID)
		if m.CreatedAt.After(newest) {
			newest = m.CreatedAt
		}
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return first, nil, fmt.Errorf("outbox: merge: %w", err)
	}
	defer tx.Rollback()
	// Still waiting as they were read, or another sender took one: then first goes alone.
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'merged', merged_into = $1, claimed_until = NULL
WHERE id = ANY($2) AND status = 'pending' AND `+eligible, first.ID, pq.Array(merged), pq.Array(mine))
	if err != nil {
		return first, nil, fmt.Errorf("outbox: merge: %w", err)
	}
	if took, err := res.RowsAffected(); err != nil || took != int64(len(merged)) {
		return first, nil, err
	}
	var markup any // a string, as Enqueue writes it
	if len(one.Markup) > 0 && string(one.Markup) != "null" {
		markup = string(one.Markup)
	}
	res, err = tx.ExecContext(ctx, `UPDATE outbox SET kind = $2, text = $3, markup = $4, created_at = $5
WHERE id = $1 AND status = 'pending' AND kind = $6 AND claimed_until >= now()`, first.ID, one.Kind, one.Text, markup, newest, first.Kind)
	if err != nil {
		return first, nil, fmt.Errorf("outbox: merge: %w", err)
	}
	if took, err := res.RowsAffected(); err != nil || took != 1 {
		return first, nil, err
	}
	if err := tx.Commit(); err != nil {
		return first, nil, fmt.Errorf("outbox: merge: %w", err)
	}
	first.Kind, first.Text, first.Markup, first.CreatedAt = one.Kind, one.Text, one.Markup, newest
	return first, merged, nil
}

// Sent records a delivered message.
func (s *Store) Sent(ctx context.Context, id int64, messageID int) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = now(), message_id = $2, claimed_until = NULL, last_error = ''
WHERE id = $1`, id, messageID); err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// Retry puts a message back to be tried again after wait. A broadcast's later broadcasts to
// the same chat, which wait for it, are not due before it either: a claim reads broadcasts
// in the order they are due and would otherwise pass over every one of them.
func (s *Store) Retry(ctx context.Context, id int64, wait time.Duration, reason string) error {
	if _, err := s.db.ExecContext(ctx, `WITH m AS (
    UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond', claimed_until = NULL, last_error = $3
    WHERE id = $1 RETURNING id, chat_id, broadcast_id, next_attempt_at)
UPDATE outbox o SET next_attempt_at = m.next_attempt_at FROM m
WHERE m.broadcast_id IS NOT NULL AND o.chat_id = m.chat_id AND o.status = 'pending' AND o.broadcast_id IS NOT NULL
    AND o.id > m.id AND o.next_attempt_at < m.next_attempt_at`, id, wait.Milliseconds(), reason); err != nil {
		return fmt.Errorf("outbox: retry: %w", err)
	}
	return nil
}

// PutBack puts shop messages a sender claimed back without trying them, due again
// together after wait: their claim's attempt is not counted, which would lengthen their
// backoff after a failure of their own.
func (s *Store) PutBack(ctx context.Context, ids []int64, wait time.Duration, reason string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = now() + $2 * interval '1 millisecond',
    claimed_until = NULL, last_error = $3, attempts = greatest(attempts - 1, 0)
WHERE id = ANY($1) AND status = 'pending' AND broadcast_id IS NULL`, pq.Array(ids), wait.Milliseconds(), reason); err != nil {
		return fmt.Errorf("outbox: put back: %w", err)
	}
	return nil
}

// Failed gives a message up for good (the chat is gone or refuses the bot), with the other
// parts of it still waiting (messages to the same chat with the same bounce), and writes
// its bounce, if it has one, once, in the same statement.
func (s *Store) Failed(ctx context.Context, id int64, reason string) error {
	if _, err := s.db.ExecContext(ctx, `WITH given AS (
    SELECT chat_id, bounce_chat_id, bounce_text FROM outbox WHERE id = $1 AND status = 'pending'
), failed AS (
    UPDATE outbox o SET status = 'failed', claimed_until = NULL, last_error = $2
    FROM given g
    WHERE o.status = 'pending' AND (o.id = $1 OR
        o.chat_id = g.chat_id AND o.bounce_chat_id = g.bounce_chat_id AND o.bounce_text = g.bounce_text)
    RETURNING o.order_id, o.bounce_chat_id, o.bounce_text)
`+insertBounces, id, reason); err != nil {
		return fmt.Errorf("outbox: mark failed: %w", err)
	}
	return nil
}

// insertBounces writes the bounces of the messages given up in the statement's CTE
// failed: one to each chat for each text, though a message may have gone in parts.
const insertBounces = `INSERT INTO outbox (chat_id, kind, order_id, text)
SELECT DISTINCT ON (bounce_chat_id, bounce_text) bounce_chat_id, '` + KindBounce + `', order_id, bounce_text
FROM failed WHERE bounce_chat_id IS NOT NULL`

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

// BlockChat marks a customer who blocked the bot; nothing more is written to them, and the
// bounces of what was waiting for them are written.
func (s *Store) BlockChat(ctx context.Context, chatID int64) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: block chat: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET blocked = true WHERE id = $1`, chatID); err != nil {
		return fmt.Errorf("outbox: block chat: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `WITH failed AS (
    UPDATE outbox SET status = 'failed', claimed_until = NULL, last_error = 'blocked by the user'
    WHERE chat_id = $1 AND status = 'pending'
    RETURNING order_id, bounce_chat_id, bounce_text)
`+insertBounces, chatID); err != nil {
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

// Copy is a delivered message about an order: where it is, to edit it.
type Copy struct {
	ChatID    int64  `db:"chat_id"`
	MessageID int    `db:"message_id"`
	Kind      string `db:"kind"`
	Text      string `db:"text"`      // as first sent
	HasMedia  bool   `db:"has_media"` // a receipt: its text is a caption
}

// Copies lists the delivered messages of these kinds about an order.
func (s *Store) Copies(ctx context.Context, orderID int64, kinds ...string) ([]Copy, error) {
	var cs []Copy
	if err := s.db.SelectContext(ctx, &cs, `SELECT chat_id, message_id, kind, text, receipt_id IS NOT NULL AS has_media FROM outbox
WHERE order_id = $1 AND status = 'sent' AND kind = ANY($2) ORDER BY id`, orderID, pq.Array(kinds)); err != nil {
		return nil, fmt.Errorf("outbox: copies: %w", err)
	}
	return cs, nil
}

// Broadcast queues a message to every customer who has not blocked the bot (sellers
// excluded), in one transaction, and returns its id and how many it goes to. The same key
// always gives the same one broadcast, queued once.
func (s *Store) Broadcast(ctx context.Context, adminID int64, admins []int64, key, text, photoFileID string) (id int64, total int, err error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
	}
	defer tx.Rollback()
	if err := tx.GetContext(ctx, &total, `SELECT count(*) FROM customers WHERE NOT blocked AND NOT id = ANY($1)`, pq.Array(admins)); err != nil {
		return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
	}
	err = tx.GetContext(ctx, &id, `INSERT INTO broadcasts (admin_id, total, key) VALUES ($1, $2, $3)
ON CONFLICT (key) DO NOTHING RETURNING id`, adminID, total, key)
	if errors.Is(err, sql.ErrNoRows) {
		// Queued before: the first one stands.
		var b struct {
			ID    int64 `db:"id"`
			Total int   `db:"total"`
		}
		if err := tx.GetContext(ctx, &b, `SELECT id, total FROM broadcasts WHERE key = $1`, key); err != nil {
			return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
		}
		return b.ID, b.Total, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (chat_id, kind, text, photo_file_id, broadcast_id)
SELECT id, 'broadcast', $1, $2, $3 FROM customers WHERE NOT blocked AND NOT id = ANY($4) ORDER BY id`,
		text, photoFileID, id, pq.Array(admins)); err != nil {
		return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("outbox: broadcast: %w", err)
	}
	return id, total, nil
}

// SetBroadcastProgress records the admin's progress message of a broadcast.
func (s *Store) SetBroadcastProgress(ctx context.Context, id int64, messageID int) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE broadcasts SET progress_id = $2, reported_at = now() WHERE id = $1`, id, messageID); err != nil {
		return fmt.Errorf("outbox: broadcast progress: %w", err)
	}
	return nil
}

// BroadcastState is how far a broadcast got.
type BroadcastState struct {
	ID         int64 `db:"id"`
	AdminID    int64 `db:"admin_id"`
	ProgressID int   `db:"progress_id"`
	Total      int   `db:"total"`
	Sent       int   `db:"sent"`
	Blocked    int   `db:"blocked"`
	Failed     int   `db:"failed"`
	Pending    int   `db:"pending"`
}

// DueBroadcastReports claims the unfinished broadcasts whose progress was last reported
// more than every ago (or that are done), so one process edits each progress message.
func (s *Store) DueBroadcastReports(ctx context.Context, every time.Duration) ([]BroadcastState, error) {
	var states []BroadcastState
	err := s.db.SelectContext(ctx, &states, `WITH counts AS (
    SELECT b.id,
        count(*) FILTER (WHERE o.status = 'sent') AS sent,
        count(*) FILTER (WHERE o.status = 'failed' AND o.last_error = 'blocked by the user') AS blocked,
        count(*) FILTER (WHERE o.status = 'failed' AND o.last_error <> 'blocked by the user') AS failed,
        count(*) FILTER (WHERE o.status = 'pending') AS pending
    FROM broadcasts b LEFT JOIN outbox o ON o.broadcast_id = b.id
    WHERE b.finished_at IS NULL AND b.progress_id <> 0
    GROUP BY b.id)
UPDATE broadcasts b SET reported_at = now(), finished_at = CASE WHEN c.pending = 0 THEN now() END
FROM counts c
WHERE b.id = c.id AND b.finished_at IS NULL AND (c.pending = 0 OR b.reported_at IS NULL OR b.reported_at < now() - $1 * interval '1 millisecond')
RETURNING b.id, b.admin_id, b.progress_id, b.total, c.sent, c.blocked, c.failed, c.pending`, every.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("outbox: broadcast reports: %w", err)
	}
	return states, nil
}

// Raise records the problem name and writes msgs about it, in one transaction, unless it
// is raised already: the people told hear of it once while it lasts, whichever process
// sees it. It reports whether it was raised now.
func (s *Store) Raise(ctx context.Context, name string, msgs func() []Message) (bool, error) {
	return s.alert(ctx, `INSERT INTO alerts (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name, msgs)
}

// Clear ends the problem name, writing msgs (that it is over) if it was raised. It reports
// whether it was.
func (s *Store) Clear(ctx context.Context, name string, msgs func() []Message) (bool, error) {
	return s.alert(ctx, `DELETE FROM alerts WHERE name = $1`, name, msgs)
}

func (s *Store) alert(ctx context.Context, q, name string, msgs func() []Message) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("outbox: alert %s: %w", name, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, name)
	if err != nil {
		return false, fmt.Errorf("outbox: alert %s: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := Enqueue(ctx, tx, msgs()...); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("outbox: alert %s: %w", name, err)
	}
	return true, nil
}
