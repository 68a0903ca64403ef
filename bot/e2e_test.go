package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

var tagRe = regexp.MustCompile(`<[^>]*>`)

// plain is what Telegram shows of an HTML text.
func plain(s string) string { return html.UnescapeString(tagRe.ReplaceAllString(s, "")) }

func buttonTexts(m telegramtest.Message) []string {
	var out []string
	for _, b := range m.Buttons() {
		out = append(out, b.Text)
	}
	return out
}

func wantMenu(t *testing.T, h *harness, lang string, m telegramtest.Message) {
	t.Helper()
	want := []string{
		h.text(lang, "menu.browse"), h.text(lang, "menu.cart"), h.text(lang, "menu.orders"),
		h.text(lang, "menu.language"), h.text(lang, "menu.ask"), h.text(lang, "menu.help"),
	}
	if got := buttonTexts(m); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("menu buttons %q, want %q", got, want)
	}
}

func TestStartGreetsInTheCustomersLanguage(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	tests := []struct {
		id       int64
		code     string
		wantLang string
	}{
		{201, "en", "en"},
		{202, "vi", "vi"},
		{203, "ar", "ar"},
		{204, "de", "en"}, // not offered: DEFAULT_LANGUAGE
		{205, "", "en"},
	}
	for _, tt := range tests {
		u := h.user(tt.id, "Mai", tt.code)
		u.SendText("/start")
		m := u.Next(t)
		want := h.text(tt.wantLang, "start.greeting", locale.Args{"Name": "Mai", "Shop": "Lan's Boutique"})
		if m.Text != want {
			t.Errorf("%q: greeting %q, want %q", tt.code, m.Text, want)
		}
		wantMenu(t, h, tt.wantLang, m)

		var c orders.Customer
		if err := h.db.Get(&c, `SELECT id, first_name, telegram_language, language FROM customers WHERE id = $1`, tt.id); err != nil {
			t.Fatalf("customer %d not stored: %v", tt.id, err)
		}
		if c.FirstName != "Mai" || c.TelegramLanguage != tt.code || c.Language != "" {
			t.Errorf("stored customer %+v", c)
		}
	}
	noErrors(t, h)
}

func TestLanguageCommandSwitchesAndRemembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	u := h.user(301, "Lan", "en")

	u.SendText("/language")
	picker := u.Next(t)
	if picker.Text != h.text("en", "language.choose") {
		t.Fatalf("picker %q", picker.Text)
	}
	if got := strings.Join(buttonTexts(picker), "|"); got != "English|Tiếng Việt|العربية" {
		t.Fatalf("picker buttons %q", got)
	}
	u.Press(t, picker, "العربية")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == picker.ID && m.Text == h.text("ar", "language.set") })
	greeting := u.Next(t)
	if !strings.HasPrefix(greeting.Text, "أهلًا") {
		t.Errorf("greeting after switching to Arabic: %q", greeting.Text)
	}
	wantMenu(t, h, "ar", greeting)
	// The command menu too, though the app is in English.
	menuIn(t, h, u, "ar", customerCommands)

	var lang string
	if err := h.db.Get(&lang, `SELECT language FROM customers WHERE id = 301`); err != nil || lang != "ar" {
		t.Fatalf("stored language %q, %v", lang, err)
	}

	// The choice outlives the session and the process: Telegram still says "en".
	r.stop(t)
	if err := h.rdb.Del(context.Background(), h.prefix+"session:301").Err(); err != nil {
		t.Fatal(err)
	}
	h.start()
	u.SendText("/help")
	help := u.Next(t)
	if !strings.HasPrefix(help.Text, h.text("ar", "help.customer")) {
		t.Errorf("help after restart and lost session: %q", help.Text)
	}
	menuIn(t, h, u, "ar", customerCommands)
	noErrors(t, h)
}

// menuIn checks the command menu u sees, waiting a little for it (the bot sets it after
// answering): the commands named (comma-separated, in order), described in lang.
func menuIn(t *testing.T, h *harness, u *telegramtest.User, lang, commands string) {
	t.Helper()
	var problems []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		problems = nil
		var got []string
		for _, c := range u.Menu() {
			got = append(got, c.Command)
			if want := h.text(lang, "cmd."+c.Command); c.Description != want {
				problems = append(problems, fmt.Sprintf("/%s described as %q, want %q", c.Command, c.Description, want))
			}
		}
		if strings.Join(got, ",") != commands {
			problems = append(problems, fmt.Sprintf("commands %v, want %s", got, commands))
		}
		if len(problems) == 0 || time.Now().After(deadline) {
			break
		}
	}
	for _, p := range problems {
		t.Errorf("%s's menu: %s", u.FirstName, p)
	}
}

