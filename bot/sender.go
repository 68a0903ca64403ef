package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/outbox"
)

// sender delivers the outbox: paced under Telegram's limits (per chat and overall),
// waiting out 429s, retrying server and network errors with backoff, giving up on chats
// that are gone and marking customers who blocked the bot. Several processes may run
// one on the same outbox; each message is claimed by one of them at a time.
type sender struct {
	a      *App
	store  *outbox.Store
	kick   chan struct{}
	global *rate.Limiter

	mu      sync.Mutex
	perChat map[int64]*rate.Limiter
}

const (
	senderBatch = 50 // messages out at once, at most: two seconds at the overall pace
	// senderClaimGap is the least time between claims.
	senderClaimGap = 250 * time.Millisecond
	senderPerChat  = 5 // at about one a second, well within the claim
	// mergeFrom new orders' notices waiting for a seller's chat, and up to mergeMost, go
	// as one message (sender.merge): the seller is five seconds behind at least.
	mergeFrom   = 5
	mergeMost   = 20
	senderClaim = 15 * time.Second
	maxBackoff  = 5 * time.Minute
	// giveUpAfter: Telegram or the network failing for a day. Until then a message is
	// retried, at most every maxBackoff.
	giveUpAfter = 24 * time.Hour
)

func newSender(a *App, store *outbox.Store) *sender {
	return &sender{a: a, store: store, kick: make(chan struct{}, 1),
		global:  rate.NewLimiter(rate.Limit(a.opts.SendRate), 1),
		perChat: map[int64]*rate.Limiter{}}
}

// Kick asks for a claim now, or as soon as the last one is senderClaimGap old.
func (s *sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

func (s *sender) run(ctx context.Context) {
	t := time.NewTicker(s.a.opts.Tick)
	defer t.Stop()
	// Each chat's messages go in order, in a goroutine of their own; chats go in parallel,
	// and a chat slow to deliver (a long upload, Telegram slow to answer) holds up no other:
	// more are claimed as soon as there is room, the chats being delivered left out. No
	// more than senderBatch messages are out at once, so that all of them go well within
	// their claim at the overall pace: another process takes back only what this one let go.
	busy := map[int64]int{} // chat: its messages out
	out := 0
	done := make(chan int64, senderBatch) // a chat has one message out at least: never full
	finish := func(chat int64) {
		out -= busy[chat]
		delete(busy, chat)
	}
	defer func() {
		for len(busy) > 0 {
			finish(<-done)
		}
	}()
	var reported time.Time
	for {
		for out < senderBatch {
			n := s.dispatch(ctx, senderBatch-out, busy, done)
			if n == 0 {
				break
			}
			out += n
		}
		claimed := time.Now()
		if len(busy) == 0 || time.Since(reported) >= time.Second {
			// Broadcasts' progress, as deliveries go on (a query: not at every one), and
			// as soon as they are all done.
			s.reportBroadcasts(ctx)
			reported = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case chat := <-done:
			finish(chat)
		case <-t.C:
		case <-s.kick:
		}
		// A claim walks every chat with the shop's messages waiting, one process at a time:
		// one each senderClaimGap at most, however often orders kick the sender and chats
		// finish.
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(claimed.Add(senderClaimGap))):
		}
		for finished := true; finished; {
			select {
			case chat := <-done:
				finish(chat)
			default:
				finished = false
			}
		}
	}
}

// dispatch claims up to limit messages of chats not busy and starts delivering each
// chat's, marking it busy with its count of messages until it reports on done. It returns
// how many it claimed, so the caller claims again at once while there is room.
func (s *sender) dispatch(ctx context.Context, limit int, busy map[int64]int, done chan<- int64) int {
	if ctx.Err() != nil {
		return 0
	}
	skip := make([]int64, 0, len(busy))
	for chat := range busy {
		skip = append(skip, chat)
	}
	msgs, err := s.store.Claim(ctx, limit, senderPerChat, senderClaim, skip...)
	if err != nil {
		if ctx.Err() == nil {
			s.a.metrics.errors.WithLabelValues("sender").Inc()
			s.a.log.Error("outbox claim", "err", err)
		}
		return 0
	}
	if len(msgs) == 0 {
		return 0
	}
	byChat := map[int64][]outbox.Message{}
	var order []int64
	for _, m := range msgs {
		if _, ok := byChat[m.ChatID]; !ok {
			order = append(order, m.ChatID)
		}
		byChat[m.ChatID] = append(byChat[m.ChatID], m)
	}
	for _, chat := range order {
		busy[chat] = len(byChat[chat])
		go func(msgs []outbox.Message) {
			defer func() { done <- chat }()
			merging := true // once a claim: what waits behind the first does behind the others
			for i := 0; i < len(msgs); i++ {
				m := msgs[i]
				if m.Kind == handlers.KindNewOrder && merging {
					merging = false
					var merged []int64
					var ok bool
					if m, merged, ok = s.merge(ctx, m, msgs[i+1:]); !ok {
						// Merged or not, as stored: all go back, to be claimed again as they are.
						s.putBack(msgs[i:], "merging with the new orders waiting")
						return
					}
					rest := slices.DeleteFunc(slices.Clone(msgs[i+1:]), func(x outbox.Message) bool { return slices.Contains(merged, x.ID) })
					msgs = append(msgs[:i+1:i+1], rest...)
				}
				if !s.deliver(ctx, m) {
					// Keep the chat's order: what follows waits for the next claim.
					s.putBack(msgs[i+1:], "waiting for an earlier message")
					return
				}
			}
		}(byChat[chat])
	}
	return len(msgs)
}

