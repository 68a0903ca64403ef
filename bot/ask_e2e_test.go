package bot_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// A customer writes to the shop from the menu, from the text they typed, and from one of
// their orders; every seller gets it with an Answer button, in their own language; a
// seller's answer (a photo here) reaches the customer with a Reply button and the other
// seller as a copy. Every message is kept in Postgres. Bad input is refused with the
// reason and writes nothing; a customer writing too often is told to wait. A question
// or an answer asked for half an hour ago is no longer waited for.
func TestCustomersWriteToTheShopAndSellersAnswer(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Now())
	h, s1, s2, dress, _ := sellersShop(t, map[string]int{"M": 5}, withClock(clock), func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.MessagesPerHour = 5 })
	})
	u := h.fake.User(7301, "Ana", "ana_k", "en")
	sellers := []*telegramtest.User{s1, s2}
	// reaches waits for every seller to get the customer's words under head.
	reaches := func(head string, args locale.Args, words string) []telegramtest.Message {
		t.Helper()
		var got []telegramtest.Message
		for _, s := range sellers {
			want := h.text(s.LanguageCode, head, args) + "\n" + words
			got = append(got, s.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want || m.Caption == want }))
		}
		return got
	}
	rows := func() (n int) {
		t.Helper()
		if err := h.db.Get(&n, `SELECT count(*) FROM messages`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	ana := locale.Args{"Customer": "Ana (@ana_k)"}

	// From the main menu.
	u.SendText("/start")
	menu := u.WaitFor(t, func(m telegramtest.Message) bool { return len(m.Buttons()) > 0 })
	u.Press(t, menu, h.text("en", "menu.ask"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.prompt") })
	// Nothing that can't be passed on is: a command, a sticker, a text too long.
	for _, bad := range []struct {
		send func()
		want string
	}{
		{func() { u.SendText("/frobnicate") }, h.text("en", "unknown.command_in_step")},
		{func() { u.SendSticker() }, h.text("en", "ask.expected")},
	} {
		from := lastID(u)
		bad.send()
		u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == bad.want })
	}
	if n := rows(); n != 0 {
		t.Fatalf("%d messages kept after refusals", n)
	}
	u.SendText("Do you have the <b>dress</b> in blue?")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.sent") })
	question := reaches("notice.question", ana, "Do you have the <b>dress</b> in blue?")

	// The first seller answers with a photo; the customer can reply to it.
	s1.Press(t, question[0], h.text("vi", "ask.answer_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "ask.answer_prompt", ana) })
	s1.SendPhoto(photo(t, 7), "Có ạ, màu xanh còn size M")
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "ask.answer_sent", ana) })
	answer := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Photo != nil && m.Caption == h.text("en", "notice.answer")+"\nCó ạ, màu xanh còn size M"
	})
	copyWant := h.text("en", "notice.answered", locale.Args{"Who": "Lan", "Customer": "Ana (@ana_k)"}) + "\nCó ạ, màu xanh còn size M"
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && m.Caption == copyWant })
	u.Press(t, answer, h.text("en", "ask.reply_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > answer.ID && m.Text == h.text("en", "ask.prompt") })
	u.SendText("Thanks! I'll book it.")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > answer.ID && m.Text == h.text("en", "ask.sent") })
	reaches("notice.question", ana, "Thanks! I'll book it.")

	// Text typed outside any conversation is offered to the shop, and goes once.
	u.SendText("hello? anyone there")
	offer := u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.offer") })
	u.Press(t, offer, h.text("en", "ask.send_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > offer.ID && m.Text == h.text("en", "ask.sent") })
	reaches("notice.question", ana, "hello? anyone there")
	before := len(u.CallbackAnswers())
	u.Press(t, offer, h.text("en", "ask.send_button"))
	for deadline := time.Now().Add(5 * time.Second); len(u.CallbackAnswers()) == before && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if a := u.CallbackAnswers(); len(a) == before || a[len(a)-1].Text != h.text("en", "callback.stale") {
		t.Errorf("a second press of the offer: %+v", a[before:])
	}

	// About an order, from its card: the sellers can open the order from the message. The
	// customer sends an album, whose photos all reach the sellers as one message (the
	// order waits for payment, but these are no receipts).
	o := placePickup(t, h, u, dress, "M", 1)
	list := replyTo(t, u, func() { u.SendText("/orders") })
	u.Press(t, list, o.Code)
	card := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > list.ID && strings.Contains(m.Text, o.Code) })
	u.Press(t, card, h.text("en", "orders.ask_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > card.ID && m.Text == h.text("en", "ask.prompt_order", locale.Args{"Code": o.Code})
	})
	u.SendAlbum([][]byte{photo(t, 8), photo(t, 9), photo(t, 10)}, "Can my sister pick it up on Saturday?")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > card.ID && m.Text == h.text("en", "ask.sent") })
	about := reaches("notice.question_order", locale.Args{"Customer": "Ana (@ana_k)", "Code": o.Code}, "Can my sister pick it up on Saturday?")
	for i, s := range sellers {
		head := h.text(s.LanguageCode, "notice.question_order", locale.Args{"Customer": "Ana (@ana_k)", "Code": o.Code})
		s.WaitFor(t, func(telegramtest.Message) bool {
			n := 0
			for _, m := range s.Messages() {
				if m.Photo != nil && strings.HasPrefix(m.Caption, head) {
					n++
				}
			}
			return n == 3
		})
		if about[i].Photo == nil {
			t.Errorf("the customer's photo did not reach seller %d: %+v", s.ID, about[i])
		}
	}
	var receipts int
	if err := h.db.Get(&receipts, `SELECT count(*) FROM receipts`); err != nil || receipts != 0 {
		t.Errorf("%d receipts kept from an album sent to the shop (%v)", receipts, err)
	}
	var pressed int
	pressed = lastID(s2)
	s2.Press(t, about[1], h.text("en", "ask.order_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > pressed && strings.Contains(m.Text, o.Code) })
	s2.Press(t, about[1], h.text("en", "ask.answer_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.answer_prompt", ana) })
	s2.SendText("Of course, any time after 10:00.")
	reply := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "notice.answer_order", locale.Args{"Code": o.Code})+"\nOf course, any time after 10:00."
	})
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("vi", "notice.answered", locale.Args{"Who": "Minh", "Customer": "Ana (@ana_k)"})+"\nOf course, any time after 10:00."
	})

	// The album counted as one message: a fifth within the hour goes, a sixth is one too
	// many, and the customer is told, nothing kept; the rest of an album refused so goes
	// nowhere (the order waits for payment: its photos are no receipts either).
	u.Press(t, reply, h.text("en", "ask.reply_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > reply.ID && m.Text == h.text("en", "ask.prompt_order", locale.Args{"Code": o.Code})
	})
	u.SendText("And one more thing")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > reply.ID && m.Text == h.text("en", "ask.sent") })
	reaches("notice.question_order", locale.Args{"Customer": "Ana (@ana_k)", "Code": o.Code}, "And one more thing")
	u.Press(t, menu, h.text("en", "menu.ask"))
	asked := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > reply.ID && m.Text == h.text("en", "ask.prompt") })
	u.SendAlbum([][]byte{photo(t, 11), photo(t, 12)}, "")
	tooMany := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > asked.ID && m.Text == h.text("en", "ask.too_many") })
	time.Sleep(300 * time.Millisecond)
	if last := lastID(u); last != tooMany.ID {
		t.Errorf("the rest of a refused album was answered: %+v", u.Messages()[len(u.Messages())-1])
	}
	if err := h.db.Get(&receipts, `SELECT count(*) FROM receipts`); err != nil || receipts != 0 {
		t.Errorf("%d receipts kept from an album refused (%v)", receipts, err)
	}

	// Half an hour after a seller asked to answer, their words are not taken for the
	// answer; nor a customer's photo for a question, when an order waits for payment: it
	// is the order's receipt.
	pressed = lastID(s1)
	s1.Press(t, about[0], h.text("vi", "ask.answer_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > pressed && m.Text == h.text("vi", "ask.answer_prompt", ana)
	})
	u.Press(t, menu, h.text("en", "menu.ask"))
	asked = u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > asked.ID && m.Text == h.text("en", "ask.prompt") })
	clock.Set(clock.Now().Add(31 * time.Minute))
	s1.SendText("Dạ vâng")
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "step.expired") })
	u.SendPhoto(photo(t, 13), "")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > asked.ID && strings.HasPrefix(m.Text, "🧾") })
	if err := h.db.Get(&receipts, `SELECT count(*) FROM receipts WHERE order_id = $1`, o.ID); err != nil || receipts != 1 {
		t.Errorf("%d receipts kept from a photo sent long after asking (%v)", receipts, err)
	}

	type row struct {
		Seller  int64  `db:"seller"`
		Order   int64  `db:"order_id"`
		Text    string `db:"text"`
		Photo   bool   `db:"photo"`
		Message int64  `db:"chat_message_id"`
	}
	var kept []row
	if err := h.db.Select(&kept, `SELECT COALESCE(seller_id, 0) AS seller, COALESCE(order_id, 0) AS order_id, text,
    photo_file_id <> '' AS photo, chat_message_id FROM messages WHERE customer_id = $1 ORDER BY id`, u.ID); err != nil {
		t.Fatal(err)
	}
	want := []row{
		{0, 0, "Do you have the <b>dress</b> in blue?", false, 0},
		{admin1, 0, "Có ạ, màu xanh còn size M", true, 0},
		{0, 0, "Thanks! I'll book it.", false, 0},
		{0, 0, "hello? anyone there", false, 0},
		{0, o.ID, "Can my sister pick it up on Saturday?", true, 0},
		{0, o.ID, "", true, 0},
		{0, o.ID, "", true, 0},
		{admin2, o.ID, "Of course, any time after 10:00.", false, 0},
		{0, o.ID, "And one more thing", false, 0},
	}
	for i := range kept {
		if kept[i].Message == 0 {
			t.Errorf("message %d kept without its chat message", i)
		}
		kept[i].Message = 0
	}
	// The album's photos are kept in the order they were handled.
	byText := func(a, b row) int { return strings.Compare(a.Text, b.Text) }
	if len(kept) == len(want) {
		slices.SortFunc(kept[4:7], byText)
		slices.SortFunc(want[4:7], byText)
	}
	if !slices.Equal(kept, want) {
		t.Errorf("kept %+v\nwant %+v", kept, want)
	}
	// Nothing else reached the sellers: one copy of each message (each photo of the album)
	// each.
	for _, s := range sellers {
		n := 0
		for _, m := range s.Messages() {
			if m.FromBot && (strings.HasPrefix(m.Text, "💬") || strings.HasPrefix(m.Caption, "💬")) {
				n++
			}
		}
		if n != 7 {
			t.Errorf("seller %d got %d customer messages, want 7", s.ID, n)
		}
	}
	noErrors(t, h)
}

