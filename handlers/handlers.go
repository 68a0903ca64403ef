// Package handlers holds the bot's conversations and commands. Each handler works on the
// person's Session, which the Middleware loads from Redis under a per-person lock and saves
// when the handler succeeds.
package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// Shop is what the handlers need from the orders store.
type Shop interface {
	SeeCustomer(ctx context.Context, p orders.Profile) (orders.Customer, *time.Time, error)
	SetLanguage(ctx context.Context, id int64, lang string) error
	Setting(ctx context.Context, key string, fallbacks ...string) (string, error)
	Settings(ctx context.Context) (map[string]string, error)
	SetSetting(ctx context.Context, key, value string, by int64) error
	DeleteSetting(ctx context.Context, key string) error
}

// Catalog is what the handlers need from the catalog store.
type Catalog interface {
	UpcomingWeek(ctx context.Context) (catalog.Week, error)
	LiveWeek(ctx context.Context) (catalog.Week, error)
	LatestPublishedWeek(ctx context.Context) (catalog.Week, error)
	Week(ctx context.Context, id int64) (catalog.Week, error)
	CreateWeek(ctx context.Context, title string, publishAt, closesAt *time.Time) (catalog.Week, error)
	ScheduleWeek(ctx context.Context, id int64, publishAt, closesAt time.Time) (catalog.Week, error)
	Unschedule(ctx context.Context, id int64) (bool, error)
	StartPublishing(ctx context.Context, id int64, now, closesAt time.Time) (catalog.Week, error)
	CloseWeek(ctx context.Context, id int64, now time.Time) (catalog.Week, error)
	RetitleWeek(ctx context.Context, id int64, from, to string) (bool, error)
	RenameWeek(ctx context.Context, id int64, title string) error
	Items(ctx context.Context, weekID int64, withHidden bool) ([]catalog.Item, error)
	Item(ctx context.Context, id int64) (catalog.Item, error)
	ItemInWeek(ctx context.Context, id int64) (catalog.Item, catalog.Week, error)
	ItemOnShow(ctx context.Context, id int64) (catalog.Item, catalog.Week, []int64, error)
	FirstOnShow(ctx context.Context, weekID int64) (catalog.Item, catalog.Week, []int64, error)
	PostedItem(ctx context.Context, chatID int64, username string, messageID int) (itemID int64, ours bool, err error)
	ItemsByID(ctx context.Context, ids []int64) ([]catalog.Item, map[int64]catalog.Week, error)
	CreateItem(ctx context.Context, weekID int64, n catalog.NewItem) (catalog.Item, error)
	UpdateText(ctx context.Context, id int64, title, description string) error
	UpdatePrice(ctx context.Context, id int64, price int64) error
	SetHidden(ctx context.Context, id int64, hidden bool) error
	SetStock(ctx context.Context, variantID int64, stock *int) error
	ReplaceVariants(ctx context.Context, itemID int64, specs []catalog.VariantSpec) error
	ReplacePhotos(ctx context.Context, itemID int64, photos []catalog.NewPhoto) error
	DeleteItem(ctx context.Context, id int64, wd catalog.Withdrawal) error
	ItemPost(ctx context.Context, itemID int64) (catalog.Post, error)
	Rule(ctx context.Context) (catalog.Rule, error)
	SetRule(ctx context.Context, r catalog.Rule, by int64) error
	ClearRule(ctx context.Context) error
	channel.PhotoStore
}

// Orders is what the handlers need from the orders store beyond customers and settings.
type Orders interface {
	Place(ctx context.Context, req orders.PlaceRequest) (orders.Order, error)
	Order(ctx context.Context, id int64) (orders.Order, error)
	Orders(ctx context.Context, ids []int64) ([]orders.Order, error)
	CustomerOrders(ctx context.Context, customerID int64, limit int) ([]orders.Order, error)
	AwaitingPayment(ctx context.Context, customerID int64, expiredSince time.Time) ([]orders.Order, error)
	AddReceipt(ctx context.Context, n orders.NewReceipt) (orders.Order, orders.Receipt, error)
	Move(ctx context.Context, m orders.Move) (orders.Order, error)
	Customer(ctx context.Context, id int64) (orders.Customer, error)
	Customers(ctx context.Context, ids []int64) ([]orders.Customer, error)
	List(ctx context.Context, statuses []orders.Status, limit, offset int) ([]orders.Order, error)
	Find(ctx context.Context, text string, limit int) ([]orders.Order, error)
	OrderByCode(ctx context.Context, code string) (orders.Order, error)
	Receipts(ctx context.Context, orderID int64) ([]orders.ReceiptInfo, error)
	History(ctx context.Context, orderID int64) ([]orders.Event, error)
	Changes(ctx context.Context, orderID int64) (int, error)
	ChangedSince(ctx context.Context, orderID int64, since time.Time) (bool, error)
	Purchases(ctx context.Context, weekID int64) ([]orders.PurchaseLine, error)
	QueueExport(ctx context.Context, key string, chats []int64, r orders.Range, archive bool) error
	Stats(ctx context.Context, from, to time.Time) (orders.Stats, error)
	Reachable(ctx context.Context, exclude []int64) (int, error)
	AddMessage(ctx context.Context, n orders.NewMessage) (orders.Message, bool, error)
}

