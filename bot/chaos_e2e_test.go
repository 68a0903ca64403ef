package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
)

// chaosSeed fixes the random walk: a failure replays with the same actions, up to the
// order in which people's updates interleave. CHAOS_SEED explores other walks.
func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CHAOS_SEED=%q: %v", s, err)
		}
		return n
	}
	return 20260322
}

// Each person sends fewer updates than the rate limit allows in a window (30 in 10 s,
// handlers.NewSessions) over the whole run, so no update is dropped as a flood.
const chaosUpdatesPerPerson = 27

// TestChaos sends the real bot some 400 random updates of every shape from fifteen
// customers and both sellers, with a group and channels on the side, and checks the
// bot never panics, answers every private message and button, stays silent in the group
// and channels, sends Telegram nothing it refuses, and writes nothing it should not.
func TestChaos(t *testing.T) {
	t.Parallel()
	h, s1, s2, dress, bag := sellersShop(t, map[string]int{"S": 3, "M": 1, "L": 0, "bag": 2})
	group := h.fake.Group(-1009876543210, "Khách quen của Lan")
	elsewhere := h.fake.Channel(-1005550001111, "Someone else's channel", "elsewhere")
	lurker := h.fake.User(9999, "Lurker", "", "en") // writes in the group only

	langs := []string{"en", "vi", "ar", "fr", ""}
	names := []string{"Mai", "Ahmed 🌙", "محمد", "Lê Thị Hồng", "<b>Bob</b>", "Zoë & Co", "‮Eve"}
	var customers []*telegramtest.User
	for i := range 15 {
		customers = append(customers, h.user(int64(7100+i), names[i%len(names)], langs[i%len(langs)]))
	}
	var photos [][]byte
	for i := range 6 {
		photos = append(photos, photo(t, 10+i))
	}
	w := &chaosWorld{
		h: h, dress: dress, bag: bag, group: group, lurker: lurker, photos: photos,
		channels: []*telegramtest.Chat{h.channel, elsewhere},
		log:      newUpdateLog(h.logs),
	}
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := h.db.Get(&n, query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	weeksBefore, itemsBefore := count(`SELECT count(*) FROM weeks`), count(`SELECT count(*) FROM items`)

	seed := chaosSeed(t)
	start := time.Now()
	var wg sync.WaitGroup
	runs := make([]*chaosRun, 0, len(customers)+2)
	for i, u := range append(customers, s1, s2) {
		seller := u == s1 || u == s2
		actions := 24
		if seller {
			actions = 20
		}
		r := &chaosRun{w: w, u: u, seller: seller, rng: rand.New(rand.NewPCG(seed, uint64(i))), actions: actions}
		runs = append(runs, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run()
		}()
	}
	wg.Wait()
	w.log.stop()
	actions, updates := 0, 0
	for _, r := range runs {
		actions, updates = actions+r.done, updates+r.updates
	}
	t.Logf("%d actions, %d updates in %v", actions, updates, time.Since(start).Round(time.Millisecond))

	// Every private action was answered, with the documented exceptions.
	for _, r := range runs {
		for _, f := range r.failures {
			t.Errorf("%s (%d): %s", r.u.FirstName, r.u.ID, f)
		}
	}

	// A failed update is a bug.
	for _, f := range w.log.failures() {
		if f.warning {
			t.Logf("the bot warned: %s", f)
			continue
		}
		t.Errorf("the bot logged an error: %s", f)
	}
	defer func() {
		if t.Failed() || os.Getenv("CHAOS_TRACE") != "" {
			for _, r := range runs {
				t.Logf("%d did: %s", r.u.ID, strings.Join(r.trace, " · "))
			}
		}
	}()
	if strings.Contains(strings.ToLower(h.logs.String()), "panic") {
		t.Error("the bot panicked")
	}

	// Nobody was told to slow down or that something broke.
	var bad []string
	for _, lang := range []string{"en", "vi", "ar"} {
		bad = append(bad, h.text(lang, "error.slow_down"), h.text(lang, "error.internal"), h.text(lang, "error.unavailable"))
	}
	for _, r := range runs {
		for _, m := range r.u.Messages() {
			if slices.Contains(bad, plain(m.Body())) {
				t.Errorf("%d was told %q", r.u.ID, m.Body())
			}
		}
		for _, a := range r.u.CallbackAnswers() {
			if slices.Contains(bad, plain(a.Text)) {
				t.Errorf("%d was told %q on a button", r.u.ID, a.Text)
			}
		}
	}

	// Nothing was said in the group or a channel but the shop's own posts.
	if msgs := group.Messages(); len(msgs) > 0 {
		t.Errorf("the bot wrote in the group: %v", msgs)
	}
	if msgs := elsewhere.Messages(); len(msgs) > 0 {
		t.Errorf("the bot wrote in someone else's channel: %v", msgs)
	}
	for _, m := range h.channel.Messages() {
		if m.ReplyTo != 0 {
			t.Errorf("the bot answered a post in the shop's channel: %v", m)
		}
	}

	// Nothing was written but what sellers did on purpose.
	for _, table := range []string{"orders", "order_lines", "order_events", "receipts", "broadcasts"} {
		if n := count(`SELECT count(*) FROM ` + table); n != 0 {
			t.Errorf("%d rows in %s", n, table)
		}
	}
	// The outbox holds only what customers wrote to the shop, to both sellers, and the
	// sellers' answers, to the customer and the other seller: nobody else's words.
	if n := count(`SELECT count(*) FROM outbox WHERE kind NOT IN ('question', 'answer')`); n != 0 {
		t.Errorf("%d rows in outbox not of a message to or from the shop", n)
	}
	// Two recipients each, in one or two parts (a caption too long with its head).
	if n, m := count(`SELECT count(*) FROM outbox`), count(`SELECT count(*) FROM messages`); n < 2*m || n > 4*m {
		t.Errorf("%d rows in outbox for %d messages to or from the shop", n, m)
	} else if m > 0 && !slices.ContainsFunc(runs, func(r *chaosRun) bool {
		return slices.ContainsFunc(r.trace, func(a string) bool {
			return strings.Contains(a, `\fau|`) || strings.Contains(a, `\fm|ask`) || strings.Contains(a, `\fak|`) || strings.Contains(a, "/ask")
		})
	}) {
		t.Errorf("%d messages to or from the shop, and nobody asked to write to it", m)
	}
	if n := count(`SELECT count(*) FROM messages WHERE seller_id NOT IN ($1, $2)`, admin1, admin2); n != 0 {
		t.Errorf("%d answers from someone not a seller", n)
	}
	if n := count(`SELECT count(*) FROM weeks`); n > weeksBefore && !w.sellerMay("\fwk|0|next", "\fni|save") {
		t.Errorf("%d weeks, %d before, and no seller asked for one", n, weeksBefore)
	}
	if n := count(`SELECT count(*) FROM items`); n > itemsBefore && !w.sellerMay("\fni|save") {
		t.Errorf("%d items, %d before, and no seller saved one", n, itemsBefore)
	}
	if n := count(`SELECT count(*) FROM customers WHERE id <> ALL($1)`, peopleIDs(runs)); n != 0 {
		t.Errorf("%d customers who never wrote to the bot (the group's lurker?)", n)
	}
	if n := count(`SELECT count(*) FROM customers WHERE phone <> ''`); n != 0 {
		t.Errorf("%d phone numbers stored without an order", n)
	}
	if n := count(`SELECT (SELECT count(*) FROM shop_settings WHERE updated_by NOT IN ($1, $2))
		+ (SELECT count(*) FROM schedule_rule WHERE updated_by NOT IN ($1, $2))`, admin1, admin2); n != 0 {
		t.Errorf("%d settings changed by someone not a seller", n)
	}

	// Nor anything absurd kept in a conversation: carts hold sane quantities.
	ctx := context.Background()
	for _, r := range runs {
		raw, err := h.rdb.Get(ctx, h.prefix+"session:"+strconv.FormatInt(r.u.ID, 10)).Bytes()
		if err != nil {
			continue // no session left: nothing kept
		}
		var s struct {
			Cart []struct {
				Item     int64 `json:"item"`
				Variant  int64 `json:"variant"`
				Quantity int   `json:"qty"`
			} `json:"cart"`
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("session of %d: %v", r.u.ID, err)
			continue
		}
		for _, l := range s.Cart {
			if l.Quantity < 1 || l.Quantity > 999 {
				t.Errorf("the cart of %d holds %d of variant %d", r.u.ID, l.Quantity, l.Variant)
			}
		}
	}

	var errs []telegramtest.ErrorAnswer
	for _, e := range h.fake.Errors() {
		switch {
		case e.Method == "editMessageText" && e.Code == 400 && uneditable(e.Description):
			// A press on a message the bot cannot edit: it sends a new one instead
			// (handlers.editOrSend).
			continue
		case strings.HasPrefix(e.Method, "editMessage") && e.Code == 400 && strings.Contains(e.Description, "message is not modified"):
			// A button pressed twice (the cart's "empty" on an empty cart): the bot
			// expects this answer and ignores it (handlers.notModified).
			continue
		}
		errs = append(errs, e)
	}
	noErrorsIn(t, errs)
}

// uneditable matches Telegram refusing to edit a message that is gone or is a photo.
func uneditable(err string) bool {
	return strings.Contains(err, "message to edit not found") || strings.Contains(err, "there is no text in the message to edit")
}

// noErrorsIn is noErrors over a list the test has filtered already.
func noErrorsIn(t *testing.T, errs []telegramtest.ErrorAnswer) {
	t.Helper()
	for _, e := range errs {
		if copyEditedTwice(e) || e.ChatID == 0 && e.Code == 400 && strings.Contains(e.Description, "chat not found") ||
			e.Method == "getUpdates" && e.Code == 409 && strings.Contains(e.Description, "terminated by other getUpdates") {
			continue
		}
		t.Errorf("the fake answered an error: %+v", e)
	}
}

// chaosWorld is what every person's random walk shares.
type chaosWorld struct {
	h        *harness
	dress    catalog.Item
	bag      catalog.Item
	group    *telegramtest.Chat
	channels []*telegramtest.Chat
	lurker   *telegramtest.User
	photos   [][]byte
	log      *updateLog

	mu          sync.Mutex
	sellerPress []string // callback data sellers sent
}

func (w *chaosWorld) sellerPressed(data string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sellerPress = append(w.sellerPress, data)
}

// sellerMay reports whether a seller sent any of these callback data.
func (w *chaosWorld) sellerMay(data ...string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.sellerPress {
		if slices.Contains(data, d) {
			return true
		}
	}
	return false
}

func peopleIDs(runs []*chaosRun) any {
	ids := make([]int64, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.u.ID)
	}
	return pq.Array(ids)
}

