package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/internal/shoppers"
	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
)

// BenchmarkUpdate sends customer updates through the real bot (long polling, in this
// process) on real Postgres and Redis, each op one update of a booking: deep link, size,
// quantity, checkout, pickup, no note, confirm, receipt photo, then a new customer. 100
// customers go at once. allocs/op counts the whole process: the bot, and the fake Bot API
// and customers that the fake sub-benchmark measures alone.
//
//	go test ./bot -run '^$' -bench Update -benchmem -benchtime 2000x
//
// The fuller benchmark, with baselines and webhook mode, is go run ./bot/bench.
func BenchmarkUpdate(b *testing.B) {
	b.Run("bot", func(b *testing.B) {
		crowd := benchShop(b, func(b *testing.B, api string, fake *telegramtest.Server, dsn, prefix string) {
			startBenchBot(b, api, fake, dsn, prefix)
		})
		benchCustomers(b, func(ctx context.Context) func() (shoppers.Sample, error) {
			var s *shoppers.Shopper
			b.Cleanup(func() {
				if s != nil {
					s.Close()
				}
			})
			return func() (shoppers.Sample, error) {
				if s == nil || s.Done() {
					if s != nil {
						s.Close()
					}
					s = crowd.NewShopper()
				}
				return s.Next(ctx)
			}
		})
	})
	b.Run("fake", func(b *testing.B) {
		crowd := benchShop(b, func(b *testing.B, api string, fake *telegramtest.Server, _, _ string) {
			startEcho(b, api+"/bot"+fake.Token()+"/")
		})
		benchCustomers(b, func(ctx context.Context) func() (shoppers.Sample, error) {
			t := crowd.NewTalker()
			b.Cleanup(t.Close)
			return func() (shoppers.Sample, error) { return t.Say(ctx) }
		})
	})
}

// benchShop gives a benchmark its schema (migrated), Redis prefix, shop, fake and crowd,
// and starts what answers with start.
func benchShop(b *testing.B, start func(b *testing.B, api string, fake *telegramtest.Server, dsn, prefix string)) *shoppers.Crowd {
	b.Helper()
	ctx := context.Background()
	dsn, db := testenv.Postgres(b)
	_, prefix := testenv.Redis(b)
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		b.Fatal(err)
	}
	items, err := shoppers.OpenShop(ctx, db, 6, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	fake := telegramtest.NewServer(b, telegramtest.WithLimits(telegramtest.Unlimited()))
	fake.Channel(-1001234567890, "Bench Boutique", "bench_boutique")
	crowd, err := shoppers.New(fake, items, 20_000_000)
	if err != nil {
		b.Fatal(err)
	}
	api := httptest.NewServer(fake.Tap(crowd.Seen))
	b.Cleanup(api.Close)
	start(b, api.URL, fake, dsn, prefix)
	return crowd
}

func startBenchBot(b *testing.B, api string, fake *telegramtest.Server, dsn, prefix string) {
	b.Helper()
	env := map[string]string{
		"BOT_TOKEN": fake.Token(), "TELEGRAM_API_URL": api, "DATABASE_URL": dsn,
		"REDIS_URL": testenv.RedisURL(), "ADMIN_IDS": "1001,1002", "HTTP_ADDR": "127.0.0.1:0",
		"CHANNEL_ID": "@bench_boutique", "SHOP_CURRENCY": "VND", "BACKUP_TIME": "off",
	}
	cfg, err := bot.LoadConfig(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := bot.New(ctx, cfg, bot.Options{
		Logger:    slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})),
		KeyPrefix: prefix,
	})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("Run: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for fake.Calls("getUpdates") == 0 {
		if time.Now().After(deadline) {
			b.Fatal("the bot did not start polling")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startEcho answers every update with one sendMessage, as directly as Go's HTTP client
// allows: what is left of an update's cost is the fake's and the customers'.
func startEcho(b *testing.B, base string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	call := func(method string, body []byte) []byte {
		resp, err := client.Post(base+method, "application/json", bytes.NewReader(body))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return data
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		offset := 0
		for ctx.Err() == nil {
			var answer struct {
				Result []struct {
					ID      int `json:"update_id"`
					Message struct {
						Chat struct {
							ID int64 `json:"id"`
						} `json:"chat"`
					} `json:"message"`
				} `json:"result"`
			}
			json.Unmarshal(call("getUpdates", []byte(`{"offset":`+strconv.Itoa(offset)+`,"limit":100,"timeout":1}`)), &answer)
			for _, u := range answer.Result {
				offset = u.ID + 1
				wg.Add(1)
				go func(chat int64) {
					defer wg.Done()
					call("sendMessage", []byte(`{"chat_id":`+strconv.FormatInt(chat, 10)+`,"text":"pong"}`))
				}(u.Message.Chat.ID)
			}
		}
	}()
	b.Cleanup(func() { cancel(); wg.Wait() })
}

// benchCustomers runs b.N updates from 100 customers at once and reports the rate and the
// latency a customer sees (from the update queued to the answer stored by the fake).
func benchCustomers(b *testing.B, customer func(ctx context.Context) func() (shoppers.Sample, error)) {
	ctx := context.Background()
	var mu sync.Mutex
	var latencies []time.Duration
	b.SetParallelism(50) // × GOMAXPROCS goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next := customer(ctx)
		var mine []time.Duration
		for pb.Next() {
			s, err := next()
			if err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, s.Latency)
		}
		mu.Lock()
		latencies = append(latencies, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	p99 := latencies[max(0, (len(latencies)*99+99)/100-1)]
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
	b.ReportMetric(float64(p99)/float64(time.Millisecond), "p99-ms")
}
