package bot_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/locale"
)

const (
	admin1 int64 = 1001
	admin2 int64 = 1002
)

// harness runs the real bot, built the way main builds it, against the fake Bot API and
// the test's own Postgres schema and Redis prefix.
type harness struct {
	t      *testing.T
	fake   *telegramtest.Server
	env    map[string]string
	db     *sqlx.DB
	rdb    *redis.Client
	prefix string
	texts  *locale.Bundle
	logs   *syncBuffer
	limits telegramtest.Limits
	// tune adjusts the bot's options before each start.
	tune []func(*bot.Options)
	// onStart runs for each bot started.
	onStart []func(*running)
	// fakeOpts configure the fake Bot API further.
	fakeOpts []telegramtest.Option

	pgProxy, redisProxy *testenv.Proxy
	channel             *telegramtest.Chat
}

type harnessOption func(*harness)

// atTelegramRate gives the fake Telegram's own limits.
func atTelegramRate() harnessOption {
	return func(h *harness) { h.limits = telegramtest.DefaultLimits() }
}

// throughProxies routes the bot's Postgres and Redis connections through proxies the test
// can cut.
func throughProxies() harnessOption {
	return func(h *harness) {
		pg, _ := url.Parse(h.env["DATABASE_URL"])
		h.pgProxy = testenv.NewProxy(h.t, pg.Host)
		pg.Host = h.pgProxy.Addr()
		h.env["DATABASE_URL"] = pg.String()

		rd, _ := url.Parse(h.env["REDIS_URL"])
		h.redisProxy = testenv.NewProxy(h.t, rd.Host)
		rd.Host = h.redisProxy.Addr()
		h.env["REDIS_URL"] = rd.String()
	}
}

func withEnv(key, value string) harnessOption {
	return func(h *harness) { h.env[key] = value }
}

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	dsn, db := testenv.Postgres(t)
	rdb, prefix := testenv.Redis(t)
	texts, err := locale.New()
	if err != nil {
		t.Fatal(err)
	}
	// The people in these tests answer the bot within a millisecond, where people take
	// seconds, so the per-chat rate is scaled by a hundred thousand: the bot may still
	// send no more than Telegram's burst in answer to one message. The other limits are
	// Telegram's; atTelegramRate keeps Telegram's own per-chat rate.
	limits := telegramtest.DefaultLimits()
	limits.PrivateRate *= 100000
	h := &harness{
		t: t, db: db, rdb: rdb, prefix: prefix, texts: texts, logs: &syncBuffer{}, limits: limits,
		env: map[string]string{
			"DATABASE_URL": dsn,
			"REDIS_URL":    testenv.RedisURL(),
			"ADMIN_IDS":    strconv.FormatInt(admin1, 10) + "," + strconv.FormatInt(admin2, 10),
			"HTTP_ADDR":    "127.0.0.1:0",
			// Tests about the daily backup turn it on with a clock of their own.
			"BACKUP_TIME": "off",
		},
	}
	for _, o := range opts {
		o(h)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bot logs:\n%s", h.logs)
		}
	})
	h.fake = telegramtest.NewServer(t, append([]telegramtest.Option{telegramtest.WithBotName("Lan's Boutique"),
		telegramtest.WithLimits(h.limits)}, h.fakeOpts...)...)
	h.env["BOT_TOKEN"] = h.fake.Token()
	h.env["TELEGRAM_API_URL"] = h.fake.URL()
	// The first seller has opened the bot before; the second has not, yet.
	h.fake.User(admin1, "Lan", "lan_shop", "vi")
	if h.env["CHANNEL_ID"] != "" {
		h.channel = h.fake.Channel(-1001234567890, "Lan's Boutique", "lans_boutique")
	}
	return h
}

// running is one bot process.
type running struct {
	app    *bot.App
	cancel context.CancelFunc
	done   chan error
}

func (h *harness) start() *running {
	h.t.Helper()
	cfg, err := bot.LoadConfig(func(k string) string { return h.env[k] })
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts := bot.Options{
		Logger:         logger,
		KeyPrefix:      h.prefix,
		StartupTimeout: 10 * time.Second,
		PollTimeout:    2 * time.Second,
		Tick:           50 * time.Millisecond,
		// The outbox paces itself by Telegram's limits; the test's fake is as much
		// faster as its people are.
		ChatRate: 1000,
	}
	for _, f := range h.tune {
		f(&opts)
	}
	app, err := bot.New(ctx, cfg, opts)
	if err != nil {
		cancel()
		h.t.Fatalf("bot.New: %v", err)
	}
	r := &running{app: app, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- app.Run(ctx) }()
	for _, f := range h.onStart {
		f(r)
	}
	h.t.Cleanup(func() { r.stop(h.t) })
	return r
}

// stop is SIGTERM: it returns once the process has finished.
func (r *running) stop(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the bot did not stop within 30s")
	}
}

// user is a customer with a private chat.
func (h *harness) user(id int64, name, lang string) *telegramtest.User {
	return h.fake.User(id, name, "", lang)
}

func (h *harness) text(lang, id string, args ...locale.Args) string {
	return plain(h.texts.T(lang, id, args...))
}

