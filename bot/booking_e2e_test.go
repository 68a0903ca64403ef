package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
)

// liveShop starts the bot with a published week of two items: a dress in S/M/L and a
// bag without sizes, and returns them.
func liveShop(t *testing.T, h *harness, stock map[string]int) (dress, bag catalog.Item) {
	t.Helper()
	ctx := context.Background()
	cat := h.catalog()
	w, err := cat.CreateWeek(ctx, "Week 12", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var specs []catalog.VariantSpec
	for _, name := range []string{"S", "M", "L"} {
		specs = append(specs, catalog.VariantSpec{Name: name, Stock: stock[name]})
	}
	dress, err = cat.CreateItem(ctx, w.ID, catalog.NewItem{Title: "Silk dress", Price: 150000, Currency: "VND",
		Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}}, Variants: specs})
	if err != nil {
		t.Fatal(err)
	}
	bag, err = cat.CreateItem(ctx, w.ID, catalog.NewItem{Title: "Tote bag", Price: 90000, Currency: "VND",
		Photos: []catalog.NewPhoto{{Data: photo(t, 2), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: stock["bag"]}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.StartPublishing(ctx, w.ID, time.Now(), time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return dress, bag
}

// openShop starts the bot of a shopHarness whose week is live with liveShop's items.
func openShop(t *testing.T, stock map[string]int, opts ...harnessOption) (h *harness, dress, bag catalog.Item) {
	t.Helper()
	h = shopHarness(t, opts...)
	h.start()
	dress, bag = liveShop(t, h, stock)
	return h, dress, bag
}

// sellersShop is openShop with both sellers having started the bot first (sellers).
func sellersShop(t *testing.T, stock map[string]int, opts ...harnessOption) (h *harness, s1, s2 *telegramtest.User, dress, bag catalog.Item) {
	t.Helper()
	h = shopHarness(t, opts...)
	h.start()
	s1, s2 = sellers(t, h)
	dress, bag = liveShop(t, h, stock)
	return h, s1, s2, dress, bag
}

// shopHarness is a VND shop with a channel. Its customers go through whole bookings
// within a second, so the overall rate is scaled ten times too.
func shopHarness(t *testing.T, opts ...harnessOption) *harness {
	fast := func(h *harness) { h.limits.GlobalRate *= 10; h.limits.GlobalBurst *= 10 }
	opts = append([]harnessOption{withEnv("SHOP_CURRENCY", "VND"), withChannel(60), fast}, opts...)
	return newHarness(t, opts...)
}

// lastID is the id of the newest message in the person's chat: what comes after it is new.
func lastID(u *telegramtest.User) int {
	msgs := u.Chat().Messages()
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].ID
}

// book opens an item from its channel link, picks a size and a quantity.
func book(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item, size string, qty int) telegramtest.Message {
	t.Helper()
	from := lastID(u)
	u.SendText("/start " + catalog.ItemPayload(it.ID))
	card := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > from && m.Photo != nil && strings.HasPrefix(m.Caption, it.Title)
	})
	label := "🛒 " + size
	if size == "" {
		label = h.text(u.LanguageCode, "cart.add_button")
	}
	u.Press(t, card, label)
	ask := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > card.ID && len(m.Buttons()) > 0 && m.Buttons()[0].Text == "1"
	})
	if qty <= len(ask.Buttons()) {
		u.Press(t, ask, fmt.Sprint(qty))
	} else {
		u.SendText(fmt.Sprint(qty))
	}
	return u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > ask.ID && strings.HasPrefix(m.Text, "✅") })
}

// checkoutShipping goes from an "added" message to the summary, sharing the phone.
func checkoutShipping(t *testing.T, h *harness, u *telegramtest.User, from telegramtest.Message) telegramtest.Message {
	t.Helper()
	lang := u.LanguageCode
	delivery := deliveryQuestion(t, h, u, from)
	u.Press(t, delivery, h.text(lang, "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && m.Text == h.text(lang, "checkout.name_prompt")
	})
	u.SendText("Nguyễn Thị Mai")
	phone := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && m.Text == h.text(lang, "checkout.phone_prompt")
	})
	if len(phone.ReplyKeyboard) != 1 || !phone.ReplyKeyboard[0][0].RequestContact {
		t.Errorf("phone prompt without a contact button: %v", phone)
	}
	u.SendContact("+84912345678")
	address := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > phone.ID && m.Text == h.text(lang, "checkout.address_prompt")
	})
	if !address.RemoveKeyboard {
		t.Errorf("the contact keyboard stays after the phone was shared")
	}
	u.SendText("12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
	note := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > address.ID && m.Text == h.text(lang, "checkout.note_prompt")
	})
	u.Press(t, note, h.text(lang, "checkout.no_note_button"))
	return u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > note.ID && strings.HasPrefix(m.Text, plain(h.texts.T(lang, "checkout.summary_title")))
	})
}

// expiredOrder starts a shop whose orders expire after a day, and has a customer of id
// place one that expires unpaid (the clock turned a day and an hour on).
func expiredOrder(t *testing.T, id int64) (*harness, catalog.Item, *telegramtest.User, orders.Order) {
	t.Helper()
	clock := &testClock{}
	clock.Set(time.Now())
	h := shopHarness(t, withClock(clock), withEnv("UNPAID_ORDER_TTL", "24h"))
	h.start()
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(id, "Hoa", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	clock.Set(clock.Now().Add(25 * time.Hour))
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "⌛") })
	return h, dress, u, o
}

// shippingQuestion books one of it in size and goes through a delivery checkout, typing
// answers to its questions in turn (name, phone, address), and returns the question it
// then stands at.
func shippingQuestion(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item, size string, answers ...string) telegramtest.Message {
	t.Helper()
	lang := u.LanguageCode
	delivery := deliveryQuestion(t, h, u, book(t, h, u, it, size, 1))
	u.Press(t, delivery, h.text(lang, "checkout.shipping_button"))
	questions := []string{"checkout.name_prompt", "checkout.phone_prompt", "checkout.address_prompt", "checkout.note_prompt"}
	asked := delivery
	for i := 0; ; i++ {
		asked = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > asked.ID && m.Text == h.text(lang, questions[i]) })
		if i == len(answers) {
			return asked
		}
		u.SendText(answers[i])
	}
}

// statusOf is an order's status as Postgres holds it.
func statusOf(t *testing.T, h *harness, orderID int64) orders.Status {
	t.Helper()
	var status orders.Status
	if err := h.db.Get(&status, `SELECT status FROM orders WHERE id = $1`, orderID); err != nil {
		t.Fatal(err)
	}
	return status
}

