package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/internal/prepared"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// A responder is a bot that answers every text; stop ends it.
type responder func(ctx context.Context, st *stage, webhook bool) (stop func(), err error)

// rawResponder answers each update with one sendMessage as directly as Go's HTTP client
// allows, so the load it carries measures the fake, its tap and the crowd alone: the
// ceiling of the harness.
func rawResponder(ctx context.Context, st *stage, webhook bool) (func(), error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	base := st.api.URL + "/bot" + st.fake.Token() + "/"
	call := func(method string, body []byte) ([]byte, error) {
		resp, err := client.Post(base+method, "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}
	reply := func(chat int64) {
		call("sendMessage", []byte(`{"chat_id":`+strconv.FormatInt(chat, 10)+`,"text":"pong"}`))
	}
	type update struct {
		ID      int `json:"update_id"`
		Message struct {
			Chat struct {
				ID int64 `json:"id"`
			} `json:"chat"`
		} `json:"message"`
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if !webhook {
		if _, err := call("deleteWebhook", []byte(`{}`)); err != nil {
			cancel()
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			offset := 0
			for runCtx.Err() == nil {
				body, err := call("getUpdates", []byte(`{"offset":`+strconv.Itoa(offset)+`,"limit":100,"timeout":1}`))
				if err != nil {
					continue
				}
				var answer struct {
					Result []update `json:"result"`
				}
				json.Unmarshal(body, &answer)
				for _, u := range answer.Result {
					offset = u.ID + 1
					wg.Add(1)
					go func(chat int64) {
						defer wg.Done()
						reply(chat)
					}(u.Message.Chat.ID)
				}
			}
		}()
		return func() { cancel(); wg.Wait() }, nil
	}
	front, err := newTLSFront()
	if err != nil {
		cancel()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		front.Close()
		return nil, err
	}
	front.target = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u update
		if json.NewDecoder(r.Body).Decode(&u) == nil {
			reply(u.Message.Chat.ID)
		}
	})}
	go srv.Serve(ln)
	if _, err := call("setWebhook", []byte(`{"url":"`+front.URL()+`/hook","max_connections":40}`)); err != nil {
		cancel()
		srv.Close()
		front.Close()
		return nil, err
	}
	return func() {
		cancel()
		srv.Close()
		front.Close()
		call("deleteWebhook", []byte(`{}`))
	}, nil
}

// echoBot is the bare telebot echo bot: telebot's own long poller or webhook handler,
// its default HTTP client, Handle(OnText) replying the text.
func echoBot(ctx context.Context, st *stage, webhook bool) (func(), error) {
	settings := tele.Settings{
		URL: st.api.URL, Token: st.fake.Token(), Offline: true,
		OnError: func(error, tele.Context) {},
	}
	var front *tlsFront
	var srv *http.Server
	if webhook {
		var err error
		if front, err = newTLSFront(); err != nil {
			return nil, err
		}
		hook := &tele.Webhook{Endpoint: &tele.WebhookEndpoint{PublicURL: front.URL() + "/hook"}, MaxConnections: 40}
		settings.Poller = webhookPoller{hook}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			front.Close()
			return nil, err
		}
		front.target = ln.Addr().String()
		srv = &http.Server{Handler: hook}
		go srv.Serve(ln)
	} else {
		settings.Poller = &tele.LongPoller{Timeout: time.Second, Limit: 100}
	}
	b, err := tele.NewBot(settings)
	if err != nil {
		return nil, err
	}
	if !webhook {
		if err := b.RemoveWebhook(); err != nil {
			return nil, err
		}
	}
	b.Handle(tele.OnText, func(c tele.Context) error { return c.Send(c.Text()) })
	calls := st.fake.Calls("getUpdates") + st.fake.Calls("setWebhook")
	go b.Start()
	if err := waitFor(10*time.Second, func() bool {
		return st.fake.Calls("getUpdates")+st.fake.Calls("setWebhook") > calls
	}); err != nil {
		return nil, errors.New("the echo bot did not start")
	}
	// telebot's webhook handler is ready only once Poll has stored where updates go.
	time.Sleep(50 * time.Millisecond)
	return func() {
		b.Stop()
		if webhook {
			srv.Close()
			front.Close()
			b.RemoveWebhook()
		}
	}, nil
}

// webhookPoller is telebot's webhook poller made stoppable: in telebot v3.3.8 Poll closes
// the stop channel that Bot.Start closes too, so Bot.Stop panics. Poll here gets a channel
// of its own, which it may close.
type webhookPoller struct{ *tele.Webhook }

func (p webhookPoller) Poll(b *tele.Bot, dest chan tele.Update, stop chan struct{}) {
	mine := make(chan struct{})
	go func() {
		<-stop
		select {
		case mine <- struct{}{}:
		case <-time.After(time.Second): // Poll gave up already
		}
	}()
	p.Webhook.Poll(b, dest, mine)
}

