package orders_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/orders"
)

// placeShop is a published week with a two-size item (stock 5 each), an unlimited item,
// and customers 1…n.
type placeShop struct {
	db                    *sqlx.DB
	week, item, free      int64
	small, large, anySize int64
}

func newPlaceShop(t *testing.T, customers int) (*orders.Store, placeShop) {
	t.Helper()
	s, db := newExportStore(t)
	var p placeShop
	p.db = db
	p.week = exportInsertID(t, db, `INSERT INTO weeks (title, status, published_at) VALUES ('Drop', 'published', now()) RETURNING id`)
	p.item = exportInsertID(t, db, `INSERT INTO items (week_id, title, price, currency, position) VALUES ($1, 'Dress', 100000, 'VND', 1) RETURNING id`, p.week)
	p.small = exportInsertID(t, db, `INSERT INTO variants (item_id, name, position, stock) VALUES ($1, 'S', 1, 5) RETURNING id`, p.item)
	p.large = exportInsertID(t, db, `INSERT INTO variants (item_id, name, position, stock) VALUES ($1, 'L', 2, 5) RETURNING id`, p.item)
	p.free = exportInsertID(t, db, `INSERT INTO items (week_id, title, price, currency, position) VALUES ($1, 'Pre-order', 50000, 'VND', 2) RETURNING id`, p.week)
	p.anySize = exportInsertID(t, db, `INSERT INTO variants (item_id, name, position, stock) VALUES ($1, '', 1, NULL) RETURNING id`, p.free)
	for i := 1; i <= customers; i++ {
		exportExec(t, db, `INSERT INTO customers (id, first_name, telegram_language) VALUES ($1, $2, 'en')`, i, fmt.Sprint("Customer ", i))
	}
	return s, p
}

func (p placeShop) stock(t *testing.T, variant int64) int {
	t.Helper()
	var n int
	if err := p.db.Get(&n, `SELECT stock FROM variants WHERE id = $1`, variant); err != nil {
		t.Fatal(err)
	}
	return n
}

// Forty customers want both sizes at once, in either order, with some confirming twice:
// five orders get both, nobody waits on anybody for ever, the rest are told what is left.
func TestPlaceConcurrentOrdersNeverOversellOrDeadlock(t *testing.T) {
	t.Parallel()
	const customers = 40
	s, p := newPlaceShop(t, customers)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	type result struct {
		customer int
		order    orders.Order
		err      error
	}
	results := make(chan result, 2*customers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for c := 1; c <= customers; c++ {
		lines := []orders.Want{{ItemID: p.item, VariantID: p.small, Quantity: 1}, {ItemID: p.item, VariantID: p.large, Quantity: 1},
			{ItemID: p.free, VariantID: p.anySize, Quantity: 2}}
		rand.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
		req := orders.PlaceRequest{CustomerID: int64(c), Key: fmt.Sprint("confirm-", c), Lines: lines, Currency: "VND",
			Delivery: orders.Pickup, Now: time.Now(), TTL: time.Hour, Total: 300000}
		confirmations := 1
		if c%4 == 0 {
			confirmations = 2 // a double tap
		}
		for range confirmations {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				o, err := s.Place(ctx, req)
				results <- result{c, o, err}
			}()
		}
	}
	close(start)
	wg.Wait()
	close(results)

	placed := map[int]int64{}
	refused := map[int]bool{}
	for r := range results {
		var short *orders.ShortageError
		switch {
		case r.err == nil:
			if prev, ok := placed[r.customer]; ok && prev != r.order.ID {
				t.Errorf("customer %d confirmed twice and got orders %d and %d", r.customer, prev, r.order.ID)
			}
			placed[r.customer] = r.order.ID
			if len(r.order.Lines) != 3 || r.order.Total != 300000 || r.order.Customer.ID != int64(r.customer) {
				t.Errorf("order of customer %d: %+v", r.customer, r.order)
			}
		case errors.As(r.err, &short):
			refused[r.customer] = true
			for _, l := range short.Lines {
				if l.Left != 0 || l.VariantID == p.anySize {
					t.Errorf("customer %d: shortage %+v; want sold-out sizes only", r.customer, l)
				}
			}
		default:
			t.Errorf("customer %d: %v", r.customer, r.err)
		}
	}
	if len(placed) != 5 {
		t.Errorf("%d customers have an order, want 5 (stock 5 of each size)", len(placed))
	}
	for c := range placed {
		if refused[c] {
			t.Errorf("customer %d tapped Confirm twice: one got the order, the other was told it sold out", c)
		}
	}
	if small, large := p.stock(t, p.small), p.stock(t, p.large); small != 0 || large != 0 {
		t.Errorf("stock left S %d, L %d; want 0 and 0", small, large)
	}
	var stored, lines int
	if err := p.db.Get(&stored, `SELECT count(*) FROM orders`); err != nil {
		t.Fatal(err)
	}
	if err := p.db.Get(&lines, `SELECT count(*) FROM order_lines`); err != nil {
		t.Fatal(err)
	}
	if stored != 5 || lines != 15 {
		t.Errorf("%d orders with %d lines stored, want 5 with 15", stored, lines)
	}
	var changes int
	if err := p.db.Get(&changes, `SELECT count(*) FROM stock_changes WHERE week_id = $1`, p.week); err != nil {
		t.Fatal(err)
	}
	if changes != 5 {
		t.Errorf("%d stock changes recorded for the week, want one an order (5)", changes)
	}
}

