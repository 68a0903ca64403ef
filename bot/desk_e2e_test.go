package bot_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// sellers opens the bot for both sellers, in English and Vietnamese.
func sellers(t *testing.T, h *harness) (*telegramtest.User, *telegramtest.User) {
	t.Helper()
	s1 := h.fake.User(admin1, "Lan", "lan_shop", "vi")
	s2 := h.user(admin2, "Minh", "en")
	for _, s := range []*telegramtest.User{s1, s2} {
		s.SendText("/start")
		s.WaitFor(t, func(m telegramtest.Message) bool { return len(m.Buttons()) > 0 })
	}
	return s1, s2
}

func TestSellersWorkAnOrderTogether(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5, "M": 5})
	u := h.user(7001, "Mai", "en")
	added := book(t, h, u, dress, "M", 2)
	summary := checkoutShipping(t, h, u, added)
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅ Order") })
	var o orders.Order
	h.db.Get(&o.ID, `SELECT id FROM orders`)
	o, _ = orders.NewStore(h.db).Order(context.Background(), o.ID)

	// Both sellers get the new order with the actions it allows.
	n1 := s1.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	n2 := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	if got := buttonTexts(n2); strings.Join(got, "|") != h.text("en", "desk.paid_button")+"|"+h.text("en", "desk.cancel_button") {
		t.Errorf("new order buttons %v", got)
	}
	if got := buttonTexts(n1); len(got) != 2 || got[0] != h.text("vi", "desk.paid_button") {
		t.Errorf("new order buttons for the Vietnamese seller %v", got)
	}

	// The receipt arrives with its picture and the receipt actions.
	u.SendPhoto(photo(t, 5), "")
	r1 := s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
	r2 := s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
	if got := buttonTexts(r2); len(got) != 3 || got[1] != h.text("en", "desk.reject_button") {
		t.Errorf("receipt buttons %v", got)
	}

	// A customer pressing a seller's button changes nothing.
	before := len(u.CallbackAnswers())
	u.PressData(r2.ID, r2.Buttons()[0].Data)
	if a := waitAnswers(t, u, before+1); a[before].Text != h.text("en", "admin.only") {
		t.Errorf("a customer's press of a seller's button answered %q", a[before].Text)
	}
	if status := statusOf(t, h, o.ID); status != orders.ReceiptSubmitted {
		t.Fatalf("a forged press moved the order to %s", status)
	}

	// Seller 1 confirms; seller 2's copies now say who did it, and offer what comes next.
	s1.Press(t, r1, h.text("vi", "desk.paid_button"))
	edited := s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID == r2.ID && strings.Contains(m.Caption, "Status: "+plain(h.texts.T("en", "order_status.paid"))+" — Lan")
	})
	if got := buttonTexts(edited); strings.Join(got, "|") != h.text("en", "desk.shipped_button")+"|"+h.text("en", "desk.done_button")+"|"+h.text("en", "desk.cancel_button") {
		t.Errorf("buttons after payment %v", got)
	}
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == n2.ID && strings.Contains(m.Text, "— Lan") })
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "💰") && strings.Contains(m.Text, o.Code)
	})

	// Seller 2 presses Confirm on a stale copy: refused, nothing happens twice.
	s2.PressData(n2.ID, fmt.Sprintf("\foa|%d|paid", o.ID))
	deadline := time.Now().Add(5 * time.Second)
	for len(s2.CallbackAnswers()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a := s2.CallbackAnswers(); len(a) != 1 || !strings.Contains(a[0].Text, "already") {
		t.Errorf("second confirmation answered %v", a)
	}
	var events int
	h.db.Get(&events, `SELECT count(*) FROM order_events WHERE order_id = $1 AND to_status = 'paid'`, o.ID)
	if events != 1 {
		t.Errorf("%d paid transitions", events)
	}

	// Shipped, with a tracking note the customer receives.
	s2.Press(t, edited, h.text("en", "desk.shipped_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Tracking number") })
	s2.SendText("GHN 8412-775")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🚚") && strings.Contains(m.Text, "GHN 8412-775")
	})
	var ev orders.Event
	h.db.Get(&ev, `SELECT from_status, to_status, actor, note, at FROM order_events WHERE order_id = $1 ORDER BY id DESC LIMIT 1`, o.ID)
	if ev.From != orders.Paid || ev.To != orders.Shipped || ev.Actor != admin2 || ev.Note != "GHN 8412-775" {
		t.Errorf("last event %+v", ev)
	}
	// /order shows the history; /find finds it by phone.
	s2.SendText("/order " + strings.ToLower(o.Code))
	card := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "History") })
	for _, want := range []string{"Lan", "Minh", "GHN 8412-775", plain(h.texts.T("en", "order_status.shipped"))} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("order card lacks %q: %q", want, card.Text)
		}
	}
	s2.SendText("/find 345678")
	s2.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🔎") && strings.Contains(m.Text, o.Code)
	})
	noErrors(t, h)
}

// A seller's notices follow the language they pick, from the next order on.
func TestSellersGetNoticesInTheLanguageTheyPick(t *testing.T) {
	t.Parallel()
	h, lan, minh, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7101, "Mai", "en")
	notice := func(s *telegramtest.User, o orders.Order, lang string) {
		t.Helper()
		n := s.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
		if !strings.HasPrefix(n.Text, h.text(lang, "notice.new_order")) {
			t.Errorf("%s's notice of %s: %q; want it in %s", s.FirstName, o.Code, n.Text, lang)
		}
	}
	first := placePickup(t, h, u, dress, "S", 1)
	notice(lan, first, "vi")
	notice(minh, first, "en")

	lan.SendText("/language")
	picker := lan.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "language.choose") })
	lan.Press(t, picker, "English")
	lan.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == picker.ID && m.Text == h.text("en", "language.set") })
	second := placePickup(t, h, u, dress, "S", 1)
	notice(lan, second, "en")
	notice(minh, second, "en")
	noErrors(t, h)
}

// receiptAtSeller places a pickup order of one size S item for u and sends a receipt
// photo for it (seed picks the picture); it returns the order and the receipt's notice as
// seller sees it.
func receiptAtSeller(t *testing.T, h *harness, seller, u *telegramtest.User, it catalog.Item, qty, seed int) (orders.Order, telegramtest.Message) {
	t.Helper()
	o := placePickup(t, h, u, it, "S", qty)
	u.SendPhoto(photo(t, seed), "")
	return o, seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
}

