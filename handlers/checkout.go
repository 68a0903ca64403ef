package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html"
	"strings"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
)

// UniqueCheckout is the family of the checkout's buttons; data: action[|arg].
const UniqueCheckout = "co"

// Limits of what a customer types at checkout.
const (
	maxName    = 100
	maxAddress = 300
	maxNote    = 300
)

// startCheckout checks the cart and asks how the customer gets the order.
func (h *Handlers) startCheckout(c tele.Context) error {
	lines, dropped, err := h.loadCart(c)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return c.Send(withDropped(dropped, h.t(c, "cart.empty")), h.mainMenu(c))
	}
	if dropped != "" {
		if err := c.Send(dropped); err != nil {
			return err
		}
	}
	s := h.session(c)
	s.Step = StepNone
	s.Pick, s.Paused = nil, nil
	s.Checkout = &Checkout{}
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(
		m.Data(h.t(c, "checkout.pickup_button"), UniqueCheckout, "pickup"),
		m.Data(h.t(c, "checkout.shipping_button"), UniqueCheckout, "ship"),
	))
	return c.Send(h.t(c, "checkout.delivery_prompt"), m)
}

// CheckoutButton serves the checkout's buttons.
func (h *Handlers) CheckoutButton(c tele.Context) error {
	action, arg, _ := strings.Cut(c.Callback().Data, "|")
	s := h.session(c)
	if action == "confirm" {
		return h.confirm(c, arg)
	}
	switch p := s.Paused; {
	case action == "resume":
		s.resumeCheckout()
	case (action == "edit" || action == "cancel") && p != nil && p.Checkout != nil && arg != "" && arg == p.Checkout.Key:
		// The buttons of the summary it was paused at; those of other summaries, and of
		// steps, are of a checkout no longer there.
		s.resumeCheckout()
	}
	co := s.Checkout
	switch {
	case co == nil,
		// another summary's, of a checkout no longer there
		(action == "edit" || action == "cancel") && arg != "" && arg != co.Key,
		// last time's details, or new ones, for a checkout gone over to pickup
		(action == "last" || action == "new") && co.Delivery != orders.Shipping:
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	if action != "skip" && action != "resume" {
		// The checkout changes: a summary shown before no longer stands, and its Confirm
		// button is stale. (Skip only answers the note step, with a new summary; resume
		// asks again the question the checkout stands at.)
		co.Key, co.Total = "", 0
	}
	switch action {
	case "pickup":
		co.Delivery = orders.Pickup
		pickup, err := h.setting(h.req(c).ctx, orders.SettingPickup)
		if err != nil && !errors.Is(err, orders.ErrNotFound) {
			return err
		}
		where := ""
		if pickup != "" {
			where = h.t(c, "checkout.pickup_where") + "\n" + html.EscapeString(pickup)
		}
		return h.askNote(c, where)
	case "ship":
		co.Delivery = orders.Shipping
		cust, err := h.Orders.Customer(h.req(c).ctx, c.Sender().ID)
		if err != nil && !errors.Is(err, orders.ErrNotFound) {
			return err
		}
		if cust.DeliveryName != "" && cust.Phone != "" && cust.DeliveryAddress != "" {
			m := &tele.ReplyMarkup{}
			m.Inline(
				m.Row(m.Data(h.t(c, "checkout.use_last_button"), UniqueCheckout, "last")),
				m.Row(m.Data(h.t(c, "checkout.new_details_button"), UniqueCheckout, "new")),
			)
			return c.Send(h.t(c, "checkout.last_details", locale.Args{"Name": cust.DeliveryName, "Phone": cust.Phone, "Address": cust.DeliveryAddress}), m)
		}
		return h.askName(c)
	case "last":
		cust, err := h.Orders.Customer(h.req(c).ctx, c.Sender().ID)
		if err != nil {
			return err
		}
		co.Name, co.Phone, co.Address = cust.DeliveryName, cust.Phone, cust.DeliveryAddress
		return h.askNote(c, "")
	case "new":
		return h.askName(c)
	case "skip":
		if s.Step != StepCheckoutNote {
			return nil
		}
		co.Note = ""
		return h.summary(c)
	case "resume":
		return h.askCheckout(c)
	case "edit":
		return h.startCheckout(c)
	case "cancel":
		s.Reset()
		return c.Send(h.t(c, "checkout.cancelled"), h.mainMenu(c))
	}
	return nil
}

// askCheckout asks again the question the checkout stands at.
func (h *Handlers) askCheckout(c tele.Context) error {
	switch h.session(c).Step {
	case StepCheckoutName:
		return h.askName(c)
	case StepCheckoutPhone:
		return h.askPhone(c)
	case StepCheckoutAddress:
		return h.askAddress(c)
	case StepCheckoutNote:
		return h.askNote(c, "")
	case StepCheckoutSummary:
		return h.summary(c)
	}
	return h.startCheckout(c)
}

func (h *Handlers) askName(c tele.Context) error {
	h.session(c).Step = StepCheckoutName
	return c.Send(h.t(c, "checkout.name_prompt"))
}

func (h *Handlers) askPhone(c tele.Context) error {
	h.session(c).Step = StepCheckoutPhone
	m := &tele.ReplyMarkup{ResizeKeyboard: true, OneTimeKeyboard: true}
	m.Reply(m.Row(m.Contact(h.t(c, "checkout.share_phone_button"))))
	return c.Send(h.t(c, "checkout.phone_prompt"), m)
}

// askNote asks for a note to the seller, after before (what the customer should know
// first, such as where to pick up) in the same message.
func (h *Handlers) askNote(c tele.Context, before string) error {
	h.session(c).Step = StepCheckoutNote
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.Data(h.t(c, "checkout.no_note_button"), UniqueCheckout, "skip")))
	text := h.t(c, "checkout.note_prompt")
	if before != "" {
		text = before + "\n\n" + text
	}
	return c.Send(text, m)
}

