package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rule is the weekly schedule: publish and close at these local times every week.
type Rule struct {
	PublishDay    time.Weekday `db:"publish_dow"`
	PublishMinute int          `db:"publish_minute"` // minutes after local midnight
	CloseDay      time.Weekday `db:"close_dow"`
	CloseMinute   int          `db:"close_minute"`
}

// Next returns the first publication after now by the rule, and the cut-off after it,
// in loc.
func (r Rule) Next(now time.Time, loc *time.Location) (publish, closes time.Time) {
	publish = nextAt(now, loc, r.PublishDay, r.PublishMinute)
	closes = nextAt(publish, loc, r.CloseDay, r.CloseMinute)
	return publish, closes
}

// NextClose returns the first cut-off by the rule after t, in loc.
func (r Rule) NextClose(t time.Time, loc *time.Location) time.Time {
	return nextAt(t, loc, r.CloseDay, r.CloseMinute)
}

// nextAt is the first local time after t falling on day at minute. Days are stepped on
// the calendar, not by adding hours, so a clock change (even a skipped midnight or a
// skipped day) never lands it on the wrong weekday.
func nextAt(t time.Time, loc *time.Location, day time.Weekday, minute int) time.Time {
	y, m, d := t.In(loc).Date()
	for i := 0; i <= 14; i++ {
		date := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if date.Weekday() != day {
			continue
		}
		if at := time.Date(date.Year(), date.Month(), date.Day(), minute/60, minute%60, 0, 0, loc); at.After(t) {
			return at
		}
	}
	// Unreachable: two weeks hold the weekday twice.
	return t.AddDate(0, 0, 7)
}

// Rule returns the weekly rule, ErrNotFound when none is set.
func (s *Store) Rule(ctx context.Context) (Rule, error) {
	var r Rule
	err := s.db.GetContext(ctx, &r, `SELECT publish_dow, publish_minute, close_dow, close_minute FROM schedule_rule WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, ErrNotFound
	}
	if err != nil {
		return Rule{}, fmt.Errorf("catalog: rule: %w", err)
	}
	return r, nil
}

// SetRule stores the weekly rule.
func (s *Store) SetRule(ctx context.Context, r Rule, by int64) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO schedule_rule (id, publish_dow, publish_minute, close_dow, close_minute, updated_by)
VALUES (1, $1, $2, $3, $4, $5)
ON CONFLICT (id) DO UPDATE SET publish_dow = EXCLUDED.publish_dow, publish_minute = EXCLUDED.publish_minute,
    close_dow = EXCLUDED.close_dow, close_minute = EXCLUDED.close_minute, updated_by = EXCLUDED.updated_by, updated_at = now()`,
		int(r.PublishDay), r.PublishMinute, int(r.CloseDay), r.CloseMinute, by); err != nil {
		return fmt.Errorf("catalog: set rule: %w", err)
	}
	return nil
}

// ClearRule removes the weekly rule.
func (s *Store) ClearRule(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM schedule_rule`); err != nil {
		return fmt.Errorf("catalog: clear rule: %w", err)
	}
	return nil
}
