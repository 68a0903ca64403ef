package telegramtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type delivery struct {
	secret string
	body   rawUpdate
}

func TestWebhookDeliveryRetriesAndConflict(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")

	var got recorder[delivery]
	var calls atomic.Int32
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd rawUpdate
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &upd)
		got.add(delivery{secret: r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), body: upd})
		// The first two tries fail, as a bot restarting would.
		if calls.Add(1) <= 2 {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hook.Close)

	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": hook.URL, "secret_token": "s3cr3t_-X", "max_connections": 5}))
	sent := u.SendText("hi")
	eventually(t, "a successful delivery", func() bool { return s.PendingUpdates() == 0 })

	attempts := s.WebhookAttempts()
	if len(attempts) != 3 || attempts[0].Status != 500 || attempts[1].Status != 500 || attempts[2].Status != 200 {
		t.Fatalf("attempts = %+v", attempts)
	}
	if gap := attempts[2].At.Sub(attempts[1].At); gap < 90*time.Millisecond {
		t.Fatalf("second retry came %s after the first; the delay should double from 50 ms", gap)
	}
	for _, d := range got.all() {
		if d.secret != "s3cr3t_-X" || d.body.UpdateID != sent.UpdateID || d.body.Message == nil {
			t.Fatalf("delivery = %+v", d)
		}
	}

	a := call(t, s, "getUpdates", map[string]any{})
	wantError(t, a, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")

	info := call(t, s, "getWebhookInfo", nil)
	var wi struct {
		URL              string `json:"url"`
		Pending          int    `json:"pending_update_count"`
		LastErrorMessage string `json:"last_error_message"`
		MaxConnections   int    `json:"max_connections"`
	}
	_ = json.Unmarshal(info.Result, &wi)
	if wi.URL != hook.URL || wi.Pending != 0 || wi.LastErrorMessage != "Wrong response from the webhook: 500 Internal Server Error" || wi.MaxConnections != 5 {
		t.Fatalf("webhook info = %+v", wi)
	}

	wantOK(t, call(t, s, "deleteWebhook", map[string]any{}))
	u.SendText("polling again")
	if ups := getUpdates(t, s, map[string]any{}); len(ups) != 1 {
		t.Fatalf("after deleteWebhook: %v", updateIDs(ups))
	}
	if n := len(s.WebhookAttempts()); n != 3 {
		t.Fatalf("deliveries after deleteWebhook: %d attempts", n)
	}
}