// chaosRun is one person's random walk: an action, then a wait until the bot has handled
// it, then a look at whether it answered.
type chaosRun struct {
	w       *chaosWorld
	u       *telegramtest.User
	seller  bool
	rng     *rand.Rand
	actions int

	done, updates int
	texts         []int // ids of the person's own text messages, which can be edited
	failures      []string
	trace         []string // every action, in order, for a failure's report
}

func (r *chaosRun) run() {
	for r.done < r.actions && r.updates < chaosUpdatesPerPerson {
		r.done++
		r.step()
	}
}

// chatState is what an answer changes in a private chat.
type chatState struct{ messages, edits, answers int }

func (r *chaosRun) state() chatState {
	var s chatState
	for _, m := range r.u.Messages() {
		s.messages++
		s.edits += m.Edits
		if m.Deleted {
			s.edits++
		}
	}
	s.answers = len(r.u.CallbackAnswers())
	return s
}

func (r *chaosRun) fail(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// private sends updates to the bot in the person's chat and checks they were answered.
func (r *chaosRun) private(what string, send func() []telegramtest.Sent) {
	before := r.state()
	sent := send()
	r.updates += len(sent)
	r.trace = append(r.trace, what)
	for _, s := range sent {
		r.w.log.sent(s.UpdateID, what)
	}
	for _, s := range sent {
		if !r.w.log.wait(s.UpdateID, 20*time.Second) {
			r.fail("%s: update %d not handled within 20s", what, s.UpdateID)
			return
		}
	}
	after := r.state()
	if len(sent) == 1 && sent[0].CallbackID != "" {
		for _, a := range r.u.CallbackAnswers() {
			if a.QueryID == sent[0].CallbackID {
				return
			}
		}
		// Telegram shows a spinner on the button until the query is answered.
		r.fail("%s: the button press got no callback answer (chat %+v → %+v)", what, before, after)
		return
	}
	if after.messages == before.messages && after.edits == before.edits {
		r.fail("%s: no answer", what)
	}
}

func (r *chaosRun) pick(list []string) string { return list[r.rng.IntN(len(list))] }

func (r *chaosRun) step() {
	n := r.rng.IntN(100)
	switch {
	case n < 22:
		text := r.text()
		r.private(fmt.Sprintf("text %.60q", text), func() []telegramtest.Sent {
			s := r.u.SendText(text)
			r.texts = append(r.texts, s.MessageID)
			return []telegramtest.Sent{s}
		})
	case n < 55:
		r.pressExisting()
	case n < 67:
		r.pressForged()
	case n < 75:
		switch r.rng.IntN(3) {
		case 0:
			r.private("sticker", func() []telegramtest.Sent { return []telegramtest.Sent{r.u.SendSticker()} })
		case 1:
			lat, lon := r.rng.Float64()*180-90, r.rng.Float64()*360-180
			r.private(fmt.Sprintf("location %.3f,%.3f", lat, lon), func() []telegramtest.Sent { return []telegramtest.Sent{r.u.SendLocation(lat, lon)} })
		default:
			r.private("voice", func() []telegramtest.Sent { return []telegramtest.Sent{r.u.SendVoice()} })
		}
	case n < 80:
		phone := r.pick([]string{
			"+84912" + fmt.Sprintf("%06d", r.u.ID%1000000), // their own
			"+1 202-555-0143", // someone else's
			"0912 345 678", "not a phone", "+", "٠١٠٠١٢٣٤٥٦٧",
		})
		r.private(fmt.Sprintf("contact %q", phone), func() []telegramtest.Sent { return []telegramtest.Sent{r.u.SendContact(phone)} })
	case n < 90:
		r.media()
	case n < 95:
		if len(r.texts) == 0 {
			r.done--
			return
		}
		id := r.texts[r.rng.IntN(len(r.texts))]
		text := r.text()
		// An edit is answered: the bot reads new messages only, and says so.
		r.private(fmt.Sprintf("edit %.60q", text), func() []telegramtest.Sent {
			return []telegramtest.Sent{r.u.EditText(id, text)}
		})
	case n < 98:
		from := r.u
		if r.rng.IntN(3) == 0 {
			from = r.w.lurker
		}
		text := r.text()
		r.updates++
		s := r.w.group.SendText(from, text)
		if !r.w.log.wait(s.UpdateID, 20*time.Second) {
			r.fail("group text %.40q: not handled within 20s", text)
		}
	default:
		// The bot does not ask for channel posts; they must not reach it.
		r.w.channels[r.rng.IntN(len(r.w.channels))].Post(r.text())
	}
}

var chaosNumberRe = regexp.MustCompile(`-?[0-9]+`)

func (r *chaosRun) text() string {
	dress, bag := r.w.dress, r.w.bag
	texts := []string{
		// Blank to the eye.
		"\u200b", "\u2800", "\u3164", " . ", "\u200f\u200e", "\ufeff",
		// As long as Telegram allows: 4096 UTF-16 units.
		strings.Repeat("a", 4096), strings.Repeat("😀", 2048), strings.Repeat("ش", 4096),
		strings.Repeat("Đặt hàng ", 455) + "x",
		"Xin chào 👋🏽 👨‍👩‍👧", "مرحبا، أريد فستانًا مقاس M", "\u202eevil\u202c", "שלום",
		"<b>&</b>", `<a href="javascript:alert(1)">x</a>`, "&amp;&lt;&#0;", "<i>unclosed", "{{.Name}}", "%s %d %n",
		"' OR 1=1 --", "null", "\x00\x01\x1b[31m", "3", "٣", "-1", "0", "99999999999999999999", "x3", "1e9",
		"Mon 10:00 - Thu 18:00", "150.000đ", "S:3, M:2", "off", "yes",
		// Commands, with odd arguments.
		"/start", "/start ../../etc", "/start i_zzzz", "/start i_", "/start " + catalog.ItemPayload(dress.ID),
		"/start " + catalog.ItemPayload(bag.ID), "/start " + catalog.ItemPayload(99999999), "/start " + strings.Repeat("x", 64),
		"/start@" + r.w.h.fake.BotUser().Username, "/START", "/start\u00a0i_1", "/catalog", "/catalog 2", "/cart", "/orders",
		"/orders all", "/help", "/language", "/language xx", "/cancel", "/frobnicate", "/order", "/order ZZZZ", "/order 1",
		"/find %", "/find _", "/find", "/find " + strings.Repeat("%", 200), "/export 2026-13-45", "/export 2026-03-01 2026-01-01",
		"/export 01/02/2026", "/export a b c", "/stats", "/purchases", "/items", "/week", "/schedule", "/schedule off",
		"/setpayment", "/setpickup", "/newitem", "/broadcast",
	}
	if r.seller && r.rng.IntN(3) == 0 {
		// Sellers' own commands more often, and /export and /backup now and then.
		return r.pick([]string{"/newitem", "/items", "/week", "/schedule", "/order", "/find %", "/purchases", "/stats",
			"/broadcast", "/setpayment", "/setpickup", "/export", "/export 2026-13-45", "/backup", "/cancel"})
	}
	return r.pick(texts)
}

// pressExisting presses a random button the bot showed the person.
func (r *chaosRun) pressExisting() {
	type target struct {
		msg  int
		data string
	}
	var targets, newest []target
	for _, m := range r.u.Messages() {
		if m.Deleted {
			continue
		}
		var here []target
		for _, b := range m.Buttons() {
			if b.Data != "" && !r.forbidden(b.Data) {
				here = append(here, target{m.ID, b.Data})
			}
		}
		if len(here) > 0 {
			newest = here
		}
		targets = append(targets, here...)
	}
	if len(targets) == 0 {
		r.pressForged()
		return
	}
	// Mostly the newest buttons, and rather not the main menu that comes with many
	// answers, so the walk gets deep into conversations.
	if r.rng.IntN(10) < 7 {
		targets = newest
	}
	var deeper []target
	for _, tg := range targets {
		if !strings.HasPrefix(tg.data, "\fm|") {
			deeper = append(deeper, tg)
		}
	}
	if len(deeper) > 0 && r.rng.IntN(10) < 8 {
		targets = deeper
	}
	tg := targets[r.rng.IntN(len(targets))]
	r.press(fmt.Sprintf("button %q", tg.data), tg.msg, tg.data)
}

// forbidden are the buttons this test leaves alone: confirming an order (no checkout is
// scripted, so none is placed) and a seller's broadcast going out to every customer.
func (r *chaosRun) forbidden(data string) bool {
	return strings.HasPrefix(data, "\fco|confirm") || r.seller && strings.HasPrefix(data, "\fbc|send")
}

// pressForged sends callback data no button carries: random bytes, or a button's data
// with its numbers changed or its family swapped.
func (r *chaosRun) pressForged() {
	msgs := r.u.Messages()
	msg := 999999 // a message the bot cannot see
	if len(msgs) > 0 && r.rng.IntN(5) > 0 {
		msg = msgs[r.rng.IntN(len(msgs))].ID
	}
	var data string
	switch r.rng.IntN(3) {
	case 0:
		b := make([]byte, 1+r.rng.IntN(64))
		for i := range b {
			b[i] = byte(r.rng.IntN(256))
		}
		if r.rng.IntN(2) == 0 {
			b[0] = '\f'
		}
		data = string(b)
	case 1:
		var own []string
		for _, m := range msgs {
			for _, b := range m.Buttons() {
				if b.Data != "" {
					own = append(own, b.Data)
				}
			}
		}
		if len(own) == 0 {
			own = []string{"\fm|browse"}
		}
		data = r.pick(own)
		odd := r.pick([]string{"0", "-1", "1000000", "9223372036854775807", "9223372036854775808", "1.5", "", "x"})
		data = chaosNumberRe.ReplaceAllStringFunc(data, func(s string) string {
			if r.rng.IntN(2) == 0 {
				return odd
			}
			return s
		})
		if r.rng.IntN(4) == 0 {
			data += "|" + odd
		}
	default:
		d, b := r.w.dress, r.w.bag
		data = "\f" + r.pick([]string{
			fmt.Sprintf("v|%d|%d", d.ID, b.Variants[0].ID), fmt.Sprintf("v|%d|%d", b.ID, d.Variants[2].ID),
			fmt.Sprintf("q|%d|0", d.Variants[0].ID), fmt.Sprintf("q|%d|1000000", b.Variants[0].ID),
			fmt.Sprintf("ct|inc|%d", d.Variants[1].ID), "ct|rm|99999", "ct|empty", fmt.Sprintf("br|%d", b.ID), "br|99999999",
			fmt.Sprintf("ph|%d", d.ID), "od|1", "ox|1", "oy|1", "rc|1", "oa|1|paid", "oa|1|paid!", "oa|x|nosuch", "ao|1",
			"al|paid|0", "al|x|-5", "il|1|99999", fmt.Sprintf("ia|%d|price", d.ID), fmt.Sprintf("ia|%d|v%d", d.ID, b.Variants[0].ID),
			"wk|99999|close", "wk|x|pub", "ni|save", "ni|f:nosuch", "bc|cancel", "m|nosuch", "lang|xx", "lang|ar",
			"co|confirm|deadbeefdeadbeef", "co|skip", "co|ship", "co|last", "", "|", "v", "v|", "v||", "q|1|2|3",
		})
	}
	if r.forbidden(data) {
		data = "\fm|nosuch"
	}
	r.press(fmt.Sprintf("forged %q on #%d", data, msg), msg, data)
}

func (r *chaosRun) press(what string, msg int, data string) {
	if r.seller {
		r.w.sellerPressed(data)
	}
	r.private(what, func() []telegramtest.Sent { return []telegramtest.Sent{r.u.PressData(msg, data)} })
}

func (r *chaosRun) media() {
	w := r.w
	caption := ""
	if r.rng.IntN(3) == 0 {
		caption = r.pick([]string{"receipt", "<b>&</b>", strings.Repeat("é", 1024), "CK 150.000đ 🙏"})
	}
	switch r.rng.IntN(5) {
	case 0:
		ph := w.photos[r.rng.IntN(len(w.photos))]
		r.private("photo", func() []telegramtest.Sent { return []telegramtest.Sent{r.u.SendPhoto(ph, caption)} })
	case 1:
		n := 2 + r.rng.IntN(3)
		if r.updates+n > chaosUpdatesPerPerson {
			n = 2
		}
		album := w.photos[:n]
		// The album's other photos may share the first one's answer: they are checked
		// together.
		r.private(fmt.Sprintf("album of %d", n), func() []telegramtest.Sent { return r.u.SendAlbum(album, caption) })
	default:
		docs := []struct{ name, mime, data string }{
			{"receipt.pdf", "application/pdf", "%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"},
			{"photos.zip", "application/zip", "PK\x05\x06" + strings.Repeat("\x00", 18)},
			{strings.Repeat("rất-dài-tên-tệp-", 14) + ".jpg", "image/jpeg", string(w.photos[0])},
			{"../../etc/passwd", "text/plain", "root:x:0:0:root:/root:/bin/sh\n"},
			{"fake.jpg", "image/jpeg", "this is not a JPEG"},
			{"noext", "application/octet-stream", "\x00\x01\x02"},
		}
		d := docs[r.rng.IntN(len(docs))]
		r.private(fmt.Sprintf("document %.40q", d.name), func() []telegramtest.Sent {
			return []telegramtest.Sent{r.u.SendDocument(d.name, d.mime, []byte(d.data), caption)}
		})
	}
}

// updateLog follows the bot's log for the line it writes once an update is handled.
type updateLog struct {
	logs *syncBuffer
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex
	handled map[int]bool
	failed  []updateFailure
	actions map[int]string // what each update was, for the failures
}

// updateFailure is an error or warning the bot logged, with the update it was about
// (id 0 for none).
type updateFailure struct {
	id      int
	userID  int64
	err     string
	what    string
	warning bool
}

func (f updateFailure) String() string {
	return fmt.Sprintf("update %d of %d (%s): %s", f.id, f.userID, f.what, f.err)
}

func (l *updateLog) sent(id int, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.actions[id] = what
}

// failures lists the updates whose handling failed, with what they were.
func (l *updateLog) failures() []updateFailure {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]updateFailure, 0, len(l.failed))
	for _, f := range l.failed {
		f.what = l.actions[f.id]
		out = append(out, f)
	}
	return out
}

