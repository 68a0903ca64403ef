package handlers

import (
	"errors"
	"strconv"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// Button families of a customer's orders; data: orderID.
const (
	UniqueOrder       = "od" // show it
	UniqueCancelAsk   = "ox" // ask to cancel it
	UniqueCancelOrder = "oy" // cancel it
)

const myOrdersShown = 10

// MyOrders lists the customer's recent orders with what to do next.
func (h *Handlers) MyOrders(c tele.Context) error {
	list, err := h.Orders.CustomerOrders(h.req(c).ctx, c.Sender().ID, myOrdersShown)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return c.Send(h.t(c, "orders.none"), h.mainMenu(c))
	}
	var b strings.Builder
	b.WriteString(h.t(c, "orders.title"))
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, o := range list {
		b.WriteString("\n" + h.t(c, "orders.list_line", locale.Args{"Code": o.Code, "Total": money.Format(o.Total, o.Currency),
			"Status": locale.HTML(h.t(c, "order_status."+string(o.Status)))}))
		rows = append(rows, m.Row(m.Data(o.Code, UniqueOrder, strconv.FormatInt(o.ID, 10))))
	}
	m.Inline(rows...)
	return c.Send(b.String(), m)
}

// customerOrder loads an order the sender owns; another customer's order is "not found",
// the same as an order that does not exist, so ids and codes reveal nothing.
func (h *Handlers) customerOrder(c tele.Context) (orders.Order, bool, error) {
	id, err := strconv.ParseInt(c.Callback().Data, 10, 64)
	if err != nil {
		return orders.Order{}, false, nil
	}
	o, err := h.Orders.Order(h.req(c).ctx, id)
	if errors.Is(err, orders.ErrNotFound) || (err == nil && o.CustomerID != c.Sender().ID) {
		return orders.Order{}, false, nil
	}
	return o, err == nil, err
}

// OrderButton shows one of the customer's orders.
func (h *Handlers) OrderButton(c tele.Context) error {
	o, ok, err := h.customerOrder(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "orders.not_found"), ShowAlert: true})
	}
	if err := h.respond(c); err != nil {
		return err
	}
	lang := h.lang(c)
	text := h.t(c, "orders.detail", locale.Args{"Code": o.Code, "Status": h.t(c, "order_status."+string(o.Status))}) + "\n" +
		h.orderLines(lang, o) + "\n" + h.deliveryText(lang, o.Delivery, o.RecipientName, o.Phone, o.Address, o.Note)
	var next string
	if o.Status == orders.AwaitingPayment {
		// How to pay, as told at the order: the seller may have written it only since.
		if next, err = h.paymentHow(c, o); err != nil {
			return err
		}
	} else {
		next = h.t(c, "order_next."+string(o.Status))
	}
	m := &tele.ReplyMarkup{}
	id := strconv.FormatInt(o.ID, 10)
	rows := []tele.Row{m.Row(m.Data(h.t(c, "orders.ask_button"), UniqueAsk, id))}
	if o.Cancellable() {
		rows = append(rows, m.Row(m.Data(h.t(c, "orders.cancel_button"), UniqueCancelAsk, id)))
	}
	m.Inline(rows...)
	return h.sendInTwo(c, text, next, m)
}

// CancelAsk asks the customer to confirm cancelling.
func (h *Handlers) CancelAsk(c tele.Context) error {
	o, ok, err := h.customerOrder(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "orders.not_found"), ShowAlert: true})
	}
	if !o.Cancellable() {
		return h.notCancellable(c, o)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.Data(h.t(c, "orders.cancel_confirm_button"), UniqueCancelOrder, strconv.FormatInt(o.ID, 10))))
	return c.Send(h.t(c, "orders.cancel_confirm", locale.Args{"Code": o.Code}), m)
}

// notCancellable tells why an order can't be cancelled: where it is now (a second tap
// of Cancel finds it cancelled by the first).
func (h *Handlers) notCancellable(c tele.Context, o orders.Order) error {
	text := h.t(c, "orders.not_cancellable", locale.Args{"Code": o.Code, "Status": h.t(c, "order_status."+string(o.Status))})
	if o.Status == orders.Cancelled {
		text = h.t(c, "orders.already_cancelled", locale.Args{"Code": o.Code})
	}
	return h.respond(c, &tele.CallbackResponse{Text: locale.Plain(text), ShowAlert: true})
}

// CancelOrder cancels the customer's order before its payment is confirmed; the stock
// returns and the sellers are told.
func (h *Handlers) CancelOrder(c tele.Context) error {
	o, ok, err := h.customerOrder(c)
	if err != nil {
		return err
	}
	if !ok {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "orders.not_found"), ShowAlert: true})
	}
	admins, err := h.adminLangs(c)
	if err != nil {
		return err
	}
	o, err = h.Orders.Move(h.req(c).ctx, orders.Move{
		OrderID: o.ID, CustomerID: c.Sender().ID, From: []orders.Status{orders.AwaitingPayment, orders.ReceiptSubmitted},
		To: orders.Cancelled, Actor: c.Sender().ID,
		Notices: func(o orders.Order) []outbox.Message { return h.cancelledByCustomerNotices(o, admins) },
	})
	if errors.Is(err, orders.ErrTransition) {
		return h.notCancellable(c, o)
	}
	if err != nil {
		return err
	}
	h.committed(c)
	h.notify()
	h.kick() // the channel posts show the stock that came back
	if err := h.respond(c); err != nil {
		return err
	}
	if err := c.Send(h.t(c, "orders.cancelled", locale.Args{"Code": o.Code}), h.mainMenu(c)); err != nil {
		return err
	}
	// The sellers' copies stop offering to confirm its payment.
	h.RefreshCopies(h.req(c).ctx, c.Bot(), o)
	return nil
}
