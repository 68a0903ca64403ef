package handlers

import (
	"errors"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
)

// Button families of the cart.
const (
	UniquePick     = "v"  // data: itemID|variantID — a size chosen on a card
	UniqueQuantity = "q"  // data: variantID|n — how many of the picked size
	UniqueCart     = "ct" // data: action[|variantID]
)

// maxCartLines keeps a cart, and the order it becomes, readable in one message: with
// maxName, maxAddress and maxNote, a whole order fits Telegram's 4,096 characters in every
// language (TestLongestOrderFitsOneMessage).
const maxCartLines = 15

// cardButtons are a card's booking buttons: one per size in stock, or "Add to cart" for
// an item without sizes. None when the item cannot be booked.
func (h *Handlers) cardButtons(c tele.Context, m *tele.ReplyMarkup, it catalog.Item, a channel.Availability) []tele.Row {
	if a != channel.Available {
		return nil
	}
	var rows []tele.Row
	var row tele.Row
	for _, v := range it.Variants {
		if !v.InStock(1) {
			continue
		}
		label := v.Name
		if label == "" {
			label = h.t(c, "cart.add_button")
		} else {
			label = "🛒 " + label
		}
		row = append(row, m.Data(label, UniquePick, fmt.Sprintf("%d|%d", it.ID, v.ID)))
		if len(row) == 4 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// bookable loads an item and size a customer wants and tells why it can't be booked, if so.
func (h *Handlers) bookable(c tele.Context, itemID, variantID int64) (catalog.Item, catalog.Variant, string, error) {
	ctx := h.req(c).ctx
	it, w, err := h.Catalog.ItemInWeek(ctx, itemID)
	if errors.Is(err, catalog.ErrNotFound) {
		return it, catalog.Variant{}, h.t(c, "catalog.item_withdrawn"), nil
	}
	if err != nil {
		return it, catalog.Variant{}, "", err
	}
	v, ok := it.Variant(variantID)
	if !ok {
		return it, v, h.t(c, "catalog.item_withdrawn"), nil
	}
	switch channel.ItemAvailability(it, w, h.Now()) {
	case channel.Withdrawn:
		return it, v, h.t(c, "catalog.item_withdrawn"), nil
	case channel.Closed:
		return it, v, h.t(c, "cart.closed"), nil
	}
	if w.Upcoming() {
		return it, v, h.t(c, "catalog.none_open"), nil
	}
	if !v.InStock(1) {
		return it, v, h.t(c, "cart.sold_out", locale.Args{"Item": variantLabel(it, v)}), nil
	}
	return it, v, "", nil
}

func variantLabel(it catalog.Item, v catalog.Variant) string {
	if v.Name == "" {
		return it.Title
	}
	return it.Title + " (" + v.Name + ")"
}

// Pick asks how many of the chosen size to add.
func (h *Handlers) Pick(c tele.Context) error {
	itemID, variantID, ok := twoInts(c.Callback().Data)
	if !ok {
		return h.Stale(c)
	}
	it, v, refusal, err := h.bookable(c, itemID, variantID)
	if err != nil {
		return err
	}
	if refusal != "" {
		return h.respond(c, &tele.CallbackResponse{Text: refusal, ShowAlert: true})
	}
	s := h.session(c)
	s.pauseCheckout() // until the quantity is added, which ends it
	s.Reset()
	s.Pick = &CartLine{ItemID: it.ID, VariantID: v.ID}
	s.Step = StepQuantity
	if err := h.respond(c); err != nil {
		return err
	}
	m := &tele.ReplyMarkup{}
	var row tele.Row
	for n := 1; n <= 5 && v.InStock(n); n++ {
		row = append(row, m.Data(strconv.Itoa(n), UniqueQuantity, fmt.Sprintf("%d|%d", v.ID, n)))
	}
	m.Inline(row)
	text := h.t(c, "cart.how_many", locale.Args{"Item": variantLabel(it, v)})
	if v.Stock != nil {
		text += "\n" + h.t(c, "cart.left", locale.Args{"Left": *v.Stock})
	}
	return c.Send(text, m)
}

// QuantityButton adds the tapped quantity of the picked size.
func (h *Handlers) QuantityButton(c tele.Context) error {
	variantID, n, ok := twoInts(c.Callback().Data)
	s := h.session(c)
	if !ok || n < 1 || n > 999 || s.Pick == nil || s.Pick.VariantID != variantID {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.addToCart(c, int(n))
}

// quantityText takes a typed quantity for the picked size: 3, ٣ or ۳.
func (h *Handlers) quantityText(c tele.Context) error {
	n, err := catalog.ParseQuantity(c.Text())
	if errors.Is(err, catalog.ErrQuantityRange) {
		return c.Send(h.t(c, "cart.quantity_range"))
	}
	if err != nil {
		return c.Send(h.t(c, "cart.quantity_invalid"))
	}
	return h.addToCart(c, n)
}

func (h *Handlers) addToCart(c tele.Context, n int) error {
	s := h.session(c)
	pick := s.Pick
	it, v, refusal, err := h.bookable(c, pick.ItemID, pick.VariantID)
	if err != nil {
		return err
	}
	if refusal != "" {
		s.Reset()
		return c.Send(refusal)
	}
	have := 0
	at := -1
	for i, l := range s.Cart {
		if l.VariantID == v.ID {
			have, at = l.Quantity, i
		}
	}
	if have+n > orders.MaxQuantity {
		return c.Send(h.t(c, "cart.quantity_range"))
	}
	if !v.InStock(have + n) {
		left := *v.Stock - have
		if left <= 0 {
			s.Reset()
			return c.Send(h.t(c, "cart.all_in_cart", locale.Args{"Item": variantLabel(it, v), "N": have}))
		}
		return c.Send(h.t(c, "cart.only_left", locale.Args{"Item": variantLabel(it, v), "Left": left}))
	}
	if at < 0 && len(s.Cart) >= maxCartLines {
		return c.Send(h.t(c, "cart.full", locale.Args{"Max": maxCartLines}))
	}
	if at >= 0 {
		s.Cart[at].Quantity += n
	} else {
		s.Cart = append(s.Cart, CartLine{ItemID: it.ID, VariantID: v.ID, Quantity: n, Label: variantLabel(it, v)})
	}
	s.Pick = nil
	s.Step = StepNone
	s.leaveCheckout() // a checkout paused meanwhile was of another cart
	m := &tele.ReplyMarkup{}
	m.Inline(
		m.Row(m.Data(h.t(c, "cart.view_button"), UniqueCart, "show"), m.Data(h.t(c, "cart.checkout_button"), UniqueCart, "co")),
		m.Row(m.Data(h.t(c, "menu.browse"), UniqueMenu, menuBrowse)),
	)
	return c.Send(h.t(c, "cart.added", locale.Args{"N": n, "Item": variantLabel(it, v)}), m)
}

// cartLine is a cart line with what the catalog says of it now.
type cartLine struct {
	CartLine
	item    catalog.Item
	variant catalog.Variant
}

func (l cartLine) amount() int64 { return l.item.Price * int64(l.Quantity) }

// loadCart reads the cart's items. Lines that can no longer be booked (the item or size
// is gone or hidden, or its catalog's bookings closed) are dropped, and told: the caller
// sends dropped, if not empty, before what it shows.
func (h *Handlers) loadCart(c tele.Context) (lines []cartLine, dropped string, err error) {
	s := h.session(c)
	if len(s.Cart) == 0 {
		return nil, "", nil
	}
	ids := make([]int64, len(s.Cart))
	for i, l := range s.Cart {
		ids[i] = l.ItemID
	}
	items, weeks, err := h.Catalog.ItemsByID(h.req(c).ctx, ids)
	if err != nil {
		return nil, "", err
	}
	var keep []CartLine
	var gone []string
	for _, l := range s.Cart {
		i := slices.IndexFunc(items, func(it catalog.Item) bool { return it.ID == l.ItemID })
		if i < 0 { // deleted
			label := l.Label
			if label == "" { // added before lines kept their labels
				label = h.t(c, "cart.deleted_item")
			}
			gone = append(gone, html.EscapeString(label))
			continue
		}
		it := items[i]
		v, ok := it.Variant(l.VariantID)
		if w := weeks[it.WeekID]; !ok || it.Hidden || w.Upcoming() || channel.WeekClosed(w, h.Now()) {
			label := it.Title
			if ok {
				label = variantLabel(it, v)
			}
			gone = append(gone, html.EscapeString(label))
			continue
		}
		lines = append(lines, cartLine{CartLine: l, item: it, variant: v})
		keep = append(keep, l)
	}
	s.Cart = keep
	if len(gone) > 0 {
		dropped = h.t(c, "cart.dropped", locale.Args{"Items": locale.HTML(strings.Join(gone, h.t(c, "list.separator")))})
	}
	return lines, dropped, nil
}

// withDropped puts what loadCart dropped before text.
func withDropped(dropped, text string) string {
	if dropped == "" {
		return text
	}
	return dropped + "\n\n" + text
}

// cartText lists the lines with their amounts and the total.
func (h *Handlers) cartText(c tele.Context, lines []cartLine) string {
	var b strings.Builder
	var total int64
	for i, l := range lines {
		b.WriteString(h.t(c, "cart.line", locale.Args{"N": i + 1, "Item": variantLabel(l.item, l.variant), "Quantity": l.Quantity,
			"Amount": money.Format(l.amount(), h.Currency)}) + "\n")
		total += l.amount()
	}
	b.WriteString(h.t(c, "cart.total", locale.Args{"Total": money.Format(total, h.Currency)}))
	return b.String()
}

// ShowCart shows the cart with buttons to change it and to check out.
func (h *Handlers) ShowCart(c tele.Context) error {
	text, m, err := h.cartView(c)
	if err != nil {
		return err
	}
	return c.Send(text, m)
}

func (h *Handlers) cartView(c tele.Context) (string, *tele.ReplyMarkup, error) {
	lines, dropped, err := h.loadCart(c)
	if err != nil {
		return "", nil, err
	}
	m := &tele.ReplyMarkup{}
	if len(lines) == 0 {
		m.Inline(m.Row(m.Data(h.t(c, "menu.browse"), UniqueMenu, menuBrowse)))
		return withDropped(dropped, h.t(c, "cart.empty")), m, nil
	}
	var rows []tele.Row
	for i, l := range lines {
		n := strconv.Itoa(i + 1)
		rows = append(rows, m.Row(
			m.Data("➖ "+n, UniqueCart, fmt.Sprintf("dec|%d", l.VariantID)),
			m.Data("➕ "+n, UniqueCart, fmt.Sprintf("inc|%d", l.VariantID)),
			m.Data("🗑 "+n, UniqueCart, fmt.Sprintf("rm|%d", l.VariantID)),
		))
	}
	rows = append(rows, m.Row(m.Data(h.t(c, "cart.empty_button"), UniqueCart, "empty"), m.Data(h.t(c, "cart.checkout_button"), UniqueCart, "co")))
	m.Inline(rows...)
	return withDropped(dropped, h.t(c, "cart.title")+"\n"+h.cartText(c, lines)), m, nil
}

// CartButton serves the cart's buttons.
func (h *Handlers) CartButton(c tele.Context) error {
	action, arg, _ := strings.Cut(c.Callback().Data, "|")
	s := h.session(c)
	switch action {
	case "show":
		if err := h.respond(c); err != nil {
			return err
		}
		return h.ShowCart(c)
	case "co":
		if err := h.respond(c); err != nil {
			return err
		}
		return h.startCheckout(c)
	case "empty":
		s.Cart = nil
		s.leaveCheckout()
		if err := h.respond(c, &tele.CallbackResponse{Text: h.t(c, "cart.emptied")}); err != nil {
			return err
		}
		return h.refreshCart(c)
	case "inc", "dec", "rm":
		variantID, err := strconv.ParseInt(arg, 10, 64)
		if err != nil {
			return h.Stale(c)
		}
		at := -1
		for i, l := range s.Cart {
			if l.VariantID == variantID {
				at = i
			}
		}
		if at < 0 {
			return h.Stale(c)
		}
		if action == "inc" {
			_, v, refusal, err := h.bookable(c, s.Cart[at].ItemID, variantID)
			if err != nil {
				return err
			}
			if refusal != "" {
				return h.respond(c, &tele.CallbackResponse{Text: refusal, ShowAlert: true})
			}
			if !v.InStock(s.Cart[at].Quantity+1) || s.Cart[at].Quantity >= orders.MaxQuantity {
				if v.Stock == nil {
					return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "cart.quantity_range"), ShowAlert: true})
				}
				return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "cart.no_more", locale.Args{"Left": *v.Stock}), ShowAlert: true})
			}
			s.Cart[at].Quantity++
		} else if action == "dec" && s.Cart[at].Quantity > 1 {
			s.Cart[at].Quantity--
		} else {
			s.Cart = append(s.Cart[:at], s.Cart[at+1:]...)
		}
		s.leaveCheckout()
		if err := h.respond(c); err != nil {
			return err
		}
		return h.refreshCart(c)
	}
	return h.Stale(c)
}

// refreshCart shows the changed cart in the message whose button was pressed.
func (h *Handlers) refreshCart(c tele.Context) error {
	text, m, err := h.cartView(c)
	if err != nil {
		return err
	}
	return h.editOrSend(c, text, m)
}