// checkoutText takes the typed answers of the checkout.
func (h *Handlers) checkoutText(c tele.Context) error {
	s := h.session(c)
	co := s.Checkout
	if co == nil {
		s.Reset()
		return c.Send(h.t(c, "unknown.text"), h.mainMenu(c))
	}
	text := strings.TrimSpace(c.Text())
	switch s.Step {
	case StepCheckoutName:
		if n := utf8.RuneCountInString(text); n == 0 || n > maxName {
			return c.Send(h.t(c, "checkout.too_long", locale.Args{"Max": maxName}))
		}
		co.Name = text
		return h.askPhone(c)
	case StepCheckoutPhone:
		phone, err := orders.ParsePhone(text)
		if err != nil {
			return c.Send(h.t(c, "checkout.phone_invalid"))
		}
		co.Phone = phone
		return h.askAddress(c)
	case StepCheckoutAddress:
		if n := utf8.RuneCountInString(text); n < 5 || n > maxAddress {
			return c.Send(h.t(c, "checkout.address_invalid", locale.Args{"Max": maxAddress}))
		}
		co.Address = text
		return h.askNote(c, "")
	case StepCheckoutNote:
		if utf8.RuneCountInString(text) > maxNote {
			return c.Send(h.t(c, "checkout.too_long", locale.Args{"Max": maxNote}))
		}
		co.Note = text
		return h.summary(c)
	case StepCheckoutSummary:
		return c.Send(h.t(c, "checkout.use_buttons"))
	}
	return nil
}

func (h *Handlers) askAddress(c tele.Context) error {
	h.session(c).Step = StepCheckoutAddress
	// The contact keyboard has done its job.
	return c.Send(h.t(c, "checkout.address_prompt"), &tele.ReplyMarkup{RemoveKeyboard: true})
}

// Contact takes a shared phone number at the phone step.
func (h *Handlers) Contact(c tele.Context) error {
	s := h.session(c)
	contact := c.Message().Contact
	if p := s.Paused; (s.Step == StepNone || s.Step == StepAsk) && s.Checkout == nil && p != nil && p.Step == StepCheckoutPhone {
		// The Share my phone keyboard of a checkout paused to write to the shop (or to look
		// at an item), before or after the message: the number takes it up again, as
		// Continue checkout would.
		s.resumeCheckout()
	}
	if s.Step != StepCheckoutPhone || s.Checkout == nil {
		// A Share my phone keyboard left from a checkout given up: answer, and take it away.
		id := "unexpected.message"
		if hint := stepHint(s.Step); hint != "" && s.Step != StepCheckoutPhone {
			id = hint // what the step they are in now waits for
		}
		return c.Send(h.t(c, id), &tele.ReplyMarkup{RemoveKeyboard: true})
	}
	// The customer's own number (the Share button) or the recipient's card.
	number := strings.TrimSpace(contact.PhoneNumber)
	if contact.UserID != 0 && !strings.HasPrefix(number, "+") && !strings.HasPrefix(number, "0") {
		// A Telegram account's number: international, which Telegram often gives without
		// its "+". (A card from a phone book holds the number as it was saved: national,
		// 0…, perhaps; no country code starts with 0.)
		number = "+" + number
	}
	phone, err := orders.ParsePhone(number)
	if err != nil {
		return c.Send(h.t(c, "checkout.phone_invalid"))
	}
	s.Checkout.Phone = phone
	return h.askAddress(c)
}