func newUpdateLog(logs *syncBuffer) *updateLog {
	l := &updateLog{logs: logs, quit: make(chan struct{}), done: make(chan struct{}), handled: map[int]bool{}, actions: map[int]string{}}
	go l.follow()
	return l
}

func (l *updateLog) follow() {
	defer close(l.done)
	read := 0
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s := l.logs.String()
		var ids []int
		var failed []updateFailure
		for {
			i := strings.IndexByte(s[read:], '\n')
			if i < 0 {
				break
			}
			var e struct {
				Level    string `json:"level"`
				Msg      string `json:"msg"`
				UpdateID int    `json:"update_id"`
				UserID   int64  `json:"user_id"`
				Err      string `json:"err"`
			}
			if json.Unmarshal([]byte(s[read:read+i]), &e) == nil {
				switch {
				case e.Msg == "update":
					ids = append(ids, e.UpdateID)
				case e.Level == "ERROR" || e.Level == "WARN":
					failed = append(failed, updateFailure{id: e.UpdateID, userID: e.UserID, err: e.Msg + ": " + e.Err, warning: e.Level == "WARN"})
				}
			}
			read += i + 1
		}
		l.mu.Lock()
		for _, id := range ids {
			l.handled[id] = true
		}
		l.failed = append(l.failed, failed...)
		l.mu.Unlock()
		select {
		case <-l.quit:
			return
		case <-tick.C:
		}
	}
}

func (l *updateLog) stop() {
	close(l.quit)
	<-l.done
}

// wait reports whether update id was handled within d.
func (l *updateLog) wait(id int, d time.Duration) bool {
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		l.mu.Lock()
		ok := l.handled[id]
		l.mu.Unlock()
		if ok {
			return true
		}
	}
	return false
}
