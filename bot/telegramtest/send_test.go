package telegramtest

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	tele "gopkg.in/telebot.v3"
)

// username is a telebot Recipient given as "@name".
type username string

func (u username) Recipient() string { return string(u) }

func TestTextLength(t *testing.T) {
	cases := []struct {
		name string
		text string
		mode tele.ParseMode
		err  string // description; "" for success
	}{
		{"4096 ascii", strings.Repeat("a", 4096), "", ""},
		{"4097 ascii", strings.Repeat("a", 4097), "", "Bad Request: message is too long"},
		{"2048 emoji are 4096 UTF-16 units", strings.Repeat("😀", 2048), "", ""},
		{"2049 emoji are 4098 UTF-16 units", strings.Repeat("😀", 2049), "", "Bad Request: message is too long"},
		{"4096 cyrillic letters", strings.Repeat("я", 4096), "", ""},
		{"tags do not count", "<b>" + strings.Repeat("a", 4096) + "</b>", tele.ModeHTML, ""},
		{"entities count once", strings.Repeat("&amp;", 4097), tele.ModeHTML, "Bad Request: message is too long"},
		{"whitespace only", "  \n ", "", "Bad Request: message text is empty"},
		{"empty after parsing", "<b></b>", tele.ModeHTML, "Bad Request: message text is empty"},
	}
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Send(u, tc.text, tc.mode)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.err, "Bad Request: ")) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
	// telebot maps Telegram's text to its sentinel.
	if _, err := b.Send(u, strings.Repeat("a", 4097)); !errors.Is(err, tele.ErrTooLongMessage) {
		t.Fatalf("err = %v, want ErrTooLongMessage", err)
	}
}

func TestCaptionLength(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	img := pngImage(t, 40, 30)
	for _, tc := range []struct {
		caption string
		ok      bool
	}{
		{strings.Repeat("c", 1024), true},
		{strings.Repeat("c", 1025), false},
		{"", true},
	} {
		_, err := b.Send(u, &tele.Photo{File: tele.FromReader(bytes.NewReader(img)), Caption: tc.caption})
		if tc.ok != (err == nil) {
			t.Fatalf("caption of %d: err = %v", len(tc.caption), err)
		}
		if !tc.ok && !strings.Contains(err.Error(), "message caption is too long") {
			t.Fatalf("caption of %d: err = %v", len(tc.caption), err)
		}
	}
	msgs := u.Messages()
	if len(msgs) != 2 || msgs[0].Photo == nil || msgs[0].Body() != strings.Repeat("c", 1024) {
		t.Fatalf("messages = %v", msgs)
	}
	if msgs[0].Photo.Width != 40 || msgs[0].Photo.Height != 30 || !bytes.Equal(msgs[0].Photo.Data, img) {
		t.Fatalf("photo = %+v", msgs[0].Photo)
	}
}