func TestRejectAndCancelTellTheCustomerWhy(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7101, "Hoa", "en")
	o, r2 := receiptAtSeller(t, h, s2, u, dress, 2, 6)
	s2.Press(t, r2, h.text("en", "desk.reject_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is the receipt") })
	s2.SendText("Amount is 100.000 short")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "↩️") && strings.Contains(m.Text, "Amount is 100.000 short")
	})
	var after struct {
		Status    orders.Status `db:"status"`
		ExpiresAt time.Time     `db:"expires_at"`
	}
	h.db.Get(&after, `SELECT status, expires_at FROM orders WHERE id = $1`, o.ID)
	if after.Status != orders.AwaitingPayment {
		t.Errorf("after rejection %s", after.Status)
	}
	// The customer gets a full payment window again, not what was left of the old one.
	if !after.ExpiresAt.After(o.ExpiresAt) {
		t.Errorf("deadline %v after rejection, was %v", after.ExpiresAt, o.ExpiresAt)
	}
	// Cancelling gives the stock back.
	s2.SendText("/order " + o.Code)
	card := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "History") })
	s2.Press(t, card, h.text("en", "desk.cancel_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is order") })
	s2.SendText("Out of fabric")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "✖️") && strings.Contains(m.Text, "Out of fabric")
	})
	if s := stockOf(t, h, dress, "S"); s != 5 {
		t.Errorf("stock after the shop cancelled %d", s)
	}
	noErrors(t, h)
}

func TestPurchaseListMatchesTheOrderLines(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, bag := sellersShop(t, map[string]int{"S": 20, "M": 20, "bag": 20})
	for i, want := range []struct {
		it   catalog.Item
		size string
		n    int
	}{{dress, "S", 2}, {dress, "M", 1}, {bag, "", 3}, {dress, "S", 1}} {
		u := h.user(int64(7200+i), "C", "en")
		placePickup(t, h, u, want.it, want.size, want.n)
	}
	// One of them paid.
	var first int64
	h.db.Get(&first, `SELECT min(id) FROM orders`)
	if _, err := orders.NewStore(h.db).Move(context.Background(), orders.Move{OrderID: first, To: orders.Paid, Actor: admin2}); err != nil {
		t.Fatal(err)
	}
	// The dress renamed meanwhile, and booked again: one line still, by its new name.
	if err := h.catalog().UpdateText(context.Background(), dress.ID, "Long silk dress", ""); err != nil {
		t.Fatal(err)
	}
	renamed := dress
	renamed.Title = "Long silk dress"
	placePickup(t, h, h.user(7210, "C", "en"), renamed, "S", 1)
	s2.SendText("/purchases")
	list := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "🛒") })
	var rows []struct {
		Title   string `db:"title"`
		Variant string `db:"variant_name"`
		Paid    int    `db:"paid"`
		All     int    `db:"all"`
	}
	if err := h.db.Select(&rows, `SELECT i.title, l.variant_name, COALESCE(sum(quantity) FILTER (WHERE o.status = 'paid'), 0) AS paid,
    sum(quantity) AS all FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN items i ON i.id = l.item_id
GROUP BY i.title, l.variant_name`); err != nil || len(rows) != 3 {
		t.Fatalf("order lines %v, %v", rows, err)
	}
	if strings.Contains(list.Text, "Silk dress (S)") {
		t.Errorf("the purchase list keeps the dress's old name:\n%s", list.Text)
	}
	total := 0
	for _, r := range rows {
		label := r.Title
		if r.Variant != "" {
			label += " (" + r.Variant + ")"
		}
		want := fmt.Sprintf("%s: %d — %d paid, %d awaiting payment", label, r.All, r.Paid, r.All-r.Paid)
		if !strings.Contains(list.Text, want) {
			t.Errorf("purchase list lacks %q:\n%s", want, list.Text)
		}
		total += r.All
	}
	if !strings.Contains(list.Text, fmt.Sprintf("Total: %d", total)) {
		t.Errorf("purchase list total: %s", list.Text)
	}
	noErrors(t, h)
}

// seedCustomers stores n customers who talked to the bot, with their chats at the fake.
func seedCustomers(t *testing.T, h *harness, first int64, n int) []*telegramtest.User {
	t.Helper()
	store := orders.NewStore(h.db)
	var people []*telegramtest.User
	for i := range n {
		id := first + int64(i)
		u := h.fake.User(id, fmt.Sprintf("Khách %d", i), "", "vi")
		if _, _, err := store.SeeCustomer(context.Background(), orders.Profile{ID: id, FirstName: u.FirstName, TelegramLanguage: "vi"}); err != nil {
			t.Fatal(err)
		}
		people = append(people, u)
	}
	return people
}

// Not parallel: it measures time, so it runs alone.
func TestBroadcastKeepsToTelegramsRate(t *testing.T) {
	const customers = 300
	h := newHarness(t, func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.SendRate = 30 })
	})
	h.start()
	seller := h.user(admin2, "Minh", "en")
	people := seedCustomers(t, h, 8000, customers)

	seller.SendText("/broadcast")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "📣 Send") })
	seller.SendText("New arrivals on Monday! <3 & more")
	preview := seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "This goes to") })
	if !strings.Contains(preview.Text, fmt.Sprint(customers)) {
		t.Fatalf("preview %q", preview.Text)
	}
	start := time.Now()
	seller.Press(t, preview, h.text("en", "broadcast.send_button"))
	var done telegramtest.Message
	for deadline := time.Now().Add(40 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if msgs := seller.Messages(); strings.HasPrefix(msgs[len(msgs)-1].Text, "✅ Broadcast done") {
			done = msgs[len(msgs)-1]
			break
		}
	}
	took := time.Since(start)
	// The rate allows 30 a second after Telegram's burst of 30.
	least := time.Duration(float64(customers-30) / 30 * float64(time.Second))
	most := time.Duration(1.2 * float64(customers) / 30 * float64(time.Second))
	if took < least || took > most {
		t.Errorf("broadcast took %v, want between %v and %v", took, least, most)
	}
	if !strings.Contains(done.Text, fmt.Sprintf("%d of %d", customers, customers)) || done.Edits < 2 {
		t.Errorf("progress %q edited %d times", done.Text, done.Edits)
	}
	for _, u := range people {
		if got := u.Messages(); len(got) != 1 || got[0].Text != "New arrivals on Monday! <3 & more" {
			t.Fatalf("customer %d got %v", u.ID, got)
		}
	}
	if n := h.fake.TooMany(); n != 0 {
		t.Errorf("%d answers 429", n)
	}
	noErrors(t, h)
}