func stockOf(t *testing.T, h *harness, it catalog.Item, name string) int {
	t.Helper()
	fresh, err := h.catalog().Item(context.Background(), it.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range fresh.Variants {
		if v.Name == name {
			if v.Stock == nil {
				return -1
			}
			return *v.Stock
		}
	}
	t.Fatalf("no variant %q", name)
	return 0
}

func TestCustomerBooksPaysAndSellersAreTold(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller2 := h.user(admin2, "Minh", "en")
	seller2.SendText("/start") // the second seller has opened the bot too
	seller2.Next(t)
	if err := h.db.QueryRow(`SELECT 1`).Err(); err != nil {
		t.Fatal(err)
	}
	seller1 := h.fake.User(admin1, "Lan", "", "vi")
	dress, bag := liveShop(t, h, map[string]int{"S": 5, "M": 5, "L": 0, "bag": 3})
	if _, _, err := orders.NewStore(h.db).SeeCustomer(context.Background(), orders.Profile{ID: admin1, FirstName: "Lan", TelegramLanguage: "vi"}); err != nil {
		t.Fatal(err)
	}
	if err := orders.NewStore(h.db).SetSetting(context.Background(), orders.SettingPaymentInstructions, "Vietcombank 0123456789 — Lan", admin1); err != nil {
		t.Fatal(err)
	}

	u := h.user(5001, "Mai", "en")
	book(t, h, u, dress, "S", 2)
	book(t, h, u, dress, "M", 1)
	added := book(t, h, u, bag, "", 1)
	summary := checkoutShipping(t, h, u, added)
	total := money.Format(2*150000+150000+90000, "VND")
	if !strings.Contains(summary.Text, total) || !strings.Contains(summary.Text, "+84912345678") {
		t.Errorf("summary %q", summary.Text)
	}
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	placed := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && strings.Contains(m.Text, "Vietcombank 0123456789")
	})

	var o orders.Order
	if err := h.db.Get(&o, `SELECT id, code, status, total, delivery, phone, address FROM orders WHERE customer_id = 5001`); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(placed.Text, o.Code) || !strings.Contains(placed.Text, total) {
		t.Errorf("payment text %q lacks code %s or amount %s", placed.Text, o.Code, total)
	}
	if o.Status != orders.AwaitingPayment || o.Total != 540000 || o.Delivery != orders.Shipping || o.Phone != "+84912345678" {
		t.Errorf("order %+v", o)
	}
	var lines int
	h.db.Get(&lines, `SELECT count(*) FROM order_lines WHERE order_id = $1`, o.ID)
	if lines != 3 {
		t.Errorf("%d lines", lines)
	}
	if s, m, b := stockOf(t, h, dress, "S"), stockOf(t, h, dress, "M"), stockOf(t, h, bag, ""); s != 3 || m != 4 || b != 2 {
		t.Errorf("stock S %d M %d bag %d", s, m, b)
	}
	for _, seller := range []*telegramtest.User{seller1, seller2} {
		seller.WaitFor(t, func(m telegramtest.Message) bool {
			return strings.Contains(m.Text, o.Code) && strings.Contains(m.Text, "Silk dress (S) × 2")
		})
	}

	// The receipt photo reaches Postgres and both sellers.
	receipt := photo(t, 77)
	u.SendPhoto(receipt, "")
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "🧾") })
	var stored []byte
	if err := h.db.Get(&stored, `SELECT data FROM receipts WHERE order_id = $1`, o.ID); err != nil || !bytes.Equal(stored, receipt) {
		t.Errorf("receipt stored %d bytes (%v), sent %d", len(stored), err, len(receipt))
	}
	if o.Status = statusOf(t, h, o.ID); o.Status != orders.ReceiptSubmitted {
		t.Errorf("status after receipt %s", o.Status)
	}
	for _, seller := range []*telegramtest.User{seller1, seller2} {
		m := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
		if !bytes.Equal(m.Photo.Data, receipt) {
			t.Errorf("seller %d got another picture", seller.ID)
		}
	}
	// My orders shows it, with what comes next.
	u.SendText("/orders")
	list := u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "📦") })
	u.Press(t, list, o.Code)
	detail := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > list.ID && strings.Contains(m.Text, h.text("en", "order_next.receipt_submitted"))
	})
	if got := buttonTexts(detail); !slices.Equal(got, []string{h.text("en", "orders.ask_button"), h.text("en", "orders.cancel_button")}) {
		t.Errorf("detail of a cancellable order: %v", detail)
	}
	noErrors(t, h)
}

// A receipt sent as an album (a transfer's two screenshots, say) is one receipt of several
// pictures: all are stored with the order, the customer is answered once, and each seller
// gets the order's notice with its buttons once and the other pictures as more of it. With
// two orders to pay, the album is one question, and the order picked takes every picture.
func TestAReceiptAlbumIsOneReceipt(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"S": 5, "M": 5})
	u := h.user(9401, "Thu", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	from := lastID(u)
	pics := [][]byte{photo(t, 31), photo(t, 32), photo(t, 33)}
	u.SendAlbum(pics, "two transfers")
	received := h.text("en", "receipt.received", locale.Args{"Code": o.Code})
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == received })
	receiptsOf := func(orderID int64) [][]byte {
		t.Helper()
		var data [][]byte
		deadline := time.Now().Add(5 * time.Second)
		for {
			data = nil
			if err := h.db.Select(&data, `SELECT data FROM receipts WHERE order_id = $1 ORDER BY id`, orderID); err != nil {
				t.Fatal(err)
			}
			if len(data) >= 3 || time.Now().After(deadline) {
				return data
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if got := receiptsOf(o.ID); len(got) != 3 || !bytes.Equal(got[0], pics[0]) || !bytes.Equal(got[2], pics[2]) {
		t.Errorf("%d pictures stored with the order, want the album's 3 in order", len(got))
	}
	time.Sleep(300 * time.Millisecond) // the other pictures' answers would be here by now
	if n := countStarting(u.Messages(), received); n != 1 {
		t.Errorf("%d answers to an album of 3, want 1", n)
	}
	for seller, lang := range map[*telegramtest.User]string{s1: "vi", s2: "en"} {
		more := locale.Plain(h.text(lang, "notice.receipt_more", locale.Args{"Code": o.Code}))
		var got []telegramtest.Message
		deadline := time.Now().Add(10 * time.Second)
		for len(got) < 3 && time.Now().Before(deadline) {
			got = nil
			for _, m := range seller.Messages() {
				if m.Photo != nil && strings.Contains(m.Caption, o.Code) {
					got = append(got, m)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(got) != 3 {
			t.Fatalf("seller %d got %d pictures of the receipt, want 3", seller.ID, len(got))
		}
		if !strings.Contains(got[0].Caption, "two transfers") || len(got[0].Buttons()) == 0 || !bytes.Equal(got[0].Photo.Data, pics[0]) {
			t.Errorf("seller %d: the receipt's notice %q %v", seller.ID, got[0].Caption, buttonTexts(got[0]))
		}
		for i, m := range got[1:] {
			if m.Caption != more || len(m.Buttons()) != 0 || !bytes.Equal(m.Photo.Data, pics[i+1]) {
				t.Errorf("seller %d: picture %d of the receipt came as %q %v, want %q without buttons", seller.ID, i+2, m.Caption, buttonTexts(m), more)
			}
		}
	}

	// Two orders to pay: one question for the album, and the order picked takes it all.
	o2 := placePickup(t, h, u, dress, "M", 1)
	from = lastID(u)
	pics = [][]byte{photo(t, 34), photo(t, 35), photo(t, 36)}
	u.SendAlbum(pics, "")
	which := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "receipt.which") })
	time.Sleep(300 * time.Millisecond) // the other pictures' questions would be here by now
	if lastID(u) != which.ID {
		t.Errorf("an album of 3 answered with more than its question: %q", u.Messages()[len(u.Messages())-1].Text)
	}
	var pick string
	for _, b := range buttonTexts(which) {
		if strings.HasPrefix(b, o2.Code) {
			pick = b
		}
	}
	reply := replyTo(t, u, func() { u.Press(t, which, pick) })
	if reply.Text != h.text("en", "receipt.received", locale.Args{"Code": o2.Code}) {
		t.Errorf("picking the order answered %q", reply.Text)
	}
	if got := receiptsOf(o2.ID); len(got) != 3 || !bytes.Equal(got[1], pics[1]) {
		t.Errorf("%d pictures stored with the order picked, want the album's 3", len(got))
	}
	if s := statusOf(t, h, o2.ID); s != orders.ReceiptSubmitted {
		t.Errorf("the order picked is %s", s)
	}

	// An order's card shows each album as one receipt: its first picture, then more of it.
	for _, code := range []string{o.Code, o2.Code} {
		from := lastID(s2)
		s2.SendText("/order " + code)
		s2.WaitFor(t, func(m telegramtest.Message) bool {
			return m.ID > from && m.Photo == nil && strings.Contains(m.Text, code)
		})
		var captions []string
		for _, m := range s2.Messages() {
			if m.ID > from && m.Photo != nil {
				captions = append(captions, m.Caption)
			}
		}
		first := h.text("en", "desk.receipt_n", locale.Args{"N": 1, "Code": code})
		more := h.text("en", "desk.receipt_more", locale.Args{"N": 1, "Code": code})
		if want := []string{first, more, more}; !slices.Equal(captions, want) {
			t.Errorf("order %s's card shows its receipt as %q, want %q", code, captions, want)
		}
	}
	noErrors(t, h)
}

func TestTypedArabicIndicQuantity(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(5101, "Omar", "ar")
	u.SendText("/start " + catalog.ItemPayload(dress.ID))
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil })
	u.Press(t, card, "🛒 S")
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "كم قطعة") })
	u.SendText("٣")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "✅") && strings.Contains(m.Text, "3\u2069 × ")
	})
	u.SendText("/cart")
	cart := u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "🧺") })
	// The line reads right to left, its name and figures each kept whole.
	if !strings.Contains(cart.Text, "\n\u200f\u20681\u2069. \u2068Silk dress (S)\u2069 × \u20683\u2069 = \u2068") {
		t.Errorf("cart %q", cart.Text)
	}
	// More than is left is refused with what is left.
	u.Press(t, card, "🛒 S")
	ask := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > cart.ID && strings.HasPrefix(m.Text, "كم قطعة") })
	u.SendText("٥")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > ask.ID && strings.Contains(m.Text, "لم يتبقَّ")
	})
	noErrors(t, h)
}