// A seller whose app is in Vietnamese and who picked English sees the sellers' menu in
// English, also after a restart (which sets the sellers' menus again).
func TestASellersMenuFollowsTheLanguageTheyPicked(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	seller := h.user(admin1, "Lan", "vi")
	replyTo(t, seller, func() { seller.SendText("/help") })
	menuIn(t, h, seller, "vi", sellerCommands)
	picker := replyTo(t, seller, func() { seller.SendText("/language") })
	seller.Press(t, picker, "English")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "language.set") })
	menuIn(t, h, seller, "en", sellerCommands)
	r.stop(t)
	h.start()
	menuIn(t, h, seller, "en", sellerCommands)
	noErrors(t, h)
}

const (
	customerCommands = "start,catalog,cart,orders,help,language,ask,cancel"
	sellerCommands   = customerCommands + ",newitem,items,week,schedule,order,find,purchases,stats,broadcast,export,backup,setpayment,setpickup"
)

func TestHelpListsTheRouteTableAndCommandMenus(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()

	customer := h.user(401, "Hoa", "vi")
	customer.SendText("/help")
	help := customer.Next(t)
	for _, cmd := range []string{"/start", "/help", "/language", "/cancel"} {
		if !strings.Contains(help.Text, cmd+" — ") {
			t.Errorf("customer help lacks %s: %q", cmd, help.Text)
		}
	}
	if strings.Contains(help.Text, "/setpayment") || strings.Contains(help.Text, h.text("vi", "help.admin")) {
		t.Errorf("customer help shows seller commands: %q", help.Text)
	}

	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/help")
	help = seller.Next(t)
	if !strings.Contains(help.Text, "/setpayment — "+h.text("vi", "cmd.setpayment")) {
		t.Errorf("seller help lacks seller commands: %q", help.Text)
	}

	if got := names(h.fake.MyCommands("default", 0)); got != customerCommands {
		t.Errorf("customer menu %q", got)
	}
	if got := names(h.fake.MyCommands("chat", admin1)); got != sellerCommands {
		t.Errorf("seller menu %q", got)
	}
	vi := h.fake.MyCommandsFor(telegramtest.CommandScope{Type: "default", LanguageCode: "vi"})
	if len(vi) != 8 || vi[4].Description != h.text("vi", "cmd.help") {
		t.Errorf("Vietnamese customer menu %+v", vi)
	}
	noErrors(t, h)
}

func TestSellerSetsPaymentTextAcrossARestart(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	seller := h.user(admin1, "Lan", "vi")

	seller.SendText("/setpayment")
	prompt := seller.Next(t)
	if !strings.Contains(prompt.Text, h.text("vi", "settings.none")) {
		t.Fatalf("prompt %q", prompt.Text)
	}

	// The step lives in Redis: a new process picks the conversation up.
	r.stop(t)
	h.start()
	instructions := "Vietcombank 0123 456 789 — Nguyễn Thị Lan <chuyển khoản & ghi mã đơn>"
	seller.SendText(instructions)
	if m := seller.Next(t); m.Text != h.text("vi", "setpayment.saved") {
		t.Fatalf("after sending the text: %q", m.Text)
	}
	var stored string
	if err := h.db.Get(&stored, `SELECT value FROM shop_settings WHERE key = $1`, orders.SettingPaymentInstructions); err != nil || stored != instructions {
		t.Fatalf("stored %q, %v", stored, err)
	}

	// Asking again shows the current text, escaped so its < and & arrive intact.
	seller.SendText("/setpayment")
	if m := seller.Next(t); !strings.Contains(m.Text, instructions) {
		t.Errorf("second prompt %q lacks the current text", m.Text)
	}
	seller.SendSticker()
	if m := seller.Next(t); m.Text != h.text("vi", "expect.text") {
		t.Errorf("sticker at a text step: %q", m.Text)
	}
	// A Share my phone keyboard left on the seller's screen from a checkout of their own.
	seller.SendContact("+84912345678")
	if m := seller.Next(t); m.Text != h.text("vi", "expect.text") || !m.RemoveKeyboard {
		t.Errorf("a shared phone at a text step: %q (keyboard removed: %v)", m.Text, m.RemoveKeyboard)
	}
	seller.SendText(strings.Repeat("x", orders.MaxSettingLength+1))
	if m := seller.Next(t); m.Text != h.text("vi", "settings.too_long", locale.Args{"Max": orders.MaxSettingLength}) {
		t.Errorf("over-long text: %q", m.Text)
	}
	seller.SendText("/cancel")
	if m := seller.Next(t); m.Text != h.text("vi", "cancel.done") {
		t.Errorf("cancel: %q", m.Text)
	}
	if err := h.db.Get(&stored, `SELECT value FROM shop_settings WHERE key = $1`, orders.SettingPaymentInstructions); err != nil || stored != instructions {
		t.Errorf("cancelled edit changed the setting: %q, %v", stored, err)
	}
	seller.SendText("/cancel")
	if m := seller.Next(t); m.Text != h.text("vi", "cancel.nothing") {
		t.Errorf("second cancel: %q", m.Text)
	}
	noErrors(t, h)
}