func TestOutboxDeliversOnceThroughFaultsAndARestart(t *testing.T) {
	t.Parallel()
	const customers = 40
	h := newHarness(t)
	r := h.start()
	people := seedCustomers(t, h, 9000, customers)
	people[7].Block()

	// Telegram fails for a while: server errors, flood waits, connections dropped.
	h.fake.FailNext("sendMessage", 3, 500, 0)
	h.fake.FailNext("sendMessage", 2, 429, 1)
	h.fake.DropNext("sendMessage", 2)
	if _, _, err := outbox.NewStore(h.db).Broadcast(context.Background(), admin2, []int64{admin1, admin2}, "k1", "Sale!", ""); err != nil {
		t.Fatal(err)
	}

	// Stop the bot once some are out, and start another.
	deadline := time.Now().Add(20 * time.Second)
	for delivered(people) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	r.stop(t)
	h.start()
	deadline = time.Now().Add(30 * time.Second)
	for pending := 1; pending > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	}
	for i, u := range people {
		want := 1
		if i == 7 {
			want = 0
		}
		if got := len(u.Messages()); got != want {
			t.Errorf("customer %d got %d messages", u.ID, got)
		}
	}
	var blocked bool
	h.db.Get(&blocked, `SELECT blocked FROM customers WHERE id = $1`, people[7].ID)
	if !blocked {
		t.Error("the customer who blocked the bot is not marked")
	}
	var pending int
	h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	if pending != 0 {
		t.Errorf("%d messages still pending", pending)
	}
}

func delivered(people []*telegramtest.User) int {
	n := 0
	for _, u := range people {
		n += len(u.Messages())
	}
	return n
}

// The shop's settings are kept by the process for a few seconds, yet a seller's change
// reaches the very next customer: the pickup address with the note question, the payment
// instructions after Confirm.
func TestASellersNewSettingsReachTheNextCustomer(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	// The sellers' new-order notices come in between, whenever the outbox sends them.
	set := func(cmd, value, saved string) {
		t.Helper()
		from := lastID(seller)
		seller.SendText(cmd)
		seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && !strings.HasPrefix(m.Text, "🆕") })
		from = lastID(seller)
		seller.SendText(value)
		seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", saved) })
	}
	// shows reports whether the customer's chat has a message containing text.
	shows := func(u *telegramtest.User, text string) bool {
		for _, m := range u.Messages() {
			if m.FromBot && strings.Contains(m.Text, text) {
				return true
			}
		}
		return false
	}
	set("/setpickup", "Kho A, 12 Lê Lợi", "setpickup.saved")
	first := h.user(5601, "Mai", "en")
	placePickup(t, h, first, dress, "S", 1)
	if !shows(first, "Kho A, 12 Lê Lợi") || !shows(first, h.text("en", "payment.no_instructions")) {
		t.Fatalf("the first customer's chat: %v", first.Messages())
	}

	set("/setpickup", "Kho B, 34 Hai Bà Trưng", "setpickup.saved")
	set("/setpayment", "Vietcombank 0123 456 789", "setpayment.saved")
	second := h.user(5602, "Hoa", "en")
	placePickup(t, h, second, dress, "S", 1)
	if !shows(second, "Kho B, 34 Hai Bà Trưng") || shows(second, "Kho A") {
		t.Errorf("the second customer was not given the new pickup address")
	}
	if !shows(second, "Vietcombank 0123 456 789") {
		t.Errorf("the second customer was not given the new payment instructions")
	}
	noErrors(t, h)
}

// A seller who tapped Cancel order and then confirmed the payment instead is not asked for
// the reason any more: a text after it cancels nothing.
func TestAnotherDeskActionDropsTheReasonAskedFor(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7201, "Hoa", "en")
	o, notice := receiptAtSeller(t, h, s2, u, dress, 1, 7)
	prompt := replyTo(t, s2, func() { s2.Press(t, notice, h.text("en", "desk.cancel_button")) })
	if prompt.Text != h.text("en", "desk.cancel_prompt", locale.Args{"Code": o.Code}) {
		t.Fatalf("cancel prompt: %q", prompt.Text)
	}
	answers := len(s2.CallbackAnswers())
	s2.Press(t, notice, h.text("en", "desk.paid_button"))
	waitAnswers(t, s2, answers+1)
	if m := replyTo(t, s2, func() { s2.SendText("oops") }); m.Text != h.text("en", "unknown.text") {
		t.Errorf("a text after confirming the payment instead: %q", m.Text)
	}
	if status := statusOf(t, h, o.ID); status != orders.Paid {
		t.Errorf("order %s after cancel, then paid, then a text", status)
	}
	noErrors(t, h)
}

