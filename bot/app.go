// Package bot is the ShopBot process: configuration, the telebot setup, long polling and
// webhook intake, middleware, the route table and the HTTP endpoints for health and metrics.
package bot

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // Postgres driver
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/internal/prepared"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// Options are the process settings that are not configuration a seller sets.
type Options struct {
	Logger *slog.Logger
	// KeyPrefix starts every Redis key of this shop.
	KeyPrefix string
	// StartupTimeout bounds the wait for Postgres, Redis and Telegram at start.
	StartupTimeout time.Duration
	// ShutdownTimeout bounds the wait for in-flight updates at stop.
	ShutdownTimeout time.Duration
	// HandlerTimeout bounds one update's handling.
	HandlerTimeout time.Duration
	// SessionTTL is how long a conversation lives after a person's last update.
	SessionTTL time.Duration
	// PollTimeout is the long-polling wait of one getUpdates call.
	PollTimeout time.Duration
	// Now is the clock schedules and cut-offs follow; tests move it.
	Now func() time.Time
	// Tick is how often the scheduler looks for due work.
	Tick time.Duration
	// ChannelRate is how many posts and edits a second go to the channel (Telegram
	// allows 20 a minute).
	ChannelRate float64
	// ExportRetry is how long after its first failure an export is tried again; the wait
	// grows with each attempt.
	ExportRetry time.Duration
	// ChannelRetry is how long the channel is left alone after it refused the bot (not an
	// admin there, say) before it is tried again.
	ChannelRetry time.Duration
	// SendRate and ChatRate pace the outbox: messages a second overall (Telegram allows
	// about 30) and to one chat (about 1).
	SendRate float64
	ChatRate float64
	// RemindBefore is how long before an unpaid order expires its customer is reminded.
	RemindBefore time.Duration
	// MessagesPerHour caps what one customer writes to the shop's sellers in an hour.
	MessagesPerHour int
	// DBDriver is the database/sql driver name for DATABASE_URL ("postgres", lib/pq, when
	// empty); the benchmark registers a lib/pq wrapper that counts statements.
	DBDriver string
	// RedisHook, when set, is added to the Redis client; the benchmark counts commands.
	RedisHook redis.Hook
	// APITransport, when set, carries the Bot API calls in place of the bot's own pool of
	// connections; tests wrap it to make a call fail.
	APITransport http.RoundTripper
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.KeyPrefix == "" {
		o.KeyPrefix = "shopbot:"
	}
	if o.StartupTimeout == 0 {
		o.StartupTimeout = time.Minute
	}
	if o.ShutdownTimeout == 0 {
		o.ShutdownTimeout = 25 * time.Second
	}
	if o.HandlerTimeout == 0 {
		o.HandlerTimeout = 15 * time.Second
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 7 * 24 * time.Hour
	}
	if o.PollTimeout == 0 {
		o.PollTimeout = 25 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tick == 0 {
		o.Tick = 5 * time.Second
	}
	if o.ChannelRate == 0 {
		o.ChannelRate = 20.0 / 60
	}
	if o.ExportRetry == 0 {
		o.ExportRetry = time.Minute
	}
	if o.ChannelRetry == 0 {
		o.ChannelRetry = time.Minute
	}
	if o.SendRate == 0 {
		o.SendRate = 25
	}
	if o.ChatRate == 0 {
		o.ChatRate = 1
	}
	if o.MessagesPerHour == 0 {
		o.MessagesPerHour = 20
	}
	if o.DBDriver == "" {
		o.DBDriver = "postgres"
	}
	return o
}

// App is a running shop bot.
type App struct {
	cfg     Config
	opts    Options
	log     *slog.Logger
	db      *sqlx.DB
	rdb     *redis.Client
	bot     *tele.Bot
	api     *http.Client
	texts   *locale.Bundle
	metrics *metrics

	// base is the parent of every update's context. It is not cancelled by shutdown, so
	// updates in flight when SIGTERM arrives still finish.
	base      context.Context
	listener  net.Listener
	server    *http.Server
	scheduler *scheduler
	sender    *sender
	handlers  *handlers.Handlers
	// answers are the button answers held for webhook replies, by update id.
	answers sync.Map
}

func (a *App) now() time.Time { return a.opts.Now() }

// New connects to Postgres (applying migrations), Redis and the Bot API, waiting a bounded
// time for each, and sets up the routes. Call Run to start serving.
func New(ctx context.Context, cfg Config, opts Options) (*App, error) {
	opts = opts.withDefaults()
	a := &App{
		cfg:     cfg,
		opts:    opts,
		log:     newRedactingLogger(opts.Logger, cfg.BotToken, cfg.WebhookSecret),
		metrics: newMetrics(),
		base:    context.WithoutCancel(ctx),
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()

	var err error
	if a.texts, err = locale.New(); err != nil {
		return nil, err
	}
	if err := a.connectPostgres(ctx); err != nil {
		return nil, err
	}
	if err := a.connectRedis(ctx); err != nil {
		return nil, err
	}
	if err := a.connectTelegram(ctx); err != nil {
		return nil, err
	}
	if a.listener, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("bot: HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	a.server = &http.Server{Handler: a.httpHandler(), ReadHeaderTimeout: 10 * time.Second}

	shop := orders.NewStore(a.db)
	cat := catalog.NewStore(a.db)
	box := outbox.NewStore(a.db)
	a.sender = newSender(a, box)
	if opts.RemindBefore == 0 {
		a.opts.RemindBefore = cfg.UnpaidOrderTTL / 4
	}
	a.scheduler = newScheduler(a, cat, shop, &channel.Publisher{
		Store:   cat,
		Bot:     a.bot,
		Channel: cfg.ChannelID,
		Render:  channel.Renderer{Texts: a.texts, Lang: cfg.DefaultLanguage, BotUsername: a.bot.Me.Username, Location: cfg.Timezone},
		Owner:   processName(),
		Limiter: rate.NewLimiter(rate.Limit(opts.ChannelRate), 1),
		Now:     a.now,
		Log:     a.log,
	})
	h := handlers.New(handlers.Deps{
		Texts:             a.texts,
		Shop:              shop,
		Sessions:          handlers.NewSessions(a.rdb, opts.KeyPrefix, opts.SessionTTL, 6*time.Second),
		IsAdmin:           cfg.IsAdmin,
		ShopName:          a.bot.Me.FirstName,
		DefaultLanguage:   cfg.DefaultLanguage,
		Log:               a.log,
		Catalog:           cat,
		Files:             a,
		Currency:          cfg.Currency.String(),
		Location:          cfg.Timezone,
		Now:               a.now,
		BotUsername:       a.bot.Me.Username,
		ChannelConfigured: cfg.ChannelID != "",
		Kick:              a.scheduler.Kick,
		WatchPublication:  a.scheduler.Watch,
		Orders:            shop,
		AdminIDs:          cfg.AdminIDs,
		UnpaidTTL:         cfg.UnpaidOrderTTL,
		Notify:            a.sender.Kick,
		Outbox:            box,
		Exporter:          shop,
		MessagesPerHour:   a.opts.MessagesPerHour,
	})
	a.handlers = h
	a.scheduler.handlers = h
	a.scheduler.outbox = box
	menus := newMenus(a, h, shop)
	h.ChatMenu, h.ChatMenuStale = menus.chat, menus.stale
	a.register(h)
	if err := menus.publish(ctx); err != nil {
		// The menu is a convenience: the bot works without it, and the next start retries.
		a.log.Warn("set the command menu", "err", err)
	}
	ok = true
	return a, nil
}

// HTTPAddr is the address the health, metrics and webhook endpoints listen on.
func (a *App) HTTPAddr() string { return a.listener.Addr().String() }

// Run serves updates until ctx ends, then stops taking new ones, lets the ones in flight
// finish (up to the shutdown timeout) and releases everything.
func (a *App) Run(ctx context.Context) error {
	defer a.close()
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.server.Serve(a.listener) }()

	runCtx, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	schedulerDone := make(chan struct{})
	go func() {
		defer close(schedulerDone)
		a.scheduler.run(runCtx)
	}()
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		a.sender.run(runCtx)
	}()
	intake := make(chan error, 1)
	if a.cfg.Webhook() {
		go func() { intake <- a.startWebhook(runCtx) }()
	} else {
		go func() { intake <- a.poll(runCtx) }()
	}
	a.log.Info("shopbot started", "mode", a.mode(), "http", a.HTTPAddr(), "bot", a.bot.Me.Username)

	var runErr error
	intakeDone := false
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		runErr = fmt.Errorf("bot: http server: %w", err)
	case runErr = <-intake:
		intakeDone = true
	}

	a.log.Info("shopbot stopping")
	stopIntake()
	if !intakeDone {
		// The long-polling loop returns only after the batch in hand is handled.
		if err := <-intake; err != nil && runErr == nil {
			runErr = err
		}
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), a.opts.ShutdownTimeout)
	defer cancel()
	for name, done := range map[string]chan struct{}{"scheduler": schedulerDone, "sender": senderDone} {
		select {
		case <-done:
		case <-shutdownCtx.Done():
			a.log.Warn(name + " did not stop in time")
		}
	}
	// Shutdown waits for webhook requests in flight, whose handlers run inside them.
	if err := a.server.Shutdown(shutdownCtx); err != nil {
		a.log.Warn("http shutdown", "err", err)
	}
	a.log.Info("shopbot stopped")
	return runErr
}