// rawOrders places n orders with the statements orders.Store.Place runs for a one-line
// pickup order with two sellers to notify (orders.PlaceSQL and outbox.Enqueue), issued
// directly with database/sql on lib/pq, prepared as the store
// prepares them, on a pool of the bot's size, at most at once, as the bot's Confirm burst
// places them. It returns orders per second from the first BEGIN to the last COMMIT, after
// at untimed orders have warmed the pool.
func rawOrders(ctx context.Context, st *stage, n, at int) (float64, cpuUse, error) {
	db, err := sqlx.Open("postgres", st.dsn)
	if err != nil {
		return 0, cpuUse{}, err
	}
	defer db.Close()
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	stmts := prepared.New(db) // as the orders store prepares them
	defer stmts.Close()
	// Customers who booked: the order's customer row is updated and read back.
	const firstCustomer = 900_000_000
	for i := range at {
		if _, err := db.ExecContext(ctx, `INSERT INTO customers (id, first_name, telegram_language) VALUES ($1, $2, 'en')
ON CONFLICT (id) DO NOTHING`, firstCustomer+i, "Raw "+strconv.Itoa(i)); err != nil {
			return 0, cpuUse{}, err
		}
	}
	type line struct{ item, variant int64 }
	var lines []line
	for _, it := range st.items {
		for _, v := range it.Variants {
			lines = append(lines, line{it.ID, v.ID})
		}
	}
	// place places n orders, at at once.
	place := func(n int) error {
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, at)
		for w := range at {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := next.Add(1) - 1; i < int64(n); i = next.Add(1) - 1 {
					l := lines[mathrand.IntN(len(lines))]
					if err := placeRaw(ctx, db, stmts, int64(firstCustomer+w), l.item, l.variant); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		return <-errs
	}
	// Untimed first, as the bot's pool is warm when its Confirm burst starts: every
	// connection open and every statement prepared.
	if err := place(at); err != nil {
		return 0, cpuUse{}, err
	}
	cpuFrom, start := readCPU(), time.Now()
	err = place(n)
	elapsed, cpu := time.Since(start), readCPU().since(cpuFrom)
	if err != nil {
		return 0, cpuUse{}, err
	}
	// The notices are not for the bot that may run on this schema later.
	if _, err := db.ExecContext(ctx, `UPDATE outbox SET status = 'sent' WHERE status = 'pending' AND chat_id = ANY($1)`, pq.Array(sellerIDs)); err != nil {
		return 0, cpuUse{}, err
	}
	return float64(n) / elapsed.Seconds(), cpu, nil
}

const rawCodeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

func placeRaw(ctx context.Context, db *sqlx.DB, stmts *prepared.Statements, customer, itemID, variantID int64) error {
	for attempt := 0; ; attempt++ {
		err := placeRawOnce(ctx, db, stmts, customer, itemID, variantID)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" && attempt < 5 {
			continue // the random code was taken
		}
		return err
	}
}

func placeRawOnce(ctx context.Context, db *sqlx.DB, stmts *prepared.Statements, customer, itemID, variantID int64) error {
	var b [21]byte
	rand.Read(b[:])
	code := make([]byte, 5)
	for i := range code {
		code[i] = rawCodeAlphabet[int(b[i])%len(rawCodeAlphabet)]
	}
	key := fmt.Sprintf("%x", b[5:])
	now := time.Now()

	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var row orders.VariantRow
	if err := stmts.Get(ctx, tx, &row, orders.PlaceSQL.Variants, pq.Int64Array{variantID}); err != nil {
		return err
	}
	var stored orders.PlacedRow
	if err := stmts.Get(ctx, tx, &stored, orders.PlaceSQL.Insert,
		string(code), customer, row.WeekID, "VND", row.Price, "pickup", "", "", "", "", key, now.Add(24*time.Hour),
		pq.Int64Array{itemID}, pq.Int64Array{variantID}, pq.StringArray{row.Title}, pq.StringArray{row.Variant},
		pq.Int64Array{row.Price}, pq.Int64Array{1}); err != nil {
		return err
	}
	id := strconv.FormatInt(stored.ID, 10)
	markup := json.RawMessage(`{"inline_keyboard":[[{"text":"✅ Confirm payment","callback_data":"\foa|` + id + `|paid"},{"text":"✖️ Cancel","callback_data":"\foa|` + id + `|cancel"}]]}`)
	text := "🆕 New order " + string(code) + "\nItem (S) × 1 — 100.000 ₫\nPickup\nCustomer: " + stored.Customer.Name()
	var notices []outbox.Message
	for _, seller := range sellerIDs {
		notices = append(notices, outbox.Message{ChatID: seller, Kind: "new_order", OrderID: &stored.ID, Text: text, Markup: markup})
	}
	if err := outbox.Enqueue(ctx, tx, notices...); err != nil {
		return err
	}
	var taken int
	if err := stmts.Get(ctx, tx, &taken, orders.PlaceSQL.Reserve, pq.Int64Array{variantID}, pq.Int64Array{1}, pq.Int64Array{row.WeekID}); err != nil {
		return err
	}
	if taken != 1 {
		return errors.New("raw SQL: sold out")
	}
	return tx.Commit()
}