// An order card opened with /order follows what the seller does from it: its history and
// its buttons change with the order, whether the action asks a reason or not, and in the
// language the seller speaks now. Another seller's card, opened before, is brought up to
// date when they press what is no longer there to do.
func TestAnOrderCardFollowsTheActionsTakenFromIt(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7301, "Hoa", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	// openCard opens the order's card; the new order's notice may come before or after it.
	openCard := func(s *telegramtest.User, history string) telegramtest.Message {
		t.Helper()
		s.WaitFor(t, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, o.Code) && !strings.Contains(m.Text, history)
		})
		from := lastID(s)
		s.SendText("/order " + o.Code)
		return s.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && strings.Contains(m.Text, history) })
	}
	card := openCard(s2, plain(h.texts.T("en", "desk.history")))
	other := openCard(s1, plain(h.texts.T("vi", "desk.history")))
	if got := buttonTexts(card); strings.Join(got, "|") != h.text("en", "desk.paid_button")+"|"+h.text("en", "desk.cancel_button") {
		t.Fatalf("the card's buttons: %q", got)
	}
	// The seller switches to Vietnamese; the card, in English, still follows.
	picker := replyTo(t, s2, func() { s2.SendText("/language") })
	replyTo(t, s2, func() { s2.Press(t, picker, "Tiếng Việt") })
	s2.Press(t, card, h.text("en", "desk.paid_button"))
	card = s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == card.ID && m.Edits == 1 })
	paid := h.text("vi", "desk.ready_button") + "|" + h.text("vi", "desk.done_button") + "|" + h.text("vi", "desk.cancel_button")
	if got := buttonTexts(card); strings.Join(got, "|") != paid || !strings.Contains(card.Text, h.text("vi", "order_status.paid")) {
		t.Errorf("the card after the payment: %q, buttons %q", card.Text, got)
	}
	answers := len(s1.CallbackAnswers())
	s1.Press(t, other, h.text("vi", "desk.paid_button"))
	waitAnswers(t, s1, answers+1)
	other = s1.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == other.ID && m.Edits == 1 })
	if got := buttonTexts(other); strings.Join(got, "|") != paid || !strings.Contains(other.Text, h.text("vi", "order_status.paid")) {
		t.Errorf("the other seller's card after their late press: %q, buttons %q", other.Text, got)
	}

	s2.Press(t, card, h.text("vi", "desk.cancel_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("vi", "desk.cancel_prompt", locale.Args{"Code": o.Code})
	})
	s2.SendText("Hết vải")
	card = s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == card.ID && m.Edits == 2 })
	if len(card.Buttons()) != 0 || !strings.Contains(card.Text, h.text("vi", "order_status.cancelled")) || !strings.Contains(card.Text, "Hết vải") {
		t.Errorf("the card after the cancel: %q, buttons %q", card.Text, buttonTexts(card))
	}
	noErrors(t, h)
}

// A seller who corrects a broadcast before sending it sends what the last preview shows:
// an earlier preview's Send is stale. An album is answered once: a broadcast carries one
// photo.
func TestOnlyTheLastBroadcastPreviewSends(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	seller := h.user(admin2, "Minh", "en")
	people := seedCustomers(t, h, 8400, 3)
	isPreview := func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "This goes to") }
	replyTo(t, seller, func() { seller.SendText("/broadcast") })
	from := lastID(seller)
	seller.SendText("Sale on Monday")
	first := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && isPreview(m) })
	seller.SendText("Sale on Tuesday")
	last := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > first.ID && isPreview(m) })
	from = lastID(seller)
	seller.SendAlbum([][]byte{photo(t, 41), photo(t, 42)}, "two photos")
	replyTo(t, seller, func() { seller.SendText("/help") })
	var onePhoto int
	for _, m := range seller.Messages() {
		if m.ID > from && m.Text == h.text("en", "broadcast.one_photo") {
			onePhoto++
		}
	}
	if onePhoto != 1 {
		t.Errorf("an album answered %d times", onePhoto)
	}

	answers := len(seller.CallbackAnswers())
	seller.Press(t, first, h.text("en", "broadcast.send_button"))
	if a := waitAnswers(t, seller, answers+1); a[answers].Text != h.text("en", "callback.stale") {
		t.Errorf("Send under an earlier preview: %q", a[answers].Text)
	}
	seller.Press(t, last, h.text("en", "broadcast.send_button"))
	for _, u := range people {
		got := u.WaitFor(t, func(m telegramtest.Message) bool { return m.FromBot })
		if got.Text != "Sale on Tuesday" || len(u.Messages()) != 1 {
			t.Errorf("customer %d got %v", u.ID, u.Messages())
		}
	}
	noErrors(t, h)
}

// A seller asked why they cancel an order that another seller confirms paid meanwhile
// cancels nothing: their reason is for the order as it was, and they are told it moved.
func TestACancelReasonAfterAPaymentCancelsNothing(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(9101, "Mai", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	n1 := s1.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	n2 := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	s2.Press(t, n2, h.text("en", "desk.cancel_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is order") })
	s1.Press(t, n1, h.text("vi", "desk.paid_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "💰") })
	s2.SendText("customer asked to cancel")
	already := h.text("en", "desk.already", locale.Args{"Code": o.Code, "Status": h.text("en", "order_status.paid")})
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == already })
	if st := statusOf(t, h, o.ID); st != orders.Paid {
		t.Errorf("the order is %s, want paid", st)
	}
	if stockOf(t, h, dress, "S") != 4 {
		t.Errorf("stock %d after a paid order of one, want 4", stockOf(t, h, dress, "S"))
	}
	time.Sleep(200 * time.Millisecond)
	if n := countStarting(u.Messages(), "✖️"); n != 0 {
		t.Errorf("the customer was told their paid order was cancelled")
	}
	noErrors(t, h)
}

// What a customer writes with a receipt ("paid from my husband's account") reaches the
// sellers with it.
func TestAReceiptsCaptionReachesTheSellers(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7301, "Hoa", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	u.SendPhoto(photo(t, 3), "  Paid from my husband's account <Minh & co>  ")
	for _, s := range []struct {
		u    *telegramtest.User
		lang string
	}{{s1, "vi"}, {s2, "en"}} {
		want := h.text(s.lang, "notice.receipt_caption", locale.Args{"Text": "Paid from my husband's account <Minh & co>"})
		n := s.u.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
		if !strings.Contains(n.Caption, want) {
			t.Errorf("seller %d's receipt notice lacks %q: %q", s.u.ID, want, n.Caption)
		}
	}
	noErrors(t, h)
}