func TestCustomersCannotUseSellerCommands(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	u := h.user(501, "Omar", "ar")

	for _, cmd := range []string{"/setpayment", "/setpickup"} {
		u.SendText(cmd)
		if m := u.Next(t); m.Text != h.text("ar", "admin.only") {
			t.Errorf("%s by a customer: %q", cmd, m.Text)
		}
	}
	// Nothing was started: free text is not taken as a setting (it is offered to the
	// sellers as a message).
	u.SendText("Pay to my account instead")
	if m := u.Next(t); m.Text != h.text("ar", "ask.offer") {
		t.Errorf("free text after a refused command: %q", m.Text)
	}
	var n int
	if err := h.db.Get(&n, `SELECT count(*) FROM shop_settings`); err != nil || n != 0 {
		t.Errorf("settings rows %d, %v", n, err)
	}
	// A seller command in a group is not answered at all.
	g := h.fake.Group(-4001, "Buyers")
	g.SendText(h.fake.User(admin1, "Lan", "", "en"), "/setpayment")
	g.NoMessage(t, 300*time.Millisecond)
	noErrors(t, h)
}

// Paid media forwarded from a channel (a photo for stars, with a caption), which telebot
// reads nothing of, and a channel's poll forwarded, which telebot routes to no handler,
// are answered like any message no step can use, by long polling and by webhook.
func TestMessagesTelebotRoutesNowhereGetAnAnswer(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"long polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			if mode == "webhook" {
				h.webhooks()
			}
			h.start()
			u := h.user(611, "Ana", "en")
			other := h.fake.Channel(-1009876543210, "Another shop", "another_shop")
			u.ForwardPaidMedia(other, 50, "Only for my fans")
			if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
				t.Errorf("paid media forwarded: %q", m.Text)
			}
			u.ForwardPoll(other, "Which colour next week?", "Red", "Blue")
			if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
				t.Errorf("a poll forwarded: %q", m.Text)
			}
			noErrors(t, h)
		})
	}
}

func TestUnknownInputGetsAHelpfulAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	u := h.user(601, "Ana", "en")

	u.SendText("/frobnicate")
	if m := u.Next(t); m.Text != h.text("en", "unknown.command") {
		t.Errorf("unknown command: %q", m.Text)
	}
	// Free text is offered to the shop's sellers (TestCustomersWriteToTheShopAndSellersAnswer).
	u.SendText("hello?")
	m := u.Next(t)
	if m.Text != h.text("en", "ask.offer") {
		t.Errorf("free text: %q", m.Text)
	}
	m.InlineKeyboard = m.InlineKeyboard[1:] // the offer's button, then the menu
	wantMenu(t, h, "en", m)
	u.SendSticker()
	if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
		t.Errorf("sticker: %q", m.Text)
	}
	// A photo, with no order to pay, is for the shop: the customer is told how.
	u.SendPhoto(photo(t, 3), "this one in blue?")
	if m := u.Next(t); m.Text != h.text("en", "ask.photo_hint") {
		t.Errorf("photo: %q", m.Text)
	}
	shared := u.SendLocation(10.77, 106.70)
	if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
		t.Errorf("location: %q", m.Text)
	}
	// A live location moving is not answered at every move.
	u.MoveLocation(shared.MessageID, 10.78, 106.71)
	u.MoveLocation(shared.MessageID, 10.79, 106.72)
	u.SendVoice()
	if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
		t.Errorf("voice: %q", m.Text)
	}
	u.SendVideo()
	if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
		t.Errorf("video: %q", m.Text)
	}
	u.ForwardStory(u.Chat()) // a kind of message telebot routes nowhere
	if m := u.Next(t); m.Text != h.text("en", "unexpected.message") {
		t.Errorf("a story forwarded: %q", m.Text)
	}

	// Every main-menu button answers.
	u.SendText("/start")
	menu := u.Next(t)
	for _, tt := range []struct{ button, want string }{
		{"menu.browse", "catalog.none_open"},
		{"menu.cart", "cart.empty"},
		{"menu.orders", "orders.none"},
		{"menu.language", "language.choose"},
		{"menu.help", "help.customer"},
		{"menu.ask", "ask.prompt"},
	} {
		u.Press(t, menu, h.text("en", tt.button))
		if m := u.Next(t); !strings.HasPrefix(m.Text, h.text("en", tt.want)) {
			t.Errorf("%s: %q", tt.button, m.Text)
		}
	}

	// Forged and stale buttons change nothing and say so.
	before := len(u.CallbackAnswers())
	u.PressData(menu.ID, "\fm|nosuchthing")
	u.PressData(menu.ID, "\fzz|1")
	u.PressData(menu.ID, "garbage")
	u.PressData(menu.ID, "\flang|xx")
	deadline := time.Now().Add(5 * time.Second)
	for len(u.CallbackAnswers()) < before+4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	answers := u.CallbackAnswers()[before:]
	if len(answers) != 4 {
		t.Fatalf("%d answers to 4 stale presses", len(answers))
	}
	for _, a := range answers {
		if a.Text != h.text("en", "callback.stale") {
			t.Errorf("stale press answered %q", a.Text)
		}
	}
	u.NoMessage(t, 200*time.Millisecond)
	noErrors(t, h)
}

