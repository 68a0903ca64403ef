package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
)

// photo makes a small JPEG, different for each seed.
func photo(t *testing.T, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		for y := 0; y < 30; y++ {
			img.Set(x, y, color.RGBA{uint8(seed * 40), uint8(x * 6), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (h *harness) catalog() *catalog.Store { return catalog.NewStore(h.db) }

// replyTo does something as u and returns the bot's first message after it.
func replyTo(t *testing.T, u *telegramtest.User, do func()) telegramtest.Message {
	t.Helper()
	from := lastID(u)
	do()
	return u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from })
}

// itemCard opens, through /items, a seller's card of the nth item of the week seedWeek made.
func itemCard(t *testing.T, seller *telegramtest.User, n int) telegramtest.Message {
	t.Helper()
	seller.SendText("/items")
	list := seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Tuần 10 (") })
	seller.Press(t, list, strconv.Itoa(n))
	return seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Photo != nil })
}

// newPhotosFor has a Vietnamese-speaking seller send new photos for the item of a card,
// one message each or, several, as an album, and returns the count that offers Done.
func newPhotosFor(t *testing.T, h *harness, seller *telegramtest.User, card telegramtest.Message, photos ...[]byte) telegramtest.Message {
	t.Helper()
	replyTo(t, seller, func() { seller.Press(t, card, h.text("vi", "items.photos_button")) })
	if len(photos) == 1 {
		seller.SendPhoto(photos[0], "")
	} else {
		seller.SendAlbum(photos, "")
	}
	return seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == plain(h.texts.N("vi", "newitem.photos_count", len(photos)))
	})
}

// publishedWeek is seedWeek published by its seller, with /week and Publish now.
func (h *harness) publishedWeek(t *testing.T, n int) (catalog.Week, []catalog.Item, *telegramtest.User) {
	t.Helper()
	w, items := h.seedWeek(t, n)
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/week")
	seller.Press(t, seller.Next(t), h.text("vi", "week.publish_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })
	return w, items, seller
}

// seedWeek stores a week being prepared with n items: every third one has three photos.
func (h *harness) seedWeek(t *testing.T, n int) (catalog.Week, []catalog.Item) {
	t.Helper()
	ctx := context.Background()
	w, err := h.catalog().CreateWeek(ctx, "Tuần 10", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var items []catalog.Item
	for i := range n {
		photos := []catalog.NewPhoto{{Data: photo(t, i), MIME: "image/jpeg"}}
		if i%3 == 2 {
			photos = append(photos, catalog.NewPhoto{Data: photo(t, i+50), MIME: "image/jpeg"}, catalog.NewPhoto{Data: photo(t, i+90), MIME: "image/jpeg"})
		}
		it, err := h.catalog().CreateItem(ctx, w.ID, catalog.NewItem{
			Title: fmt.Sprintf("Áo %d", i+1), Description: "Cotton 100%", Price: int64(100000 + i*1000), Currency: "VND",
			Photos:   photos,
			Variants: []catalog.VariantSpec{{Name: "S", Stock: 2}, {Name: "M", Stock: 0}, {Name: "L", Stock: 5}},
		})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, it)
	}
	return w, items
}

func TestSellerAddsAnItemFromAnAlbum(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withEnv("SHOP_CURRENCY", "VND"))
	h.start()
	seller := h.user(admin1, "Lan", "vi")

	seller.SendText("/newitem")
	if m := seller.Next(t); !strings.HasPrefix(m.Text, h.text("vi", "newitem.photos_prompt")[:10]) {
		t.Fatalf("prompt %q", m.Text)
	}
	photos := [][]byte{photo(t, 1), photo(t, 2), photo(t, 3)}
	seller.SendAlbum(photos, "")
	progress := seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == plain(h.texts.N("vi", "newitem.photos_count", 3))
	})
	seller.Press(t, progress, h.text("vi", "newitem.done_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Tên sản phẩm") })

	seller.SendText("Áo sơ mi lụa")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "VND") })
	seller.SendText("1.500")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, "Mô tả ngắn") })
	seller.SendText("-5") // a description like any other text here
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Các size") })
	seller.SendText("S:2, M:0, L:5")
	preview := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "newitem.preview") })
	msgs := seller.Messages()
	var album []telegramtest.Message
	var buttonMsg telegramtest.Message
	for _, m := range msgs {
		if m.FromBot && m.MediaGroupID != "" {
			album = append(album, m)
		}
		if m.FromBot && strings.HasPrefix(m.Text, "👆") {
			buttonMsg = m
		}
	}
	if len(album) != 3 {
		t.Fatalf("preview album has %d photos", len(album))
	}
	wantPrice := money.Format(1500, "VND")
	if !strings.Contains(album[0].Caption, "Áo sơ mi lụa") || !strings.Contains(album[0].Caption, wantPrice) ||
		!strings.Contains(album[0].Caption, "S, L") || !strings.Contains(album[0].Caption, "Sold out: M") {
		t.Errorf("preview caption %q", album[0].Caption)
	}
	if bs := buttonMsg.Buttons(); len(bs) != 1 || bs[0].Text != h.text("en", "post.order_button") || !strings.HasPrefix(bs[0].URL, "https://t.me/") {
		t.Errorf("preview button message %v", buttonMsg)
	}
	seller.Press(t, preview, h.text("vi", "newitem.save_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Đã lưu vào") })

	var items []catalog.Item
	w, err := h.catalog().UpcomingWeek(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if items, err = h.catalog().Items(context.Background(), w.ID, true); err != nil || len(items) != 1 {
		t.Fatalf("items %v, %v", items, err)
	}
	it := items[0]
	if it.Title != "Áo sơ mi lụa" || it.Price != 1500 || it.Currency != "VND" || it.Description != "-5" {
		t.Errorf("stored item %+v", it)
	}
	if len(it.Photos) != 3 {
		t.Fatalf("stored %d photos", len(it.Photos))
	}
	for i, p := range it.Photos {
		data, err := h.catalog().PhotoData(context.Background(), p.ID)
		if err != nil || !bytes.Equal(data, photos[i]) {
			t.Errorf("photo %d: %d bytes stored, %d sent, %v", i+1, len(data), len(photos[i]), err)
		}
	}
	got := ""
	for _, v := range it.Variants {
		got += fmt.Sprintf("%s:%d ", v.Name, *v.Stock)
	}
	if got != "S:2 M:0 L:5 " {
		t.Errorf("variants %q", got)
	}
	noErrors(t, h)
}

func TestCustomersCannotManageTheCatalog(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(1))
	h.start()
	w, items := h.seedWeek(t, 2)
	u := h.user(2001, "Omar", "ar")

	for _, cmd := range []string{"/newitem", "/items", "/week", "/schedule"} {
		u.SendText(cmd)
		if m := u.Next(t); m.Text != h.text("ar", "admin.only") {
			t.Errorf("%s: %q", cmd, m.Text)
		}
	}
	u.SendText("/start")
	menu := u.Next(t)
	forged := []string{
		fmt.Sprintf("\fia|%d|del!", items[0].ID),
		fmt.Sprintf("\fia|%d|hide", items[1].ID),
		fmt.Sprintf("\fwk|%d|pub", w.ID),
		fmt.Sprintf("\fwk|%d|close", w.ID),
		"\fni|save",
	}
	for _, data := range forged {
		u.PressData(menu.ID, data)
	}
	for _, a := range waitAnswers(t, u, len(forged)) {
		if a.Text != h.text("ar", "admin.only") {
			t.Errorf("forged button answered %q", a.Text)
		}
	}
	after, err := h.catalog().Items(context.Background(), w.ID, true)
	if err != nil || len(after) != 2 || after[1].Hidden {
		t.Errorf("items after forged buttons: %+v, %v", after, err)
	}
	if w2, _ := h.catalog().Week(context.Background(), w.ID); w2.Status != catalog.Draft {
		t.Errorf("week status %s", w2.Status)
	}
	if n := len(h.channel.Messages()); n != 0 {
		t.Errorf("%d channel posts", n)
	}
}

// channelPosts groups the channel's messages by item title: the photo or album with its
// caption, and the message carrying the Order button.
type channelPost struct {
	photos []telegramtest.Message
	button telegramtest.Message
}

func postsByTitle(msgs []telegramtest.Message) (header []telegramtest.Message, posts map[string]*channelPost) {
	posts = map[string]*channelPost{}
	var last *channelPost
	for _, m := range msgs {
		switch {
		case m.Photo != nil && m.Caption != "":
			title := strings.SplitN(m.Caption, "\n", 2)[0]
			p := posts[title]
			if p == nil {
				p = &channelPost{}
				posts[title] = p
			}
			p.photos = append(p.photos, m)
			if m.MediaGroupID == "" {
				p.button = m
			}
			last = p
		case m.Photo != nil && last != nil:
			last.photos = append(last.photos, m)
		case strings.HasPrefix(m.Text, "👆") && last != nil:
			last.button = m
		default:
			header = append(header, m)
		}
	}
	return header, posts
}

func TestPublishingAWeekToTheChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60), withEnv("SHOP_CURRENCY", "VND"))
	h.start()
	_, items := h.seedWeek(t, 12)
	seller := h.user(admin1, "Lan", "vi")

	seller.SendText("/week")
	card := seller.Next(t)
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })

	header, posts := postsByTitle(h.channel.Messages())
	if len(header) != 1 || !strings.HasPrefix(header[0].Text, "Tuần 10\n12 items") {
		t.Errorf("header %v", header)
	}
	if len(posts) != 12 {
		t.Fatalf("%d item posts, want 12", len(posts))
	}
	for i, it := range items {
		p := posts[it.Title]
		if p == nil {
			t.Fatalf("no post for %s", it.Title)
		}
		if len(p.photos) != len(it.Photos) {
			t.Errorf("%s: %d photos posted, has %d", it.Title, len(p.photos), len(it.Photos))
		}
		if !strings.Contains(p.photos[0].Caption, money.Format(it.Price, "VND")) {
			t.Errorf("%s: caption %q", it.Title, p.photos[0].Caption)
		}
		bs := p.button.Buttons()
		if len(bs) != 1 {
			t.Fatalf("%s: buttons %v", it.Title, bs)
		}
		// The Order button opens the item's card in a private chat.
		link, err := url.Parse(bs[0].URL)
		if err != nil || link.Host != "t.me" || link.Path != "/shopbot_test_bot" {
			t.Fatalf("%s: order link %q", it.Title, bs[0].URL)
		}
		payload := link.Query().Get("start")
		if len(payload) > 64 || strings.Trim(payload, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") != "" {
			t.Errorf("payload %q", payload)
		}
		if i%4 == 0 {
			u := h.user(int64(3000+i), "Khách", "vi")
			u.SendText("/start " + payload)
			m := u.Next(t)
			if m.Photo == nil || !strings.HasPrefix(m.Caption, it.Title+"\n") {
				t.Errorf("%s: deep link opened %v", it.Title, m)
			}
		}
	}
	if n := h.fake.TooMany(); n != 0 {
		t.Errorf("the fake answered 429 %d times", n)
	}
	var rows int
	h.db.Get(&rows, `SELECT count(*) FROM channel_posts`)
	if rows != 13 {
		t.Errorf("%d channel_posts rows", rows)
	}
	noErrors(t, h)
}

func TestPublishingResumesAfterARestartWithoutDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(15))
	r := h.start()
	w, items := h.seedWeek(t, 12)
	if _, err := h.catalog().StartPublishing(context.Background(), w.ID, time.Now(), time.Now().Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Stop the bot (SIGTERM) once a few posts are out.
	h.channel.WaitFor(t, func(m telegramtest.Message) bool { return len(h.channel.Messages()) >= 5 })
	r.stop(t)
	stoppedAt := len(h.channel.Messages())
	if stoppedAt >= 12+1 {
		t.Fatalf("publication finished before the stop (%d messages)", stoppedAt)
	}
	h.start()
	deadline := time.Now().Add(30 * time.Second)
	for {
		w, _ = h.catalog().Week(context.Background(), w.ID)
		if w.Status == catalog.Published || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if w.Status != catalog.Published {
		t.Fatalf("week %s after restart", w.Status)
	}
	header, posts := postsByTitle(h.channel.Messages())
	if len(header) != 1 || len(posts) != 12 {
		t.Fatalf("%d headers and %d item posts", len(header), len(posts))
	}
	for _, it := range items {
		if p := posts[it.Title]; len(p.photos) != len(it.Photos) {
			t.Errorf("%s posted with %d photos (%d expected): posted twice?", it.Title, len(p.photos), len(it.Photos))
		}
	}
	noErrors(t, h)
}

func TestScheduledPublicationFiresOnceWithTwoProcesses(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	// Sunday 23:00 local: the rule publishes Monday 10:00 and closes Thursday 18:00.
	clock.Set(time.Date(2026, 3, 1, 23, 0, 0, 0, loc))
	h := newHarness(t, withChannel(60), withClock(clock), withEnv("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"))
	h.webhooks()
	h.start()
	h.start() // a second process on the same Postgres, Redis and token
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/schedule")
	seller.Next(t)
	seller.SendText("Mon 10:00 - Thu 18:00")
	if m := seller.Next(t); !strings.Contains(m.Text, "T2 10:00") || !strings.Contains(m.Text, "T5 18:00") {
		t.Fatalf("rule saved: %q", m.Text)
	}
	// The rule starts the week being prepared, scheduled.
	var w catalog.Week
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		w, err = h.catalog().UpcomingWeek(context.Background())
		if err == nil && w.Status == catalog.Scheduled || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if w.Status != catalog.Scheduled || !w.PublishAt.Equal(time.Date(2026, 3, 2, 10, 0, 0, 0, loc)) ||
		!w.ClosesAt.Equal(time.Date(2026, 3, 5, 18, 0, 0, 0, loc)) {
		t.Fatalf("week by rule: %+v", w)
	}
	for i := range 3 {
		_, err := h.catalog().CreateItem(context.Background(), w.ID, catalog.NewItem{Title: fmt.Sprintf("Bag %d", i), Price: 25000, Currency: "USD",
			Photos: []catalog.NewPhoto{{Data: photo(t, i), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: 3}}})
		if err != nil {
			t.Fatal(err)
		}
	}

	time.Sleep(300 * time.Millisecond) // several ticks of both processes: too early, nothing posts
	if n := len(h.channel.Messages()); n != 0 {
		t.Fatalf("%d posts before the publication time", n)
	}
	clock.Set(time.Date(2026, 3, 2, 10, 0, 1, 0, loc))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })
	time.Sleep(300 * time.Millisecond) // and several more: nothing posts twice
	header, posts := postsByTitle(h.channel.Messages())
	if len(header) != 1 || len(posts) != 3 {
		t.Errorf("%d headers, %d item posts", len(header), len(posts))
	}
	for title, p := range posts {
		if len(p.photos) != 1 {
			t.Errorf("%s posted %d times", title, len(p.photos))
		}
	}
	if progress := countStarting(seller.Messages(), "✅"); progress != 1 {
		t.Errorf("the seller got %d publication notices", progress)
	}
	// The week after is scheduled by the rule.
	next, err := h.catalog().UpcomingWeek(context.Background())
	for i := 0; err != nil && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
		next, err = h.catalog().UpcomingWeek(context.Background())
	}
	if err != nil || !next.PublishAt.Equal(time.Date(2026, 3, 9, 10, 0, 0, 0, loc)) {
		t.Errorf("next week %+v, %v", next, err)
	}
	noErrors(t, h)
}

func TestPostsFollowStockAndTheCutOff(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.start()
	w, items, seller := h.publishedWeek(t, 3)

	// The seller sells the last S of the first item: the post says so.
	card := itemCard(t, seller, 1)
	seller.Press(t, card, h.text("vi", "items.stock_button"))
	which := seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Sửa tồn kho") })
	seller.Press(t, which, "S: 2")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Hiện còn bao nhiêu S") })
	seller.SendText("0")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "items.saved") })
	first := items[0]
	post := h.channel.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Photo != nil && strings.HasPrefix(m.Caption, first.Title) && strings.Contains(m.Caption, "Sold out: S, M")
	})
	if len(post.Buttons()) != 1 {
		t.Errorf("a post with L in stock lost its button: %v", post)
	}
	// The last size too: sold out, no Order button.
	if err := h.catalog().SetStock(context.Background(), first.Variants[2].ID, intPtr(0)); err != nil {
		t.Fatal(err)
	}
	seller.SendText("/week") // any update; the scheduler's tick picks the change up as well
	post = h.channel.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID == post.ID && strings.Contains(m.Caption, plain(h.texts.T("en", "post.sold_out")))
	})
	if len(post.Buttons()) != 0 {
		t.Errorf("a sold-out post keeps its Order button: %v", post)
	}

	// Closing the week edits every post and the header; the Order links say it is closed.
	week := seller.WaitFor(t, func(m telegramtest.Message) bool {
		return strings.HasPrefix(m.Text, "📅") && strings.Contains(m.Text, h.text("vi", "status.published"))
	})
	seller.Press(t, week, h.text("vi", "week.close_button"))
	closed := plain(h.texts.T("en", "post.closed"))
	h.channel.WaitFor(t, func(m telegramtest.Message) bool {
		for _, m := range h.channel.Messages() {
			if !strings.Contains(m.Body(), closed) && (m.Caption != "" || strings.HasPrefix(m.Text, "👆") || strings.HasPrefix(m.Text, "Tuần")) {
				return false
			}
		}
		return true
	})
	for _, m := range h.channel.Messages() {
		if len(m.Buttons()) != 0 {
			t.Errorf("a post of a closed week keeps a button: %v", m)
		}
	}
	u := h.user(4001, "Mai", "vi")
	u.SendText("/start " + catalog.ItemPayload(items[1].ID))
	if m := u.Next(t); !strings.Contains(m.Caption, plain(h.texts.T("vi", "post.closed"))) {
		t.Errorf("card of a closed week: %v", m)
	}
	u.SendText("/catalog")
	if m := u.Next(t); m.Text != h.text("vi", "catalog.closed", locale.Args{"Title": w.Title}) {
		t.Errorf("catalog of a closed week: %q", m.Text)
	}
	if n := h.fake.TooMany(); n != 0 {
		t.Errorf("%d 429 answers", n)
	}
	noErrors(t, h)
}

func intPtr(n int) *int { return &n }