func TestWebhookValidation(t *testing.T) {
	s := NewServer(t)
	cases := []struct {
		params map[string]any
		desc   string
	}{
		{map[string]any{"url": "http://example.com/hook"}, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"},
		{map[string]any{"url": "https://example.com/hook", "secret_token": "has space"}, "Bad Request: secret token contains unallowed characters"},
		{map[string]any{"url": "https://example.com/hook", "secret_token": strings.Repeat("a", 257)}, "Bad Request: secret token is too long"},
	}
	for _, tc := range cases {
		wantError(t, call(t, s, "setWebhook", tc.params), 400, tc.desc)
	}
	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": "https://example.com/hook", "secret_token": strings.Repeat("a", 256)}))
	// An empty url removes the webhook, as on Telegram.
	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": ""}))
	getUpdates(t, s, map[string]any{})
}

// One chat's updates go one at a time and in order; different chats in parallel.
func TestWebhookOrderPerChat(t *testing.T) {
	s := NewServer(t)
	ann := s.User(1001, "Ann", "ann", "en")
	bob := s.User(1002, "Bob", "bob", "en")

	var mu sync.Mutex
	active := map[int64]int{}
	overlap := false
	parallel := false
	var order recorder[string]
	hook := replyHook(t, func(_ http.ResponseWriter, chat int64, text string) {
		mu.Lock()
		active[chat]++
		if active[chat] > 1 {
			overlap = true
		}
		if len(active) == 2 && active[1001] > 0 && active[1002] > 0 {
			parallel = true
		}
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		order.add(text)
		mu.Lock()
		active[chat]--
		if active[chat] == 0 {
			delete(active, chat)
		}
		mu.Unlock()
	})
	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": hook.URL}))
	for i := 0; i < 3; i++ {
		ann.SendText("ann " + string(rune('1'+i)))
		bob.SendText("bob " + string(rune('1'+i)))
	}
	eventually(t, "all deliveries", func() bool { return s.PendingUpdates() == 0 })
	var annOrder, bobOrder []string
	for _, text := range order.all() {
		if strings.HasPrefix(text, "ann") {
			annOrder = append(annOrder, text)
		} else {
			bobOrder = append(bobOrder, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap {
		t.Fatal("two updates of one chat were delivered at once")
	}
	if !parallel {
		t.Fatal("two chats were never delivered in parallel")
	}
	if strings.Join(annOrder, ",") != "ann 1,ann 2,ann 3" || strings.Join(bobOrder, ",") != "bob 1,bob 2,bob 3" {
		t.Fatalf("order: %v / %v", annOrder, bobOrder)
	}
}

func TestWebhookDropPending(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	refuse := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(refuse.Close)
	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": refuse.URL}))
	u.SendText("lost")
	eventually(t, "a refused attempt", func() bool { return len(s.WebhookAttempts()) > 0 })
	if s.WebhookAttempts()[0].Status != http.StatusForbidden || s.PendingUpdates() != 1 {
		t.Fatalf("attempts = %+v, pending %d", s.WebhookAttempts(), s.PendingUpdates())
	}
	wantOK(t, call(t, s, "deleteWebhook", map[string]any{"drop_pending_updates": true}))
	if got := getUpdates(t, s, map[string]any{}); len(got) != 0 {
		t.Fatalf("dropped updates came back: %v", updateIDs(got))
	}
}

// replyHook is a webhook that answers each message with what write writes.
func replyHook(t *testing.T, write func(w http.ResponseWriter, chatID int64, text string)) *httptest.Server {
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var upd struct {
			Message struct {
				Text string `json:"text"`
				Chat struct {
					ID int64 `json:"id"`
				} `json:"chat"`
			} `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&upd)
		write(w, upd.Message.Chat.ID, upd.Message.Text)
	}))
	t.Cleanup(hook.Close)
	return hook
}

// A webhook may answer an update with a Bot API call, as on Telegram (JSON, a form or
// multipart): the fake makes it, with the same checks as a request of its own, and
// records a refusal, or a failure armed with FailNext.
func TestWebhookReplyIsACall(t *testing.T) {
	s := NewServer(t)
	u := s.User(1002, "Bao", "bao", "en")
	hook := replyHook(t, func(w http.ResponseWriter, chatID int64, text string) {
		switch text {
		case "form":
			w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
			_, _ = w.Write([]byte(url.Values{"method": {"sendMessage"}, "chat_id": {strconv.FormatInt(chatID, 10)}, "text": {"by form"}}.Encode()))
			return
		case "nothing":
			w.WriteHeader(http.StatusOK)
			return
		case "long":
			text = strings.Repeat("a", 4097)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": "sendMessage", "chat_id": chatID, "text": "echo: " + text})
	})
	wantOK(t, call(t, s, "setWebhook", map[string]any{"url": hook.URL}))

	u.SendText("hi")
	if m := u.Next(t); m.Text != "echo: hi" {
		t.Fatalf("the reply's message: %q", m.Text)
	}
	u.SendText("form")
	if m := u.Next(t); m.Text != "by form" {
		t.Fatalf("the form reply's message: %q", m.Text)
	}
	if n := s.ReplyCalls("sendMessage"); n != 2 || s.Calls("sendMessage") != 2 {
		t.Fatalf("sendMessage in replies %d, in all %d; want 2 and 2", n, s.Calls("sendMessage"))
	}
	u.SendText("nothing")
	u.SendText("long")
	eventually(t, "the refusal recorded", func() bool { return len(s.Errors()) == 1 })
	if e := s.Errors()[0]; e.Method != "sendMessage" || e.Code != 400 || !strings.Contains(e.Description, "message is too long") {
		t.Fatalf("recorded %+v", e)
	}
	s.FailNext("sendMessage", 1, http.StatusTooManyRequests, 3)
	u.SendText("hi")
	eventually(t, "the injected failure recorded", func() bool { return len(s.Errors()) == 2 })
	if e := s.Errors()[1]; e.Method != "sendMessage" || e.Code != 429 || !e.Injected {
		t.Fatalf("recorded %+v", e)
	}
	u.NoMessage(t, 100*time.Millisecond)
}