func TestInlineKeyboardRules(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)

	row := func(n int) []tele.InlineButton {
		var r []tele.InlineButton
		for i := 0; i < n; i++ {
			r = append(r, tele.InlineButton{Text: "b", Data: "d"})
		}
		return r
	}
	rows := func(n, per int) [][]tele.InlineButton {
		var out [][]tele.InlineButton
		for i := 0; i < n; i++ {
			out = append(out, row(per))
		}
		return out
	}
	cases := []struct {
		name     string
		keyboard [][]tele.InlineButton
		err      error  // telebot sentinel, or
		contains string // part of the description
	}{
		{"64 bytes of data", [][]tele.InlineButton{{{Text: "ok", Data: strings.Repeat("x", 64)}}}, nil, ""},
		{"65 bytes of data", [][]tele.InlineButton{{{Text: "no", Data: strings.Repeat("x", 65)}}}, tele.ErrBadButtonData, ""},
		{"bytes not characters", [][]tele.InlineButton{{{Text: "no", Data: strings.Repeat("é", 33)}}}, tele.ErrBadButtonData, ""},
		{"https link", [][]tele.InlineButton{{{Text: "site", URL: "https://shop.example.com/p/1"}}}, nil, ""},
		{"tg link", [][]tele.InlineButton{{{Text: "me", URL: "tg://user?id=1"}}}, nil, ""},
		{"ftp link", [][]tele.InlineButton{{{Text: "f", URL: "ftp://example.com/x"}}}, nil, "Unsupported URL protocol"},
		{"localhost link", [][]tele.InlineButton{{{Text: "l", URL: "http://localhost:8080/pay"}}}, nil, "Wrong HTTP URL"},
		{"text-only button", [][]tele.InlineButton{{{Text: "nothing"}}}, nil, "Text buttons are unallowed in the inline keyboard"},
		{"empty text", [][]tele.InlineButton{{{Text: "", Data: "x"}}}, nil, "Text buttons are unallowed in the inline keyboard"},
		{"8 in a row", rows(1, 8), nil, ""},
		{"9 in a row", rows(1, 9), tele.ErrTooLongMarkup, ""},
		{"100 buttons", rows(20, 5), nil, ""},
		{"101 buttons", append(rows(20, 5), row(1)), tele.ErrTooLongMarkup, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Send(u, "pick", &tele.ReplyMarkup{InlineKeyboard: tc.keyboard})
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			case tc.contains != "":
				if err == nil || !strings.Contains(err.Error(), tc.contains) {
					t.Fatalf("err = %v, want %q", err, tc.contains)
				}
			default:
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
			}
		})
	}
}

func TestReplyKeyboard(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	mk := &tele.ReplyMarkup{ResizeKeyboard: true, OneTimeKeyboard: true}
	mk.Reply(mk.Row(mk.Contact("Share phone")), mk.Row(mk.Location("Send location"), mk.Text("Cancel")))
	if _, err := b.Send(u, "Your phone?", mk); err != nil {
		t.Fatal(err)
	}
	m := u.Next(t)
	want := [][]KeyButton{{{Text: "Share phone", RequestContact: true}}, {{Text: "Send location", RequestLocation: true}, {Text: "Cancel"}}}
	if len(m.ReplyKeyboard) != 2 || m.ReplyKeyboard[0][0] != want[0][0] || m.ReplyKeyboard[1][0] != want[1][0] || m.ReplyKeyboard[1][1] != want[1][1] || !m.ResizeKeyboard || !m.OneTime {
		t.Fatalf("reply keyboard = %+v", m)
	}
	if _, err := b.Send(u, "Thanks", tele.RemoveKeyboard); err != nil {
		t.Fatal(err)
	}
	if m := u.Next(t); !m.RemoveKeyboard {
		t.Fatalf("remove_keyboard not recorded: %+v", m)
	}
}

func TestAlbumSizes(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	img := pngImage(t, 20, 20)
	album := func(n int) tele.Album {
		var a tele.Album
		for i := 0; i < n; i++ {
			a = append(a, &tele.Photo{File: tele.FromReader(bytes.NewReader(img))})
		}
		a.SetCaption("Red dress")
		return a
	}
	cases := []struct {
		n        int
		markup   bool
		contains string
	}{
		{1, false, "Too few messages to send as an album"},
		{2, false, ""},
		{10, false, ""},
		{11, false, "Too much messages to send as an album"},
		{3, true, "an album cannot carry buttons"},
	}
	for _, tc := range cases {
		var opts []any
		if tc.markup {
			opts = append(opts, &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "Buy", Data: "buy"}}}})
		}
		msgs, err := b.SendAlbum(u, album(tc.n), opts...)
		if tc.contains != "" {
			if err == nil || !strings.Contains(err.Error(), tc.contains) {
				t.Fatalf("album of %d (markup %v): err = %v, want %q", tc.n, tc.markup, err, tc.contains)
			}
			continue
		}
		if err != nil {
			t.Fatalf("album of %d: %v", tc.n, err)
		}
		if len(msgs) != tc.n || msgs[0].AlbumID == "" || msgs[tc.n-1].AlbumID != msgs[0].AlbumID || msgs[0].Caption != "Red dress" {
			t.Fatalf("album of %d answered %+v", tc.n, msgs)
		}
	}
	stored := u.Messages()
	if len(stored) != 12 || stored[0].MediaGroupID != stored[1].MediaGroupID || stored[1].MediaGroupID == stored[2].MediaGroupID {
		t.Fatalf("stored %v", stored)
	}
	// A whole album costs one send of the chat's budget.
	s2 := NewServer(t)
	u2 := s2.User(1, "B", "", "en")
	b2 := newBot(t, s2)
	for i := 0; i < 3; i++ {
		if _, err := b2.SendAlbum(u2, album(10)); err != nil {
			t.Fatalf("album %d: %v", i, err)
		}
	}
	var flood tele.FloodError
	if _, err := b2.SendAlbum(u2, album(2)); !errors.As(err, &flood) {
		t.Fatalf("fourth album: %v, want FloodError", err)
	}
}