// An order whose stock another order took between its reading and its reservation is
// told what is left, as if it had come second.
func TestPlaceLinesAtTodaysPricesAndWhatIsLeft(t *testing.T) {
	t.Parallel()
	s, p := newPlaceShop(t, 2)
	ctx := context.Background()
	req := func(customer int64, key string, qty int, total int64) orders.PlaceRequest {
		return orders.PlaceRequest{CustomerID: customer, Key: key, Currency: "VND", Delivery: orders.Pickup,
			Now: time.Now(), TTL: time.Hour, Total: total,
			Lines: []orders.Want{{ItemID: p.item, VariantID: p.small, Quantity: qty}}}
	}
	first, err := s.Place(ctx, req(1, "a", 2, 200000))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Place(ctx, req(2, "b", 4, 400000))
	var short *orders.ShortageError
	if !errors.As(err, &short) || len(short.Lines) != 1 || short.Lines[0].Left != 3 || short.Lines[0].Title != "Dress" || short.Lines[0].Variant != "S" {
		t.Fatalf("4 of 3 left: %v %+v; want a shortage with 3 left", err, short)
	}
	exportExec(t, p.db, `UPDATE items SET price = 120000 WHERE id = $1`, p.item)
	if _, err := s.Place(ctx, req(2, "c", 1, 100000)); !errors.Is(err, orders.ErrPriceChanged) {
		t.Fatalf("confirming the old price: %v, want ErrPriceChanged", err)
	}
	o, err := s.Place(ctx, req(2, "c", 1, 120000))
	if err != nil || o.Total != 120000 || o.Lines[0].UnitPrice != 120000 || o.Lines[0].ID == 0 || o.Lines[0].OrderID != o.ID {
		t.Fatalf("at the new price: %+v, %v", o, err)
	}
	again, err := s.Place(ctx, req(2, "c", 1, 120000))
	if err != nil || again.ID != o.ID {
		t.Fatalf("the same confirmation again: order %d, %v; want order %d", again.ID, err, o.ID)
	}
	if left := p.stock(t, p.small); left != 2 {
		t.Errorf("stock left %d, want 2", left)
	}
	// The first confirmation again, as after a restart that lost the customer's session:
	// its order, though the price changed and only 2 are left of the 3 it would need now.
	exportExec(t, p.db, `UPDATE variants SET stock = 1 WHERE id = $1`, p.small)
	if again, err := s.Place(ctx, req(1, "a", 2, 200000)); err != nil || again.ID != first.ID {
		t.Fatalf("the first confirmation repeated later: order %d, %v; want order %d", again.ID, err, first.ID)
	}
	if left := p.stock(t, p.small); left != 1 {
		t.Errorf("stock left %d after a repeated confirmation, want 1 (untouched)", left)
	}
	exportExec(t, p.db, `UPDATE weeks SET status = 'closed', closed_at = now() WHERE id = $1`, p.week)
	_, err = s.Place(ctx, req(1, "d", 1, 120000))
	if !errors.As(err, &short) || !short.Lines[0].Closed {
		t.Fatalf("after the cut-off: %v; want a shortage marked closed", err)
	}
}

// A delivery order remembers the details it went to, for the customer's next checkout; a
// pickup order, which asks for none, leaves them as they were.
func TestPlaceRemembersDeliveryDetails(t *testing.T) {
	t.Parallel()
	s, p := newPlaceShop(t, 1)
	ctx := context.Background()
	place := func(key string, req orders.PlaceRequest) orders.Order {
		t.Helper()
		req.CustomerID, req.Key, req.Currency, req.Now, req.TTL = 1, key, "VND", time.Now(), time.Hour
		req.Lines = []orders.Want{{ItemID: p.free, VariantID: p.anySize, Quantity: 1}}
		o, err := s.Place(ctx, req)
		if err != nil {
			t.Fatalf("Place %s: %v", key, err)
		}
		return o
	}
	check := func(what string, got orders.Customer, name, phone, address string) {
		t.Helper()
		if got.ID != 1 || got.FirstName != "Customer 1" || got.DeliveryName != name || got.Phone != phone || got.DeliveryAddress != address {
			t.Errorf("%s: customer %d %q: %q, %q, %q; want %q, %q, %q", what, got.ID, got.FirstName,
				got.DeliveryName, got.Phone, got.DeliveryAddress, name, phone, address)
		}
		stored, err := s.Customer(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !stored.FirstSeen.Equal(got.FirstSeen) || !stored.LastSeen.Equal(got.LastSeen) {
			t.Errorf("%s: stored customer seen %v–%v, the order's %v–%v", what, stored.FirstSeen, stored.LastSeen, got.FirstSeen, got.LastSeen)
		}
		stored.FirstSeen, stored.LastSeen = got.FirstSeen, got.LastSeen
		if stored != got {
			t.Errorf("%s: stored customer %+v, the order's %+v", what, stored, got)
		}
	}
	first := place("first", orders.PlaceRequest{Delivery: orders.Shipping, RecipientName: "Lan", Phone: "+84901234567", Address: "12 Lý Thái Tổ"})
	check("delivery", first.Customer, "Lan", "+84901234567", "12 Lý Thái Tổ")
	o := place("pickup", orders.PlaceRequest{Delivery: orders.Pickup})
	check("pickup", o.Customer, "Lan", "+84901234567", "12 Lý Thái Tổ")
	o = place("second", orders.PlaceRequest{Delivery: orders.Shipping, RecipientName: "Mai", Phone: "+84907654321", Address: "3 Hàng Bông"})
	check("second delivery", o.Customer, "Mai", "+84907654321", "3 Hàng Bông")
	again := place("first", orders.PlaceRequest{Delivery: orders.Shipping, RecipientName: "Lan", Phone: "+84901234567", Address: "12 Lý Thái Tổ"})
	if again.ID != first.ID {
		t.Errorf("a repeated confirmation placed order %d", again.ID)
	}
}