func TestLastUnitsAreNeverOversold(t *testing.T) {
	t.Parallel()
	const customers, units = 50, 10
	h, dress, _ := openShop(t, map[string]int{"S": units})
	summaries := make([]telegramtest.Message, customers)
	people := make([]*telegramtest.User, customers)
	var wg sync.WaitGroup
	for i := range customers {
		people[i] = h.user(int64(6000+i), fmt.Sprintf("C%d", i), "en")
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, summaries[i] = pickupSummary(t, h, people[i], book(t, h, people[i], dress, "S", 1))
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Everyone confirms at once.
	for i, u := range people {
		u.Press(t, summaries[i], h.text("en", "checkout.confirm_button"))
	}
	won, lost := 0, 0
	for i, u := range people {
		m := u.WaitFor(t, func(m telegramtest.Message) bool {
			return m.ID > summaries[i].ID && (strings.HasPrefix(m.Text, "✅ Order") || strings.HasPrefix(m.Text, h.text("en", "checkout.shortage")))
		})
		if strings.HasPrefix(m.Text, "✅ Order") {
			won++
		} else {
			lost++
			if !strings.Contains(m.Text, "Silk dress (S): you wanted 1, 0 left") {
				t.Errorf("loser told %q", m.Text)
			}
		}
	}
	var sold, placed int
	h.db.Get(&sold, `SELECT COALESCE(sum(quantity), 0) FROM order_lines`)
	h.db.Get(&placed, `SELECT count(*) FROM orders`)
	if won != units || lost != customers-units || sold != units || placed != units {
		t.Errorf("won %d, lost %d, sold %d, orders %d", won, lost, sold, placed)
	}
	if left := stockOf(t, h, dress, "S"); left != 0 {
		t.Errorf("stock left %d", left)
	}
}

func TestConfirmingTwiceMakesOneOrder(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.webhooks()
	h.start()
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(5201, "Lan", "en")
	summary := toSummary(t, h, u, dress, "S")
	confirm := summary.Buttons()[0].Data

	// A double tap: two callback queries with the same data.
	u.PressData(summary.ID, confirm)
	u.PressData(summary.ID, confirm)
	// And one of them delivered again by Telegram, as after a webhook timeout.
	update := map[string]any{"update_id": 987654, "callback_query": map[string]any{
		"id": "redelivered-1", "chat_instance": "x", "data": confirm,
		"from":    map[string]any{"id": u.ID, "first_name": u.FirstName, "language_code": "en"},
		"message": map[string]any{"message_id": summary.ID, "date": 1, "chat": map[string]any{"id": u.ID, "type": "private"}},
	}}
	body, _ := json.Marshal(update)
	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, h.env["WEBHOOK_URL"], bytes.NewReader(body))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", h.env["WEBHOOK_SECRET"])
		req.Header.Set("Content-Type", "application/json")
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the redelivered update was answered %s", resp.Status)
		}
	}
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅ Order") })
	time.Sleep(300 * time.Millisecond)
	var n1 int
	h.db.Get(&n1, `SELECT count(*) FROM orders`)
	placedMsgs := countStarting(u.Messages(), "✅ Order")
	if n1 != 1 || placedMsgs != 1 || stockOf(t, h, dress, "S") != 4 {
		t.Errorf("%d orders, %d confirmations, stock %d", n1, placedMsgs, stockOf(t, h, dress, "S"))
	}
}

// placePickup books qty of a size and confirms a pickup order; it returns the order.
func placePickup(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item, size string, qty int) orders.Order {
	t.Helper()
	lang := u.LanguageCode
	_, summary := pickupSummary(t, h, u, book(t, h, u, it, size, qty))
	u.Press(t, summary, h.text(lang, "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "✅") })
	var id int64
	if err := h.db.Get(&id, `SELECT max(id) FROM orders WHERE customer_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	o, err := orders.NewStore(h.db).Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// cancelOrder has an English-speaking customer cancel their order from /orders, and returns
// the question whose button confirmed it.
func cancelOrder(t *testing.T, h *harness, u *telegramtest.User, o orders.Order) telegramtest.Message {
	t.Helper()
	from := lastID(u)
	u.SendText("/orders")
	list := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && strings.HasPrefix(m.Text, "📦") })
	u.Press(t, list, o.Code)
	detail := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > list.ID && strings.Contains(m.Text, o.Code) })
	u.Press(t, detail, h.text("en", "orders.cancel_button"))
	ask := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > detail.ID && len(m.Buttons()) == 1 })
	u.Press(t, ask, h.text("en", "orders.cancel_confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > ask.ID && strings.Contains(m.Text, "is cancelled") })
	return ask
}

func TestCancelAndExpiryGiveStockBack(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Now())
	h := shopHarness(t, withClock(clock), withEnv("UNPAID_ORDER_TTL", "24h"))
	h.start()
	seller := h.fake.User(admin1, "Lan", "", "vi")
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(5301, "Hoa", "en")

	o := placePickup(t, h, u, dress, "S", 2)
	if stockOf(t, h, dress, "S") != 3 {
		t.Fatalf("stock after booking %d", stockOf(t, h, dress, "S"))
	}
	// The seller has the order's notice, with its buttons, before the customer cancels.
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, o.Code) && len(m.Buttons()) > 0 })
	ask := cancelOrder(t, h, u, o)
	if s := stockOf(t, h, dress, "S"); s != 5 {
		t.Errorf("stock after cancel %d", s)
	}
	seller.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, o.Code) && strings.HasPrefix(m.Text, "✖️")
	})
	// Cancelling again does nothing.
	before := len(u.CallbackAnswers())
	u.Press(t, ask, h.text("en", "orders.cancel_confirm_button"))
	if a := waitAnswers(t, u, before+1); a[before].Text != plain(h.texts.T("en", "orders.already_cancelled", locale.Args{"Code": o.Code})) {
		t.Errorf("cancelling again answered %q", a[before].Text)
	}
	if s := stockOf(t, h, dress, "S"); s != 5 {
		t.Errorf("stock after a second cancel %d", s)
	}

	// An unpaid order: reminded when a quarter of its time is left, expired after.
	o2 := placePickup(t, h, u, dress, "S", 3)
	clock.Set(clock.Now().Add(19 * time.Hour))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "⏰") && strings.Contains(m.Text, o2.Code)
	})
	if s := stockOf(t, h, dress, "S"); s != 2 {
		t.Errorf("stock before expiry %d", s)
	}
	clock.Set(clock.Now().Add(6 * time.Hour))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "⌛") && strings.Contains(m.Text, o2.Code)
	})
	if s := stockOf(t, h, dress, "S"); s != 5 {
		t.Errorf("stock after expiry %d", s)
	}
	if status := statusOf(t, h, o2.ID); status != orders.Expired {
		t.Errorf("status %s", status)
	}
	if reminders := countStarting(u.Messages(), "⏰"); reminders != 1 {
		t.Errorf("%d reminders", reminders)
	}
	// The seller's new-order notices stop offering to confirm a payment that won't come.
	for _, code := range []string{o.Code, o2.Code} {
		seller.WaitFor(t, func(m telegramtest.Message) bool {
			return strings.HasPrefix(m.Text, "🆕") && strings.Contains(m.Text, code) && len(m.Buttons()) == 0
		})
	}
	noErrors(t, h)
}

func TestCustomersSeeOnlyTheirOwnOrders(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	owner := h.user(5401, "Owner", "en")
	o := placePickup(t, h, owner, dress, "S", 1)

	other := h.user(5402, "Other", "en")
	other.SendText("/start")
	menu := other.Next(t)
	for _, data := range []string{
		fmt.Sprintf("\fod|%d", o.ID), fmt.Sprintf("\fox|%d", o.ID), fmt.Sprintf("\foy|%d", o.ID),
		fmt.Sprintf("\frc|%d", o.ID), "\fod|999999", "\fod|-1", "\fod|abc",
	} {
		other.PressData(menu.ID, data)
	}
	for _, a := range waitAnswers(t, other, 7) {
		if strings.Contains(a.Text, o.Code) || (a.Text != h.text("en", "orders.not_found") && a.Text != h.text("en", "callback.stale")) {
			t.Errorf("forged press answered %q", a.Text)
		}
	}
	for _, m := range other.Messages() {
		if strings.Contains(m.Body(), o.Code) {
			t.Errorf("the other customer saw the order: %q", m.Body())
		}
	}
	// Their receipt does not attach to someone else's order.
	other.SendPhoto(photo(t, 9), "")
	other.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.photo_hint") })
	if status := statusOf(t, h, o.ID); status != orders.AwaitingPayment || stockOf(t, h, dress, "S") != 4 {
		t.Errorf("order %s, stock %d", status, stockOf(t, h, dress, "S"))
	}
	noErrors(t, h)
}

func TestCheckoutSurvivesARestart(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	r := h.start()
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(5501, "Tam", "vi")
	d := deliveryQuestion(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, d, h.text("vi", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "checkout.name_prompt") })
	u.SendText("Trần Văn Tâm")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "checkout.phone_prompt") })
	u.SendText("0912 345 678")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "checkout.address_prompt") })
	u.SendText("45 Nguyễn Huệ, Quận 1, TP.HCM")
	note := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "checkout.note_prompt") })

	r.stop(t)
	h.start()
	u.SendText("Giao giờ hành chính")
	summary := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > note.ID && strings.HasPrefix(m.Text, "📋") })
	if !strings.Contains(summary.Text, "0912345678") || !strings.Contains(summary.Text, "45 Nguyễn Huệ") || !strings.Contains(summary.Text, "Giao giờ hành chính") {
		t.Errorf("summary after restart %q", summary.Text)
	}
	u.Press(t, summary, h.text("vi", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "✅") })
	var n int
	h.db.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = 5501 AND address = '45 Nguyễn Huệ, Quận 1, TP.HCM'`)
	if n != 1 {
		t.Errorf("%d orders", n)
	}
	noErrors(t, h)
}

func TestReceiptsForSeveralOrdersAndTwice(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller := h.fake.User(admin1, "Lan", "", "vi")
	dress, bag := liveShop(t, h, map[string]int{"S": 5, "bag": 5})
	u := h.user(5601, "Linh", "en")

	// No order: a receipt is answered, not lost in silence.
	u.SendPhoto(photo(t, 3), "")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.photo_hint") })

	o1 := placePickup(t, h, u, dress, "S", 1)
	o2 := placePickup(t, h, u, bag, "", 1)
	from := lastID(u)
	receipt := photo(t, 4)
	u.SendPhoto(receipt, "")
	which := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "receipt.which") })
	if len(which.Buttons()) != 2 {
		t.Fatalf("choices %v", which.Buttons())
	}
	u.Press(t, which, which.Buttons()[1].Text) // the second order
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, o2.Code)
	})

	// The same picture for the other order is flagged to the seller.
	from = lastID(u)
	u.SendPhoto(receipt, "")
	which = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "receipt.which") })
	u.Press(t, which, which.Buttons()[0].Text)
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, o1.Code)
	})
	flagged := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o1.Code) })
	if !strings.HasPrefix(flagged.Caption, "⚠️") || !strings.Contains(flagged.Caption, o2.Code) {
		t.Errorf("duplicate receipt not flagged: %q", flagged.Caption)
	}
	// A PDF receipt is taken as well.
	o3 := placePickup(t, h, u, dress, "S", 1)
	u.SendDocument("bank.pdf", "application/pdf", []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), "")
	which = u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "receipt.which") && len(m.Buttons()) == 3
	})
	u.Press(t, which, which.Buttons()[2].Text)
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, o3.Code)
	})
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Document != nil && strings.Contains(m.Caption, o3.Code) })
	var mime string
	h.db.Get(&mime, `SELECT mime FROM receipts WHERE order_id = $1`, o3.ID)
	if mime != "application/pdf" {
		t.Errorf("pdf receipt stored as %q", mime)
	}
	noErrors(t, h)
}