// A receipt sent just after its order expired is not lost: it is kept with the order,
// the sellers get it, marked late (the items were released), and the customer is told
// the shop will get back to them.
func TestALateReceiptReachesTheSellers(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Now())
	h := shopHarness(t, withClock(clock), withEnv("UNPAID_ORDER_TTL", "24h"))
	h.start()
	s1, s2 := sellers(t, h)
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(9201, "Hoa", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	clock.Set(clock.Now().Add(25 * time.Hour))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "⌛") })
	// With nothing waiting for payment, a photo may be no receipt at all: the customer
	// says it is one by picking its order, or it is kept nowhere.
	receiptsOf := func(id int64) (n int) {
		t.Helper()
		if err := h.db.Get(&n, `SELECT count(*) FROM receipts WHERE order_id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return n
	}
	which := replyTo(t, u, func() { u.SendPhoto(photo(t, 42), "paid yesterday evening") })
	if which.Text != h.text("en", "receipt.which_late") || len(which.Buttons()) != 1 || !strings.HasPrefix(which.Buttons()[0].Text, o.Code) {
		t.Fatalf("a photo after the order expired: %q %v", which.Text, which.Buttons())
	}
	time.Sleep(200 * time.Millisecond)
	if n := receiptsOf(o.ID); n != 0 {
		t.Errorf("%d receipts kept before the customer said it is one", n)
	}
	if m := replyTo(t, u, func() { u.Press(t, which, which.Buttons()[0].Text) }); m.Text != h.text("en", "receipt.late", locale.Args{"Code": o.Code}) {
		t.Errorf("the customer was told %q", m.Text)
	}
	for _, s := range []struct {
		u    *telegramtest.User
		lang string
	}{{s1, "vi"}, {s2, "en"}} {
		late := h.text(s.lang, "notice.receipt_late", locale.Args{"Code": o.Code, "Amount": "150.000\u00a0₫"})
		n := s.u.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
		if !strings.HasPrefix(n.Caption, late) || !strings.Contains(n.Caption, "paid yesterday evening") {
			t.Errorf("seller %d's notice: %q", s.u.ID, n.Caption)
		}
	}
	if n := receiptsOf(o.ID); n != 1 {
		t.Errorf("%d receipts kept with the order", n)
	}
	if st := statusOf(t, h, o.ID); st != orders.Expired {
		t.Errorf("the order is %s, want it still expired", st)
	}
	// Sent again (a lost answer), it is the same receipt.
	again := replyTo(t, u, func() { u.SendPhoto(photo(t, 42), "") })
	replyTo(t, u, func() { u.Press(t, again, again.Buttons()[0].Text) })
	if n := receiptsOf(o.ID); n != 1 {
		t.Errorf("%d receipts after sending it again", n)
	}

	// With two orders expired, the customer says which one it pays.
	o2 := placePickup(t, h, u, dress, "S", 2)
	clock.Set(clock.Now().Add(25 * time.Hour))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "⌛") && strings.Contains(m.Text, o2.Code)
	})
	which = replyTo(t, u, func() { u.SendPhoto(photo(t, 43), "") })
	if which.Text != h.text("en", "receipt.which_late") || len(which.Buttons()) != 2 {
		t.Fatalf("with two orders expired: %q %v", which.Text, which.Buttons())
	}
	if m := replyTo(t, u, func() { u.Press(t, which, which.Buttons()[1].Text) }); m.Text != h.text("en", "receipt.late", locale.Args{"Code": o.Code}) {
		t.Errorf("picking the older order: %q", m.Text)
	}
	if n := receiptsOf(o.ID); n != 2 {
		t.Errorf("%d receipts for the order picked", n)
	}
	// A week after their deadlines, a photo pays neither.
	clock.Set(clock.Now().Add(7 * 24 * time.Hour))
	if m := replyTo(t, u, func() { u.SendPhoto(photo(t, 44), "") }); m.Text != h.text("en", "ask.photo_hint") {
		t.Errorf("a week late: %q", m.Text)
	}
	var all int
	if err := h.db.Get(&all, `SELECT count(*) FROM receipts`); err != nil || all != 2 {
		t.Errorf("%d receipts in all (%v), want 2", all, err)
	}
	noErrors(t, h)
}

// A seller asked why they reject a receipt rejects nothing if, meanwhile, another seller
// rejected it and the customer sent a new one: the order has the same status, but it is
// not the one they looked at.
func TestARejectReasonOvertakenByANewReceiptRejectsNothing(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7401, "Hoa", "en")
	o, r2 := receiptAtSeller(t, h, s2, u, dress, 1, 8)
	s2.Press(t, r2, h.text("en", "desk.reject_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is the receipt") })
	// Seller 1 rejects it, with a reason; the customer sends another receipt.
	r1 := s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
	from := lastID(s1)
	s1.Press(t, r1, h.text("vi", "desk.reject_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text != "" })
	s1.SendText("Sai số tiền")
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "↩️") })
	sent := lastID(u)
	u.SendPhoto(photo(t, 9), "")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > sent && strings.HasPrefix(m.Text, "🧾") })
	if st := statusOf(t, h, o.ID); st != orders.ReceiptSubmitted {
		t.Fatalf("after the new receipt: %s", st)
	}
	// Seller 2's reason, for the first receipt, comes now.
	s2.SendText("Amount is short")
	changed := h.text("en", "desk.changed", locale.Args{"Code": o.Code})
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == changed })
	if st := statusOf(t, h, o.ID); st != orders.ReceiptSubmitted {
		t.Errorf("the new receipt's order is %s, want it still waiting for the sellers", st)
	}
	if n := countStarting(u.Messages(), "↩️"); n != 1 {
		t.Errorf("the customer was told %d times that a receipt was rejected", n)
	}

	// Asked again, and a second receipt comes meanwhile (the same status, no change of it).
	first := r2.ID
	r2 = s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > first && m.Photo != nil && strings.Contains(m.Caption, o.Code) &&
			slices.Contains(buttonTexts(m), h.text("en", "desk.reject_button"))
	})
	asked := lastID(s2)
	s2.Press(t, r2, h.text("en", "desk.reject_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > asked && strings.HasPrefix(m.Text, "Why is the receipt")
	})
	sent = lastID(u)
	u.SendPhoto(photo(t, 10), "the right one")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > sent && strings.HasPrefix(m.Text, "🧾") })
	answered := lastID(s2)
	s2.SendText("Amount is short")
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > answered && m.Text == changed })
	if st := statusOf(t, h, o.ID); st != orders.ReceiptSubmitted {
		t.Errorf("with a second receipt the order is %s, want it still waiting for the sellers", st)
	}
	noErrors(t, h)
}

// A customer who blocked the bot can't be told what became of their order: the seller who
// moved it is told instead, in their language, with the customer's phone to call them on;
// the other seller is not.
func TestTheSellerIsToldWhenACustomerCantBeToldOfTheirOrder(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"M": 5})
	u := h.user(7401, "Mai", "en")
	summary := checkoutShipping(t, h, u, book(t, h, u, dress, "M", 1))
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅ Order") })
	var id int64
	if err := h.db.Get(&id, `SELECT id FROM orders WHERE customer_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	o, err := orders.NewStore(h.db).Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	notice := s1.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })

	u.Block()
	s1.Press(t, notice, h.text("vi", "desk.paid_button"))
	want := h.text("vi", "notice.undelivered_status", locale.Args{"Code": o.Code, "Customer": "Mai", "Status": plain(h.texts.T("vi", "order_status.paid"))}) +
		"\n" + h.text("vi", "notice.undelivered_phone", locale.Args{"Phone": "+84912345678"})
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
	if statusOf(t, h, o.ID) != orders.Paid {
		t.Errorf("the order is not paid")
	}
	var blocked bool
	if err := h.db.Get(&blocked, `SELECT blocked FROM customers WHERE id = $1`, u.ID); err != nil || !blocked {
		t.Errorf("the customer is not marked as having blocked the bot (%v)", err)
	}
	var bounces []int64
	if err := h.db.Select(&bounces, `SELECT chat_id FROM outbox WHERE kind = $1 AND order_id = $2`, outbox.KindBounce, o.ID); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(bounces, []int64{admin1}) {
		t.Errorf("told of the undelivered news: %v, want only the seller who moved the order", bounces)
	}
	for _, m := range s2.Messages() {
		if strings.Contains(m.Text, "⚠️") {
			t.Errorf("the other seller was told %q", m.Text)
		}
	}
	noErrors(t, h, 403)
}

