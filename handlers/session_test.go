package handlers

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/internal/testenv"
)

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := NewSessions(rdb, prefix, time.Hour, 10*time.Second)
	ctx := context.Background()

	l, err := s.Acquire(ctx, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Found {
		t.Fatal("a new person has a session")
	}
	l.Session = Session{Step: StepSetPickup, Lang: "ar"}
	if err := l.Save(ctx); err != nil {
		t.Fatal(err)
	}
	l, err = s.Acquire(ctx, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !l.Found || l.Session.Step != StepSetPickup || l.Session.Lang != "ar" {
		t.Fatalf("loaded %+v (found %v)", l.Session, l.Found)
	}
	l.Session.Step = StepNone
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l, err = s.Acquire(ctx, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	if l.Session.Step != StepSetPickup {
		t.Errorf("Release changed the stored session: %+v", l.Session)
	}
	l.Release(ctx)
	ttl := rdb.PTTL(ctx, prefix+"session:7").Val()
	if ttl <= 0 || ttl > time.Hour {
		t.Errorf("session TTL %v", ttl)
	}
}

// Two updates of one person must never run interleaved, even from different processes,
// which share nothing but Redis: here, two stores on two clients.
func TestSessionLockSerialisesOnePerson(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	other, _ := testenv.Redis(t)
	stores := []*Sessions{NewSessions(rdb, prefix, time.Hour, 10*time.Second), NewSessions(other, prefix, time.Hour, 10*time.Second)}
	ctx := context.Background()

	var inside, maxInside atomic.Int32
	var wg sync.WaitGroup
	const workers = 20
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := stores[i%2].Acquire(ctx, 99, 0)
			if err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := maxInside.Load()
				if n <= m || maxInside.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(2 * time.Millisecond)
			l.Session.Lang += "x"
			inside.Add(-1)
			if err := l.Save(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once", maxInside.Load())
	}
	l, err := stores[0].Acquire(ctx, 99, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if len(l.Session.Lang) != workers {
		t.Errorf("lost updates: %d of %d saved", len(l.Session.Lang), workers)
	}
}

func TestSessionLockWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := NewSessions(rdb, prefix, time.Hour, 10*time.Second)
	held, err := s.Acquire(context.Background(), 5, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Release(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := s.Acquire(ctx, 5, 0); !errors.Is(err, ErrBusy) || !Unavailable(err) {
		t.Errorf("waiting on a held lock: %v", err)
	}
	// Another person is not held up.
	l, err := s.Acquire(context.Background(), 6, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Release(context.Background())
}

// A holder that died frees its lock by expiry, and, if it comes back late, cannot
// overwrite the session its successor saved.
func TestSessionLockExpiresAndLateHolderCannotWrite(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := NewSessions(rdb, prefix, time.Hour, 10*time.Second)
	s.lockTTL = 50 * time.Millisecond
	ctx := context.Background()

	stale, err := s.Acquire(ctx, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	stale.stopRenewal() // its process died
	time.Sleep(80 * time.Millisecond)
	fresh, err := s.Acquire(ctx, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	fresh.Session.Lang = "vi"
	if err := fresh.Save(ctx); err != nil {
		t.Fatal(err)
	}
	stale.Session.Lang = "en"
	if err := stale.Save(ctx); err != nil {
		t.Fatal(err)
	}
	l, err := s.Acquire(ctx, 8, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if l.Session.Lang != "vi" {
		t.Errorf("late holder overwrote the session: %+v", l.Session)
	}
}

func TestUnavailableWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	opts := *rdb.Options()
	p := testenv.NewProxy(t, opts.Addr)
	opts.Addr = p.Addr()
	opts.MaxRetries = -1
	viaProxy := redis.NewClient(&opts)
	defer viaProxy.Close()
	s := NewSessions(viaProxy, prefix, time.Hour, 10*time.Second)

	p.Cut()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := s.Acquire(ctx, 1, 0)
	if err == nil || !Unavailable(err) {
		t.Fatalf("Acquire with Redis cut off: %v (unavailable %v)", err, Unavailable(err))
	}
	p.Restore()
	l, err := s.Acquire(ctx, 1, 0)
	if err != nil {
		t.Fatalf("after Redis came back: %v", err)
	}
	l.Release(ctx)
}

// A lock is renewed while its update is handled, however long that takes.
func TestSessionLockLivesWhileHeld(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	// A lifetime long enough for the renewals (every third of it) to be on time on a
	// machine busy with the race detector and other tests.
	s := NewSessions(rdb, prefix, time.Hour, 300*time.Millisecond)
	held, err := s.Acquire(context.Background(), 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	if taken, err := s.Acquire(ctx, 9, 0); !errors.Is(err, ErrBusy) {
		t.Errorf("took a lock held (and renewed) for 4 lock lifetimes: %v", err)
		if err == nil {
			taken.Release(context.Background())
		}
	}
	held.Release(context.Background())
	l, err := s.Acquire(context.Background(), 9, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Release(context.Background())
}

func TestSessionDuplicatesAndFlood(t *testing.T) {
	t.Parallel()
	rdb, prefix := testenv.Redis(t)
	s := NewSessions(rdb, prefix, time.Hour, time.Second)
	s.RateLimit = 3
	ctx := context.Background()
	l, err := s.Acquire(ctx, 10, 501)
	if err != nil {
		t.Fatal(err)
	}
	l.Release(ctx) // failed: not remembered
	l, err = s.Acquire(ctx, 10, 501)
	if err != nil {
		t.Fatalf("an update that failed is not handled again: %v", err)
	}
	l.Save(ctx)
	if _, err := s.Acquire(ctx, 10, 501); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a handled update again: %v", err)
	}
	// Two counted so far (a duplicate is not): one more is allowed, then the limit.
	if l, err = s.Acquire(ctx, 10, 502); err != nil {
		t.Fatalf("the third update in the window: %v", err)
	}
	l.Save(ctx)
	var flood *FloodError
	_, err = s.Acquire(ctx, 10, 503)
	if !errors.As(err, &flood) || !flood.First {
		t.Fatalf("the fourth update in the window: %v", err)
	}
	if _, err = s.Acquire(ctx, 10, 504); !errors.As(err, &flood) || flood.First {
		t.Errorf("the fifth update in the window: %v", err)
	}
	if l, err := s.Acquire(ctx, 11, 505); err != nil {
		t.Errorf("another person is limited too: %v", err)
	} else {
		l.Release(ctx)
	}
}

func TestSteppedCountsFromTheQuestion(t *testing.T) {
	asked := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	later := asked.Add(20 * time.Minute)
	s := Session{Step: StepSetPayment}
	s.stepped(StepNone, false, asked) // the question is asked
	if !s.StepAt.Equal(asked) {
		t.Fatalf("a new step: StepAt %v, want %v", s.StepAt, asked)
	}
	s.stepped(StepSetPayment, false, later) // a command or a button meanwhile
	if !s.StepAt.Equal(asked) {
		t.Errorf("another update moved StepAt to %v", s.StepAt)
	}
	s.stepped(StepSetPayment, true, later) // an answer refused: asked again
	if !s.StepAt.Equal(later) {
		t.Errorf("a refused answer: StepAt %v, want %v", s.StepAt, later)
	}
	// A session saved before StepAt was recorded counts from its last update.
	old := Session{Step: StepSetPayment, Seen: asked}
	old.stepped(StepSetPayment, false, later)
	if !old.askedAt().Equal(asked) {
		t.Errorf("an old session: asked at %v, want %v", old.askedAt(), asked)
	}
	old.Step = StepNone
	old.stepped(StepSetPayment, false, later)
	if !old.StepAt.IsZero() {
		t.Errorf("no step, yet StepAt %v", old.StepAt)
	}
}
