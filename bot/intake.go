package bot

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/handlers"
)

// apiError is a Bot API answer with ok=false.
type apiError struct {
	Code        int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

func (e *apiError) Error() string {
	return fmt.Sprintf("telegram: %d %s", e.Code, e.Description)
}

// call invokes a Bot API method with a context, which telebot's own calls lack.
func (a *App) call(ctx context.Context, method string, params, result any) error {
	body, err := json.Marshal(params)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.TelegramAPIURL+"/bot"+a.cfg.BotToken+"/"+method, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.api.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			// url.Error's text holds the URL, and with it the token.
			return fmt.Errorf("telegram %s: %w", method, uerr.Err)
		}
		return fmt.Errorf("telegram %s: %w", method, err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		apiError
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&answer); err != nil {
		return fmt.Errorf("telegram %s: HTTP %d: %w", method, resp.StatusCode, err)
	}
	if !answer.OK {
		e := answer.apiError
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		return &e
	}
	if result != nil {
		return json.Unmarshal(answer.Result, result)
	}
	return nil
}

func (a *App) getMe(ctx context.Context) (*tele.User, error) {
	var me tele.User
	err := a.call(ctx, "getMe", struct{}{}, &me)
	var apiErr *apiError
	if errors.As(err, &apiErr) && apiErr.Code == http.StatusUnauthorized {
		return nil, errUnauthorized
	}
	return &me, err
}

// poll receives updates by long polling until ctx ends. An update is confirmed to Telegram
// (by asking for the next offset) only after it was handled, so a crash redelivers it.
func (a *App) poll(ctx context.Context) error {
	if err := a.call(ctx, "deleteWebhook", map[string]any{"drop_pending_updates": false}, nil); err != nil && ctx.Err() == nil {
		a.log.Warn("delete webhook before polling", "err", err)
	}
	offset := 0
	wait := time.Duration(0)
	for ctx.Err() == nil {
		var updates []incoming
		err := a.call(ctx, "getUpdates", map[string]any{
			"offset":          offset,
			"limit":           100,
			"timeout":         int(a.opts.PollTimeout / time.Second),
			"allowed_updates": []string{"message", "edited_message", "callback_query", "my_chat_member"},
		}, &updates)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			// Back off instead of hammering an unreachable or refusing API.
			wait = min(max(2*wait, 500*time.Millisecond), 30*time.Second)
			var apiErr *apiError
			if errors.As(err, &apiErr) && apiErr.Parameters.RetryAfter > 0 {
				wait = time.Duration(apiErr.Parameters.RetryAfter) * time.Second
			}
			a.metrics.errors.WithLabelValues("poll").Inc()
			a.log.Warn("getUpdates failed", "err", err, "retry_in", wait)
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		wait = 0
		if len(updates) == 0 {
			continue
		}
		a.dispatch(updates)
		offset = updates[len(updates)-1].ID + 1
	}
	// Confirm what was handled, so the next process does not handle it again.
	if offset > 0 {
		confirmCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.call(confirmCtx, "getUpdates", map[string]any{"offset": offset, "limit": 1, "timeout": 0}, nil); err != nil {
			a.log.Warn("confirm handled updates", "err", err)
		}
	}
	return nil
}

// dispatch handles a batch: one person's updates in order, different people in parallel.
func (a *App) dispatch(updates []incoming) {
	var order []int64
	byUser := map[int64][]incoming{}
	for _, u := range updates {
		id := senderID(u.Update)
		if _, seen := byUser[id]; !seen {
			order = append(order, id)
		}
		byUser[id] = append(byUser[id], u)
	}
	var wg sync.WaitGroup
	for _, id := range order {
		wg.Add(1)
		go func(ups []incoming) {
			defer wg.Done()
			for _, u := range ups {
				a.handle(u)
			}
		}(byUser[id])
	}
	wg.Wait()
}

func senderID(u tele.Update) int64 {
	switch {
	case u.Message != nil && u.Message.Sender != nil:
		return u.Message.Sender.ID
	case u.Callback != nil && u.Callback.Sender != nil:
		return u.Callback.Sender.ID
	case u.EditedMessage != nil && u.EditedMessage.Sender != nil:
		return u.EditedMessage.Sender.ID
	case u.MyChatMember != nil && u.MyChatMember.Sender != nil:
		return u.MyChatMember.Sender.ID
	}
	return 0
}

