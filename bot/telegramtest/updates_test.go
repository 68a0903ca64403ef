package telegramtest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

func TestGetUpdatesOffsetAndRedelivery(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	first := u.SendText("one").UpdateID
	u.SendText("two")
	u.SendText("three")

	ups := getUpdates(t, s, map[string]any{})
	if got := updateIDs(ups); !reflect.DeepEqual(got, []int{first, first + 1, first + 2}) {
		t.Fatalf("first call = %v", got)
	}
	// Unconfirmed updates come again.
	if got := updateIDs(getUpdates(t, s, map[string]any{"offset": 0})); len(got) != 3 {
		t.Fatalf("second call = %v", got)
	}
	// offset confirms every update below it; limit caps the answer.
	if got := updateIDs(getUpdates(t, s, map[string]any{"offset": first + 1, "limit": 1})); !reflect.DeepEqual(got, []int{first + 1}) {
		t.Fatalf("offset+limit = %v", got)
	}
	// telebot's way: numbers as strings.
	if got := updateIDs(getUpdates(t, s, map[string]any{"offset": fmt.Sprint(first + 1)})); len(got) != 2 {
		t.Fatalf("offset as a string = %v", got)
	}
	if s.PendingUpdates() != 2 {
		t.Fatalf("pending = %d", s.PendingUpdates())
	}
	if got := getUpdates(t, s, map[string]any{"offset": first + 3}); len(got) != 0 {
		t.Fatalf("after confirming all = %v", updateIDs(got))
	}
	if s.PendingUpdates() != 0 {
		t.Fatalf("pending = %d", s.PendingUpdates())
	}
	// Negative offset keeps only the last N.
	for i := 0; i < 3; i++ {
		u.SendText("x")
	}
	if got := updateIDs(getUpdates(t, s, map[string]any{"offset": -1})); len(got) != 1 || got[0] != first+5 {
		t.Fatalf("offset -1 = %v", got)
	}

	var m struct {
		Text     string `json:"text"`
		Entities []struct {
			Type string `json:"type"`
		} `json:"entities"`
		Chat struct {
			ID   int64  `json:"id"`
			Type string `json:"type"`
		} `json:"chat"`
		From struct {
			ID           int64  `json:"id"`
			LanguageCode string `json:"language_code"`
		} `json:"from"`
	}
	if err := json.Unmarshal(ups[0].Message, &m); err != nil {
		t.Fatal(err)
	}
	if m.Text != "one" || m.Chat.ID != u.ID || m.Chat.Type != "private" || m.From.ID != u.ID || m.From.LanguageCode != "en" {
		t.Fatalf("update message = %+v", m)
	}
}

func TestLongPolling(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")

	start := time.Now()
	if got := getUpdates(t, s, map[string]any{"timeout": 1}); len(got) != 0 {
		t.Fatalf("idle poll = %v", got)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("an idle long poll returned after %s, want about 1 s", d)
	}

	done := make(chan answer, 1)
	go func() {
		a, _ := tryCall(s, "getUpdates", map[string]any{"timeout": 30})
		done <- a
	}()
	time.Sleep(100 * time.Millisecond)
	start = time.Now()
	u.SendText("wake up")
	select {
	case a := <-done:
		var got []rawUpdate
		if err := json.Unmarshal(a.Result, &got); err != nil || len(got) != 1 {
			t.Fatalf("woke with %+v", a)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("woke after %s", d)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not wake up on a new update")
	}
}

func TestConcurrentGetUpdatesConflict(t *testing.T) {
	s := NewServer(t)
	older := make(chan answer, 1)
	go func() {
		a, _ := tryCall(s, "getUpdates", map[string]any{"timeout": 30})
		older <- a
	}()
	time.Sleep(100 * time.Millisecond)
	newer := make(chan answer, 1)
	go func() {
		a, _ := tryCall(s, "getUpdates", map[string]any{"timeout": 1})
		newer <- a
	}()
	select {
	case a := <-older:
		wantError(t, a, 409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
	case <-time.After(5 * time.Second):
		t.Fatal("the older poll was not terminated")
	}
	if a := <-newer; !a.OK {
		t.Fatalf("the newer poll got %+v", a)
	}
}

func TestAllowedUpdates(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	if _, err := b.Send(u, "pick", &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "A", Data: "a"}}}}); err != nil {
		t.Fatal(err)
	}
	u.SendText("ignored")
	u.Press(t, u.Next(t), "A")
	ups := getUpdates(t, s, map[string]any{"allowed_updates": `["callback_query"]`})
	if len(ups) != 1 || ups[0].CallbackQuery == nil {
		t.Fatalf("updates = %+v", ups)
	}
	// Absent keeps the choice; an empty list brings back the default.
	u.SendText("still ignored")
	if got := getUpdates(t, s, map[string]any{"offset": ups[0].UpdateID + 1}); len(got) != 0 {
		t.Fatalf("updates = %v", updateIDs(got))
	}
	u.SendText("seen")
	if got := getUpdates(t, s, map[string]any{"allowed_updates": []string{}}); len(got) != 1 || got[0].Message == nil {
		t.Fatalf("updates = %v", updateIDs(got))
	}
}

