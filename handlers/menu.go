package handlers

import (
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
)

// Callback button families. Telegram limits callback data to 64 bytes; telebot spends
// len(unique)+2 of them, so uniques stay short.
const (
	UniqueMenu     = "m"
	UniqueLanguage = "lang"
)

// Main-menu entries, the data of UniqueMenu buttons.
const (
	menuBrowse   = "browse"
	menuCart     = "cart"
	menuOrders   = "orders"
	menuLanguage = "language"
	menuHelp     = "help"
	menuAsk      = "ask"
)

// mainMenu is the main menu's buttons, after first when given.
func (h *Handlers) mainMenu(c tele.Context, first ...tele.Btn) *tele.ReplyMarkup {
	m := &tele.ReplyMarkup{}
	btn := func(textID, data string) tele.Btn {
		return m.Data(h.t(c, textID), UniqueMenu, data)
	}
	var rows []tele.Row
	if len(first) > 0 {
		rows = append(rows, m.Row(first...))
	}
	if h.session(c).Paused != nil {
		rows = append(rows, m.Row(m.Data(h.t(c, "checkout.resume_button"), UniqueCheckout, "resume")))
	}
	m.Inline(append(rows,
		m.Row(btn("menu.browse", menuBrowse), btn("menu.cart", menuCart)),
		m.Row(btn("menu.orders", menuOrders), btn("menu.language", menuLanguage)),
		m.Row(btn("menu.ask", menuAsk), btn("menu.help", menuHelp)),
	)...)
	return m
}

// Start greets the person with the main menu. /start also ends any conversation.
func (h *Handlers) Start(c tele.Context) error {
	r := h.req(c)
	if r.seen == nil {
		// A session going on: /start refreshes the profile and the language chosen.
		cust, _, err := h.Shop.SeeCustomer(r.ctx, profile(c.Sender()))
		if err != nil {
			return err
		}
		h.seen(cust.ID)
		r.seen = &cust
	}
	cust := *r.seen
	s := h.session(c)
	if cust.Language != "" {
		s.Lang = cust.Language
	}
	payload := c.Message().Payload
	if payload != "" {
		// A look at an item from the channel: a checkout under way waits, as for a message
		// to the shop (booking the item ends it).
		s.pauseCheckout()
	}
	s.Reset()
	if payload != "" {
		// A deep link from an Order button in the channel.
		if id, err := catalog.ParseItemPayload(payload); err == nil {
			return h.showCard(c, id)
		}
		if err := c.Send(h.t(c, "start.link_unknown")); err != nil {
			return err
		}
	}
	return h.greet(c)
}

func (h *Handlers) greet(c tele.Context) error {
	name := strings.TrimSpace(c.Sender().FirstName)
	if name == "" {
		name = c.Sender().Username
	}
	return c.Send(h.t(c, "start.greeting", locale.Args{"Name": name, "Shop": h.ShopName}), h.mainMenu(c))
}

// Menu serves the main-menu buttons.
func (h *Handlers) Menu(c tele.Context) error {
	open := map[string]func(tele.Context) error{
		menuBrowse:   h.Browse,
		menuCart:     h.ShowCart,
		menuOrders:   h.MyOrders,
		menuLanguage: h.sendLanguagePicker,
		menuHelp:     h.Help,
		menuAsk:      h.Ask,
	}[c.Callback().Data]
	if open == nil {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return open(c)
}

// Help lists the commands, with the sellers' ones for sellers.
func (h *Handlers) Help(c tele.Context) error {
	admin := h.IsAdmin(c.Sender().ID)
	var b strings.Builder
	list := func(titleID string, wantAdmin bool) {
		b.WriteString(h.t(c, titleID))
		b.WriteString("\n")
		for _, cmd := range h.commands {
			if cmd.Admin == wantAdmin {
				b.WriteString(h.t(c, "help.command_line", locale.Args{"Command": "/" + cmd.Name, "Description": h.t(c, cmd.DescID)}) + "\n")
			}
		}
		b.WriteString("\n")
	}
	list("help.customer", false)
	if admin {
		list("help.admin", true)
	}
	b.WriteString(h.t(c, "help.footer"))
	return c.Send(b.String(), h.mainMenu(c))
}

// Cancel leaves whatever conversation the person is in. A message to the shop cancelled
// leaves the checkout it paused to go on with; cancelled then, the checkout ends too.
func (h *Handlers) Cancel(c tele.Context) error {
	s := h.session(c)
	s.Unsent = nil
	if s.Step == StepNone && s.Checkout == nil && s.Paused == nil && s.Pick == nil && len(s.PendingReceipts) == 0 && s.Broadcast == nil {
		return c.Send(h.t(c, "cancel.nothing"), h.mainMenu(c))
	}
	if s.Step != StepAsk {
		s.Paused = nil
	}
	s.dropItem()
	s.PendingReceipts = nil // receipts sent without saying for which order: not kept
	return c.Send(h.t(c, "cancel.done"), h.mainMenu(c))
}

// Stale answers a button that means nothing now: an old message, or forged data.
func (h *Handlers) Stale(c tele.Context) error {
	return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "callback.stale"), ShowAlert: true})
}