// orderHeldAtSeller has a new customer order it, and Telegram hold the first seller's copy
// of the new order's notice, carried out, until release is called.
func orderHeldAtSeller(t *testing.T, h *harness, it catalog.Item, customerID int64) (*telegramtest.User, orders.Order, func()) {
	t.Helper()
	held, release := h.fake.HoldNext("sendMessage", admin1)
	u := h.user(customerID, "Hoa", "en")
	o := placePickup(t, h, u, it, "S", 1)
	waitHeld(t, held, "the new order's notice")
	return u, o, release
}

// A seller's copy of a new order that was on its way while the customer cancelled (the
// edits of the cancel missed it) is brought up to the order's status once delivered: it
// does not offer to confirm the payment of a cancelled order.
func TestACopyDeliveredAfterTheOrderChangedFollowsIt(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u, o, release := orderHeldAtSeller(t, h, dress, 7601)
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) && len(m.Buttons()) > 0 })
	cancelOrder(t, h, u, o)
	for _, s := range []*telegramtest.User{s1, s2} {
		if s == s1 {
			release()
		}
		s.WaitFor(t, func(m telegramtest.Message) bool {
			return strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, o.Code) && len(m.Buttons()) == 0 &&
				strings.Contains(m.Text, plain(h.texts.T(s.LanguageCode, "order_status.cancelled")))
		})
	}
	noErrors(t, h)
}

// A seller's copy of a receipt that was on its way while another seller rejected it and the
// customer sent another is brought up to the order once delivered, though the order is
// back at the same status: its status line tells what happened meanwhile.
func TestACopyOfAReceiptDeliveredAfterItWasRejectedFollowsTheOrder(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7611, "Hoa", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) })
	held, release := h.fake.HoldNext("sendPhoto", admin2)
	u.SendPhoto(photo(t, 21), "")
	waitHeld(t, held, "the receipt's copy")
	first := s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
	s1.Press(t, first, h.text("vi", "desk.reject_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > first.ID && len(m.Buttons()) == 0 && m.Photo == nil })
	s1.SendText("Thiếu 50.000")
	rejected := u.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "Thiếu 50.000") })
	u.SendPhoto(photo(t, 22), "")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > rejected.ID && strings.HasPrefix(m.Text, "🧾") })
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > first.ID && m.Photo != nil && strings.Contains(m.Caption, o.Code)
	})
	release()
	status := plain(h.texts.T("en", "order_status.receipt_submitted"))
	copies := func() (n int) {
		for _, m := range s2.Messages() {
			if m.Photo != nil && strings.Contains(m.Caption, o.Code) {
				n++
			}
		}
		return n
	}
	s2.WaitFor(t, func(telegramtest.Message) bool { return copies() == 2 })
	// The first copy, late, says where the order is now.
	s2.WaitFor(t, func(telegramtest.Message) bool {
		for _, m := range s2.Messages() {
			if m.Photo != nil && strings.Contains(m.Caption, o.Code) {
				return m.Edits > 0 && strings.Contains(m.Caption, status)
			}
		}
		return false
	})
	noErrors(t, h)
}

// A chat Telegram is slow to answer holds up no other: while the first seller's copy of a
// new order hangs, the other seller confirms the payment and the customer is told at once.
func TestASlowChatHoldsUpNoOther(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u, o, release := orderHeldAtSeller(t, h, dress, 7621)
	notice := s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) && len(m.Buttons()) > 0 })
	s2.Press(t, notice, h.text("en", "desk.paid_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "status_notice.paid", locale.Args{"Code": o.Code})
	})
	release()
	// The held copy, delivered, is brought up to the order.
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, o.Code) && m.Edits > 0 &&
			strings.Contains(m.Text, plain(h.texts.T("vi", "order_status.paid")))
	})
	noErrors(t, h)
}

// Two processes share the outbox: each sends what it claimed well within the claim, so
// neither takes back what the other is still sending, and every message of every chat
// arrives once, in order.
func TestTwoSendersDeliverEveryMessageOnceInOrder(t *testing.T) {
	t.Parallel()
	const chats, each = 150, 4
	h := newHarness(t, func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.SendRate = 12 }) // 24 a second together
	})
	h.start()
	h.start()
	people := seedCustomers(t, h, 9500, chats)
	var msgs []outbox.Message
	for _, u := range people {
		for i := range each {
			msgs = append(msgs, outbox.Message{ChatID: u.ID, Kind: "notice", Text: fmt.Sprintf("m%d", i+1)})
		}
	}
	tx := h.db.MustBegin()
	if err := outbox.Enqueue(context.Background(), tx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for pending := 1; pending > 0 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err := h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"m1", "m2", "m3", "m4"}
	for _, u := range people {
		var got []string
		for _, m := range u.Messages() {
			got = append(got, m.Text)
		}
		if !slices.Equal(got, want) {
			t.Errorf("customer %d got %q, want %q", u.ID, got, want)
		}
	}
}

