package shoppers

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/orders"
)

// Seller is one of the shop's sellers, confirming the payments whose receipts reach them.
type Seller struct {
	*person
	share, of int64
	// Confirmed counts the payments this seller confirmed (pressed Confirm payment on).
	Confirmed atomic.Int64
}

// Seller is the seller with user id id (one of ADMIN_IDS); with of sellers, seller share
// (0 ≤ share < of) confirms the orders whose id is share modulo of, so no two sellers
// confirm the same order.
func (c *Crowd) Seller(id int64, share, of int) *Seller {
	// A seller's chat receives every order's notices: a large inbox, drained at once.
	u := c.fake.User(id, "Seller "+strconv.FormatInt(id, 10), "", "en")
	p := &person{c: c, u: u, inbox: c.listen(id, 8192)}
	return &Seller{person: p, share: int64(share), of: int64(of)}
}

// Open sends /start, as a seller does once, so the bot can write to them.
func (s *Seller) Open(ctx context.Context) error {
	s.last = s.u.SendText("/start").MessageID
	_, err := s.await(ctx, func(m telegramtest.Message) bool { return len(m.Buttons()) > 0 })
	return err
}

// ConfirmPayments presses Confirm payment on the receipts this seller gets, oldest first,
// perSecond at most, until ctx ends. A person may send 30 updates in 10 s before the bot
// asks them to slow down, so perSecond should stay under 3.
func (s *Seller) ConfirmPayments(ctx context.Context, perSecond float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / perSecond))
	defer tick.Stop()
	var queue []telegramtest.Message
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-s.inbox:
			if a.m.Photo == nil {
				continue
			}
			if id, ok := s.paidButton(a.m); ok && id%s.of == s.share {
				queue = append(queue, a.m)
			}
		case <-tick.C:
			if len(queue) == 0 {
				continue
			}
			m := queue[0]
			queue = queue[1:]
			if _, err := s.press(m, s.c.labels.paid); err == nil {
				s.Confirmed.Add(1)
			}
		}
	}
}

// paidButton finds the Confirm payment button of a receipt notice and its order id.
func (s *Seller) paidButton(m telegramtest.Message) (int64, bool) {
	for _, b := range m.Buttons() {
		if b.Text != s.c.labels.paid {
			continue
		}
		parts := strings.Split(b.Data, "|")
		if len(parts) < 2 {
			return 0, false
		}
		id, err := strconv.ParseInt(parts[1], 10, 64)
		return id, err == nil
	}
	return 0, false
}

// OpenShop stores a week of n items in three sizes with stock that never runs out during
// a benchmark and the pickup address, and starts publishing the week, as a seller would
// on a Monday morning.
func OpenShop(ctx context.Context, db *sqlx.DB, n int, now time.Time) ([]catalog.Item, error) {
	cat := catalog.NewStore(db)
	w, err := cat.CreateWeek(ctx, "Benchmark week", nil, nil)
	if err != nil {
		return nil, err
	}
	var items []catalog.Item
	for i := range n {
		var specs []catalog.VariantSpec
		for _, size := range []string{"S", "M", "L"} {
			specs = append(specs, catalog.VariantSpec{Name: size, Stock: 1_000_000_000})
		}
		it, err := cat.CreateItem(ctx, w.ID, catalog.NewItem{
			Title: "Item " + strconv.Itoa(i+1), Price: int64(100000 + 10000*i), Currency: "VND",
			Photos:   []catalog.NewPhoto{{Data: Picture(i + 1), MIME: "image/jpeg"}},
			Variants: specs,
		})
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	if _, err := cat.StartPublishing(ctx, w.ID, now, now.Add(72*time.Hour)); err != nil {
		return nil, err
	}
	// Where to pick up: shown with the note question.
	if err := orders.NewStore(db).SetSetting(ctx, orders.SettingPickup, "12 Lê Lợi, Quận 1 — 9:00–18:00", 0); err != nil {
		return nil, err
	}
	return items, nil
}