// Buttons of messages before the summary still work, but after one of them changes the
// checkout, the summary's Confirm no longer places what it showed; and a cart changed
// half-way through the checkout ends it, keyboard and all.
func TestChangedCheckoutNeverPlacesAnOldSummary(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(5301, "Mai", "vi")
	d, summary := pickupSummary(t, h, u, book(t, h, u, dress, "S", 1))

	// Delivery, from the earlier message; then the pickup summary's Confirm.
	u.Press(t, d, h.text("vi", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && m.Text == h.text("vi", "checkout.name_prompt")
	})
	before := len(u.CallbackAnswers())
	u.Press(t, summary, h.text("vi", "checkout.confirm_button"))
	if a := waitAnswers(t, u, before+1); a[before].Text != h.text("vi", "callback.stale") {
		t.Errorf("the old summary's Confirm answered %q, want it stale", a[before].Text)
	}
	var placed int
	h.db.Get(&placed, `SELECT count(*) FROM orders`)
	if placed != 0 {
		t.Fatalf("%d orders placed from a summary the checkout had left", placed)
	}

	// Now at the phone step, the cart is emptied from /cart.
	u.SendText("Mai")
	phone := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "checkout.phone_prompt") })
	u.SendText("/cart")
	cart := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > phone.ID && strings.HasPrefix(m.Text, "🧺") })
	u.Press(t, cart, h.text("vi", "cart.empty_button"))
	waitAnswers(t, u, before+2)
	// The Share my phone keyboard is still on the customer's screen.
	u.SendContact("+84912345678")
	reply := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > cart.ID && m.Text != "" && !strings.HasPrefix(m.Text, "🧺")
	})
	if reply.Text != h.text("vi", "unexpected.message") || !reply.RemoveKeyboard {
		t.Errorf("a shared phone after the cart was emptied: %q (keyboard removed: %v)", reply.Text, reply.RemoveKeyboard)
	}
	u.SendText("0912 345 678")
	typed := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > reply.ID })
	if typed.Text == h.text("vi", "checkout.phone_invalid") {
		t.Errorf("a typed phone after the checkout ended still asked for a phone: %q", typed.Text)
	}
	noErrors(t, h)
}

// A customer who owes a payment and sends a file the bot cannot keep as a receipt (a Word
// file, a video, a voice note) is told which kinds it can; nothing is stored.
func TestReceiptOfAnotherKindIsExplained(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(5401, "Fatma", "ar")
	placePickup(t, h, u, dress, "S", 1)
	from := lastID(u)
	u.SendDocument("receipt.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("PK\x03\x04 not a picture"), "")
	if m := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from }); m.Text != h.text("ar", "receipt.wrong_kind") {
		t.Errorf("a .docx receipt answered %q", m.Text)
	}
	for _, send := range []struct {
		kind string
		send func() telegramtest.Sent
	}{{"video", u.SendVideo}, {"voice note", u.SendVoice}} {
		from := lastID(u)
		send.send()
		if m := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from }); m.Text != h.text("ar", "receipt.wrong_kind") {
			t.Errorf("a %s from a customer who owes a payment answered %q", send.kind, m.Text)
		}
	}
	// An album of videos is answered once.
	from = lastID(u)
	u.SendVideoAlbum(3)
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from })
	u.SendText("/help")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > from && strings.HasPrefix(m.Text, h.text("ar", "help.customer"))
	})
	var answers int
	for _, m := range u.Messages() {
		if m.ID > from && m.FromBot && m.Text == h.text("ar", "receipt.wrong_kind") {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("an album of three videos answered %d times", answers)
	}
	var receipts int
	h.db.Get(&receipts, `SELECT count(*) FROM receipts`)
	if receipts != 0 {
		t.Errorf("%d receipts stored from a .docx, videos and a voice note", receipts)
	}
	noErrors(t, h)
}

// The pickup address the sellers set comes with the note question, in one message.
func TestPickupAddressComesWithTheNoteQuestion(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	address := "12 Lê Lợi, Q1 <cổng sau> & hỏi chị Lan"
	seller.SendText("/setpickup")
	seller.Next(t)
	seller.SendText(address)
	if m := seller.Next(t); m.Text != h.text("vi", "setpickup.saved") {
		t.Fatalf("after the address: %q", m.Text)
	}

	u := h.user(5701, "Minh", "en")
	delivery := deliveryQuestion(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, delivery, h.text("en", "checkout.pickup_button"))
	m := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && strings.Contains(m.Text, h.text("en", "checkout.note_prompt"))
	})
	if m.ID != delivery.ID+1 {
		t.Errorf("%d messages between the delivery question and the note question", m.ID-delivery.ID-1)
	}
	want := locale.Plain(h.text("en", "checkout.pickup_where") + "\n" + html.EscapeString(address) + "\n\n" + h.text("en", "checkout.note_prompt"))
	if m.Text != want {
		t.Fatalf("after Pick up: %q\nwant %q", m.Text, want)
	}
	if b := m.Buttons(); len(b) != 1 || b[0].Text != h.text("en", "checkout.no_note_button") {
		t.Fatalf("buttons %v", b)
	}
	u.Press(t, m, h.text("en", "checkout.no_note_button"))
	if s := u.WaitFor(t, func(s telegramtest.Message) bool { return s.ID > m.ID && strings.HasPrefix(s.Text, "📋") }); !strings.Contains(s.Text, dress.Title) {
		t.Errorf("summary %q", s.Text)
	}
	noErrors(t, h)
}

