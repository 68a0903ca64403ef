package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

// receiptPicturesAt lists the pictures of an order's receipt a seller got, once there are
// want of them (or after 5 s).
func receiptPicturesAt(seller *telegramtest.User, code string, want int) []telegramtest.Message {
	var got []telegramtest.Message
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = nil
		for _, m := range seller.Messages() {
			if (m.Photo != nil || m.Document != nil) && strings.Contains(m.Caption, code) {
				got = append(got, m)
			}
		}
		if len(got) >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pickOrder presses the button of a "which order?" question that names the order.
func pickOrder(t *testing.T, u *telegramtest.User, which telegramtest.Message, code string) {
	t.Helper()
	for _, b := range buttonTexts(which) {
		if strings.HasPrefix(b, code) {
			u.Press(t, which, b)
			return
		}
	}
	t.Fatalf("no button for %s in %v", code, buttonTexts(which))
}

func receiptCount(t *testing.T, h *harness, orderID int64) int {
	t.Helper()
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM receipts WHERE order_id = $1`, orderID); err != nil {
		t.Fatal(err)
	}
	return n
}

// twoToPay is a shop whose customer id has two orders awaiting payment, and its second
// seller.
func twoToPay(t *testing.T, id int64) (h *harness, s2, u *telegramtest.User, o1, o2 orders.Order) {
	t.Helper()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5, "M": 5})
	u = h.user(id, "Thu", "en")
	o1 = placePickup(t, h, u, dress, "S", 1)
	o2 = placePickup(t, h, u, dress, "M", 1)
	return h, s2, u, o1, o2
}

// whichQuestion sends an album of pictures from a customer with two orders to pay, and
// returns the one question it is answered with.
func whichQuestion(t *testing.T, h *harness, u *telegramtest.User, items []telegramtest.AlbumItem) telegramtest.Message {
	t.Helper()
	from := lastID(u)
	u.SendAlbumItems("", items)
	which := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "receipt.which") })
	time.Sleep(300 * time.Millisecond) // the other pictures are taken by now
	return which
}

// Words written on a later picture of an album waiting at a question reach the sellers
// with it, and a file there too big to keep is said so.
func TestAnAlbumAtAQuestionKeepsEachPicturesWords(t *testing.T) {
	t.Parallel()
	h, s2, u, _, o2 := twoToPay(t, 9501)
	big := append([]byte("%PDF-1.4\n"), make([]byte, 21<<20)...)
	which := whichQuestion(t, h, u, []telegramtest.AlbumItem{{Photo: photo(t, 41)},
		{Photo: photo(t, 42), Caption: "paid from my husband's account"}, {Document: big, FileName: "b.pdf", MIME: "application/pdf"}})
	if got := u.Messages()[len(u.Messages())-1]; got.Text != h.text("en", "receipt.too_big") {
		t.Errorf("the album's 21 MB file answered %q, want %q", got.Text, h.text("en", "receipt.too_big"))
	}
	pickOrder(t, u, which, o2.Code)
	got := receiptPicturesAt(s2, o2.Code, 2)
	if len(got) != 2 {
		t.Fatalf("the seller got %d pictures, want 2", len(got))
	}
	if !strings.Contains(got[1].Caption, "husband") {
		t.Errorf("the words on the album's second picture: %q", got[1].Caption)
	}
	noErrors(t, h)
}

// The sellers rejected an album; the customer sends it again: the sellers get all of it
// again, not only its first picture.
func TestAnAlbumSentAgainAfterARejectionReachesTheSellersWhole(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 5})
	u := h.user(9502, "Thu", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	pics := [][]byte{photo(t, 43), photo(t, 44)}
	u.SendAlbum(pics, "")
	first := receiptPicturesAt(s2, o.Code, 2)
	if len(first) != 2 {
		t.Fatalf("the seller got %d pictures of the first album, want 2", len(first))
	}
	s2.Press(t, first[0], h.text("en", "desk.reject_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is the receipt") })
	s2.SendText("Cannot find it")
	u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "↩️") })

	u.SendAlbum(pics, "it is paid, look again")
	if again := receiptPicturesAt(s2, o.Code, 4); len(again) != 4 {
		t.Errorf("the album sent again reached the seller as %d picture(s), want 2", len(again)-2)
	}
	if n := receiptCount(t, h, o.ID); n != 4 {
		t.Errorf("%d receipts stored, want 4", n)
	}
	noErrors(t, h)
}

// heldAlbum places an order in a webhook shop and sends a 3-picture album with the bot's
// answer to its first picture held; it returns once the seller has the receipt's notice.
func heldAlbum(t *testing.T, id int64) (*harness, *telegramtest.User, *telegramtest.User, orders.Order, telegramtest.Message, func()) {
	t.Helper()
	h := shopHarness(t)
	h.webhooks()
	h.start()
	_, s2 := sellers(t, h)
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	u := h.user(id, "Thu", "en")
	o := placePickup(t, h, u, dress, "S", 1)
	time.Sleep(300 * time.Millisecond) // the summary's session saved
	held, release := h.fake.HoldNext("sendMessage", u.ID)
	u.SendAlbum([][]byte{photo(t, 45), photo(t, 46), photo(t, 47)}, "")
	waitHeld(t, held, "the answer to the album's first picture")
	notice := s2.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil && strings.Contains(m.Caption, o.Code) })
	return h, u, s2, o, notice, release
}

// A seller confirms the payment from an album's first picture before its other pictures
// are taken: the customer is not told, picture by picture, the order awaits no payment.
func TestAnAlbumsLaterPicturesAfterThePaymentIsConfirmed(t *testing.T) {
	t.Parallel()
	h, u, s2, o, notice, release := heldAlbum(t, 9503)
	s2.Press(t, notice, h.text("en", "desk.paid_button"))
	for deadline := time.Now().Add(5 * time.Second); statusOf(t, h, o.ID) != orders.Paid; {
		if time.Now().After(deadline) {
			t.Fatal("the payment was not confirmed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	release()
	time.Sleep(time.Second)
	if n := countStarting(u.Messages(), h.text("en", "receipt.not_awaiting", locale.Args{"Code": o.Code})); n != 0 {
		t.Errorf("told %d times that the order awaits no payment", n)
	}
	noErrors(t, h)
}

// A seller rejects an album's first picture before its other pictures are taken: the next
// one starts a new submission, with the order's buttons for the sellers and an answer for
// the customer.
func TestAnAlbumsLaterPicturesAfterARejection(t *testing.T) {
	t.Parallel()
	h, u, s2, o, notice, release := heldAlbum(t, 9504)
	s2.Press(t, notice, h.text("en", "desk.reject_button"))
	s2.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Why is the receipt") })
	s2.SendText("Wrong amount")
	rejected := u.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "↩️") })
	rejectedAt := lastID(s2)
	release()
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > rejected.ID && m.Text == h.text("en", "receipt.received", locale.Args{"Code": o.Code})
	})
	if s := statusOf(t, h, o.ID); s != orders.ReceiptSubmitted {
		t.Errorf("the order is %s, want %s", s, orders.ReceiptSubmitted)
	}
	got := receiptPicturesAt(s2, o.Code, 3)
	var after []telegramtest.Message
	for _, m := range got {
		if m.ID > rejectedAt {
			after = append(after, m)
		}
	}
	if len(after) != 2 || len(after[0].Buttons()) == 0 || len(after[1].Buttons()) != 0 {
		t.Errorf("after the rejection the seller got %d pictures; want the receipt's notice with buttons, then another picture", len(after))
	}
	noErrors(t, h)
}

// The download of an album's second picture fails once the customer picked the order:
// the album stays that order's, and a press on another order of the question attaches the
// rest to it, not to the other order.
func TestAnAlbumPartlyAttachedStaysWithItsOrder(t *testing.T) {
	t.Parallel()
	h, _, u, o1, o2 := twoToPay(t, 9508)
	which := whichQuestion(t, h, u, []telegramtest.AlbumItem{{Photo: photo(t, 56)}, {Photo: photo(t, 57)}, {Photo: photo(t, 58)}})
	h.fake.FailAfter("getFile", 1, 1, 500) // the first picture's download works, the second's fails
	pickOrder(t, u, which, o1.Code)
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > which.ID && m.Text == h.text("en", "error.internal") })
	reply := replyTo(t, u, func() { pickOrder(t, u, which, o2.Code) })
	if reply.Text != h.text("en", "receipt.received", locale.Args{"Code": o1.Code}) {
		t.Errorf("the second press answered %q", reply.Text)
	}
	if n1, n2, s2 := receiptCount(t, h, o1.ID), receiptCount(t, h, o2.ID), statusOf(t, h, o2.ID); n1 != 3 || n2 != 0 || s2 != orders.AwaitingPayment {
		t.Errorf("%d pictures with the order picked first and %d with the other (%s); want 3 and 0 (awaiting payment)", n1, n2, s2)
	}
	noErrors(t, h, 500)
}

// Pictures of an album that come after its question was answered go with the order
// picked, as more of it, with no answer; a video among them is said to be no receipt.
func TestAnAlbumsPicturesAfterItsQuestionWasAnswered(t *testing.T) {
	t.Parallel()
	h, s2, u, _, o2 := twoToPay(t, 9507)
	from := lastID(u)
	group, _ := u.SendAlbumItems("", []telegramtest.AlbumItem{{Photo: photo(t, 54)}, {Video: true}})
	which := u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("en", "receipt.which") })
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > which.ID && m.Text == h.text("en", "receipt.wrong_kind")
	})
	pickOrder(t, u, which, o2.Code)
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > which.ID && strings.HasPrefix(m.Text, "🧾") })
	before := lastID(u)
	u.SendAlbumItems(group, []telegramtest.AlbumItem{{Photo: photo(t, 55)}, {Video: true}})
	got := receiptPicturesAt(s2, o2.Code, 2)
	if len(got) != 2 || len(got[1].Buttons()) != 0 || got[1].Caption != locale.Plain(h.text("en", "notice.receipt_more", locale.Args{"Code": o2.Code})) {
		t.Errorf("a later picture of the album came to the seller as %d pictures", len(got))
	}
	time.Sleep(300 * time.Millisecond)
	if lastID(u) != before {
		t.Errorf("a later picture of an album answered: %q", u.Messages()[len(u.Messages())-1].Text)
	}
	noErrors(t, h)
}

// The customer forwards pictures of an album taken as a receipt already (to pay another
// order with them, say): they are asked about, as any forwarded picture is, not added to
// the first order without a word.
func TestAnAlbumForwardedAfterItPaidAnOrderIsAskedAbout(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5, "M": 5})
	u := h.user(9512, "Thu", "en")
	o1 := placePickup(t, h, u, dress, "S", 1)
	sent := u.SendAlbum([][]byte{photo(t, 67), photo(t, 68)}, "")
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "receipt.received", locale.Args{"Code": o1.Code})
	})
	o2 := placePickup(t, h, u, dress, "M", 1)
	from := lastID(u)
	for _, s := range sent {
		m, _ := u.Chat().Message(s.MessageID)
		u.Forward(t, m)
	}
	which := u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > from && m.Text == h.text("en", "receipt.which_forwarded")
	})
	time.Sleep(300 * time.Millisecond) // the other picture is taken by now
	if lastID(u) != which.ID {
		t.Errorf("the forwarded album answered more than its question: %q", u.Messages()[len(u.Messages())-1].Text)
	}
	if n := receiptCount(t, h, o1.ID); n != 2 {
		t.Errorf("%d pictures with the first order, want its own 2", n)
	}
	pickOrder(t, u, which, o2.Code)
	u.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("en", "receipt.received", locale.Args{"Code": o2.Code})
	})
	for deadline := time.Now().Add(5 * time.Second); receiptCount(t, h, o2.ID) < 2 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := receiptCount(t, h, o2.ID); n != 2 {
		t.Errorf("%d pictures with the order picked, want the album's 2", n)
	}
	noErrors(t, h)
}