// Outbox is what the handlers read of delivered messages: the sellers' copies of an
// order's notices, to edit them when the order moves.
type Outbox interface {
	Copies(ctx context.Context, orderID int64, kinds ...string) ([]outbox.Copy, error)
	Broadcast(ctx context.Context, adminID int64, admins []int64, key, text, photoFileID string) (int64, int, error)
	SetBroadcastProgress(ctx context.Context, id int64, messageID int) error
}

// Files downloads what people send, through Telegram's getFile.
type Files interface {
	Download(ctx context.Context, fileID string) ([]byte, error)
}

// Command describes a command for /help; the bot's route table provides the list.
type Command struct {
	Name   string // without the slash
	DescID string // text id of its description
	Admin  bool
}

// Deps are the handlers' dependencies.
type Deps struct {
	Texts           *locale.Bundle
	Shop            Shop
	Sessions        *Sessions
	IsAdmin         func(userID int64) bool
	ShopName        string
	DefaultLanguage string
	Log             *slog.Logger

	Catalog     Catalog
	Files       Files
	Currency    string
	Location    *time.Location
	Now         func() time.Time
	BotUsername string
	// ChannelConfigured is false when CHANNEL_ID is unset: nothing can be published.
	ChannelConfigured bool
	// Kick wakes the scheduler, so a publication or an edit starts at once.
	Kick func()
	// WatchPublication asks for a progress message to be kept up to date while a
	// week is posted.
	WatchPublication func(weekID, chatID int64, messageID int, lang string)

	Orders   Orders
	AdminIDs []int64
	// UnpaidTTL is how long an unpaid order holds its stock.
	UnpaidTTL time.Duration
	// Notify wakes the outbox sender after a change wrote messages.
	Notify   func()
	Outbox   Outbox
	Exporter Exporter
	// MessagesPerHour caps what one customer writes to the shop in an hour.
	MessagesPerHour int
}

// Handlers serves every conversation and command.
type Handlers struct {
	Deps
	commands    []Command
	sellerLangs kept[int64, string]
	settings    kept[string, string] // the shop's settings, by key
	// ChatMenu sets the command menu of a person's own chat: in lang, whatever their app's
	// language, when they picked one ("" when not), and with the sellers' commands for a
	// seller. Called when anyone picks a language, and when a session starts for a person
	// whose chat lacks the menu it should have (ChatMenuStale): Telegram refuses it for a
	// seller who never opened the bot, and a release may change the commands.
	ChatMenu      func(ctx context.Context, userID int64, lang string) error
	ChatMenuStale func(c orders.Customer) bool
}

// New returns the handlers.
func New(d Deps) *Handlers {
	return &Handlers{Deps: d}
}

// SetCommands gives /help the commands to list.
func (h *Handlers) SetCommands(cmds []Command) { h.commands = cmds }

type request struct {
	ctx   context.Context
	lease *Lease
	// restarted is set when a returning person's conversation was gone (it expired, or
	// Redis lost it): text meant for a step is answered with that, not with confusion.
	restarted bool
	// committed is set once the handler's change is in Postgres: the session is saved
	// even if telling the person fails afterwards, so a retry does not do it twice.
	committed bool
	// answered is set once the button press was answered: Telegram takes one answer.
	answered bool
	// seen is the customer as recorded by this update, when a new session recorded them.
	seen *orders.Customer
}

// committed records that the step's change is stored for good.
func (h *Handlers) committed(c tele.Context) { h.req(c).committed = true }

const (
	ctxKey     = "shopbot.ctx"
	requestKey = "shopbot.request"
	holdKey    = "shopbot.hold"
)

// WithAnswerHold lets the update's button answer go back with the webhook's reply: hold
// takes the answer (true) or refuses it, and then it is sent at once.
func WithAnswerHold(c tele.Context, hold func(*tele.CallbackResponse) bool) { c.Set(holdKey, hold) }

// answer answers the button pressed: held for the webhook's reply when the update came
// by webhook, else sent.
func answer(c tele.Context, r *tele.CallbackResponse) error {
	if hold, ok := c.Get(holdKey).(func(*tele.CallbackResponse) bool); ok {
		r.CallbackID = c.Callback().ID
		if hold(r) {
			return nil
		}
	}
	return c.Respond(r)
}