// handle runs one update through the routes. Handler panics are caught by the middleware;
// this catches what telebot itself might raise on a malformed update.
func (a *App) handle(u incoming) {
	defer func() {
		if p := recover(); p != nil {
			a.metrics.errors.WithLabelValues("panic").Inc()
			a.log.Error("panic outside a handler", "update_id", u.ID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	if m := u.Message; m != nil && (m.Story != nil || m.Poll != nil || m.Giveaway != nil || m.GiveawayWinners != nil || u.paidMedia) {
		// Kinds telebot routes nowhere (a story or a poll forwarded, a giveaway, paid media):
		// answered as any message no step can use, rather than with silence.
		c := a.bot.NewContext(u.Update)
		if err := a.bot.Trigger(tele.OnMedia, c); err != nil {
			a.bot.OnError(err, c)
		}
		return
	}
	a.bot.ProcessUpdate(u.Update)
}

// incoming is an update as the Bot API sends it: telebot's, and what telebot does not read
// of it that the bot still answers: paid media (photos or videos for stars, a channel's
// post forwarded, say).
type incoming struct {
	tele.Update
	paidMedia bool
}

func (u *incoming) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &u.Update); err != nil {
		return err
	}
	if m := u.Message; m != nil && noContent(m) {
		// Rare: read again for what telebot leaves out.
		var probe struct {
			Message struct {
				PaidMedia json.RawMessage `json:"paid_media"`
			} `json:"message"`
		}
		u.paidMedia = json.Unmarshal(b, &probe) == nil && len(probe.Message.PaidMedia) > 0
	}
	return nil
}

// noContent reports a message with none of the content telebot reads: no text, file,
// contact, place, poll, dice or story (a caption may come with paid media).
func noContent(m *tele.Message) bool {
	return m.Text == "" && m.Photo == nil && m.Document == nil && m.Video == nil && m.Animation == nil &&
		m.Audio == nil && m.Voice == nil && m.VideoNote == nil && m.Sticker == nil && m.Contact == nil &&
		m.Location == nil && m.Venue == nil && m.Poll == nil && m.Dice == nil && m.Story == nil
}

// startWebhook registers the webhook with Telegram; updates then arrive at serveWebhook.
func (a *App) startWebhook(ctx context.Context) error {
	err := a.retry(ctx, "telegram setWebhook", func(ctx context.Context) error {
		return a.call(ctx, "setWebhook", map[string]any{
			"url":             a.cfg.WebhookURL,
			"secret_token":    a.cfg.WebhookSecret,
			"max_connections": 40,
			"allowed_updates": []string{"message", "edited_message", "callback_query", "my_chat_member"},
		}, nil)
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// serveWebhook handles one update pushed by Telegram and answers only after handling it,
// so an update the process could not finish is delivered again.
func (a *App) serveWebhook(w http.ResponseWriter, r *http.Request) {
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
		a.metrics.errors.WithLabelValues("webhook").Inc()
		a.log.Warn("webhook request without the right secret refused", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	var u incoming
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&u); err != nil {
		a.metrics.errors.WithLabelValues("webhook").Inc()
		http.Error(w, "bad update", http.StatusBadRequest)
		return
	}
	var held *heldAnswer
	if u.Callback != nil {
		held = &heldAnswer{send: a.sendAnswer}
		if first, dup := a.answers.LoadOrStore(u.ID, held); dup {
			// The same update twice at once (Telegram gave up on the first request): both
			// answer by themselves, as the first request's reply may reach no one.
			held = nil
			if r := first.(*heldAnswer).release(); r != nil {
				a.sendAnswer(r)
			}
		}
	}
	a.handle(u)
	if held != nil {
		a.answers.CompareAndDelete(u.ID, held)
		if r := held.release(); r != nil {
			body, err := json.Marshal(struct {
				Method string `json:"method"`
				*tele.CallbackResponse
			}{"answerCallbackQuery", r})
			if err == nil {
				a.metrics.apiCalls.WithLabelValues("answerCallbackQuery", "webhook_reply").Inc()
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(body)
				return
			}
			a.sendAnswer(r)
		}
	}
	w.WriteHeader(http.StatusOK)
}

// answerHold is how long a button's answer waits for its webhook reply: a handler still
// busy then (sending an album, say) has it sent by itself, so no spinner turns on.
const answerHold = 250 * time.Millisecond

// heldAnswer is a button's answer held to go back in the webhook's reply, where Telegram
// takes one Bot API call without a request of its own. Nothing tells whether Telegram
// took it, which an answer to a button can do without.
type heldAnswer struct {
	send   func(*tele.CallbackResponse)
	mu     sync.Mutex
	answer *tele.CallbackResponse
	closed bool // the reply is being written, or the answer went by itself
	timer  *time.Timer
}

// hold takes the update's answer, unless one is held already or the reply is written.
func (h *heldAnswer) hold(r *tele.CallbackResponse) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || h.answer != nil {
		return false
	}
	h.answer = r
	h.timer = time.AfterFunc(answerHold, func() {
		if r := h.release(); r != nil {
			h.send(r)
		}
	})
	return true
}

// release returns the answer held, if any, and holds no more.
func (h *heldAnswer) release() *tele.CallbackResponse {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.timer != nil {
		h.timer.Stop()
	}
	r := h.answer
	h.answer = nil
	return r
}

// holdAnswer lets a webhook update's button answer go back with the webhook's reply.
func (a *App) holdAnswer(c tele.Context) {
	if v, ok := a.answers.Load(c.Update().ID); ok {
		handlers.WithAnswerHold(c, v.(*heldAnswer).hold)
	}
}

// sendAnswer sends a held answer by itself. A press answered already, or too old, needs
// nothing more.
func (a *App) sendAnswer(r *tele.CallbackResponse) {
	if _, err := a.bot.Raw("answerCallbackQuery", r); err != nil && !strings.Contains(err.Error(), "query is too old") {
		a.log.Warn("button answer not delivered", "err", err)
	}
}
