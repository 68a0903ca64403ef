package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"

	"github.com/shopbot/shopbot/outbox"
)

// WeekStatus is where a weekly catalog is in its life.
type WeekStatus string

// Week statuses, in order.
const (
	Draft      WeekStatus = "draft"      // being filled, no times set
	Scheduled  WeekStatus = "scheduled"  // being filled, publishes at PublishAt
	Publishing WeekStatus = "publishing" // being posted to the channel
	Published  WeekStatus = "published"  // open for bookings until ClosesAt
	Closed     WeekStatus = "closed"     // bookings closed
)

// Week is one weekly catalog.
type Week struct {
	ID          int64      `db:"id"`
	Title       string     `db:"title"`
	Status      WeekStatus `db:"status"`
	PublishAt   *time.Time `db:"publish_at"`
	ClosesAt    *time.Time `db:"closes_at"`
	PublishedAt *time.Time `db:"published_at"`
	ClosedAt    *time.Time `db:"closed_at"`
	NeedsSync   bool       `db:"needs_sync"`
	// SyncGeneration counts changes to what the week's posts show.
	SyncGeneration int64 `db:"sync_generation"`
}

// Upcoming reports whether the week is still being prepared.
func (w Week) Upcoming() bool { return w.Status == Draft || w.Status == Scheduled }

// Open reports whether customers can book from the week at now.
func (w Week) Open(now time.Time) bool {
	return (w.Status == Published || w.Status == Publishing) && (w.ClosesAt == nil || now.Before(*w.ClosesAt))
}

const weekColumns = `id, title, status, publish_at, closes_at, published_at, closed_at, needs_sync, sync_generation`

// dirty marks in SQL that a week's posts may no longer say what they should.
const dirty = `needs_sync = true, sync_generation = sync_generation + 1`

func (s *Store) getWeek(ctx context.Context, q string, args ...any) (Week, error) {
	var w Week
	err := s.db.GetContext(ctx, &w, q, args...)
	if errors.Is(err, sql.ErrNoRows) {
		return Week{}, ErrNotFound
	}
	if err != nil {
		return Week{}, fmt.Errorf("catalog: week: %w", err)
	}
	return w, nil
}

// Week returns the week with id.
func (s *Store) Week(ctx context.Context, id int64) (Week, error) {
	return s.getWeek(ctx, `SELECT `+weekColumns+` FROM weeks WHERE id = $1`, id)
}

// UpcomingWeek returns the week being prepared, the one new items go to.
func (s *Store) UpcomingWeek(ctx context.Context) (Week, error) {
	return s.getWeek(ctx, `SELECT `+weekColumns+` FROM weeks WHERE status IN ('draft', 'scheduled')`)
}

// LiveWeek returns the most recently published week that is not closed.
func (s *Store) LiveWeek(ctx context.Context) (Week, error) {
	return s.getWeek(ctx, `SELECT `+weekColumns+` FROM weeks WHERE status IN ('publishing', 'published')
ORDER BY published_at DESC NULLS FIRST, id DESC LIMIT 1`)
}

// LatestPublishedWeek returns the most recently published week, open or closed.
func (s *Store) LatestPublishedWeek(ctx context.Context) (Week, error) {
	return s.getWeek(ctx, `SELECT `+weekColumns+` FROM weeks WHERE status IN ('publishing', 'published', 'closed')
ORDER BY published_at DESC NULLS LAST, id DESC LIMIT 1`)
}

// CreateWeek starts the week being prepared: a draft, or scheduled when both times are
// given. ErrWeekExists if one is being prepared already.
func (s *Store) CreateWeek(ctx context.Context, title string, publishAt, closesAt *time.Time) (Week, error) {
	status := Draft
	if publishAt != nil && closesAt != nil {
		status = Scheduled
	}
	w, err := s.getWeek(ctx, `INSERT INTO weeks (title, status, publish_at, closes_at) VALUES ($1, $2, $3, $4)
RETURNING `+weekColumns, title, status, publishAt, closesAt)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" {
		return Week{}, ErrWeekExists
	}
	return w, err
}