// A Confirm without a summary's key (forged, as no button carries one) places nothing,
// even in the middle of a checkout, whose key is not drawn until its summary.
func TestConfirmWithoutASummaryPlacesNothing(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(5801, "Minh", "vi")
	delivery := deliveryQuestion(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, delivery, h.text("vi", "checkout.pickup_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && m.Text == h.text("vi", "checkout.note_prompt")
	})
	before := len(u.CallbackAnswers())
	u.PressData(delivery.ID, "\f"+handlers.UniqueCheckout+"|confirm|")
	if a := waitAnswers(t, u, before+1); a[before].Text != h.text("vi", "callback.stale") {
		t.Errorf("a Confirm without a key answered %q", a[before].Text)
	}
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM orders`); err != nil || n != 0 {
		t.Fatalf("%d orders, %v; want none", n, err)
	}
	noErrors(t, h)
}

// Browsing the catalog in the bot: Previous and Next turn the card in place, photo,
// caption and buttons, rather than adding a card to the chat at every press; the turned
// card books like any other.
func TestCatalogCardsTurnInPlace(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	r := h.start()
	dress, bag := liveShop(t, h, map[string]int{"S": 2, "bag": 3})
	u := h.user(5501, "Ana", "en")
	u.SendText("/start")
	menu := u.WaitFor(t, func(m telegramtest.Message) bool { return len(m.Buttons()) > 0 })
	u.Press(t, menu, h.text("en", "menu.browse"))
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil })
	if !strings.Contains(card.Caption, dress.Title) || !strings.Contains(card.Caption, h.text("en", "catalog.position", locale.Args{"N": 1, "Total": 2})) {
		t.Fatalf("first card: %q", card.Caption)
	}
	shows := func(m telegramtest.Message, it catalog.Item, n int) bool {
		return m.Photo != nil && bytes.Equal(m.Photo.Data, photo(t, n)) && strings.Contains(m.Caption, it.Title) &&
			strings.Contains(m.Caption, h.text("en", "catalog.position", locale.Args{"N": n, "Total": 2}))
	}
	for i, want := range []struct {
		button string
		item   catalog.Item
		n      int
	}{{"catalog.next", bag, 2}, {"catalog.next", dress, 1}, {"catalog.prev", bag, 2}} {
		u.Press(t, card, h.text("en", want.button))
		card = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == card.ID && m.Edits == i+1 })
		if !shows(card, want.item, want.n) {
			t.Fatalf("after %d presses the card shows %q", i+1, card.Caption)
		}
	}
	photos := 0
	for _, m := range u.Messages() {
		if m.Photo != nil {
			photos++
		}
	}
	if photos != 1 {
		t.Errorf("%d photo messages in the chat after turning the card three times", photos)
	}
	// The bag's card, turned to, books the bag.
	u.Press(t, card, h.text("en", "cart.add_button"))
	if m := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > card.ID }); !strings.Contains(m.Text, bag.Title) {
		t.Errorf("booking from a turned card: %q", m.Text)
	}

	// Next pressed twice before the bot reads either: the second finds the card turned.
	r.stop(t)
	answers := len(u.CallbackAnswers())
	u.Press(t, card, h.text("en", "catalog.next"))
	u.Press(t, card, h.text("en", "catalog.next"))
	r = h.start()
	waitAnswers(t, u, answers+2)
	card = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == card.ID && m.Edits == 4 })
	if !shows(card, dress, 1) {
		t.Errorf("after a double press the card shows %q", card.Caption)
	}
	// A card the customer deleted before the bot turned it: the next one comes anew.
	r.stop(t)
	u.Press(t, card, h.text("en", "catalog.next"))
	u.Delete(card.ID)
	last := lastID(u)
	h.start()
	if m := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > last }); !shows(m, bag, 2) {
		t.Errorf("after the card was deleted: %q", m.Caption)
	}
	photos = 0
	for _, m := range u.Messages() {
		if m.Photo != nil && !m.Deleted {
			photos++
		}
	}
	if photos != 1 {
		t.Errorf("%d photo messages in the chat after the card was deleted and turned", photos)
	}
	// Telegram's two refusals, and nothing else, came to the customer's chat.
	var refused []string
	for _, e := range h.fake.Errors() {
		if e.ChatID == u.ID {
			refused = append(refused, e.Method+": "+e.Description)
		}
	}
	if len(refused) != 2 || !strings.Contains(refused[0], "message is not modified") || !strings.Contains(refused[1], "message to edit not found") {
		t.Errorf("the fake's errors in the customer's chat: %q", refused)
	}
}

// A customer who tapped a size and then writes words, not a number, has moved on: they are
// answered as anywhere else, and a number later does not add the size after all. /cancel
// in the middle of a checkout ends it.
func TestWordsAfterASizeLeaveItAndCancelEndsACheckout(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(5701, "Linh", "en")
	say := func(text string) telegramtest.Message { return replyTo(t, u, func() { u.SendText(text) }) }
	from := lastID(u)
	u.SendText("/start " + catalog.ItemPayload(dress.ID))
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Photo != nil })
	replyTo(t, u, func() { u.Press(t, card, "🛒 S") })
	if m := say("do you have it in blue?"); m.Text != h.text("en", "ask.offer") {
		t.Errorf("a question after tapping a size: %q", m.Text)
	}
	if m := say("2"); m.Text != h.text("en", "ask.offer") {
		t.Errorf("a number after the question: %q", m.Text)
	}
	if m := say("/cart"); !strings.HasPrefix(m.Text, h.text("en", "cart.empty")[:10]) {
		t.Errorf("the cart after words at the quantity step: %q", m.Text)
	}

	added := book(t, h, u, dress, "S", 1)
	deliveryQuestion(t, h, u, added)
	if m := say("/cancel"); m.Text != h.text("en", "cancel.done") {
		t.Errorf("/cancel at the delivery question: %q", m.Text)
	}
	if m := say("/cancel"); m.Text != h.text("en", "cancel.nothing") {
		t.Errorf("a second /cancel: %q", m.Text)
	}
	noErrors(t, h)
}

// Two receipt pictures sent before either "which order?" is answered each go to the order
// picked under its own question, even after a detour through the menu.
func TestTwoReceiptsWaitingForTheirOrders(t *testing.T) {
	t.Parallel()
	h, dress, bag := openShop(t, map[string]int{"S": 5, "bag": 5})
	u := h.user(5801, "Minh", "en")
	o1 := placePickup(t, h, u, dress, "S", 1)
	o2 := placePickup(t, h, u, bag, "", 1)
	first, second := photo(t, 31), photo(t, 32)
	isWhich := func(m telegramtest.Message) bool { return m.Text == h.text("en", "receipt.which") }
	from := lastID(u)
	u.SendPhoto(first, "")
	q1 := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && isWhich(m) })
	u.SendPhoto(second, "")
	q2 := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > q1.ID && isWhich(m) })
	// Going back to the menu meanwhile keeps them waiting.
	replyTo(t, u, func() { u.SendText("/start") })
	// The first question answered first: the first picture; then the second.
	u.Press(t, q1, q1.Buttons()[0].Text)
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, o1.Code)
	})
	u.Press(t, q2, q2.Buttons()[1].Text)
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "🧾") && strings.Contains(m.Text, o2.Code)
	})
	for _, want := range []struct {
		o    orders.Order
		data []byte
	}{{o1, first}, {o2, second}} {
		var data []byte
		if err := h.db.Get(&data, `SELECT data FROM receipts WHERE order_id = $1`, want.o.ID); err != nil || !bytes.Equal(data, want.data) {
			t.Errorf("order %s: the receipt stored is not the picture sent for it (%v)", want.o.Code, err)
		}
	}
	// A question answered already is stale.
	answers := len(u.CallbackAnswers())
	u.Press(t, q1, q1.Buttons()[1].Text)
	if a := waitAnswers(t, u, answers+1); a[answers].Text != h.text("en", "callback.stale") {
		t.Errorf("a second press on an answered question: %q", a[answers].Text)
	}
	noErrors(t, h)
}

// A command the bot does not know, typed at a checkout question, is no answer to it: the
// question stands, and the next answer is the one taken.
func TestAnUnknownCommandIsNoCheckoutAnswer(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(9401, "Mai", "en")
	askedName(t, h, u, dress)
	if m := replyTo(t, u, func() { u.SendText("/menu") }); m.Text != h.text("en", "unknown.command_in_step") {
		t.Fatalf("after /menu at the name question: %q", m.Text)
	}
	if m := replyTo(t, u, func() { u.SendText("Mai Nguyen") }); m.Text != h.text("en", "checkout.phone_prompt") {
		t.Fatalf("after the name: %q", m.Text)
	}
	if m := replyTo(t, u, func() { u.SendText("/phone 0912") }); m.Text != h.text("en", "unknown.command_in_step") {
		t.Errorf("after a command with words at the phone question: %q", m.Text)
	}
	if m := replyTo(t, u, func() { u.SendText("0912 345 678") }); m.Text != h.text("en", "checkout.address_prompt") {
		t.Errorf("after the phone: %q", m.Text)
	}
	// A slash before a number is an address, not a command.
	if m := replyTo(t, u, func() { u.SendText("/12 Lê Lợi, Quận 1") }); m.Text != h.text("en", "checkout.note_prompt") {
		t.Errorf("after the address: %q", m.Text)
	}
	noErrors(t, h)
}

// entityText is the text an entity of m covers.
func entityText(m telegramtest.Message, e telegramtest.Entity) string {
	u := utf16.Encode([]rune(m.Text))
	return string(utf16.Decode(u[e.Offset : e.Offset+e.Length]))
}

// An Arabic customer's order code, tapped to copy for the transfer's note, is the code
// alone; a seller pasting it with the direction marks Arabic text carries finds it.
func TestAnArabicOrderCodeCopiesClean(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(9501, "Ali", "ar")
	o := placePickup(t, h, u, dress, "S", 1)
	pay := u.WaitFor(t, func(m telegramtest.Message) bool {
		return slices.ContainsFunc(m.Entities, func(e telegramtest.Entity) bool { return e.Type == "code" })
	})
	for _, e := range pay.Entities {
		if e.Type == "code" && entityText(pay, e) != o.Code {
			t.Errorf("the code to copy is %q, want %q", entityText(pay, e), o.Code)
		}
	}
	pasted := "\u2068" + o.Code + "\u2069"
	// The order's card (its history), or the search's button for it; not "no order".
	found := func(cmd string, ok func(telegramtest.Message) bool) {
		t.Helper()
		from := lastID(s2)
		s2.SendText(cmd + " " + pasted)
		m := s2.WaitFor(t, func(m telegramtest.Message) bool {
			return m.ID > from && (ok(m) || strings.HasPrefix(m.Text, "No order"))
		})
		if !ok(m) {
			t.Errorf("%s with a pasted code: %q", cmd, m.Text)
		}
	}
	found("/order", func(m telegramtest.Message) bool {
		return strings.Contains(m.Text, o.Code) && strings.Contains(m.Text, "History")
	})
	found("/find", func(m telegramtest.Message) bool {
		return slices.ContainsFunc(m.Buttons(), func(b telegramtest.Button) bool { return strings.Contains(b.Text, o.Code) })
	})
	noErrors(t, h)
}

// A customer who corrects an answer by editing it is not asked to send it again, which
// would answer the question now standing: the question is asked again, and the
// correction is made on the summary.
func TestAnEditedCheckoutAnswerIsNotTakenForTheNext(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(9301, "Mai", "en")
	askedName(t, h, u, dress)
	u.SendText("Mai")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "checkout.phone_prompt") })
	sent := u.SendText("0912 345 67")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "checkout.address_prompt") })
	from := lastID(u)
	u.EditText(sent.MessageID, "0912 345 678")
	told := h.text("en", "edited.checkout", locale.Args{"Button": h.text("en", "checkout.edit_button")})
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == told })
	u.WaitFor(t, func(m telegramtest.Message) bool { // asked again
		return m.ID > from && m.Text == h.text("en", "checkout.address_prompt")
	})
	u.SendText("12 Lê Lợi, Quận 1")
	n := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "checkout.note_prompt") })
	u.Press(t, n, h.text("en", "checkout.no_note_button"))
	s := u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "📋") })
	// The first phone stands (the bot keeps its digits), and the address is the address.
	if digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s.Text); !strings.Contains(s.Text, "12 Lê Lợi") || !strings.Contains(digits, "091234567") || strings.Contains(digits, "0912345678") {
		t.Errorf("summary: %q", s.Text)
	}
	noErrors(t, h)
}

// askedName books one size S of it for u (in English) and checks out for delivery, up to
// the question of the recipient's name.
// summaryFromAddress answers a shipping checkout's address question (asked after the
// message after) with address and its note question with none, and returns the summary.
// The customer speaks English.
func summaryFromAddress(t *testing.T, h *harness, u *telegramtest.User, after telegramtest.Message, address string) telegramtest.Message {
	t.Helper()
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > after.ID && m.Text == h.text("en", "checkout.address_prompt")
	})
	u.SendText(address)
	note := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > after.ID && m.Text == h.text("en", "checkout.note_prompt")
	})
	u.Press(t, note, h.text("en", "checkout.no_note_button"))
	return u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > note.ID && strings.HasPrefix(m.Text, "📋") })
}

func askedName(t *testing.T, h *harness, u *telegramtest.User, it catalog.Item) {
	t.Helper()
	d := deliveryQuestion(t, h, u, book(t, h, u, it, "S", 1))
	u.Press(t, d, h.text("en", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "checkout.name_prompt") })
}

// The phone question takes the customer's own number from the Share button, kept dialable
// with its "+" (which Telegram often leaves out), and the recipient's contact card.
func TestAContactAnswersThePhoneQuestion(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	toPhone := func(u *telegramtest.User) telegramtest.Message {
		t.Helper()
		return shippingQuestion(t, h, u, dress, "S", "Trần Văn Hoa")
	}
	placedWith := func(u *telegramtest.User, after telegramtest.Message) string {
		t.Helper()
		summary := summaryFromAddress(t, h, u, after, "12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
		u.Press(t, summary, h.text("en", "checkout.confirm_button"))
		u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "✅") })
		var phone string
		if err := h.db.Get(&phone, `SELECT phone FROM orders WHERE customer_id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		return phone
	}

	u := h.user(9103, "Mai", "en")
	asked := toPhone(u)
	u.SendContact("84912345678")
	if phone := placedWith(u, asked); phone != "+84912345678" {
		t.Errorf("own number shared as 84912345678 kept as %q, want +84912345678", phone)
	}

	v := h.user(9102, "Mai", "en")
	asked = toPhone(v)
	v.SendContactOf("84987654321", "Hoa", 424242) // the recipient, on Telegram
	if phone := placedWith(v, asked); phone != "+84987654321" {
		t.Errorf("the recipient's card kept as %q, want +84987654321", phone)
	}

	w := h.user(9104, "Mai", "en")
	asked = toPhone(w)
	w.SendContactOf("0987 654 321", "Hoa", 424242) // as saved in a phone book
	if phone := placedWith(w, asked); phone != "0987654321" {
		t.Errorf("a card saved as 0987 654 321 kept as %q", phone)
	}
	noErrors(t, h)
}

