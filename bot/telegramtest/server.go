// Package telegramtest is a fake Telegram Bot API server for end-to-end tests.
//
// It speaks HTTP like api.telegram.org, keeps what the bot sent to every chat
// for tests to read, lets a test act as people, channels and groups, and
// enforces Telegram's documented limits (sizes, sending rates, markup rules),
// so a test fails where Telegram would refuse.
package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// BotAccount is the bot's own Telegram account, as getMe reports it.
type BotAccount struct {
	ID        int64
	FirstName string
	Username  string
	IsBot     bool
}

// ErrorAnswer is one non-ok answer the fake gave.
type ErrorAnswer struct {
	Method string
	ChatID int64 // 0 when the request named no known chat
	// RawChatID is the chat_id as the request gave it, or its command scope's ("" when it
	// gave none).
	RawChatID   string
	Code        int
	Description string
	RetryAfter  int
	// Injected is true for answers forced by FailNext.
	Injected bool
}

// Option configures NewServer.
type Option func(*config)

type config struct {
	redeliver       bool
	limits          Limits
	username        string
	firstName       string
	token           string
	waitTimeout     time.Duration
	callbackTimeout time.Duration
}

// WithRedelivery delivers every update twice, with the same update_id, as Telegram does
// when a confirmation or a webhook answer is lost: a bot must handle each once.
func WithRedelivery() Option { return func(c *config) { c.redeliver = true } }

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option { return func(c *config) { c.limits = l } }

// WithBotUsername sets the bot's username (without @).
func WithBotUsername(username string) Option {
	return func(c *config) { c.username = strings.TrimPrefix(username, "@") }
}

// WithBotName sets the bot's first name.
func WithBotName(firstName string) Option { return func(c *config) { c.firstName = firstName } }

// WithToken sets the bot token; its digits before the colon become the bot's id.
func WithToken(token string) Option { return func(c *config) { c.token = token } }

// WithWaitTimeout sets how long Next, WaitFor and friends wait (default 10 s).
func WithWaitTimeout(d time.Duration) Option { return func(c *config) { c.waitTimeout = d } }

// WithCallbackTimeout sets how long a callback query stays answerable
// (default 150 s); later answers get "query is too old".
func WithCallbackTimeout(d time.Duration) Option {
	return func(c *config) { c.callbackTimeout = d }
}

type faultKind int

const (
	faultFail faultKind = iota
	faultDrop
	faultLoseAnswer
	faultHold
)

type fault struct {
	kind       faultKind
	method     string
	remaining  int
	code       int
	retryAfter int
	skip       int // calls let through first
	// For faultHold: the chat whose call is held, closed when one is, and closed to let
	// it answer.
	chatID   int64
	held     chan struct{}
	released chan struct{}
}

// Server is the fake Bot API. All its state sits behind one mutex; waiting
// readers watch a channel that is closed and replaced on every change.
type Server struct {
	t               testing.TB
	ts              *httptest.Server
	token           string
	bot             BotAccount
	limits          Limits
	redeliver       bool // every update is queued twice
	waitTimeout     time.Duration
	callbackTimeout time.Duration
	done            chan struct{}
	wg              sync.WaitGroup
	hookClient      *http.Client
	methods         map[string]namedHandler // by lower-case name

	mu           sync.Mutex
	changed      chan struct{}
	closed       bool
	chats        map[int64]*Chat
	usernames    map[string]*Chat
	users        map[int64]*User
	globalBucket *rate.Limiter
	latency      time.Duration
	faults       []*fault
	calls        map[string]int
	replyCalls   map[string]int // the calls made in webhook replies, by method
	errors       []ErrorAnswer

	files       map[string]*storedFile
	filePaths   map[string]*storedFile
	nextFile    int
	nextGroupID int64

	queue        []*queuedUpdate
	nextUpdateID int
	allowed      map[string]bool
	pollGen      int

	queries   map[string]*callbackQuery
	nextQuery int64

	commands map[string][]Command

	hook          *webhookState
	hookAttempts  []WebhookAttempt
	hookInFlight  int
	hookLastError string
	hookErrorDate int64
}

