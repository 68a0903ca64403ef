package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/outbox"
)

// storeForTest returns a catalog store on a fresh, migrated schema of its own.
func storeForTest(t *testing.T) *catalog.Store {
	t.Helper()
	return catalog.NewStore(migratedDB(t))
}

// migratedDB is a fresh, migrated schema of the test's own.
func migratedDB(t testing.TB) *sqlx.DB {
	t.Helper()
	_, db := testenv.Postgres(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	return db
}

// t0 is a fixed moment the week tests move time around; leases use the database clock.
var t0 = time.Date(2030, time.March, 4, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func sameTime(got *time.Time, want time.Time) bool { return got != nil && got.Equal(want) }

func fmtTime(t *time.Time) string {
	if t == nil {
		return "nil"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// newItem is an item with one photo and the given variants.
func newItem(title string, variants ...catalog.VariantSpec) catalog.NewItem {
	if len(variants) == 0 {
		variants = []catalog.VariantSpec{{Unlimited: true}}
	}
	return catalog.NewItem{
		Title: title, Description: "about " + title, Price: 150000, Currency: "VND",
		Photos:   []catalog.NewPhoto{{Data: []byte("jpeg of " + title), MIME: "image/jpeg"}},
		Variants: variants,
	}
}

func mustCreateItem(t testing.TB, s *catalog.Store, weekID int64, n catalog.NewItem) catalog.Item {
	t.Helper()
	it, err := s.CreateItem(context.Background(), weekID, n)
	if err != nil {
		t.Fatalf("CreateItem %q: %v", n.Title, err)
	}
	return it
}

func mustWeek(t *testing.T, s *catalog.Store, id int64) catalog.Week {
	t.Helper()
	w, err := s.Week(context.Background(), id)
	if err != nil {
		t.Fatalf("Week %d: %v", id, err)
	}
	return w
}

// liveWeek creates a week and publishes it fully at publishedAt, open until closesAt.
func liveWeek(t *testing.T, s *catalog.Store, title string, publishedAt, closesAt time.Time) catalog.Week {
	t.Helper()
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, title, nil, nil)
	if err != nil {
		t.Fatalf("CreateWeek %q: %v", title, err)
	}
	if _, err := s.StartPublishing(ctx, w.ID, publishedAt, closesAt); err != nil {
		t.Fatalf("StartPublishing %q: %v", title, err)
	}
	if err := s.FinishPublishing(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	return mustWeek(t, s, w.ID)
}

func weekIDs(ws []catalog.Week) []int64 {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.ID
	}
	return ids
}

func TestCreateWeekOnlyOneUpcoming(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()

	draft, err := s.CreateWeek(ctx, "Week 10", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if draft.Status != catalog.Draft || draft.Title != "Week 10" || draft.PublishAt != nil || draft.ClosesAt != nil || !draft.Upcoming() {
		t.Fatalf("created %+v", draft)
	}
	for _, times := range [][2]*time.Time{{nil, nil}, {ptr(t0), ptr(t0.Add(72 * time.Hour))}} {
		if _, err := s.CreateWeek(ctx, "Week 11", times[0], times[1]); !errors.Is(err, catalog.ErrWeekExists) {
			t.Errorf("second upcoming week (times %v): %v, want ErrWeekExists", times, err)
		}
	}
	up, err := s.UpcomingWeek(ctx)
	if err != nil || up.ID != draft.ID {
		t.Fatalf("UpcomingWeek = %+v, %v; want the draft %d", up, err, draft.ID)
	}

	// Once the draft is published, the next week may be prepared, scheduled straight away.
	if _, err := s.StartPublishing(ctx, draft.ID, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	next, err := s.CreateWeek(ctx, "Week 11", ptr(t0.Add(7*24*time.Hour)), ptr(t0.Add(10*24*time.Hour)))
	if err != nil {
		t.Fatalf("CreateWeek after the draft was published: %v", err)
	}
	if next.Status != catalog.Scheduled || !sameTime(next.PublishAt, t0.Add(7*24*time.Hour)) || !sameTime(next.ClosesAt, t0.Add(10*24*time.Hour)) {
		t.Errorf("created with times: %+v", next)
	}
}

func TestScheduleWeek(t *testing.T) {
	t.Parallel()
	publish := t0
	tests := []struct {
		name      string
		published bool // schedule a week that is already published
		closes    time.Time
		wantErr   error
	}{
		{"closes after publication", false, publish.Add(72 * time.Hour), nil},
		{"closes one second after publication", false, publish.Add(time.Second), nil},
		{"closes at publication", false, publish, catalog.ErrWrongStatus},
		{"closes before publication", false, publish.Add(-time.Hour), catalog.ErrWrongStatus},
		{"week already published", true, publish.Add(72 * time.Hour), catalog.ErrWrongStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := storeForTest(t)
			ctx := context.Background()
			w, err := s.CreateWeek(ctx, "Week", nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.published {
				if _, err := s.StartPublishing(ctx, w.ID, t0.Add(-time.Hour), t0.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			before := mustWeek(t, s, w.ID)
			got, err := s.ScheduleWeek(ctx, w.ID, publish, tt.closes)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ScheduleWeek: %v, want %v", err, tt.wantErr)
			}
			after := mustWeek(t, s, w.ID)
			if tt.wantErr != nil {
				if after.Status != before.Status || fmtTime(after.PublishAt) != fmtTime(before.PublishAt) || fmtTime(after.ClosesAt) != fmtTime(before.ClosesAt) {
					t.Errorf("refused ScheduleWeek changed the week: %+v -> %+v", before, after)
				}
				return
			}
			if got.Status != catalog.Scheduled || !sameTime(got.PublishAt, publish) || !sameTime(got.ClosesAt, tt.closes) {
				t.Errorf("ScheduleWeek returned %+v", got)
			}
			if after.Status != catalog.Scheduled || !sameTime(after.PublishAt, publish) || !sameTime(after.ClosesAt, tt.closes) {
				t.Errorf("stored %+v", after)
			}
		})
	}

	t.Run("unknown week", func(t *testing.T) {
		t.Parallel()
		s := storeForTest(t)
		if _, err := s.ScheduleWeek(context.Background(), 987654, t0, t0.Add(time.Hour)); err == nil {
			t.Error("ScheduleWeek of an unknown week succeeded")
		}
	})
	t.Run("reschedule", func(t *testing.T) {
		t.Parallel()
		s := storeForTest(t)
		ctx := context.Background()
		w, err := s.CreateWeek(ctx, "Week", ptr(t0), ptr(t0.Add(time.Hour)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ScheduleWeek(ctx, w.ID, t0.Add(24*time.Hour), t0.Add(48*time.Hour))
		if err != nil || got.Status != catalog.Scheduled || !sameTime(got.PublishAt, t0.Add(24*time.Hour)) || !sameTime(got.ClosesAt, t0.Add(48*time.Hour)) {
			t.Errorf("rescheduled: %+v, %v", got, err)
		}
	})
}

func TestStartPublishingClaimsOnce(t *testing.T) {
	t.Parallel()
	now := t0
	defaultCloses := t0.Add(72 * time.Hour)
	tests := []struct {
		name                    string
		publishAt, closesAt     *time.Time // of the week being published
		wantPublish, wantCloses time.Time
	}{
		{"draft gets the defaults", nil, nil, now, defaultCloses},
		{"scheduled keeps its times", ptr(now.Add(-time.Minute)), ptr(now.Add(24 * time.Hour)), now.Add(-time.Minute), now.Add(24 * time.Hour)},
		{"draft with a publication time keeps it", ptr(now.Add(-time.Hour)), nil, now.Add(-time.Hour), defaultCloses},
		{"scheduled for later, published early, from now", ptr(now.Add(6 * 24 * time.Hour)), ptr(now.Add(9 * 24 * time.Hour)), now, now.Add(9 * 24 * time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := storeForTest(t)
			ctx := context.Background()
			old := liveWeek(t, s, "Last week", now.Add(-7*24*time.Hour), now.Add(time.Hour))
			w, err := s.CreateWeek(ctx, "This week", tt.publishAt, tt.closesAt)
			if err != nil {
				t.Fatal(err)
			}
			before := mustWeek(t, s, w.ID)

			type claim struct {
				w   catalog.Week
				err error
			}
			var wins []catalog.Week
			for _, c := range testenv.Race(20, func(int) claim {
				w, err := s.StartPublishing(ctx, w.ID, now, defaultCloses)
				return claim{w, err}
			}) {
				if c.err == nil {
					wins = append(wins, c.w)
				} else if !errors.Is(c.err, catalog.ErrWrongStatus) {
					t.Errorf("losing caller: %v, want ErrWrongStatus", c.err)
				}
			}
			if len(wins) != 1 {
				t.Fatalf("%d callers claimed the week, want exactly 1", len(wins))
			}

			got := wins[0]
			stored := mustWeek(t, s, w.ID)
			for name, wk := range map[string]catalog.Week{"returned": got, "stored": stored} {
				if wk.Status != catalog.Publishing || !wk.NeedsSync || wk.SyncGeneration <= before.SyncGeneration {
					t.Errorf("%s: status %s, needs_sync %v, generation %d (was %d)", name, wk.Status, wk.NeedsSync, wk.SyncGeneration, before.SyncGeneration)
				}
				if !sameTime(wk.PublishedAt, now) || !sameTime(wk.PublishAt, tt.wantPublish) || !sameTime(wk.ClosesAt, tt.wantCloses) {
					t.Errorf("%s: published_at %s, publish_at %s, closes_at %s; want %s, %s, %s", name,
						fmtTime(wk.PublishedAt), fmtTime(wk.PublishAt), fmtTime(wk.ClosesAt),
						now.Format(time.RFC3339), tt.wantPublish.Format(time.RFC3339), tt.wantCloses.Format(time.RFC3339))
				}
			}
			if stored.SyncGeneration != got.SyncGeneration {
				t.Errorf("generation returned %d, stored %d: the week was changed again by a losing caller", got.SyncGeneration, stored.SyncGeneration)
			}

			prev := mustWeek(t, s, old.ID)
			if prev.Status != catalog.Closed || !sameTime(prev.ClosedAt, now) || !prev.NeedsSync || prev.SyncGeneration <= old.SyncGeneration {
				t.Errorf("previous live week: %+v, want closed at %s and marked for sync", prev, now.Format(time.RFC3339))
			}
			live, err := s.LiveWeek(ctx)
			if err != nil || live.ID != w.ID {
				t.Errorf("LiveWeek = %d, %v; want %d", live.ID, err, w.ID)
			}
			if _, err := s.UpcomingWeek(ctx); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("UpcomingWeek after publishing: %v, want ErrNotFound", err)
			}
		})
	}

	t.Run("not upcoming", func(t *testing.T) {
		t.Parallel()
		s := storeForTest(t)
		ctx := context.Background()
		live := liveWeek(t, s, "Live", now.Add(-time.Hour), now.Add(time.Hour))
		for _, id := range []int64{live.ID, live.ID + 1000} {
			if _, err := s.StartPublishing(ctx, id, now, defaultCloses); !errors.Is(err, catalog.ErrWrongStatus) {
				t.Errorf("StartPublishing(%d): %v, want ErrWrongStatus", id, err)
			}
		}
		if w := mustWeek(t, s, live.ID); w.Status != catalog.Published || !sameTime(w.PublishedAt, now.Add(-time.Hour)) {
			t.Errorf("refused StartPublishing changed the week: %+v", w)
		}
	})
}

// A week scheduled for later and published early can be closed before the time it was
// planned for, by hand or by publishing the next week.
func TestAnEarlyPublishedWeekCloses(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	day := 24 * time.Hour
	early := func(title string, at time.Time) catalog.Week {
		t.Helper()
		w, err := s.CreateWeek(ctx, title, ptr(t0.Add(6*day)), ptr(t0.Add(9*day)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartPublishing(ctx, w.ID, at, at.Add(3*day)); err != nil {
			t.Fatal(err)
		}
		return w
	}
	first := early("First", t0)
	if w, err := s.CloseWeek(ctx, first.ID, t0.Add(day)); err != nil || w.Status != catalog.Closed || !sameTime(w.ClosesAt, t0.Add(day)) {
		t.Fatalf("closed by hand: %+v, %v", w, err)
	}
	second := early("Second", t0.Add(2*day))
	third, err := s.CreateWeek(ctx, "Third", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartPublishing(ctx, third.ID, t0.Add(3*day), t0.Add(6*day)); err != nil {
		t.Fatalf("publishing the next week: %v", err)
	}
	if w := mustWeek(t, s, second.ID); w.Status != catalog.Closed || !sameTime(w.ClosesAt, t0.Add(3*day)) {
		t.Errorf("the early week after the next one was published: %s, closes %s", w.Status, fmtTime(w.ClosesAt))
	}
}

// Unschedule puts a scheduled week back to a draft without times, for one caller of
// several; a draft or a live week is left alone.
func TestUnschedule(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	live := liveWeek(t, s, "Live", t0.Add(-time.Hour), t0.Add(time.Hour))
	w, err := s.CreateWeek(ctx, "Week", ptr(t0.Add(time.Hour)), ptr(t0.Add(72*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	n := testenv.Trues(testenv.Race(5, func(int) bool {
		ok, err := s.Unschedule(ctx, w.ID)
		if err != nil {
			t.Error(err)
		}
		return ok
	}))
	if got := mustWeek(t, s, w.ID); n != 1 || got.Status != catalog.Draft || got.PublishAt != nil || got.ClosesAt != nil {
		t.Errorf("%d callers unscheduled it; week %s, publish %s, closes %s", n, got.Status, fmtTime(got.PublishAt), fmtTime(got.ClosesAt))
	}
	for _, id := range []int64{w.ID, live.ID} {
		if ok, err := s.Unschedule(ctx, id); ok || err != nil {
			t.Errorf("Unschedule(%d) of a week not scheduled: %v, %v", id, ok, err)
		}
	}
	if got := mustWeek(t, s, live.ID); got.Status != catalog.Published {
		t.Errorf("the live week: %s", got.Status)
	}
}

// The scheduler publishes only a week still scheduled, due, with an item to show; one
// with none (or only hidden ones) is skipped instead: never both, never a week a seller
// unscheduled meanwhile.
func TestPublishDueOrSkipEmpty(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	s := catalog.NewStore(db)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", ptr(t0), ptr(t0.Add(72*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	early := t0.Add(-time.Minute)
	notice := func(w catalog.Week) []outbox.Message {
		return []outbox.Message{{ChatID: 1, Kind: "skipped", Text: w.Title}}
	}
	if ok, err := s.SkipEmpty(ctx, w.ID, early, notice); ok || err != nil {
		t.Errorf("SkipEmpty before the week is due: %v, %v", ok, err)
	}
	it := mustCreateItem(t, s, w.ID, newItem("Only"))
	if err := s.SetHidden(ctx, it.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishDue(ctx, w.ID, t0); !errors.Is(err, catalog.ErrWrongStatus) {
		t.Errorf("PublishDue of a week whose only item is hidden: %v, want ErrWrongStatus", err)
	}
	if err := s.SetHidden(ctx, it.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishDue(ctx, w.ID, early); !errors.Is(err, catalog.ErrWrongStatus) {
		t.Errorf("PublishDue before the week is due: %v, want ErrWrongStatus", err)
	}
	if ok, err := s.SkipEmpty(ctx, w.ID, t0, notice); ok || err != nil {
		t.Errorf("SkipEmpty of a week with an item: %v, %v", ok, err)
	}
	if ok, err := s.Unschedule(ctx, w.ID); !ok || err != nil {
		t.Fatalf("Unschedule: %v, %v", ok, err)
	}
	if _, err := s.PublishDue(ctx, w.ID, t0); !errors.Is(err, catalog.ErrWrongStatus) {
		t.Errorf("PublishDue of a week unscheduled since: %v, want ErrWrongStatus", err)
	}
	if _, err := s.ScheduleWeek(ctx, w.ID, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.PublishDue(ctx, w.ID, t0.Add(time.Minute)); err != nil || got.Status != catalog.Publishing || !sameTime(got.PublishAt, t0) {
		t.Errorf("PublishDue of a due week with an item: %+v, %v", got, err)
	}

	empty, err := s.CreateWeek(ctx, "Empty", ptr(t0.Add(time.Hour)), ptr(t0.Add(72*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.SkipEmpty(ctx, empty.ID, t0.Add(time.Hour), notice); !ok || err != nil {
		t.Errorf("SkipEmpty of a due week without items: %v, %v", ok, err)
	}
	if got := mustWeek(t, s, empty.ID); got.Status != catalog.Draft || got.PublishAt != nil {
		t.Errorf("the skipped week: %s, publish %s", got.Status, fmtTime(got.PublishAt))
	}
	// Its notice, and none of the weeks not skipped, is written with the skip.
	var told []string
	if err := db.Select(&told, `SELECT text FROM outbox`); err != nil || !slices.Equal(told, []string{"Empty"}) {
		t.Errorf("notices %q, %v; want the skipped week's", told, err)
	}
}

func TestCloseDue(t *testing.T) {
	t.Parallel()
	cutoff := t0.Add(72 * time.Hour)
	tests := []struct {
		name      string
		now       time.Time
		wantClose bool
	}{
		{"before the cut-off", cutoff.Add(-time.Second), false},
		{"at the cut-off", cutoff, true},
		{"after the cut-off", cutoff.Add(time.Hour), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db := migratedDB(t)
			s := catalog.NewStore(db)
			ctx := context.Background()
			live := liveWeek(t, s, "Live", t0, cutoff)
			// A week still being prepared is never closed, even when its own times have passed.
			upcoming, err := s.CreateWeek(ctx, "Next", ptr(t0.Add(time.Minute)), ptr(t0.Add(2*time.Minute)))
			if err != nil {
				t.Fatal(err)
			}

			const callers = 8
			closed := []int64{}
			for _, ws := range testenv.Race(callers, func(int) []catalog.Week {
				ws, err := s.CloseDue(ctx, tt.now, func(w catalog.Week) []outbox.Message {
					return []outbox.Message{{ChatID: 1, Kind: "closed", Text: w.Title}}
				})
				if err != nil {
					t.Error(err)
				}
				return ws
			}) {
				closed = append(closed, weekIDs(ws)...)
			}

			want := []int64{}
			if tt.wantClose {
				want = []int64{live.ID}
			}
			if !slices.Equal(closed, want) {
				t.Fatalf("weeks returned across %d callers: %v, want %v", callers, closed, want)
			}
			got := mustWeek(t, s, live.ID)
			if tt.wantClose {
				if got.Status != catalog.Closed || !sameTime(got.ClosedAt, tt.now) || !got.NeedsSync || got.SyncGeneration <= live.SyncGeneration {
					t.Errorf("closed week: %+v", got)
				}
			} else if got.Status != catalog.Published || got.ClosedAt != nil {
				t.Errorf("week closed before its cut-off: %+v", got)
			}
			if u := mustWeek(t, s, upcoming.ID); u.Status != catalog.Scheduled {
				t.Errorf("upcoming week: %s, want scheduled", u.Status)
			}
			// The notices of the weeks closed, once, are written with the close.
			var told []string
			if err := db.Select(&told, `SELECT text FROM outbox`); err != nil || len(told) != len(want) || len(want) == 1 && told[0] != "Live" {
				t.Errorf("notices %q, %v; want one for each week closed", told, err)
			}
			again, err := s.CloseDue(ctx, tt.now.Add(time.Hour), nil)
			if err != nil || (tt.wantClose && len(again) != 0) {
				t.Errorf("CloseDue again: %v, %v; want nothing", weekIDs(again), err)
			}
		})
	}
}

func TestDuePublications(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	publish := t0.Add(7 * 24 * time.Hour)
	liveWeek(t, s, "Live", t0, t0.Add(72*time.Hour))
	scheduled, err := s.CreateWeek(ctx, "Scheduled", ptr(publish), ptr(publish.Add(72*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		now  time.Time
		want []int64
	}{
		{"a second early", publish.Add(-time.Second), nil},
		{"at the publication time", publish, []int64{scheduled.ID}},
		{"late", publish.Add(24 * time.Hour), []int64{scheduled.ID}},
	}
	for _, tt := range tests {
		got, err := s.DuePublications(ctx, tt.now)
		if err != nil {
			t.Fatal(err)
		}
		if ids := weekIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("%s: DuePublications = %v, want %v", tt.name, ids, tt.want)
		}
	}

	if _, err := s.StartPublishing(ctx, scheduled.ID, publish, publish.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// A draft is not due even with a publication time: it has no cut-off yet.
	if _, err := s.CreateWeek(ctx, "Draft", ptr(publish.Add(time.Hour)), nil); err != nil {
		t.Fatal(err)
	}
	if got, err := s.DuePublications(ctx, publish.Add(365*24*time.Hour)); err != nil || len(got) != 0 {
		t.Errorf("DuePublications after publishing, with only a draft left: %v, %v", weekIDs(got), err)
	}
}

func TestWeeksToSync(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	toSync := func() []int64 {
		t.Helper()
		ws, err := s.WeeksToSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return weekIDs(ws)
	}
	expect := func(step string, want ...int64) {
		t.Helper()
		if got := toSync(); !slices.Equal(got, want) {
			t.Errorf("%s: WeeksToSync = %v, want %v", step, got, want)
		}
	}

	w1, err := s.CreateWeek(ctx, "Week 1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := mustCreateItem(t, s, w1.ID, newItem("Áo", catalog.VariantSpec{Name: "S", Stock: 3}))
	if !mustWeek(t, s, w1.ID).NeedsSync {
		t.Fatal("adding an item did not mark the week")
	}
	expect("draft with a new item")
	if _, err := s.ScheduleWeek(ctx, w1.ID, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdatePrice(ctx, it.ID, 99000); err != nil {
		t.Fatal(err)
	}
	expect("scheduled week with a new price")

	if _, err := s.StartPublishing(ctx, w1.ID, t0, t0.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	expect("publishing", w1.ID)
	if err := s.MarkSynced(ctx, w1.ID, mustWeek(t, s, w1.ID).SyncGeneration); err != nil {
		t.Fatal(err)
	}
	expect("publishing, synced so far", w1.ID)
	if err := s.FinishPublishing(ctx, w1.ID); err != nil {
		t.Fatal(err)
	}
	expect("published and synced")

	// A change made after the publisher read the generation outlives its MarkSynced.
	changes := []struct {
		name   string
		change func() error
	}{
		{"stock", func() error { return s.SetStock(ctx, it.Variants[0].ID, ptr(1)) }},
		{"price", func() error { return s.UpdatePrice(ctx, it.ID, 120000) }},
	}
	for _, c := range changes {
		if err := s.SetStock(ctx, it.Variants[0].ID, ptr(2)); err != nil {
			t.Fatal(err)
		}
		expect(c.name+": published and changed", w1.ID)
		read := mustWeek(t, s, w1.ID).SyncGeneration
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkSynced(ctx, w1.ID, read); err != nil {
			t.Fatal(err)
		}
		if w := mustWeek(t, s, w1.ID); !w.NeedsSync || w.SyncGeneration <= read {
			t.Errorf("%s: MarkSynced with stale generation %d cleared a newer change: %+v", c.name, read, w)
		}
		expect(c.name+": synced an older generation", w1.ID)
		if err := s.MarkSynced(ctx, w1.ID, mustWeek(t, s, w1.ID).SyncGeneration); err != nil {
			t.Fatal(err)
		}
		expect(c.name + ": synced the current generation")
	}

	// Publishing the next week closes week 1, whose posts then need editing.
	w2, err := s.CreateWeek(ctx, "Week 2", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreateItem(t, s, w2.ID, newItem("Quần"))
	expect("next week drafted")
	if _, err := s.StartPublishing(ctx, w2.ID, t0.Add(7*24*time.Hour), t0.Add(10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	expect("next week publishing, week 1 closed", w1.ID, w2.ID)
	if err := s.MarkSynced(ctx, w1.ID, mustWeek(t, s, w1.ID).SyncGeneration); err != nil {
		t.Fatal(err)
	}
	expect("closed week synced", w2.ID)
	// A change to a closed week's item (a late edit) is shown again.
	if err := s.SetHidden(ctx, it.ID, true); err != nil {
		t.Fatal(err)
	}
	expect("closed week changed", w1.ID, w2.ID)
}

// Orders record stock changes in rows of their own; WeeksToSync takes them, marking their
// weeks with a new generation, and leaves a change committed later for the next time.
func TestWeeksToSyncTakesStockChanges(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t)
	ctx := context.Background()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	s := catalog.NewStore(db)
	live := liveWeek(t, s, "Live", t0, t0.Add(72*time.Hour))
	if err := s.MarkSynced(ctx, live.ID, mustWeek(t, s, live.ID).SyncGeneration); err != nil {
		t.Fatal(err)
	}
	if ws, err := s.WeeksToSync(ctx); err != nil || len(ws) != 0 {
		t.Fatalf("synced week: WeeksToSync = %v, %v", weekIDs(ws), err)
	}
	before := mustWeek(t, s, live.ID)
	if _, err := db.ExecContext(ctx, `INSERT INTO stock_changes (week_id) VALUES ($1), ($1)`, live.ID); err != nil {
		t.Fatal(err)
	}
	ws, err := s.WeeksToSync(ctx)
	if err != nil || len(ws) != 1 || ws[0].ID != live.ID || !ws[0].NeedsSync || ws[0].SyncGeneration <= before.SyncGeneration {
		t.Fatalf("after two orders: WeeksToSync = %+v, %v; want the week, marked with a new generation", ws, err)
	}
	var left int
	if err := db.GetContext(ctx, &left, `SELECT count(*) FROM stock_changes`); err != nil || left != 0 {
		t.Fatalf("%d stock changes left after WeeksToSync took them (%v)", left, err)
	}
	// An order's change committed while the week is being rendered: MarkSynced of the
	// generation read clears the mark, and the change is found again next time.
	if _, err := db.ExecContext(ctx, `INSERT INTO stock_changes (week_id) VALUES ($1)`, live.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSynced(ctx, live.ID, ws[0].SyncGeneration); err != nil {
		t.Fatal(err)
	}
	again, err := s.WeeksToSync(ctx)
	if err != nil || len(again) != 1 || again[0].SyncGeneration <= ws[0].SyncGeneration {
		t.Fatalf("a change during the sync: WeeksToSync = %+v, %v; want the week again, newer", again, err)
	}
	if err := s.MarkSynced(ctx, live.ID, again[0].SyncGeneration); err != nil {
		t.Fatal(err)
	}
	if ws, err := s.WeeksToSync(ctx); err != nil || len(ws) != 0 {
		t.Fatalf("synced again: WeeksToSync = %v, %v", weekIDs(ws), err)
	}
}

func TestLease(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		action string // "lease" or "release"
		owner  string
		want   bool
	}{
		{"lease", "a", true},
		{"lease", "b", false},
		{"lease", "a", true}, // renews
		{"lease", "b", false},
		{"release", "b", false}, // not b's to give up
		{"lease", "b", false},
		{"release", "a", false},
		{"lease", "b", true},
		{"lease", "a", false},
		{"lease", "b", true},
	}
	for i, st := range steps {
		switch st.action {
		case "lease":
			got, err := s.Lease(ctx, w.ID, st.owner, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if got != st.want {
				t.Fatalf("step %d: Lease by %s = %v, want %v", i, st.owner, got, st.want)
			}
		case "release":
			if err := s.ReleaseLease(ctx, w.ID, st.owner); err != nil {
				t.Fatal(err)
			}
		}
	}

	if ok, err := s.Lease(ctx, w.ID+1000, "a", time.Minute); err != nil || ok {
		t.Errorf("Lease of an unknown week = %v, %v", ok, err)
	}

	// An expired lease is free for anyone. The lease runs on the database clock.
	if ok, err := s.Lease(ctx, w.ID, "b", 10*time.Millisecond); err != nil || !ok {
		t.Fatalf("short renewal = %v, %v", ok, err)
	}
	time.Sleep(50 * time.Millisecond)
	if ok, err := s.Lease(ctx, w.ID, "c", time.Minute); err != nil || !ok {
		t.Errorf("Lease after expiry = %v, %v; want true", ok, err)
	}
	if ok, err := s.Lease(ctx, w.ID, "b", time.Minute); err != nil || ok {
		t.Errorf("former owner took the lease back: %v, %v", ok, err)
	}
}

func TestCreateItem(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	photos := []catalog.NewPhoto{
		{Data: []byte{0xff, 0xd8, 0x00, 0x00, 0xc3, 0x28, 0xff, 0xd9}, MIME: "image/jpeg", FileID: "AgAD1", FileUniqueID: "u1"},
		{Data: big, MIME: "image/png"},
		{Data: []byte("third"), MIME: "image/webp", FileID: "AgAD3", FileUniqueID: "u3"},
	}
	n := catalog.NewItem{
		Title: "Áo dài <lụa> & \"cotton\"", Description: "Vải mềm\nالمقاس: ٣", Price: 150000, Currency: "VND",
		Photos: photos,
		Variants: []catalog.VariantSpec{
			{Name: "S", Stock: 3},
			{Name: "M", Unlimited: true},
			{Name: "L", Stock: 0},
		},
	}
	first, err := s.CreateItem(ctx, w.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	inWeek, itsWeek, err := s.ItemInWeek(ctx, first.ID)
	if err != nil || itsWeek.ID != w.ID || itsWeek.Title != "Week" || itsWeek.Status != catalog.Draft {
		t.Errorf("ItemInWeek: week %+v, %v; want week %d", itsWeek, err, w.ID)
	}
	byID, weeks, err := s.ItemsByID(ctx, []int64{first.ID, first.ID + 1000})
	if err != nil || len(byID) != 1 {
		t.Fatalf("ItemsByID of the item and an unknown id: %d items, %v; want 1", len(byID), err)
	}
	if wk := weeks[w.ID]; len(weeks) != 1 || wk.Title != "Week" || wk.Status != catalog.Draft {
		t.Errorf("ItemsByID: weeks %+v, want week %d", weeks, w.ID)
	}
	read := map[string]catalog.Item{"returned": first, "read back": mustItem(t, s, first.ID), "in week": inWeek, "by id": byID[0]}
	for name, it := range read {
		if it.ID == 0 || it.WeekID != w.ID || it.Title != n.Title || it.Description != n.Description ||
			it.Price != n.Price || it.Currency != "VND" || it.Hidden || it.Position != 1 {
			t.Errorf("%s: %+v", name, it)
		}
		if len(it.Photos) != len(photos) {
			t.Fatalf("%s: %d photos, want %d", name, len(it.Photos), len(photos))
		}
		for i, p := range it.Photos {
			if p.ItemID != it.ID || p.Position != i+1 || p.MIME != photos[i].MIME || p.FileID != photos[i].FileID || p.FileUniqueID != photos[i].FileUniqueID {
				t.Errorf("%s: photo %d = %+v", name, i, p)
			}
			data, err := s.PhotoData(ctx, p.ID)
			if err != nil || !bytes.Equal(data, photos[i].Data) {
				t.Errorf("%s: PhotoData of photo %d: %d bytes, %v; want the %d stored", name, i, len(data), err, len(photos[i].Data))
			}
		}
		wantVariants := []struct {
			name  string
			stock *int
		}{{"S", ptr(3)}, {"M", nil}, {"L", ptr(0)}}
		if len(it.Variants) != len(wantVariants) {
			t.Fatalf("%s: variants %+v", name, it.Variants)
		}
		for i, v := range it.Variants {
			want := wantVariants[i]
			if v.ItemID != it.ID || v.Name != want.name || v.Position != i+1 || (v.Stock == nil) != (want.stock == nil) ||
				(v.Stock != nil && *v.Stock != *want.stock) || v.Unlimited() != (want.stock == nil) {
				t.Errorf("%s: variant %d = %+v (stock %v), want %s with stock %v", name, i, v, v.Stock, want.name, want.stock)
			}
		}
		if it.SoldOut() {
			t.Errorf("%s: sold out with S and M in stock", name)
		}
	}

	second := mustCreateItem(t, s, w.ID, newItem("Second"))
	third := mustCreateItem(t, s, w.ID, newItem("Third", catalog.VariantSpec{Stock: 2}))
	if second.Position != 2 || third.Position != 3 {
		t.Errorf("positions %d, %d; want 2, 3", second.Position, third.Position)
	}
	if len(third.Variants) != 1 || third.Variants[0].Name != "" || third.Variants[0].Stock == nil || *third.Variants[0].Stock != 2 {
		t.Errorf("unnamed variant: %+v", third.Variants)
	}

	refused := []struct {
		name string
		n    catalog.NewItem
	}{
		{"no photo", catalog.NewItem{Title: "x", Price: 1, Currency: "USD", Variants: []catalog.VariantSpec{{Unlimited: true}}}},
		{"too many photos", catalog.NewItem{Title: "x", Price: 1, Currency: "USD",
			Photos: make([]catalog.NewPhoto, catalog.MaxPhotos+1), Variants: []catalog.VariantSpec{{Unlimited: true}}}},
		{"no variant", catalog.NewItem{Title: "x", Price: 1, Currency: "USD", Photos: []catalog.NewPhoto{{Data: []byte("p"), MIME: "image/jpeg"}}}},
	}
	for _, tt := range refused {
		if _, err := s.CreateItem(ctx, w.ID, tt.n); !errors.Is(err, catalog.ErrTooMany) {
			t.Errorf("%s: %v, want ErrTooMany", tt.name, err)
		}
	}
	ten := newItem("Ten photos")
	ten.Photos = make([]catalog.NewPhoto, catalog.MaxPhotos)
	for i := range ten.Photos {
		ten.Photos[i] = catalog.NewPhoto{Data: []byte{byte(i)}, MIME: "image/jpeg"}
	}
	if it := mustCreateItem(t, s, w.ID, ten); len(it.Photos) != catalog.MaxPhotos || it.Position != 4 {
		t.Errorf("item with %d photos: %d photos, position %d", catalog.MaxPhotos, len(it.Photos), it.Position)
	}
	items, err := s.Items(ctx, w.ID, true)
	if err != nil || len(items) != 4 {
		t.Fatalf("Items after refused creates: %d, %v", len(items), err)
	}
}

// An item created again with its draft's key (a Save handled twice) is the first one,
// whether the second comes after the first or at the same time; items without a key, or
// with another, are each their own.
func TestCreateItemWithTheSameKeyIsCreatedOnce(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	n := newItem("Dress", catalog.VariantSpec{Name: "S", Stock: 2}, catalog.VariantSpec{Name: "M", Stock: 1})
	n.Key = "draft-1"
	first := mustCreateItem(t, s, w.ID, n)
	again := mustCreateItem(t, s, w.ID, n)
	if again.ID != first.ID || len(again.Photos) != 1 || len(again.Variants) != 2 {
		t.Errorf("created again: item %d with %d photos and %d variants; want item %d as it was",
			again.ID, len(again.Photos), len(again.Variants), first.ID)
	}

	racing := newItem("Skirt")
	racing.Key = "draft-2"
	ids := testenv.Race(4, func(int) int64 { return mustCreateItem(t, s, w.ID, racing).ID })
	if ids[0] == 0 || slices.ContainsFunc(ids, func(id int64) bool { return id != ids[0] }) {
		t.Errorf("four creates at once gave items %v", ids)
	}

	mustCreateItem(t, s, w.ID, newItem("No key"))
	mustCreateItem(t, s, w.ID, newItem("No key"))
	items, err := s.Items(ctx, w.ID, true)
	if err != nil || len(items) != 4 {
		t.Fatalf("items: %d, %v; want the dress, the skirt and two without a key", len(items), err)
	}
	var photos, variants int
	for _, it := range items {
		photos += len(it.Photos)
		variants += len(it.Variants)
	}
	if photos != 4 || variants != 5 || items[3].Position != 4 {
		t.Errorf("%d photos, %d variants, last position %d; want 4, 5, 4", photos, variants, items[3].Position)
	}
}

func mustItem(t *testing.T, s *catalog.Store, id int64) catalog.Item {
	t.Helper()
	it, err := s.Item(context.Background(), id)
	if err != nil {
		t.Fatalf("Item %d: %v", id, err)
	}
	return it
}

func itemIDs(items []catalog.Item) []int64 {
	ids := make([]int64, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	return ids
}

func TestItemChanges(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreateItem(t, s, w.ID, newItem("A", catalog.VariantSpec{Name: "S", Stock: 1}, catalog.VariantSpec{Name: "M", Unlimited: true}))
	b := mustCreateItem(t, s, w.ID, newItem("B"))
	c := mustCreateItem(t, s, w.ID, newItem("C"))

	// Every change to what a post shows marks the week, so its posts get edited.
	changes := []struct {
		name   string
		change func() error
		check  func(it catalog.Item) bool
	}{
		{"stock to a number", func() error { return s.SetStock(ctx, a.Variants[1].ID, ptr(5)) },
			func(it catalog.Item) bool { return it.Variants[1].Stock != nil && *it.Variants[1].Stock == 5 }},
		{"stock to zero", func() error { return s.SetStock(ctx, a.Variants[0].ID, ptr(0)) },
			func(it catalog.Item) bool {
				return it.Variants[0].Stock != nil && *it.Variants[0].Stock == 0 && !it.SoldOut()
			}},
		{"stock to unlimited", func() error { return s.SetStock(ctx, a.Variants[1].ID, nil) },
			func(it catalog.Item) bool { return it.Variants[1].Unlimited() }},
		{"price", func() error { return s.UpdatePrice(ctx, a.ID, 175000) },
			func(it catalog.Item) bool { return it.Price == 175000 }},
		{"text", func() error { return s.UpdateText(ctx, a.ID, "A2", "mô tả mới") },
			func(it catalog.Item) bool { return it.Title == "A2" && it.Description == "mô tả mới" }},
		{"hide", func() error { return s.SetHidden(ctx, a.ID, true) },
			func(it catalog.Item) bool { return it.Hidden }},
		{"show", func() error { return s.SetHidden(ctx, a.ID, false) },
			func(it catalog.Item) bool { return !it.Hidden }},
		{"replace variants", func() error {
			return s.ReplaceVariants(ctx, a.ID, []catalog.VariantSpec{{Name: "XL", Unlimited: true}, {Name: "XS", Stock: 0}})
		}, func(it catalog.Item) bool {
			return len(it.Variants) == 2 && it.Variants[0].Name == "XL" && it.Variants[0].Unlimited() && it.Variants[0].Position == 1 &&
				it.Variants[1].Name == "XS" && it.Variants[1].Stock != nil && *it.Variants[1].Stock == 0 && it.Variants[1].Position == 2
		}},
	}
	for _, ch := range changes {
		before := mustWeek(t, s, w.ID)
		if err := s.MarkSynced(ctx, w.ID, before.SyncGeneration); err != nil {
			t.Fatal(err)
		}
		if err := ch.change(); err != nil {
			t.Fatalf("%s: %v", ch.name, err)
		}
		if it := mustItem(t, s, a.ID); !ch.check(it) {
			t.Errorf("%s: item is now %+v, variants %+v", ch.name, it, it.Variants)
		}
		if after := mustWeek(t, s, w.ID); !after.NeedsSync || after.SyncGeneration <= before.SyncGeneration {
			t.Errorf("%s: week not marked for sync: generation %d -> %d, needs_sync %v", ch.name, before.SyncGeneration, after.SyncGeneration, after.NeedsSync)
		}
	}

	// Hidden items are left out unless asked for.
	if err := s.SetHidden(ctx, b.ID, true); err != nil {
		t.Fatal(err)
	}
	listed := []struct {
		withHidden bool
		want       []int64
	}{
		{false, []int64{a.ID, c.ID}},
		{true, []int64{a.ID, b.ID, c.ID}},
	}
	for _, l := range listed {
		items, err := s.Items(ctx, w.ID, l.withHidden)
		if err != nil {
			t.Fatal(err)
		}
		if got := itemIDs(items); !slices.Equal(got, l.want) {
			t.Errorf("Items(withHidden %v) = %v, want %v", l.withHidden, got, l.want)
		}
		for _, it := range items {
			if len(it.Photos) != 1 || len(it.Variants) == 0 {
				t.Errorf("Items(withHidden %v): item %d without its photos or variants: %+v", l.withHidden, it.ID, it)
			}
		}
	}

	// Deleting takes the photos with the item; a new item still goes last.
	photo := mustItem(t, s, b.ID).Photos[0].ID
	before := mustWeek(t, s, w.ID)
	if err := s.DeleteItem(ctx, b.ID, catalog.Withdrawal{}); err != nil {
		t.Fatal(err)
	}
	if after := mustWeek(t, s, w.ID); after.SyncGeneration <= before.SyncGeneration {
		t.Errorf("DeleteItem did not mark the week")
	}
	if _, err := s.Item(ctx, b.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Item after delete: %v", err)
	}
	if _, err := s.PhotoData(ctx, photo); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("PhotoData after delete: %v", err)
	}
	if d := mustCreateItem(t, s, w.ID, newItem("D")); d.Position != 4 {
		t.Errorf("item after a delete at position %d, want 4", d.Position)
	}
	if items, err := s.Items(ctx, w.ID, true); err != nil || len(items) != 3 || items[0].ID != a.ID || items[1].ID != c.ID {
		t.Errorf("Items after delete and add: %v, %v", itemIDs(items), err)
	}
}

// An item's card reads the item, its week and the week's items on show at once: a hidden
// item is found but not listed, and another week's items are not either.
func TestItemOnShow(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	s := catalog.NewStore(db)
	ctx := context.Background()
	other, err := s.CreateWeek(ctx, "Other", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustCreateItem(t, s, other.ID, newItem("Elsewhere"))
	if _, err := s.StartPublishing(ctx, other.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreateItem(t, s, w.ID, newItem("A"))
	b := mustCreateItem(t, s, w.ID, newItem("B", catalog.VariantSpec{Name: "S", Stock: 2}))
	c := mustCreateItem(t, s, w.ID, newItem("C"))
	if err := s.SetHidden(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	it, week, shown, err := s.ItemOnShow(ctx, b.ID)
	if err != nil || it.ID != b.ID || it.Title != "B" || len(it.Photos) != 1 || len(it.Variants) != 1 || week.ID != w.ID ||
		week.Title != "Week" || !slices.Equal(shown, []int64{a.ID, b.ID}) {
		t.Fatalf("ItemOnShow(B) = item %d %q, week %d %q, shown %v, %v; want B in Week among %d, %d",
			it.ID, it.Title, week.ID, week.Title, shown, err, a.ID, b.ID)
	}
	it, _, shown, err = s.ItemOnShow(ctx, c.ID)
	if err != nil || it.ID != c.ID || !it.Hidden || !slices.Equal(shown, []int64{a.ID, b.ID}) {
		t.Fatalf("ItemOnShow(hidden C) = item %d hidden %v, shown %v, %v; want C, hidden, not shown", it.ID, it.Hidden, shown, err)
	}
	// B moves first, though stored after A: the ids on show and the first follow positions.
	if _, err := db.ExecContext(ctx, `UPDATE items SET position = -1 WHERE id = $1`, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, shown, err = s.ItemOnShow(ctx, a.ID); err != nil || !slices.Equal(shown, []int64{b.ID, a.ID}) {
		t.Fatalf("ItemOnShow(A) after B moved first: shown %v, %v; want %d, %d", shown, err, b.ID, a.ID)
	}
	it, week, shown, err = s.FirstOnShow(ctx, w.ID)
	if err != nil || it.ID != b.ID || len(it.Variants) != 1 || week.ID != w.ID || !slices.Equal(shown, []int64{b.ID, a.ID}) {
		t.Fatalf("FirstOnShow = item %d, week %d, shown %v, %v; want B in Week among %d, %d", it.ID, week.ID, shown, err, b.ID, a.ID)
	}
	for _, id := range []int64{a.ID, b.ID} {
		if err := s.SetHidden(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := s.FirstOnShow(ctx, w.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("FirstOnShow of a week with every item hidden: %v, want ErrNotFound", err)
	}
}

func TestItemUnknownIDs(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w, err := s.CreateWeek(ctx, "Week", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	it := mustCreateItem(t, s, w.ID, newItem("Real"))
	unknown := it.ID + 1000
	tests := []struct {
		name string
		call func() error
	}{
		{"Item", func() error { _, err := s.Item(ctx, unknown); return err }},
		{"ItemInWeek", func() error { _, _, err := s.ItemInWeek(ctx, unknown); return err }},
		{"ItemOnShow", func() error { _, _, _, err := s.ItemOnShow(ctx, unknown); return err }},
		{"PhotoData", func() error { _, err := s.PhotoData(ctx, it.Photos[0].ID+1000); return err }},
		{"SetStock", func() error { return s.SetStock(ctx, it.Variants[0].ID+1000, ptr(1)) }},
		{"UpdatePrice", func() error { return s.UpdatePrice(ctx, unknown, 1) }},
		{"UpdateText", func() error { return s.UpdateText(ctx, unknown, "t", "d") }},
		{"SetHidden", func() error { return s.SetHidden(ctx, unknown, true) }},
		{"DeleteItem", func() error { return s.DeleteItem(ctx, unknown, catalog.Withdrawal{}) }},
		{"ItemPost", func() error { _, err := s.ItemPost(ctx, unknown); return err }},
		{"Week", func() error { _, err := s.Week(ctx, w.ID+1000); return err }},
		{"RenameWeek", func() error { return s.RenameWeek(ctx, w.ID+1000, "x") }},
	}
	before := mustWeek(t, s, w.ID)
	for _, tt := range tests {
		if err := tt.call(); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("%s of an unknown id: %v, want ErrNotFound", tt.name, err)
		}
	}
	// ReplaceVariants of an unknown item fails on the foreign key, not with ErrNotFound
	// (reported); it must at least fail.
	if err := s.ReplaceVariants(ctx, unknown, []catalog.VariantSpec{{Name: "S", Stock: 1}}); err == nil {
		t.Error("ReplaceVariants of an unknown item succeeded")
	}
	if after := mustWeek(t, s, w.ID); after.SyncGeneration != before.SyncGeneration {
		t.Errorf("calls on unknown ids marked an unrelated week: generation %d -> %d", before.SyncGeneration, after.SyncGeneration)
	}
	if got := mustItem(t, s, it.ID); got.Title != "Real" || got.Price != 150000 || got.Hidden || len(got.Variants) != 1 {
		t.Errorf("calls on unknown ids changed another item: %+v", got)
	}
}

func TestPosts(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	w := liveWeek(t, s, "Week", t0, t0.Add(72*time.Hour))
	next, err := s.CreateWeek(ctx, "Next", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := mustCreateItem(t, s, next.ID, newItem("A"))
	b := mustCreateItem(t, s, next.ID, newItem("B"))
	if _, err := s.StartPublishing(ctx, next.ID, t0.Add(7*24*time.Hour), t0.Add(10*24*time.Hour)); err != nil {
		t.Fatal(err)
	}

	header, err := s.AddPost(ctx, catalog.Post{WeekID: next.ID, ChatID: "@shop", MessageIDs: []int64{10}, Content: "header"})
	if err != nil {
		t.Fatal(err)
	}
	itemPost := catalog.Post{WeekID: next.ID, ItemID: a.ID, ChatID: "@shop", MessageIDs: []int64{11, 12, 13}, ButtonMessageID: 14, Content: "A — 150.000 ₫"}
	added, err := s.AddPost(ctx, itemPost)
	if err != nil {
		t.Fatal(err)
	}
	if header.ID == 0 || added.ID == 0 || header.ID == added.ID {
		t.Fatalf("post ids %d, %d", header.ID, added.ID)
	}

	dupes := []struct {
		name string
		p    catalog.Post
	}{
		{"header again", catalog.Post{WeekID: next.ID, ChatID: "@shop", MessageIDs: []int64{20}, Content: "header 2"}},
		{"item again", catalog.Post{WeekID: next.ID, ItemID: a.ID, ChatID: "@shop", MessageIDs: []int64{21}, Content: "A again"}},
	}
	for _, d := range dupes {
		if _, err := s.AddPost(ctx, d.p); !errors.Is(err, catalog.ErrPosted) {
			t.Errorf("%s: %v, want ErrPosted", d.name, err)
		}
	}
	// Another week has a header of its own.
	if _, err := s.AddPost(ctx, catalog.Post{WeekID: w.ID, ChatID: "@shop", MessageIDs: []int64{1}, Content: "old header"}); err != nil {
		t.Errorf("header of another week: %v", err)
	}
	if _, err := s.AddPost(ctx, catalog.Post{WeekID: next.ID, ItemID: b.ID, ChatID: "@shop", MessageIDs: []int64{15}, ButtonMessageID: 15, Content: "B"}); err != nil {
		t.Fatal(err)
	}

	got, err := s.ItemPost(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	itemPost.ID = added.ID
	if got.ID != itemPost.ID || got.WeekID != itemPost.WeekID || got.ItemID != a.ID || got.ChatID != "@shop" ||
		!slices.Equal(got.MessageIDs, itemPost.MessageIDs) || got.ButtonMessageID != 14 || got.Content != itemPost.Content {
		t.Errorf("ItemPost = %+v, want %+v", got, itemPost)
	}
	if err := s.SetPostContent(ctx, added.ID, "A — sold out", 0); err != nil {
		t.Fatal(err)
	}

	posts, err := s.Posts(ctx, next.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(posts) != 3 || posts[0].ID != header.ID || posts[0].ItemID != 0 || posts[1].ItemID != a.ID || posts[2].ItemID != b.ID {
		t.Fatalf("Posts = %+v, want the header then A and B", posts)
	}
	if posts[1].Content != "A — sold out" || posts[1].ButtonMessageID != 0 {
		t.Errorf("after SetPostContent: %+v", posts[1])
	}

	// A deleted item's post stays, withdrawn, until the publisher drops it.
	wd := catalog.Withdrawal{Caption: "A\n🚫 No longer available", Button: "🚫 No longer available"}
	if err := s.DeleteItem(ctx, a.ID, wd); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ItemPost(ctx, a.ID); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("ItemPost of a deleted item: %v", err)
	}
	if posts, err := s.Posts(ctx, next.ID); err != nil || len(posts) != 2 || posts[0].ID != header.ID || posts[1].ItemID != b.ID {
		t.Errorf("Posts after deleting an item: %+v, %v", posts, err)
	}
	withdrawn, err := s.WithdrawnPosts(ctx, next.ID)
	if err != nil || len(withdrawn) != 1 || withdrawn[0].ID != added.ID || withdrawn[0].ItemID != 0 ||
		withdrawn[0].Withdrawn == nil || *withdrawn[0].Withdrawn != wd || !slices.Equal(withdrawn[0].MessageIDs, itemPost.MessageIDs) {
		t.Fatalf("WithdrawnPosts = %+v, %v", withdrawn, err)
	}
	if err := s.DropPost(ctx, header.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DropPost(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if withdrawn, err := s.WithdrawnPosts(ctx, next.ID); err != nil || len(withdrawn) != 0 {
		t.Errorf("WithdrawnPosts after DropPost: %+v, %v", withdrawn, err)
	}
	if posts, err := s.Posts(ctx, next.ID); err != nil || len(posts) != 2 {
		t.Errorf("DropPost of a post not withdrawn (the header) dropped it: %+v, %v", posts, err)
	}

	// A post that went out while its item was deleted is refused as the item's, and
	// recorded withdrawn instead: no second header, and the publisher takes it out.
	late := catalog.Post{WeekID: next.ID, ItemID: a.ID, ChatID: "@shop", MessageIDs: []int64{20, 21}, Content: "A"}
	if _, err := s.AddPost(ctx, late); !errors.Is(err, catalog.ErrItemGone) {
		t.Errorf("AddPost of a deleted item's post: %v, want ErrItemGone", err)
	}
	late.ItemID, late.Withdrawn = 0, &wd
	if late, err = s.AddPost(ctx, late); err != nil {
		t.Fatal(err)
	}
	withdrawn, err = s.WithdrawnPosts(ctx, next.ID)
	if err != nil || len(withdrawn) != 1 || withdrawn[0].ID != late.ID || *withdrawn[0].Withdrawn != wd ||
		!slices.Equal(withdrawn[0].MessageIDs, []int64{20, 21}) {
		t.Errorf("WithdrawnPosts after a withdrawn AddPost = %+v, %v", withdrawn, err)
	}
	if posts, err := s.Posts(ctx, next.ID); err != nil || len(posts) != 2 || posts[0].ID != header.ID {
		t.Errorf("Posts after a withdrawn AddPost: %+v, %v", posts, err)
	}
}

func TestRuleStore(t *testing.T) {
	t.Parallel()
	s := storeForTest(t)
	ctx := context.Background()
	if _, err := s.Rule(ctx); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("Rule before any is set: %v", err)
	}
	rules := []catalog.Rule{
		{PublishDay: time.Monday, PublishMinute: 600, CloseDay: time.Thursday, CloseMinute: 1080},
		{PublishDay: time.Sunday, PublishMinute: 0, CloseDay: time.Saturday, CloseMinute: 1439},
	}
	for i, r := range rules {
		if err := s.SetRule(ctx, r, int64(i+1)); err != nil {
			t.Fatal(err)
		}
		got, err := s.Rule(ctx)
		if err != nil || got != r {
			t.Errorf("Rule = %+v, %v; want %+v", got, err, r)
		}
	}
	if err := s.ClearRule(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rule(ctx); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Rule after ClearRule: %v", err)
	}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestRuleNext(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	hcm := mustLoad(t, "Asia/Ho_Chi_Minh")
	cairo := mustLoad(t, "Africa/Cairo")
	ny := mustLoad(t, "America/New_York")
	at := func(loc *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
		return time.Date(y, m, d, hh, mm, 0, 0, loc)
	}
	rule := func(pd time.Weekday, ph, pm int, cd time.Weekday, ch, cm int) catalog.Rule {
		return catalog.Rule{PublishDay: pd, PublishMinute: ph*60 + pm, CloseDay: cd, CloseMinute: ch*60 + cm}
	}
	monThu := rule(time.Monday, 10, 0, time.Thursday, 18, 0)

	// 2024-03-04 is a Monday; New York moves its clocks forward on Sunday 2024-03-10 and
	// back on Sunday 2024-11-03; Cairo forward on Friday 2024-04-26.
	tests := []struct {
		name                 string
		rule                 catalog.Rule
		loc                  *time.Location
		now                  time.Time
		wantPublish, wantEnd time.Time
	}{
		{"utc, mid-week", monThu, utc, at(utc, 2024, 3, 6, 12, 0), at(utc, 2024, 3, 11, 10, 0), at(utc, 2024, 3, 14, 18, 0)},
		{"utc, exactly at the publish minute", monThu, utc, at(utc, 2024, 3, 4, 10, 0), at(utc, 2024, 3, 11, 10, 0), at(utc, 2024, 3, 14, 18, 0)},
		{"utc, a second before the publish minute", monThu, utc, at(utc, 2024, 3, 4, 10, 0).Add(-time.Second), at(utc, 2024, 3, 4, 10, 0), at(utc, 2024, 3, 7, 18, 0)},
		{"utc, a nanosecond after the publish minute", monThu, utc, at(utc, 2024, 3, 4, 10, 0).Add(time.Nanosecond), at(utc, 2024, 3, 11, 10, 0), at(utc, 2024, 3, 14, 18, 0)},
		{"utc, publish later the same day", monThu, utc, at(utc, 2024, 3, 4, 0, 0), at(utc, 2024, 3, 4, 10, 0), at(utc, 2024, 3, 7, 18, 0)},
		{"close day before publish day in the week", rule(time.Friday, 10, 0, time.Tuesday, 18, 0), utc,
			at(utc, 2024, 3, 6, 12, 0), at(utc, 2024, 3, 8, 10, 0), at(utc, 2024, 3, 12, 18, 0)},
		{"close same day, earlier time: following week", rule(time.Monday, 10, 0, time.Monday, 9, 0), utc,
			at(utc, 2024, 3, 6, 12, 0), at(utc, 2024, 3, 11, 10, 0), at(utc, 2024, 3, 18, 9, 0)},
		{"close same day, later time: same day", rule(time.Monday, 10, 0, time.Monday, 22, 30), utc,
			at(utc, 2024, 3, 6, 12, 0), at(utc, 2024, 3, 11, 10, 0), at(utc, 2024, 3, 11, 22, 30)},
		{"saturday to sunday across the week end", rule(time.Saturday, 23, 0, time.Sunday, 1, 0), utc,
			at(utc, 2024, 3, 9, 23, 30), at(utc, 2024, 3, 16, 23, 0), at(utc, 2024, 3, 17, 1, 0)},
		{"ho chi minh, already monday locally", monThu, hcm,
			at(utc, 2024, 3, 10, 20, 0), at(hcm, 2024, 3, 11, 10, 0), at(hcm, 2024, 3, 14, 18, 0)},
		{"ho chi minh, exactly at the publish minute", monThu, hcm,
			at(utc, 2024, 3, 4, 3, 0), at(hcm, 2024, 3, 11, 10, 0), at(hcm, 2024, 3, 14, 18, 0)},
		{"ho chi minh, publish later the same local morning", monThu, hcm,
			at(utc, 2024, 3, 4, 1, 0), at(hcm, 2024, 3, 4, 10, 0), at(hcm, 2024, 3, 7, 18, 0)},
		{"cairo, cut-off after the clocks go forward", rule(time.Thursday, 20, 0, time.Saturday, 12, 0), cairo,
			at(cairo, 2024, 4, 24, 9, 0), at(cairo, 2024, 4, 25, 20, 0), at(cairo, 2024, 4, 27, 12, 0)},
		{"new york, publication after the clocks go forward", monThu, ny,
			at(ny, 2024, 3, 8, 12, 0), at(ny, 2024, 3, 11, 10, 0), at(ny, 2024, 3, 14, 18, 0)},
		{"new york, forward between publication and cut-off", rule(time.Saturday, 10, 0, time.Monday, 10, 0), ny,
			at(ny, 2024, 3, 8, 12, 0), at(ny, 2024, 3, 9, 10, 0), at(ny, 2024, 3, 11, 10, 0)},
		{"new york, back between publication and cut-off", rule(time.Saturday, 10, 0, time.Monday, 10, 0), ny,
			at(ny, 2024, 11, 1, 12, 0), at(ny, 2024, 11, 2, 10, 0), at(ny, 2024, 11, 4, 10, 0)},
		{"new york, saturday evening locally, sunday in utc", rule(time.Sunday, 9, 0, time.Tuesday, 20, 0), ny,
			at(utc, 2024, 3, 10, 3, 0), at(ny, 2024, 3, 10, 9, 0), at(ny, 2024, 3, 12, 20, 0)},
		{"new york, publish later this saturday evening, already sunday in utc", rule(time.Saturday, 23, 0, time.Monday, 10, 0), ny,
			at(utc, 2024, 3, 10, 3, 0), at(ny, 2024, 3, 9, 23, 0), at(ny, 2024, 3, 11, 10, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			publish, closes := tt.rule.Next(tt.now, tt.loc)
			if !publish.Equal(tt.wantPublish) || !closes.Equal(tt.wantEnd) {
				t.Errorf("Next(%s) = %s, %s; want %s, %s", tt.now.In(tt.loc), publish.In(tt.loc), closes.In(tt.loc), tt.wantPublish, tt.wantEnd)
			}
			// The wall-clock times hold in loc whatever the offset.
			if p := publish.In(tt.loc); p.Weekday() != tt.rule.PublishDay || p.Hour()*60+p.Minute() != tt.rule.PublishMinute {
				t.Errorf("publication at %s, not on the rule's day and minute", p)
			}
			if got := tt.rule.NextClose(publish, tt.loc); !got.Equal(closes) {
				t.Errorf("NextClose(publication) = %s, Next gave cut-off %s", got, closes)
			}
		})
	}
}

func TestRuleNextClose(t *testing.T) {
	t.Parallel()
	hcm := mustLoad(t, "Asia/Ho_Chi_Minh")
	ny := mustLoad(t, "America/New_York")
	cairo := mustLoad(t, "Africa/Cairo")
	r := catalog.Rule{PublishDay: time.Monday, PublishMinute: 600, CloseDay: time.Thursday, CloseMinute: 18 * 60}
	tests := []struct {
		name string
		loc  *time.Location
		from time.Time
		want time.Time
	}{
		{"utc, earlier the same day", time.UTC, time.Date(2024, 3, 7, 9, 0, 0, 0, time.UTC), time.Date(2024, 3, 7, 18, 0, 0, 0, time.UTC)},
		{"utc, exactly at the cut-off", time.UTC, time.Date(2024, 3, 7, 18, 0, 0, 0, time.UTC), time.Date(2024, 3, 14, 18, 0, 0, 0, time.UTC)},
		{"ho chi minh, thursday in utc already past 18:00 locally", hcm, time.Date(2024, 3, 7, 12, 0, 0, 0, time.UTC), time.Date(2024, 3, 14, 18, 0, 0, 0, hcm)},
		{"ho chi minh, wednesday in utc, thursday locally", hcm, time.Date(2024, 3, 6, 20, 0, 0, 0, time.UTC), time.Date(2024, 3, 7, 18, 0, 0, 0, hcm)},
		{"new york across the change", ny, time.Date(2024, 3, 8, 0, 0, 0, 0, ny), time.Date(2024, 3, 14, 18, 0, 0, 0, ny)},
		{"cairo across the change", cairo, time.Date(2024, 4, 25, 19, 0, 0, 0, cairo), time.Date(2024, 5, 2, 18, 0, 0, 0, cairo)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := r.NextClose(tt.from, tt.loc)
			if !got.Equal(tt.want) || got.In(tt.loc).Hour() != 18 {
				t.Errorf("NextClose(%s) = %s, want %s", tt.from, got.In(tt.loc), tt.want)
			}
		})
	}
}

func TestListPurchases(t *testing.T) {
	t.Parallel()
	db := migratedDB(t)
	s := catalog.NewStore(db)
	ctx := context.Background()
	first := liveWeek(t, s, "First", t0, t0.Add(72*time.Hour))
	second := liveWeek(t, s, "Second", t0.Add(time.Hour), t0.Add(72*time.Hour)) // closes the first
	if _, err := s.CloseWeek(ctx, second.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	liveWeek(t, s, "Third", t0.Add(3*time.Hour), t0.Add(72*time.Hour)) // open: no list yet
	pending := func() (n int) {
		if err := db.Get(&n, `SELECT count(*) FROM outbox`); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A list that cannot be made leaves nothing written and the week to list again.
	broken := errors.New("purchases unreadable")
	listed, err := s.ListPurchases(ctx, func(context.Context, catalog.Week) ([]outbox.Message, error) { return nil, broken })
	if !errors.Is(err, broken) || len(listed) != 0 || pending() != 0 {
		t.Fatalf("a failed list: %v, %v, %d messages", weekIDs(listed), err, pending())
	}

	const callers = 8
	var got []int64
	for _, ws := range testenv.Race(callers, func(int) []catalog.Week {
		ws, err := s.ListPurchases(ctx, func(_ context.Context, w catalog.Week) ([]outbox.Message, error) {
			return []outbox.Message{{ChatID: 1, Kind: "purchases", Text: w.Title}, {ChatID: 2, Kind: "purchases", Text: w.Title}}, nil
		})
		if err != nil {
			t.Error(err)
		}
		return ws
	}) {
		got = append(got, weekIDs(ws)...)
	}
	slices.Sort(got)
	if want := []int64{first.ID, second.ID}; !slices.Equal(got, want) {
		t.Errorf("weeks listed across %d callers: %v, want %v", callers, got, want)
	}
	// Each week's messages, once (callers listing different weeks at once may commit in
	// either order).
	var texts []string
	if err := db.Select(&texts, `SELECT chat_id || ':' || text FROM outbox ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"1:First", "1:Second", "2:First", "2:Second"}; !slices.Equal(texts, want) {
		t.Errorf("outbox holds %q, want %q", texts, want)
	}
	again, err := s.ListPurchases(ctx, func(context.Context, catalog.Week) ([]outbox.Message, error) {
		t.Error("a listed week handed out again")
		return nil, nil
	})
	if err != nil || len(again) != 0 {
		t.Errorf("listing again: %v, %v", weekIDs(again), err)
	}
}