func TestSellerReplacesThePhotosOfAnItemNotPostedYet(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	_, items := h.seedWeek(t, 1)
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 1)
	fresh := [][]byte{photo(t, 61), photo(t, 62)}
	progress := newPhotosFor(t, h, seller, card, fresh...)
	seller.Press(t, progress, h.text("vi", "newitem.done_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "items.saved") })
	it, err := h.catalog().Item(context.Background(), items[0].ID)
	if err != nil || len(it.Photos) != 2 {
		t.Fatalf("photos after replacing: %v, %v", it.Photos, err)
	}
	for i, p := range it.Photos {
		if data, _ := h.catalog().PhotoData(context.Background(), p.ID); !bytes.Equal(data, fresh[i]) {
			t.Errorf("photo %d is not the new one", i+1)
		}
	}
	noErrors(t, h)
}

// Replacing an item's sizes asks for them as /newitem does, without a button it does not
// show: the word it names is what works.
func TestSellerReplacesSizesWithUnlimited(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	_, items := h.seedWeek(t, 2)
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 2)
	seller.Press(t, card, h.text("vi", "items.stock_button"))
	which := seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > card.ID && strings.HasPrefix(m.Text, "Sửa tồn kho")
	})
	seller.Press(t, which, h.text("vi", "items.replace_sizes_button"))
	prompt := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > which.ID && m.Text != "" })
	if prompt.Text != plain(h.texts.T("vi", "items.variants_prompt")) || len(prompt.Buttons()) != 0 {
		t.Errorf("sizes prompt %q with buttons %v", prompt.Text, prompt.Buttons())
	}
	// A mistake is explained with the word, not a button.
	if m := replyTo(t, seller, func() { seller.SendText("S3 M") }); m.Text != h.text("vi", "variants.invalid_typed") {
		t.Errorf("sizes that can't be read: %q", m.Text)
	}
	seller.SendText("không giới hạn")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > prompt.ID && m.Text == h.text("vi", "items.saved") })
	it, err := h.catalog().Item(context.Background(), items[1].ID)
	if err != nil || len(it.Variants) != 1 || !it.Variants[0].Unlimited() {
		t.Errorf("sizes after replacing with unlimited: %+v, %v", it.Variants, err)
	}
	noErrors(t, h)
}

// A seller who corrects an answer by editing it is not told to send it again, which would
// answer the question now standing (a price sent again as the description) or nothing
// (a setting already saved): what stands, and where to change it, is said instead.
func TestAnEditedSellerAnswerIsNotTakenForTheNext(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withEnv("SHOP_CURRENCY", "VND"))
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	say := func(text string) telegramtest.Message { return replyTo(t, seller, func() { seller.SendText(text) }) }
	say("/newitem")
	seller.SendPhoto(photo(t, 11), "")
	progress := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text != "" && len(m.Buttons()) > 0 })
	replyTo(t, seller, func() { seller.Press(t, progress, h.text("vi", "newitem.done_button")) })
	say("Váy hoa")
	from := lastID(seller)
	price := seller.SendText("150k")
	described := h.text("vi", "newitem.description_prompt")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == described })

	from = lastID(seller)
	seller.EditText(price.MessageID, "180k")
	told := h.text("vi", "edited.new_item", locale.Args{"Button": h.text("vi", "newitem.edit_button")})
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == told })
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == described }) // asked again
	say("Vải lanh")
	from = lastID(seller)
	seller.SendText("M:3")
	preview := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", "newitem.preview") })
	replyTo(t, seller, func() { seller.Press(t, preview, h.text("vi", "newitem.save_button")) })
	var stored struct {
		Price       int64  `db:"price"`
		Description string `db:"description"`
	}
	if err := h.db.Get(&stored, `SELECT price, description FROM items`); err != nil || stored.Price != 150000 || stored.Description != "Vải lanh" {
		t.Errorf("stored item %+v (%v), want the first price and the description", stored, err)
	}

	// A setting saved, then its message edited: the command is the way to change it.
	say("/setpayment")
	answer := seller.SendText("Vietcombank 0123 45")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "setpayment.saved") })
	if m := replyTo(t, seller, func() { seller.EditText(answer.MessageID, "Vietcombank 0123 456") }); m.Text != h.text("vi", "edited.seller") {
		t.Errorf("a saved setting's message edited: %q", m.Text)
	}

	// A broadcast's text edited after its preview: the corrected one, sent again, is
	// previewed in its place.
	say("/broadcast")
	draft := seller.SendText("Hàng mới thứ 2")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > draft.MessageID && len(m.Buttons()) == 2 })
	if m := replyTo(t, seller, func() { seller.EditText(draft.MessageID, "Hàng mới thứ 3") }); m.Text != h.text("vi", "edited.not_read") {
		t.Errorf("a broadcast's text edited: %q", m.Text)
	}
	if m := say("Hàng mới thứ 3"); m.Text != "Hàng mới thứ 3" {
		t.Errorf("the corrected broadcast sent again: %q", m.Text)
	}

	// A customer's message edited outside a checkout: what was sent stands.
	u := h.user(9302, "Mai", "en")
	hello := u.SendText("hello?")
	u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("en", "ask.offer") })
	if m := replyTo(t, u, func() { u.EditText(hello.MessageID, "hello, are you open?") }); m.Text != h.text("en", "edited.not_read") {
		t.Errorf("a customer's message edited: %q", m.Text)
	}
	noErrors(t, h)
}

// An item half added is not lost when the seller turns to something else (another
// command, a notice's button): /newitem offers to go on with it where it was left, or to
// start a new one. /cancel drops it.
func TestAnUnfinishedItemWaitsForTheSeller(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withEnv("SHOP_CURRENCY", "VND"))
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	photos := [][]byte{photo(t, 11), photo(t, 12)}
	reply := func(do func()) telegramtest.Message { return replyTo(t, seller, do) }
	say := func(text string) telegramtest.Message { return reply(func() { seller.SendText(text) }) }
	sendPhoto := func(i int) telegramtest.Message { return reply(func() { seller.SendPhoto(photos[i], "") }) }
	press := func(m telegramtest.Message, button string) telegramtest.Message {
		t.Helper()
		return reply(func() { seller.Press(t, m, h.text("vi", button)) })
	}
	photosPrompt := h.text("vi", "newitem.photos_prompt")
	pricePrompt := h.text("vi", "newitem.price_prompt", locale.Args{"Currency": "VND", "Example": "150000, 150k"})

	// A photo before /newitem is pointed to it.
	if m := sendPhoto(0); m.Text != h.text("vi", "newitem.start_first") {
		t.Fatalf("a seller's photo out of any step: %q", m.Text)
	}
	say("/newitem")
	sendPhoto(0)
	progress := sendPhoto(1)
	press(progress, "newitem.done_button")
	if m := say("Váy hoa <mùa hè>"); m.Text != pricePrompt {
		t.Fatalf("after the name: %q", m.Text)
	}

	// Something else comes first; a price typed after it is not taken for the item.
	say("/start")
	if m := say("120000"); m.Text == pricePrompt || m.Text == h.text("vi", "newitem.description_prompt") {
		t.Fatalf("a price typed after /start went to the item: %q", m.Text)
	}

	unfinished := h.text("vi", "newitem.unfinished", locale.Args{"Title": "Váy hoa <mùa hè>"})
	// A photo now brings the offer, as /newitem does.
	if m := sendPhoto(1); m.Text != unfinished {
		t.Fatalf("a seller's photo with an item unfinished: %q, want %q", m.Text, unfinished)
	}
	offer := say("/newitem")
	if offer.Text != unfinished {
		t.Fatalf("/newitem with an item unfinished: %q, want %q", offer.Text, unfinished)
	}
	if m := press(offer, "newitem.resume_button"); m.Text != pricePrompt {
		t.Fatalf("going on with the item: %q", m.Text)
	}
	say("120000")
	say("Vải lanh")
	from := lastID(seller)
	seller.SendText("M:3")
	preview := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", "newitem.preview") })
	// The offer's buttons have done their work.
	before := len(seller.CallbackAnswers())
	seller.Press(t, offer, h.text("vi", "newitem.fresh_button"))
	if a := waitAnswers(t, seller, before+1); a[before].Text != h.text("vi", "callback.stale") {
		t.Errorf("a second press on the offer: %q", a[before].Text)
	}
	if m := press(preview, "newitem.save_button"); !strings.HasPrefix(m.Text, "Đã lưu vào") {
		t.Fatalf("save: %q", m.Text)
	}

	w, err := h.catalog().UpcomingWeek(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	items, err := h.catalog().Items(context.Background(), w.ID, true)
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v, %v", items, err)
	}
	if it := items[0]; it.Title != "Váy hoa <mùa hè>" || it.Price != 120000 || len(it.Photos) != 2 || it.Description != "Vải lanh" {
		t.Errorf("stored item %q, price %d, %d photos, description %q", it.Title, it.Price, len(it.Photos), it.Description)
	}

	// A saved item is not offered again, nor one the seller cancelled.
	if m := say("/newitem"); m.Text != photosPrompt {
		t.Fatalf("/newitem after saving: %q", m.Text)
	}
	sendPhoto(0)
	say("/cancel")
	if m := say("/newitem"); m.Text != photosPrompt {
		t.Fatalf("/newitem after /cancel: %q", m.Text)
	}
	// One left for a new one is dropped; a new one left before its first photo is not kept.
	sendPhoto(1)
	offer = say("/newitem")
	if want := h.texts.N("vi", "newitem.unfinished_untitled", 1); offer.Text != want {
		t.Fatalf("/newitem with an untitled item unfinished: %q, want %q", offer.Text, want)
	}
	if m := press(offer, "newitem.fresh_button"); m.Text != photosPrompt {
		t.Fatalf("starting a new one: %q", m.Text)
	}
	say("/week")
	if m := say("/newitem"); m.Text != photosPrompt {
		t.Errorf("/newitem after an empty item was left: %q", m.Text)
	}
	noErrors(t, h)
}

