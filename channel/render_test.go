package channel_test

import (
	"fmt"
	"html"
	"math"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the machine's zoneinfo
	"unicode/utf16"
	"unicode/utf8"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
)

var bundle = sync.OnceValues(locale.New)

func renderer(t *testing.T, lang string) channel.Renderer {
	t.Helper()
	b, err := bundle()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return channel.Renderer{Texts: b, Lang: lang, BotUsername: "shop_bot", Location: loc}
}

// plainText is what a text id in lang shows, for comparing with the lines of a caption.
func plainText(t *testing.T, lang, id string, args ...locale.Args) string {
	t.Helper()
	b, err := bundle()
	if err != nil {
		t.Fatal(err)
	}
	return locale.Plain(b.T(lang, id, args...))
}

// ofLength repeats text to exactly n characters.
func ofLength(text string, n int) string {
	r := []rune(strings.Repeat(text, n/utf8.RuneCountInString(text)+1))
	return string(r[:n])
}

func stock(n int) *int { return &n }

// sized is an item with sizes S and M in stock (M without limit) and L sold out.
func sized(title, description string, price int64, cur string) catalog.Item {
	return catalog.Item{ID: 7, Title: title, Description: description, Price: price, Currency: cur,
		Variants: []catalog.Variant{
			{ID: 1, Name: "S", Stock: stock(3)},
			{ID: 2, Name: "M"},
			{ID: 3, Name: "L", Stock: stock(0)},
		}}
}

// utf16Len is how long Telegram counts a text: UTF-16 units of what shows.
func utf16Len(htmlText string) int {
	return len(utf16.Encode([]rune(locale.Plain(htmlText))))
}

func TestVisibleLen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		html string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"<b>Áo</b> &lt;3 &amp; &quot;x&quot;", 11},
		{"👗👕", 4}, // outside the BMP: two units each
		{"مرحبا\u2068$1\u2069", 9},
		{"…\n", 2},
	}
	for _, tt := range tests {
		if got := channel.VisibleLen(tt.html); got != tt.want {
			t.Errorf("VisibleLen(%q) = %d, want %d", tt.html, got, tt.want)
		}
	}
}

// entityRe matches what Telegram reads as an HTML entity.
var entityRe = regexp.MustCompile(`&(?:lt|gt|amp|quot|#[0-9]+);`)

// checkMarkup fails unless the only tags in text are wantTags and every & starts an entity.
func checkMarkup(t *testing.T, text string, wantTags ...string) {
	t.Helper()
	rest := text
	for _, tag := range wantTags {
		if !strings.Contains(rest, tag) {
			t.Errorf("markup lacks %s: %q", tag, text)
		}
		rest = strings.Replace(rest, tag, "", 1)
	}
	if strings.ContainsAny(rest, "<>") {
		t.Errorf("user text reached the markup unescaped: %q", text)
	}
	if strings.Contains(entityRe.ReplaceAllString(rest, ""), "&") {
		t.Errorf("bare & in markup: %q", text)
	}
}