func TestWebhookMode(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	// Telegram only calls HTTPS URLs: a TLS reverse proxy stands in for the load balancer.
	var target *url.URL
	proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	h.env["WEBHOOK_URL"] = proxy.URL + "/telegram/hook"
	h.env["WEBHOOK_SECRET"] = "s3cr3t-Token_1"
	r := h.start()
	target, _ = url.Parse("http://" + r.app.HTTPAddr())

	u := h.user(701, "Kim", "vi")
	u.SendText("/start")
	if m := u.Next(t); m.Text != h.text("vi", "start.greeting", locale.Args{"Name": "Kim", "Shop": "Lan's Boutique"}) {
		t.Errorf("greeting by webhook: %q", m.Text)
	}
	if n := h.fake.Calls("getUpdates"); n != 0 {
		t.Errorf("getUpdates called %d times in webhook mode", n)
	}

	// Requests without the secret, or with a wrong one, are refused and not handled.
	update := `{"update_id":999999,"message":{"message_id":1,"date":1,"chat":{"id":701,"type":"private"},"from":{"id":701,"first_name":"Kim"},"text":"/help","entities":[{"type":"bot_command","offset":0,"length":5}]}}`
	client := proxy.Client()
	for _, secret := range []string{"", "wrong", "s3cr3t-Token_"} {
		req, _ := http.NewRequest(http.MethodPost, h.env["WEBHOOK_URL"], strings.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		if secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("secret %q: status %d", secret, resp.StatusCode)
		}
	}
	u.NoMessage(t, 300*time.Millisecond)

	for _, a := range h.fake.WebhookAttempts() {
		if a.Status != http.StatusOK {
			t.Errorf("the fake's delivery of update %d got %d", a.UpdateID, a.Status)
		}
	}
	r.stop(t) // must not panic, and must return
	noErrors(t, h)
}

// scrape reads the bot's metrics.
func scrape(t *testing.T, r *running) string {
	t.Helper()
	resp, err := http.Get("http://" + r.app.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// By webhook, a button's answer goes back in the webhook's reply, which costs no request
// of its own; a handler still busy after a moment has it sent by itself, so the button's
// spinner stops anyway.
func TestWebhookRepliesAnswerButtons(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.webhooks()
	r := h.start()
	u := h.user(702, "Lan", "en")
	u.SendText("/start")
	menu := u.Next(t)

	u.Press(t, menu, h.text("en", "menu.help"))
	if m := u.Next(t); !strings.Contains(m.Text, "/start") {
		t.Fatalf("help: %q", m.Text)
	}
	waitAnswers(t, u, 1)
	if n, all := h.fake.ReplyCalls("answerCallbackQuery"), h.fake.Calls("answerCallbackQuery"); n != 1 || all != 1 {
		t.Errorf("answers in webhook replies %d of %d, want 1 of 1", n, all)
	}
	if metrics := scrape(t, r); !strings.Contains(metrics, `shopbot_telegram_api_calls_total{method="answerCallbackQuery",result="webhook_reply"} 1`) {
		t.Errorf("the answer in the webhook's reply is not counted:\n%s", metrics)
	}

	// The help's message waits at Telegram: the answer cannot wait for the reply.
	held, release := h.fake.HoldNext("sendMessage", u.ID)
	u.Press(t, menu, h.text("en", "menu.help"))
	<-held
	waitAnswers(t, u, 2)
	if n, all := h.fake.ReplyCalls("answerCallbackQuery"), h.fake.Calls("answerCallbackQuery"); n != 1 || all != 2 {
		t.Errorf("answers in webhook replies %d of %d, want 1 of 2", n, all)
	}
	release()
	u.Next(t)
	noErrors(t, h)
}

// A failure on a button press is told as the button's answer; when Telegram refuses that
// answer (the press is too old), it is told in the chat, by webhook too, where a button's
// answer is otherwise held for the webhook's reply and a refusal would go unseen.
func TestAFailureWhoseAnswerIsRefusedIsToldInTheChat(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"long polling", "webhook"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, throughProxies(), func(h *harness) {
				h.fakeOpts = append(h.fakeOpts, telegramtest.WithCallbackTimeout(time.Nanosecond)) // every answer too late
			})
			if mode == "webhook" {
				h.webhooks()
			}
			h.start()
			u := h.user(731, "Lan", "en")
			u.SendText("/start")
			menu := u.Next(t)
			// The session saved and its lock freed, a moment after the reply.
			for deadline := time.Now().Add(5 * time.Second); h.rdb.Exists(context.Background(), h.prefix+"lock:731").Val() != 0; {
				if time.Now().After(deadline) {
					t.Fatal("the session lock was not freed")
				}
				time.Sleep(5 * time.Millisecond)
			}
			h.redisProxy.Cut()
			u.Press(t, menu, h.text("en", "menu.help"))
			if m := u.Next(t); m.Text != h.text("en", "error.unavailable") {
				t.Errorf("told %q, want %q", m.Text, h.text("en", "error.unavailable"))
			}
			h.redisProxy.Restore()
		})
	}
}