// A broadcast to many customers takes minutes at Telegram's rate; the messages the shop
// runs on (a new order to the sellers, an order's news to its customer) go before it
// rather than after its last customer. Not parallel: it measures time, so it runs alone.
func TestOrdersReachTheSellersDuringABroadcast(t *testing.T) {
	const customers = 450 // fifteen seconds at thirty a second
	h := shopHarness(t, func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.SendRate = 30 })
	})
	h.start()
	_, seller := sellers(t, h)
	dress, _ := liveShop(t, h, map[string]int{"M": 5})
	people := seedCustomers(t, h, 20000, customers)
	if _, _, err := outbox.NewStore(h.db).Broadcast(context.Background(), admin2, []int64{admin1, admin2}, "drop", "New arrivals on Monday!", ""); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); delivered(people) < 60; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the broadcast reached %d customers in 10 s", delivered(people))
		}
	}

	u := h.user(30001, "Hoa", "en")
	from := lastID(seller)
	o := placePickup(t, h, u, dress, "M", 1)
	placed := time.Now()
	copy := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && strings.Contains(m.Text, o.Code) })
	took := time.Since(placed)
	left := customers - delivered(people)
	if took > 3*time.Second || left < 100 {
		t.Errorf("the new order reached the seller %v after it was placed, with %d customers of the broadcast left; want within 3 s, well before its end", took, left)
	}

	// The order's news too.
	from = lastID(u)
	seller.Press(t, copy, h.text("en", "desk.paid_button"))
	news := time.Now()
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from })
	if took := time.Since(news); took > 3*time.Second || customers-delivered(people) < 50 {
		t.Errorf("the customer heard of their order %v after the seller acted, with %d customers of the broadcast left", took, customers-delivered(people))
	}
	noErrors(t, h)
}

// /find takes a phone as sellers type it: in Arabic-Indic digits, or in national form for
// a number shared in international form.
func TestFindAPhoneAsSellersTypeIt(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5, "M": 5})
	u := h.user(7001, "Mai", "en")
	summary := checkoutShipping(t, h, u, book(t, h, u, dress, "M", 1))
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅ Order") })
	var phone, code string
	h.db.Get(&phone, `SELECT phone FROM orders`)
	h.db.Get(&code, `SELECT code FROM orders`)
	if phone != "+84912345678" {
		t.Fatalf("the order's phone is %q", phone)
	}
	find := func(q string) telegramtest.Message {
		t.Helper()
		from := lastID(s2)
		s2.SendText("/find " + q)
		// The sellers' copies of new orders come in between, whenever the outbox sends them.
		return s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && !strings.HasPrefix(m.Text, "🆕") })
	}
	for _, q := range []string{"345678", "٣٤٥٦٧٨", "0912345678", "0912 345 678", "+84 912 345 678"} {
		if m := find(q); !strings.Contains(m.Text, code) {
			t.Errorf("/find %s: %q", q, m.Text)
		}
	}

	// A number typed in national form at checkout, looked for in international form.
	v := h.user(7002, "Hoa", "en")
	note := shippingQuestion(t, h, v, dress, "S", "Lê Văn Hoa", "0987 654 321", "5 Lê Lợi, Quận 1, TP HCM")
	second := replyTo(t, v, func() { v.Press(t, note, h.text("en", "checkout.no_note_button")) })
	replyTo(t, v, func() { v.Press(t, second, h.text("en", "checkout.confirm_button")) })
	var hoas string
	h.db.Get(&hoas, `SELECT code FROM orders WHERE customer_id = $1`, v.ID)
	for _, q := range []string{"+84 987 654 321", "84987654321"} {
		if m := find(q); hoas == "" || !strings.Contains(m.Text, hoas) {
			t.Errorf("/find %s: %q, want order %q", q, m.Text, hoas)
		}
	}
	noErrors(t, h)
}

// What a seller typed after /order or /find is repeated in the answer, its first words
// only: a message pasted by mistake is answered, not failed.
func TestALongOrderOrFindArgumentIsAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	seller := h.user(admin2, "Minh", "en")
	long := strings.Repeat("x", 4080)
	if m := replyTo(t, seller, func() { seller.SendText("/order " + long) }); !strings.HasPrefix(m.Text, "No order with the code XXXX") {
		t.Errorf("/order with a long code answered %.80q", m.Text)
	}
	if m := replyTo(t, seller, func() { seller.SendText("/find " + long) }); !strings.HasPrefix(m.Text, "No order matches") {
		t.Errorf("/find with a long text answered %.80q", m.Text)
	}
	noErrors(t, h)
}

// A reason left blank is asked for again, with the order it is for.
func TestABlankReasonIsAskedForAgain(t *testing.T) {
	t.Parallel()
	h, s1, _, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(7001, "Mai", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	n := s1.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) && len(m.Buttons()) > 0 })
	prompt := replyTo(t, s1, func() { s1.Press(t, n, h.text("vi", "desk.cancel_button")) })
	if again := replyTo(t, s1, func() { s1.SendText("\u3000") }); again.Text != prompt.Text {
		t.Errorf("a blank reason answered %q, want the question again: %q", again.Text, prompt.Text)
	}
	if s := statusOf(t, h, o.ID); s != orders.AwaitingPayment {
		t.Errorf("the order is %s after a blank reason", s)
	}
	noErrors(t, h)
}

// A picture sent while one order waits for payment and another expired lately may pay
// either: the customer says which, rather than it going to the one waiting.
func TestAReceiptBesideAnOrderExpiredLatelyAsksWhich(t *testing.T) {
	t.Parallel()
	h, dress, u, expired := expiredOrder(t, 9211)
	waiting := placePickup(t, h, u, dress, "S", 2)

	which := replyTo(t, u, func() { u.SendPhoto(photo(t, 45), "paid for the first one") })
	if which.Text != h.text("en", "receipt.which") || len(which.Buttons()) != 2 ||
		!strings.HasPrefix(which.Buttons()[0].Text, waiting.Code) || !strings.HasPrefix(which.Buttons()[1].Text, expired.Code) {
		t.Fatalf("a picture beside an order expired lately: %q %v", which.Text, buttonTexts(which))
	}
	if m := replyTo(t, u, func() { u.Press(t, which, which.Buttons()[1].Text) }); m.Text != h.text("en", "receipt.late", locale.Args{"Code": expired.Code}) {
		t.Errorf("picking the expired order: %q", m.Text)
	}
	if st := statusOf(t, h, waiting.ID); st != orders.AwaitingPayment {
		t.Errorf("the order waiting is %s, want still awaiting payment", st)
	}
	// A voice note is no receipt: the expired order is no concern of it.
	if m := replyTo(t, u, func() { u.SendVoice() }); m.Text != h.text("en", "receipt.wrong_kind") {
		t.Errorf("a voice note: %q", m.Text)
	}
	noErrors(t, h)
}