// An item left at its preview for a checkout of the seller's own comes back at the
// preview; /cancel elsewhere does not drop it, Discard does; an offer made for an item
// since dropped has stale buttons.
func TestAnUnfinishedItemComesBackWhereItWasLeft(t *testing.T) {
	t.Parallel()
	h := shopHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	reply := func(do func()) telegramtest.Message { return replyTo(t, seller, do) }
	say := func(text string) telegramtest.Message { return reply(func() { seller.SendText(text) }) }
	press := func(m telegramtest.Message, button string) telegramtest.Message {
		t.Helper()
		return reply(func() { seller.Press(t, m, h.text("vi", button)) })
	}
	previewOf := func(do func()) telegramtest.Message {
		t.Helper()
		from := lastID(seller)
		do()
		return seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", "newitem.preview") })
	}

	// The seller has something of the live week in their own cart.
	dress, _ := liveShop(t, h, map[string]int{"S": 5})
	book(t, h, seller, dress, "S", 1)

	say("/newitem")
	progress := reply(func() { seller.SendPhoto(photo(t, 21), "") })
	press(progress, "newitem.done_button")
	say("Khăn lụa")
	say("90000")
	say("Lụa tơ tằm")
	previewOf(func() { seller.SendText("5") })

	// Checking out the cart leaves the item without ending the conversation.
	cart := say("/cart")
	if m := press(cart, "cart.checkout_button"); len(m.Buttons()) == 0 || m.Buttons()[0].Text != h.text("vi", "checkout.pickup_button") {
		t.Fatalf("checkout: %q %v", m.Text, buttonTexts(m))
	}
	say("/cancel")

	offer := say("/newitem")
	if want := h.text("vi", "newitem.unfinished", locale.Args{"Title": "Khăn lụa"}); offer.Text != want {
		t.Fatalf("/newitem after a checkout and /cancel: %q, want %q", offer.Text, want)
	}
	preview := previewOf(func() { seller.Press(t, offer, h.text("vi", "newitem.resume_button")) })
	if m := press(preview, "newitem.discard_button"); m.Text != h.text("vi", "newitem.discarded") {
		t.Fatalf("discard: %q", m.Text)
	}
	if m := say("/newitem"); m.Text != h.text("vi", "newitem.photos_prompt") {
		t.Fatalf("/newitem after discarding: %q", m.Text)
	}
	// A new item, left, then offered; the earlier offer's buttons do not touch it.
	reply(func() { seller.SendPhoto(photo(t, 22), "") })
	say("/start")
	before := len(seller.CallbackAnswers())
	seller.Press(t, offer, h.text("vi", "newitem.fresh_button"))
	if a := waitAnswers(t, seller, before+1); a[before].Text != h.text("vi", "callback.stale") {
		t.Errorf("an old offer's button: %q", a[before].Text)
	}
	if m := say("/newitem"); m.Text != h.texts.N("vi", "newitem.unfinished_untitled", 1) {
		t.Errorf("the new item after an old offer's button: %q", m.Text)
	}
	noErrors(t, h)
}

// A Save handled again after the process died between storing the item and saving the
// seller's conversation (the session as it was before Save is put back, as Redis still
// holds it then, and the press comes again) finds the item: it is in the week and in the
// channel once.
func TestAnItemSavedTwiceIsAddedOnce(t *testing.T) {
	t.Parallel()
	h, _, _ := openShop(t, map[string]int{"S": 5})
	waitPosts := func(n int) map[string]*channelPost {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, posts := postsByTitle(h.channel.Messages())
			if len(posts) >= n || time.Now().After(deadline) {
				return posts
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitPosts(2)
	seller := h.user(admin1, "Lan", "vi")
	reply := func(do func()) telegramtest.Message { return replyTo(t, seller, do) }
	say := func(text string) telegramtest.Message { return reply(func() { seller.SendText(text) }) }
	say("/newitem")
	progress := reply(func() { seller.SendPhoto(photo(t, 31), "") })
	reply(func() { seller.Press(t, progress, h.text("vi", "newitem.done_button")) })
	say("Silk scarf")
	say("200000")
	say("Mulberry silk")
	from := lastID(seller)
	seller.SendText("3")
	preview := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && m.Text == h.text("vi", "newitem.preview") })

	ctx := context.Background()
	key := h.prefix + "session:" + strconv.FormatInt(admin1, 10)
	// The conversation is saved, and its lock let go, after the answer is sent.
	settled := func() {
		for h.rdb.Exists(ctx, h.prefix+"lock:"+strconv.FormatInt(admin1, 10)).Val() == 1 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	settled()
	before, err := h.rdb.Dump(ctx, key).Result()
	if err != nil {
		t.Fatal(err)
	}
	saved := h.text("vi", "newitem.saved_live", locale.Args{"Week": "Week 12"})
	for range 2 {
		if m := reply(func() { seller.Press(t, preview, h.text("vi", "newitem.save_button")) }); m.Text != saved {
			t.Fatalf("save: %q, want %q", m.Text, saved)
		}
		settled()
		if err := h.rdb.RestoreReplace(ctx, key, 0, before).Err(); err != nil {
			t.Fatal(err)
		}
	}

	waitPosts(3)
	time.Sleep(300 * time.Millisecond) // a second post would come as quickly as the first
	var items, photos, variants int
	h.db.Get(&items, `SELECT count(*) FROM items WHERE title = 'Silk scarf'`)
	h.db.Get(&photos, `SELECT count(*) FROM item_photos JOIN items ON items.id = item_id WHERE title = 'Silk scarf'`)
	h.db.Get(&variants, `SELECT count(*) FROM variants JOIN items ON items.id = item_id WHERE title = 'Silk scarf'`)
	if items != 1 || photos != 1 || variants != 1 {
		t.Errorf("%d items, %d photos, %d variants stored; want one each", items, photos, variants)
	}
	_, posts := postsByTitle(h.channel.Messages())
	if p := posts["Silk scarf"]; p == nil || len(p.photos) != 1 {
		t.Errorf("the channel has the scarf's post as %v; want one photo", p)
	}
	noErrors(t, h)
}

// A week scheduled for Monday and published on Tuesday before is published from Tuesday:
// its card says so, and on Wednesday the seller can close it.
func TestAWeekPublishedEarlyClosesEarly(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	clock.Set(time.Date(2026, 3, 3, 12, 0, 0, 0, loc)) // a Tuesday
	h := newHarness(t, withChannel(60), withClock(clock), withEnv("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"))
	h.start()
	w, _ := h.seedWeek(t, 2)
	seller := h.user(admin1, "Lan", "vi")
	reply := func(do func()) telegramtest.Message { return replyTo(t, seller, do) }
	card := reply(func() { seller.SendText("/week") })
	reply(func() { seller.Press(t, card, h.text("vi", "week.schedule_button")) })
	if m := reply(func() { seller.SendText("T2 10:00 - T5 18:00") }); !strings.HasPrefix(m.Text, "🗓") {
		t.Fatalf("scheduled: %q", m.Text)
	}
	card = reply(func() { seller.SendText("/week") })
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })

	clock.Set(time.Date(2026, 3, 4, 12, 0, 0, 0, loc))
	card = reply(func() { seller.SendText("/week") })
	if !strings.Contains(card.Text, "03/03") || strings.Contains(card.Text, "09/03") {
		t.Errorf("the live week's card: %q, want it published on 03/03", card.Text)
	}
	if m := reply(func() { seller.Press(t, card, h.text("vi", "week.close_button")) }); m.Text != h.text("vi", "week.closed_now", locale.Args{"Title": w.Title}) {
		t.Fatalf("closing the week: %q", m.Text)
	}
	if got, err := h.catalog().Week(context.Background(), w.ID); err != nil || got.Status != catalog.Closed {
		t.Errorf("the week after closing: %s, %v", got.Status, err)
	}
	noErrors(t, h)
}

