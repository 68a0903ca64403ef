package bot

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/handlers"
)

// observe is the outermost middleware: it gives the update a context with a deadline,
// measures and logs it (ids and timings only, never message contents), turns a panic into
// a polite reply, and ignores chats other than private ones: the shop talks one to one.
func (a *App) observe(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) (err error) {
		start := time.Now()
		kind := updateKind(c.Update())
		ctx, cancel := context.WithTimeout(a.base, a.opts.HandlerTimeout)
		defer cancel()
		handlers.WithContext(c, ctx)
		a.holdAnswer(c)

		var userID int64
		if u := c.Sender(); u != nil {
			userID = u.ID
		}
		defer func() {
			if p := recover(); p != nil {
				a.metrics.errors.WithLabelValues("panic").Inc()
				a.log.Error("handler panic", "update_id", c.Update().ID, "type", kind, "user_id", userID,
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				a.apologise(c)
				err = nil
			}
			elapsed := time.Since(start)
			a.metrics.updates.WithLabelValues(kind).Inc()
			a.metrics.latency.WithLabelValues(kind).Observe(elapsed.Seconds())
			a.log.Debug("update", "update_id", c.Update().ID, "type", kind, "user_id", userID, "ms", elapsed.Milliseconds())
		}()

		if chat := c.Chat(); chat == nil || chat.Type != tele.ChatPrivate {
			return nil
		}
		if err := next(c); err != nil {
			label := "handler"
			var panicked *handlers.PanicError
			switch {
			case handlers.Unavailable(err):
				label = "unavailable"
			case errors.As(err, &panicked):
				label = "panic"
			}
			a.metrics.errors.WithLabelValues(label).Inc()
			a.log.Error("update failed", "update_id", c.Update().ID, "type", kind, "user_id", userID, "err", err)
			if !handlers.IsReported(err) {
				a.apologise(c)
			}
		}
		return nil
	}
}

func (a *App) apologise(c tele.Context) {
	if err := a.handlers.Apologise(c); err != nil {
		a.log.Warn("apology not delivered", "err", err)
	}
}

func updateKind(u tele.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.Callback != nil:
		return "callback_query"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.MyChatMember != nil:
		return "my_chat_member"
	}
	return "other"
}