func TestCaptionShortensOnlyTheDescription(t *testing.T) {
	t.Parallel()
	// 100 characters, every one special in HTML or wide in UTF-16.
	title := ofLength(`<b>&"'Áo 👗 `, catalog.MaxTitle)
	langs := []struct {
		lang, sentence string
		price          int64
		cur            string
	}{
		{"en", "Soft cotton shirt <3 & 'easy' care, \"machine\" wash 👕. ", 1250, "USD"},
		{"vi", "Áo sơ mi cotton mềm <3 & dễ giặt, \"giặt máy\" được 👕. ", 150000, "VND"},
		{"ar", "قميص قطني ناعم <3 & سهل الغسل، \"يغسل\" في الغسالة 👕. ", 25000, "EGP"},
	}
	availabilities := []struct {
		a      channel.Availability
		textID string // the last line, if any
	}{
		{channel.Available, ""},
		{channel.SoldOut, "post.sold_out"},
		{channel.Closed, "post.closed"},
		{channel.Withdrawn, "post.withdrawn"},
	}
	for _, l := range langs {
		for _, av := range availabilities {
			t.Run(fmt.Sprintf("%s/%d", l.lang, av.a), func(t *testing.T) {
				t.Parallel()
				r := renderer(t, l.lang)
				desc := ofLength(l.sentence, catalog.MaxDescription)
				it := sized(title, desc, l.price, l.cur)
				caption := r.Caption(it, av.a)

				if n := utf16Len(caption); n > channel.MaxCaption || n < channel.MaxCaption-3 {
					t.Errorf("caption is %d long, want at most %d and the room used", n, channel.MaxCaption)
				}
				checkMarkup(t, caption, "<b>", "</b>")
				if want := "<b>" + html.EscapeString(title) + "</b>\n"; !strings.HasPrefix(caption, want) {
					t.Errorf("caption does not start with the escaped title: %q", caption)
				}

				blocks := strings.Split(locale.Plain(caption), "\n\n")
				wantBlocks := 2
				if av.textID != "" {
					wantBlocks = 3
				}
				if len(blocks) != wantBlocks {
					t.Fatalf("caption has %d blocks, want %d: %q", len(blocks), wantBlocks, locale.Plain(caption))
				}
				b, _ := bundle()
				sep := locale.Plain(b.T(l.lang, "list.separator"))
				head := strings.Split(blocks[0], "\n")
				wantHead := []string{
					title,
					plainText(t, l.lang, "post.price", locale.Args{"Price": money.Format(l.price, l.cur)}),
					plainText(t, l.lang, "post.sizes", locale.Args{"List": locale.HTML("S" + sep + "M")}),
					plainText(t, l.lang, "post.sizes_sold_out", locale.Args{"List": locale.HTML("L")}),
				}
				if strings.Join(head, "\n") != strings.Join(wantHead, "\n") {
					t.Errorf("head\n%q\nwant\n%q", head, wantHead)
				}
				if !strings.Contains(head[1], money.Format(l.price, l.cur)) {
					t.Errorf("price line %q lacks %q", head[1], money.Format(l.price, l.cur))
				}

				shown, ok := strings.CutSuffix(blocks[1], "…")
				if !ok || shown == "" || !strings.HasPrefix(desc, shown) {
					t.Errorf("description shown is not a shortened prefix of the original: %q", blocks[1])
				}
				if av.textID != "" {
					if want := plainText(t, l.lang, av.textID); blocks[2] != want {
						t.Errorf("last line %q, want %q", blocks[2], want)
					}
				}
			})
		}
	}
}

// Every limit at once: the longest title, the most sizes with the longest names, and the
// longest description still make a caption Telegram takes, shortening only the description.
func TestCaptionAtEveryLimit(t *testing.T) {
	t.Parallel()
	for _, lang := range locale.Languages {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			r := renderer(t, lang)
			it := catalog.Item{Title: ofLength("&<>", catalog.MaxTitle), Description: ofLength("ث & ", catalog.MaxDescription),
				Price: math.MaxInt64, Currency: "KWD"}
			for i := range 20 {
				n := 0
				if i%2 == 0 {
					n = 5
				}
				it.Variants = append(it.Variants, catalog.Variant{Name: ofLength(fmt.Sprintf("%02d&", i), 32), Stock: stock(n)})
			}
			caption := r.Caption(it, channel.Closed)
			if n := utf16Len(caption); n > channel.MaxCaption {
				t.Errorf("caption is %d long", n)
			}
			// A seller's card: with no room for its stock line, it goes without.
			stockLine := "📦 " + strings.Repeat("XL 5 · ", 80)
			if card := r.Caption(it, channel.Closed, stockLine); card != caption {
				t.Errorf("a card with no room for its last line is %d long: %q", utf16Len(card), card)
			}
			plain := locale.Plain(caption)
			for _, v := range it.Variants {
				if !strings.Contains(plain, v.Name) {
					t.Errorf("size %q dropped", v.Name)
				}
			}
			if !strings.HasPrefix(plain, it.Title+"\n") || !strings.HasSuffix(plain, "\n"+plainText(t, lang, "post.closed")) {
				t.Errorf("title or closed line lost: %q", plain)
			}
			if !strings.Contains(plain, "…") {
				t.Errorf("description not shortened: %q", plain)
			}
			checkMarkup(t, caption, "<b>", "</b>")
		})
	}
}

