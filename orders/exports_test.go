package orders_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/orders"
)

// An export goes to one process at a time, to another when its claim runs out, and
// again after a failure, to the chats that did not get it; a finished one is done.
func TestExportClaims(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	// Long enough that a busy machine does not run a claim out between two statements.
	const short = 2 * time.Second
	// Asked for by one update, delivered twice.
	for range 2 {
		if err := s.QueueExport(ctx, "7:42", []int64{7, 8}, orders.Range{From: from}, true); err != nil {
			t.Fatal(err)
		}
	}
	// One of eight processes asking at once gets it.
	var wins []orders.Export
	for _, e := range testenv.Race(8, func(int) *orders.Export {
		e, ok, err := s.ClaimExport(ctx, "a", short)
		if err != nil {
			t.Error(err)
		}
		if !ok {
			return nil
		}
		return &e
	}) {
		if e != nil {
			wins = append(wins, *e)
		}
	}
	if len(wins) != 1 {
		t.Fatalf("%d processes claimed the export", len(wins))
	}
	got := wins[0]
	if !slices.Equal(got.ChatIDs, []int64{7, 8}) || !got.Range().From.Equal(from) || !got.Range().To.IsZero() ||
		!got.Archive || got.Daily || got.Attempts != 1 {
		t.Fatalf("claimed %+v", got)
	}
	if err := s.RenewExport(ctx, got.ID, "b", time.Second); !errors.Is(err, orders.ErrExportLost) {
		t.Errorf("renewed by a process that does not hold it: %v", err)
	}
	if err := s.RenewExport(ctx, got.ID, "a", short); err != nil {
		t.Fatal(err)
	}
	// Its process dies: once the claim runs out, another takes it.
	if _, ok, _ := s.ClaimExport(ctx, "b", time.Minute); ok {
		t.Fatal("claimed while its claim holds")
	}
	time.Sleep(short + 200*time.Millisecond)
	again, ok, err := s.ClaimExport(ctx, "b", time.Minute)
	if err != nil || !ok || again.ID != got.ID || again.Attempts != 2 {
		t.Fatalf("after the claim ran out: %+v, %v, %v", again, ok, err)
	}
	if err := s.FinishExport(ctx, got.ID, "a", ""); !errors.Is(err, orders.ErrExportLost) {
		t.Errorf("finished by the process that lost it: %v", err)
	}
	// A failure for one chat: that chat only, after the wait.
	if err := s.RetryExport(ctx, got.ID, "b", []int64{8}, short, "502"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ClaimExport(ctx, "b", time.Minute); ok {
		t.Fatal("claimed before its retry is due")
	}
	time.Sleep(short + 200*time.Millisecond)
	retry, ok, err := s.ClaimExport(ctx, "c", time.Minute)
	if err != nil || !ok || !slices.Equal(retry.ChatIDs, []int64{8}) || retry.Attempts != 3 {
		t.Fatalf("the retry: %+v, %v, %v", retry, ok, err)
	}
	// A process that stops gives it back at once, for the chats it cut short, its attempt
	// not counted.
	if err := s.ReleaseExport(ctx, retry.ID, "c", []int64{8}); err != nil {
		t.Fatal(err)
	}
	next, ok, err := s.ClaimExport(ctx, "d", time.Minute)
	if err != nil || !ok || next.Attempts != 3 || !slices.Equal(next.ChatIDs, []int64{8}) {
		t.Fatalf("after a release: %+v, %v, %v", next, ok, err)
	}
	if err := s.FinishExport(ctx, next.ID, "d", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.RenewExport(ctx, next.ID, "d", time.Minute); !errors.Is(err, orders.ErrExportLost) {
		t.Errorf("renewing a finished export: %v", err)
	}
	if e, ok, err := s.ClaimExport(ctx, "e", time.Minute); ok || err != nil {
		t.Errorf("a finished export claimed again: %+v, %v", e, err)
	}
}

// The daily backup is queued once a day, whichever process asks first.
func TestQueueDailyBackupOncePerDay(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	day := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
	for _, d := range []time.Time{day, day.AddDate(0, 0, 1)} {
		queued := testenv.Race(8, func(int) bool {
			ok, err := s.QueueDailyBackup(ctx, d, []int64{7, 8})
			if err != nil {
				t.Error(err)
			}
			return ok
		})
		if n := testenv.Trues(queued); n != 1 {
			t.Errorf("%s queued %d times", d.Format(time.DateOnly), n)
		}
	}
	// An earlier day asked late is not queued again.
	if ok, err := s.QueueDailyBackup(ctx, day, []int64{7}); ok || err != nil {
		t.Errorf("an earlier day: %v, %v", ok, err)
	}
	for range 2 {
		e, ok, err := s.ClaimExport(ctx, "a", time.Minute)
		if err != nil || !ok || !e.Daily || e.Archive || !slices.Equal(e.ChatIDs, []int64{7, 8}) || e.Range() != (orders.Range{}) {
			t.Fatalf("a daily backup: %+v, %v, %v", e, ok, err)
		}
	}
	if _, ok, _ := s.ClaimExport(ctx, "a", time.Minute); ok {
		t.Error("more daily backups than days")
	}
}