func TestServicesDownAndBack(t *testing.T) {
	t.Parallel()
	h := newHarness(t, throughProxies())
	r := h.start()
	u := h.user(801, "Sara", "ar")
	// settled waits until the bot has finished with the person's last update (saved the
	// session and freed the lock), which comes a moment after its reply.
	settled := func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for h.rdb.Exists(context.Background(), h.prefix+"lock:801").Val() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the session lock was not freed")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	u.SendText("/start")
	u.Next(t)
	settled()

	ready := func() (int, map[string]string) {
		resp, err := http.Get("http://" + r.app.HTTPAddr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]string
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if code, body := ready(); code != http.StatusOK {
		t.Fatalf("readyz %d %v", code, body)
	}

	for _, svc := range []struct {
		name  string
		proxy interface {
			Cut()
			Restore()
		}
	}{{"redis", h.redisProxy}, {"postgres", h.pgProxy}} {
		svc.proxy.Cut()
		// /start both locks the session (Redis) and records the customer (Postgres).
		u.SendText("/start")
		if m := u.Next(t); m.Text != h.text("ar", "error.unavailable") {
			t.Errorf("%s down: reply %q", svc.name, m.Text)
		}
		if code, body := ready(); code != http.StatusServiceUnavailable || body[svc.name] != "unreachable" {
			t.Errorf("%s down: readyz %d %v", svc.name, code, body)
		}
		svc.proxy.Restore()
		u.SendText("/start")
		if m := u.Next(t); !strings.HasPrefix(m.Text, "أهلًا") {
			t.Errorf("%s back: reply %q", svc.name, m.Text)
		}
		settled()
		if code, body := ready(); code != http.StatusOK {
			t.Errorf("%s back: readyz %d %v", svc.name, code, body)
		}
	}
	if !strings.Contains(h.logs.String(), `"msg":"update failed"`) {
		t.Error("the failures were not logged")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	u := h.user(901, "Linh", "vi")
	u.SendText("/start")
	u.Next(t)

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + r.app.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz %d %q", code, body)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"postgres":"ok"`) || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("readyz %d %q", code, body)
	}
	// The update is counted when its handling ends, a moment after the reply went out.
	var body string
	want := []string{
		`shopbot_updates_total{type="message"} 1`,
		`shopbot_handler_duration_seconds_count{type="message"} 1`,
		`shopbot_telegram_api_calls_total{method="sendMessage",result="ok"} 1`,
		`shopbot_telegram_api_calls_total{method="getMe",result="ok"} 1`,
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var code int
		code, body = get("/metrics")
		if code != 200 {
			t.Fatalf("metrics %d", code)
		}
		if strings.Contains(body, want[0]) || time.Now().After(deadline) {
			break
		}
	}
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("metrics lack %s", w)
		}
	}
	if strings.Contains(body, h.fake.Token()) {
		t.Error("metrics show the token")
	}
}

func TestLogsHoldNoTokenOrPersonalData(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.fake.DropNext("getUpdates", 2) // network errors carry the request URL, token included
	h.start()
	u := h.user(1101, "Nguyễn Thị Bích", "vi")
	phone := "+84 912 345 678"
	u.SendContact(phone)
	u.Next(t)
	u.SendText("12 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội")
	u.Next(t)

	logs := h.logs.String()
	for _, secret := range []string{h.fake.Token(), phone, "Lý Thường Kiệt", "Nguyễn Thị Bích"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, "getUpdates failed") {
		t.Error("the dropped getUpdates calls were not logged")
	}
}

// At Telegram's own per-chat rate, a person who writes faster than the bot may answer
// still gets every answer: the bot waits out each 429's retry_after instead of failing.
func TestFloodWaitIsHonoured(t *testing.T) {
	t.Parallel()
	h := newHarness(t, atTelegramRate())
	h.start()
	u := h.user(1201, "Binh", "vi")
	const n = 6
	for range n {
		u.SendText("/cancel")
	}
	for i := range n {
		if m := u.Next(t); m.Text != h.text("vi", "cancel.nothing") {
			t.Fatalf("answer %d: %q", i+1, m.Text)
		}
	}
	if h.fake.TooMany() == 0 {
		t.Error("the fake never refused: the test did not exercise a flood wait")
	}
	noErrors(t, h, http.StatusTooManyRequests)
}