// A customer at the summary opens an item from the channel just to look: the checkout
// waits, its summary still confirms the order, and the menu offers to continue it.
func TestLookingAtAnItemKeepsTheCheckout(t *testing.T) {
	t.Parallel()
	h, dress, bag := openShop(t, map[string]int{"S": 5, "bag": 5})
	u := h.user(9106, "Mai", "en")
	_, summary := pickupSummary(t, h, u, book(t, h, u, dress, "S", 1))
	from := lastID(u)
	u.SendText("/start " + catalog.ItemPayload(bag.ID))
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Photo != nil })
	u.Press(t, card, "🛒 Add to cart") // tapping it, then leaving it
	from = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > card.ID && slices.Contains(buttonTexts(m), "1") }).ID
	u.SendText("/start")
	menu := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && len(m.Buttons()) > 0 })
	if !slices.Contains(buttonTexts(menu), h.text("en", "checkout.resume_button")) {
		t.Errorf("the menu after looking at an item offers no way back to the checkout: %v", buttonTexts(menu))
	}
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > menu.ID && strings.HasPrefix(m.Text, "✅") })
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID); err != nil || n != 1 {
		t.Errorf("%d orders, want 1 (%v)", n, err)
	}
	noErrors(t, h)
}

// A picture sent where the checkout waits for words (a map for the address) is not taken
// for the receipt of an order the customer still has to pay unless they say it is, picking
// the order; with nothing to pay, or with another kind of file, the question is asked again.
// Either way the checkout goes on.
func TestAPictureAtACheckoutQuestionIsNoReceiptUnlessSaid(t *testing.T) {
	t.Parallel()
	for _, lang := range locale.Languages { // what the customer is told, in each language
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h, dress, _ := openShop(t, map[string]int{"S": 5})
			toAddress := func(u *telegramtest.User) telegramtest.Message {
				t.Helper()
				return shippingQuestion(t, h, u, dress, "S", "Mai", "0912 345 678")
			}
			goesOn := func(u *telegramtest.User, after telegramtest.Message) {
				t.Helper()
				u.SendText("12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
				u.WaitFor(t, func(m telegramtest.Message) bool {
					return m.ID > after.ID && m.Text == h.text(lang, "checkout.note_prompt")
				})
			}

			// Nothing to pay: a picture is the address wrongly sent.
			v := h.user(9108, "Lan", lang)
			asked := toAddress(v)
			if reply := replyTo(t, v, func() { v.SendPhoto(photo(t, 8), "") }); reply.Text != h.text(lang, "expect.text") {
				t.Errorf("a photo at the address question answered %q, want %q", reply.Text, h.text(lang, "expect.text"))
			}
			goesOn(v, asked)

			// An order to pay: the picture may be its receipt, if the customer says so.
			u := h.user(9107, "Mai", lang)
			o := placePickup(t, h, u, dress, "S", 1)
			asked = toAddress(u)
			which := replyTo(t, u, func() { u.SendPhoto(photo(t, 9), "") })
			if which.Text != h.text(lang, "receipt.which_at_checkout") || len(which.Buttons()) != 1 {
				t.Fatalf("a photo at the address question with an order to pay answered %q %v", which.Text, buttonTexts(which))
			}
			if s := statusOf(t, h, o.ID); s != orders.AwaitingPayment {
				t.Errorf("before the customer said it is a receipt, the order is %s", s)
			}
			if reply := replyTo(t, u, func() { u.SendVoice() }); reply.Text != h.text(lang, "expect.text") {
				t.Errorf("a voice note at the address question answered %q, want %q", reply.Text, h.text(lang, "expect.text"))
			}
			if got := replyTo(t, u, func() { u.Press(t, which, which.Buttons()[0].Text) }); got.Text != h.text(lang, "receipt.received", locale.Args{"Code": o.Code}) {
				t.Errorf("picking the order answered %q", got.Text)
			}
			if s := statusOf(t, h, o.ID); s != orders.ReceiptSubmitted {
				t.Errorf("the order picked is %s", s)
			}
			// An album there: one question, about its first picture.
			from := lastID(u)
			u.SendAlbum([][]byte{photo(t, 21), photo(t, 22), photo(t, 23)}, "")
			u.WaitFor(t, func(m telegramtest.Message) bool {
				return m.ID > from && m.Text == h.text(lang, "receipt.which_at_checkout")
			})
			time.Sleep(300 * time.Millisecond) // the other pictures' questions would be here by now
			if n := countStarting(u.Messages(), h.text(lang, "receipt.which_at_checkout")); n != 2 {
				t.Errorf("%d questions after an album of 3, want 1 more than the 1 before", n)
			}
			goesOn(u, asked)
			noErrors(t, h)
		})
	}
}

