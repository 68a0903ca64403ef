package channel_test

import (
	"errors"
	"fmt"
	"testing"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
)

func TestRefused(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{tele.ErrChatNotFound, true},
		{tele.ErrNotChannelMember, true},
		{tele.ErrKickedFromChannel, true},
		{tele.ErrNoRightsToSendPhoto, true},
		{tele.NewError(400, "Bad Request: need administrator rights in the channel chat"), true},
		{fmt.Errorf("channel: post item 3: %w", tele.ErrNotChannelMember), true},
		{tele.ErrCantEditMessage, false},
		{tele.NewError(400, "Bad Request: message to edit not found"), false},
		{tele.NewError(429, "Too Many Requests: retry after 3"), false},
		{tele.NewError(502, "Bad Gateway"), false},
		{errors.New("dial tcp: connection refused"), false},
	} {
		if got := channel.Refused(tc.err); got != tc.want {
			t.Errorf("Refused(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	for err, want := range map[error]string{
		fmt.Errorf("channel: post header: %w", tele.ErrNotChannelMember):                       "Forbidden: bot is not a member of the channel chat",
		fmt.Errorf("handlers: send orders.csv: %w", fmt.Errorf("telegram: Bad Gateway (502)")): "Bad Gateway (502)",
		errors.New("dial tcp: connection refused"):                                             "dial tcp: connection refused",
	} {
		if got := channel.Reason(err); got != want {
			t.Errorf("Reason(%v) = %q, want %q", err, got, want)
		}
	}
}