// summary shows the order before it is placed, with a confirmation key of its own.
func (h *Handlers) summary(c tele.Context) error {
	lines, dropped, err := h.loadCart(c)
	if err != nil {
		return err
	}
	s := h.session(c)
	if len(lines) == 0 {
		s.Reset()
		return c.Send(withDropped(dropped, h.t(c, "cart.empty")), h.mainMenu(c))
	}
	co := s.Checkout
	var total int64
	for _, l := range lines {
		total += l.amount()
	}
	// A summary shown again as it was (Continue checkout, a message edited at the summary)
	// keeps its key, so the one shown before confirms the order too; one that says anything
	// else (a price changed meanwhile) gets a key of its own, and the one before is stale.
	if co.Key == "" || s.Step != StepCheckoutSummary || total != co.Total {
		var key [8]byte
		if _, err := rand.Read(key[:]); err != nil {
			return err
		}
		co.Key = hex.EncodeToString(key[:])
	}
	co.Total, co.Lines = total, len(lines)
	s.Step = StepCheckoutSummary
	text := withDropped(dropped, h.t(c, "checkout.summary_title")) + "\n" + h.cartText(c, lines) + "\n\n" + h.deliveryText(h.lang(c), co.Delivery, co.Name, co.Phone, co.Address, co.Note)
	m := &tele.ReplyMarkup{}
	m.Inline(
		m.Row(m.Data(h.t(c, "checkout.confirm_button"), UniqueCheckout, "confirm|"+co.Key)),
		m.Row(m.Data(h.t(c, "checkout.edit_button"), UniqueCheckout, "edit|"+co.Key), m.Data(h.t(c, "checkout.cancel_button"), UniqueCheckout, "cancel|"+co.Key)),
	)
	return c.Send(text, m)
}

// deliveryText says how the order is delivered, with its note.
func (h *Handlers) deliveryText(lang, delivery, name, phone, address, note string) string {
	var text string
	if delivery == orders.Pickup {
		text = h.Texts.T(lang, "delivery.pickup")
	} else {
		text = h.Texts.T(lang, "delivery.shipping", locale.Args{"Name": name, "Phone": phone, "Address": address})
	}
	if note != "" {
		text += "\n" + h.Texts.T(lang, "delivery.note", locale.Args{"Note": note})
	}
	return text
}

// confirm places the order of the summary whose key the button carries. The same key
// always gives the same one order, whether the button is tapped twice or the update
// arrives twice.
func (h *Handlers) confirm(c tele.Context, key string) error {
	if key == "" {
		// Every summary's Confirm carries its key; a checkout has none until its summary.
		return h.Stale(c)
	}
	s := h.session(c)
	if s.Paused != nil && s.Paused.Checkout != nil && s.Paused.Checkout.Key == key {
		s.resumeCheckout() // the summary shown before the customer wrote to the shop
	}
	co := s.Checkout
	var wants []orders.Want
	if co != nil && co.Key == key {
		for _, l := range s.Cart {
			wants = append(wants, orders.Want{ItemID: l.ItemID, VariantID: l.VariantID, Quantity: l.Quantity})
		}
	} else {
		co = &Checkout{}
	}
	ctx := h.req(c).ctx
	admins, err := h.adminLangs(c)
	if err != nil {
		return err
	}
	o, err := h.Orders.Place(ctx, orders.PlaceRequest{
		CustomerID: c.Sender().ID, Key: key, Lines: wants, Currency: h.Currency, Delivery: co.Delivery,
		RecipientName: co.Name, Phone: co.Phone, Address: co.Address, Note: co.Note,
		Now: h.Now(), TTL: h.UnpaidTTL, Total: co.Total,
		Notices: func(o orders.Order) []outboxMessage { return h.newOrderNotices(o, admins) },
	})
	var short *orders.ShortageError
	switch {
	case errors.As(err, &short):
		if err := h.respond(c); err != nil {
			return err
		}
		return h.shortage(c, short)
	case errors.Is(err, orders.ErrClosed):
		s.Cart, s.Checkout, s.Step = nil, nil, StepNone
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "cart.closed"), ShowAlert: true})
	case errors.Is(err, orders.ErrEmpty):
		return h.Stale(c)
	case errors.Is(err, orders.ErrPriceChanged):
		if err := h.respond(c); err != nil {
			return err
		}
		changed := "checkout.price_changed"
		if co.Lines != 0 && co.Lines != len(s.Cart) {
			changed = "checkout.cart_changed" // a line taken out as no longer bookable
		}
		if err := c.Send(h.t(c, changed)); err != nil {
			return err
		}
		return h.summary(c)
	case err != nil:
		return err
	}
	h.notify()
	if co.Key != key {
		// A repeated confirmation of an order already placed.
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "checkout.already_placed", locale.Args{"Code": o.Code})})
	}
	s.Cart, s.Checkout, s.Step = nil, nil, StepNone
	h.committed(c)
	if err := h.respond(c); err != nil {
		return err
	}
	// The summary's buttons have done their job.
	if _, err := c.Bot().EditReplyMarkup(c.Callback().Message, nil); err != nil && !channel.NotModified(err) {
		h.Log.Warn("remove summary buttons", "err", err)
	}
	return h.sendPaymentInstructions(c, o)
}