// With every update delivered twice, a message to the shop and its answer are each kept
// and passed on once. The customer writes in Arabic: their answer comes in Arabic.
func TestAMessageToTheShopDeliveredTwiceGoesOnce(t *testing.T) {
	t.Parallel()
	h, s1, s2, _, _ := sellersShop(t, map[string]int{"M": 5}, redelivered())
	u := h.fake.User(7302, "ليلى", "", "ar")
	u.SendText("/ask")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("ar", "ask.prompt") })
	u.SendText("هل يتوفر الفستان باللون الأزرق؟")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("ar", "ask.sent") })
	who := locale.Args{"Customer": "ليلى"}
	q := s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "notice.question", who)+"\nهل يتوفر الفستان باللون الأزرق؟"
	})
	s2.Press(t, q, h.text("en", "ask.answer_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.answer_prompt", who) })
	s2.SendText("Yes, size M")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("ar", "notice.answer")+"\nYes, size M" })
	s1.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasSuffix(m.Text, "\nYes, size M") })
	time.Sleep(300 * time.Millisecond) // a second delivery would be handled by now
	var rows int
	if err := h.db.Get(&rows, `SELECT count(*) FROM messages`); err != nil || rows != 2 {
		t.Errorf("%d messages kept (%v), want 2", rows, err)
	}
	for _, c := range []struct {
		u      *telegramtest.User
		prefix string
		want   int
	}{{s1, "💬", 1}, {s2, "💬", 1}, {u, "💬", 1}, {s1, "↩️", 1}, {s2, "↩️", 0}} {
		if n := countStarting(c.u.Messages(), c.prefix); n != c.want {
			t.Errorf("%d got %d messages starting %q, want %d", c.u.ID, n, c.prefix, c.want)
		}
	}
	noErrors(t, h)
}

