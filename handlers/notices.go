package handlers

import (
	"context"
	"encoding/json"
	"html"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

type outboxMessage = outbox.Message

// Kinds of outbox messages.
const (
	KindNewOrder    = "new_order"
	KindNewOrders   = "new_orders" // new orders' notices that waited for a seller's chat, as one (NewOrdersNotice)
	KindReceipt     = "receipt"
	KindReceiptMore = "receipt_more" // another picture of a receipt (an album's), without the buttons
	KindCancelled   = "cancelled"
	KindExpired     = "expired"
	KindReminder    = "reminder"
)

// adminLangs is each seller's language, for the notices they get.
func (h *Handlers) adminLangs(c tele.Context) (map[int64]string, error) {
	return h.AdminLanguages(h.req(c).ctx)
}

// AdminLanguages is each seller's language: the one they chose, their Telegram one, or
// the shop's default for a seller who never wrote to the bot. Every order and receipt
// needs them, so they are kept for keptFor; a seller who picks a language or starts a
// session through this process is seen at once.
func (h *Handlers) AdminLanguages(ctx context.Context) (map[int64]string, error) {
	langs, gen := h.sellerLangs.get()
	if langs != nil {
		return langs, nil
	}
	langs = make(map[int64]string, len(h.AdminIDs))
	for _, id := range h.AdminIDs {
		langs[id] = h.DefaultLanguage
	}
	custs, err := h.Orders.Customers(ctx, h.AdminIDs)
	if err != nil {
		return nil, err
	}
	for _, c := range custs {
		langs[c.ID] = customerLang(c, h.DefaultLanguage)
	}
	h.sellerLangs.put(langs, gen)
	return langs, nil
}

// seen forgets the languages kept when a seller may have changed theirs.
func (h *Handlers) seen(userID int64) {
	if h.IsAdmin(userID) {
		h.sellerLangs.forget()
	}
}

func customerLang(c orders.Customer, fallback string) string {
	if c.Language != "" {
		return c.Language
	}
	return locale.Match(c.TelegramLanguage, fallback)
}

// markupJSON turns a keyboard into what the outbox stores, callback data final (telebot
// writes "\f<unique>|<data>" only when it sends a markup it built itself).
func markupJSON(m *tele.ReplyMarkup) json.RawMessage {
	type button struct {
		Text string `json:"text"`
		Data string `json:"callback_data,omitempty"`
		URL  string `json:"url,omitempty"`
	}
	var rows [][]button
	for _, row := range m.InlineKeyboard {
		var r []button
		for _, b := range row {
			data := b.Data
			if b.Unique != "" {
				data = "\f" + b.Unique
				if b.Data != "" {
					data += "|" + b.Data
				}
			}
			r = append(r, button{Text: b.Text, Data: data, URL: b.URL})
		}
		rows = append(rows, r)
	}
	out, _ := json.Marshal(map[string]any{"inline_keyboard": rows})
	return out
}

func orderRef(o orders.Order) *int64 {
	id := o.ID
	return &id
}

// orderSummary is an order as the sellers see it: code, customer, lines, delivery.
func (h *Handlers) orderSummary(lang string, o orders.Order) string {
	customer := o.Customer.Name()
	if o.Customer.Username != "" {
		customer += " (@" + o.Customer.Username + ")"
	}
	return h.Texts.T(lang, "notice.order_head", locale.Args{"Code": o.Code, "Customer": customer}) + "\n" +
		h.orderLines(lang, o) + "\n" + h.deliveryText(lang, o.Delivery, o.RecipientName, o.Phone, o.Address, o.Note)
}

// newOrderNotices tell every seller about a new order.
func (h *Handlers) newOrderNotices(o orders.Order, admins map[int64]string) []outbox.Message {
	var msgs []outbox.Message
	for _, id := range h.AdminIDs {
		lang := admins[id]
		msgs = append(msgs, outbox.Message{ChatID: id, Kind: KindNewOrder, OrderID: orderRef(o),
			Text:   shortenText(h.Texts.T(lang, "notice.new_order") + "\n" + h.orderSummary(lang, o)),
			Markup: markupJSON(h.deskMarkup(lang, o, false))})
	}
	return msgs
}

// NewOrdersNotice is one message to a seller for the new orders whose notices (msgs)
// waited for their chat together, as orders came faster than Telegram lets the bot write
// to one chat: a line for each order (with its status, once it is past waiting for
// payment) and its button to open it, as many of msgs, from the first, as fit in a message
// (n).
func (h *Handlers) NewOrdersNotice(ctx context.Context, chatID int64, msgs []outbox.Message) (one outbox.Message, n int, err error) {
	ids := make([]int64, 0, len(msgs))
	for _, m := range msgs {
		if m.OrderID != nil {
			ids = append(ids, *m.OrderID)
		}
	}
	list, err := h.Orders.Orders(ctx, ids)
	if err != nil {
		return outbox.Message{}, 0, err
	}
	byID := make(map[int64]orders.Order, len(list))
	for _, o := range list {
		byID[o.ID] = o
	}
	langs, err := h.AdminLanguages(ctx)
	if err != nil {
		return outbox.Message{}, 0, err
	}
	lang := langs[chatID]
	if lang == "" {
		lang = h.DefaultLanguage
	}
	var lines []string
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, msg := range msgs {
		if msg.OrderID == nil {
			break
		}
		o, ok := byID[*msg.OrderID]
		if !ok {
			break
		}
		line := h.listLine(lang, o) // an order already past waiting says where it is
		if o.Status == orders.AwaitingPayment {
			line = h.Texts.T(lang, "notice.new_orders_line", locale.Args{"Code": o.Code,
				"Customer": o.Customer.Name(), "Total": money.Format(o.Total, o.Currency)})
		}
		lines = append(lines, "\n"+line)
		rows = append(rows, orderButton(m, o))
	}
	// As many as fit, from the first, and the count they make.
	for n = len(lines); n > 0; n-- {
		text := h.Texts.N(lang, "notice.new_orders", n) + strings.Join(lines[:n], "")
		if channel.VisibleLen(text) <= maxMessage {
			m.Inline(rows[:n]...)
			return outbox.Message{ChatID: chatID, Kind: KindNewOrders, Text: text, Markup: markupJSON(m)}, n, nil
		}
	}
	return outbox.Message{}, 0, nil
}

// receiptNotices send every seller the receipt itself with the order's summary.
func (h *Handlers) receiptNotices(o orders.Order, r orders.Receipt, admins map[int64]string, caption string, more bool) []outbox.Message {
	var msgs []outbox.Message
	receipt := r.ID
	if runes := []rune(caption); len(runes) > maxReceiptCaption {
		caption = string(runes[:maxReceiptCaption]) + "…"
	}
	for _, id := range h.AdminIDs {
		lang := admins[id]
		headline := "notice.receipt"
		switch {
		case more:
			headline = "notice.receipt_more"
		case o.Status == orders.Expired:
			headline = "notice.receipt_late"
		}
		text := h.Texts.T(lang, headline, locale.Args{"Code": o.Code, "Amount": money.Format(o.Total, o.Currency)})
		if caption != "" {
			// Before the summary, which gives way first to the caption's limit.
			text += "\n" + h.Texts.T(lang, "notice.receipt_caption", locale.Args{"Text": caption})
		}
		kind, markup := KindReceiptMore, json.RawMessage(nil)
		if !more {
			text += "\n" + h.orderSummary(lang, o)
			kind, markup = KindReceipt, markupJSON(h.deskMarkup(lang, o, false))
		}
		if r.DuplicateOf != 0 {
			text = h.Texts.T(lang, "notice.receipt_duplicate", locale.Args{"Other": r.DuplicateCode}) + "\n" + text
		}
		msgs = append(msgs, outbox.Message{ChatID: id, Kind: kind, OrderID: orderRef(o), ReceiptID: &receipt,
			Text: shorten(text, 1024), Markup: markup})
	}
	return msgs
}

// maxReceiptCaption is how much of the customer's words with a receipt the sellers'
// notice shows, leaving most of the caption's 1024 characters to the order.
const maxReceiptCaption = 300

// cancelledByCustomerNotices tell the sellers a customer cancelled.
func (h *Handlers) cancelledByCustomerNotices(o orders.Order, admins map[int64]string) []outbox.Message {
	var msgs []outbox.Message
	for _, id := range h.AdminIDs {
		lang := admins[id]
		msgs = append(msgs, outbox.Message{ChatID: id, Kind: KindCancelled, OrderID: orderRef(o),
			Text: h.Texts.T(lang, "notice.cancelled_by_customer", locale.Args{"Code": o.Code, "Customer": o.Customer.Name()})})
	}
	return msgs
}

// ExpiredNotices tell a customer their unpaid order expired and its items were released.
func (h *Handlers) ExpiredNotices(o orders.Order) []outbox.Message {
	lang := customerLang(o.Customer, h.DefaultLanguage)
	return []outbox.Message{{ChatID: o.CustomerID, Kind: KindExpired, OrderID: orderRef(o),
		Text: h.Texts.T(lang, "notice.expired", locale.Args{"Code": o.Code})}}
}

// ReminderNotices remind a customer that an order waits for payment.
func (h *Handlers) ReminderNotices(o orders.Order) []outbox.Message {
	lang := customerLang(o.Customer, h.DefaultLanguage)
	r := h.renderer(lang)
	return []outbox.Message{{ChatID: o.CustomerID, Kind: KindReminder, OrderID: orderRef(o),
		Text: h.Texts.T(lang, "notice.reminder", locale.Args{"Code": o.Code, "Amount": money.Format(o.Total, o.Currency), "Deadline": r.When(o.ExpiresAt)})}}
}

// shorten keeps a text within max of the characters Telegram counts (UTF-16 units of what
// shows) by dropping whole lines from its end, or, for one line too long, its end.
func shorten(text string, max int) string {
	for channel.VisibleLen(text) > max {
		i := strings.LastIndexByte(text, '\n')
		if i < 0 {
			runes := []rune(locale.Plain(text))
			for len(runes) > 0 && channel.VisibleLen(html.EscapeString(string(runes))+"…") > max {
				runes = runes[:len(runes)-1]
			}
			return html.EscapeString(string(runes)) + "…"
		}
		text = text[:i]
	}
	return text
}