// ScheduleWeek sets the publication and cut-off of a week still being prepared.
func (s *Store) ScheduleWeek(ctx context.Context, id int64, publishAt, closesAt time.Time) (Week, error) {
	if !closesAt.After(publishAt) {
		return Week{}, fmt.Errorf("catalog: schedule: %w", ErrWrongStatus)
	}
	w, err := s.getWeek(ctx, `UPDATE weeks SET status = 'scheduled', publish_at = $2, closes_at = $3
WHERE id = $1 AND status IN ('draft', 'scheduled') RETURNING `+weekColumns, id, publishAt, closesAt)
	if errors.Is(err, ErrNotFound) {
		return Week{}, ErrWrongStatus
	}
	return w, err
}

// Unschedule puts a scheduled week back to being prepared, without times. Of several
// processes asking at once exactly one gets true.
func (s *Store) Unschedule(ctx context.Context, id int64) (bool, error) {
	ws, err := s.changeWeeks(ctx, `UPDATE weeks SET status = 'draft', publish_at = NULL, closes_at = NULL
WHERE status = 'scheduled' AND id = $1 RETURNING `+weekColumns, nil, id)
	return len(ws) == 1, err
}

// SkipEmpty unschedules a week due by now that has no item to show (none, or all hidden),
// as Unschedule does, and writes the notices of it to the outbox in the same
// transaction; false when it was not (it has items, or is no longer scheduled).
func (s *Store) SkipEmpty(ctx context.Context, id int64, now time.Time, notices func(Week) []outbox.Message) (bool, error) {
	ws, err := s.changeWeeks(ctx, `UPDATE weeks SET status = 'draft', publish_at = NULL, closes_at = NULL
WHERE status = 'scheduled' AND id = $1 AND publish_at <= $2 AND `+noVisibleItems+` RETURNING `+weekColumns, notices, id, now)
	return len(ws) == 1, err
}

const noVisibleItems = `NOT EXISTS (SELECT 1 FROM items WHERE items.week_id = weeks.id AND NOT hidden)`