// A seller's answer to a customer who blocked the bot is kept, but the seller is told it
// never reached them, in their language; the other seller, answering later, is warned
// before they write.
func TestASellerIsToldTheirAnswerNeverReachedTheCustomer(t *testing.T) {
	t.Parallel()
	h, s1, s2, _, _ := sellersShop(t, map[string]int{"M": 5})
	u := h.fake.User(7311, "Ana", "ana_k", "en")
	ana := locale.Args{"Customer": "Ana (@ana_k)"}
	u.SendText("/ask")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.prompt") })
	u.SendText("Is the dress lined?")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.sent") })
	questions := map[*telegramtest.User]telegramtest.Message{}
	for _, s := range []*telegramtest.User{s1, s2} {
		want := h.text(s.LanguageCode, "notice.question", ana) + "\nIs the dress lined?"
		questions[s] = s.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
	}

	u.Block()
	s1.Press(t, questions[s1], h.text("vi", "ask.answer_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "ask.answer_prompt", ana) })
	s1.SendText("Có ạ, lót lụa")
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "ask.answer_sent", ana) })
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "notice.undelivered_answer", ana) })
	var kept int
	if err := h.db.Get(&kept, `SELECT count(*) FROM messages WHERE customer_id = $1 AND seller_id = $2`, u.ID, admin1); err != nil || kept != 1 {
		t.Errorf("%d answers kept, want 1 (%v)", kept, err)
	}
	var failed int
	if err := h.db.Get(&failed, `SELECT count(*) FROM outbox WHERE chat_id = $1 AND kind = 'answer' AND status = 'failed'`, u.ID); err != nil || failed != 1 {
		t.Errorf("%d answers to the customer given up, want 1 (%v)", failed, err)
	}

	// Known now to have blocked the bot: the other seller is warned before answering.
	s2.Press(t, questions[s2], h.text("en", "ask.answer_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "ask.blocked_warning", ana)+"\n"+h.text("en", "ask.answer_prompt", ana)
	})
	var told []int64
	if err := h.db.Select(&told, `SELECT chat_id FROM outbox WHERE kind = $1`, outbox.KindBounce); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(told, []int64{admin1}) {
		t.Errorf("told the answer did not arrive: %v, want only the seller who wrote it, once", told)
	}
	noErrors(t, h, 403)
}