// Everything a person can do must reach a telebot bot in the shape it decodes.
func TestPeopleActionsReachTelebot(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "vi")
	group := s.Group(-1009876543210, "Buyers")
	ch := s.Channel(-1001234567890, "News", "news")
	b := newBot(t, s)

	got := make(chan tele.Update, 32)
	b.Poller = tele.NewMiddlewarePoller(&tele.LongPoller{Timeout: time.Second}, func(u *tele.Update) bool {
		got <- *u
		return false
	})
	startBot(t, b)

	next := func() tele.Update {
		t.Helper()
		select {
		case upd := <-got:
			return upd
		case <-time.After(5 * time.Second):
			t.Fatal("no update reached the bot")
		}
		return tele.Update{}
	}

	sent := u.SendText("/start ref_42")
	upd := next()
	if upd.ID != sent.UpdateID || upd.Message.Text != "/start ref_42" || upd.Message.Sender.ID != u.ID || upd.Message.Sender.LanguageCode != "vi" {
		t.Fatalf("text update = %+v", upd.Message)
	}
	if len(upd.Message.Entities) != 1 || upd.Message.Entities[0].Type != tele.EntityCommand || upd.Message.Entities[0].Length != 6 {
		t.Fatalf("entities = %+v", upd.Message.Entities)
	}

	u.SendContact("+84901234567")
	if c := next().Message.Contact; c == nil || c.PhoneNumber != "+84901234567" || c.UserID != u.ID {
		t.Fatalf("contact = %+v", c)
	}
	u.SendLocation(10.77, 106.7)
	if l := next().Message.Location; l == nil || l.Lat < 10.7 || l.Lng < 106.6 {
		t.Fatalf("location = %+v", l)
	}
	u.SendSticker()
	if st := next().Message.Sticker; st == nil || st.FileID == "" {
		t.Fatalf("sticker = %+v", st)
	}
	u.SendVoice()
	if v := next().Message.Voice; v == nil || v.FileID == "" {
		t.Fatalf("voice = %+v", v)
	}
	u.SendDocument("receipt.pdf", "application/pdf", []byte("%PDF-1.4"), "my receipt")
	if m := next().Message; m.Document == nil || m.Document.FileName != "receipt.pdf" || m.Document.MIME != "application/pdf" || m.Caption != "my receipt" {
		t.Fatalf("document = %+v", m)
	}
	album := u.SendAlbum([][]byte{pngImage(t, 10, 10), pngImage(t, 12, 12)}, "both")
	a1, a2 := next().Message, next().Message
	if a1.AlbumID == "" || a1.AlbumID != a2.AlbumID || a1.Caption != "both" || a2.Caption != "" || a2.Photo == nil || a2.Photo.Width != 12 || a2.ID != album[1].MessageID {
		t.Fatalf("album = %+v / %+v", a1, a2)
	}
	edit := u.EditText(sent.MessageID, "/start ref_43")
	if e := next(); e.ID != edit.UpdateID || e.EditedMessage == nil || e.EditedMessage.Text != "/start ref_43" || e.EditedMessage.LastEdit == 0 {
		t.Fatalf("edited = %+v", e)
	}
	group.SendText(u, "hello group")
	if m := next().Message; m.Chat.ID != group.ID || m.Chat.Type != tele.ChatSuperGroup || m.Sender.ID != u.ID {
		t.Fatalf("group message = %+v", m)
	}
	ch.Post("channel news")
	if p := next().ChannelPost; p == nil || p.Chat.ID != ch.ID || p.SenderChat == nil || p.Text != "channel news" {
		t.Fatalf("channel post = %+v", p)
	}
}

