package telegramtest

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

func TestGetMe(t *testing.T) {
	s := NewServer(t, WithBotUsername("@my_shop_bot"))
	b := newBot(t, s)
	me := s.BotUser()
	if b.Me.ID != me.ID || b.Me.Username != "my_shop_bot" || !b.Me.IsBot || b.Me.FirstName != me.FirstName {
		t.Fatalf("getMe = %+v, want %+v", b.Me, me)
	}
	if !regexp.MustCompile(`^\d+:AA[\w-]{30,}$`).MatchString(s.Token()) {
		t.Fatalf("token %q does not look like a bot token", s.Token())
	}
	if s.Calls("getMe") != 1 {
		t.Fatalf("Calls(getMe) = %d, want 1", s.Calls("getMe"))
	}
}

func TestWithToken(t *testing.T) {
	s := NewServer(t, WithToken("42:AAsecret"))
	if got := newBot(t, s).Me.ID; got != 42 {
		t.Fatalf("bot id = %d, want 42 from the token", got)
	}
}

func TestWrongTokenAndUnknownMethod(t *testing.T) {
	s := NewServer(t)
	_, err := tele.NewBot(tele.Settings{URL: s.URL(), Token: "1:wrong"})
	if !errors.Is(err, tele.ErrUnauthorized) {
		t.Fatalf("NewBot with a wrong token: %v, want ErrUnauthorized", err)
	}
	resp, err := http.Post(s.URL()+"/bot"+s.Token()+"/sendPigeon", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	wantError(t, decodeAnswer(t, resp), 404, "Not Found")

	errs := s.Errors()
	if len(errs) != 2 || errs[0].Code != 401 || errs[1].Code != 404 || errs[1].Method != "sendPigeon" {
		t.Fatalf("Errors() = %+v", errs)
	}
}

// Every encoding Telegram accepts must carry the same request.
func TestRequestEncodings(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	markup := `{"inline_keyboard":[[{"text":"Buy","callback_data":"buy:1"}]]}`
	base := s.URL() + "/bot" + s.Token()

	multipartBody := func() (string, *bytes.Buffer) {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		_ = w.WriteField("chat_id", "1001")
		_ = w.WriteField("text", "hello")
		_ = w.WriteField("reply_markup", markup)
		_ = w.Close()
		return w.FormDataContentType(), &buf
	}

	cases := []struct {
		name string
		do   func() (*http.Response, error)
	}{
		{"json strings", func() (*http.Response, error) {
			return http.Post(base+"/sendMessage", "application/json",
				strings.NewReader(`{"chat_id":"1001","text":"hello","reply_markup":"{\"inline_keyboard\":[[{\"text\":\"Buy\",\"callback_data\":\"buy:1\"}]]}"}`))
		}},
		{"json native", func() (*http.Response, error) {
			return http.Post(base+"/sendMessage", "application/json",
				strings.NewReader(`{"chat_id":1001,"text":"hello","reply_markup":`+markup+`}`))
		}},
		{"form", func() (*http.Response, error) {
			return http.PostForm(base+"/sendMessage", url.Values{"chat_id": {"1001"}, "text": {"hello"}, "reply_markup": {markup}})
		}},
		{"query string", func() (*http.Response, error) {
			q := url.Values{"chat_id": {"1001"}, "text": {"hello"}, "reply_markup": {markup}}
			return http.Get(base + "/sendMessage?" + q.Encode())
		}},
		{"multipart", func() (*http.Response, error) {
			ct, body := multipartBody()
			return http.Post(base+"/sendMessage", ct, body)
		}},
		{"method name case", func() (*http.Response, error) {
			return http.Post(base+"/SENDMESSAGE", "application/json", strings.NewReader(`{"chat_id":1001,"text":"hello","reply_markup":`+markup+`}`))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.do()
			if err != nil {
				t.Fatal(err)
			}
			wantOK(t, decodeAnswer(t, resp))
			m := u.Next(t)
			if m.Text != "hello" || len(m.Buttons()) != 1 || m.Buttons()[0] != (Button{Text: "Buy", Data: "buy:1"}) {
				t.Fatalf("stored %+v", m)
			}
		})
	}
	if got := s.Calls("sendMessage"); got != len(cases) {
		t.Fatalf("Calls(sendMessage) = %d, want %d", got, len(cases))
	}
	s.NoErrors(t)
}

func TestGetChatAndChatAction(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	ch := s.Channel(-1001234567890, "Shop news", "shop_news")
	b := newBot(t, s)

	chat, err := b.ChatByUsername("@shop_news")
	if err != nil || chat.ID != ch.ID || chat.Title != "Shop news" || chat.Type != tele.ChatChannel {
		t.Fatalf("getChat @shop_news = %+v, %v", chat, err)
	}
	chat, err = b.ChatByID(u.ID)
	if err != nil || chat.FirstName != "Ann" || chat.Type != tele.ChatPrivate {
		t.Fatalf("getChat user = %+v, %v", chat, err)
	}
	if _, err := b.ChatByID(777); !errors.Is(err, tele.ErrChatNotFound) {
		t.Fatalf("getChat unknown: %v", err)
	}
	if err := b.Notify(u, tele.Typing); err != nil {
		t.Fatalf("sendChatAction: %v", err)
	}
	if len(u.Messages()) != 0 {
		t.Fatal("a chat action left a message")
	}
}

func TestCommands(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)

	menu := []tele.Command{{Text: "start", Description: "Start shopping"}, {Text: "orders", Description: "My orders"}}
	if err := b.SetCommands(menu); err != nil {
		t.Fatal(err)
	}
	if err := b.SetCommands(menu[:1], tele.CommandScope{Type: tele.CommandScopeChat, ChatID: u.ID}, "vi"); err != nil {
		t.Fatal(err)
	}
	if got := s.MyCommands("default", 0); len(got) != 2 || got[1] != (Command{Command: "orders", Description: "My orders"}) {
		t.Fatalf("default commands = %+v", got)
	}
	if got := s.MyCommandsFor(CommandScope{Type: "chat", ChatID: u.ID, LanguageCode: "vi"}); len(got) != 1 {
		t.Fatalf("chat/vi commands = %+v", got)
	}
	if got := s.MyCommands("all_private_chats", 0); len(got) != 0 {
		t.Fatalf("all_private_chats commands = %+v, want none", got)
	}
	// Ann's app is in English: the chat's Vietnamese list is not hers, the default is.
	if got := u.Menu(); len(got) != 2 {
		t.Fatalf("Ann's menu = %+v, want the default", got)
	}
	vi := s.User(1002, "Hoa", "", "vi")
	if err := b.SetCommands(menu[1:], tele.CommandScope{Type: tele.CommandScopeChat, ChatID: vi.ID}, "vi"); err != nil {
		t.Fatal(err)
	}
	if got := vi.Menu(); len(got) != 1 || got[0].Command != "orders" {
		t.Fatalf("Hoa's menu = %+v, want her chat's Vietnamese list", got)
	}
	if err := b.SetCommands(menu[:1], tele.CommandScope{Type: tele.CommandScopeChat, ChatID: u.ID}); err != nil {
		t.Fatal(err)
	}
	if got := u.Menu(); len(got) != 1 || got[0].Command != "start" {
		t.Fatalf("Ann's menu = %+v, want her chat's list for any language", got)
	}
	got, err := b.Commands()
	if err != nil || len(got) != 2 || got[0].Text != "start" {
		t.Fatalf("getMyCommands = %+v, %v", got, err)
	}
	if err := b.SetCommands([]tele.Command{{Text: "Start", Description: "x"}}); err == nil || !strings.Contains(err.Error(), "BOT_COMMAND_INVALID") {
		t.Fatalf("upper-case command: %v", err)
	}
	if err := b.DeleteCommands(); err != nil {
		t.Fatal(err)
	}
	if got := s.MyCommands("default", 0); len(got) != 0 {
		t.Fatalf("after delete = %+v", got)
	}
}

func TestLatency(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	s.SetLatency(150 * time.Millisecond)
	start := time.Now()
	if _, err := b.Send(u, "slow"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("answer took %s, want at least the latency", d)
	}
}