// A customer who writes to the shop in the middle of a checkout goes on with it after:
// with the Confirm of the summary shown before, with the main menu's Continue checkout,
// which asks again the question the checkout stood at, or, at the phone, with the Share
// my phone key.
func TestACheckoutPausedToAskTheShopGoesOn(t *testing.T) {
	t.Parallel()
	h, s1, _, dress, _ := sellersShop(t, map[string]int{"M": 5})
	u := h.user(7321, "Ana", "en")
	ask := func(words string) telegramtest.Message {
		t.Helper()
		from := lastID(u)
		u.SendText("/ask")
		u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "ask.prompt") })
		u.SendText(words)
		sent := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "ask.sent") })
		if !slices.Contains(buttonTexts(sent), h.text("en", "checkout.resume_button")) {
			t.Errorf("the menu after the message offers no way back to the checkout: %v", buttonTexts(sent))
		}
		want := h.text("vi", "notice.question", locale.Args{"Customer": "Ana"}) + "\n" + words
		s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
		return sent
	}
	orderCount := func() (n int) {
		t.Helper()
		if err := h.db.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// At the summary: the summary's Confirm still places the order.
	_, summary := pickupSummary(t, h, u, book(t, h, u, dress, "M", 1))
	sent := ask("Can I pay cash at pickup?")
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > sent.ID && strings.HasPrefix(m.Text, "✅") })
	if n := orderCount(); n != 1 {
		t.Fatalf("%d orders after confirming the summary shown before the message, want 1", n)
	}

	// At the name of a shipping checkout: Continue checkout asks for the name again.
	delivery := deliveryQuestion(t, h, u, book(t, h, u, dress, "M", 1))
	u.Press(t, delivery, h.text("en", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && m.Text == h.text("en", "checkout.name_prompt")
	})
	sent = ask("Do you ship to Huế?")
	u.Press(t, sent, h.text("en", "checkout.resume_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > sent.ID && m.Text == h.text("en", "checkout.name_prompt")
	})
	u.SendText("Nguyễn Thị Ana")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > sent.ID && m.Text == h.text("en", "checkout.phone_prompt")
	})
	// At the phone: the Share my phone key, still on screen after a message, takes the
	// checkout up again with the number, even with /ask tapped again for another.
	sent = ask("Can I pay on delivery?")
	replyTo(t, u, func() { u.SendText("/ask") })
	u.SendContact("+84912345678")
	if s := summaryFromAddress(t, h, u, sent, "12 Lê Lợi, Huế"); !strings.Contains(s.Text, "12 Lê Lợi, Huế") ||
		!strings.Contains(strings.ReplaceAll(s.Text, " ", ""), "912345678") {
		t.Errorf("the summary after the number shared: %q", s.Text)
	}
	// Taken up again, it is no longer offered.
	u.SendText("/start")
	menu := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > sent.ID && len(m.Buttons()) > 0 })
	if slices.Contains(buttonTexts(menu), h.text("en", "checkout.resume_button")) {
		t.Errorf("the menu offers a checkout taken up already")
	}
	noErrors(t, h)
}