func names(cmds []telegramtest.Command) string {
	var out []string
	for _, c := range cmds {
		out = append(out, c.Command)
	}
	return strings.Join(out, ",")
}

func TestSellerMenuIsSetWhenTheSellerFirstWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	if got := h.fake.MyCommands("chat", admin2); len(got) != 0 {
		t.Fatalf("menu for a seller Telegram does not know yet: %v", got)
	}
	seller := h.user(admin2, "Minh", "en")
	seller.SendText("/start")
	seller.Next(t)
	if got := names(h.fake.MyCommands("chat", admin2)); got != sellerCommands {
		t.Errorf("seller menu after first contact: %v", got)
	}
}

func TestStartUpWaitsForPostgresThenFailsClearly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, throughProxies())
	h.pgProxy.Cut()
	cfg, err := bot.LoadConfig(func(k string) string { return h.env[k] })
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = bot.New(context.Background(), cfg, bot.Options{
		Logger:         slog.New(slog.NewJSONHandler(h.logs, nil)),
		StartupTimeout: 1500 * time.Millisecond,
	})
	if err == nil || !strings.Contains(err.Error(), "postgres unreachable") {
		t.Fatalf("New with Postgres down: %v", err)
	}
	if waited := time.Since(start); waited < time.Second || waited > 10*time.Second {
		t.Errorf("gave up after %v", waited)
	}
	if n := strings.Count(h.logs.String(), `"msg":"waiting for postgres"`); n < 2 {
		t.Errorf("%d logged attempts", n)
	}

	// Postgres comes back while the bot waits: it starts.
	go func() {
		time.Sleep(700 * time.Millisecond)
		h.pgProxy.Restore()
	}()
	h.pgProxy.Cut()
	h.start()
	u := h.user(1301, "Tam", "en")
	u.SendText("/start")
	u.Next(t)
}

// A seller who asked to change the payment text and walked away is not taken at their
// word half an hour later, counted from the question: the stray text changes nothing.
func TestAStrayTextLaterChangesNoSetting(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Now())
	h := newHarness(t, withClock(clock))
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/setpayment")
	seller.Next(t)
	answer := seller.SendText("Bank Misr 1234")
	if m := seller.Next(t); m.Text != h.text("vi", "setpayment.saved") {
		t.Fatalf("an answer at once: %q", m.Text)
	}
	// strayText asks for the payment text, lets the minutes pass (other commands between
	// them) and then sends a text, which must find the question expired.
	strayText := func(what string, minutes []int, between func()) {
		t.Helper()
		seller.SendText("/setpayment")
		seller.Next(t)
		for i, m := range minutes {
			if i > 0 {
				between()
				seller.Next(t)
			}
			clock.Set(clock.Now().Add(time.Duration(m) * time.Minute))
		}
		seller.SendText("ok")
		if m := seller.Next(t); m.Text != h.text("vi", "step.expired") {
			t.Errorf("%s: %q", what, m.Text)
		}
	}
	strayText("a text half an hour after /setpayment", []int{31}, nil)
	// Other updates meanwhile do not keep the question open: it counts from when it was
	// asked. Not a command, nor an old message edited.
	strayText("a text 31 minutes after /setpayment, 11 after another command", []int{20, 11}, func() { seller.SendText("/week") })
	strayText("a text 31 minutes after /setpayment, 11 after an edit", []int{20, 11}, func() { seller.EditText(answer.MessageID, "Bank Misr 5555") })
	var stored string
	if err := h.db.Get(&stored, `SELECT value FROM shop_settings WHERE key = $1`, orders.SettingPaymentInstructions); err != nil || stored != "Bank Misr 1234" {
		t.Errorf("the payment text is %q (%v), want it unchanged", stored, err)
	}

	// An answer refused is asked for again, and so is the question asked anew: each
	// counts from then.
	seller.SendText("/setpayment")
	seller.Next(t)
	clock.Set(clock.Now().Add(25 * time.Minute))
	seller.SendText(strings.Repeat("x", orders.MaxSettingLength+1))
	if m := seller.Next(t); m.Text != h.text("vi", "settings.too_long", locale.Args{"Max": orders.MaxSettingLength}) {
		t.Fatalf("an over-long text: %q", m.Text)
	}
	clock.Set(clock.Now().Add(10 * time.Minute))
	seller.SendText("Bank Misr 5678")
	if m := seller.Next(t); m.Text != h.text("vi", "setpayment.saved") {
		t.Errorf("a text 10 minutes after a refused one: %q", m.Text)
	}
	seller.SendText("/setpayment")
	seller.Next(t)
	clock.Set(clock.Now().Add(25 * time.Minute))
	seller.SendText("/setpayment")
	seller.Next(t)
	clock.Set(clock.Now().Add(10 * time.Minute))
	seller.SendText("Bank Misr 9012")
	if m := seller.Next(t); m.Text != h.text("vi", "setpayment.saved") {
		t.Errorf("a text 10 minutes after the question was asked again: %q", m.Text)
	}
	noErrors(t, h)
}

