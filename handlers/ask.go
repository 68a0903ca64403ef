package handlers

import (
	"encoding/json"
	"errors"
	"html"
	"strconv"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// Customers write to the shop through the bot, and its sellers answer them there: the
// customer never needs a seller's own account, and the conversation is kept with the
// orders (orders.Store.AddMessage).
const (
	UniqueAsk       = "ak" // data: orderID, 0 for none — write to the shop
	UniqueAskUnsent = "au" // data: messageID — send the text just typed to the shop
	UniqueAnswer    = "aw" // data: customerID|orderID — a seller answers the customer
)

// Kinds of outbox messages of the conversations.
const (
	KindQuestion = "question" // a customer's message to the sellers
	KindAnswer   = "answer"   // a seller's answer, to the customer and the other sellers
)

// UnsentMessage is a customer's text typed outside any conversation, which they may send
// to the shop with one tap.
type UnsentMessage struct {
	Text      string `json:"text"`
	MessageID int    `json:"message_id"`
}

// RelayedAlbum is an album whose first photo was passed on: its other photos, which
// Telegram sends as messages of their own, follow it there.
type RelayedAlbum struct {
	ID         string `json:"id"`
	CustomerID int64  `json:"customer"` // whose conversation it is
	OrderID    int64  `json:"order,omitempty"`
	Answer     bool   `json:"answer,omitempty"` // a seller's, to the customer
	// Refused is an album whose first photo was refused: the others go nowhere either.
	Refused bool `json:"refused,omitempty"`
}

// passedOn is a message to pass on: its words, or a photo and its caption.
type passedOn struct {
	text, photo string
	messageID   int
	album       string
	// more is another photo of an album passed on already: it follows quietly.
	more bool
}

func textMessage(c tele.Context) passedOn {
	return passedOn{text: c.Text(), messageID: c.Message().ID}
}

// photoMessage is the photo and caption sent, or false for a message of another kind.
func photoMessage(c tele.Context) (passedOn, bool) {
	m := c.Message()
	if m.Photo == nil {
		return passedOn{}, false
	}
	return passedOn{text: m.Caption, photo: m.Photo.FileID, messageID: m.ID, album: m.AlbumID}, true
}

// Ask starts a message to the shop: /ask, or the main menu's button. Words after the
// command (/ask do you ship to Huế?) are the message.
func (h *Handlers) Ask(c tele.Context) error {
	if words := commandArg(c.Text()); words != "" && c.Callback() == nil { // (the menu's button: its message's text)
		h.startAsk(c, orders.Order{})
		return h.toShop(c, passedOn{text: words, messageID: c.Message().ID}, 0)
	}
	return h.askShop(c, orders.Order{})
}

// AskButton starts a message to the shop, about one of the customer's orders when the
// button is on it.
func (h *Handlers) AskButton(c tele.Context) error {
	o := orders.Order{}
	if c.Callback().Data != "0" {
		var ok bool
		var err error
		if o, ok, err = h.customerOrder(c); err != nil {
			return err
		} else if !ok {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "orders.not_found"), ShowAlert: true})
		}
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.askShop(c, o)
}

func (h *Handlers) askShop(c tele.Context, o orders.Order) error {
	h.startAsk(c, o)
	if o.ID != 0 {
		return c.Send(h.t(c, "ask.prompt_order", locale.Args{"Code": o.Code}))
	}
	return c.Send(h.t(c, "ask.prompt"))
}

// startAsk puts the person at the step of a message to the shop, about o if it is one.
func (h *Handlers) startAsk(c tele.Context, o orders.Order) {
	s := h.session(c)
	s.pauseCheckout()
	s.Reset()
	s.Step, s.AskOrder = StepAsk, o.ID
}