// A summary shown again as it was keeps its Confirm: Continue checkout tapped twice at the
// summary shows it twice more, and the summary shown before the message to the shop places
// the order, once. Shown again after a price changed, the summary is new, and the one before
// is stale.
func TestASummaryShownAgainConfirmsAsItWas(t *testing.T) {
	t.Parallel()
	h, _, _, dress, _ := sellersShop(t, map[string]int{"M": 5})
	resume := h.text("en", "checkout.resume_button")
	atSummaryAsk := func(u *telegramtest.User) (summary, sent telegramtest.Message) {
		t.Helper()
		_, summary = pickupSummary(t, h, u, book(t, h, u, dress, "M", 1))
		replyTo(t, u, func() { u.SendText("/ask") })
		sent = replyTo(t, u, func() { u.SendText("Can I pay cash at pickup?") })
		if !slices.Contains(buttonTexts(sent), resume) {
			t.Fatalf("the menu after the message offers no way back to the checkout: %q %v", sent.Text, buttonTexts(sent))
		}
		return summary, sent
	}
	summaries := func(u *telegramtest.User, after, n int) []telegramtest.Message {
		t.Helper()
		var got []telegramtest.Message
		for deadline := time.Now().Add(5 * time.Second); len(got) < n; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d summaries shown again, want %d", len(got), n)
			}
			got = got[:0]
			for _, m := range u.Messages() {
				if m.ID > after && strings.HasPrefix(m.Text, "📋") {
					got = append(got, m)
				}
			}
		}
		return got
	}
	orderOf := func(u *telegramtest.User) []orders.Order {
		t.Helper()
		var os []orders.Order
		if err := h.db.Select(&os, `SELECT id, code, total FROM orders WHERE customer_id = $1`, u.ID); err != nil {
			t.Fatal(err)
		}
		return os
	}

	u := h.user(7331, "Ana", "en")
	summary, sent := atSummaryAsk(u)
	u.Press(t, sent, resume)
	u.Press(t, sent, resume) // a double tap
	again := summaries(u, sent.ID, 2)
	for _, m := range again {
		if m.Text != summary.Text {
			t.Errorf("summary shown again as %q, was %q", m.Text, summary.Text)
		}
	}
	u.Press(t, summary, h.text("en", "checkout.confirm_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > again[1].ID && strings.HasPrefix(m.Text, "✅") })
	placed := orderOf(u)
	if len(placed) != 1 {
		t.Fatalf("%d orders, want 1", len(placed))
	}
	want := h.text("en", "checkout.already_placed", locale.Args{"Code": placed[0].Code})
	if got := pressAnswered(t, u, again[1], h.text("en", "checkout.confirm_button")); got != want {
		t.Errorf("Confirm of a summary shown again after the order was placed answered %q, want %q", got, want)
	}
	if n := len(orderOf(u)); n != 1 {
		t.Errorf("%d orders after the second Confirm, want 1", n)
	}

	// The price changes while the customer writes to the shop: the summary shown again says
	// so, and only it confirms.
	v := h.user(7332, "Bình", "en")
	summary, sent = atSummaryAsk(v)
	if err := h.catalog().UpdatePrice(context.Background(), dress.ID, 170000); err != nil {
		t.Fatal(err)
	}
	v.Press(t, sent, resume)
	fresh := summaries(v, sent.ID, 1)[0]
	if fresh.Text == summary.Text || !strings.Contains(fresh.Text, "170") {
		t.Fatalf("summary shown again after the price changed: %q", fresh.Text)
	}
	if got := pressAnswered(t, v, summary, h.text("en", "checkout.confirm_button")); got != h.text("en", "callback.stale") {
		t.Errorf("Confirm of the summary at the old price answered %q, want stale", got)
	}
	v.Press(t, fresh, h.text("en", "checkout.confirm_button"))
	v.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > fresh.ID && strings.HasPrefix(m.Text, "✅") })
	if got := orderOf(v); len(got) != 1 || got[0].Total != 170000 {
		t.Errorf("orders %+v, want one at the new price", got)
	}
	noErrors(t, h)
}

