package bot_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
)

// confirmPickup takes a customer from an item card to a confirmed pickup order (or the
// shortage answer) and returns the answer and how long it took after Confirm.
func confirmPickup(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item, size string) (telegramtest.Message, time.Duration) {
	return confirm(t, h, u, toSummary(t, h, u, it, size))
}

// toSummary books one of a size for pickup, up to the order summary.
func toSummary(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item, size string) telegramtest.Message {
	_, summary := pickupSummary(t, h, u, book(t, h, u, it, size, 1))
	return summary
}

// pickupSummary checks out the cart from the message that added to it, for pickup without
// deliveryQuestion presses Checkout on the message that added to the cart and returns the
// question how the order should come.
func deliveryQuestion(t *testing.T, h *harness, u *telegramtest.User, added telegramtest.Message) telegramtest.Message {
	t.Helper()
	lang := u.LanguageCode
	u.Press(t, added, h.text(lang, "cart.checkout_button"))
	return u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > added.ID && m.Text == h.text(lang, "checkout.delivery_prompt")
	})
}

// a note, and returns the delivery question and the order summary.
func pickupSummary(t *testing.T, h *harness, u *telegramtest.User, added telegramtest.Message) (delivery, summary telegramtest.Message) {
	t.Helper()
	lang := u.LanguageCode
	delivery = deliveryQuestion(t, h, u, added)
	u.Press(t, delivery, h.text(lang, "checkout.pickup_button"))
	n := u.WaitFor(t, func(m telegramtest.Message) bool {
		// after the pickup address, when the shop set one
		return m.ID > delivery.ID && strings.HasSuffix(m.Text, h.text(lang, "checkout.note_prompt"))
	})
	u.Press(t, n, h.text(lang, "checkout.no_note_button"))
	summary = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > n.ID && strings.HasPrefix(m.Text, "📋") })
	return delivery, summary
}

// confirm presses Confirm on a summary (the latest: a process killed before confirming
// the update that made it may have made another) and waits for the order or the
// shortage answer.
func confirm(t *testing.T, h *harness, u *telegramtest.User, summary telegramtest.Message) (telegramtest.Message, time.Duration) {
	for _, m := range u.Messages() {
		if m.ID > summary.ID && strings.HasPrefix(m.Text, "📋") && len(m.Buttons()) > 0 {
			summary = m
		}
	}
	start := time.Now()
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	answer := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && (strings.HasPrefix(m.Text, "✅ Order") || strings.HasPrefix(m.Text, h.text("en", "checkout.shortage")))
	})
	return answer, time.Since(start)
}

// Three processes in webhook mode behind a round-robin balancer, on one Postgres and
// Redis: customers racing for the last units end as with one process, each seller gets
// each order once, and one person's updates, spread over the replicas, stay in order.
func TestThreeReplicasBehindABalancer(t *testing.T) {
	t.Parallel()
	const customers, units = 30, 10
	h := shopHarness(t)
	h.webhooks()
	h.start()
	h.start()
	h.start()
	s1, s2 := sellers(t, h)
	dress, _ := liveShop(t, h, map[string]int{"S": units})
	// Every customer reaches the summary first (a cart reserves nothing), so none finds the
	// size sold out before it; then all press Confirm together.
	var wg sync.WaitGroup
	people := make([]*telegramtest.User, customers)
	summaries := make([]telegramtest.Message, customers)
	for i := range customers {
		people[i] = h.user(int64(8500+i), fmt.Sprintf("R%d", i), "en")
		wg.Add(1)
		go func() {
			defer wg.Done()
			summaries[i] = toSummary(t, h, people[i], dress, "S")
		}()
	}
	wg.Wait()
	won := make(chan bool, customers)
	for i := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer, _ := confirm(t, h, people[i], summaries[i])
			won <- strings.HasPrefix(answer.Text, "✅ Order")
		}()
	}
	wg.Wait()
	close(won)
	wins := 0
	for w := range won {
		if w {
			wins++
		}
	}
	var orders int
	h.db.Get(&orders, `SELECT count(*) FROM orders`)
	if wins != units || orders != units || stockOf(t, h, dress, "S") != 0 {
		t.Errorf("%d told placed, %d orders, stock %d", wins, orders, stockOf(t, h, dress, "S"))
	}
	// Each seller is told of each order once: by its notice, or with others that waited
	// for the seller's chat together.
	var codes []string
	if err := h.db.Select(&codes, `SELECT code FROM orders`); err != nil || len(codes) != units {
		t.Fatalf("order codes %v, %v", codes, err)
	}
	for _, s := range []*telegramtest.User{s1, s2} {
		deadline := time.Now().Add(15 * time.Second)
		told := func() (n int) {
			for _, code := range codes {
				n += min(toldOf(s, code), 1)
			}
			return n
		}
		for told() < len(codes) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		for _, code := range codes {
			if n := toldOf(s, code); n != 1 {
				t.Errorf("seller %d was told of order %s %d times", s.ID, code, n)
			}
		}
	}
	noErrors(t, h)
}