// NewServer starts a fake Bot API server and closes it when the test ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := config{
		limits:          DefaultLimits(),
		username:        "shopbot_test_bot",
		firstName:       "Shop Bot",
		waitTimeout:     10 * time.Second,
		callbackTimeout: 150 * time.Second,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.token == "" {
		cfg.token = randomToken()
	}
	botID, err := strconv.ParseInt(strings.SplitN(cfg.token, ":", 2)[0], 10, 64)
	if err != nil || botID <= 0 {
		botID = 123456789
	}
	s := &Server{
		t:               t,
		token:           cfg.token,
		bot:             BotAccount{ID: botID, FirstName: cfg.firstName, Username: cfg.username, IsBot: true},
		limits:          cfg.limits,
		waitTimeout:     cfg.waitTimeout,
		callbackTimeout: cfg.callbackTimeout,
		redeliver:       cfg.redeliver,
		done:            make(chan struct{}),
		hookClient:      newWebhookClient(),
		changed:         make(chan struct{}),
		chats:           map[int64]*Chat{},
		usernames:       map[string]*Chat{},
		users:           map[int64]*User{},
		globalBucket:    newBucket(cfg.limits.GlobalRate, cfg.limits.GlobalBurst),
		calls:           map[string]int{},
		replyCalls:      map[string]int{},
		files:           map[string]*storedFile{},
		filePaths:       map[string]*storedFile{},
		nextGroupID:     13000000000000000,
		nextUpdateID:    1,
		queries:         map[string]*callbackQuery{},
		nextQuery:       4000000000000000000,
		commands:        map[string][]Command{},
	}
	s.buildMethods()
	s.ts = httptest.NewServer(s)
	s.wg.Add(1)
	go s.dispatchWebhook()
	t.Cleanup(s.close)
	return s
}

func randomToken() string {
	id, err := rand.Int(rand.Reader, big.NewInt(9e8))
	if err != nil {
		panic(err)
	}
	secret := make([]byte, 26)
	if _, err := rand.Read(secret); err != nil {
		panic(err)
	}
	return fmt.Sprintf("%d:AA%s", id.Int64()+1e8, base64.RawURLEncoding.EncodeToString(secret))
}

func (s *Server) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	if s.hook != nil {
		s.hook.cancel()
	}
	close(s.done)
	s.notifyLocked()
	s.mu.Unlock()
	s.ts.Close()
	s.wg.Wait()
	s.hookClient.CloseIdleConnections()
}

// URL is the base URL for telebot's Settings.URL (or TELEGRAM_API_URL).
func (s *Server) URL() string { return s.ts.URL }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.token }

// BotUser is the bot's own account.
func (s *Server) BotUser() BotAccount { return s.bot }

// notifyLocked wakes everyone waiting for a change.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetLatency delays every answer by d from now on.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// FailNext makes the next n calls of method ("" for any method) answer with
// the given error code instead of being carried out. retryAfter is sent with
// 429. Descriptions are Telegram's: "Too Many Requests: retry after N",
// "Internal Server Error", "Bad Gateway" and so on.
func (s *Server) FailNext(method string, n, code, retryAfter int) {
	s.addFault(&fault{kind: faultFail, method: method, remaining: n, code: code, retryAfter: retryAfter})
}

// FailAfter is FailNext after skip calls of method went through.
func (s *Server) FailAfter(method string, skip, n, code int) {
	s.addFault(&fault{kind: faultFail, method: method, remaining: n, code: code, skip: skip})
}

// DropNext makes the next n calls of method ("" for any) lose their
// connection before the fake does anything: nothing is sent, no answer comes.
func (s *Server) DropNext(method string, n int) {
	s.addFault(&fault{kind: faultDrop, method: method, remaining: n})
}

// LoseAnswerNext makes the next n calls of method ("" for any) take effect
// and then lose their connection, so the bot cannot know they succeeded.
func (s *Server) LoseAnswerNext(method string, n int) {
	s.addFault(&fault{kind: faultLoseAnswer, method: method, remaining: n})
}

