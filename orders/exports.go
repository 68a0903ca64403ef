package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/shopbot/shopbot/outbox"
)

// Export is an export to deliver: the /export files or the /backup archive, asked for by
// a seller or due as the daily backup, until every chat in ChatIDs got it.
type Export struct {
	ID       int64         `db:"id"`
	ChatIDs  pq.Int64Array `db:"chat_ids"`
	From     *time.Time    `db:"range_from"`
	To       *time.Time    `db:"range_to"`
	Archive  bool          `db:"archive"`
	Daily    bool          `db:"daily"`
	Attempts int           `db:"attempts"` // this one included
}

// Range is the orders the export covers.
func (e Export) Range() Range {
	var r Range
	if e.From != nil {
		r.From = *e.From
	}
	if e.To != nil {
		r.To = *e.To
	}
	return r
}

const exportColumns = `id, chat_ids, range_from, range_to, archive, daily, attempts`

// ErrExportLost means the export is no longer this claim's: another process claimed it
// since its lease ran out, or it is done.
var ErrExportLost = errors.New("orders: the export's claim was lost")

// QueueExport records an export to send to chats, once for a key (the update that asked
// for it, which Telegram may deliver twice).
func (s *Store) QueueExport(ctx context.Context, key string, chats []int64, r Range, archive bool) error {
	return queueExport(ctx, s.db, &key, chats, r, archive, false)
}

func queueExport(ctx context.Context, db outbox.Execer, key *string, chats []int64, r Range, archive, daily bool) error {
	from, to := r.args()
	if _, err := db.ExecContext(ctx, `INSERT INTO exports (request_key, chat_ids, range_from, range_to, archive, daily)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_key) DO NOTHING`,
		key, pq.Int64Array(chats), from, to, archive, daily); err != nil {
		return fmt.Errorf("orders: queue export: %w", err)
	}
	return nil
}

// QueueDailyBackup queues the day's backup of everything to chats, once a day: of
// several processes asking the same day exactly one gets true. The day's claim and the
// export are written together, so a process that stops right after loses neither.
func (s *Store) QueueDailyBackup(ctx context.Context, day time.Time, chats []int64) (bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("orders: daily backup: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO daily_jobs (name, last_day) VALUES ('backup', $1::date)
ON CONFLICT (name) DO UPDATE SET last_day = EXCLUDED.last_day WHERE daily_jobs.last_day < EXCLUDED.last_day`,
		day.Format("2006-01-02"))
	if err != nil {
		return false, fmt.Errorf("orders: daily backup: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if err := queueExport(ctx, tx, nil, chats, Range{}, false, true); err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("orders: daily backup: %w", err)
	}
	return true, nil
}

// ClaimExport takes the oldest export due, for lease, as owner; ok is false when none is
// due. One whose claim ran out (its process stopped or died) is due again.
func (s *Store) ClaimExport(ctx context.Context, owner string, lease time.Duration) (e Export, ok bool, err error) {
	err = s.db.GetContext(ctx, &e, `UPDATE exports SET claimed_by = $1, claimed_until = now() + $2 * interval '1 millisecond',
    attempts = attempts + 1
WHERE id = (SELECT id FROM exports WHERE done_at IS NULL AND next_attempt_at <= now()
    AND (claimed_until IS NULL OR claimed_until < now()) ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING `+exportColumns, owner, lease.Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return Export{}, false, nil
	}
	if err != nil {
		return Export{}, false, fmt.Errorf("orders: claim export: %w", err)
	}
	return e, true, nil
}

// RenewExport keeps an export claimed for lease more; ErrExportLost when owner no longer
// holds it.
func (s *Store) RenewExport(ctx context.Context, id int64, owner string, lease time.Duration) error {
	res, err := s.db.ExecContext(ctx, `UPDATE exports SET claimed_until = now() + $3 * interval '1 millisecond'
WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL`, id, owner, lease.Milliseconds())
	if err != nil {
		return fmt.Errorf("orders: renew export: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExportLost
	}
	return nil
}

// FinishExport records an export delivered, or given up, and writes notices (that it
// will not come) to the outbox in the same transaction.
func (s *Store) FinishExport(ctx context.Context, id int64, owner, lastError string, notices ...outbox.Message) error {
	return s.settleExport(ctx, notices, `UPDATE exports SET done_at = now(), claimed_until = NULL, last_error = $3
WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL`, id, owner, lastError)
}

// RetryExport gives an export back, to be sent to chats (those that did not get it) after
// wait, and writes notices (to the chats it will not come to) in the same transaction.
func (s *Store) RetryExport(ctx context.Context, id int64, owner string, chats []int64, wait time.Duration, lastError string, notices ...outbox.Message) error {
	return s.settleExport(ctx, notices, `UPDATE exports SET chat_ids = $3, next_attempt_at = now() + $4 * interval '1 millisecond',
    claimed_until = NULL, last_error = $5
WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL`, id, owner, pq.Int64Array(chats), wait.Milliseconds(), lastError)
}

// ReleaseExport gives an export back at once, for chats (those it was cut short for),
// this attempt not counted: its process is stopping, and the next one sends it.
func (s *Store) ReleaseExport(ctx context.Context, id int64, owner string, chats []int64) error {
	return s.settleExport(ctx, nil, `UPDATE exports SET chat_ids = $3, claimed_until = NULL, attempts = attempts - 1
WHERE id = $1 AND claimed_by = $2 AND done_at IS NULL`, id, owner, pq.Int64Array(chats))
}

// settleExport runs q, an update of an export as its claim, and writes notices with it;
// ErrExportLost, and nothing written, when the claim is no longer the caller's.
func (s *Store) settleExport(ctx context.Context, notices []outbox.Message, q string, args ...any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("orders: export: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("orders: export: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExportLost
	}
	if err := outbox.Enqueue(ctx, tx, notices...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("orders: export: %w", err)
	}
	return nil
}
