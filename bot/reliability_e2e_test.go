package bot_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/orders"
)

func redelivered() harnessOption {
	return func(h *harness) { h.fakeOpts = append(h.fakeOpts, telegramtest.WithRedelivery()) }
}

// Every update arrives twice: each is handled once, so a whole booking and the sellers'
// work on it give one order, one transition per action and one message per notice.
func TestEveryUpdateDeliveredTwiceIsHandledOnce(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"long polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := shopHarness(t, redelivered())
			if mode == "webhook" {
				h.webhooks()
			}
			h.start()
			_, s2 := sellers(t, h)
			dress, _ := liveShop(t, h, map[string]int{"S": 5})
			u := h.user(7601, "Mai", "en")
			_, r2 := receiptAtSeller(t, h, s2, u, dress, 2, 8)
			s2.Press(t, r2, h.text("en", "desk.paid_button"))
			u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "💰") })
			time.Sleep(300 * time.Millisecond)

			var n, paid, receipts, outbox int
			h.db.Get(&n, `SELECT count(*) FROM orders`)
			h.db.Get(&paid, `SELECT count(*) FROM order_events WHERE to_status = 'paid'`)
			h.db.Get(&receipts, `SELECT count(*) FROM receipts`)
			h.db.Get(&outbox, `SELECT count(*) FROM outbox WHERE kind = 'status_paid'`)
			if n != 1 || paid != 1 || receipts != 1 || outbox != 1 || stockOf(t, h, dress, "S") != 3 {
				t.Errorf("orders %d, paid transitions %d, receipts %d, paid notices %d, stock %d", n, paid, receipts, outbox, stockOf(t, h, dress, "S"))
			}
			// Every answer came once.
			seen := map[string]bool{}
			for _, m := range u.Messages() {
				key := m.Body()
				if m.Photo != nil {
					key = "photo:" + key
				}
				if seen[key] && !strings.HasPrefix(key, "photo:") {
					t.Errorf("the customer got %q twice", key)
				}
				seen[key] = true
			}
			noErrors(t, h)
		})
	}
}

func TestOneFloodingCustomerIsSlowedDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	spammer := h.user(7701, "Spam", "en")
	other := h.user(7702, "Calm", "en")
	for range 60 {
		spammer.SendText("hello?")
	}
	other.SendText("/help")
	if m := other.Next(t); !strings.HasPrefix(m.Text, h.text("en", "help.customer")) {
		t.Errorf("the other customer got %q", m.Text)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && h.fake.PendingUpdates() > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	answers, slowDown := 0, 0
	for _, m := range spammer.Messages() {
		switch m.Text {
		case h.text("en", "error.slow_down"):
			slowDown++
		default:
			answers++
		}
	}
	if answers != 30 || slowDown != 1 {
		t.Errorf("the spammer got %d answers and %d warnings for 60 messages", answers, slowDown)
	}
}

// Redis restarted with its data lost: people mid-conversation are told it started over,
// and their orders are intact. What they typed is not thrown away: it is offered to the
// shop, as any words no step waits for (a customer back after their conversation expired
// asks about an item, say).
func TestRedisDataLostMidCheckout(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(7801, "Tam", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	d := deliveryQuestion(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, d, h.text("en", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > d.ID && m.Text == h.text("en", "checkout.name_prompt")
	})

	keys, err := h.rdb.Keys(context.Background(), h.prefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	h.rdb.Del(context.Background(), keys...)
	from := lastID(u)
	u.SendText("Trần Văn Tâm")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "session.restarted") })
	offer := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "ask.offer") })
	seller := h.user(admin1, "Lan", "vi")
	before := lastID(seller)
	u.Press(t, offer, h.text("en", "ask.send_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > before && strings.Contains(m.Text, "Trần Văn Tâm")
	})
	if status := statusOf(t, h, o.ID); status != orders.AwaitingPayment {
		t.Errorf("order %s after Redis lost its data", status)
	}
	noErrors(t, h)
}