// HoldNext makes the next call of method in the chat wait, once carried out, before it
// answers, until release is called (or the test ends): the bot waits on a call that took
// effect while the test changes what it will find when the answer comes. held is closed
// once such a call is being held.
func (s *Server) HoldNext(method string, chatID int64) (held <-chan struct{}, release func()) {
	f := &fault{kind: faultHold, method: method, remaining: 1, chatID: chatID,
		held: make(chan struct{}), released: make(chan struct{})}
	s.addFault(f)
	release = sync.OnceFunc(func() { close(f.released) })
	s.t.Cleanup(release)
	return f.held, release
}

// takeHold consumes the hold of a call of method in the chat the request names, if any.
func (s *Server) takeHold(method string, req *request) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveChatLocked(req.str("chat_id"))
	if err != nil {
		return nil
	}
	for i, f := range s.faults {
		if f.kind == faultHold && strings.EqualFold(f.method, method) && f.chatID == c.ID {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return f
		}
	}
	return nil
}

func (s *Server) addFault(f *fault) {
	if f.remaining <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// takeFault consumes one matching fault of the kind, if any.
func (s *Server) takeFault(kind faultKind, method string) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if f.kind != kind || (f.method != "" && !strings.EqualFold(f.method, method)) {
			continue
		}
		if f.skip > 0 {
			f.skip--
			return nil
		}
		f.remaining--
		if f.remaining <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func injectedError(f *fault) *apiError {
	switch f.code {
	case http.StatusTooManyRequests:
		return tooManyRequests(max(1, f.retryAfter))
	case http.StatusBadRequest:
		return &apiError{code: f.code, desc: "Bad Request"}
	case http.StatusUnauthorized:
		return errUnauthorized
	case http.StatusForbidden:
		return &apiError{code: f.code, desc: "Forbidden"}
	case http.StatusConflict:
		return &apiError{code: f.code, desc: "Conflict"}
	}
	desc := http.StatusText(f.code)
	if desc == "" {
		desc = "Error " + strconv.Itoa(f.code)
	}
	return &apiError{code: f.code, desc: desc, retryAfter: f.retryAfter}
}

// ReplyCalls counts the calls of a method made in webhook replies (also in Calls).
func (s *Server) ReplyCalls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replyCalls[method]
}

// Calls counts the calls of a method, whatever their answer; "" counts all.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if method == "" {
		n := 0
		for _, c := range s.calls {
			n += c
		}
		return n
	}
	for name, c := range s.calls {
		if strings.EqualFold(name, method) {
			return c
		}
	}
	return 0
}

// Errors lists every non-ok answer the fake gave, in order.
func (s *Server) Errors() []ErrorAnswer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ErrorAnswer(nil), s.errors...)
}

// NoErrors fails the test if the fake gave any non-ok answer.
func (s *Server) NoErrors(t testing.TB) {
	t.Helper()
	for _, e := range s.Errors() {
		t.Errorf("telegramtest: %s (chat %d) answered %d %q", e.Method, e.ChatID, e.Code, e.Description)
	}
}

// TooMany counts the 429 answers the fake gave.
func (s *Server) TooMany() int { return s.TooManyFor("", 0) }

// TooManyFor counts 429 answers to method ("" for any) about chat (0 for any).
func (s *Server) TooManyFor(method string, chatID int64) int {
	n := 0
	for _, e := range s.Errors() {
		if e.Code != http.StatusTooManyRequests {
			continue
		}
		if method != "" && !strings.EqualFold(method, e.Method) {
			continue
		}
		if chatID != 0 && e.ChatID != chatID {
			continue
		}
		n++
	}
	return n
}

type handler func(ctx context.Context, req *request) (any, *apiError)

type namedHandler struct {
	name string
	h    handler
}

