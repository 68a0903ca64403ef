package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file serves benchmarks: a load generator drives thousands of people at once, and
// Next and WaitFor, which wake every waiter on every change, would make the fake the
// bottleneck. Tap tells each bot message to the load generator as it is stored instead.

// tappedMethods are the calls whose answer is a message the bot sent or edited.
var tappedMethods = map[string]bool{
	"sendmessage": true, "sendphoto": true, "senddocument": true, "sendmediagroup": true,
	"editmessagetext": true, "editmessagecaption": true, "editmessagereplymarkup": true,
}

// Tap returns a handler serving the fake (mount it with httptest.NewServer and give the bot
// its URL instead of URL) that calls seen with every message the bot sends or edits, as
// stored, right after the fake stored it and before the bot reads the answer. at is when
// the fake finished the call. seen runs on the bot's request: it must be quick.
func (s *Server) Tap(seen func(m Message, at time.Time)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		if !tappedMethods[strings.ToLower(name)] {
			s.ServeHTTP(w, r)
			return
		}
		rec := &recordingWriter{ResponseWriter: w}
		s.ServeHTTP(rec, r)
		at := time.Now()
		for _, ref := range answeredMessages(rec.body.Bytes()) {
			if m, ok := s.storedMessage(ref.Chat.ID, ref.MessageID); ok {
				seen(m, at)
			}
		}
	})
}

// recordingWriter keeps a copy of the answer.
type recordingWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

type messageRef struct {
	MessageID int `json:"message_id"`
	Chat      struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// answeredMessages names the messages an ok answer holds: one, or an album's.
func answeredMessages(body []byte) []messageRef {
	var answer struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}
	if json.Unmarshal(body, &answer) != nil || !answer.OK || len(answer.Result) == 0 {
		return nil
	}
	if answer.Result[0] == '[' {
		var refs []messageRef
		_ = json.Unmarshal(answer.Result, &refs)
		return refs
	}
	var ref messageRef
	if json.Unmarshal(answer.Result, &ref) != nil || ref.MessageID == 0 {
		return nil // an inline message's edit answers true
	}
	return []messageRef{ref}
}

// storedMessage snapshots one message, searching from the newest: what was just sent is
// last, and a seller's chat in a benchmark holds thousands.
func (s *Server) storedMessage(chatID int64, id int) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.chats[chatID]
	if c == nil {
		return Message{}, false
	}
	for i := len(c.messages) - 1; i >= 0; i-- {
		if m := c.messages[i]; m.id == id {
			return m.snapshot(), true
		}
	}
	return Message{}, false
}

// Standalone starts the fake outside a test, for a benchmark command; stop closes it.
// Calls that fail a test (Next, WaitFor, Press) must not be used on it: they would panic.
func Standalone(opts ...Option) (s *Server, stop func()) {
	tb := &standaloneTB{}
	return NewServer(tb, opts...), tb.cleanup
}

// standaloneTB is the little of testing.TB that NewServer uses. The embedded interface
// is nil: any other method panics, which is what a test failure outside a test should do.
type standaloneTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

func (t *standaloneTB) Helper() {}

func (t *standaloneTB) Cleanup(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.cleanups = append(t.cleanups, f)
}

func (t *standaloneTB) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

func (t *standaloneTB) cleanup() {
	t.mu.Lock()
	fs := t.cleanups
	t.cleanups = nil
	t.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}