// A chat's own menu is set when it should change (a seller's first contact, a release's
// new commands, a seller no longer one), not at every session.
func TestChatMenusAreSetOnlyWhenTheyChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	seller := h.user(admin1, "Lan", "vi")
	newSession := func() {
		t.Helper()
		if err := h.rdb.Del(context.Background(), h.prefix+"session:"+strconv.FormatInt(admin1, 10)).Err(); err != nil {
			t.Fatal(err)
		}
		replyTo(t, seller, func() { seller.SendText("/help") })
	}
	newSession()
	menuIn(t, h, seller, "vi", sellerCommands)
	calls := h.fake.Calls("setMyCommands")
	newSession()
	if n := h.fake.Calls("setMyCommands"); n != calls {
		t.Errorf("a new session set the menu again (%d calls)", n-calls)
	}

	// A release whose commands differ: the next session sets it.
	if _, err := h.db.Exec(`UPDATE customers SET menu = 'previous/vi/true' WHERE id = $1`, admin1); err != nil {
		t.Fatal(err)
	}
	newSession()
	if n := h.fake.Calls("setMyCommands"); n != calls+len(locale.Languages)+1 {
		t.Errorf("%d calls after a release, want one per language and one for the others", n-calls)
	}
	var menu string
	if err := h.db.Get(&menu, `SELECT menu FROM customers WHERE id = $1`, admin1); err != nil || menu == "previous/vi/true" {
		t.Errorf("menu recorded %q, %v", menu, err)
	}

	// A release whose menus differ (here, the shop's default language, whose lists are set
	// for every app language without one of its own): the version differs, and so does
	// the menu.
	r.stop(t)
	h.env["DEFAULT_LANGUAGE"] = "vi"
	calls = h.fake.Calls("setMyCommands")
	r = h.start() // the customers' menu, and the seller's
	newSession()
	after := h.fake.Calls("setMyCommands")
	if menu := len(locale.Languages) + 1; after-calls < 2*menu {
		t.Errorf("%d calls after a release with other menus, want the customers' and the seller's (%d each)", after-calls, menu)
	}
	newSession()
	if n := h.fake.Calls("setMyCommands"); n != after {
		t.Errorf("%d calls at another session, want none", n-after)
	}

	// No longer a seller: the customers' menu is theirs again.
	r.stop(t)
	h.env["ADMIN_IDS"] = strconv.FormatInt(admin2, 10)
	h.start()
	newSession()
	menuIn(t, h, seller, "vi", customerCommands)
	noErrors(t, h)
}

// Words after a command that asks a question are its answer, every line of them: a
// setting is saved, the weekly rule set and turned off, a broadcast previewed, a message
// sent to the shop. A mistyped language code after /setpayment is not saved as the
// instructions.
func TestACommandsWordsAreItsAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	say := func(text, want string) {
		t.Helper()
		if m := replyTo(t, seller, func() { seller.SendText(text) }); m.Text != want {
			t.Errorf("%q: %q, want %q", text, m.Text, want)
		}
	}
	setting := func(key string) string {
		t.Helper()
		var v string
		if err := h.db.Get(&v, `SELECT COALESCE((SELECT value FROM shop_settings WHERE key = $1), '')`, key); err != nil {
			t.Fatal(err)
		}
		return v
	}

	say("/setpickup 12 Lê Lợi, Quận 1\nMon–Sat 9:00–18:00", h.text("vi", "setpickup.saved"))
	if v := setting(orders.SettingPickup); v != "12 Lê Lợi, Quận 1\nMon–Sat 9:00–18:00" {
		t.Errorf("pickup saved as %q", v)
	}
	say("/setpayment VI Vietcombank 0123 456 789\nNguyen Thi Lan", h.text("vi", "setpayment.saved"))
	if v := setting(orders.PaymentKey("vi")); v != "Vietcombank 0123 456 789\nNguyen Thi Lan" {
		t.Errorf("Vietnamese payment instructions saved as %q", v)
	}
	usage := h.text("vi", "setpayment.usage", locale.Args{"Languages": strings.Join(locale.Languages, ", ")})
	say("/setpayment fr Banque 1", usage)
	say("/setpayment Vietcombank 0123", usage)
	if v := setting(orders.SettingPaymentInstructions); v != "" {
		t.Errorf("payment instructions for everyone saved as %q", v)
	}
	// The step asked for stays the command's own: a text after it is not taken for it.
	replyTo(t, seller, func() { seller.SendText("/setpayment ar") })
	say("InstaPay 0100 123 4567", h.text("vi", "setpayment.saved"))
	if v := setting(orders.PaymentKey("ar")); v != "InstaPay 0100 123 4567" {
		t.Errorf("Arabic payment instructions saved as %q", v)
	}

	h.user(9401, "Mai", "en").SendText("/start")
	preview := replyTo(t, seller, func() { seller.SendText("/broadcast New bags on Monday!\nSee you then") })
	if preview.Text != "New bags on Monday!\nSee you then" {
		t.Errorf("broadcast preview: %q", preview.Text)
	}
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > preview.ID && len(m.Buttons()) == 2 })

	u := h.user(9402, "Hoa", "en")
	if m := replyTo(t, u, func() { u.SendText("/ask Do you ship to Huế?\nThanks") }); m.Text != h.text("en", "ask.sent") {
		t.Errorf("/ask with words: %q", m.Text)
	}
	want := h.text("vi", "notice.question", locale.Args{"Customer": "Hoa"}) + "\nDo you ship to Huế?\nThanks"
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })

	rule := func() bool {
		t.Helper()
		var n int
		if err := h.db.Get(&n, `SELECT count(*) FROM schedule_rule`); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	if m := replyTo(t, seller, func() { seller.SendText("/schedule Mon 10:00 - Thu 18:00") }); !strings.HasPrefix(m.Text, "🗓") || !rule() {
		t.Errorf("/schedule with a rule: %q, rule stored %v", m.Text, rule())
	}
	// (Turned off, the rule leaves the week it scheduled to go out; its card follows.)
	say("/schedule off", h.text("vi", "rule.cleared"))
	if rule() {
		t.Error("/schedule off left the weekly rule on")
	}
	noErrors(t, h)
}