// WithContext attaches the update's context, which every handler uses for I/O.
func WithContext(c tele.Context, ctx context.Context) { c.Set(ctxKey, ctx) }

// Context returns the update's context.
func Context(c tele.Context) context.Context {
	if ctx, ok := c.Get(ctxKey).(context.Context); ok {
		return ctx
	}
	return context.Background()
}

func (h *Handlers) req(c tele.Context) *request {
	r, _ := c.Get(requestKey).(*request)
	if r == nil {
		// Only reachable if a route was registered without the Middleware.
		panic("handlers: no session: route registered without handlers.Middleware")
	}
	return r
}

func (h *Handlers) session(c tele.Context) *Session { return &h.req(c).lease.Session }

// lang is the language to answer c in.
func (h *Handlers) lang(c tele.Context) string {
	if r, _ := c.Get(requestKey).(*request); r != nil && r.lease.Session.Lang != "" {
		return r.lease.Session.Lang
	}
	code := ""
	if u := c.Sender(); u != nil {
		code = u.LanguageCode
	}
	return locale.Match(code, h.DefaultLanguage)
}

// t renders a text in the language of the person behind c.
func (h *Handlers) t(c tele.Context, id string, args ...locale.Args) string {
	return h.Texts.T(h.lang(c), id, args...)
}

// ReportedError is an error the person has already been told about; the caller only logs it.
type ReportedError struct{ Err error }

func (e *ReportedError) Error() string { return e.Err.Error() }
func (e *ReportedError) Unwrap() error { return e.Err }

// Middleware loads the sender's session under their lock, runs the handler, and saves the
// session only if the handler succeeded, so a failed step leaves nothing half-changed.
// When Redis or Postgres fail, the person is told to try again shortly.
func (h *Handlers) Middleware(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		u := c.Sender()
		if u == nil {
			return nil
		}
		ctx := Context(c)
		lease, err := h.Sessions.Acquire(ctx, u.ID, c.Update().ID)
		var flood *FloodError
		switch {
		case errors.Is(err, ErrDuplicate):
			h.Log.Debug("update delivered again; skipped", "update_id", c.Update().ID)
			return nil
		case errors.As(err, &flood):
			if flood.First {
				return c.Send(h.t(c, "error.slow_down"))
			}
			return nil
		case err != nil:
			return h.fail(c, err)
		}
		r := &request{ctx: ctx, lease: lease}
		c.Set(requestKey, r)
		if !lease.Found {
			if err := h.welcomeBack(c, r); err != nil {
				h.release(lease)
				return h.fail(c, err)
			}
		}
		began := h.Now()
		step := lease.Session.Step
		err = runHandler(next, c)
		lease.Session.leftItem(step)
		lease.Session.stepped(step, answersStep(c), began)
		lease.Session.Seen = began
		if err != nil {
			if r.committed {
				// The change is stored: the session must say so, or a retry repeats it.
				if serr := lease.Save(ctx); serr == nil {
					return h.fail(c, err)
				}
			}
			h.release(lease)
			return h.fail(c, err)
		}
		if err := lease.Save(ctx); err != nil {
			h.release(lease)
			return h.fail(c, err)
		}
		return nil
	}
}

// PanicError is a handler's panic, turned into an error so the person's session is
// released and they are told as of any failure, instead of their lock being renewed until
// the process ends.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v\n%s", e.Value, e.Stack) }

// answersStep reports whether an update is text a step reads as its answer: not a
// command, a button or a file.
func answersStep(c tele.Context) bool {
	m := c.Update().Message // not an edit of an earlier one
	return m != nil && m.Text != "" && !isCommand(m.Text)
}

func runHandler(next tele.HandlerFunc, c tele.Context) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return next(c)
}

// welcomeBack starts a session: it records the customer and takes their chosen language.
func (h *Handlers) welcomeBack(c tele.Context, r *request) error {
	cust, prevSeen, err := h.Shop.SeeCustomer(r.ctx, profile(c.Sender()))
	if err != nil {
		return err
	}
	h.seen(cust.ID)
	r.restarted = prevSeen != nil
	r.seen = &cust
	r.lease.Session = Session{Lang: cust.Language}
	if r.lease.Session.Lang == "" {
		r.lease.Session.Lang = locale.Match(c.Sender().LanguageCode, h.DefaultLanguage)
	}
	if h.ChatMenuStale != nil && h.ChatMenuStale(cust) {
		h.setMenu(r.ctx, c.Sender().ID, cust.Language)
	}
	return nil
}