// A paused checkout ends as a checkout does: /cancel of the message to the shop keeps it,
// a second /cancel ends it; booking something else ends it; a button of a step it is no
// longer at is stale and takes nothing up, so the words that follow still go to the shop.
func TestAPausedCheckoutEndsAsACheckoutDoes(t *testing.T) {
	t.Parallel()
	h, s1, _, dress, _ := sellersShop(t, map[string]int{"M": 9})
	resume := h.text("en", "checkout.resume_button")
	// Each way out is a customer of its own: the bot lets a person send 30 updates in 10 s.
	var u *telegramtest.User
	pausedSummary := func(id int64) telegramtest.Message {
		t.Helper()
		u = h.user(id, "Ana", "en")
		_, summary := pickupSummary(t, h, u, book(t, h, u, dress, "M", 1))
		replyTo(t, u, func() { u.SendText("/ask") })
		return summary
	}
	noOrders := func() {
		t.Helper()
		var n int
		if err := h.db.Get(&n, `SELECT count(*) FROM orders WHERE customer_id = $1`, u.ID); err != nil || n != 0 {
			t.Errorf("customer %d has %d orders, want none (%v)", u.ID, n, err)
		}
	}

	// /cancel twice.
	summary := pausedSummary(7331)
	if m := replyTo(t, u, func() { u.SendText("/cancel") }); m.Text != h.text("en", "cancel.done") || !slices.Contains(buttonTexts(m), resume) {
		t.Errorf("/cancel of the message: %q %v, want the checkout still offered", m.Text, buttonTexts(m))
	}
	if m := replyTo(t, u, func() { u.SendText("/cancel") }); m.Text != h.text("en", "cancel.done") || slices.Contains(buttonTexts(m), resume) {
		t.Errorf("/cancel after it: %q %v, want the checkout ended", m.Text, buttonTexts(m))
	}
	wantStale(t, h, u, summary, h.text("en", "checkout.confirm_button"))
	noOrders()

	// Booking more.
	summary = pausedSummary(7332)
	book(t, h, u, dress, "M", 1)
	wantStale(t, h, u, summary, h.text("en", "checkout.confirm_button"))
	noOrders()

	// An old button.
	u = h.user(7333, "Ana", "en")
	_, summary = pickupSummary(t, h, u, book(t, h, u, dress, "M", 1))
	note := lastBefore(t, u, summary.ID, func(m telegramtest.Message) bool { return m.Text == h.text("en", "checkout.note_prompt") })
	u.Press(t, summary, h.text("en", "checkout.edit_button"))
	delivery := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > summary.ID && m.Text == h.text("en", "checkout.delivery_prompt")
	})
	u.Press(t, delivery, h.text("en", "checkout.shipping_button"))
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > delivery.ID && m.Text == h.text("en", "checkout.name_prompt")
	})
	replyTo(t, u, func() { u.SendText("/ask") })
	wantStale(t, h, u, note, h.text("en", "checkout.no_note_button"))
	wantStale(t, h, u, summary, h.text("en", "checkout.edit_button"))
	if m := replyTo(t, u, func() { u.SendText("Do you ship to Huế?") }); m.Text != h.text("en", "ask.sent") {
		t.Errorf("the words after an old button: %q, want them sent to the shop", m.Text)
	}
	want := h.text("vi", "notice.question", locale.Args{"Customer": "Ana"}) + "\nDo you ship to Huế?"
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
	noOrders()
	noErrors(t, h)
}

// lastBefore is the newest message before id in the person's chat that meets pred.
func lastBefore(t *testing.T, u *telegramtest.User, id int, pred func(telegramtest.Message) bool) telegramtest.Message {
	t.Helper()
	msgs := u.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].ID < id && pred(msgs[i]) {
			return msgs[i]
		}
	}
	t.Fatalf("no message before #%d meets the condition", id)
	return telegramtest.Message{}
}
