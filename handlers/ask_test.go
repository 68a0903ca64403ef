package handlers

import (
	"html"
	"strings"
	"testing"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/orders"
)

// Whatever Telegram took from its writer is passed on within Telegram's limits, whole:
// with its head when both fit, after it when only the words do.
func TestRelayFitsTelegram(t *testing.T) {
	head := "💬 <b>Nguyễn Thị Bích (@bich_ng)</b> writes about order <code>K7Q2M</code>:"
	emoji := strings.Repeat("😀", 2048) // 4096 UTF-16 units: the most a message holds
	for _, tc := range []struct {
		name         string
		m            orders.Message
		parts        int
		photoCaption int // the limit of the first part
	}{
		{"short text", orders.Message{Text: "còn size M không?"}, 1, maxMessage},
		{"text full of emoji", orders.Message{Text: emoji}, 2, maxMessage},
		{"text of <tags> & marks", orders.Message{Text: strings.Repeat("<&>", 1365)}, 2, maxMessage},
		{"photo alone", orders.Message{PhotoFileID: "AgAD"}, 1, maxCaption},
		{"photo with a caption", orders.Message{PhotoFileID: "AgAD", Text: "this one in blue?"}, 1, maxCaption},
		{"photo with a full caption", orders.Message{PhotoFileID: "AgAD", Text: strings.Repeat("a", 1024)}, 2, maxCaption},
	} {
		msgs := relay(1001, KindQuestion, head, tc.m, []byte(`{}`))
		if len(msgs) != tc.parts {
			t.Errorf("%s: %d parts, want %d", tc.name, len(msgs), tc.parts)
			continue
		}
		var words []string
		for i, m := range msgs {
			limit := maxMessage
			if i == 0 {
				limit = tc.photoCaption
			}
			if n := channel.VisibleLen(m.Text); n > limit {
				t.Errorf("%s: part %d is %d long, over %d", tc.name, i+1, n, limit)
			}
			if (m.PhotoFileID != "") != (i == 0 && tc.m.PhotoFileID != "") {
				t.Errorf("%s: part %d carries the photo %q", tc.name, i+1, m.PhotoFileID)
			}
			if (m.Markup != nil) != (i == len(msgs)-1) {
				t.Errorf("%s: part %d's buttons: %s", tc.name, i+1, m.Markup)
			}
			words = append(words, m.Text)
		}
		got := strings.TrimPrefix(strings.Join(words, "\n"), head)
		if want := channel.VisibleLen(html.EscapeString(tc.m.Text)); channel.VisibleLen(strings.TrimPrefix(got, "\n")) != want {
			t.Errorf("%s: the words passed on are %d long, want %d", tc.name, channel.VisibleLen(got), want)
		}
	}
}