func TestAlbumOfDocumentsAndMixing(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	doc := func(name string) *tele.Document {
		return &tele.Document{File: tele.FromReader(strings.NewReader("%PDF-1.4 " + name)), FileName: name}
	}
	msgs, err := b.SendAlbum(u, tele.Album{doc("a.pdf"), doc("b.pdf")})
	if err != nil || msgs[1].Document == nil || msgs[1].Document.FileName != "b.pdf" {
		t.Fatalf("documents album: %+v, %v", msgs, err)
	}
	photo := &tele.Photo{File: tele.FromReader(bytes.NewReader(pngImage(t, 5, 5)))}
	if _, err := b.SendAlbum(u, tele.Album{doc("c.pdf"), photo}); !errors.Is(err, tele.ErrCantUseMediaInAlbum) {
		t.Fatalf("mixed album: %v", err)
	}
}

func TestHTML(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	cases := []struct {
		html     string
		plain    string
		contains string
	}{
		{`<b>Total:</b> 10 &lt; 20 &amp;&amp; &quot;ok&quot; &#128512; &#x1F600;`, `Total: 10 < 20 && "ok" 😀 😀`, ""},
		{`<a href="https://shop.example.com/?a=1&amp;b=2">shop</a> <i>x</i><u>u</u><s>s</s>`, "shop xus", ""},
		{`<span class="tg-spoiler">secret</span> <tg-spoiler>s</tg-spoiler> <code>c</code>`, "secret s c", ""},
		{"<pre><code class=\"language-go\">x := 1</code></pre><blockquote>q</blockquote>", "x := 1q", ""},
		{`<B>upper</B>`, "upper", ""},
		{`<b>unclosed`, "", `Can't find end tag corresponding to start tag "b"`},
		{`<b>x</i>`, "", `Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`},
		{`x</b>`, "", "Unexpected end tag at byte offset 1"},
		{`<br>`, "", `Unsupported start tag "br" at byte offset 0`},
		{`<div>x</div>`, "", `Unsupported start tag "div"`},
		{`1 < 2`, "", `Unsupported start tag "" at byte offset 2`},
		{`Fish & chips`, "", `unescaped "&" at byte offset 5`},
		{`&nbsp;`, "", `unescaped "&"`},
		{`<span>x</span>`, "", `Tag "span" must have class "tg-spoiler"`},
	}
	for _, tc := range cases {
		t.Run(tc.html, func(t *testing.T) {
			_, err := b.Send(u, tc.html, tele.ModeHTML)
			if tc.contains != "" {
				if err == nil || !strings.Contains(err.Error(), "can't parse entities: "+tc.contains) {
					t.Fatalf("err = %v, want %q", err, tc.contains)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if m := u.Next(t); m.Text != tc.plain || m.ParseMode != "HTML" {
				t.Fatalf("stored %q (mode %q), want %q", m.Text, m.ParseMode, tc.plain)
			}
		})
	}
	if _, err := b.Send(u, "<b>bold</b> and <a href=\"https://e.xample.com\">link</a>", tele.ModeHTML); err != nil {
		t.Fatal(err)
	}
	m := u.Next(t)
	want := []Entity{{Type: "bold", Offset: 0, Length: 4}, {Type: "text_link", Offset: 9, Length: 4, URL: "https://e.xample.com"}}
	if len(m.Entities) != 2 || m.Entities[0] != want[0] || m.Entities[1] != want[1] {
		t.Fatalf("entities = %+v, want %+v", m.Entities, want)
	}
	for _, mode := range []tele.ParseMode{tele.ModeMarkdown, tele.ModeMarkdownV2} {
		if _, err := b.Send(u, "*x*", mode); err == nil || !strings.Contains(err.Error(), "unsupported parse_mode in fake") {
			t.Fatalf("%s: %v", mode, err)
		}
	}
}

func TestUnknownChatAndBlockedUser(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	if _, err := b.Send(&tele.Chat{ID: 424242}, "hi"); !errors.Is(err, tele.ErrChatNotFound) {
		t.Fatalf("unknown chat: %v", err)
	}
	if _, err := b.Send(username("@nobody"), "hi"); !errors.Is(err, tele.ErrChatNotFound) {
		t.Fatalf("unknown chat: %v", err)
	}
	u.Block()
	if _, err := b.Send(u, "hi"); !errors.Is(err, tele.ErrBlockedByUser) {
		t.Fatalf("blocked: %v", err)
	}
	if err := b.Notify(u, tele.Typing); !errors.Is(err, tele.ErrBlockedByUser) {
		t.Fatalf("blocked chat action: %v", err)
	}
	u.Unblock()
	if _, err := b.Send(u, "hi again"); err != nil {
		t.Fatalf("after unblock: %v", err)
	}
	if len(u.Messages()) != 1 {
		t.Fatalf("messages = %v", u.Messages())
	}
	errs := s.Errors()
	if len(errs) != 4 || errs[2].Code != 403 || errs[2].ChatID != u.ID {
		t.Fatalf("Errors() = %+v", errs)
	}
}

// A channel the bot was removed from, or is in without administrator rights, refuses
// what the bot sends, edits and deletes there, as Telegram does, until it is an admin again.
func TestChannelWithoutTheBotAsAdmin(t *testing.T) {
	s := NewServer(t)
	ch := s.Channel(-1001234567890, "Shop", "shop")
	b := newBot(t, s)
	post, err := b.Send(ch, "post")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func()
		want   string
	}{
		{"removed", ch.RemoveBot, tele.ErrNotChannelMember.Error()},
		{"demoted", ch.DemoteBot, "telegram: Bad Request: need administrator rights in the channel chat (400)"},
	} {
		tc.change()
		refused := func(what string, err error) {
			t.Helper()
			if err == nil || err.Error() != tc.want {
				t.Errorf("%s, %s: %v, want %v", tc.name, what, err, tc.want)
			}
		}
		_, err := b.Send(ch, "another")
		refused("send", err)
		_, err = b.Edit(post, "edited")
		refused("edit", err)
		refused("delete", b.Delete(post))
	}
	ch.AddBot()
	if _, err := b.Edit(post, "edited"); err != nil {
		t.Fatalf("edit as an admin again: %v", err)
	}
	if n := len(ch.Messages()); n != 1 {
		t.Errorf("the channel holds %d messages, want the first one only", n)
	}
}

func TestEdits(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	kb := func() *tele.ReplyMarkup {
		return &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "Pay", Data: "pay"}}}}
	}
	msg, err := b.Send(u, "Cart: 1 item", kb())
	if err != nil {
		t.Fatal(err)
	}

	// Same text and same markup: Telegram's long "not modified" text, which
	// telebot v3.3.8 maps to ErrSameMessageContent.
	_, err = b.Edit(msg, "Cart: 1 item", kb())
	if !errors.Is(err, tele.ErrSameMessageContent) || !strings.Contains(err.Error(), "message is not modified") {
		t.Fatalf("identical edit: %v", err)
	}
	if _, err := b.Edit(msg, "Cart: 2 items", kb()); err != nil {
		t.Fatal(err)
	}
	// An edit without reply_markup takes the keyboard off, as on Telegram.
	if _, err := b.Edit(msg, "Paid"); err != nil {
		t.Fatal(err)
	}
	m := u.WaitFor(t, func(m Message) bool { return m.Edits == 2 })
	if m.Text != "Paid" || len(m.Buttons()) != 0 || len(m.Versions) != 2 || m.Versions[0].Text != "Cart: 1 item" || len(m.Versions[1].Buttons()) != 1 {
		t.Fatalf("after edits: %+v", m)
	}
	if _, err := b.EditReplyMarkup(msg, nil); !errors.Is(err, tele.ErrSameMessageContent) {
		t.Fatalf("removing an absent keyboard: %v", err)
	}
	if _, err := b.EditReplyMarkup(msg, kb()); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditCaption(msg, "caption"); err == nil || !strings.Contains(err.Error(), "there is no caption in the message to edit") {
		t.Fatalf("caption of a text message: %v", err)
	}

	photo, err := b.Send(u, &tele.Photo{File: tele.FromReader(bytes.NewReader(pngImage(t, 8, 8))), Caption: "old"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(photo, "text"); err == nil || !strings.Contains(err.Error(), "there is no text in the message to edit") {
		t.Fatalf("text of a photo: %v", err)
	}
	if _, err := b.EditCaption(photo, "new"); err != nil {
		t.Fatal(err)
	}

	if err := b.Delete(msg); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Edit(msg, "ghost"); err == nil || !strings.Contains(err.Error(), "message to edit not found") {
		t.Fatalf("edit of a deleted message: %v", err)
	}
	if err := b.Delete(msg); !errors.Is(err, tele.ErrNotFoundToDelete) {
		t.Fatalf("second delete: %v", err)
	}
	msgs := u.Messages()
	if len(msgs) != 2 || !msgs[0].Deleted || msgs[1].Caption != "new" || msgs[1].Edits != 1 {
		t.Fatalf("messages = %v", msgs)
	}

	sent := u.SendText("hello bot")
	if _, err := b.Edit(&tele.Message{ID: sent.MessageID, Chat: &tele.Chat{ID: u.ID}}, "x"); err == nil || !strings.Contains(err.Error(), "message can't be edited") {
		t.Fatalf("edit of the person's message: %v", err)
	}
}

func TestEditMedia(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	kb := &tele.ReplyMarkup{InlineKeyboard: [][]tele.InlineButton{{{Text: "Next", Data: "next"}}}}
	first, err := b.Send(u, &tele.Photo{File: tele.FromReader(bytes.NewReader(pngImage(t, 8, 8))), Caption: "<b>one</b>"}, kb, tele.ModeHTML)
	if err != nil {
		t.Fatal(err)
	}
	// An upload replaces the photo, the caption and the buttons.
	edited, err := b.EditMedia(first, &tele.Photo{File: tele.FromReader(bytes.NewReader(pngImage(t, 9, 9))), Caption: "<i>two</i>"}, kb, tele.ModeHTML)
	if err != nil {
		t.Fatal(err)
	}
	if edited.Photo == nil || edited.Photo.FileID == first.Photo.FileID || edited.Caption != "two" {
		t.Fatalf("edited: %+v", edited)
	}
	// The same photo by its id, caption and buttons: not modified.
	same := &tele.Photo{File: tele.File{FileID: edited.Photo.FileID}, Caption: "<i>two</i>"}
	if _, err := b.EditMedia(first, same, kb, tele.ModeHTML); !errors.Is(err, tele.ErrSameMessageContent) {
		t.Fatalf("identical media edit: %v", err)
	}
	// Back to the first photo by its id, without buttons: the keyboard goes.
	if _, err := b.EditMedia(first, &tele.Photo{File: tele.File{FileID: first.Photo.FileID}, Caption: "one again"}); err != nil {
		t.Fatal(err)
	}
	m := u.WaitFor(t, func(m Message) bool { return m.Edits == 2 })
	if m.Photo == nil || m.Photo.ID != first.Photo.FileID || m.Caption != "one again" || len(m.Buttons()) != 0 ||
		len(m.Versions) != 2 || m.Versions[1].Photo.ID != edited.Photo.FileID || m.Versions[0].Caption != "one" {
		t.Fatalf("after edits: %+v", m)
	}

	long := &tele.Photo{File: tele.File{FileID: first.Photo.FileID}, Caption: strings.Repeat("x", maxCaptionLen+1)}
	if _, err := b.EditMedia(first, long, tele.ModeHTML); err == nil || !strings.Contains(err.Error(), "caption is too long") {
		t.Fatalf("over-long caption: %v", err)
	}
	unknown := &tele.Photo{File: tele.File{FileID: "AgACAgIAAxkBAAIunknown"}}
	if _, err := b.EditMedia(first, unknown); err == nil || !strings.Contains(err.Error(), "wrong file identifier") {
		t.Fatalf("unknown file id: %v", err)
	}
	// A photo can become a file; media without a caption takes the caption off.
	doc := &tele.Document{File: tele.FromReader(bytes.NewReader([]byte("%PDF-1.4 receipt"))), FileName: "r.pdf", MIME: "application/pdf"}
	if _, err := b.EditMedia(first, doc); err != nil {
		t.Fatal(err)
	}
	m = u.WaitFor(t, func(m Message) bool { return m.Edits == 3 })
	if m.Photo != nil || m.Document == nil || m.Caption != "" {
		t.Fatalf("photo to file: %+v", m)
	}
	// A text message takes media: the text goes, the caption shows.
	text, err := b.Send(u, "just text")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMedia(text, &tele.Photo{File: tele.File{FileID: first.Photo.FileID}, Caption: "now a photo"}); err != nil {
		t.Fatalf("media on a text message: %v", err)
	}
	m = u.WaitFor(t, func(m Message) bool { return m.ID == text.ID && m.Edits == 1 })
	if m.Text != "" || m.Photo == nil || m.Caption != "now a photo" {
		t.Fatalf("text message with media: %+v", m)
	}

	// A message of a photo album stays a photo and carries no buttons.
	album := tele.Album{
		&tele.Photo{File: tele.File{FileID: first.Photo.FileID}, Caption: "album"},
		&tele.Photo{File: tele.File{FileID: edited.Photo.FileID}},
	}
	msgs, err := b.SendAlbum(u, album)
	if err != nil {
		t.Fatal(err)
	}
	pdf := &tele.Document{File: tele.FromReader(bytes.NewReader([]byte("%PDF-1.4 other"))), FileName: "o.pdf", MIME: "application/pdf"}
	if _, err := b.EditMedia(&msgs[0], pdf); err == nil || !strings.Contains(err.Error(), "album") {
		t.Fatalf("a file put in a photo album: %v", err)
	}
	if _, err := b.EditMedia(&msgs[0], &tele.Photo{File: tele.File{FileID: edited.Photo.FileID}}, kb); err == nil || !strings.Contains(err.Error(), "album") {
		t.Fatalf("buttons on a message of an album: %v", err)
	}
	if _, err := b.EditReplyMarkup(&msgs[1], kb); err == nil || !strings.Contains(err.Error(), "album") {
		t.Fatalf("buttons put on a message of an album: %v", err)
	}
	if _, err := b.EditMedia(&msgs[0], &tele.Photo{File: tele.File{FileID: edited.Photo.FileID}}); err != nil {
		t.Fatalf("another photo in the album: %v", err)
	}
}