// A seller's chat that falls behind, orders coming faster than Telegram lets the bot write
// to one chat, gets the new orders whose notices waited as one message, with a line and a
// button for each: every order reaches every seller once. A change to one of those orders
// later edits the sellers' copies of its own notice, and leaves that message alone.
func TestASellerBehindGetsTheNewOrdersTogether(t *testing.T) {
	t.Parallel()
	h, lan, minh, dress, _ := sellersShop(t, map[string]int{"S": 50})
	first, waited := lanBehind(t, h, dress, 7301, 7)

	lan.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, h.text("vi", "notice.new_order")) && strings.Contains(m.Text, first.Code)
	})
	head := plain(h.texts.N("vi", "notice.new_orders", len(waited)))
	together := lan.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, head) })
	buttons := buttonTexts(together)
	if len(buttons) != len(waited) {
		t.Errorf("the orders together have buttons %v; want one for each of %d", buttons, len(waited))
	}
	for i, o := range waited {
		if !strings.Contains(together.Text, o.Code) || i < len(buttons) && buttons[i] != o.Code+" · "+o.Customer.Name() {
			t.Errorf("order %s not listed in order: %q, buttons %v", o.Code, together.Text, buttons)
		}
	}
	var one int
	for deadline := time.Now().Add(5 * time.Second); one == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.db.Get(&one, `SELECT id FROM outbox WHERE chat_id = $1 AND kind = 'new_orders' AND status = 'sent' AND order_id = $2`, admin1, waited[0].ID)
	}
	if one == 0 {
		t.Fatal("the message of the orders together is not recorded as sent")
	}
	var merged []int64
	if err := h.db.Select(&merged, `SELECT order_id FROM outbox WHERE chat_id = $1 AND status = 'merged' AND merged_into = $2 ORDER BY id`, admin1, one); err != nil {
		t.Fatal(err)
	}
	if len(merged) != len(waited)-1 || merged[0] != waited[1].ID {
		t.Errorf("orders merged into the one message %v; want the six after %d", merged, waited[0].ID)
	}
	// Each order reached each seller once, by its own notice or with others.
	all := append([]orders.Order{first}, waited...)
	last := all[len(all)-1]
	minh.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, last.Code)
	})
	toldOnce := func() {
		t.Helper()
		for _, s := range []*telegramtest.User{lan, minh} {
			for _, o := range all {
				if n := toldOf(s, o.Code); n != 1 {
					t.Errorf("%s was told of order %s %d times", s.FirstName, o.Code, n)
				}
			}
		}
	}
	toldOnce()

	// A button opens its order's card, where Lan confirms the payment; the message of the
	// orders together stays as it was, in both chats.
	lan.Press(t, together, buttons[2])
	card := lan.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > together.ID && strings.Contains(m.Text, waited[2].Code) && len(m.Buttons()) > 0
	})
	lan.Press(t, card, h.text("vi", "desk.paid_button"))
	lan.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID == card.ID && strings.Contains(m.Text, plain(h.texts.T("vi", "order_status.paid")))
	})
	if statusOf(t, h, waited[2].ID) != orders.Paid {
		t.Errorf("order %s not paid", waited[2].Code)
	}
	for _, s := range []*telegramtest.User{lan, minh} {
		for _, m := range s.Chat().Messages() {
			if strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, waited[2].Code) && !strings.HasPrefix(m.Text, h.text(s.LanguageCode, "notice.new_order")+"\n") && m.Edits > 0 {
				t.Errorf("%s's message of the orders together was edited: %q", s.FirstName, m.Text)
			}
		}
	}
	// Nothing more comes of them once the outbox is done.
	pending := 1
	for deadline := time.Now().Add(5 * time.Second); pending > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	}
	time.Sleep(100 * time.Millisecond)
	toldOnce()
	noErrors(t, h)
}

// A merge Postgres refuses (or whose commit's answer is lost) sends nothing as it was
// read: the notices go back and are claimed again as they are stored, and each order still
// reaches the seller once, with the others.
func TestAMergeThatFailsIsTriedAgain(t *testing.T) {
	t.Parallel()
	h, lan, _, dress, _ := sellersShop(t, map[string]int{"S": 50})
	h.db.MustExec(`CREATE SEQUENCE merge_refusals`)
	h.db.MustExec(`CREATE FUNCTION refuse_first_merge() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF nextval('merge_refusals') = 1 THEN RAISE EXCEPTION 'merge refused'; END IF;
    RETURN NEW;
END $$`)
	h.db.MustExec(fmt.Sprintf(`CREATE TRIGGER refuse_first_merge BEFORE UPDATE ON outbox FOR EACH ROW
WHEN (NEW.status = 'merged' AND NEW.chat_id = %d) EXECUTE FUNCTION refuse_first_merge()`, admin1))
	first, waited := lanBehind(t, h, dress, 7401, 6)
	together := lan.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, plain(h.texts.N("vi", "notice.new_orders", len(waited))))
	})
	if !strings.Contains(h.logs.String(), "merge refused") {
		t.Error("the refused merge was not logged")
	}
	pending := 1
	for deadline := time.Now().Add(5 * time.Second); pending > 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending'`)
	}
	for _, o := range append([]orders.Order{first}, waited...) {
		if n := toldOf(lan, o.Code); n != 1 {
			t.Errorf("Lan was told of order %s %d times; the orders together: %q", o.Code, n, together.Text)
		}
	}
	noErrors(t, h)
}

// lanBehind has customers (ids from id on) place a first order, whose notice to Lan (the
// first seller) Telegram holds, then n more, and lets the notice go: n new orders' notices
// wait for Lan's chat.
func lanBehind(t *testing.T, h *harness, it catalog.Item, id int64, n int) (first orders.Order, waited []orders.Order) {
	t.Helper()
	held, release := h.fake.HoldNext("sendMessage", admin1)
	first = placePickup(t, h, h.user(id, "Mai", "en"), it, "S", 1)
	waitHeld(t, held, "the first order's notice to Lan")
	for i := range n {
		waited = append(waited, placePickup(t, h, h.user(id+10+int64(i), fmt.Sprintf("Khách %d", i), "en"), it, "S", 1))
	}
	release()
	return first, waited
}