// With only an order expired lately, nothing is to pay: a picture at a checkout question is
// the answer wrongly sent, and a late receipt waits for the checkout's end.
func TestAPictureAtACheckoutQuestionBesideALateOrderIsNoReceipt(t *testing.T) {
	t.Parallel()
	h, dress, u, _ := expiredOrder(t, 9311)
	shippingQuestion(t, h, u, dress, "S")
	if reply := replyTo(t, u, func() { u.SendPhoto(photo(t, 8), "") }); reply.Text != h.text("en", "expect.text") {
		t.Errorf("a photo at the name question beside a late order: %q %v, want %q", reply.Text, buttonTexts(reply), h.text("en", "expect.text"))
	}
	noErrors(t, h)
}

// A customer forwards the shop's channel post to the bot: it shows the item's card, to
// book it, and is not taken for the receipt of the order they have to pay. A picture
// forwarded from another chat may be a receipt: the customer says which order it pays.
func TestAForwardedPostShowsItsItem(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	u := h.user(9105, "Mai", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	post := h.channel.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, "Silk dress") })
	from := lastID(u)
	u.Forward(t, post)
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.FromBot })
	if card.Photo == nil || !strings.Contains(card.Caption, "Silk dress") || !slices.Contains(buttonTexts(card), "🛒 S") {
		t.Errorf("a forwarded post of the dress answered %q %v, want the dress's card", card.Caption+card.Text, buttonTexts(card))
	}
	var receipts int
	h.db.Get(&receipts, `SELECT count(*) FROM receipts`)
	if s := statusOf(t, h, o.ID); s != orders.AwaitingPayment || receipts != 0 {
		t.Errorf("after the forwarded post, the order is %s with %d receipts; want awaiting payment, none", s, receipts)
	}

	// A sister's transfer, forwarded from her chat.
	sister := h.user(9205, "Lan", "en")
	sent, _ := sister.Chat().Message(sister.SendPhoto(photo(t, 11), "").MessageID)
	sister.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.photo_hint") })
	from = lastID(u)
	u.Forward(t, sent)
	which := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.FromBot })
	if which.Text != h.text("en", "receipt.which_forwarded") {
		t.Fatalf("a forwarded picture answered %q, want %q", which.Text, h.text("en", "receipt.which_forwarded"))
	}
	u.Press(t, which, buttonTexts(which)[0])
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > which.ID && m.Text == h.text("en", "receipt.received", locale.Args{"Code": o.Code})
	})
	if s := statusOf(t, h, o.ID); s != orders.ReceiptSubmitted {
		t.Errorf("the order is %s after its forwarded receipt was picked", s)
	}
	noErrors(t, h)
}

// An order awaiting payment shows how to pay in My orders, with the instructions the
// seller wrote since it was placed.
func TestAnOrderToPayShowsHowToPay(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(9104, "Mai", "en")
	o := placePickup(t, h, u, dress, "S", 1)

	replyTo(t, seller, func() { seller.SendText("/setpayment") })
	from := lastID(seller)
	seller.SendText("Vietcombank 0123 456 789")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", "setpayment.saved") })

	list := replyTo(t, u, func() { u.SendText("/orders") })
	detail := replyTo(t, u, func() { u.Press(t, list, buttonTexts(list)[0]) })
	for _, want := range []string{o.Code, "Vietcombank 0123 456 789", plain(h.text("en", "payment.how"))} {
		if !strings.Contains(detail.Text, want) {
			t.Errorf("the order to pay shows %q, without %q", detail.Text, want)
		}
	}
	noErrors(t, h)
}