// syncBuffer collects the bot's log output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// noErrors fails the test for any error answer of the fake but the "chat not found" of
// what goes to the seller who has not opened the bot (admin2), the codes listed, and a
// stopped process's long poll, which its successor's first poll ends with a 409 as on
// Telegram (nobody is listening for that answer any more).
// waitHeld waits for a call the fake holds (telegramtest.Server.HoldNext) to be made.
func waitHeld(t *testing.T, held <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s never went out", what)
	}
}

// copyEditedTwice is the second edit of a seller's copy of an order delivered as the order
// changed: brought up to the order by the change and by its delivery, it was not modified.
func copyEditedTwice(e telegramtest.ErrorAnswer) bool {
	return (e.ChatID == admin1 || e.ChatID == admin2) && strings.Contains(e.Description, "message is not modified")
}

func noErrors(t *testing.T, h *harness, allowed ...int) {
	t.Helper()
	for _, e := range h.fake.Errors() {
		if copyEditedTwice(e) || e.RawChatID == strconv.FormatInt(admin2, 10) && e.Code == 400 && strings.Contains(e.Description, "chat not found") ||
			e.Method == "getUpdates" && e.Code == 409 && strings.Contains(e.Description, "terminated by other getUpdates") ||
			slices.Contains(allowed, e.Code) {
			continue
		}
		t.Errorf("the fake answered an error: %+v", e)
	}
}

// countStarting counts the messages whose text starts with prefix.
func countStarting(msgs []telegramtest.Message, prefix string) int {
	n := 0
	for _, m := range msgs {
		if strings.HasPrefix(m.Text, prefix) {
			n++
		}
	}
	return n
}

// toldOf counts the messages that told a seller of an order as new: its own notice, or
// the notice of the new orders that waited for the seller's chat together. One, when all
// is well.
func toldOf(s *telegramtest.User, code string) int {
	n := 0
	for _, m := range s.Messages() {
		if strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, code) {
			n++
		}
	}
	return n
}

// waitAnswers waits until a person's button presses got n answers and returns them; it
// fails the test if they do not come.
// pressAnswered presses a button and returns what the bot answered the press with.
func pressAnswered(t *testing.T, u *telegramtest.User, m telegramtest.Message, button string) string {
	t.Helper()
	before := len(u.CallbackAnswers())
	u.Press(t, m, button)
	return waitAnswers(t, u, before+1)[before].Text
}

// wantStale presses a button of an English-speaking person that should be stale.
func wantStale(t *testing.T, h *harness, u *telegramtest.User, m telegramtest.Message, button string) {
	t.Helper()
	if got := pressAnswered(t, u, m, button); got != h.text("en", "callback.stale") {
		t.Errorf("%q answered %q, want stale", button, got)
	}
}

func waitAnswers(t *testing.T, u *telegramtest.User, n int) []telegramtest.CallbackAnswer {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(u.CallbackAnswers()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	answers := u.CallbackAnswers()
	if len(answers) != n {
		t.Fatalf("%d answers to %s's button presses, want %d: %+v", len(answers), u.FirstName, n, answers)
	}
	return answers
}

// withChannel gives the shop a channel the bot posts to, with Telegram's channel limit
// sped up by factor and the bot's own pace sped up alike.
func withChannel(factor float64) harnessOption {
	return func(h *harness) {
		h.env["CHANNEL_ID"] = "@lans_boutique"
		h.limits.GroupRate *= factor
		h.limits.GroupEditRate *= factor
		h.tune = append(h.tune, func(o *bot.Options) { o.ChannelRate = 20.0 / 60 * factor })
	}
}

// testClock is a clock the test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func withClock(c *testClock) harnessOption {
	return func(h *harness) { h.tune = append(h.tune, func(o *bot.Options) { o.Now = c.Now }) }
}

// webhooks runs the bots in webhook mode behind one HTTPS address, as behind a load
// balancer: each update goes to the next running bot in turn.
func (h *harness) webhooks() *balancer {
	b := &balancer{}
	srv := httptest.NewTLSServer(b)
	h.t.Cleanup(srv.Close)
	h.env["WEBHOOK_URL"] = srv.URL + "/telegram/hook"
	h.env["WEBHOOK_SECRET"] = "balanced-Secret_1"
	h.onStart = append(h.onStart, func(r *running) { b.add(r.app.HTTPAddr()) })
	return b
}

// balancer is a round-robin reverse proxy to the bots' HTTP addresses.
type balancer struct {
	mu      sync.Mutex
	targets []string
	next    int
}

func (b *balancer) add(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.targets = append(b.targets, addr)
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	if len(b.targets) == 0 {
		b.mu.Unlock()
		http.Error(w, "no backend", http.StatusBadGateway)
		return
	}
	target := b.targets[b.next%len(b.targets)]
	b.next++
	b.mu.Unlock()
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: target})
	// A stopped bot refuses: Telegram sees a 502 and delivers again, as from a real balancer.
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) }
	proxy.ServeHTTP(w, r)
}

// insecureTLS trusts the test's own HTTPS servers.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }
