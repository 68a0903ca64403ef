package handlers

import (
	"context"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// Button families of the sellers' order desk.
const (
	UniqueDesk      = "oa" // data: orderID|action
	UniqueDeskOrder = "ao" // data: orderID — show the order's card
	UniqueDeskList  = "al" // data: filter|page
)

// KindOrderCard is a seller's order card, sent by the desk.
const KindOrderCard = "order_card"

// deskAction is a seller's action on an order: the statuses it acts from, where it
// takes the order, and whether it asks a note first (a reason, a tracking number).
type deskAction struct {
	from     []orders.Status
	to       orders.Status
	note     bool // asks for a note
	required bool // the note is required
	label    string
	prompt   string
}

var deskActions = map[string]deskAction{
	"paid":    {[]orders.Status{orders.AwaitingPayment, orders.ReceiptSubmitted}, orders.Paid, false, false, "desk.paid_button", ""},
	"reject":  {[]orders.Status{orders.ReceiptSubmitted}, orders.AwaitingPayment, true, true, "desk.reject_button", "desk.reject_prompt"},
	"ready":   {[]orders.Status{orders.Paid}, orders.ReadyForPickup, false, false, "desk.ready_button", ""},
	"shipped": {[]orders.Status{orders.Paid}, orders.Shipped, true, false, "desk.shipped_button", "desk.shipped_prompt"},
	"done":    {[]orders.Status{orders.Paid, orders.ReadyForPickup, orders.Shipped}, orders.Completed, false, false, "desk.done_button", ""},
	"cancel":  {[]orders.Status{orders.AwaitingPayment, orders.ReceiptSubmitted, orders.Paid, orders.ReadyForPickup}, orders.Cancelled, true, true, "desk.cancel_button", "desk.cancel_prompt"},
}

// onCard ends the action in the data of an order card's buttons.
const onCard = "@"

// deskOrder is the order buttons are laid out in.
var deskOrder = []string{"paid", "reject", "ready", "shipped", "done", "cancel"}

// deskMarkup has a button for each action the order's status allows; card marks the
// buttons of an order card (onCard), which is edited after an action taken from it.
func (h *Handlers) deskMarkup(lang string, o orders.Order, card bool) *tele.ReplyMarkup {
	suffix := ""
	if card {
		suffix = onCard
	}
	m := &tele.ReplyMarkup{}
	var row tele.Row
	var rows []tele.Row
	for _, name := range deskOrder {
		a := deskActions[name]
		if !containsStatus(a.from, o.Status) ||
			(name == "ready" && o.Delivery != orders.Pickup) || (name == "shipped" && o.Delivery != orders.Shipping) {
			continue
		}
		row = append(row, m.Data(h.Texts.T(lang, a.label), UniqueDesk, fmt.Sprintf("%d|%s%s", o.ID, name, suffix)))
		if len(row) == 2 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	m.Inline(rows...)
	return m
}

func containsStatus(list []orders.Status, s orders.Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// DeskButton serves the sellers' order buttons.
func (h *Handlers) DeskButton(c tele.Context) error {
	idText, name, _ := strings.Cut(c.Callback().Data, "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	name, fromCard := strings.CutSuffix(name, onCard)
	name, skipNote := strings.CutSuffix(name, "!")
	card := 0 // the order card pressed, if it was one
	if m := c.Callback().Message; fromCard && m != nil {
		card = m.ID
	}
	a, ok := deskActions[name]
	if err != nil || !ok || (skipNote && a.required) {
		return h.Stale(c)
	}
	if skipNote {
		s := h.session(c)
		if s.Step != StepDeskNote || s.EditOrder != id || s.DeskAction != name {
			return h.Stale(c)
		}
		return h.deskSkipNote(c, id, name)
	}
	if s := h.session(c); s.Step == StepDeskNote {
		// Another action instead of the note asked for: that question is dropped, so a
		// text later is not taken as a reason to cancel or reject.
		s.Reset()
	}
	o, err := h.Orders.Order(h.req(c).ctx, id)
	if errors.Is(err, orders.ErrNotFound) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	if !containsStatus(a.from, o.Status) {
		h.refreshStale(c, o, card)
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "desk.already", locale.Args{"Code": o.Code, "Status": h.t(c, "order_status."+string(o.Status))}), ShowAlert: true})
	}
	if a.note {
		s := h.session(c)
		s.Reset()
		changes, err := h.Orders.Changes(h.req(c).ctx, o.ID)
		if err != nil {
			return err
		}
		s.Step, s.EditOrder, s.DeskAction = StepDeskNote, o.ID, name
		s.DeskMessage, s.DeskFrom, s.DeskChanges = card, o.Status, changes
		if err := h.respond(c); err != nil {
			return err
		}
		var markup []any
		if !a.required {
			m := &tele.ReplyMarkup{}
			m.Inline(m.Row(m.Data(h.t(c, "desk.no_note_button"), UniqueDesk, fmt.Sprintf("%d|%s!", o.ID, name))))
			markup = append(markup, m)
		}
		return c.Send(h.t(c, a.prompt, locale.Args{"Code": o.Code}), markup...)
	}
	return h.deskMove(c, o, name, "", card, a.from, 0)
}

// noteFrom is what an action whose note was asked for moves the order from: the status
// it had then, or, without one (an older session), any the action is for.
func noteFrom(s *Session, a deskAction) []orders.Status {
	if s.DeskFrom != "" && containsStatus(a.from, s.DeskFrom) {
		return []orders.Status{s.DeskFrom}
	}
	return a.from
}

// deskSkipNote moves an order without the optional note (the "!" form of an action).
func (h *Handlers) deskSkipNote(c tele.Context, id int64, name string) error {
	o, err := h.Orders.Order(h.req(c).ctx, id)
	if err != nil {
		return err
	}
	s := h.session(c)
	card, from, changes := s.DeskMessage, deskActions[name].from, 0
	if s.Step == StepDeskNote && s.EditOrder == id && s.DeskAction == name {
		from, changes = noteFrom(s, deskActions[name]), s.DeskChanges
	}
	s.Reset()
	return h.deskMove(c, o, name, "", card, from, changes)
}

// deskNote takes the reason or tracking note and moves the order.
func (h *Handlers) deskNote(c tele.Context) error {
	s := h.session(c)
	note := strings.TrimSpace(c.Text())
	if utf8.RuneCountInString(note) > maxNote {
		return c.Send(h.t(c, "checkout.too_long", locale.Args{"Max": maxNote}))
	}
	a := deskActions[s.DeskAction]
	o, err := h.Orders.Order(h.req(c).ctx, s.EditOrder)
	if err != nil {
		return err
	}
	if note == "" && a.required {
		return c.Send(h.t(c, a.prompt, locale.Args{"Code": o.Code}))
	}
	name, card, from, changes := s.DeskAction, s.DeskMessage, noteFrom(s, a), s.DeskChanges
	s.Reset()
	return h.deskMove(c, o, name, note, card, from, changes)
}

// deskMove moves an order for a seller: along the status machine only, from the statuses
// given only (those the button was for, or the one it had when a note was asked for), so
// two sellers acting at once never both succeed. The customer is told in the same
// transaction; every seller's copy is edited to show who did what. card is the message
// whose button the seller pressed, 0 for none: an order card there is edited too.
func (h *Handlers) deskMove(c tele.Context, o orders.Order, name, note string, card int, from []orders.Status, changes int) error {
	ctx := h.req(c).ctx
	a := deskActions[name]
	pickup := ""
	if a.to == orders.ReadyForPickup {
		var err error
		if pickup, err = h.Shop.Setting(ctx, orders.SettingPickup); err != nil && !errors.Is(err, orders.ErrNotFound) {
			return err
		}
	}
	moved, err := h.Orders.Move(ctx, orders.Move{
		OrderID: o.ID, From: from, To: a.to, Actor: c.Sender().ID, Note: note, ExpiresAt: h.Now().Add(h.UnpaidTTL), Changes: changes,
		Notices: func(o orders.Order) []outbox.Message { return h.statusNotices(c, o, note, pickup) },
	})
	answer := func(text string, alert bool) error {
		if c.Callback() != nil {
			return h.respond(c, &tele.CallbackResponse{Text: text, ShowAlert: alert})
		}
		return c.Send(text)
	}
	if errors.Is(err, orders.ErrTransition) {
		h.refreshStale(c, moved, card)
		if containsStatus(from, moved.Status) {
			// As it was, but not the same: rejected and paid for again since, say.
			return answer(h.t(c, "desk.changed", locale.Args{"Code": moved.Code}), true)
		}
		return answer(h.t(c, "desk.already", locale.Args{"Code": moved.Code, "Status": h.t(c, "order_status."+string(moved.Status))}), true)
	}
	if err != nil {
		return err
	}
	h.committed(c)
	h.notify()
	if a.to == orders.Cancelled {
		h.kick() // the stock that came back shows in the channel posts
	}
	h.refreshPressed(c, moved, card)
	return answer(h.t(c, "desk.moved", locale.Args{"Code": moved.Code, "Status": h.t(c, "order_status."+string(moved.Status))}), false)
}

// statusNotices tell the customer what became of their order; the seller who moved it is
// told if the news can't reach them.
func (h *Handlers) statusNotices(c tele.Context, o orders.Order, note, pickup string) []outbox.Message {
	lang := customerLang(o.Customer, h.DefaultLanguage)
	text := h.Texts.T(lang, "status_notice."+string(o.Status), locale.Args{"Code": o.Code, "Note": note, "Pickup": pickup})
	if note != "" && o.Status != orders.AwaitingPayment && o.Status != orders.Cancelled {
		text += "\n" + h.Texts.T(lang, "delivery.note", locale.Args{"Note": note})
	}
	bounce := h.t(c, "notice.undelivered_status", locale.Args{"Code": o.Code, "Customer": writer(o.Customer), "Status": h.t(c, "order_status."+string(o.Status))})
	if o.Phone != "" {
		bounce += "\n" + h.t(c, "notice.undelivered_phone", locale.Args{"Phone": o.Phone})
	}
	return []outbox.Message{{ChatID: o.CustomerID, Kind: "status_" + string(o.Status), OrderID: orderRef(o), Text: text,
		Bounce: &outbox.Bounce{ChatID: c.Sender().ID, Text: bounce}}}
}

// statusLine says where the order is, and who moved it there, when.
func (h *Handlers) statusLine(ctx context.Context, lang string, o orders.Order) string {
	who := ""
	if evs, err := h.Orders.History(ctx, o.ID); err == nil && len(evs) > 0 {
		last := evs[len(evs)-1]
		who = h.actorName(ctx, lang, last.Actor, o)
		return h.Texts.T(lang, "desk.status", locale.Args{"Status": h.Texts.T(lang, "order_status."+string(o.Status)),
			"Who": who, "When": h.renderer(lang).When(last.At)})
	}
	return h.Texts.T(lang, "order_status."+string(o.Status))
}

func (h *Handlers) actorName(ctx context.Context, lang string, actor int64, o orders.Order) string {
	switch actor {
	case 0:
		return h.Texts.T(lang, "desk.by_shop")
	case o.CustomerID:
		return o.Customer.Name()
	}
	if cust, err := h.Orders.Customer(ctx, actor); err == nil {
		return cust.Name()
	}
	return strconv.FormatInt(actor, 10)
}

// refreshDesk edits every seller's copy of the order's notices: the status line, and only
// the buttons still valid; only the one that is message only in this chat, if not 0. It
// returns the messages of this chat it covers.
func (h *Handlers) refreshDesk(c tele.Context, o orders.Order, only int) (notices map[int]bool) {
	return h.refreshCopies(h.req(c).ctx, c.Bot(), o, c.Chat().ID, only)
}

// RefreshCopies edits every seller's copy of the order's notices to its status, as
// refreshDesk does: after a change no seller made (the order expired).
func (h *Handlers) RefreshCopies(ctx context.Context, b *tele.Bot, o orders.Order) {
	h.refreshCopies(ctx, b, o, 0, 0)
}

// CopyOutdated reports whether a seller's copy of an order's notice, written to the outbox
// at written and just delivered, missed a change of the order while it waited there (the
// customer cancelled, another seller rejected the receipt): the edits of that change did
// not find it. Other messages are never outdated.
func (h *Handlers) CopyOutdated(ctx context.Context, kind string, orderID int64, written time.Time) (bool, error) {
	if kind != KindNewOrder && kind != KindReceipt {
		return false, nil
	}
	return h.Orders.ChangedSince(ctx, orderID, written)
}

// RefreshCopy edits one seller's copy of the order's notice to the order's status now.
func (h *Handlers) RefreshCopy(ctx context.Context, b *tele.Bot, orderID, chatID int64, messageID int) {
	o, err := h.Orders.Order(ctx, orderID)
	if err != nil {
		h.Log.Warn("order of a copy to refresh", "order_id", orderID, "err", err)
		return
	}
	h.refreshCopies(ctx, b, o, chatID, messageID)
}

func (h *Handlers) refreshCopies(ctx context.Context, b *tele.Bot, o orders.Order, chat int64, only int) (notices map[int]bool) {
	notices = map[int]bool{} // the messages in chat that are notices of the order
	copies, err := h.Outbox.Copies(ctx, o.ID, KindNewOrder, KindReceipt)
	if err != nil {
		h.Log.Warn("order copies", "err", err)
		return notices
	}
	langs, err := h.AdminLanguages(ctx)
	if err != nil {
		h.Log.Warn("seller languages", "err", err)
		return notices
	}
	for _, cp := range copies {
		here := cp.ChatID == chat
		if here {
			notices[cp.MessageID] = true
		}
		if only != 0 && (!here || cp.MessageID != only) {
			continue
		}
		lang := langs[cp.ChatID]
		if lang == "" {
			lang = h.DefaultLanguage
		}
		status := h.statusLine(ctx, lang, o)
		limit := maxMessage
		if cp.HasMedia {
			limit = channel.MaxCaption
		}
		text := shorten(cp.Text, limit-2-channel.VisibleLen(status)) + "\n\n" + status
		msg := &tele.Message{ID: cp.MessageID, Chat: &tele.Chat{ID: cp.ChatID}}
		markup := h.deskMarkup(lang, o, false)
		if cp.HasMedia {
			_, err = b.EditCaption(msg, text, markup)
		} else {
			_, err = b.Edit(msg, text, markup)
		}
		if err != nil && !channel.NotModified(err) {
			h.Log.Warn("edit a seller's copy", "order_id", o.ID, "err", err)
		}
	}
	return notices
}

// deskFilters are the status groups of /orders for sellers.
var deskFilters = map[string][]orders.Status{
	"new":     {orders.AwaitingPayment},
	"receipt": {orders.ReceiptSubmitted},
	"paid":    {orders.Paid},
	"sent":    {orders.ReadyForPickup, orders.Shipped},
	"all":     nil,
}

var deskFilterOrder = []string{"receipt", "new", "paid", "sent", "all"}

const deskPage = 10

// OrderList shows a seller the orders, by status, newest first; a customer their own.
func (h *Handlers) OrderList(c tele.Context) error {
	if !h.IsAdmin(c.Sender().ID) {
		return h.MyOrders(c)
	}
	return h.sendDeskList(c, "receipt", 0, false)
}

// DeskListButton pages and filters the sellers' order list.
func (h *Handlers) DeskListButton(c tele.Context) error {
	filter, pageText, _ := strings.Cut(c.Callback().Data, "|")
	page, err := strconv.Atoi(pageText)
	if _, ok := deskFilters[filter]; !ok || err != nil || page < 0 {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.sendDeskList(c, filter, page, true)
}

func (h *Handlers) sendDeskList(c tele.Context, filter string, page int, edit bool) error {
	list, err := h.Orders.List(h.req(c).ctx, deskFilters[filter], deskPage+1, page*deskPage)
	if err != nil {
		return err
	}
	more := len(list) > deskPage
	if more {
		list = list[:deskPage]
	}
	var b strings.Builder
	b.WriteString(h.t(c, "desk.list_title", locale.Args{"Filter": h.t(c, "desk.filter_"+filter)}))
	if len(list) == 0 {
		b.WriteString("\n" + h.t(c, "desk.list_empty"))
	}
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, o := range list {
		b.WriteString("\n" + h.listLine(h.lang(c), o))
		rows = append(rows, orderButton(m, o))
	}
	var nav tele.Row
	if page > 0 {
		nav = append(nav, m.Data("◀️", UniqueDeskList, fmt.Sprintf("%s|%d", filter, page-1)))
	}
	if more {
		nav = append(nav, m.Data("▶️", UniqueDeskList, fmt.Sprintf("%s|%d", filter, page+1)))
	}
	if len(nav) > 0 {
		rows = append(rows, nav)
	}
	var filters tele.Row
	for _, f := range deskFilterOrder {
		if f != filter {
			filters = append(filters, m.Data(h.t(c, "desk.filter_"+f), UniqueDeskList, f+"|0"))
		}
	}
	rows = append(rows, filters)
	m.Inline(rows...)
	if edit {
		return h.editOrSend(c, b.String(), m)
	}
	return c.Send(b.String(), m)
}

// DeskOrderButton shows a seller one order's card.
func (h *Handlers) DeskOrderButton(c tele.Context) error {
	id, err := strconv.ParseInt(c.Callback().Data, 10, 64)
	if err != nil {
		return h.Stale(c)
	}
	o, err := h.Orders.Order(h.req(c).ctx, id)
	if errors.Is(err, orders.ErrNotFound) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.sendOrderCard(c, o)
}

// Order shows a seller the order with the code: /order K7Q2M.
func (h *Handlers) Order(c tele.Context) error {
	code := strings.TrimPrefix(strings.TrimSpace(c.Message().Payload), "#") // as lists show it
	if code == "" {
		return c.Send(h.t(c, "desk.order_usage"))
	}
	o, err := h.Orders.OrderByCode(h.req(c).ctx, code)
	if errors.Is(err, orders.ErrNotFound) {
		return c.Send(h.t(c, "desk.no_such_order", locale.Args{"Code": echoed(strings.ToUpper(code))}))
	}
	if err != nil {
		return err
	}
	return h.sendOrderCard(c, o)
}

// echoed is what a seller typed, repeated in an answer: its first words only (shorten),
// so that a message pasted by mistake makes no answer over Telegram's length.
func echoed(text string) locale.HTML {
	return locale.HTML(shorten(html.EscapeString(text), 64))
}

// Find searches orders by code, name, username or phone: /find Lan.
func (h *Handlers) Find(c tele.Context) error {
	text := strings.TrimSpace(c.Message().Payload)
	if utf8.RuneCountInString(text) < 2 {
		return c.Send(h.t(c, "desk.find_usage"))
	}
	list, err := h.Orders.Find(h.req(c).ctx, catalog.NormalizeDigits(text), 20) // ٠٩١٢ is 0912
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return c.Send(h.t(c, "desk.find_none", locale.Args{"Text": echoed(text)}))
	}
	var b strings.Builder
	b.WriteString(h.t(c, "desk.find_title", locale.Args{"Text": echoed(text)}))
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, o := range list {
		b.WriteString("\n" + h.t(c, "desk.find_line", locale.Args{"Code": o.Code, "Customer": o.Customer.Name(),
			"Status": locale.HTML(h.t(c, "order_status."+string(o.Status)))}))
		rows = append(rows, orderButton(m, o))
	}
	m.Inline(rows...)
	return c.Send(b.String(), m)
}

// listLine is an order's line in the sellers' lists: code, customer, total and status.
func (h *Handlers) listLine(lang string, o orders.Order) string {
	return h.Texts.T(lang, "desk.list_line", locale.Args{"Code": o.Code, "Customer": o.Customer.Name(),
		"Total": money.Format(o.Total, o.Currency), "Status": locale.HTML(h.Texts.T(lang, "order_status."+string(o.Status)))})
}

// orderButton is a row with an order's button in the sellers' lists: it opens its card.
func orderButton(m *tele.ReplyMarkup, o orders.Order) tele.Row {
	return m.Row(m.Data(o.Code+" · "+o.Customer.Name(), UniqueDeskOrder, strconv.FormatInt(o.ID, 10)))
}

// sendOrderCard shows a seller an order: summary, history, receipts, and the actions.
func (h *Handlers) sendOrderCard(c tele.Context, o orders.Order) error {
	ctx := h.req(c).ctx
	lang := h.lang(c)
	text, err := h.orderCardText(c, o)
	if err != nil {
		return err
	}
	receipts, err := h.Orders.Receipts(ctx, o.ID)
	if err != nil {
		return err
	}
	n := 0 // the receipt's number; an album's other pictures are more of it
	for _, rc := range receipts {
		caption := h.t(c, "desk.receipt_more", locale.Args{"N": n, "Code": o.Code})
		if !rc.ExtraPicture || n == 0 {
			n++
			caption = h.t(c, "desk.receipt_n", locale.Args{"N": n, "Code": o.Code})
		}
		var err error
		if rc.AsDocument {
			_, err = c.Bot().Send(c.Chat(), &tele.Document{File: tele.File{FileID: rc.FileID}, Caption: caption, MIME: rc.MIME})
		} else {
			_, err = c.Bot().Send(c.Chat(), &tele.Photo{File: tele.File{FileID: rc.FileID}, Caption: caption})
		}
		if err != nil {
			h.Log.Warn("show a receipt", "order_id", o.ID, "err", err)
		}
	}
	return c.Send(text, h.deskMarkup(lang, o, true))
}

// orderCardText is a seller's order card: the order and its history.
func (h *Handlers) orderCardText(c tele.Context, o orders.Order) (string, error) {
	lang := h.lang(c)
	evs, err := h.Orders.History(h.req(c).ctx, o.ID)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(h.orderSummary(lang, o))
	b.WriteString("\n\n" + h.t(c, "desk.history"))
	r := h.renderer(lang)
	for _, e := range evs {
		b.WriteString("\n" + h.t(c, "desk.history_line", locale.Args{"When": r.When(e.At),
			"Status": locale.HTML(h.t(c, "order_status."+string(e.To))), "Who": h.actorName(h.req(c).ctx, lang, e.Actor, o)}))
		if e.Note != "" {
			b.WriteString(": " + html.EscapeString(e.Note))
		}
	}
	return shortenText(b.String()), nil
}

// refreshPressed edits every seller's notices of the order and, when an action came from
// an order card (card, its message), that card.
func (h *Handlers) refreshPressed(c tele.Context, o orders.Order, card int) {
	if notices := h.refreshDesk(c, o, 0); card != 0 && !notices[card] {
		h.refreshCard(c, o, card)
	}
}

// refreshStale brings the message whose button asked for what the order has moved past
// (by another seller, or before a restart lost the edit) up to date, and nothing else. A
// message that no longer shows the button (edited since, or the press forged) is left.
func (h *Handlers) refreshStale(c tele.Context, o orders.Order, card int) {
	cb := c.Callback()
	if cb == nil || cb.Message == nil || !showsButton(cb) {
		return
	}
	if card != 0 {
		h.refreshCard(c, o, card)
	} else {
		h.refreshDesk(c, o, cb.Message.ID)
	}
}

// showsButton reports whether the pressed message, as Telegram sent it with the press,
// still carries the button pressed.
func showsButton(cb *tele.Callback) bool {
	if cb.Message.ReplyMarkup == nil {
		return false
	}
	want := "\f" + cb.Unique
	if cb.Data != "" {
		want += "|" + cb.Data
	}
	for _, row := range cb.Message.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.Data == want {
				return true
			}
		}
	}
	return false
}

// refreshCard edits the order card a seller acted from (not a notice, which refreshDesk
// edits): its history and the buttons still valid.
func (h *Handlers) refreshCard(c tele.Context, o orders.Order, messageID int) {
	text, err := h.orderCardText(c, o)
	if err == nil {
		_, err = c.Bot().Edit(&tele.Message{ID: messageID, Chat: c.Chat()}, text, h.deskMarkup(h.lang(c), o, true))
	}
	if err != nil && !channel.NotModified(err) {
		h.Log.Warn("edit an order card", "order_id", o.ID, "err", err)
	}
}

// maxMessage is the most characters Telegram takes in a message's text.
const maxMessage = 4096

// shortenText keeps a message within Telegram's 4096 characters (with room for a status
// line added later), dropping lines from its end first.
func shortenText(text string) string {
	return shorten(text, 4000)
}
