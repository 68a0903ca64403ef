package handlers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/orders"
)

// Step is where a person is in a conversation; free text is dispatched on it.
type Step string

// Conversation steps.
const (
	StepNone       Step = ""
	StepSetPayment Step = "admin.set_payment"
	StepSetPickup  Step = "admin.set_pickup"

	// Adding an item (/newitem), and editing one field of the draft from the preview.
	StepItemPhotos      Step = "item.photos"
	StepItemTitle       Step = "item.title"
	StepItemPrice       Step = "item.price"
	StepItemDescription Step = "item.description"
	StepItemVariants    Step = "item.variants"
	StepItemPreview     Step = "item.preview"

	// Editing a saved item (/items): Session.EditItem names it.
	StepEditPrice       Step = "edit.price"
	StepEditTitle       Step = "edit.title"
	StepEditDescription Step = "edit.description"
	StepEditStock       Step = "edit.stock" // Session.EditVariant names the variant
	StepEditVariants    Step = "edit.variants"

	// Weekly catalog.
	StepWeekSchedule Step = "week.schedule" // Session.EditWeek names the week
	StepWeekTitle    Step = "week.title"
	StepRule         Step = "week.rule"

	// The sellers' order desk: a reason or tracking note for Session.EditOrder.
	StepDeskNote Step = "desk.note"
	// A broadcast being written.
	StepBroadcast Step = "desk.broadcast"
	// A seller's answer to Session.AnswerTo, about Session.AskOrder.
	StepAnswer Step = "desk.answer"

	// A customer's message to the shop, about Session.AskOrder.
	StepAsk Step = "ask.message"

	// Booking: a quantity typed for Session.Pick, then the checkout questions.
	StepQuantity        Step = "cart.quantity"
	StepCheckoutName    Step = "checkout.name"
	StepCheckoutPhone   Step = "checkout.phone"
	StepCheckoutAddress Step = "checkout.address"
	StepCheckoutNote    Step = "checkout.note"
	StepCheckoutSummary Step = "checkout.summary"
)

// Session is one person's conversation state, kept in Redis as JSON.
// Durable facts (orders, settings, the chosen language) live in Postgres; a session only
// holds what a conversation needs until it ends.
type Session struct {
	Step Step   `json:"step,omitempty"`
	Lang string `json:"lang"`

	Item        *ItemDraft `json:"item,omitempty"`
	EditItem    int64      `json:"edit_item,omitempty"`
	EditVariant int64      `json:"edit_variant,omitempty"`
	EditWeek    int64      `json:"edit_week,omitempty"`
	EditOrder   int64      `json:"edit_order,omitempty"`
	SettingKey  string     `json:"setting_key,omitempty"`
	DeskAction  string     `json:"desk_action,omitempty"`
	DeskMessage int        `json:"desk_message,omitempty"` // the message whose button asked for the note
	// DeskFrom is the order's status when the note was asked for: the action is for that
	// status only, whatever another seller did to the order meanwhile.
	DeskFrom orders.Status `json:"desk_from,omitempty"`
	// DeskChanges is how many changes (status changes, receipts) the order had then:
	// one with another receipt since is another order to act on.
	DeskChanges int `json:"desk_changes,omitempty"`
	// AskOrder is the order a message to or from the shop is about, 0 for none.
	AskOrder int64 `json:"ask_order,omitempty"`
	// AnswerTo is the customer a seller answers.
	AnswerTo int64 `json:"answer_to,omitempty"`
	// Unsent is text a customer typed outside any conversation, offered to the shop.
	Unsent *UnsentMessage `json:"unsent,omitempty"`
	// Album is the album whose first photo was passed on, to or from the shop.
	Album *RelayedAlbum `json:"album,omitempty"`
	// IgnoredAlbum is an album already answered as unexpected, so its other photos are not.
	IgnoredAlbum string `json:"ignored_album,omitempty"`

	// The cart lives as long as the session.
	Cart     []CartLine `json:"cart,omitempty"`
	Pick     *CartLine  `json:"pick,omitempty"` // a size chosen, waiting for how many
	Checkout *Checkout  `json:"checkout,omitempty"`
	// Broadcast is a message to all customers, waiting for the seller's go.
	Broadcast *BroadcastDraft `json:"broadcast,omitempty"`
	// PendingReceipts wait for the customer to say which order each pays.
	PendingReceipts []PendingReceipt `json:"pending_receipts,omitempty"`
	// ReceiptAlbum is the album whose first picture was stored as a receipt.
	ReceiptAlbum *ReceiptAlbum `json:"receipt_album,omitempty"`
	// Shelved is an item the seller was adding when something else took them away: a
	// notice's button, another command. /newitem offers to go on with it.
	Shelved *ShelvedItem `json:"shelved_item,omitempty"`
	// Paused is a checkout the customer left to write to the shop: the main menu offers
	// to go on with it, and its summary's buttons still work.
	Paused *PausedCheckout `json:"paused_checkout,omitempty"`
	// Seen is when the person's last update came in.
	Seen time.Time `json:"seen,omitzero"`
	// StepAt is when the conversation came to Step: when its question was asked.
	StepAt time.Time `json:"step_at,omitzero"`
}