// setMenu sets a person's own menu (ChatMenu). Only the menu is missing if it fails; the
// commands work.
func (h *Handlers) setMenu(ctx context.Context, userID int64, lang string) {
	if h.ChatMenu == nil {
		return
	}
	if err := h.ChatMenu(ctx, userID, lang); err != nil {
		h.Log.Warn("set command menu", "user_id", userID, "err", err)
	}
}

// release frees the lock after a failure. The update's context may be what failed, so it
// uses its own; and if Redis is out of reach it keeps trying in the background for as
// long as the lock would live, so the person is not locked out after Redis returns.
func (h *Handlers) release(l *Lease) {
	try := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), defaultReleaseTimeout)
		defer cancel()
		return l.Release(ctx)
	}
	if err := try(); err != nil {
		h.Log.Warn("release session lock", "err", err)
		go func() {
			deadline := time.Now().Add(l.s.lockTTL)
			for wait := 100 * time.Millisecond; time.Now().Before(deadline); wait = min(2*wait, 2*time.Second) {
				time.Sleep(wait)
				if try() == nil {
					return
				}
			}
		}()
	}
}

// fail tells the person the step did not work and returns the error for logging.
func (h *Handlers) fail(c tele.Context, err error) error {
	id := "error.internal"
	if Unavailable(err) {
		id = "error.unavailable"
	}
	if sendErr := h.tell(c, id); sendErr != nil {
		err = fmt.Errorf("%w (and telling the user failed: %w)", err, sendErr)
	}
	return &ReportedError{Err: err}
}

// Apologise tells the person behind c that something went wrong, in their language (the
// one they chose, once their session was read): for a failure outside the handlers.
func (h *Handlers) Apologise(c tele.Context) error { return h.tell(c, "error.internal") }

// tell says text id: as the answer to a button not answered yet, else in the chat.
func (h *Handlers) tell(c tele.Context, id string) error {
	text := h.t(c, id)
	var sendErr error
	answered := false
	if r, _ := c.Get(requestKey).(*request); r != nil {
		answered = r.answered
	}
	if c.Callback() != nil && !answered {
		// Not held for a webhook's reply: a refused answer must still be said in the chat.
		sendErr = c.Respond(&tele.CallbackResponse{Text: locale.Plain(text), ShowAlert: true})
	}
	if (c.Callback() == nil || answered || sendErr != nil) && c.Chat() != nil {
		// A button already answered before the failure: say it in the chat instead.
		sendErr = c.Send(text)
	}
	return sendErr
}

// IsReported reports whether the person was already told about err.
func IsReported(err error) bool {
	var r *ReportedError
	return errors.As(err, &r)
}

// AdminOnly refuses sellers' routes to everyone else, checked on every update on the server.
func (h *Handlers) AdminOnly(next tele.HandlerFunc) tele.HandlerFunc {
	return func(c tele.Context) error {
		if u := c.Sender(); u != nil && h.IsAdmin(u.ID) {
			return next(c)
		}
		if c.Callback() != nil {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "admin.only"), ShowAlert: true})
		}
		return c.Send(h.t(c, "admin.only"))
	}
}

func profile(u *tele.User) orders.Profile {
	return orders.Profile{
		ID:               u.ID,
		FirstName:        u.FirstName,
		LastName:         u.LastName,
		Username:         u.Username,
		TelegramLanguage: u.LanguageCode,
	}
}

// respond answers a button press. An answer Telegram refuses because the press was
// answered already (the update came again after a restart) or is too old changes
// nothing for the person: the step goes on.
func (h *Handlers) respond(c tele.Context, resp ...*tele.CallbackResponse) error {
	r := &tele.CallbackResponse{}
	if len(resp) > 0 {
		r = resp[0]
		r.Text = locale.Plain(r.Text) // a button's answer is plain text, not HTML
	}
	if req, _ := c.Get(requestKey).(*request); req != nil {
		req.answered = true
	}
	err := answer(c, r)
	if errors.Is(err, tele.ErrQueryTooOld) || (err != nil && strings.Contains(err.Error(), "query is too old")) {
		h.Log.Debug("button answer refused", "err", err)
		return nil
	}
	return err
}

// editOrSend shows text in place of the pressed button's message, or, when that message
// cannot be edited (gone, too old, a photo), as a new message.
func (h *Handlers) editOrSend(c tele.Context, text string, markup *tele.ReplyMarkup) error {
	if m := c.Callback().Message; m != nil && m.Text != "" && m.Unixtime != 0 {
		_, err := c.Bot().Edit(m, text, markup)
		if err == nil || channel.NotModified(err) {
			return nil
		}
		if !channel.CannotEdit(err) {
			return err
		}
	}
	_, err := c.Bot().Send(c.Chat(), text, markup)
	return err
}
