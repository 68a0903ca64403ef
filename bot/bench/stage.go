package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // Postgres driver
	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/internal/prepared"
	"github.com/shopbot/shopbot/internal/shoppers"
	"github.com/shopbot/shopbot/migrations"
)

// Sellers of the benchmark shop (ADMIN_IDS).
var sellerIDs = []int64{1001, 1002}

// stage is what every scenario runs on: a Postgres schema and a Redis prefix of the run's
// own, the fake Bot API with its tap, the shop's catalog and the crowd.
type stage struct {
	schema   string
	dsn      string // DATABASE_URL for the bot: the schema on the search path
	admin    *sqlx.DB
	db       *sqlx.DB
	redisURL string
	rdb      *redis.Client
	prefix   string

	fake     *telegramtest.Server
	stopFake func()
	api      *httptest.Server // the fake through its tap: TELEGRAM_API_URL
	crowd    *shoppers.Crowd
	items    []catalog.Item
	sellers  []*shoppers.Seller
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// newStage creates the schema (migrated, as the bot would), the shop and the fake, with
// Telegram's limits off: they would cap the throughput being measured.
func newStage(ctx context.Context, getenv func(string) string) (_ *stage, err error) {
	st := &stage{schema: "bench_" + randomHex(6), prefix: "bench:" + randomHex(6) + ":"}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	dbURL := getenv("TEST_DATABASE_URL")
	if dbURL == "" {
		dbURL = "postgres://postgres@127.0.0.1:5432/shopbot_test?sslmode=disable"
	}
	st.redisURL = getenv("TEST_REDIS_URL")
	if st.redisURL == "" {
		st.redisURL = "redis://127.0.0.1:6379/0"
	}
	if st.admin, err = sqlx.Open("postgres", dbURL); err != nil {
		return nil, err
	}
	if _, err := st.admin.ExecContext(ctx, "CREATE SCHEMA "+st.schema); err != nil {
		st.admin.Close()
		st.admin = nil
		return nil, fmt.Errorf("postgres at %s: %w", redact(dbURL), err)
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("search_path", st.schema)
	u.RawQuery = q.Encode()
	st.dsn = prepared.URL(u.String()) // as the bot connects; the raw SQL baseline too
	if st.db, err = sqlx.Open("postgres", st.dsn); err != nil {
		return nil, err
	}
	if _, err := migrations.Up(ctx, st.db.DB); err != nil {
		return nil, err
	}
	opts, err := redis.ParseURL(st.redisURL)
	if err != nil {
		return nil, err
	}
	st.rdb = redis.NewClient(opts)
	if err := st.rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("redis at %s: %w", st.redisURL, err)
	}
	if st.items, err = shoppers.OpenShop(ctx, st.db, 6, time.Now()); err != nil {
		return nil, err
	}

	st.fake, st.stopFake = telegramtest.Standalone(telegramtest.WithBotName("Bench Boutique"),
		telegramtest.WithLimits(telegramtest.Unlimited()))
	st.fake.Channel(-1001234567890, "Bench Boutique", "bench_boutique")
	if st.crowd, err = shoppers.New(st.fake, st.items, 10_000_000); err != nil {
		return nil, err
	}
	st.api = httptest.NewServer(st.fake.Tap(st.crowd.Seen))
	for i, id := range sellerIDs {
		st.sellers = append(st.sellers, st.crowd.Seller(id, i, len(sellerIDs)))
	}
	return st, nil
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// close drops the schema and the Redis keys and stops the fake.
func (st *stage) close() {
	if st.api != nil {
		st.api.CloseClientConnections()
		st.api.Close()
	}
	if st.stopFake != nil {
		st.stopFake()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if st.rdb != nil {
		iter := st.rdb.Scan(ctx, 0, st.prefix+"*", 1000).Iterator()
		var batch []string
		for iter.Next(ctx) {
			if batch = append(batch, iter.Val()); len(batch) == 1000 {
				st.rdb.Unlink(ctx, batch...)
				batch = batch[:0]
			}
		}
		if len(batch) > 0 {
			st.rdb.Unlink(ctx, batch...)
		}
		st.rdb.Close()
	}
	if st.db != nil {
		st.db.Close()
	}
	if st.admin != nil {
		if _, err := st.admin.ExecContext(ctx, "DROP SCHEMA "+st.schema+" CASCADE"); err != nil {
			slog.Warn("drop benchmark schema", "schema", st.schema, "err", err)
		}
		st.admin.Close()
	}
}

// env is the bot's configuration, as main reads it from the environment.
func (st *stage) env(webhookURL, webhookSecret string) map[string]string {
	admins := ""
	for i, id := range sellerIDs {
		if i > 0 {
			admins += ","
		}
		admins += strconv.FormatInt(id, 10)
	}
	e := map[string]string{
		"BOT_TOKEN":        st.fake.Token(),
		"TELEGRAM_API_URL": st.api.URL,
		"DATABASE_URL":     st.dsn,
		"REDIS_URL":        st.redisURL,
		"ADMIN_IDS":        admins,
		"HTTP_ADDR":        "127.0.0.1:0",
		"CHANNEL_ID":       "@bench_boutique",
		"SHOP_CURRENCY":    "VND",
		"BACKUP_TIME":      "off",
	}
	if webhookURL != "" {
		e["WEBHOOK_URL"] = webhookURL
		e["WEBHOOK_SECRET"] = webhookSecret
	}
	return e
}

// benchOptions are the bot's options in every scenario: production defaults, so the
// outbox keeps to Telegram's pace (about 25 messages a second, one a second per chat) even
// though the fake's limits are off. unpaced lifts that pace (-outbox-unpaced).
func benchOptions(prefix string, unpaced bool) bot.Options {
	o := bot.Options{
		Logger:    slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		KeyPrefix: prefix,
	}
	if unpaced {
		o.SendRate, o.ChatRate = 1e6, 1e6
	}
	return o
}

// runningBot is the bot started in this process.
type runningBot struct {
	app    *bot.App
	cancel context.CancelFunc
	done   chan error
	front  *tlsFront // webhook mode
}

// startBot starts the real bot in this process, counting its Postgres statements and
// Redis commands; webhook mode puts a TLS front before it, as a load balancer would be.
func (st *stage) startBot(ctx context.Context, webhook, unpaced bool) (*runningBot, error) {
	registerCountedDriver()
	r := &runningBot{done: make(chan error, 1)}
	env := st.env("", "")
	if webhook {
		var err error
		if r.front, err = newTLSFront(); err != nil {
			return nil, err
		}
		env = st.env(r.front.URL()+"/telegram/hook", "bench-Secret_1")
	}
	cfg, err := bot.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		return nil, err
	}
	opts := benchOptions(st.prefix, unpaced)
	opts.DBDriver = countedDriver
	opts.RedisHook = redisCounter{}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	app, err := bot.New(runCtx, cfg, opts)
	if err != nil {
		cancel()
		return nil, err
	}
	if r.front != nil {
		r.front.target = app.HTTPAddr()
	}
	r.app, r.cancel = app, cancel
	calls := st.fake.Calls("getUpdates") + st.fake.Calls("setWebhook")
	go func() { r.done <- app.Run(runCtx) }()
	// Serving starts with the first getUpdates, or once the webhook is set.
	if err := waitFor(10*time.Second, func() bool {
		return st.fake.Calls("getUpdates")+st.fake.Calls("setWebhook") > calls
	}); err != nil {
		r.stop()
		return nil, errors.New("the bot did not start serving")
	}
	return r, nil
}

func (r *runningBot) stop() error {
	r.cancel()
	err := <-r.done
	if r.front != nil {
		r.front.Close()
	}
	return err
}

func (r *runningBot) metricsURL() string { return "http://" + r.app.HTTPAddr() + "/metrics" }

func waitFor(d time.Duration, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return errors.New("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return nil
}

// tlsFront terminates TLS for a plain-HTTP server, copying bytes both ways: Telegram only
// calls https webhooks, and a load balancer does this in production (at its own cost, so
// this front is as thin as it can be).
type tlsFront struct {
	ln     net.Listener
	target string // set before the first connection arrives

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func newTLSFront() (*tlsFront, error) {
	cert, err := selfSigned()
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	f := &tlsFront{ln: ln, conns: map[net.Conn]bool{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// URL is the front's https address.
func (f *tlsFront) URL() string { return "https://" + f.ln.Addr().String() }

func (f *tlsFront) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			f.pipe(c)
		}()
	}
}

func (f *tlsFront) track(c net.Conn, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if on {
		f.conns[c] = true
	} else {
		delete(f.conns, c)
	}
}

func (f *tlsFront) pipe(c net.Conn) {
	defer c.Close()
	back, err := net.Dial("tcp", f.target)
	if err != nil {
		return
	}
	defer back.Close()
	f.track(c, true)
	f.track(back, true)
	defer f.track(c, false)
	defer f.track(back, false)
	done := make(chan struct{})
	go func() {
		io.Copy(back, c)
		back.(*net.TCPConn).CloseWrite()
		close(done)
	}()
	io.Copy(c, back)
	c.Close()
	<-done
}

// Close stops the front and cuts its connections.
func (f *tlsFront) Close() {
	f.ln.Close()
	f.mu.Lock()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// get fetches a URL's body.
func get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
