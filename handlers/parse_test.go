package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

func TestParseRange(t *testing.T) {
	saigon, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	h := &Handlers{Deps: Deps{Location: saigon}}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, saigon) }
	tests := []struct {
		text     string
		from, to time.Time // zero: unbounded
		ok       bool
	}{
		{"", time.Time{}, time.Time{}, true},
		{"2026-03-01", day(2026, 3, 1), time.Time{}, true},
		{"01/03/2026", day(2026, 3, 1), time.Time{}, true}, // day first, as the shop's customers write it
		{"1/3/2026 2/3/2026", day(2026, 3, 1), day(2026, 3, 3), true},
		{"2026-03-01 2026-03-31", day(2026, 3, 1), day(2026, 4, 1), true},
		{"2026-03-01 2026-03-01", day(2026, 3, 1), day(2026, 3, 2), true}, // the whole day
		{"2026-03-31 2026-03-01", time.Time{}, time.Time{}, false},
		{"31/02/2026", time.Time{}, time.Time{}, false},
		{"2026-03-01 2026-03-02 2026-03-03", time.Time{}, time.Time{}, false},
		{"March", time.Time{}, time.Time{}, false},
		{"٠١/٠٣/٢٠٢٦ ۳۱/۰۳/۲۰۲۶", day(2026, 3, 1), day(2026, 4, 1), true}, // Arabic-Indic and Persian digits
	}
	for _, tt := range tests {
		r, ok := h.parseRange(tt.text)
		if ok != tt.ok || !r.From.Equal(tt.from) || !r.To.Equal(tt.to) {
			t.Errorf("parseRange(%q) = [%v, %v), %v; want [%v, %v), %v", tt.text, r.From, r.To, ok, tt.from, tt.to, tt.ok)
		}
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		text string
		max  int
		want string
	}{
		{"<b>Order A1</b>\nline two\nline three", 100, "<b>Order A1</b>\nline two\nline three"},
		// Whole lines go from the end first.
		{"<b>Order A1</b>\nline two\nline three", 20, "<b>Order A1</b>\nline two"},
		// A single line too long is cut, as plain text, with an ellipsis.
		{"<b>" + strings.Repeat("x", 30) + "</b>", 10, strings.Repeat("x", 9) + "…"},
		{"a &amp; b &lt;c&gt; and more words", 8, "a &amp; b &lt;…"},
	}
	for _, tt := range tests {
		got := shorten(tt.text, tt.max)
		if got != tt.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
		}
		if n := len([]rune(locale.Plain(got))); n > tt.max {
			t.Errorf("shorten(%q, %d): %d characters", tt.text, tt.max, n)
		}
	}
}

// The longest order a customer can put together — every line, name, address and note at
// its limit, the largest amounts — is told to the sellers whole, with room for the status
// line its copies get, in every language.
func TestLongestOrderFitsOneMessage(t *testing.T) {
	texts, err := locale.New()
	if err != nil {
		t.Fatal(err)
	}
	h := &Handlers{Deps: Deps{Texts: texts, Currency: "VND", AdminIDs: []int64{1}}}
	long := func(n int) string { return strings.Repeat("Ư", n) }
	o := orders.Order{Code: "K7Q2M", Currency: "VND", Total: 999_999_999_999, Delivery: orders.Shipping,
		RecipientName: long(maxName), Phone: "+841234567890123", Address: long(maxAddress), Note: long(maxNote),
		Customer: orders.Customer{FirstName: long(64), LastName: long(64), Username: strings.Repeat("u", 32)}}
	for range maxCartLines {
		o.Lines = append(o.Lines, orders.Line{Title: long(catalog.MaxTitle), VariantName: long(32), UnitPrice: 999_999_999, Quantity: orders.MaxQuantity})
	}
	const statusRoom = 200 // "Status: … — name, time" added to the sellers' copies
	for _, lang := range []string{"en", "vi", "ar"} {
		notice := h.newOrderNotices(o, map[int64]string{1: lang})[0].Text
		whole := h.Texts.T(lang, "notice.new_order") + "\n" + h.orderSummary(lang, o)
		if notice != whole {
			t.Errorf("%s: the new-order notice lost lines to fit", lang)
		}
		if n := channel.VisibleLen(whole) + statusRoom; n > maxMessage {
			t.Errorf("%s: the longest order takes %d characters with its status line, over %d", lang, n, maxMessage)
		}
	}
}

// A week title is the bot's when it is week.default_title for some day, in any language;
// anything else, a bare date included, is the seller's.
func TestBotTitled(t *testing.T) {
	texts, err := locale.New()
	if err != nil {
		t.Fatal(err)
	}
	h := &Handlers{Deps: Deps{Texts: texts}}
	arabic := locale.Plain(texts.T("ar", "week.default_title", locale.Args{"Date": "01/05"})) // the date isolated
	for title, want := range map[string]bool{
		"Catalog of 09/03": true, "Danh mục 31/12": true, arabic: true, "كتالوج 01/05": false,
		"24/12": false, "01/05": false, "Catalog of 32/13": false, "Catalog of 09/03!": false,
		"Danh mục tuần 10": false, "Hàng mới về": false, "": false,
	} {
		if got := h.botTitled(title); got != want {
			t.Errorf("botTitled(%q) = %v, want %v", title, got, want)
		}
	}
}

func TestIsCommand(t *testing.T) {
	for text, want := range map[string]bool{
		"/menu": true, "/start@shop_bot": true, "/sale50 today": true, "/order K7Q2M": true,
		"/12 Lê Lợi": false, "/ Vietcombank": false, "/": false, "hello /menu": false, "": false,
	} {
		if got := isCommand(text); got != want {
			t.Errorf("isCommand(%q) = %v, want %v", text, got, want)
		}
	}
}