// The payment instructions for everyone say which languages' customers see instructions
// of their own instead, when asked for and when saved; off removes a language's own (its
// customers then see the ones for everyone) or a setting.
func TestPaymentInstructionsOfALanguageAreShownAndRemoved(t *testing.T) {
	t.Parallel()
	h, dress, _ := openShop(t, map[string]int{"S": 5})
	seller := h.user(admin1, "Lan", "vi")
	say := func(text string) string {
		t.Helper()
		return replyTo(t, seller, func() { seller.SendText(text) }).Text
	}
	overrides := "\n\n" + h.text("vi", "setpayment.overrides", locale.Args{"Languages": "vi"})

	if got := say("/setpayment vi VCB 111 OLD"); got != h.text("vi", "setpayment.saved") {
		t.Errorf("/setpayment vi with the text: %q", got)
	}
	if got := say("/setpayment"); !strings.Contains(got, strings.TrimPrefix(overrides, "\n\n")) || !strings.HasSuffix(got, h.text("vi", "settings.cancel_hint")) {
		t.Errorf("/setpayment does not say Vietnamese speakers see their own: %q", got)
	}
	if got := say("VCB 222 NEW"); got != h.text("vi", "setpayment.saved")+overrides {
		t.Errorf("saved for everyone: %q", got)
	}
	if got := say("/setpayment vi"); !strings.HasSuffix(got, h.text("vi", "settings.remove_hint")) {
		t.Errorf("/setpayment vi, set: %q", got)
	}
	if got := say("tắt"); got != h.text("vi", "setpayment.removed_lang", locale.Args{"Code": "vi"}) {
		t.Errorf("the Vietnamese instructions removed: %q", got)
	}
	if got := say("/setpayment ar InstaPay 0100"); got != h.text("vi", "setpayment.saved") {
		t.Errorf("/setpayment ar with the text: %q", got)
	}
	if got := say("/setpayment off"); got != h.text("vi", "setpayment.removed")+"\n\n"+h.text("vi", "setpayment.overrides", locale.Args{"Languages": "ar"}) {
		t.Errorf("/setpayment off: %q", got)
	}
	say("/setpayment VCB 222 NEW") // no language: the usage, nothing saved
	say("/setpayment")
	say("VCB 222 NEW")
	say("/setpayment ar -")
	if got := say("/setpickup off"); got != h.text("vi", "setpickup.removed") {
		t.Errorf("the pickup address removed: %q", got)
	}
	var left []string
	if err := h.db.Select(&left, `SELECT key FROM shop_settings ORDER BY key`); err != nil || !slices.Equal(left, []string{orders.SettingPaymentInstructions}) {
		t.Errorf("settings left %v (%v), want the payment instructions for everyone", left, err)
	}

	u := h.user(9403, "Hoa", "vi")
	placePickup(t, h, u, dress, "S", 1)
	var told bool
	for _, m := range u.Messages() {
		told = told || m.FromBot && strings.Contains(m.Text, "VCB 222 NEW")
		if m.FromBot && strings.Contains(m.Text, "VCB 111 OLD") {
			t.Errorf("a Vietnamese customer was told the removed instructions: %q", m.Text)
		}
	}
	if !told {
		t.Error("a Vietnamese customer was not told the instructions for everyone")
	}
	noErrors(t, h)
}