func (a *App) mode() string {
	if a.cfg.Webhook() {
		return "webhook"
	}
	return "long polling"
}

func (a *App) close() {
	if a.rdb != nil {
		a.rdb.Close()
	}
	if a.db != nil {
		a.db.Close()
	}
	if a.listener != nil && a.server == nil {
		a.listener.Close()
	}
}

// retry calls f until it succeeds or the startup timeout passes, logging each failure.
func (a *App) retry(ctx context.Context, what string, f func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.StartupTimeout)
	defer cancel()
	wait := 250 * time.Millisecond
	for attempt := 1; ; attempt++ {
		attemptCtx, cancelAttempt := context.WithTimeout(ctx, 5*time.Second)
		err := f(attemptCtx)
		cancelAttempt()
		if err == nil {
			return nil
		}
		a.log.Warn("waiting for "+what, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("bot: %s unreachable after %s: %w", what, a.opts.StartupTimeout, err)
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

func (a *App) connectPostgres(ctx context.Context) error {
	db, err := sqlx.Open(a.opts.DBDriver, prepared.URL(a.cfg.DatabaseURL))
	if err != nil {
		return fmt.Errorf("bot: DATABASE_URL: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	db.SetConnMaxIdleTime(5 * time.Minute)
	a.db = db
	if err := a.retry(ctx, "postgres", db.PingContext); err != nil {
		return err
	}
	applied, err := migrations.Up(ctx, db.DB)
	if err != nil {
		return err
	}
	a.log.Info("postgres ready", "migrations_applied", applied)
	return nil
}

func (a *App) connectRedis(ctx context.Context) error {
	opts, err := redis.ParseURL(a.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("bot: REDIS_URL: %w", err)
	}
	a.rdb = redis.NewClient(opts)
	if a.opts.RedisHook != nil {
		a.rdb.AddHook(a.opts.RedisHook)
	}
	if err := a.retry(ctx, "redis", func(ctx context.Context) error { return a.rdb.Ping(ctx).Err() }); err != nil {
		return err
	}
	a.log.Info("redis ready")
	return nil
}

func (a *App) connectTelegram(ctx context.Context) error {
	base := a.opts.APITransport
	if base == nil {
		base = apiConnections()
	}
	a.api = &http.Client{
		// Longer than a long-poll wait, so getUpdates is never cut short by the client.
		Timeout:   a.opts.PollTimeout + 30*time.Second,
		Transport: apiTransport{base: base, m: a.metrics},
	}
	b, err := tele.NewBot(tele.Settings{
		URL:         a.cfg.TelegramAPIURL,
		Token:       a.cfg.BotToken,
		Client:      a.api,
		Offline:     true, // getMe is called below, with retries
		Synchronous: true, // the intake decides what runs in parallel
		ParseMode:   tele.ModeHTML,
		OnError: func(err error, c tele.Context) {
			a.log.Error("telebot", "err", err)
		},
	})
	if err != nil {
		return fmt.Errorf("bot: telebot: %w", err)
	}
	var me *tele.User
	err = a.retry(ctx, "telegram", func(ctx context.Context) error {
		var err error
		me, err = a.getMe(ctx)
		return err
	})
	if err != nil {
		return err
	}
	b.Me = me
	a.bot = b
	return nil
}

// apiConns is how many connections to the Bot API stay open between calls: as many as
// updates are handled at once (a getUpdates batch). Go keeps two, so a busy minute would
// open and close connections, a TLS handshake each, by the thousand.
const apiConns = 100

func apiConnections() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = apiConns
	return t
}

// processName tells this process apart from other replicas in leases.
func processName() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}

var errUnauthorized = errors.New("bot: Telegram refused BOT_TOKEN (401 Unauthorized)")