func (s *Server) buildMethods() {
	table := map[string]handler{
		"getMe":                  s.getMe,
		"getUpdates":             s.getUpdates,
		"setWebhook":             s.setWebhook,
		"deleteWebhook":          s.deleteWebhook,
		"getWebhookInfo":         s.getWebhookInfo,
		"sendMessage":            s.sendMessage,
		"sendPhoto":              s.sendPhoto,
		"sendDocument":           s.sendDocument,
		"sendMediaGroup":         s.sendMediaGroup,
		"editMessageText":        s.editMessageText,
		"editMessageCaption":     s.editMessageCaption,
		"editMessageMedia":       s.editMessageMedia,
		"editMessageReplyMarkup": s.editMessageReplyMarkup,
		"deleteMessage":          s.deleteMessage,
		"answerCallbackQuery":    s.answerCallbackQuery,
		"getFile":                s.getFile,
		"setMyCommands":          s.setMyCommands,
		"getMyCommands":          s.getMyCommands,
		"deleteMyCommands":       s.deleteMyCommands,
		"getChat":                s.getChat,
		"sendChatAction":         s.sendChatAction,
	}
	s.methods = map[string]namedHandler{}
	for name, h := range table {
		s.methods[strings.ToLower(name)] = namedHandler{name: name, h: h}
	}
}

// lookupMethod finds a method by name; Telegram ignores the case of names.
func (s *Server) lookupMethod(name string) (string, handler) {
	if m, ok := s.methods[strings.ToLower(name)]; ok {
		return m.name, m.h
	}
	return name, nil
}

// ServeHTTP answers Bot API calls and file downloads; NewServer already
// serves it, so tests only need it to mount the fake elsewhere.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if rest, ok := strings.CutPrefix(r.URL.Path, "/file/bot"); ok {
		s.serveFile(w, r, rest)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	if !ok {
		writeAnswer(w, nil, errNotFound)
		return
	}
	token, name, _ := strings.Cut(rest, "/")
	if token != s.token {
		s.record(name, nil, errUnauthorized, false)
		writeAnswer(w, nil, errUnauthorized)
		return
	}
	method, h := s.lookupMethod(name)
	if h == nil {
		s.record(method, nil, errNotFound, false)
		writeAnswer(w, nil, errNotFound)
		return
	}

	s.mu.Lock()
	s.calls[method]++
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if s.takeFault(faultDrop, method) != nil {
		dropConnection(w)
		return
	}

	req, apiErr := readRequest(r, method)
	if apiErr != nil {
		s.record(method, nil, apiErr, false)
		writeAnswer(w, nil, apiErr)
		return
	}
	if f := s.takeFault(faultFail, method); f != nil {
		apiErr := injectedError(f)
		s.record(method, req, apiErr, true)
		writeAnswer(w, nil, apiErr)
		return
	}
	result, apiErr := h(r.Context(), req)
	if apiErr == errClientGone {
		return
	}
	if f := s.takeHold(method, req); f != nil {
		close(f.held)
		select {
		case <-f.released:
		case <-r.Context().Done():
			return
		}
	}
	if s.takeFault(faultLoseAnswer, method) != nil {
		dropConnection(w)
		return
	}
	if apiErr != nil {
		s.record(method, req, apiErr, false)
	}
	writeAnswer(w, result, apiErr)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("telegramtest: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	_ = conn.Close()
}

func (s *Server) record(method string, req *request, e *apiError, injected bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var chatID int64
	var raw string
	if req != nil {
		raw = req.str("chat_id")
		var scope struct {
			ChatID json.RawMessage `json:"chat_id"`
		}
		if _, err := req.json("scope", &scope); raw == "" && err == nil && scope.ChatID != nil {
			raw = strings.Trim(string(scope.ChatID), `"`)
		}
		if c, err := s.resolveChatLocked(raw); err == nil {
			chatID = c.ID
		}
	}
	s.errors = append(s.errors, ErrorAnswer{
		Method:      method,
		ChatID:      chatID,
		RawChatID:   raw,
		Code:        e.code,
		Description: e.desc,
		RetryAfter:  e.retryAfter,
		Injected:    injected,
	})
}

// resolveChatLocked finds the chat a chat_id names: a number or @username.
func (s *Server) resolveChatLocked(v string) (*Chat, *apiError) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, errChatIDEmpty
	}
	if name, ok := strings.CutPrefix(v, "@"); ok {
		if c := s.usernames[strings.ToLower(name)]; c != nil {
			return c, nil
		}
		return nil, errChatNotFound
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil, errChatNotFound
	}
	if c := s.chats[id]; c != nil {
		return c, nil
	}
	return nil, errChatNotFound
}