// shortage tells what ran out and fits the cart to what is left.
func (h *Handlers) shortage(c tele.Context, e *orders.ShortageError) error {
	s := h.session(c)
	var b strings.Builder
	b.WriteString(h.t(c, "checkout.shortage"))
	for _, l := range e.Lines {
		label := l.Title
		if l.Variant != "" {
			label += " (" + l.Variant + ")"
		}
		switch {
		case label == "":
			b.WriteString("\n• " + h.t(c, "catalog.item_withdrawn"))
		case l.Closed:
			b.WriteString("\n• " + h.t(c, "checkout.shortage_closed", locale.Args{"Item": label}))
		default:
			b.WriteString("\n• " + h.t(c, "checkout.shortage_line", locale.Args{"Item": label, "Wanted": l.Wanted, "Left": l.Left}))
		}
		for i := 0; i < len(s.Cart); i++ {
			if s.Cart[i].VariantID != l.VariantID {
				continue
			}
			if l.Left > 0 {
				s.Cart[i].Quantity = l.Left
			} else {
				s.Cart = append(s.Cart[:i], s.Cart[i+1:]...)
				i--
			}
		}
	}
	s.Checkout, s.Step = nil, StepNone
	if err := c.Send(b.String()); err != nil {
		return err
	}
	return h.ShowCart(c)
}

// sendPaymentInstructions tells the customer how to pay: the seller's instructions, the
// amount, the code to write in the transfer and the deadline.
func (h *Handlers) sendPaymentInstructions(c tele.Context, o orders.Order) error {
	how, err := h.paymentHow(c, o)
	if err != nil {
		return err
	}
	placed := h.t(c, "payment.placed", locale.Args{"Code": o.Code}) + "\n" + h.orderLines(h.lang(c), o)
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.Data(h.t(c, "menu.orders"), UniqueMenu, menuOrders)))
	return h.sendInTwo(c, placed, how, m)
}

// paymentHow is how to pay an order: the seller's instructions in the customer's language
// if they wrote them, else the general ones, the amount, the code and the deadline.
func (h *Handlers) paymentHow(c tele.Context, o orders.Order) (string, error) {
	instructions, err := h.setting(h.req(c).ctx, orders.PaymentKey(h.lang(c)), orders.SettingPaymentInstructions)
	if err != nil && !errors.Is(err, orders.ErrNotFound) {
		return "", err
	}
	if instructions == "" {
		instructions = h.t(c, "payment.no_instructions")
	} else {
		instructions = html.EscapeString(instructions)
	}
	r := h.renderer(h.lang(c))
	return h.t(c, "payment.how") + "\n" + instructions + "\n\n" +
		h.t(c, "payment.details", locale.Args{"Amount": money.Format(o.Total, o.Currency), "Code": o.Code, "Deadline": r.When(o.ExpiresAt)}), nil
}

// sendInTwo sends an order's text and what follows it in one message, with markup, or, a
// long order with long instructions, in two, each within Telegram's limit.
func (h *Handlers) sendInTwo(c tele.Context, order, then string, m *tele.ReplyMarkup) error {
	if channel.VisibleLen(order+"\n\n"+then) <= 4000 {
		return c.Send(order+"\n\n"+then, m)
	}
	if err := c.Send(shortenText(order)); err != nil {
		return err
	}
	return c.Send(then, m)
}

// orderLines lists an order's lines and total.
func (h *Handlers) orderLines(lang string, o orders.Order) string {
	var b strings.Builder
	for _, l := range o.Lines {
		label := l.Title
		if l.VariantName != "" {
			label += " (" + l.VariantName + ")"
		}
		b.WriteString(h.Texts.T(lang, "orders.line", locale.Args{"Item": label, "Quantity": l.Quantity, "Amount": money.Format(l.Amount(), o.Currency)}) + "\n")
	}
	b.WriteString(h.Texts.T(lang, "cart.total", locale.Args{"Total": money.Format(o.Total, o.Currency)}))
	return b.String()
}

func (h *Handlers) notify() {
	if h.Notify != nil {
		h.Notify()
	}
}