// offerToSend answers a customer's text that no conversation reads: the bot can't answer
// it, but the shop's sellers can, with one tap.
func (h *Handlers) offerToSend(c tele.Context) error {
	s := h.session(c)
	s.Unsent = &UnsentMessage{Text: c.Text(), MessageID: c.Message().ID}
	send := tele.Btn{Unique: UniqueAskUnsent, Text: h.t(c, "ask.send_button"), Data: strconv.Itoa(c.Message().ID)}
	return c.Send(h.t(c, "ask.offer"), h.mainMenu(c, send))
}

// askLapsed ends a message to or from the shop asked for overwriteWait ago or more, and
// reports whether it did: what comes so much later is not that message (a receipt, say,
// or a seller's words for another customer).
func (h *Handlers) askLapsed(s *Session) bool {
	if (s.Step == StepAsk || s.Step == StepAnswer) && s.lapsed(h.Now()) {
		s.Reset()
		return true
	}
	return false
}

// AskUnsentButton sends the text the customer typed, as offered.
func (h *Handlers) AskUnsentButton(c tele.Context) error {
	s := h.session(c)
	id, err := strconv.Atoi(c.Callback().Data)
	if err != nil || s.Unsent == nil || s.Unsent.MessageID != id {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	msg := passedOn{text: s.Unsent.Text, messageID: id}
	s.pauseCheckout()
	s.Step, s.AskOrder = StepAsk, 0 // as if asked: a refusal asks again
	return h.toShop(c, msg, 0)
}

// askText takes the customer's message to the shop.
func (h *Handlers) askText(c tele.Context) error {
	return h.toShop(c, textMessage(c), h.session(c).AskOrder)
}

// askMedia takes a photo, with its caption, as the customer's message to the shop.
func (h *Handlers) askMedia(c tele.Context) error {
	msg, ok := photoMessage(c)
	if !ok {
		return c.Send(h.t(c, "ask.expected"))
	}
	return h.toShop(c, msg, h.session(c).AskOrder)
}

// relayedAlbum reports whether the message is another photo of an album passed on, and
// passes it on as the first one was.
func (h *Handlers) relayedAlbum(c tele.Context) (bool, error) {
	a := h.session(c).Album
	msg, ok := photoMessage(c)
	if a == nil || !ok || msg.album != a.ID {
		return false, nil
	}
	msg.more = true
	switch {
	case a.Refused:
		return true, nil
	case !a.Answer:
		return true, h.toShop(c, msg, a.OrderID)
	case !h.IsAdmin(c.Sender().ID):
		return true, c.Send(h.t(c, "admin.only"))
	}
	return true, h.toCustomer(c, msg, a.CustomerID, a.OrderID)
}

// toShop keeps the customer's message and passes it on to every seller.
func (h *Handlers) toShop(c tele.Context, msg passedOn, orderID int64) error {
	u := c.Sender()
	cust := orders.Customer{ID: u.ID, FirstName: u.FirstName, LastName: u.LastName, Username: u.Username}
	return h.pass(c, msg, cust, 0, orderID)
}

// toCustomer keeps a seller's answer and passes it on to the customer, with a copy to
// the other sellers, so that they know it is answered.
func (h *Handlers) toCustomer(c tele.Context, msg passedOn, customerID, orderID int64) error {
	cust, err := h.Orders.Customer(h.req(c).ctx, customerID)
	if err != nil {
		return err
	}
	return h.pass(c, msg, cust, c.Sender().ID, orderID)
}

// pass keeps a message of the customer's conversation with the shop, about orderID (0
// for none), and writes its notices with it: the customer's own words (sellerID 0) to
// every seller, a seller's answer to the customer and the other sellers. A message with
// nothing to pass on is refused with the reason, and a customer past their hourly cap is
// told to wait; the rest of an album so refused goes nowhere.
func (h *Handlers) pass(c tele.Context, msg passedOn, cust orders.Customer, sellerID, orderID int64) error {
	ctx := h.req(c).ctx
	text := strings.TrimSpace(msg.text)
	if text == "" && msg.photo == "" {
		return c.Send(h.t(c, "ask.expected"))
	}
	var o orders.Order
	if orderID != 0 {
		var err error
		if o, err = h.Orders.Order(ctx, orderID); err != nil {
			return err
		}
	}
	admins, err := h.adminLangs(c)
	if err != nil {
		return err
	}
	perHour := h.MessagesPerHour
	if msg.more {
		perHour = 0 // an album counts as one message
	}
	sender := c.Sender()
	_, _, err = h.Orders.AddMessage(ctx, orders.NewMessage{
		CustomerID: cust.ID, SellerID: sellerID, OrderID: o.ID, Text: text, PhotoFileID: msg.photo, AlbumID: msg.album,
		ChatMessageID: int64(msg.messageID), PerHour: perHour,
		Notices: func(m orders.Message) []outbox.Message {
			if sellerID == 0 {
				return h.questionNotices(m, cust, o, admins)
			}
			seller := orders.Customer{FirstName: sender.FirstName, LastName: sender.LastName, Username: sender.Username}
			return h.answerNotices(m, cust, o, sellerID, seller.Name(), admins)
		},
	})
	s := h.session(c)
	album := &RelayedAlbum{ID: msg.album, CustomerID: cust.ID, OrderID: o.ID, Answer: sellerID != 0}
	if errors.Is(err, orders.ErrTooManyMessages) {
		s.Reset()
		if msg.album != "" {
			album.Refused = true
			s.Album = album
		}
		return c.Send(h.t(c, "ask.too_many"), h.mainMenu(c))
	}
	if err != nil {
		return err
	}
	h.committed(c)
	h.notify()
	if msg.more {
		return nil
	}
	s.Reset()
	if msg.album != "" {
		s.Album = album
	}
	if sellerID != 0 {
		return c.Send(h.t(c, "ask.answer_sent", locale.Args{"Customer": writer(cust)}))
	}
	return c.Send(h.t(c, "ask.sent"), h.mainMenu(c))
}

// questionNotices pass a customer's words on to every seller, with their Answer button.
func (h *Handlers) questionNotices(m orders.Message, cust orders.Customer, o orders.Order, admins map[int64]string) []outbox.Message {
	var msgs []outbox.Message
	for _, id := range h.AdminIDs {
		lang := admins[id]
		head := h.Texts.T(lang, "notice.question", locale.Args{"Customer": writer(cust)})
		if o.ID != 0 {
			head = h.Texts.T(lang, "notice.question_order", locale.Args{"Customer": writer(cust), "Code": o.Code})
		}
		msgs = append(msgs, relay(id, KindQuestion, head, m, h.answerMarkup(lang, cust.ID, o.ID))...)
	}
	return msgs
}

// answerNotices pass a seller's answer on to the customer, with a Reply button, and to
// the other sellers, with an Answer button to go on.
func (h *Handlers) answerNotices(m orders.Message, cust orders.Customer, o orders.Order, sellerID int64, sellerName string, admins map[int64]string) []outbox.Message {
	lang := customerLang(cust, h.DefaultLanguage)
	head := h.Texts.T(lang, "notice.answer")
	if o.ID != 0 {
		head = h.Texts.T(lang, "notice.answer_order", locale.Args{"Code": o.Code})
	}
	reply := &tele.ReplyMarkup{}
	reply.Inline(reply.Row(reply.Data(h.Texts.T(lang, "ask.reply_button"), UniqueAsk, strconv.FormatInt(o.ID, 10))))
	msgs := relay(cust.ID, KindAnswer, head, m, markupJSON(reply))
	bounce := &outbox.Bounce{ChatID: sellerID, Text: h.Texts.T(admins[sellerID], "notice.undelivered_answer", locale.Args{"Customer": writer(cust)})}
	for i := range msgs {
		msgs[i].Bounce = bounce
	}
	for _, id := range h.AdminIDs {
		if id == sellerID {
			continue
		}
		lang := admins[id]
		head := h.Texts.T(lang, "notice.answered", locale.Args{"Who": sellerName, "Customer": writer(cust)})
		msgs = append(msgs, relay(id, KindAnswer, head, m, h.answerMarkup(lang, cust.ID, o.ID))...)
	}
	return msgs
}

// writer names a customer for the sellers: their name, and their @username if they have one.
func writer(cust orders.Customer) string {
	name := cust.Name()
	if cust.Username != "" && name != cust.Username {
		name += " (@" + cust.Username + ")"
	}
	return name
}

// answerMarkup is the sellers' buttons under a customer's message: answer it, and see the
// order it is about.
func (h *Handlers) answerMarkup(lang string, customerID, orderID int64) json.RawMessage {
	m := &tele.ReplyMarkup{}
	row := tele.Row{m.Data(h.Texts.T(lang, "ask.answer_button"), UniqueAnswer, strconv.FormatInt(customerID, 10)+"|"+strconv.FormatInt(orderID, 10))}
	if orderID != 0 {
		row = append(row, m.Data(h.Texts.T(lang, "ask.order_button"), UniqueDeskOrder, strconv.FormatInt(orderID, 10)))
	}
	m.Inline(row)
	return markupJSON(m)
}

// relay is a message passed on to chatID: head, then the writer's words, or their photo
// with both as its caption. Words that fit Telegram's limit (4096 characters, 1024 for a
// caption) only without head go after it, as a message of their own: what Telegram took
// from the writer always fits.
func relay(chatID int64, kind, head string, m orders.Message, markup json.RawMessage) []outbox.Message {
	words := html.EscapeString(m.Text)
	body := head
	if words != "" {
		body += "\n" + words
	}
	switch {
	case m.PhotoFileID == "" && channel.VisibleLen(body) <= maxMessage:
		return []outbox.Message{{ChatID: chatID, Kind: kind, Text: body, Markup: markup}}
	case m.PhotoFileID == "":
		return []outbox.Message{
			{ChatID: chatID, Kind: kind, Text: head},
			{ChatID: chatID, Kind: kind, Text: words, Markup: markup},
		}
	case channel.VisibleLen(body) <= maxCaption:
		return []outbox.Message{{ChatID: chatID, Kind: kind, Text: body, PhotoFileID: m.PhotoFileID, Markup: markup}}
	}
	return []outbox.Message{
		{ChatID: chatID, Kind: kind, Text: head, PhotoFileID: m.PhotoFileID},
		{ChatID: chatID, Kind: kind, Text: words, Markup: markup},
	}
}

// maxCaption is the most characters Telegram takes in a caption.
const maxCaption = 1024

// AnswerButton starts a seller's answer to a customer's message.
func (h *Handlers) AnswerButton(c tele.Context) error {
	custID, orderID, ok := twoInts(c.Callback().Data)
	if !ok {
		return h.Stale(c)
	}
	cust, err := h.Orders.Customer(h.req(c).ctx, custID)
	if errors.Is(err, orders.ErrNotFound) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	if err := h.respond(c); err != nil {
		return err
	}
	s := h.session(c)
	s.Reset()
	s.Step, s.AnswerTo, s.AskOrder = StepAnswer, custID, orderID
	prompt := h.t(c, "ask.answer_prompt", locale.Args{"Customer": writer(cust)})
	if cust.Blocked {
		prompt = h.t(c, "ask.blocked_warning", locale.Args{"Customer": writer(cust)}) + "\n" + prompt
	}
	return c.Send(prompt)
}

// answerText takes a seller's answer.
func (h *Handlers) answerText(c tele.Context) error {
	s := h.session(c)
	return h.toCustomer(c, textMessage(c), s.AnswerTo, s.AskOrder)
}

// answerMedia takes a photo, with its caption, as a seller's answer.
func (h *Handlers) answerMedia(c tele.Context) error {
	msg, ok := photoMessage(c)
	if !ok {
		return c.Send(h.t(c, "ask.expected"))
	}
	s := h.session(c)
	return h.toCustomer(c, msg, s.AnswerTo, s.AskOrder)
}
