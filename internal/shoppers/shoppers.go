// Package shoppers drives simulated customers and sellers through the shop bot by way of
// the fake Bot API, for the benchmark command (bot/bench) and the benchmarks of package bot.
//
// A Crowd hears every message the bot sends through telegramtest's Tap and hands it to the
// person it is for, so thousands of people can wait at once without polling the fake.
// Each Shopper is a new customer who goes once through the whole booking: the deep link
// from the channel, the item card, a size, a quantity, checkout with pickup, Confirm, and
// the payment receipt. Sellers confirm the payments they are sent.
package shoppers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
)

// Wait is how long a person waits for an answer before the step counts as failed.
const Wait = 30 * time.Second

// Step is one update of the booking flow.
type Step int

// The booking flow, in order.
const (
	Link     Step = iota // /start with the item's deep link → the item card
	Size                 // a size button on the card → how many?
	Quantity             // 1 → added to the cart
	Checkout             // Check out → pickup or delivery?
	Pickup               // Pick up → a note?
	NoNote               // No note → the summary
	Confirm              // Confirm order → the order and how to pay
	Receipt              // a photo of the transfer → receipt received
	steps
)

// Steps is the number of customer updates in one booking.
const Steps = int(steps)

var stepNames = [...]string{"deep link", "size", "quantity", "checkout", "pickup", "no note", "confirm (order)", "receipt photo"}

func (s Step) String() string {
	if s >= 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return "step " + strconv.Itoa(int(s))
}

// Sample is one update a person sent and the answer they waited for.
type Sample struct {
	Step Step
	// Sent is when the fake queued the update; Latency runs from then until the answer
	// was stored by the fake.
	Sent    time.Time
	Latency time.Duration
	// Placed is set on Confirm when the answer was the order (not a shortage).
	Placed bool
}

// ErrTimeout is a step whose answer did not come within Wait.
var ErrTimeout = errors.New("shoppers: no answer in time")

type arrival struct {
	m  telegramtest.Message
	at time.Time
}

// Crowd is everyone the benchmark plays, on one fake Bot API.
type Crowd struct {
	fake    *telegramtest.Server
	items   []catalog.Item
	labels  labels
	receipt []byte
	nextID  atomic.Int64
	inboxes sync.Map // chat id → chan arrival
	// Dropped counts messages nobody was waiting for in a full inbox.
	Dropped atomic.Int64
}

type labels struct {
	checkout, pickup, noNote, confirm, paid   string
	deliveryPrompt, notePrompt, shortageStart string
}

// New returns a crowd whose customers book the items (each with sizes) and whose user
// ids start at firstID. Give its Seen to telegramtest.Server.Tap.
func New(fake *telegramtest.Server, items []catalog.Item, firstID int64) (*Crowd, error) {
	if len(items) == 0 {
		return nil, errors.New("shoppers: no items to book")
	}
	texts, err := locale.New()
	if err != nil {
		return nil, err
	}
	t := func(id string) string { return locale.Plain(texts.T("en", id)) }
	c := &Crowd{fake: fake, items: items, receipt: Picture(7), labels: labels{
		checkout: t("cart.checkout_button"), pickup: t("checkout.pickup_button"),
		noNote: t("checkout.no_note_button"), confirm: t("checkout.confirm_button"),
		paid: t("desk.paid_button"), deliveryPrompt: t("checkout.delivery_prompt"),
		notePrompt: t("checkout.note_prompt"), shortageStart: t("checkout.shortage"),
	}}
	c.nextID.Store(firstID - 1)
	return c, nil
}

// Seen takes every message the bot sends or edits (see telegramtest.Server.Tap).
func (c *Crowd) Seen(m telegramtest.Message, at time.Time) {
	v, ok := c.inboxes.Load(m.ChatID)
	if !ok {
		return
	}
	select {
	case v.(chan arrival) <- arrival{m, at}:
	default:
		c.Dropped.Add(1)
	}
}

func (c *Crowd) listen(chatID int64, size int) chan arrival {
	ch := make(chan arrival, size)
	c.inboxes.Store(chatID, ch)
	return ch
}

// person is one private chat with the bot.
type person struct {
	c     *Crowd
	u     *telegramtest.User
	inbox chan arrival
	// last is the newest message of the chat the person has seen, theirs or the bot's.
	last int
}

func (c *Crowd) newPerson(id int64, name string) *person {
	u := c.fake.User(id, name, "", "en")
	return &person{c: c, u: u, inbox: c.listen(id, 64)}
}

// Close stops listening for the person's chat.
func (p *person) Close() { p.c.inboxes.Delete(p.u.ID) }

// await waits for a bot message newer than what the person saw that meets want.
func (p *person) await(ctx context.Context, want func(telegramtest.Message) bool) (arrival, error) {
	timer := time.NewTimer(Wait)
	defer timer.Stop()
	for {
		select {
		case a := <-p.inbox:
			if a.m.ID > p.last && want(a.m) {
				p.last = a.m.ID
				return a, nil
			}
		case <-ctx.Done():
			return arrival{}, ctx.Err()
		case <-timer.C:
			return arrival{}, ErrTimeout
		}
	}
}