func TestCaptionKeepsAShortDescription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, description, want string
	}{
		{"whole", "Cotton <3 & \"silk\"\nsecond line", "Cotton <3 & \"silk\"\nsecond line"},
		{"trimmed", "  \n Cotton \n ", "Cotton"},
		{"exactly what fits", "", ""}, // filled below
		{"none", "", ""},
		{"only spaces", " \n\t ", ""},
	}
	for _, lang := range locale.Languages {
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				r := renderer(t, lang)
				it := catalog.Item{Title: "Áo", Price: 100, Currency: "USD", Variants: []catalog.Variant{{}}}
				description, want := tt.description, tt.want
				if tt.name == "exactly what fits" {
					// The longest description that fits whole is not shortened.
					room := channel.MaxCaption - utf16Len(r.Caption(it, channel.Available)) - len("\n\n")
					description = strings.Repeat("x", room)
					want = description
				}
				it.Description = description
				caption := r.Caption(it, channel.Available)
				plain := locale.Plain(caption)
				blocks := strings.SplitN(plain, "\n\n", 2)
				if want == "" {
					if len(blocks) != 1 {
						t.Errorf("caption without description has a blank line: %q", plain)
					}
					return
				}
				if len(blocks) != 2 || blocks[1] != want {
					t.Errorf("description shown %q, want %q", blocks[len(blocks)-1], want)
				}
				if n := utf16Len(caption); n > channel.MaxCaption {
					t.Errorf("caption is %d long", n)
				}
				checkMarkup(t, caption, "<b>", "</b>")
			})
		}
	}
}

func TestSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		variants      []catalog.Variant
		inStock, sold []string // names, before escaping
	}{
		{"one unnamed variant", []catalog.Variant{{Stock: stock(3)}}, nil, nil},
		{"unnamed and sold out", []catalog.Variant{{Stock: stock(0)}}, nil, nil},
		{"all in stock, in order", []catalog.Variant{{Name: "S", Stock: stock(1)}, {Name: "M"}, {Name: "L", Stock: stock(9)}},
			[]string{"S", "M", "L"}, nil},
		{"mixed", []catalog.Variant{{Name: "S", Stock: stock(0)}, {Name: "M"}, {Name: "L", Stock: stock(0)}, {Name: "XL", Stock: stock(2)}},
			[]string{"M", "XL"}, []string{"S", "L"}},
		{"all sold out", []catalog.Variant{{Name: "Đỏ", Stock: stock(0)}, {Name: "أزرق", Stock: stock(0)}},
			nil, []string{"Đỏ", "أزرق"}},
		{"names with markup", []catalog.Variant{{Name: "<XL>", Stock: stock(1)}, {Name: "S&M", Stock: stock(0)}},
			[]string{"<XL>"}, []string{"S&M"}},
	}
	for _, lang := range locale.Languages {
		for _, tt := range tests {
			t.Run(lang+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				r := renderer(t, lang)
				got := r.Sizes(catalog.Item{Variants: tt.variants})
				b, _ := bundle()
				sep := locale.Plain(b.T(lang, "list.separator"))
				list := func(names []string) locale.HTML {
					escaped := make([]string, len(names))
					for i, n := range names {
						escaped[i] = html.EscapeString(n)
					}
					return locale.HTML(strings.Join(escaped, html.EscapeString(sep)))
				}
				var want []string
				if len(tt.inStock) > 0 {
					want = append(want, plainText(t, lang, "post.sizes", locale.Args{"List": list(tt.inStock)}))
				}
				if len(tt.sold) > 0 {
					want = append(want, plainText(t, lang, "post.sizes_sold_out", locale.Args{"List": list(tt.sold)}))
				}
				if plain := locale.Plain(got); plain != strings.Join(want, "\n") {
					t.Errorf("Sizes = %q, want %q", plain, strings.Join(want, "\n"))
				}
				checkMarkup(t, got)
			})
		}
	}
}

