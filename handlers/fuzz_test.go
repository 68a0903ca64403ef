package handlers

import (
	"fmt"
	"html"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones below, wherever the test runs
	"unicode/utf8"

	"github.com/shopbot/shopbot/locale"
)

// FuzzCallbackData feeds twoInts what a tampered client can put in callback data: up to
// 64 bytes of anything after the button family.
func FuzzCallbackData(f *testing.F) {
	for _, s := range []string{
		"12|3", "0|0", "1|", "|1", "|", "", "a|b", "-1|2", "1|-2", "+1|2", "01|002", "1|2|3", "1||2",
		"9223372036854775807|9223372036854775807", "9223372036854775808|1", "1 |2", "١|٢", "\x00|\xff",
		"12|card", "12|v34", "12|paid!", "unpaid|0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		x, y, ok := twoInts(data)
		if !ok {
			return
		}
		if x < 0 || y < 0 || !strings.Contains(data, "|") {
			t.Fatalf("twoInts(%q) = %d, %d, true", data, x, y)
		}
		// What the bot writes itself reads back the same.
		own := fmt.Sprintf("%d|%d", x, y)
		if a, b, ok := twoInts(own); !ok || a != x || b != y {
			t.Fatalf("twoInts(%q) = %d, %d, %v", own, a, b, ok)
		}
		if len(own) > len(data) {
			t.Fatalf("twoInts(%q) read %d and %d, written longer as %q", data, x, y, own)
		}
	})
}

// rangeZones are a shop's zones, with one whose clocks change at midnight (Chile), where
// a day's first hour may not exist.
var rangeZones = []string{"UTC", "Asia/Ho_Chi_Minh", "Africa/Cairo", "America/Santiago", "Australia/Lord_Howe"}

func FuzzParseRange(f *testing.F) {
	for i, s := range []string{
		"", "2026-03-01", "2026-03-01 2026-03-31", "01/03/2026 31/03/2026", "1/3/2026 2/3/2026",
		"2026-03-31 2026-03-01", "2026-03-01 2026-03-01", "2026-13-45", "2026-02-30", "0000-01-01 9999-12-31",
		"2026-03-01 2026-03-02 2026-03-03", "  2026-03-01\t\n2026-03-02 ", "2026-09-06 2026-09-06", "2026-09-05",
		"٢٠٢٦-٠٣-٠١", "2026-3-1", "+2026-03-01", "2026-03-01T00:00", "31/02/2026", "0/0/0",
	} {
		f.Add(s, uint8(i))
	}
	locs := make([]*time.Location, len(rangeZones))
	for i, name := range rangeZones {
		loc, err := time.LoadLocation(name)
		if err != nil {
			f.Fatal(err)
		}
		locs[i] = loc
	}
	f.Fuzz(func(t *testing.T, text string, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		h := &Handlers{Deps: Deps{Location: loc}}
		r, ok := h.parseRange(text)
		if !ok {
			if !r.From.IsZero() || !r.To.IsZero() {
				t.Fatalf("parseRange(%q) refused, but gave %v", text, r)
			}
			return
		}
		fields := strings.Fields(text)
		switch len(fields) {
		case 0:
			if !r.From.IsZero() || !r.To.IsZero() {
				t.Fatalf("parseRange(%q) in %s = %v: bounded without dates", text, loc, r)
			}
		case 1:
			if !r.To.IsZero() {
				t.Fatalf("parseRange(%q) in %s = %v: an end without one given", text, loc, r)
			}
		case 2:
			if !r.To.After(r.From) {
				t.Fatalf("parseRange(%q) in %s = %v: ends before it starts", text, loc, r)
			}
		default:
			t.Fatalf("parseRange(%q) accepted %d fields", text, len(fields))
		}
	})
}

// FuzzShorten checks the cut that keeps sellers' messages and captions within Telegram's
// limits: never longer than asked, never a panic, and only whole lines dropped from
// the end unless a single line is too long.
func FuzzShorten(f *testing.F) {
	for _, s := range []string{
		"", "short", "<b>Order A1</b>\nline\nline", strings.Repeat("a", 5000), strings.Repeat("ab\n", 2000),
		"<b>" + strings.Repeat("x", 50) + "</b>", "&amp;&lt;\n&gt;", strings.Repeat("é", 30) + "\n" + strings.Repeat("z", 30),
		"\n\n\n", "<i>unclosed\n" + strings.Repeat("y", 40),
	} {
		f.Add(s, uint16(20))
		f.Add(s, uint16(1024))
	}
	f.Fuzz(func(t *testing.T, text string, max uint16) {
		if max == 0 || !utf8.ValidString(text) {
			return // the callers ask for a positive length of text that came through JSON
		}
		got := shorten(text, int(max))
		visible := utf8.RuneCountInString(locale.Plain(got))
		if visible > int(max) {
			t.Fatalf("shorten(%q, %d) = %q: %d characters", text, max, got, visible)
		}
		if utf8.RuneCountInString(locale.Plain(text)) <= int(max) && got != text {
			t.Fatalf("shorten(%q, %d) = %q: cut what fitted", text, max, got)
		}
		cut, isCut := strings.CutSuffix(got, "…")
		switch {
		case strings.HasPrefix(text, got) && (got == text || text[len(got)] == '\n'):
			// whole lines
		case isCut && strings.HasPrefix(locale.Plain(text), html.UnescapeString(cut)):
			// the first line, cut, as plain text
		default:
			t.Fatalf("shorten(%q, %d) = %q: neither whole lines nor the start of the text", text, max, got)
		}
	})
}