// press presses the button labelled label on m.
func (p *person) press(m telegramtest.Message, label string) (time.Time, error) {
	for _, b := range m.Buttons() {
		if b.Text == label {
			at := time.Now()
			p.u.PressData(m.ID, b.Data)
			return at, nil
		}
	}
	return time.Time{}, fmt.Errorf("shoppers: no button %q on %s", label, m)
}

// Shopper is a new customer who books one item once.
type Shopper struct {
	*person
	item catalog.Item
	size string
	next Step
	on   telegramtest.Message // the bot message the next step acts on
}

// NewShopper is a customer who has never written to the bot, with an item and size in mind.
func (c *Crowd) NewShopper() *Shopper {
	id := c.nextID.Add(1)
	it := c.items[rand.IntN(len(c.items))]
	v := it.Variants[rand.IntN(len(it.Variants))]
	return &Shopper{person: c.newPerson(id, "Shopper "+strconv.FormatInt(id, 10)), item: it, size: v.Name}
}

// Done reports whether the shopper went through the whole booking.
func (s *Shopper) Done() bool { return s.next == steps }

// Next sends the next update of the booking and waits for its answer.
func (s *Shopper) Next(ctx context.Context) (Sample, error) {
	step := s.next
	l := s.c.labels
	var sent time.Time
	var err error
	var want func(m telegramtest.Message) bool
	switch step {
	case Link:
		sent = time.Now()
		s.last = s.u.SendText("/start " + catalog.ItemPayload(s.item.ID)).MessageID
		want = func(m telegramtest.Message) bool { return m.Photo != nil && strings.HasPrefix(m.Caption, s.item.Title) }
	case Size:
		sent, err = s.press(s.on, "🛒 "+s.size)
		want = func(m telegramtest.Message) bool { b := m.Buttons(); return len(b) > 0 && b[0].Text == "1" }
	case Quantity:
		sent, err = s.press(s.on, "1")
		want = func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "✅") }
	case Checkout:
		sent, err = s.press(s.on, l.checkout)
		want = func(m telegramtest.Message) bool { return m.Text == l.deliveryPrompt }
	case Pickup:
		sent, err = s.press(s.on, l.pickup)
		want = func(m telegramtest.Message) bool { return strings.HasSuffix(m.Text, l.notePrompt) }
	case NoNote:
		sent, err = s.press(s.on, l.noNote)
		want = func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "📋") }
	case Confirm:
		sent, err = s.press(s.on, l.confirm)
		want = func(m telegramtest.Message) bool {
			return strings.HasPrefix(m.Text, "✅ Order") || strings.HasPrefix(m.Text, l.shortageStart)
		}
	case Receipt:
		// Each receipt is a different picture, as each transfer is.
		data := append(append([]byte(nil), s.c.receipt...), strconv.FormatInt(s.u.ID, 10)...)
		sent = time.Now()
		s.last = s.u.SendPhoto(data, "").MessageID
		want = func(m telegramtest.Message) bool { return strings.HasPrefix(m.Text, "🧾") }
	default:
		return Sample{}, errors.New("shoppers: the booking is over")
	}
	if err != nil {
		return Sample{}, err
	}
	a, err := s.await(ctx, want)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: %w", step, err)
	}
	s.on = a.m
	s.next++
	return Sample{Step: step, Sent: sent, Latency: a.at.Sub(sent), Placed: step == Confirm && strings.HasPrefix(a.m.Text, "✅ Order")}, nil
}

// Greet sends /start as a new person and waits for the greeting: one new session.
func (c *Crowd) Greet(ctx context.Context) (Sample, error) {
	id := c.nextID.Add(1)
	p := c.newPerson(id, "Visitor "+strconv.FormatInt(id, 10))
	defer p.Close()
	sent := time.Now()
	p.last = p.u.SendText("/start").MessageID
	a, err := p.await(ctx, func(m telegramtest.Message) bool { return len(m.Buttons()) > 0 })
	if err != nil {
		return Sample{}, fmt.Errorf("greeting: %w", err)
	}
	return Sample{Step: -1, Sent: sent, Latency: a.at.Sub(sent)}, nil
}

// Talker is a person who writes and waits for any answer: for the echo baseline and for
// measuring the fake alone. Unlike a Shopper it can go on for ever.
type Talker struct {
	*person
	n int
}

// NewTalker is a new person for an echo bot.
func (c *Crowd) NewTalker() *Talker {
	id := c.nextID.Add(1)
	return &Talker{person: c.newPerson(id, "Talker "+strconv.FormatInt(id, 10))}
}

// Say sends a text and waits for the bot's next message.
func (t *Talker) Say(ctx context.Context) (Sample, error) {
	t.n++
	sent := time.Now()
	t.last = t.u.SendText("hello " + strconv.Itoa(t.n)).MessageID
	a, err := t.await(ctx, func(telegramtest.Message) bool { return true })
	if err != nil {
		return Sample{}, err
	}
	return Sample{Step: -1, Sent: sent, Latency: a.at.Sub(sent)}, nil
}

// Picture is a small JPEG; seed varies it.
func Picture(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		for y := range 30 {
			img.Set(x, y, color.RGBA{uint8(seed * 40), uint8(x * 6), uint8(y * 8), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}
