// Package channel renders the weekly catalog as Telegram channel posts and keeps those
// posts true: it posts what is missing and edits what changed, within Telegram's limits.
package channel

import (
	"html"
	"net/url"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
)

// MaxCaption is Telegram's caption limit, in UTF-16 units of the visible text.
const MaxCaption = 1024

// Renderer writes captions and texts about items and weeks in one language.
type Renderer struct {
	Texts       *locale.Bundle
	Lang        string
	BotUsername string
	Location    *time.Location
}

// OrderURL is the deep link that opens an item's card in a private chat with the bot.
func (r Renderer) OrderURL(itemID int64) string {
	return "https://t.me/" + url.PathEscape(r.BotUsername) + "?start=" + catalog.ItemPayload(itemID)
}

// Availability is what a post or card says about whether an item can be booked.
type Availability int

// Availabilities, the first one bookable.
const (
	Available Availability = iota
	SoldOut
	Closed
	Withdrawn // hidden by the seller
)

// WeekClosed reports whether bookings from w are closed at now.
func WeekClosed(w catalog.Week, now time.Time) bool {
	return w.Status == catalog.Closed || (w.ClosesAt != nil && !now.Before(*w.ClosesAt))
}

// ItemAvailability tells whether it can be booked from week w at now.
func ItemAvailability(it catalog.Item, w catalog.Week, now time.Time) Availability {
	switch {
	case it.Hidden:
		return Withdrawn
	case WeekClosed(w, now):
		return Closed
	case it.SoldOut():
		return SoldOut
	}
	return Available
}

// Caption is an item's post caption: title, price, sizes in stock, the description
// shortened to fit Telegram's 1024 characters, and what stops a booking, if anything. The
// lines after (a card's place in the catalog, a seller's stock) follow in a paragraph of
// their own, kept whole too.
func (r Renderer) Caption(it catalog.Item, a Availability, after ...string) string {
	var head, tail []string
	head = append(head, "<b>"+html.EscapeString(it.Title)+"</b>")
	head = append(head, r.Texts.T(r.Lang, "post.price", locale.Args{"Price": money.Format(it.Price, it.Currency)}))
	if sizes := r.Sizes(it); sizes != "" {
		head = append(head, sizes)
	}
	switch a {
	case SoldOut:
		tail = append(tail, r.Texts.T(r.Lang, "post.sold_out"))
	case Closed:
		tail = append(tail, r.Texts.T(r.Lang, "post.closed"))
	case Withdrawn:
		tail = append(tail, r.Texts.T(r.Lang, "post.withdrawn"))
	}
	compose := func(desc string) string {
		parts := append([]string{}, head...)
		if desc != "" {
			parts = append(parts, "", html.EscapeString(desc))
		}
		if len(tail) > 0 {
			parts = append(parts, "")
			parts = append(parts, tail...)
		}
		if len(after) > 0 {
			parts = append(parts, "")
			parts = append(parts, after...)
		}
		return strings.Join(parts, "\n")
	}
	desc := strings.TrimSpace(it.Description)
	caption := compose(desc)
	if VisibleLen(caption) <= MaxCaption {
		return caption
	}
	// Shorten the description, never the rest, and never fail the post.
	runes := []rune(desc)
	lo, hi := 0, len(runes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if VisibleLen(compose(strings.TrimSpace(string(runes[:mid]))+"…")) <= MaxCaption {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		if c := compose(""); VisibleLen(c) > MaxCaption && len(after) > 0 {
			// No room for every line after either (a card's stock, with many long sizes):
			// the last goes, and the description has its room again.
			return r.Caption(it, a, after[:len(after)-1]...)
		}
		return compose("")
	}
	return compose(strings.TrimSpace(string(runes[:lo])) + "…")
}

// Sizes lists the named variants in stock and those sold out; empty for an item without sizes.
func (r Renderer) Sizes(it catalog.Item) string {
	var in, out []string
	for _, v := range it.Variants {
		if v.Name == "" {
			continue
		}
		if v.InStock(1) {
			in = append(in, html.EscapeString(v.Name))
		} else {
			out = append(out, html.EscapeString(v.Name))
		}
	}
	if len(in) == 0 && len(out) == 0 {
		return ""
	}
	sep := r.Texts.T(r.Lang, "list.separator")
	var parts []string
	if len(in) > 0 {
		parts = append(parts, r.Texts.T(r.Lang, "post.sizes", locale.Args{"List": locale.HTML(strings.Join(in, sep))}))
	}
	if len(out) > 0 {
		parts = append(parts, r.Texts.T(r.Lang, "post.sizes_sold_out", locale.Args{"List": locale.HTML(strings.Join(out, sep))}))
	}
	return strings.Join(parts, "\n")
}

// ButtonText is the short message after an album that carries the Order button.
func (r Renderer) ButtonText(it catalog.Item, a Availability) string {
	text := r.Texts.T(r.Lang, "post.album_button_text", locale.Args{"Title": it.Title, "Price": money.Format(it.Price, it.Currency)})
	switch a {
	case SoldOut:
		text += "\n" + r.Texts.T(r.Lang, "post.sold_out")
	case Closed:
		text += "\n" + r.Texts.T(r.Lang, "post.closed")
	case Withdrawn:
		text += "\n" + r.Texts.T(r.Lang, "post.withdrawn")
	}
	return text
}

// Header is the week's first post: its title, how many items, and the cut-off.
func (r Renderer) Header(w catalog.Week, items int, now time.Time) string {
	text := "<b>" + html.EscapeString(w.Title) + "</b>\n" + r.Texts.N(r.Lang, "post.header_items", items)
	if WeekClosed(w, now) {
		return text + "\n" + r.Texts.T(r.Lang, "post.closed")
	}
	if w.ClosesAt != nil {
		text += "\n" + r.Texts.T(r.Lang, "post.header_closes", locale.Args{"When": r.When(*w.ClosesAt)})
	}
	return text
}

// When writes a moment in the shop's time zone, e.g. "Thu 12/03 18:00".
func (r Renderer) When(t time.Time) string {
	local := t.In(r.Location)
	return r.Texts.T(r.Lang, "day."+local.Weekday().String()[:3]) + " " + local.Format("02/01 15:04")
}

// VisibleLen is the length Telegram counts for an HTML text: UTF-16 units of what shows.
func VisibleLen(htmlText string) int {
	return len(utf16.Encode([]rune(locale.Plain(htmlText))))
}