func TestItemAvailability(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 3, 7, 11, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	inStock := []catalog.Variant{{Name: "S", Stock: stock(0)}, {Name: "M", Stock: stock(1)}}
	unlimited := []catalog.Variant{{}}
	soldOut := []catalog.Variant{{Name: "S", Stock: stock(0)}, {Name: "M", Stock: stock(0)}}
	open := catalog.Week{Status: catalog.Published, ClosesAt: at(time.Hour)}
	tests := []struct {
		name     string
		hidden   bool
		variants []catalog.Variant
		week     catalog.Week
		want     channel.Availability
	}{
		{"in stock", false, inStock, open, channel.Available},
		{"unlimited", false, unlimited, open, channel.Available},
		{"while publishing", false, inStock, catalog.Week{Status: catalog.Publishing, ClosesAt: at(time.Hour)}, channel.Available},
		{"no cut-off", false, inStock, catalog.Week{Status: catalog.Published}, channel.Available},
		{"a nanosecond before the cut-off", false, inStock, catalog.Week{Status: catalog.Published, ClosesAt: at(time.Nanosecond)}, channel.Available},
		{"sold out", false, soldOut, open, channel.SoldOut},
		{"no variants", false, nil, open, channel.SoldOut},
		{"week closed", false, inStock, catalog.Week{Status: catalog.Closed, ClosesAt: at(time.Hour)}, channel.Closed},
		{"week closed without cut-off", false, inStock, catalog.Week{Status: catalog.Closed}, channel.Closed},
		{"at the cut-off", false, inStock, catalog.Week{Status: catalog.Published, ClosesAt: at(0)}, channel.Closed},
		{"past the cut-off, not yet closed", false, inStock, catalog.Week{Status: catalog.Published, ClosesAt: at(-time.Minute)}, channel.Closed},
		{"closed and sold out", false, soldOut, catalog.Week{Status: catalog.Closed}, channel.Closed},
		{"hidden", true, inStock, open, channel.Withdrawn},
		{"hidden and sold out", true, soldOut, open, channel.Withdrawn},
		{"hidden and closed", true, inStock, catalog.Week{Status: catalog.Closed}, channel.Withdrawn},
	}
	for _, tt := range tests {
		it := catalog.Item{Title: "x", Hidden: tt.hidden, Variants: tt.variants}
		if got := channel.ItemAvailability(it, tt.week, now); got != tt.want {
			t.Errorf("%s: ItemAvailability = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 3, 12, 3, 0, 0, 0, time.UTC)
	// 11:00 UTC is 18:00 in Ho Chi Minh City, the renderer's zone.
	closes := time.Date(2024, 3, 14, 11, 0, 0, 0, time.UTC)
	title := `Tuần 11 <sale> & "more"`
	tests := []struct {
		name   string
		lang   string
		items  int
		week   catalog.Week
		counts string // the item count line
		last   string // the cut-off line, or the closed line
	}{
		{"en one", "en", 1, catalog.Week{Status: catalog.Published, ClosesAt: &closes}, "1 item this week", "Book before Thu 14/03 18:00"},
		{"en several", "en", 12, catalog.Week{Status: catalog.Publishing, ClosesAt: &closes}, "12 items this week", "Book before Thu 14/03 18:00"},
		{"en closed", "en", 3, catalog.Week{Status: catalog.Closed, ClosesAt: &closes}, "3 items this week", "🔒 Bookings are closed"},
		{"en past the cut-off", "en", 3, catalog.Week{Status: catalog.Published, ClosesAt: ptrTime(now)}, "3 items this week", "🔒 Bookings are closed"},
		{"vi", "vi", 5, catalog.Week{Status: catalog.Published, ClosesAt: &closes}, "5 sản phẩm tuần này", "Đặt trước T5 14/03 18:00"},
		{"vi closed", "vi", 1, catalog.Week{Status: catalog.Closed}, "1 sản phẩm tuần này", "🔒 Đã chốt đơn"},
		{"ar two", "ar", 2, catalog.Week{Status: catalog.Published, ClosesAt: &closes}, "منتجان هذا الأسبوع", "احجز قبل \u2068الخميس 14/03 18:00\u2069"},
		{"ar three", "ar", 3, catalog.Week{Status: catalog.Published, ClosesAt: &closes}, "\u20683\u2069 منتجات هذا الأسبوع", "احجز قبل \u2068الخميس 14/03 18:00\u2069"},
		{"ar eleven", "ar", 11, catalog.Week{Status: catalog.Closed}, "\u206811\u2069 منتجًا هذا الأسبوع", "🔒 الحجز مغلق"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := renderer(t, tt.lang)
			w := tt.week
			w.Title = title
			got := r.Header(w, tt.items, now)
			checkMarkup(t, got, "<b>", "</b>")
			want := strings.Join([]string{title, tt.counts, tt.last}, "\n")
			if plain := locale.Plain(got); plain != want {
				t.Errorf("Header =\n%q\nwant\n%q", plain, want)
			}
		})
	}

	t.Run("no cut-off", func(t *testing.T) {
		t.Parallel()
		got := locale.Plain(renderer(t, "en").Header(catalog.Week{Title: "W", Status: catalog.Published}, 2, now))
		if got != "W\n2 items this week" {
			t.Errorf("Header = %q", got)
		}
	})
}

func ptrTime(t time.Time) *time.Time { return &t }

func TestWhen(t *testing.T) {
	t.Parallel()
	tests := []struct {
		lang string
		at   time.Time
		want string
	}{
		{"en", time.Date(2024, 3, 14, 11, 0, 0, 0, time.UTC), "Thu 14/03 18:00"},
		// Still Thursday in UTC, Friday in Ho Chi Minh City.
		{"en", time.Date(2024, 3, 14, 20, 5, 0, 0, time.UTC), "Fri 15/03 03:05"},
		{"vi", time.Date(2024, 3, 14, 20, 5, 0, 0, time.UTC), "T6 15/03 03:05"},
		{"vi", time.Date(2024, 3, 16, 17, 30, 0, 0, time.UTC), "CN 17/03 00:30"},
		{"ar", time.Date(2024, 3, 14, 20, 5, 0, 0, time.UTC), "الجمعة 15/03 03:05"},
	}
	for _, tt := range tests {
		if got := renderer(t, tt.lang).When(tt.at); got != tt.want {
			t.Errorf("%s When(%s) = %q, want %q", tt.lang, tt.at, got, tt.want)
		}
	}
}

func TestOrderURL(t *testing.T) {
	t.Parallel()
	urlRe := regexp.MustCompile(`^https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]{1,64})$`)
	seen := map[string]int64{}
	for _, bot := range []string{"shop_bot", "Lan_Shop2Bot"} {
		for _, id := range []int64{1, 9, 10, 35, 36, 42, 1295, 1296, 1_000_000_007, 1 << 53, math.MaxInt64} {
			r := renderer(t, "en")
			r.BotUsername = bot
			got := r.OrderURL(id)
			m := urlRe.FindStringSubmatch(got)
			if m == nil || m[1] != bot {
				t.Errorf("OrderURL(%d) = %q, not a t.me link to %s with a valid start payload", id, got, bot)
				continue
			}
			u, err := url.Parse(got)
			if err != nil || u.Query().Get("start") != m[2] {
				t.Errorf("OrderURL(%d) = %q: start parameter %q, %v", id, got, u.Query().Get("start"), err)
			}
			back, err := catalog.ParseItemPayload(m[2])
			if err != nil || back != id {
				t.Errorf("ParseItemPayload(%q) = %d, %v; want %d", m[2], back, err, id)
			}
			if other, dup := seen[got]; dup {
				t.Errorf("items %d and %d share %q", other, id, got)
			}
			seen[got] = id
		}
	}
}
