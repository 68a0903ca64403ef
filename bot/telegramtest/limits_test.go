package telegramtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	tele "gopkg.in/telebot.v3"
)

func TestPrivateChatBurstThenFlood(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	other := s.User(1002, "Bob", "bob", "en")
	b := newBot(t, s)
	for i := 0; i < 3; i++ {
		if _, err := b.Send(u, fmt.Sprint("burst ", i)); err != nil {
			t.Fatalf("send %d within the burst: %v", i, err)
		}
	}
	_, err := b.Send(u, "one too many")
	var flood tele.FloodError
	if !errors.As(err, &flood) || flood.RetryAfter != 1 {
		t.Fatalf("fourth send: %v, want FloodError with retry_after 1", err)
	}
	// Another chat has its own budget.
	if _, err := b.Send(other, "hi"); err != nil {
		t.Fatalf("other chat: %v", err)
	}
	a := call(t, s, "sendMessage", map[string]any{"chat_id": u.ID, "text": "raw"})
	if a.Status != 429 || a.Description != fmt.Sprintf("Too Many Requests: retry after %d", a.Parameters.RetryAfter) || a.Parameters.RetryAfter < 1 {
		t.Fatalf("raw answer = %+v", a)
	}
	if s.TooMany() != 2 || s.TooManyFor("sendMessage", u.ID) != 2 || s.TooManyFor("", other.ID) != 0 {
		t.Fatalf("TooMany = %d, for Ann %d", s.TooMany(), s.TooManyFor("sendMessage", u.ID))
	}
	// A refused send delivers nothing, and the chat recovers at about 1/s.
	if n := len(u.Messages()); n != 3 {
		t.Fatalf("Ann has %d messages, want 3", n)
	}
	time.Sleep(time.Duration(flood.RetryAfter) * time.Second)
	if _, err := b.Send(u, "after waiting"); err != nil {
		t.Fatalf("after retry_after: %v", err)
	}
}

func TestGlobalLimit(t *testing.T) {
	// Private chats unlimited here so only the global bucket can refuse.
	l := DefaultLimits()
	l.PrivateRate = 0
	s := NewServer(t, WithLimits(l))
	b := newBot(t, s)
	start := time.Now()
	sent, refused := 0, 0
	for i := 0; i < 60; i++ {
		u := s.User(int64(5000+i), "U", "", "en")
		_, err := b.Send(u, "sale!")
		var flood tele.FloodError
		switch {
		case err == nil:
			sent++
		case errors.As(err, &flood):
			refused++
		default:
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if max := 30 + int(elapsed.Seconds()*30) + 1; sent > max {
		t.Fatalf("%d sends got through in %s; the 30/s budget allows %d", sent, elapsed, max)
	}
	if sent < 30 {
		t.Fatalf("only %d sends got through; the burst alone allows 30", sent)
	}
	if elapsed < 900*time.Millisecond && refused == 0 {
		t.Fatalf("60 sends in %s were all accepted", elapsed)
	}
	if s.TooManyFor("sendMessage", 0) != refused {
		t.Fatalf("TooMany = %d, refused %d", s.TooMany(), refused)
	}
}

func TestChannelLimitScaled(t *testing.T) {
	// Telegram's 20 posts a minute, five times faster: 20 burst, one per 0.6 s.
	s := NewServer(t, WithLimits(DefaultLimits().Scaled(5)))
	ch := s.Channel(-1001234567890, "Shop news", "shop_news")
	b := newBot(t, s)
	for i := 0; i < 20; i++ {
		if _, err := b.Send(username("@shop_news"), fmt.Sprint("post ", i)); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	_, err := b.Send(ch, "post 21")
	var flood tele.FloodError
	if !errors.As(err, &flood) || flood.RetryAfter != 1 {
		t.Fatalf("21st post: %v, want FloodError retry_after 1", err)
	}
	// Edits in a channel have their own bucket, so they still go through.
	msgs := ch.Messages()
	last := &tele.Message{ID: msgs[19].ID, Chat: &tele.Chat{ID: ch.ID}}
	for i := 0; i < 20; i++ {
		if _, err := b.Edit(last, fmt.Sprint("edit ", i)); err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	if _, err := b.Edit(last, "edit 21"); !errors.As(err, &flood) {
		t.Fatalf("21st edit: %v, want FloodError", err)
	}
	if s.TooManyFor("editMessageText", ch.ID) != 1 || s.TooManyFor("sendMessage", ch.ID) != 1 {
		t.Fatalf("errors = %+v", s.Errors())
	}
	time.Sleep(700 * time.Millisecond)
	if _, err := b.Send(ch, "after the wait"); err != nil {
		t.Fatalf("after 0.7 s: %v", err)
	}
	if got := len(ch.Messages()); got != 21 {
		t.Fatalf("channel holds %d posts, want 21", got)
	}
}

func TestPrivateEditsAndAnswersAreNotLimited(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	m, err := b.Send(u, "count 0")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 15; i++ {
		if _, err := b.Edit(m, fmt.Sprint("count ", i)); err != nil {
			t.Fatalf("edit %d: %v", i, err)
		}
	}
	if s.TooMany() != 0 {
		t.Fatalf("TooMany = %d", s.TooMany())
	}
}

func TestLimitsScaled(t *testing.T) {
	l := DefaultLimits().Scaled(2)
	if l.PrivateRate != 2 || l.GlobalRate != 60 || l.GroupBurst != 20 || l.GroupRate != 40.0/60 {
		t.Fatalf("scaled = %+v", l)
	}
}
