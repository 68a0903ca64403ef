package orders_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/orders"
)

func newStore(t *testing.T) *orders.Store {
	t.Helper()
	_, db := testenv.Postgres(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	return orders.NewStore(db)
}

func TestSeeCustomerCreatesThenRefreshes(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()

	first, prev, err := s.SeeCustomer(ctx, orders.Profile{ID: 42, FirstName: "Lan", Username: "lan", TelegramLanguage: "vi"})
	if err != nil {
		t.Fatal(err)
	}
	if prev != nil {
		t.Errorf("a new customer was seen before: %v", prev)
	}
	if first.ID != 42 || first.FirstName != "Lan" || first.TelegramLanguage != "vi" || first.Language != "" {
		t.Fatalf("created %+v", first)
	}
	if err := s.SetLanguage(ctx, 42, "ar"); err != nil {
		t.Fatal(err)
	}
	again, prev, err := s.SeeCustomer(ctx, orders.Profile{ID: 42, FirstName: "Lan Anh", Username: "lananh", TelegramLanguage: "en"})
	if err != nil {
		t.Fatal(err)
	}
	if prev == nil || !prev.Equal(first.LastSeen) {
		t.Errorf("seen before at %v, want %v", prev, first.LastSeen)
	}
	if again.FirstName != "Lan Anh" || again.Username != "lananh" || again.Language != "ar" {
		t.Errorf("refreshed %+v", again)
	}
	if !again.FirstSeen.Equal(first.FirstSeen) || again.LastSeen.Before(first.LastSeen) {
		t.Errorf("first/last seen: %v/%v then %v/%v", first.FirstSeen, first.LastSeen, again.FirstSeen, again.LastSeen)
	}
	if err := s.SetLanguage(ctx, 7, "vi"); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("SetLanguage of unknown customer: %v", err)
	}
	if _, err := s.Customer(ctx, 7); !errors.Is(err, orders.ErrNotFound) {
		t.Errorf("Customer of unknown id: %v", err)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()

	if _, err := s.Setting(ctx, orders.SettingPickup); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("unset setting: %v", err)
	}
	text := "Vietcombank 0123456789 — Nguyễn Thị Lan\nمحفظة ٠١٠٠٠٠٠٠٠٠٠"
	if err := s.SetSetting(ctx, orders.SettingPaymentInstructions, text, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, orders.SettingPaymentInstructions, text+"!", 2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Setting(ctx, orders.SettingPaymentInstructions)
	if err != nil || got != text+"!" {
		t.Fatalf("Setting = %q, %v", got, err)
	}
	// A language's own instructions come first; the general ones stand in for them.
	vi := orders.PaymentKey("vi")
	if got, err := s.Setting(ctx, vi, orders.SettingPaymentInstructions); err != nil || got != text+"!" {
		t.Fatalf("Setting with a fallback = %q, %v; want the fallback", got, err)
	}
	if err := s.SetSetting(ctx, vi, "Chuyển khoản", 1); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Setting(ctx, vi, orders.SettingPaymentInstructions); err != nil || got != "Chuyển khoản" {
		t.Fatalf("Setting with a fallback = %q, %v; want the language's own", got, err)
	}
	if got, err := s.Setting(ctx, orders.SettingPaymentInstructions, vi); err != nil || got != text+"!" {
		t.Fatalf("Setting with a fallback = %q, %v; want the first key's", got, err)
	}
	if _, err := s.Setting(ctx, orders.SettingPickup, orders.PaymentKey("en")); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("unset setting and fallback: %v", err)
	}
	long := strings.Repeat("ư", orders.MaxSettingLength+1)
	if err := s.SetSetting(ctx, orders.SettingPickup, long, 1); !errors.Is(err, orders.ErrTooLong) {
		t.Errorf("over-long setting: %v", err)
	}
	if err := s.SetSetting(ctx, orders.SettingPickup, long[:len(long)-len("ư")], 1); err != nil {
		t.Errorf("setting of exactly the limit: %v", err)
	}
}