// changeWeeks runs an update of weeks returning them and, in its transaction, writes the
// notices of each week changed to the outbox.
func (s *Store) changeWeeks(ctx context.Context, q string, notices func(Week) []outbox.Message, args ...any) ([]Week, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("catalog: weeks: %w", err)
	}
	defer tx.Rollback()
	var ws []Week
	if err := tx.SelectContext(ctx, &ws, q, args...); err != nil {
		return nil, fmt.Errorf("catalog: weeks: %w", err)
	}
	if notices != nil {
		for _, w := range ws {
			if err := outbox.Enqueue(ctx, tx, notices(w)...); err != nil {
				return nil, err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("catalog: weeks: %w", err)
	}
	return ws, nil
}

// StartPublishing claims a week being prepared for publication; of several processes
// asking at once exactly one gets it, the others ErrWrongStatus. A week without a
// cut-off gets closesAt; one published before its planned time is published from now.
// Any other week still open is closed: one week is live at a time.
func (s *Store) StartPublishing(ctx context.Context, id int64, now, closesAt time.Time) (Week, error) {
	return s.startPublishing(ctx, id, now, closesAt, `status IN ('draft', 'scheduled')`)
}

// PublishDue is StartPublishing for the scheduler: only a week still scheduled, due by
// now, with an item to show. ErrWrongStatus otherwise: a seller unscheduled it, or it
// was emptied, since it was listed due.
func (s *Store) PublishDue(ctx context.Context, id int64, now time.Time) (Week, error) {
	return s.startPublishing(ctx, id, now, now, `status = 'scheduled' AND publish_at <= $2 AND NOT `+noVisibleItems)
}

func (s *Store) startPublishing(ctx context.Context, id int64, now, closesAt time.Time, where string) (Week, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Week{}, fmt.Errorf("catalog: start publishing: %w", err)
	}
	defer tx.Rollback()
	var w Week
	err = tx.GetContext(ctx, &w, `UPDATE weeks SET status = 'publishing', published_at = $2,
    publish_at = LEAST(publish_at, $2), closes_at = COALESCE(closes_at, $3), `+dirty+`
WHERE id = $1 AND `+where+` RETURNING `+weekColumns, id, now, closesAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Week{}, ErrWrongStatus
	}
	if err != nil {
		return Week{}, fmt.Errorf("catalog: start publishing: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE weeks SET status = 'closed', closed_at = $2, closes_at = LEAST(closes_at, $2), `+dirty+`
WHERE status IN ('publishing', 'published') AND id <> $1`, id, now); err != nil {
		return Week{}, fmt.Errorf("catalog: close previous week: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Week{}, fmt.Errorf("catalog: start publishing: %w", err)
	}
	return w, nil
}

// FinishPublishing marks a week whose every post is out as published.
func (s *Store) FinishPublishing(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE weeks SET status = 'published' WHERE id = $1 AND status = 'publishing'`, id); err != nil {
		return fmt.Errorf("catalog: finish publishing: %w", err)
	}
	return nil
}

// CloseWeek closes bookings of a live week now.
func (s *Store) CloseWeek(ctx context.Context, id int64, now time.Time) (Week, error) {
	w, err := s.getWeek(ctx, `UPDATE weeks SET status = 'closed', closed_at = $2, closes_at = LEAST(closes_at, $2), `+dirty+`
WHERE id = $1 AND status IN ('publishing', 'published') RETURNING `+weekColumns, id, now)
	if errors.Is(err, ErrNotFound) {
		return Week{}, ErrWrongStatus
	}
	return w, err
}

// DuePublications lists scheduled weeks whose publication time has come.
func (s *Store) DuePublications(ctx context.Context, now time.Time) ([]Week, error) {
	var ws []Week
	if err := s.db.SelectContext(ctx, &ws, `SELECT `+weekColumns+` FROM weeks
WHERE status = 'scheduled' AND publish_at <= $1 ORDER BY publish_at`, now); err != nil {
		return nil, fmt.Errorf("catalog: due publications: %w", err)
	}
	return ws, nil
}

// CloseDue closes the live weeks whose cut-off has passed and returns them, and writes
// the notices of each to the outbox in the same transaction; each is returned to exactly
// one caller.
func (s *Store) CloseDue(ctx context.Context, now time.Time, notices func(Week) []outbox.Message) ([]Week, error) {
	return s.changeWeeks(ctx, `UPDATE weeks SET status = 'closed', closed_at = $1, `+dirty+`
WHERE status IN ('publishing', 'published') AND closes_at <= $1 RETURNING `+weekColumns, notices, now)
}

// ListPurchases hands each closed week whose purchase list has not gone out to list, and
// writes the messages list returns to the outbox in the transaction that marks the week
// listed. So every week's list goes out once, however it closed (at its cut-off, by hand,
// or by the next week's publication) and whichever process takes it; a process that stops
// before its commit leaves the week to the next. It returns the weeks it listed.
func (s *Store) ListPurchases(ctx context.Context, list func(context.Context, Week) ([]outbox.Message, error)) ([]Week, error) {
	var listed []Week
	for {
		w, ok, err := s.listPurchases(ctx, list)
		if err != nil || !ok {
			return listed, err
		}
		listed = append(listed, w)
	}
}

func (s *Store) listPurchases(ctx context.Context, list func(context.Context, Week) ([]outbox.Message, error)) (Week, bool, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Week{}, false, fmt.Errorf("catalog: list purchases: %w", err)
	}
	defer tx.Rollback()
	var w Week
	err = tx.GetContext(ctx, &w, `SELECT `+weekColumns+` FROM weeks
WHERE status = 'closed' AND purchases_listed_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`)
	if errors.Is(err, sql.ErrNoRows) {
		return Week{}, false, nil
	}
	if err != nil {
		return Week{}, false, fmt.Errorf("catalog: list purchases: %w", err)
	}
	msgs, err := list(ctx, w)
	if err != nil {
		return Week{}, false, err
	}
	if err := outbox.Enqueue(ctx, tx, msgs...); err != nil {
		return Week{}, false, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE weeks SET purchases_listed_at = now() WHERE id = $1`, w.ID); err != nil {
		return Week{}, false, fmt.Errorf("catalog: list purchases: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Week{}, false, fmt.Errorf("catalog: list purchases: %w", err)
	}
	return w, true, nil
}

// WeeksToSync lists the published weeks whose channel posts are to be written or checked.
// A week being prepared has no posts yet, whatever changes in it. The stock changes
// orders recorded (stock_changes) are taken and mark their weeks first, so what the
// caller renders next includes them, and a change committed later is found next time.
func (s *Store) WeeksToSync(ctx context.Context) ([]Week, error) {
	var ws []Week
	if err := s.db.SelectContext(ctx, &ws, `WITH taken AS (DELETE FROM stock_changes RETURNING week_id),
marked AS (UPDATE weeks SET `+dirty+` WHERE id IN (SELECT week_id FROM taken) RETURNING `+weekColumns+`)
SELECT `+weekColumns+` FROM marked WHERE status IN ('publishing', 'published', 'closed')
UNION ALL
SELECT `+weekColumns+` FROM weeks WHERE id NOT IN (SELECT id FROM marked)
    AND (status = 'publishing' OR (needs_sync AND status IN ('published', 'closed')))
ORDER BY id`); err != nil {
		return nil, fmt.Errorf("catalog: weeks to sync: %w", err)
	}
	return ws, nil
}

// MarkSynced records that a week's posts say what they should as of generation; a change
// made since (a higher generation) keeps the week marked.
func (s *Store) MarkSynced(ctx context.Context, id int64, generation int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE weeks SET needs_sync = false WHERE id = $1 AND sync_generation = $2`, id, generation); err != nil {
		return fmt.Errorf("catalog: mark synced: %w", err)
	}
	return nil
}