// putBack returns a chat's claimed messages untried, due again together a second later.
func (s *sender) putBack(msgs []outbox.Message, reason string) {
	if len(msgs) == 0 {
		return
	}
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	s.settle(func(ctx context.Context) error { return s.store.PutBack(ctx, ids, time.Second, reason) })
}

// merge sends a seller who fell behind (orders coming faster than one message a second)
// the new orders' notices waiting for their chat as one message, in the first's turn:
// mergeFrom of them at least, mergeMost at most. claimed is what else this sender took of
// the chat to deliver after m. It returns the message to send and the ids merged into it,
// or not ok when whether they were merged is not known (Postgres failed): then nothing may
// be sent as it was read.
func (s *sender) merge(ctx context.Context, m outbox.Message, claimed []outbox.Message) (_ outbox.Message, _ []int64, ok bool) {
	mine := make([]int64, 0, len(claimed))
	for _, c := range claimed {
		mine = append(mine, c.ID)
	}
	one, merged, err := s.store.Merge(ctx, m, mine, mergeFrom, mergeMost, func(msgs []outbox.Message) (outbox.Message, int, error) {
		return s.a.handlers.NewOrdersNotice(ctx, m.ChatID, msgs)
	})
	if err != nil {
		if ctx.Err() == nil {
			s.a.metrics.errors.WithLabelValues("sender").Inc()
			s.a.log.Warn("merging new orders' notices", "chat_id", m.ChatID, "err", err)
		}
		return m, nil, false
	}
	if len(merged) > 0 {
		s.a.metrics.outbox.WithLabelValues(m.Kind, "merged").Add(float64(len(merged) + 1))
	}
	return one, merged, true
}

func (s *sender) chatLimiter(chatID int64) *rate.Limiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.perChat[chatID]
	if l == nil {
		l = rate.NewLimiter(rate.Limit(s.a.opts.ChatRate), 1)
		s.perChat[chatID] = l
	}
	return l
}

// settle records an outcome even while the process stops: a sent message must not be
// sent again for want of a recorded "sent".
func (s *sender) settle(f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		s.a.log.Error("outbox settle", "err", err)
	}
}

// deliver sends one message and records the outcome; it reports whether the message is
// done with (sent or given up), so the chat's next message may go.
func (s *sender) deliver(ctx context.Context, m outbox.Message) bool {
	if err := s.chatLimiter(m.ChatID).Wait(ctx); err != nil {
		s.settle(func(ctx context.Context) error { return s.store.Retry(ctx, m.ID, 0, "stopped") })
		return false
	}
	if err := s.global.Wait(ctx); err != nil {
		s.settle(func(ctx context.Context) error { return s.store.Retry(ctx, m.ID, 0, "stopped") })
		return false
	}
	msg, err := s.send(ctx, m)
	var flood tele.FloodError
	switch {
	case err == nil:
		s.settle(func(ctx context.Context) error { return s.store.Sent(ctx, m.ID, msg.ID) })
		s.a.metrics.outbox.WithLabelValues(m.Kind, "sent").Inc()
		if m.OrderID != nil {
			s.correct(ctx, m, msg.ID)
		}
		return true
	case blocked(err):
		s.a.log.Info("chat blocked the bot; not writing to it again", "chat_id", m.ChatID)
		s.settle(func(ctx context.Context) error { return s.store.BlockChat(ctx, m.ChatID) })
		s.a.metrics.outbox.WithLabelValues(m.Kind, "blocked").Inc()
		return true
	case errors.As(err, &flood):
		wait := time.Duration(flood.RetryAfter) * time.Second
		s.settle(func(ctx context.Context) error { return s.store.Retry(ctx, m.ID, wait, "429") })
		s.a.metrics.outbox.WithLabelValues(m.Kind, "retry").Inc()
		return false
	case permanent(err) || time.Since(m.CreatedAt) > giveUpAfter:
		s.a.log.Warn("outbox message given up", "id", m.ID, "kind", m.Kind, "err", err)
		s.settle(func(ctx context.Context) error { return s.store.Failed(ctx, m.ID, s.a.redact(err.Error())) })
		s.a.metrics.outbox.WithLabelValues(m.Kind, "failed").Inc()
		return true
	default:
		wait := min(time.Duration(math.Pow(2, float64(min(m.Attempts, 20))))*time.Second, maxBackoff)
		s.a.log.Warn("outbox send failed; will retry", "id", m.ID, "kind", m.Kind, "retry_in", wait, "err", err)
		s.settle(func(ctx context.Context) error { return s.store.Retry(ctx, m.ID, wait, s.a.redact(err.Error())) })
		s.a.metrics.outbox.WithLabelValues(m.Kind, "retry").Inc()
		return false
	}
}