// askedAt is when the current step's question was asked (for a session saved before that
// was recorded, the person's last update).
func (s *Session) askedAt() time.Time {
	if s.StepAt.IsZero() {
		return s.Seen
	}
	return s.StepAt
}

// stepped records when the conversation's question was asked, after an update that found
// it at step: a new step, a step asked anew after a reset, or an answer refused and asked
// for again (answered: the update was text the step read) count from now.
func (s *Session) stepped(step Step, answered bool, now time.Time) {
	switch {
	case s.Step == StepNone:
		s.StepAt = time.Time{}
	case s.Step != step || answered:
		s.StepAt = now
	case s.StepAt.IsZero() && !s.Seen.IsZero():
		s.StepAt = s.Seen // a session saved before StepAt was: its last update stands in
	case s.StepAt.IsZero():
		s.StepAt = now
	}
}

// PendingReceipt is a receipt picture and the token its question's buttons carry.
type PendingReceipt struct {
	Token   string     `json:"token"`
	Photo   DraftPhoto `json:"photo"`
	Caption string     `json:"caption,omitempty"` // the customer's words with it
	// Album is the album the picture is the first of; More are its other pictures, and
	// OrderID the order the customer picked, once its first is stored.
	Album   string           `json:"album,omitempty"`
	More    []PendingPicture `json:"more,omitempty"`
	OrderID int64            `json:"order,omitempty"`
}

// PendingPicture is another picture of an album waiting as a receipt, and its caption.
type PendingPicture struct {
	Photo   DraftPhoto `json:"photo"`
	Caption string     `json:"caption,omitempty"`
}

// ShelvedItem is an unfinished item draft and the step it was at. Token tells the
// buttons of one offer to go on with it from those of an offer made for another.
type ShelvedItem struct {
	Draft *ItemDraft `json:"draft"`
	Step  Step       `json:"step"`
	Token string     `json:"token"`
}

// overwriteSteps replace what customers see (payment instructions, a price, the weekly
// rule…) or what a customer is told (a rejection's reason, an answer) with the next text: they
// wait for it only so long, lest a stray message days later be taken for the answer.
var overwriteSteps = map[Step]bool{
	StepSetPayment: true, StepSetPickup: true, StepDeskNote: true, StepRule: true,
	StepWeekSchedule: true, StepWeekTitle: true, StepEditPrice: true, StepEditTitle: true,
	StepEditDescription: true, StepEditStock: true, StepEditVariants: true, StepAnswer: true,
}

// overwriteWait is how long an overwriting step waits for its text.
const overwriteWait = 30 * time.Minute

// lapsed reports whether the step's question was asked overwriteWait ago or more.
func (s *Session) lapsed(now time.Time) bool { return now.Sub(s.askedAt()) > overwriteWait }

// CartLine is an item and size in the cart. Titles and prices are read fresh from the
// catalog whenever the cart is shown, so a changed price is never hidden.
type CartLine struct {
	ItemID    int64 `json:"item"`
	VariantID int64 `json:"variant"`
	Quantity  int   `json:"qty,omitempty"`
	// Label is the item and size as the line was added: what the cart says of it once the
	// shop deleted the item.
	Label string `json:"label,omitempty"`
}