// Posts the bot can no longer edit (deleted in the channel: the header, a photo, an
// album's captioned photo) are left as they are: the cut-off still reaches every other
// post, without an error and without trying those again and again.
func TestACutOffReachesThePostsLeftInTheChannel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.start()
	_, items, seller := h.publishedWeek(t, 4)

	header, posts := postsByTitle(h.channel.Messages())
	if len(header) != 1 || len(posts) != 4 || len(posts[items[2].Title].photos) != 3 {
		t.Fatalf("published: header %v, %d posts", header, len(posts))
	}
	h.channel.Delete(header[0].ID)
	h.channel.Delete(posts[items[0].Title].photos[0].ID)
	h.channel.Delete(posts[items[2].Title].photos[0].ID) // the album's captioned photo

	week := replyTo(t, seller, func() { seller.SendText("/week") })
	seller.Press(t, week, h.text("vi", "week.close_button"))
	closed := plain(h.texts.T("en", "post.closed"))
	open := func() []telegramtest.Message {
		var left []telegramtest.Message
		for _, m := range h.channel.Messages() {
			if !m.Deleted && (m.Caption != "" || strings.HasPrefix(m.Text, "👆")) && (!strings.Contains(m.Body(), closed) || len(m.Buttons()) > 0) {
				left = append(left, m)
			}
		}
		return left
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(open()) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if left := open(); len(left) > 0 {
		t.Fatalf("posts still open for bookings after the cut-off: %v", left)
	}
	edits := h.fake.Calls("editMessageCaption") + h.fake.Calls("editMessageText")
	seller.SendText("/week") // a tick of the scheduler, and any update, would try them again
	seller.Next(t)
	time.Sleep(6 * time.Second)
	if again := h.fake.Calls("editMessageCaption") + h.fake.Calls("editMessageText") - edits; again != 0 {
		t.Errorf("%d edits after the cut-off was posted", again)
	}
	// Telegram refused one edit of each deleted post, and nothing else.
	var refused []string
	for _, e := range h.fake.Errors() {
		if strings.HasPrefix(e.Method, "edit") {
			refused = append(refused, e.Method+": "+e.Description)
		}
	}
	noErrors(t, h, 400)
	if want := "Bad Request: message to edit not found"; len(refused) != 3 || slices.ContainsFunc(refused, func(r string) bool { return !strings.HasSuffix(r, want) }) {
		t.Errorf("Telegram refused %q; want three edits of deleted posts", refused)
	}
	if strings.Contains(h.logs.String(), `"level":"ERROR"`) {
		t.Error("the bot logged an error")
	}
}

// ruleShop is a shop in Ho Chi Minh City at the given time whose seller has just set the
// weekly rule Mon 10:00 - Thu 18:00; it returns the week the rule scheduled.
func ruleShop(t *testing.T, at time.Time) (*harness, *testClock, *telegramtest.User, catalog.Week) {
	t.Helper()
	clock := &testClock{}
	clock.Set(at)
	h := newHarness(t, withChannel(60), withClock(clock), withEnv("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"))
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/schedule")
	seller.Next(t)
	seller.SendText("Mon 10:00 - Thu 18:00")
	seller.Next(t)
	return h, clock, seller, upcoming(t, h, func(w catalog.Week) bool { return w.Status == catalog.Scheduled })
}

// upcoming waits for the week being prepared to be as wanted.
func upcoming(t *testing.T, h *harness, want func(catalog.Week) bool) catalog.Week {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w, err := h.catalog().UpcomingWeek(context.Background())
		if err == nil && want(w) {
			return w
		}
		if time.Now().After(deadline) {
			t.Fatalf("the week being prepared: %+v, %v", w, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A week the rule scheduled for Monday, published on the Tuesday before, keeps the
// Thursday cut-off its header announced: the rule's next week comes after it, not on
// the Monday in between, where it would have closed it three days early.
func TestTheRuleWaitsForAWeekPublishedEarly(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	h, clock, seller, w := ruleShop(t, time.Date(2026, 3, 3, 12, 0, 0, 0, loc))
	for i := range 2 {
		if _, err := h.catalog().CreateItem(context.Background(), w.ID, catalog.NewItem{Title: fmt.Sprintf("Bag %d", i), Price: 25000, Currency: "USD",
			Photos: []catalog.NewPhoto{{Data: photo(t, i), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: 3}}}); err != nil {
			t.Fatal(err)
		}
	}
	card := replyTo(t, seller, func() { seller.SendText("/week") })
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })

	next := upcoming(t, h, func(n catalog.Week) bool { return n.ID != w.ID })
	if !next.PublishAt.Equal(time.Date(2026, 3, 16, 10, 0, 0, 0, loc)) || !next.ClosesAt.Equal(time.Date(2026, 3, 19, 18, 0, 0, 0, loc)) {
		t.Errorf("the rule's next week: published %v, closes %v; want Mon 16/03 10:00, Thu 19/03 18:00", next.PublishAt, next.ClosesAt)
	}
	clock.Set(time.Date(2026, 3, 9, 10, 0, 1, 0, loc))
	time.Sleep(500 * time.Millisecond) // ten ticks
	if live, err := h.catalog().Week(context.Background(), w.ID); err != nil || live.Status != catalog.Published {
		t.Errorf("on the Monday between: the week published early is %s, %v", live.Status, err)
	}
	if header, _ := postsByTitle(h.channel.Messages()); len(header) != 1 {
		t.Errorf("%d headers in the channel: %v", len(header), header)
	}
	noErrors(t, h)
}

// A week due with no items is not posted (an empty catalog, closing the live week): the
// sellers are told, and the rule schedules it again for its next time.
func TestAnEmptyWeekIsNotPosted(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	h, clock, seller, w := ruleShop(t, time.Date(2026, 3, 3, 12, 0, 0, 0, loc))
	clock.Set(time.Date(2026, 3, 9, 10, 0, 1, 0, loc))
	told := seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "📭") })
	if told.Text != h.text("vi", "week.skipped_empty_rule", locale.Args{"Title": w.Title}) {
		t.Errorf("the seller was told %q", told.Text)
	}
	again := upcoming(t, h, func(n catalog.Week) bool { return n.Status == catalog.Scheduled && !n.PublishAt.Equal(*w.PublishAt) })
	if again.ID != w.ID || !again.PublishAt.Equal(time.Date(2026, 3, 16, 10, 0, 0, 0, loc)) {
		t.Errorf("after the empty Monday: week %d for %v; want week %d for Mon 16/03 10:00", again.ID, again.PublishAt, w.ID)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(h.channel.Messages()); n != 0 {
		t.Errorf("%d messages in the channel", n)
	}
	if skipped := countStarting(seller.Messages(), "📭"); skipped != 1 {
		t.Errorf("the seller was told %d times", skipped)
	}
	// Its title, the bot's, names the day it now goes out.
	if want := strings.Replace(w.Title, "09/03", "16/03", 1); again.Title != want || want == w.Title {
		t.Errorf("the week scheduled again is titled %q, want %q", again.Title, want)
	}
	noErrors(t, h)
}

// A week the bot titled ("Danh mục 03/03", the day it was started) is titled by the day
// it goes out when it is scheduled or published; a title the seller chose is kept.
func TestAWeekTitledByTheBotIsDatedByItsPublication(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	clock.Set(time.Date(2026, 3, 3, 12, 0, 0, 0, loc)) // a Tuesday
	h := newHarness(t, withChannel(60), withClock(clock), withEnv("SHOP_TIMEZONE", "Asia/Ho_Chi_Minh"),
		withEnv("DEFAULT_LANGUAGE", "vi"))
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	reply := func(do func()) telegramtest.Message { return replyTo(t, seller, do) }
	none := reply(func() { seller.SendText("/week") })
	card := reply(func() { seller.Press(t, none, h.text("vi", "week.start_button")) })
	if !strings.Contains(card.Text, "Danh mục 03/03") {
		t.Fatalf("the new week's card: %q", card.Text)
	}
	reply(func() { seller.Press(t, card, h.text("vi", "week.schedule_button")) })
	if m := reply(func() { seller.SendText("T2 10:00 - T5 18:00") }); !strings.Contains(m.Text, "Danh mục 09/03") {
		t.Errorf("scheduled: %q, want it titled for Monday 09/03", m.Text)
	}
	w, err := h.catalog().UpcomingWeek(context.Background())
	if err != nil || w.Title != "Danh mục 09/03" {
		t.Fatalf("the scheduled week: %q, %v", w.Title, err)
	}
	if _, err := h.catalog().CreateItem(context.Background(), w.ID, catalog.NewItem{Title: "Bag", Price: 25000, Currency: "VND",
		Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: 3}}}); err != nil {
		t.Fatal(err)
	}
	// Published early, on Wednesday.
	clock.Set(time.Date(2026, 3, 4, 9, 0, 0, 0, loc))
	card = reply(func() { seller.SendText("/week") })
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	header := h.channel.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Danh mục") })
	if !strings.HasPrefix(header.Text, "Danh mục 04/03") {
		t.Errorf("the channel's header: %q, want it titled for Wednesday 04/03", header.Text)
	}
	// The next week, titled by the seller, keeps its title.
	next, err := h.catalog().CreateWeek(context.Background(), "Hàng mới về", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	card = reply(func() { seller.SendText("/week") })
	for !strings.Contains(card.Text, next.Title) {
		card = seller.Next(t)
	}
	reply(func() { seller.Press(t, card, h.text("vi", "week.schedule_button")) })
	if m := reply(func() { seller.SendText("T2 10:00 - T5 18:00") }); !strings.Contains(m.Text, next.Title) {
		t.Errorf("the seller's title after scheduling: %q", m.Text)
	}
	noErrors(t, h)
}

