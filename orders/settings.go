package orders

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// Shop settings the sellers set by command.
const (
	SettingPaymentInstructions = "payment_instructions"
	SettingPickup              = "pickup"
)

// PaymentKey is the setting of the payment instructions for customers speaking lang.
func PaymentKey(lang string) string { return SettingPaymentInstructions + "." + lang }

// MaxSettingLength keeps a setting short enough to fit, with the rest of a message, in
// Telegram's 4096 characters.
const MaxSettingLength = 2000

// ErrTooLong is returned for a setting over MaxSettingLength characters.
var ErrTooLong = errors.New("orders: text too long")

// Setting returns a shop setting, or else the first of the fallbacks that is set, or
// ErrNotFound when none was ever set. It asks once, whatever their number.
func (s *Store) Setting(ctx context.Context, key string, fallbacks ...string) (string, error) {
	keys := append(pq.StringArray{key}, fallbacks...)
	var v string
	err := s.stmts.Get(ctx, nil, &v, `SELECT value FROM shop_settings WHERE key = ANY($1)
ORDER BY array_position($1, key) LIMIT 1`, keys)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("orders: setting %s: %w", key, err)
	}
	return v, nil
}

// Settings returns every shop setting, by key.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	var rows []struct {
		Key   string `db:"key"`
		Value string `db:"value"`
	}
	if err := s.stmts.Select(ctx, nil, &rows, `SELECT key, value FROM shop_settings`); err != nil {
		return nil, fmt.Errorf("orders: settings: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// DeleteSetting removes a shop setting; removing one never set is no error.
func (s *Store) DeleteSetting(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM shop_settings WHERE key = $1`, key); err != nil {
		return fmt.Errorf("orders: delete setting %s: %w", key, err)
	}
	return nil
}

// SetSetting stores a shop setting, recording which seller set it.
func (s *Store) SetSetting(ctx context.Context, key, value string, by int64) error {
	if len([]rune(value)) > MaxSettingLength {
		return ErrTooLong
	}
	const q = `
INSERT INTO shop_settings (key, value, updated_by) VALUES ($1, $2, $3)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`
	if _, err := s.db.ExecContext(ctx, q, key, value, by); err != nil {
		return fmt.Errorf("orders: set setting %s: %w", key, err)
	}
	return nil
}