// A cart line that can no longer be booked (its catalog closed, or the item was hidden)
// is taken out of the cart, and the customer is told which, rather than finding out at
// Confirm after typing every detail.
func TestACartLineNoLongerBookableIsTakenOutAndTold(t *testing.T) {
	t.Parallel()
	for _, lang := range locale.Languages { // what the customer is told, in each language
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			h, dress, bag := openShop(t, map[string]int{"S": 5, "bag": 5})
			ctx := context.Background()
			u := h.user(9101, "Mai", lang)
			book(t, h, u, dress, "S", 1)
			added := book(t, h, u, bag, "", 1)

			// The bag is taken off the catalog: checking out goes on with the dress alone, and says so.
			if err := h.catalog().SetHidden(ctx, bag.ID, true); err != nil {
				t.Fatal(err)
			}
			u.Press(t, added, h.text(lang, "cart.checkout_button"))
			told := h.text(lang, "cart.dropped", locale.Args{"Items": "Tote bag"})
			u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > added.ID && m.Text == told })
			delivery := u.WaitFor(t, func(m telegramtest.Message) bool {
				return m.ID > added.ID && m.Text == h.text(lang, "checkout.delivery_prompt")
			})

			// The catalog closes before the summary: the summary says the dress is out, and the cart is empty.
			if _, err := h.catalog().CloseWeek(ctx, dress.WeekID, time.Now()); err != nil {
				t.Fatal(err)
			}
			u.Press(t, delivery, h.text(lang, "checkout.pickup_button"))
			note := u.WaitFor(t, func(m telegramtest.Message) bool {
				return m.ID > delivery.ID && strings.HasSuffix(m.Text, h.text(lang, "checkout.note_prompt"))
			})
			u.Press(t, note, h.text(lang, "checkout.no_note_button"))
			want := h.text(lang, "cart.dropped", locale.Args{"Items": "Silk dress (S)"}) + "\n\n" + h.text(lang, "cart.empty")
			u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > note.ID && m.Text == want })
			var n int
			if err := h.db.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID); err != nil || n != 0 {
				t.Errorf("%d orders, want none (%v)", n, err)
			}
			noErrors(t, h)
		})
	}
}

// A cart line whose item the shop deleted is taken out and told by the name it had when
// it was added; a line added before the cart kept names is told as an item removed.
func TestACartLineOfADeletedItemIsTold(t *testing.T) {
	t.Parallel()
	h, dress, bag := openShop(t, map[string]int{"S": 5, "bag": 5})
	ctx := context.Background()
	u := h.user(9102, "Mai", "en")
	book(t, h, u, dress, "S", 1)
	book(t, h, u, bag, "", 1)
	if err := h.catalog().DeleteItem(ctx, bag.ID, catalog.Withdrawal{}); err != nil {
		t.Fatal(err)
	}
	cart := replyTo(t, u, func() { u.SendText("/cart") })
	told := h.text("en", "cart.dropped", locale.Args{"Items": "Tote bag"})
	if !strings.HasPrefix(cart.Text, told+"\n\n") || !strings.Contains(cart.Text, "Silk dress (S)") {
		t.Errorf("the cart after the bag was deleted: %q", cart.Text)
	}

	// A line as carts kept it before: no name.
	key := h.prefix + "session:" + strconv.FormatInt(u.ID, 10)
	for h.rdb.Exists(ctx, h.prefix+"lock:"+strconv.FormatInt(u.ID, 10)).Val() == 1 {
		time.Sleep(5 * time.Millisecond)
	}
	raw, err := h.rdb.Get(ctx, key).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var session map[string]any
	if err := json.Unmarshal(raw, &session); err != nil {
		t.Fatal(err)
	}
	lines, _ := session["cart"].([]any)
	if len(lines) != 1 {
		t.Fatalf("cart in Redis: %s", raw)
	}
	delete(lines[0].(map[string]any), "label")
	if raw, err = json.Marshal(session); err != nil {
		t.Fatal(err)
	}
	if err := h.rdb.Set(ctx, key, raw, redis.KeepTTL).Err(); err != nil {
		t.Fatal(err)
	}
	if err := h.catalog().DeleteItem(ctx, dress.ID, catalog.Withdrawal{}); err != nil {
		t.Fatal(err)
	}
	cart = replyTo(t, u, func() { u.SendText("/cart") })
	want := h.text("en", "cart.dropped", locale.Args{"Items": h.text("en", "cart.deleted_item")}) + "\n\n" + h.text("en", "cart.empty")
	if cart.Text != want {
		t.Errorf("the cart after the dress was deleted: %q, want %q", cart.Text, want)
	}
	noErrors(t, h)
}

// Buttons of a checkout's past are stale: an earlier summary's Cancel or Change details
// leaves the checkout under way alone, and last time's details, or new ones, are not asked
// for once the customer went over to pickup.
func TestAnEarlierCheckoutsButtonsAreStale(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 9})
	u := h.user(9111, "Mai", "en")
	// Last time's details, for the next checkout to offer.
	first := checkoutShipping(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, first, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > first.ID && strings.HasPrefix(m.Text, "✅") })

	_, summary := pickupSummary(t, h, u, book(t, h, u, dress, "S", 1))
	u.Press(t, summary, h.text("en", "checkout.edit_button"))
	delivery := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && m.Text == h.text("en", "checkout.delivery_prompt")
	})
	wantStale(t, h, u, summary, h.text("en", "checkout.cancel_button"))
	u.Press(t, delivery, h.text("en", "checkout.shipping_button"))
	last := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && slices.Contains(buttonTexts(m), h.text("en", "checkout.new_details_button"))
	})
	u.Press(t, delivery, h.text("en", "checkout.pickup_button")) // a change of mind
	note := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > last.ID && strings.HasSuffix(m.Text, h.text("en", "checkout.note_prompt"))
	})
	wantStale(t, h, u, last, h.text("en", "checkout.new_details_button"))
	u.Press(t, note, h.text("en", "checkout.no_note_button"))
	again := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > note.ID && strings.HasPrefix(m.Text, "📋") })
	if !strings.Contains(again.Text, plain(h.text("en", "delivery.pickup"))) {
		t.Errorf("the summary after going over to pickup: %q", again.Text)
	}
	u.Press(t, again, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > again.ID && strings.HasPrefix(m.Text, "✅") })
	noErrors(t, h)
}

// An album post forwarded photo by photo shows its item's card once; a seller forwarding a
// post in the middle of adding an item goes on adding it.
func TestAForwardedAlbumShowsOneCardAndASellersStepStands(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.start()
	_, items, seller := h.publishedWeek(t, 3) // the third has three photos
	var album []telegramtest.Message
	for _, m := range h.channel.Messages() {
		if m.Photo != nil && m.MediaGroupID != "" {
			album = append(album, m)
		}
	}
	if len(album) != 3 {
		t.Fatalf("%d photos of an album in the channel, want 3", len(album))
	}
	u := h.user(9401, "Mai", "en")
	from := lastID(u)
	for _, m := range album {
		u.Forward(t, m)
	}
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Photo != nil })
	if !strings.Contains(card.Caption, items[2].Title) {
		t.Errorf("the forwarded album answered %q, want %s's card", card.Caption, items[2].Title)
	}
	time.Sleep(300 * time.Millisecond) // the other photos' answers would be here by now
	answers := 0
	for _, m := range u.Messages() {
		if m.ID > from {
			answers++
		}
	}
	if answers != 1 {
		t.Errorf("the forwarded album of 3 photos answered with %d messages, want 1", answers)
	}

	// A seller adding an item forwards a post: the name question stands.
	replyTo(t, seller, func() { seller.SendText("/newitem") })
	seller.SendPhoto(photo(t, 71), "")
	progress := seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == plain(h.texts.N("vi", "newitem.photos_count", 1))
	})
	title := replyTo(t, seller, func() { seller.Press(t, progress, h.text("vi", "newitem.done_button")) })
	if got := replyTo(t, seller, func() { seller.Forward(t, album[0]) }); got.Text != h.text("vi", "expect.text") {
		t.Errorf("a forwarded post at the name question answered %q, want %q", got.Text, h.text("vi", "expect.text"))
	}
	if got := replyTo(t, seller, func() { seller.SendText("Váy lụa") }); got.Text == title.Text || got.Text == h.text("vi", "unknown.text") {
		t.Errorf("the name typed after the forward answered %q: the item was put aside", got.Text)
	}
	noErrors(t, h)
}

// A line taken out of the cart while a summary stands: that summary's Confirm says the cart
// changed, not a price, and shows the order as it now is.
func TestConfirmAfterALineWasTakenOutSaysTheCartChanged(t *testing.T) {
	t.Parallel()
	h, dress, bag := openShop(t, map[string]int{"S": 5, "bag": 5})
	u := h.user(9402, "Mai", "en")
	book(t, h, u, dress, "S", 1)
	_, summary := pickupSummary(t, h, u, book(t, h, u, bag, "", 1))
	if err := h.catalog().SetHidden(context.Background(), bag.ID, true); err != nil {
		t.Fatal(err)
	}
	replyTo(t, u, func() { u.SendText("/cart") })
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && m.Text == h.text("en", "checkout.cart_changed")
	})
	again := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "📋") })
	if strings.Contains(again.Text, "Tote bag") || !strings.Contains(again.Text, "Silk dress") {
		t.Errorf("the summary shown again: %q", again.Text)
	}
	noErrors(t, h)
}