// A flash sale: 1,000 customers race for 50 units across 5 sizes. Not parallel: it
// measures the time from Confirm to the answer, so it runs alone; and a customer may wait
// longer than usual for that answer, behind 999 others (under the race detector, too).
func TestFlashSale(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 customers: runs without -short")
	}
	const customers = 1000
	h := shopHarness(t, func(h *harness) {
		h.limits.GlobalRate *= 10
		h.limits.GlobalBurst *= 10
		h.fakeOpts = append(h.fakeOpts, telegramtest.WithWaitTimeout(90*time.Second))
	})
	h.start()
	ctx := context.Background()
	w, err := h.catalog().CreateWeek(ctx, "Flash", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sizes := []string{"XS", "S", "M", "L", "XL"}
	var specs []catalog.VariantSpec
	for _, s := range sizes {
		specs = append(specs, catalog.VariantSpec{Name: s, Stock: 10})
	}
	it, err := h.catalog().CreateItem(ctx, w.ID, catalog.NewItem{Title: "Limited bag", Price: 500000, Currency: "VND",
		Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}}, Variants: specs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.catalog().StartPublishing(ctx, w.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Everyone fills a cart and reaches the summary while stock lasts; then they all
	// confirm at once.
	people := make([]*telegramtest.User, customers)
	summaries := make([]telegramtest.Message, customers)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 100)
	for i := range customers {
		people[i] = h.user(int64(100000+i), fmt.Sprintf("F%d", i), "en")
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			summaries[i] = toSummary(t, h, people[i], it, sizes[i%len(sizes)])
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	var mu sync.Mutex
	var latencies []time.Duration
	wins, losses := 0, 0
	for i := range customers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answer, took := confirm(t, h, people[i], summaries[i])
			mu.Lock()
			defer mu.Unlock()
			latencies = append(latencies, took)
			if strings.HasPrefix(answer.Text, "✅ Order") {
				wins++
			} else {
				losses++
				if !strings.Contains(answer.Text, "0 left") {
					t.Errorf("a loser was told %q", answer.Text)
				}
			}
		}()
	}
	wg.Wait()
	var sold int
	h.db.Get(&sold, `SELECT COALESCE(sum(quantity), 0) FROM order_lines`)
	var negative int
	h.db.Get(&negative, `SELECT count(*) FROM variants WHERE stock < 0`)
	if wins != 50 || losses != customers-50 || sold != 50 || negative != 0 {
		t.Errorf("%d placed, %d told sold out, %d units sold, %d negative stocks", wins, losses, sold, negative)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	if len(latencies) > 0 {
		t.Logf("Confirm to reply over %d customers: p50 %v, p99 %v, max %v", len(latencies),
			latencies[len(latencies)/2], latencies[len(latencies)*99/100], latencies[len(latencies)-1])
	}
}