// Checkout is what the customer answered at checkout so far.
type Checkout struct {
	Delivery string `json:"delivery,omitempty"` // orders.Pickup or orders.Shipping
	Name     string `json:"name,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Address  string `json:"address,omitempty"`
	Note     string `json:"note,omitempty"`
	// Key is the summary's confirmation key: one order per summary, however often
	// its Confirm button arrives.
	Key string `json:"key,omitempty"`
	// Total is what the summary said: the order is placed only at that total.
	Total int64 `json:"total,omitempty"`
	// Lines is how many lines the summary listed: fewer since, some could no longer be
	// booked (see loadCart).
	Lines int `json:"lines,omitempty"`
}

// leaveCheckout ends a checkout after the cart changed: a summary shown no longer stands,
// and the customer checks out again from the cart.
func (s *Session) leaveCheckout() {
	s.Checkout, s.Paused = nil, nil
	if checkoutStep(s.Step) {
		s.Step = StepNone
	}
}

// checkoutStep reports whether a step asks for a detail of the checkout.
func checkoutStep(step Step) bool { return strings.HasPrefix(string(step), "checkout.") }

// PausedCheckout is a checkout and the step it stood at.
type PausedCheckout struct {
	Step     Step      `json:"step,omitempty"`
	Checkout *Checkout `json:"checkout"`
}

// pauseCheckout puts a checkout under way aside, to be taken up again after a message to
// the shop. Its delivery choice (Step none) counts.
func (s *Session) pauseCheckout() {
	if s.Checkout != nil && (s.Step == StepNone || checkoutStep(s.Step)) {
		s.Paused = &PausedCheckout{Step: s.Step, Checkout: s.Checkout}
		s.Checkout, s.Step = nil, StepNone
	}
}

// resumeCheckout takes up the paused checkout again, if there is one and no other.
func (s *Session) resumeCheckout() {
	p := s.Paused
	if p == nil || p.Checkout == nil || s.Checkout != nil {
		return
	}
	s.Reset()
	s.Checkout, s.Step, s.Paused = p.Checkout, p.Step, nil
}

// ItemDraft is an item being added, until the seller saves it.
type ItemDraft struct {
	// Key names the item to be: a Save handled twice stores it once.
	Key         string                `json:"key,omitempty"`
	Photos      []DraftPhoto          `json:"photos,omitempty"`
	Title       string                `json:"title,omitempty"`
	Price       int64                 `json:"price,omitempty"`
	Description string                `json:"description,omitempty"`
	Variants    []catalog.VariantSpec `json:"variants,omitempty"`
	// Reviewing is set once the preview was shown: after a field is edited, the
	// preview comes back instead of the next question.
	Reviewing bool `json:"reviewing,omitempty"`
	// The album being received and the message counting its photos, edited as they come.
	AlbumID    string `json:"album_id,omitempty"`
	ProgressID int    `json:"progress_id,omitempty"`
}

// DraftPhoto is a photo the seller sent, by Telegram file id; its bytes are fetched and
// stored when the item is saved.
type DraftPhoto struct {
	FileID   string `json:"file_id"`
	UniqueID string `json:"unique_id"`
	MIME     string `json:"mime"`
	// Document is set for an image sent as a file.
	Document bool `json:"document,omitempty"`
}

// Reset ends the current conversation, keeping what outlives it: the language, the cart,
// receipts waiting for their order to be picked (and the album of one stored), an item the
// seller was adding, shelved for /newitem to take up again, and a checkout paused to write
// to the shop.
func (s *Session) Reset() {
	s.shelveItem(s.Step)
	// An album answered stays answered: its other photos come as updates of their own.
	*s = Session{Lang: s.Lang, Cart: s.Cart, PendingReceipts: s.PendingReceipts, Shelved: s.Shelved, Paused: s.Paused,
		IgnoredAlbum: s.IgnoredAlbum, ReceiptAlbum: s.ReceiptAlbum}
}

// dropItem ends the conversation and the item draft in it: saved, discarded or cancelled.
func (s *Session) dropItem() {
	s.Item = nil
	s.Reset()
}

// shelveItem puts the item being added at step aside, if it has anything to keep: a photo
// or a name. An item being changed (EditItem) is not a draft to go back to.
func (s *Session) shelveItem(step Step) {
	d := s.Item
	if d == nil || s.EditItem != 0 || !newItemStep(step) {
		return
	}
	s.Item = nil
	if len(d.Photos) > 0 || d.Title != "" {
		s.Shelved = &ShelvedItem{Draft: d, Step: step, Token: rand.Text()[:10]}
	}
}

// leftItem shelves an item draft the last update moved away from without ending it, as a
// step that went to a checkout or a cart: step is where the update found the session.
func (s *Session) leftItem(step Step) {
	if s.Item != nil && !newItemStep(s.Step) {
		s.shelveItem(step)
	}
}

func newItemStep(step Step) bool {
	switch step {
	case StepItemPhotos, StepItemTitle, StepItemPrice, StepItemDescription, StepItemVariants, StepItemPreview:
		return true
	}
	return false
}

// ErrBusy is returned when a person's lock could not be taken before the context ended.
var ErrBusy = errors.New("handlers: session is busy")

// ErrDuplicate is returned for an update handled already: Telegram delivered it again.
var ErrDuplicate = errors.New("handlers: update handled already")

// FloodError is returned when a person sends more updates than the rate limit allows.
// First is set for the first update over the limit in its window: the one to answer.
type FloodError struct{ First bool }

func (e *FloodError) Error() string { return "handlers: too many updates" }

// Sessions stores sessions in Redis and serialises each person's updates with a lock that
// works across processes and expires on its own if its holder dies. It also remembers
// the updates handled (so one delivered again is recognised) and limits how many updates
// a person may send in a window, across every process.
type Sessions struct {
	rdb     redis.UniversalClient
	prefix  string
	ttl     time.Duration
	lockTTL time.Duration
	// RateLimit updates per RateWindow per person; the rest are dropped.
	RateLimit  int
	RateWindow time.Duration
	// SeenFor is how long a handled update is remembered: Telegram keeps updates 24 h.
	SeenFor time.Duration
}

// NewSessions returns a store whose keys start with prefix and whose sessions live ttl
// after the person's last update. A lock lives lockTTL unless freed, renewed while its
// update is handled: a person whose update died with its process waits lockTTL at most.
func NewSessions(rdb redis.UniversalClient, prefix string, ttl, lockTTL time.Duration) *Sessions {
	return &Sessions{rdb: rdb, prefix: prefix, ttl: ttl, lockTTL: lockTTL,
		RateLimit: 30, RateWindow: 10 * time.Second, SeenFor: 24 * time.Hour}
}

func (s *Sessions) keys(userID int64) (session, lock string) {
	id := strconv.FormatInt(userID, 10)
	return s.prefix + "session:" + id, s.prefix + "lock:" + id
}

func (s *Sessions) seenKey(updateID int) string { return s.prefix + "update:" + strconv.Itoa(updateID) }

func (s *Sessions) rateKey(userID int64) string {
	return s.prefix + "rate:" + strconv.FormatInt(userID, 10)
}

// acquireScript, in one round trip: refuses an update already handled (KEYS[3], when
// ARGV[5] is set), takes the lock, counts the person's updates in the rate window
// (KEYS[4]) and refuses past the limit, and reads the session.
var acquireScript = redis.NewScript(`
if ARGV[5] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return {2} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {0} end
local n = redis.call('INCR', KEYS[4])
if n == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[4]) end
if n > tonumber(ARGV[3]) then
  redis.call('DEL', KEYS[2])
  return {3, n}