// A whole booking with delivery details and a receipt leaves no personal data and no
// token in the logs.
func TestLogsOfAFullBookingHoldNoPersonalData(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.fake.DropNext("getUpdates", 1) // an error that carries the token in its URL
	h.start()
	_, s2 := sellers(t, h)
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.fake.User(7901, "Nguyễn Thị Mai", "maimai88", "vi")
	added := book(t, h, u, dress, "S", 1)
	summary := checkoutShipping(t, h, u, added)
	u.Press(t, summary, h.text("vi", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "✅") })
	u.SendPhoto(photo(t, 3), "")
	r2 := s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil })
	s2.Press(t, r2, h.text("en", "desk.paid_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "💰") })
	logs := h.logs.String()
	for _, secret := range []string{h.fake.Token(), "+84912345678", "912345678", "Lý Thường Kiệt", "Hoàn Kiếm", "Nguyễn Thị Mai", "maimai88"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, `"update_id"`) {
		t.Error("nothing was logged: the scan proves nothing")
	}
}

// panicOnce panics in the Redis command that touches key when its count runs out: a
// failure nobody foresaw, in the middle of an update.
type panicOnce struct {
	key  string
	left *atomic.Int32 // commands on key still let through; 0: never panics
}

func (panicOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (p panicOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if p.left.Load() > 0 && slices.Contains(cmd.Args(), any(p.key)) && p.left.Add(-1) == 0 {
			panic("test: a failure nobody foresaw")
		}
		return next(ctx, cmd)
	}
}

func (panicOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// A panic while an update is handled is apologised for in the language the customer
// chose, not their Telegram one.
func TestPanicIsApologisedForInTheChosenLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	left := &atomic.Int32{}
	h.tune = append(h.tune, func(o *bot.Options) { o.RedisHook = panicOnce{key: h.prefix + "session:321", left: left} })
	h.start()
	u := h.user(321, "Lan", "en")
	u.SendText("/language")
	picker := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "language.choose") })
	u.Press(t, picker, "Tiếng Việt")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == picker.ID && m.Text == h.text("vi", "language.set") })

	// Once the choice is saved, the next update reads the session, then panics saving it.
	deadline := time.Now().Add(10 * time.Second)
	for h.rdb.Exists(context.Background(), h.prefix+"lock:321").Val() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the language choice holds its lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	left.Store(2)
	u.SendText("/help")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "error.internal") })
	if !strings.Contains(h.logs.String(), "handler panic") {
		t.Error("the panic was not logged")
	}
}

// panicOnSend panics in the first sendMessage to chat once armed: a failure nobody
// foresaw, inside a handler.
type panicOnSend struct {
	chat  string
	armed *atomic.Bool
}

func (p panicOnSend) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasSuffix(r.URL.Path, "/sendMessage") && p.armed.Load() {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if strings.Contains(string(body), `"chat_id":"`+p.chat+`"`) && p.armed.CompareAndSwap(true, false) {
			panic("test: a failure nobody foresaw")
		}
	}
	return http.DefaultTransport.RoundTrip(r)
}

// A handler that panics is apologised for like any failure, and the person's next update
// is answered at once: their session is released, not held until the process ends.
func TestAPanickingHandlerLeavesThePersonFree(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	armed := &atomic.Bool{}
	h.tune = append(h.tune, func(o *bot.Options) { o.APITransport = panicOnSend{chat: "322", armed: armed} })
	h.start()
	u := h.user(322, "Hoa", "ar")
	u.SendText("/help")
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, h.text("ar", "help.customer")) })

	armed.Store(true)
	u.SendText("/help")
	apology := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("ar", "error.internal") })
	start := time.Now()
	u.SendText("/help")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > apology.ID && strings.HasPrefix(m.Text, h.text("ar", "help.customer"))
	})
	if waited := time.Since(start); waited > 3*time.Second {
		t.Errorf("the update after the panic waited %v for the session", waited)
	}
	if !strings.Contains(h.logs.String(), "test: a failure nobody foresaw") {
		t.Error("the panic was not logged")
	}
}