// A seller who turns the weekly rule off is shown the week it scheduled, which would still
// go out by itself, and can keep it back; with the rule on, it is the rule's to schedule.
func TestTurningTheRuleOffShowsTheWeekItScheduled(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	h, clock, seller, w := ruleShop(t, time.Date(2026, 3, 6, 12, 0, 0, 0, loc))
	if _, err := h.catalog().CreateItem(context.Background(), w.ID, catalog.NewItem{Title: "Bag", Price: 25000, Currency: "USD",
		Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: 3}}}); err != nil {
		t.Fatal(err)
	}
	unschedule := h.text("vi", "week.unschedule_button")
	hasUnschedule := func(m telegramtest.Message) bool {
		return slices.ContainsFunc(m.Buttons(), func(b telegramtest.Button) bool { return b.Text == unschedule })
	}
	card := replyTo(t, seller, func() { seller.SendText("/week") })
	if hasUnschedule(card) {
		t.Errorf("the card of a week the rule keeps scheduled offers to unschedule it: %v", card)
	}
	// A card shown before the rule was turned on.
	seller.PressData(card.ID, fmt.Sprintf("\fwk|%d|unsched", w.ID))
	if a := waitAnswers(t, seller, 1); a[0].Text != h.text("vi", "week.unschedule_rule") {
		t.Errorf("unscheduling with the rule on: %q", a[0].Text)
	}

	seller.SendText("/schedule")
	seller.Next(t)
	from := lastID(seller)
	seller.SendText("off")
	card = seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > from && strings.HasPrefix(m.Text, "📅") })
	if msgs := seller.Messages(); msgs[len(msgs)-2].Text != h.text("vi", "rule.cleared") || !strings.Contains(card.Text, "09/03 10:00") {
		t.Errorf("after turning the rule off: %q, then the card %q", msgs[len(msgs)-2].Text, card.Text)
	}
	if m := replyTo(t, seller, func() { seller.Press(t, card, unschedule) }); m.Text != h.text("vi", "week.unscheduled", locale.Args{"Title": w.Title}) {
		t.Errorf("unscheduled: %q", m.Text)
	}
	clock.Set(time.Date(2026, 3, 9, 10, 0, 1, 0, loc))
	time.Sleep(300 * time.Millisecond)
	if got, err := h.catalog().Week(context.Background(), w.ID); err != nil || got.Status != catalog.Draft || got.PublishAt != nil {
		t.Errorf("the week kept back: %s, publish %v, %v", got.Status, got.PublishAt, err)
	}
	if n := len(h.channel.Messages()); n != 0 {
		t.Errorf("%d messages in the channel", n)
	}
	noErrors(t, h)
}

// A shop whose items come in many colours and sizes gets its /items list in pages that
// fit a message, every item on one of them.
func TestAnItemListOfManySizesFitsItsMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withEnv("SHOP_CURRENCY", "VND"))
	h.start()
	ctx := context.Background()
	w, err := h.catalog().CreateWeek(ctx, "Tuần 10", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var specs []catalog.VariantSpec
	for _, c := range []string{"Đen", "Trắng", "Be", "Xanh"} {
		for _, s := range []string{"S", "M", "L", "XL", "XXL"} {
			specs = append(specs, catalog.VariantSpec{Name: c + "/" + s, Stock: 12})
		}
	}
	const n = 20
	for i := range n {
		if _, err := h.catalog().CreateItem(ctx, w.ID, catalog.NewItem{
			Title: fmt.Sprintf("Áo sơ mi lụa tay dài cổ đức mẫu %d", i+1), Price: 350000, Currency: "VND",
			Photos: []catalog.NewPhoto{{Data: photo(t, i), MIME: "image/jpeg"}}, Variants: specs}); err != nil {
			t.Fatal(err)
		}
	}
	seller := h.user(admin1, "Lan", "vi")
	page := replyTo(t, seller, func() { seller.SendText("/items") })
	var listed []string
	for pages := 1; ; pages++ {
		if !strings.HasPrefix(page.Text, "Tuần 10 (") || pages > n {
			t.Fatalf("page %d of /items: %.100q", pages, page.Text)
		}
		for _, row := range page.InlineKeyboard {
			for _, b := range row {
				if b.Text != "◀️" && b.Text != "▶️" {
					listed = append(listed, b.Text)
				}
			}
		}
		if !slices.ContainsFunc(page.Buttons(), func(b telegramtest.Button) bool { return b.Text == "▶️" }) {
			if pages < 2 {
				t.Errorf("one page for %d items of 20 sizes", n)
			}
			break
		}
		before := page.Edits
		seller.Press(t, page, "▶️")
		page = seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID == page.ID && m.Edits > before })
	}
	want := make([]string, n)
	for i := range want {
		want[i] = strconv.Itoa(i + 1)
	}
	if !slices.Equal(listed, want) {
		t.Errorf("items listed: %v", listed)
	}
	noErrors(t, h)
}