// correct brings a seller's copy of an order's notice, just delivered as messageID, up to
// the order if the order changed while the copy waited (handlers.CopyOutdated), paced as
// a message to the chat. It finishes while the process stops, as settle does.
func (s *sender) correct(ctx context.Context, m outbox.Message, messageID int) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	outdated, err := s.a.handlers.CopyOutdated(ctx, m.Kind, *m.OrderID, m.CreatedAt)
	if err != nil {
		s.a.log.Warn("is a copy sent outdated", "order_id", *m.OrderID, "err", err)
		return
	}
	if !outdated {
		return
	}
	for _, pace := range []*rate.Limiter{s.chatLimiter(m.ChatID), s.global} {
		if err := pace.Wait(ctx); err != nil {
			s.a.log.Warn("a copy sent outdated is not brought up to its order", "order_id", *m.OrderID, "err", err)
			return
		}
	}
	s.a.handlers.RefreshCopy(ctx, s.a.bot, *m.OrderID, m.ChatID, messageID)
}

// blocked reports a chat that turned the bot away: the person blocked it or deleted
// their account.
func blocked(err error) bool {
	return errors.Is(err, tele.ErrBlockedByUser) || errors.Is(err, tele.ErrUserIsDeactivated) || errors.Is(err, tele.ErrKickedFromGroup)
}

// unreachable reports a chat the bot cannot write to: it was turned away (blocked), or
// the person never opened it.
func unreachable(err error) bool {
	return blocked(err) || errors.Is(err, tele.ErrChatNotFound) || errors.Is(err, tele.ErrNotStartedByUser)
}

// permanent reports a refusal that no retry will change: a bad request (chat gone,
// malformed message), as opposed to a server error or the network.
func permanent(err error) bool {
	var te *tele.Error
	if errors.As(err, &te) {
		return te.Code == 400 || te.Code == 403
	}
	msg := err.Error()
	return strings.Contains(msg, "Bad Request") || strings.Contains(msg, "Forbidden")
}

func (s *sender) send(ctx context.Context, m outbox.Message) (*tele.Message, error) {
	to := tele.ChatID(m.ChatID)
	var opts []any
	if len(m.Markup) > 0 && string(m.Markup) != "null" {
		var markup tele.ReplyMarkup
		if err := json.Unmarshal(m.Markup, &markup); err != nil {
			return nil, fmt.Errorf("bot: outbox %d: markup: %w (Bad Request)", m.ID, err)
		}
		opts = append(opts, &markup)
	}
	if m.PhotoFileID != "" {
		return s.a.bot.Send(to, &tele.Photo{File: tele.File{FileID: m.PhotoFileID}, Caption: m.Text}, opts...)
	}
	if m.ReceiptID == nil {
		return s.a.bot.Send(to, m.Text, opts...)
	}
	r, err := s.store.Receipt(ctx, *m.ReceiptID)
	if err != nil {
		return nil, err
	}
	sendFile := func(f tele.File) (*tele.Message, error) {
		if !r.AsDocument {
			return s.a.bot.Send(to, &tele.Photo{File: f, Caption: m.Text}, opts...)
		}
		return s.a.bot.Send(to, &tele.Document{File: f, Caption: m.Text, MIME: r.MIME, FileName: "receipt" + extension(r.MIME)}, opts...)
	}
	msg, err := sendFile(tele.File{FileID: r.FileID})
	if err != nil && channel.UnknownFile(err) {
		// The id is not valid for this bot (a new token): send the stored copy.
		msg, err = sendFile(tele.FromReader(bytes.NewReader(r.Data)))
	}
	return msg, err
}

func extension(mime string) string {
	switch mime {
	case "application/pdf":
		return ".pdf"
	case "image/png":
		return ".png"
	case "image/webp":
		return ".webp"
	}
	return ".jpg"
}

// reportBroadcasts edits the sellers' progress messages of broadcasts under way, at most
// every few seconds, and with the final figures when one is done.
func (s *sender) reportBroadcasts(ctx context.Context) {
	states, err := s.store.DueBroadcastReports(ctx, 3*time.Second)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down
		}
		s.a.log.Error("broadcast progress", "err", err)
		return
	}
	for _, st := range states {
		lang := s.a.adminLang(ctx, st.AdminID)
		id := "broadcast.progress"
		if st.Pending == 0 {
			id = "broadcast.done"
		}
		text := s.a.texts.T(lang, id, locale.Args{"Sent": st.Sent, "Total": st.Total, "Blocked": st.Blocked, "Failed": st.Failed})
		_, err := s.a.bot.Edit(&tele.Message{ID: st.ProgressID, Chat: &tele.Chat{ID: st.AdminID}}, text)
		if err != nil && !channel.NotModified(err) {
			s.a.log.Warn("edit broadcast progress", "err", err)
		}
	}
}
