package telegramtest

import (
	"errors"
	"strings"
	"testing"

	tele "gopkg.in/telebot.v3"
)

func TestFailNext(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)

	cases := []struct {
		code       int
		retryAfter int
		check      func(error) bool
	}{
		{429, 7, func(err error) bool {
			var flood tele.FloodError
			return errors.As(err, &flood) && flood.RetryAfter == 7
		}},
		{500, 0, func(err error) bool { return errors.Is(err, tele.ErrInternal) }},
		{502, 0, func(err error) bool { return err != nil && strings.Contains(err.Error(), "Bad Gateway (502)") }},
	}
	for _, tc := range cases {
		s.FailNext("sendMessage", 1, tc.code, tc.retryAfter)
		if _, err := b.Send(u, "x"); !tc.check(err) {
			t.Fatalf("FailNext %d: err = %v", tc.code, err)
		}
	}
	if len(u.Messages()) != 0 {
		t.Fatal("a failed call delivered a message")
	}
	// Faults count down and then stop; other methods are untouched.
	s.FailNext("sendMessage", 2, 500, 0)
	if err := b.Notify(u, tele.Typing); err != nil {
		t.Fatalf("other method: %v", err)
	}
	for i := 0; i < 2; i++ {
		if _, err := b.Send(u, "x"); err == nil {
			t.Fatalf("call %d was not failed", i)
		}
	}
	if _, err := b.Send(u, "through"); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	s.FailNext("", 1, 500, 0)
	if err := b.Notify(u, tele.Typing); !errors.Is(err, tele.ErrInternal) {
		t.Fatalf("any-method fault: %v", err)
	}

	errs := s.Errors()
	if len(errs) != 6 || !errs[0].Injected || errs[0].RetryAfter != 7 || errs[0].ChatID != u.ID {
		t.Fatalf("Errors() = %+v", errs)
	}
	if s.TooMany() != 1 {
		t.Fatalf("TooMany = %d", s.TooMany())
	}
}

func TestDropNextAndLoseAnswer(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)

	s.DropNext("sendMessage", 1)
	if _, err := b.Send(u, "dropped"); err == nil {
		t.Fatal("a dropped connection looked like success")
	}
	if len(u.Messages()) != 0 {
		t.Fatal("a dropped call delivered a message")
	}

	s.LoseAnswerNext("sendMessage", 1)
	if _, err := b.Send(u, "delivered, answer lost"); err == nil {
		t.Fatal("a lost answer looked like success")
	}
	if m := u.Next(t); m.Text != "delivered, answer lost" {
		t.Fatalf("message = %+v", m)
	}

	if _, err := b.Send(u, "normal"); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if got := s.Calls("sendMessage"); got != 3 {
		t.Fatalf("Calls = %d, want 3", got)
	}
	s.NoErrors(t)
}