// A deleted item's channel post goes with it; one Telegram won't delete (a bot can't
// delete posts older than 48 hours) is edited to say the item is no longer available,
// without its Order button: a photo's caption, and an album's caption and button message.
func TestADeletedItemsPostStopsOfferingIt(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60), func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.ChannelRetry = 200 * time.Millisecond })
	})
	h.start()
	_, items, seller := h.publishedWeek(t, 6) // the third and the sixth have an album
	_, posted := postsByTitle(h.channel.Messages())
	withdrawn := plain(h.texts.T("en", "post.withdrawn"))
	// messages is the channel messages of item n's post.
	messages := func(n int) []telegramtest.Message {
		p := posted[items[n-1].Title]
		var ids []int
		for _, m := range p.photos {
			ids = append(ids, m.ID)
		}
		if p.button.ID != p.photos[0].ID {
			ids = append(ids, p.button.ID)
		}
		var out []telegramtest.Message
		for _, id := range ids {
			m, _ := h.channel.Message(id)
			out = append(out, m)
		}
		return out
	}
	// del deletes item n, at pos in the list; Telegram answers code to every message of
	// its post the first time (400: it won't delete a post older than 48 hours), or, for
	// stuck, refuses both the delete and the edit.
	const stuck, demoted = -1, -2
	del := func(n, pos, code int) {
		t.Helper()
		h.deleteByHand(t, seller, pos, items[n-1].Title, func() {
			switch code {
			case 0, demoted:
			case stuck: // and its edit too, every time from now on: left as it is
				h.fake.FailNext("deleteMessage", 1000, 400, 0)
				h.fake.FailNext("editMessageCaption", 1000, 400, 0)
			default:
				h.fake.FailNext("deleteMessage", len(messages(n)), code, 0)
			}
		})
		// The publisher takes the post out (or marks it) on its next sync.
		h.channel.WaitFor(t, func(telegramtest.Message) bool {
			for i, m := range messages(n) {
				switch {
				case code == 400 && i == 0:
					if m.Deleted || !strings.Contains(m.Body(), withdrawn) || len(m.Buttons()) != 0 {
						return false
					}
				case code == 400 && m.ID == posted[items[n-1].Title].button.ID:
					if m.Deleted || !strings.Contains(m.Body(), withdrawn) || len(m.Buttons()) != 0 {
						return false
					}
				case code == stuck, code == demoted:
				case code != 400 && !m.Deleted:
					return false
				}
			}
			return true
		})
	}
	del(2, 2, 0)
	del(1, 1, 400)
	del(3, 1, 400)
	// Telegram failing for a while: the post is taken out all the same, on a later sync.
	del(4, 1, 502)
	// A channel that refuses the bot (no longer an admin there) is no refusal to delete:
	// the post waits, recorded, and goes once the bot is an admin again.
	h.channel.DemoteBot()
	del(5, 1, demoted)
	time.Sleep(500 * time.Millisecond) // several syncs
	var waiting int
	if err := h.db.Get(&waiting, `SELECT count(*) FROM channel_posts WHERE withdrawn IS NOT NULL`); err != nil || waiting != 1 {
		t.Errorf("%d withdrawn posts waiting while the channel refuses the bot (%v), want 1", waiting, err)
	}
	h.channel.AddBot()
	h.channel.WaitFor(t, func(telegramtest.Message) bool {
		for _, m := range messages(5) {
			if !m.Deleted {
				return false
			}
		}
		return true
	})
	// Telegram refusing both the delete and the edit: the post is left as it is, and does
	// not hold up the week's other posts (its record goes, below).
	del(6, 1, stuck)

	// Each is forgotten once it is out (just after its last call).
	left := -1
	for deadline := time.Now().Add(5 * time.Second); left != 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := h.db.Get(&left, `SELECT count(*) FROM channel_posts WHERE withdrawn IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
	}
	if left != 0 {
		t.Errorf("%d withdrawn posts still recorded", left)
	}
	noErrors(t, h, 400, 502)
}

// deleteByHand has the seller delete the item at pos in their /items list, through its
// card; beforeConfirm runs just before they confirm.
func (h *harness) deleteByHand(t *testing.T, seller *telegramtest.User, pos int, title string, beforeConfirm func()) {
	t.Helper()
	list := replyTo(t, seller, func() { seller.SendText("/items") })
	seller.Press(t, list, strconv.Itoa(pos))
	card := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > list.ID && m.Photo != nil })
	asked := lastID(seller)
	seller.Press(t, card, h.text("vi", "items.delete_button"))
	confirm := seller.WaitFor(t, func(m telegramtest.Message) bool {
		return m.ID > asked && slices.Contains(buttonTexts(m), h.text("vi", "items.delete_confirm_button"))
	})
	beforeConfirm()
	want := h.text("vi", "items.deleted", locale.Args{"Title": title})
	pressed := lastID(seller)
	seller.Press(t, confirm, h.text("vi", "items.delete_confirm_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > pressed && m.Text == want })
}

// An item deleted while its post is going out: the photo (or album) reached the channel
// but the item was gone by the time the post was recorded. The post is taken out all the
// same, and an album gets no Order button message.
func TestAnItemDeletedWhileItsPostGoesOutIsTakenOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.start()
	_, items := h.seedWeek(t, 3) // the third has an album
	channelID := h.channel.ID
	photoHeld, releasePhoto := h.fake.HoldNext("sendPhoto", channelID)
	albumHeld, releaseAlbum := h.fake.HoldNext("sendMediaGroup", channelID)
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/week")
	seller.Press(t, seller.Next(t), h.text("vi", "week.publish_button"))

	for _, held := range []struct {
		held    <-chan struct{}
		release func()
		pos     int // in the list, once the items before it are gone
		item    catalog.Item
	}{{photoHeld, releasePhoto, 1, items[0]}, {albumHeld, releaseAlbum, 2, items[2]}} {
		waitHeld(t, held.held, held.item.Title+"'s post")
		h.deleteByHand(t, seller, held.pos, held.item.Title, func() {})
		held.release()
	}

	// Only the second item stays in the channel: every other item message goes.
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })
	h.channel.WaitFor(t, func(telegramtest.Message) bool {
		for _, m := range h.channel.Messages() {
			if m.Deleted || m.Photo == nil && len(m.Buttons()) == 0 {
				continue // taken out, or the header
			}
			if !strings.Contains(m.Body(), items[1].Title) {
				return false
			}
		}
		return true
	})
	for _, m := range h.channel.Messages() {
		for _, gone := range []string{items[0].Title, items[2].Title} {
			if !m.Deleted && strings.Contains(m.Body(), gone) {
				t.Errorf("%q still in the channel: %q", gone, m.Body())
			}
		}
	}
	texts := 0
	for _, m := range h.channel.Messages() {
		if m.Photo == nil {
			texts++
		}
	}
	if texts != 1 {
		t.Errorf("%d text messages sent to the channel, want 1 (the header)", texts)
	}
	var left int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if err := h.db.Get(&left, `SELECT count(*) FROM channel_posts WHERE withdrawn IS NOT NULL`); err != nil {
			t.Fatal(err)
		}
		if left == 0 || time.Now().After(deadline) {
			break
		}
	}
	if left != 0 {
		t.Errorf("%d withdrawn posts still recorded", left)
	}
	noErrors(t, h)
}

// Every closed week's purchase list reaches every seller once, whichever way it closed:
// by the next week's publication, by hand, by a process that stopped right after the
// close committed, or at its cut-off (after the cut-off's notice). Two processes run,
// and either may send it.
func TestEveryClosedWeekSendsItsPurchaseList(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.webhooks()
	h.start()
	h.start()
	s2 := h.user(admin2, "Minh", "en")
	replyTo(t, s2, func() { s2.SendText("/help") }) // the bot learns the seller's language
	ctx := context.Background()
	first, items, s1 := h.publishedWeek(t, 2)
	titled := func(w catalog.Week, title string) catalog.Week {
		if err := h.catalog().RenameWeek(ctx, w.ID, title); err != nil {
			t.Fatal(err)
		}
		w.Title = title
		return w
	}
	first = titled(first, "Tuần 10")
	placePickup(t, h, h.user(4101, "Mai", "vi"), items[0], "S", 1)
	// card sends /week and returns the card of the week titled so.
	card := func(title string) telegramtest.Message {
		from := lastID(s1)
		s1.SendText("/week")
		return s1.WaitFor(t, func(m telegramtest.Message) bool {
			return m.ID > from && strings.HasPrefix(m.Text, "📅") && strings.Contains(m.Text, title)
		})
	}
	publish := func(title string) catalog.Week {
		w, _ := h.seedWeek(t, 1)
		w = titled(w, title)
		s1.Press(t, card(title), h.text("vi", "week.publish_button"))
		s1.WaitFor(t, func(m telegramtest.Message) bool {
			return strings.HasPrefix(m.Text, "✅") && strings.Contains(m.Text, title)
		})
		return w
	}
	second := publish("Tuần 11") // closes the first
	s1.Press(t, card(second.Title), h.text("vi", "week.close_button"))
	closedNow := h.text("vi", "week.closed_now", locale.Args{"Title": second.Title})
	s1.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == closedNow })
	third := publish("Tuần 12")
	if _, err := h.catalog().CloseWeek(ctx, third.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	fourth := publish("Tuần 13") // closes at its cut-off
	if _, err := h.db.Exec(`UPDATE weeks SET publish_at = now() - interval '2 seconds', closes_at = now() - interval '1 second' WHERE id = $1`, fourth.ID); err != nil {
		t.Fatal(err)
	}

	for _, s := range []struct {
		u    *telegramtest.User
		lang string
	}{{s1, "vi"}, {s2, "en"}} {
		lists := func() (got []telegramtest.Message) {
			for _, m := range s.u.Messages() {
				if strings.HasPrefix(m.Text, "🛒") {
					got = append(got, m)
				}
			}
			return got
		}
		s.u.WaitFor(t, func(telegramtest.Message) bool { return len(lists()) >= 4 })
		time.Sleep(300 * time.Millisecond) // several ticks of both processes: nothing comes twice
		got := lists()
		if len(got) != 4 {
			t.Fatalf("seller %d got %d purchase lists", s.u.ID, len(got))
		}
		// The cut-off's notice comes once, before its list.
		cutOff := h.text(s.lang, "week.closed_auto", locale.Args{"Title": fourth.Title})
		if n := countStarting(s.u.Messages(), cutOff); n != 1 {
			t.Errorf("seller %d told %d times of the cut-off", s.u.ID, n)
		} else if m := s.u.Messages(); !slices.ContainsFunc(m, func(m telegramtest.Message) bool { return m.Text == cutOff && m.ID < got[3].ID }) {
			t.Errorf("seller %d got the cut-off's notice after its list", s.u.ID)
		}
		for i, w := range []catalog.Week{first, second, third, fourth} {
			title := h.text(s.lang, "purchases.title", locale.Args{"Week": w.Title})
			if !strings.HasPrefix(got[i].Text, title) {
				t.Errorf("seller %d's list %d: %q, want %q", s.u.ID, i, got[i].Text, title)
			}
		}
		if want := items[0].Title + " (S): 1"; !strings.Contains(got[0].Text, want) {
			t.Errorf("the first week's list lacks %q: %q", want, got[0].Text)
		}
		for _, l := range got[1:] {
			if empty := h.text(s.lang, "purchases.empty"); !strings.Contains(l.Text, empty) {
				t.Errorf("list of a week without orders: %q", l.Text)
			}
		}
	}
	noErrors(t, h)
}

// A channel that refuses the bot (removed from it, then in it without admin rights) is
// not hammered every tick: the sellers are told once, in their languages, and once more
// when it takes posts again (not before: a week closed before anything went out needs no
// post, which says nothing of the channel); then a week goes out whole.
func TestTheSellersHearWhenTheChannelRefusesTheBot(t *testing.T) {
	t.Parallel()
	const retry = 300 * time.Millisecond
	h := newHarness(t, withChannel(60), func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.ChannelRetry = retry })
	})
	h.webhooks()
	h.start()
	h.start() // either process may see the refusal, and the channel take posts again
	s2 := h.user(admin2, "Minh", "en")
	replyTo(t, s2, func() { s2.SendText("/help") })
	h.channel.RemoveBot()
	w, items := h.seedWeek(t, 3)
	s1 := h.user(admin1, "Lan", "vi")
	s1.Press(t, replyTo(t, s1, func() { s1.SendText("/week") }), h.text("vi", "week.publish_button"))

	refusedAt := time.Now()
	for _, s := range []struct {
		u    *telegramtest.User
		lang string
	}{{s1, "vi"}, {s2, "en"}} {
		want := h.text(s.lang, "channel.refused", locale.Args{"Channel": "@lans_boutique",
			"Reason": "Forbidden: bot is not a member of the channel chat"})
		s.u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
	}
	time.Sleep(2 * retry)
	h.channel.DemoteBot() // another refusal, the same problem: nothing new to tell
	time.Sleep(3 * retry)
	refusals := 0
	for _, e := range h.fake.Errors() {
		if e.ChatID == h.channel.ID {
			refusals++
		}
	}
	// One attempt per pause and process (with 50 ms ticks, every tick would be 60 or more).
	if most := 2 * (int(time.Since(refusedAt)/retry) + 2); refusals == 0 || refusals > most {
		t.Errorf("%d refused calls to the channel in %v, want 1 to %d", refusals, time.Since(refusedAt).Round(time.Millisecond), most)
	}

	// Bookings closed before anything went out: nothing to post, which says nothing of
	// the channel.
	s1.Press(t, replyTo(t, s1, func() { s1.SendText("/week") }), h.text("vi", "week.close_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("vi", "week.closed_now", locale.Args{"Title": w.Title})
	})
	time.Sleep(3 * retry)
	if n := countStarting(s1.Messages(), h.text("vi", "channel.works", locale.Args{"Channel": "@lans_boutique"})); n != 0 {
		t.Errorf("told the channel works again while it still refuses the bot (%d)", n)
	}

	// Made an admin again: the next week goes out.
	h.channel.AddBot()
	w, items = h.seedWeek(t, 2)
	card := replyTo(t, s1, func() { s1.SendText("/week") })
	s1.Press(t, card, h.text("vi", "week.publish_button"))
	s1.WaitFor(t, func(m telegramtest.Message) bool {
		return m.Text == h.text("vi", "week.published", locale.Args{"Title": w.Title})
	})
	for _, s := range []struct {
		u    *telegramtest.User
		lang string
	}{{s1, "vi"}, {s2, "en"}} {
		works := h.text(s.lang, "channel.works", locale.Args{"Channel": "@lans_boutique"})
		s.u.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == works })
		time.Sleep(3 * retry)
		if n := countStarting(s.u.Messages(), "⚠️"); n != 1 {
			t.Errorf("seller %d told %d times the channel refuses the bot", s.u.ID, n)
		}
		if n := countStarting(s.u.Messages(), works); n != 1 {
			t.Errorf("seller %d told %d times the channel works again", s.u.ID, n)
		}
	}
	header, posts := postsByTitle(h.channel.Messages())
	if len(header) != 1 || len(posts) != len(items) {
		t.Errorf("%d headers and %d item posts, want 1 and %d", len(header), len(posts), len(items))
	}
	noErrors(t, h, 400, 403)
}

// Publish now on a /week card left from before the week went out changes nothing: the
// live week keeps its title, and the channel its header.
func TestAnOldPublishButtonLeavesALiveWeekAlone(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Date(2026, 3, 3, 12, 0, 0, 0, time.UTC)) // a Tuesday
	h := newHarness(t, withChannel(60), withClock(clock))
	h.start()
	ctx := context.Background()
	seller := h.user(admin1, "Lan", "vi")
	none := replyTo(t, seller, func() { seller.SendText("/week") })
	card := replyTo(t, seller, func() { seller.Press(t, none, h.text("vi", "week.start_button")) })
	w, err := h.catalog().UpcomingWeek(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.catalog().CreateItem(ctx, w.ID, catalog.NewItem{Title: "Bag", Price: 2500, Currency: "USD",
		Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}}, Variants: []catalog.VariantSpec{{Stock: 3}}}); err != nil {
		t.Fatal(err)
	}
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })
	header := h.channel.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "Catalog of") })
	published, _ := h.catalog().Week(ctx, w.ID)

	clock.Set(time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)) // Thursday, still open
	before := len(seller.CallbackAnswers())
	seller.Press(t, card, h.text("vi", "week.publish_button"))
	if a := waitAnswers(t, seller, before+1); a[before].Text != h.text("vi", "week.not_upcoming") {
		t.Errorf("the old card's Publish answered %q, want %q", a[before].Text, h.text("vi", "week.not_upcoming"))
	}
	time.Sleep(500 * time.Millisecond) // a header edit would be on its way
	if got, _ := h.catalog().Week(ctx, w.ID); got.Title != published.Title {
		t.Errorf("the old card's Publish retitled the live week %q to %q", published.Title, got.Title)
	}
	if m, _ := h.channel.Message(header.ID); m.Text != header.Text {
		t.Errorf("the channel header became %q, was %q", m.Text, header.Text)
	}
	noErrors(t, h)
}

// A stock typed for a size the other seller replaced meanwhile is answered so, and the
// seller is not left in a step that fails on every word.
func TestAStockTypedForASizeReplacedMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	_, items := h.seedWeek(t, 1)
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 1)
	which := replyTo(t, seller, func() { seller.Press(t, card, h.text("vi", "items.stock_button")) })
	replyTo(t, seller, func() { seller.Press(t, which, "S: 2") })
	if err := h.catalog().ReplaceVariants(context.Background(), items[0].ID, []catalog.VariantSpec{{Name: "XS", Stock: 1}, {Name: "XL", Stock: 1}}); err != nil {
		t.Fatal(err)
	}
	if m := replyTo(t, seller, func() { seller.SendText("5") }); m.Text != h.text("vi", "items.size_gone") {
		t.Errorf("a stock for a size gone answered %q, want %q", m.Text, h.text("vi", "items.size_gone"))
	}
	if m := replyTo(t, seller, func() { seller.SendText("6") }); m.Text == h.text("vi", "error.internal") || m.Text == h.text("vi", "items.size_gone") {
		t.Errorf("the next words answered %q: the stock step should be over", m.Text)
	}
	noErrors(t, h)
}

// New photos for an item posted while the seller was sending them are refused: the
// channel keeps the photos it went out with, and so does the item.
func TestPhotosForAnItemPostedMeanwhileAreRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withChannel(60))
	h.start()
	w, items := h.seedWeek(t, 1)
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 1)
	progress := newPhotosFor(t, h, seller, card, photo(t, 61), photo(t, 62))
	other := h.user(admin2, "Minh", "en")
	other.SendText("/week")
	weekCard := other.WaitFor(t, func(m telegramtest.Message) bool { return strings.Contains(m.Text, w.Title) })
	other.Press(t, weekCard, h.text("en", "week.publish_button"))
	other.WaitFor(t, func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") })
	if m := replyTo(t, seller, func() { seller.Press(t, progress, h.text("vi", "newitem.done_button")) }); m.Text != h.text("vi", "items.photos_posted") {
		t.Errorf("Done for an item posted meanwhile answered %q, want %q", m.Text, h.text("vi", "items.photos_posted"))
	}
	if it, _ := h.catalog().Item(context.Background(), items[0].ID); len(it.Photos) != 1 {
		t.Errorf("the posted item has %d photos, want its 1", len(it.Photos))
	}
	noErrors(t, h)
}

// A long description is shortened for the line that closes a card: a seller's stock, a
// customer's place in the catalog.
func TestCardsKeepTheirLastLineWithALongDescription(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	ctx := context.Background()
	w, err := h.catalog().CreateWeek(ctx, "Tuần 10", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := h.catalog().CreateItem(ctx, w.ID, catalog.NewItem{Title: fmt.Sprintf("Áo %d", i+1), Description: strings.Repeat("Vải cotton mềm. ", 120),
			Price: 100000, Currency: "VND", Photos: []catalog.NewPhoto{{Data: photo(t, 1), MIME: "image/jpeg"}},
			Variants: []catalog.VariantSpec{{Name: "S", Stock: 2}, {Name: "M", Stock: 0}}}); err != nil {
			t.Fatal(err)
		}
	}
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 1)
	if lines := strings.Split(card.Caption, "\n"); !strings.HasPrefix(lines[len(lines)-1], "📦") {
		t.Errorf("the seller's card ends %q, want its stock line", lines[len(lines)-1])
	}
	if _, err := h.catalog().StartPublishing(ctx, w.ID, time.Now(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	u := h.user(9301, "Mai", "en")
	shown := replyTo(t, u, func() { u.SendText("/catalog") })
	want := plain(h.text("en", "catalog.position", locale.Args{"N": 1, "Total": 2}))
	if lines := strings.Split(shown.Caption, "\n"); lines[len(lines)-1] != want {
		t.Errorf("the customer's card ends %q, want %q", lines[len(lines)-1], want)
	}
	noErrors(t, h)
}

// Hide and Show again turn the card pressed, in place: its buttons say what the item is
// now, and no other card is sent beside it.
func TestHidingAnItemTurnsItsCard(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	_, items := h.seedWeek(t, 1)
	seller := h.user(admin1, "Lan", "vi")
	card := itemCard(t, seller, 1)
	cards := func() int {
		n := 0
		for _, m := range seller.Messages() {
			if m.Photo != nil {
				n++
			}
		}
		return n
	}
	for _, step := range []struct{ press, then string }{
		{"items.hide_button", "items.show_button"},
		{"items.show_button", "items.hide_button"},
	} {
		if got := pressAnswered(t, seller, card, h.text("vi", step.press)); got != h.text("vi", "items.saved") {
			t.Fatalf("%s answered %q", step.press, got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if m, _ := seller.Chat().Message(card.ID); slices.Contains(buttonTexts(m), h.text("vi", step.then)) {
				card = m
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %s the card's buttons are %v", step.press, buttonTexts(card))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if n := cards(); n != 1 {
		t.Errorf("%d cards in the seller's chat, want the one turned", n)
	}
	if it, _ := h.catalog().Item(context.Background(), items[0].ID); it.Hidden {
		t.Error("the item is hidden after Show again")
	}

	// New photos since the card was sent: turned, it shows the item's.
	progress := newPhotosFor(t, h, seller, card, photo(t, 61))
	seller.Press(t, progress, h.text("vi", "newitem.done_button"))
	fresh := seller.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > progress.ID && m.Photo != nil })
	pressAnswered(t, seller, card, h.text("vi", "items.hide_button"))
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		m, _ := seller.Chat().Message(card.ID)
		if slices.Contains(buttonTexts(m), h.text("vi", "items.show_button")) {
			if m.Photo == nil || m.Photo.UniqueID != fresh.Photo.UniqueID {
				t.Errorf("the card turned shows another photo than the item's (%s)", fresh.Photo.UniqueID)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the card was not turned")
		}
	}
	noErrors(t, h)
}