end
local s = redis.call('GET', KEYS[1])
if s then return {1, s} end
return {1}`)

// renewScript extends the lock while it is still ours.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// releaseScript saves the session (when ARGV[2] is not empty), remembers the update as
// handled (KEYS[3], when ARGV[4] is set) and frees the lock, but only while the lock is
// still ours: a holder that outlived its lock must not overwrite newer state.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], '1', 'PX', ARGV[4]) end
redis.call('DEL', KEYS[2])
return 1`)

// Lease is a locked session: change Session, then Save or Release.
type Lease struct {
	Session Session
	// Found is false when the person had no live session (new, or expired).
	Found bool

	s        *Sessions
	userID   int64
	updateID int
	token    string
	stored   []byte
	done     chan struct{} // ends the lock's renewal
}

// keepAlive renews the lock while the update is handled, so the lock can be short: a
// process that dies holding it blocks the person for lockTTL at most, not for as long as
// the slowest update may take.
func (l *Lease) keepAlive() {
	_, lockKey := l.s.keys(l.userID)
	t := time.NewTicker(l.s.lockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.s.lockTTL/3)
			renewScript.Run(ctx, l.s.rdb, []string{lockKey}, l.token, l.s.lockTTL.Milliseconds())
			cancel()
		}
	}
}