// Lease claims the right to post and edit a week's channel posts for d. A process that
// holds the lease may renew it; nobody else gets it until it expires or is released.
func (s *Store) Lease(ctx context.Context, weekID int64, owner string, d time.Duration) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE weeks SET lease_owner = $2, lease_until = now() + $3 * interval '1 millisecond'
WHERE id = $1 AND (lease_until IS NULL OR lease_until < now() OR lease_owner = $2)`, weekID, owner, d.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("catalog: lease week: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseLease gives the lease up, so another process may continue at once.
func (s *Store) ReleaseLease(ctx context.Context, weekID int64, owner string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE weeks SET lease_until = NULL WHERE id = $1 AND lease_owner = $2`, weekID, owner); err != nil {
		return fmt.Errorf("catalog: release lease: %w", err)
	}
	return nil
}

// RenameWeek changes a week's title.
func (s *Store) RenameWeek(ctx context.Context, id int64, title string) error {
	res, err := s.db.ExecContext(ctx, `UPDATE weeks SET title = $2, `+dirty+` WHERE id = $1`, id, title)
	if err != nil {
		return fmt.Errorf("catalog: rename week: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RetitleWeek renames a week titled from to to, and reports whether it was still titled
// so (a seller renaming it meanwhile keeps their title).
func (s *Store) RetitleWeek(ctx context.Context, id int64, from, to string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE weeks SET title = $3, `+dirty+` WHERE id = $1 AND title = $2`, id, from, to)
	if err != nil {
		return false, fmt.Errorf("catalog: retitle week: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