func TestButtonPressEndToEnd(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)

	menu := &tele.ReplyMarkup{}
	buy := menu.Data("Buy", "buy", "sku-7")
	site := menu.URL("Site", "https://shop.example.com")
	b.Handle("/start", func(c tele.Context) error {
		menu.Inline(menu.Row(buy, site))
		return c.Send("Red dress, 10 USD", menu)
	})
	b.Handle(&buy, func(c tele.Context) error {
		if err := c.Respond(&tele.CallbackResponse{Text: "Added " + c.Data(), ShowAlert: true}); err != nil {
			return err
		}
		return c.Edit("In your cart: " + c.Data())
	})
	startBot(t, b)

	u.SendText("/start")
	m := u.Next(t)
	if m.Text != "Red dress, 10 USD" || len(m.Buttons()) != 2 || m.Buttons()[0].Data != "\fbuy|sku-7" || m.Buttons()[1].URL != "https://shop.example.com" {
		t.Fatalf("menu = %+v", m)
	}
	press := u.Press(t, m, "Buy")
	edited := u.WaitFor(t, func(x Message) bool { return x.ID == m.ID && x.Edits == 1 })
	if edited.Text != "In your cart: sku-7" {
		t.Fatalf("edited = %+v", edited)
	}
	answers := u.CallbackAnswers()
	if len(answers) != 1 || answers[0] != (CallbackAnswer{QueryID: press.CallbackID, Text: "Added sku-7", ShowAlert: true}) {
		t.Fatalf("answers = %+v", answers)
	}
	// A second answer to the same query is refused, as is an unknown query.
	for _, id := range []string{press.CallbackID, "12345"} {
		err := b.Respond(&tele.Callback{ID: id})
		if err == nil || !strings.Contains(err.Error(), "query is too old") {
			t.Fatalf("answer to %s: %v", id, err)
		}
	}
	u.NoMessage(t, 100*time.Millisecond)

	// A forged press reaches the bot as is; the handler for it decides.
	forged := u.PressData(m.ID, "\fbuy|sku-999")
	u.WaitFor(t, func(x Message) bool { return x.Text == "In your cart: sku-999" })
	if forged.MessageID != m.ID {
		t.Fatalf("forged = %+v", forged)
	}
}

func TestPressFailsOnLinkOrMissingButton(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	if _, err := b.Send(u, "links", &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "Site", URL: "https://shop.example.com"}}}}); err != nil {
		t.Fatal(err)
	}
	m := u.Next(t)
	for _, label := range []string{"Site", "Nope"} {
		ft := &fakeT{TB: t}
		func() {
			defer func() { _ = recover() }()
			u.Press(ft, m, label)
		}()
		if !ft.failed {
			t.Fatalf("Press(%q) did not fail the test", label)
		}
	}
}

// fakeT records Fatalf instead of ending the real test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}

func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}

func TestAnswerCallbackTooLongAndExpired(t *testing.T) {
	s := NewServer(t, WithCallbackTimeout(50*time.Millisecond))
	u := s.User(1001, "Ann", "ann", "en")
	q1 := u.PressData(1, "x")
	a := call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": q1.CallbackID, "text": strings.Repeat("a", 201)})
	wantError(t, a, 400, "Bad Request: MESSAGE_TOO_LONG")
	time.Sleep(80 * time.Millisecond)
	a = call(t, s, "answerCallbackQuery", map[string]any{"callback_query_id": q1.CallbackID, "text": "late"})
	wantError(t, a, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
	if len(u.CallbackAnswers()) != 0 {
		t.Fatal("refused answers were recorded")
	}
}

func TestNextTimesOutWithDump(t *testing.T) {
	s := NewServer(t, WithWaitTimeout(50*time.Millisecond))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	if _, err := b.Send(u, "only one"); err != nil {
		t.Fatal(err)
	}
	u.Next(t)
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		u.Next(ft)
	}()
	if !ft.failed {
		t.Fatal("Next did not fail on timeout")
	}
}