// Acquire locks the person's session and loads it, waiting while another update of the
// same person holds the lock, until ctx ends. updateID (0 for none) names the update:
// one handled already gives ErrDuplicate; past the rate limit, *FloodError.
func (s *Sessions) Acquire(ctx context.Context, userID int64, updateID int) (*Lease, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("handlers: lock token: %w", err)
	}
	token := hex.EncodeToString(b[:])
	sessionKey, lockKey := s.keys(userID)
	keys := []string{sessionKey, lockKey, s.seenKey(updateID), s.rateKey(userID)}
	checkSeen := ""
	if updateID != 0 {
		checkSeen = "1"
	}
	wait := 2 * time.Millisecond
	for {
		res, err := acquireScript.Run(ctx, s.rdb, keys, token, s.lockTTL.Milliseconds(),
			s.RateLimit, s.RateWindow.Milliseconds(), checkSeen).Slice()
		if err != nil {
			return nil, fmt.Errorf("handlers: acquire session: %w", err)
		}
		switch res[0].(int64) {
		case 2:
			return nil, ErrDuplicate
		case 3:
			return nil, &FloodError{First: res[1].(int64) == int64(s.RateLimit)+1}
		case 1:
			l := &Lease{s: s, userID: userID, updateID: updateID, token: token, done: make(chan struct{})}
			go l.keepAlive()
			if len(res) > 1 {
				l.stored = []byte(res[1].(string))
				if err := json.Unmarshal(l.stored, &l.Session); err == nil {
					l.Found = true
				}
			}
			return l, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
		case <-time.After(wait):
		}
		if wait < 50*time.Millisecond {
			wait *= 2
		}
	}
}

// Save stores the session (refreshing its time to live) and frees the lock.
func (l *Lease) Save(ctx context.Context) error {
	data, err := json.Marshal(l.Session)
	if err != nil {
		return fmt.Errorf("handlers: encode session: %w", err)
	}
	return l.release(ctx, data)
}

// Release frees the lock and leaves the stored session as it was.
func (l *Lease) Release(ctx context.Context) error {
	return l.release(ctx, nil)
}

func (l *Lease) release(ctx context.Context, data []byte) error {
	l.stopRenewal()
	sessionKey, lockKey := l.s.keys(l.userID)
	// Saving means the update was handled: remember it, so a redelivery is skipped.
	seen := ""
	if data != nil && l.updateID != 0 {
		seen = strconv.FormatInt(l.s.SeenFor.Milliseconds(), 10)
	}
	err := releaseScript.Run(ctx, l.s.rdb, []string{sessionKey, lockKey, l.s.seenKey(l.updateID)},
		l.token, string(data), l.s.ttl.Milliseconds(), seen).Err()
	if err != nil {
		return fmt.Errorf("handlers: release session: %w", err)
	}
	return nil
}

// BroadcastDraft is a seller's message to all customers before it is sent.
type BroadcastDraft struct {
	Text        string `json:"text,omitempty"` // HTML, escaped from what the seller typed
	PhotoFileID string `json:"photo,omitempty"`
	// Token is carried by the preview's buttons: those of an earlier preview are stale.
	Token string `json:"token,omitempty"`
}

func (l *Lease) stopRenewal() {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
}
