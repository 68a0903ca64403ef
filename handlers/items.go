package handlers

import (
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
)

// Button families of the sellers' item management.
const (
	UniqueItemList  = "il" // data: weekID|page
	UniqueItemAdmin = "ia" // data: itemID|action
)

const itemsPerPage = 20

// Items lists the items of the week being prepared and of the live week.
func (h *Handlers) Items(c tele.Context) error {
	ctx := h.req(c).ctx
	var weeks []catalog.Week
	for _, get := range []func() (catalog.Week, error){
		func() (catalog.Week, error) { return h.Catalog.LiveWeek(ctx) },
		func() (catalog.Week, error) { return h.Catalog.UpcomingWeek(ctx) },
	} {
		w, err := get()
		if errors.Is(err, catalog.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		weeks = append(weeks, w)
	}
	if len(weeks) == 0 {
		return c.Send(h.t(c, "items.none"))
	}
	for _, w := range weeks {
		if err := h.sendItemList(c, w, 0, false); err != nil {
			return err
		}
	}
	return nil
}

// ItemListPage pages through a week's item list.
func (h *Handlers) ItemListPage(c tele.Context) error {
	weekID, page, ok := twoInts(c.Callback().Data)
	if !ok {
		return h.Stale(c)
	}
	w, err := h.Catalog.Week(h.req(c).ctx, weekID)
	if errors.Is(err, catalog.ErrNotFound) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.sendItemList(c, w, int(page), true)
}

func (h *Handlers) sendItemList(c tele.Context, w catalog.Week, page int, edit bool) error {
	items, err := h.Catalog.Items(h.req(c).ctx, w.ID, true)
	if err != nil {
		return err
	}
	head := h.t(c, "items.week", locale.Args{"Title": w.Title, "Status": h.t(c, "status."+string(w.Status))})
	if len(items) == 0 {
		head += "\n" + h.t(c, "items.week_empty")
	}
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = "\n" + h.t(c, "items.line", locale.Args{"N": i + 1, "Title": it.Title, "Price": money.Format(it.Price, it.Currency),
			"Stock": locale.HTML(h.stockSummary(c, it))})
		if it.Hidden {
			lines[i] += " " + h.t(c, "items.hidden_mark")
		}
	}
	starts := listPages(head, lines)
	pages := len(starts)
	page = max(0, min(page, pages-1))
	end := len(items)
	if page+1 < pages {
		end = starts[page+1]
	}
	b := strings.Builder{}
	b.WriteString(head)
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	var row tele.Row
	for i := starts[page]; i < end; i++ {
		b.WriteString(lines[i])
		row = append(row, m.Data(strconv.Itoa(i+1), UniqueItemAdmin, fmt.Sprintf("%d|card", items[i].ID)))
		if len(row) == 5 {
			rows = append(rows, row)
			row = nil
		}
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	if pages > 1 {
		var nav tele.Row
		if page > 0 {
			nav = append(nav, m.Data("◀️", UniqueItemList, fmt.Sprintf("%d|%d", w.ID, page-1)))
		}
		if page < pages-1 {
			nav = append(nav, m.Data("▶️", UniqueItemList, fmt.Sprintf("%d|%d", w.ID, page+1)))
		}
		rows = append(rows, nav)
	}
	m.Inline(rows...)
	if edit {
		return h.editOrSend(c, b.String(), m)
	}
	return c.Send(b.String(), m)
}

// listPages splits a list's lines into pages of at most itemsPerPage lines, each page
// (head included) within a message's length, and returns where each page starts. A
// shop whose items have many sizes gets shorter pages.
func listPages(head string, lines []string) []int {
	starts := []int{0}
	size, n := channel.VisibleLen(head), 0
	for i, l := range lines {
		ll := channel.VisibleLen(l)
		if n == itemsPerPage || n > 0 && size+ll > maxMessage {
			starts = append(starts, i)
			size, n = channel.VisibleLen(head), 0
		}
		size += ll
		n++
	}
	return starts
}

// stockSummary is "S 2 · M 0 · L ∞", or the single stock of an item without sizes.
func (h *Handlers) stockSummary(c tele.Context, it catalog.Item) string {
	var parts []string
	for _, v := range it.Variants {
		stock := "∞"
		if v.Stock != nil {
			stock = strconv.Itoa(*v.Stock)
		}
		if v.Name == "" {
			parts = append(parts, h.t(c, "items.stock", locale.Args{"Stock": stock}))
		} else {
			parts = append(parts, html.EscapeString(v.Name)+" "+stock)
		}
	}
	return strings.Join(parts, " · ")
}

// ItemAdmin serves the buttons of a seller's item card.
func (h *Handlers) ItemAdmin(c tele.Context) error {
	idText, action, _ := strings.Cut(c.Callback().Data, "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		return h.Stale(c)
	}
	ctx := h.req(c).ctx
	it, err := h.Catalog.Item(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "items.gone"), ShowAlert: true})
	}
	if err != nil {
		return err
	}
	s := h.session(c)
	switch {
	case action == "card":
		if err := h.respond(c); err != nil {
			return err
		}
		return h.sendItemCard(c, it)
	case action == "price":
		s.Reset()
		s.Step, s.EditItem = StepEditPrice, it.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.price_prompt", locale.Args{"Title": it.Title, "Price": money.Format(it.Price, it.Currency), "Example": h.priceExample()}))
	case action == "title":
		s.Reset()
		s.Step, s.EditItem = StepEditTitle, it.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.title_prompt", locale.Args{"Title": it.Title, "Max": catalog.MaxTitle}))
	case action == "desc":
		s.Reset()
		s.Step, s.EditItem = StepEditDescription, it.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.description_prompt"))
	case action == "stock":
		if err := h.respond(c); err != nil {
			return err
		}
		return h.sendStockChoice(c, it)
	case strings.HasPrefix(action, "v"):
		vid, err := strconv.ParseInt(action[1:], 10, 64)
		v, ok := it.Variant(vid)
		if err != nil || !ok {
			return h.Stale(c)
		}
		s.Reset()
		s.Step, s.EditItem, s.EditVariant = StepEditStock, it.ID, v.ID
		if err := h.respond(c); err != nil {
			return err
		}
		name := v.Name
		if name == "" {
			name = it.Title
		}
		return c.Send(h.t(c, "items.stock_prompt", locale.Args{"Name": name}))
	case action == "sizes":
		s.Reset()
		s.Step, s.EditItem = StepEditVariants, it.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.variants_prompt"))
	case action == "photos":
		// A posted item's photos are in the channel: Telegram can't turn one photo into
		// an album there, so new photos mean a new post.
		if _, err := h.Catalog.ItemPost(ctx, it.ID); err == nil {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "items.photos_posted"), ShowAlert: true})
		} else if !errors.Is(err, catalog.ErrNotFound) {
			return err
		}
		s.Reset()
		s.Item, s.Step, s.EditItem = &ItemDraft{}, StepItemPhotos, it.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.photos_prompt", locale.Args{"Title": it.Title}))
	case action == "hide" || action == "show":
		if err := h.Catalog.SetHidden(ctx, it.ID, action == "hide"); err != nil {
			return err
		}
		h.kick()
		if err := h.respond(c, &tele.CallbackResponse{Text: h.t(c, "items.saved")}); err != nil {
			return err
		}
		return h.turnItemCard(c, it.ID)
	case action == "del":
		m := &tele.ReplyMarkup{}
		m.Inline(m.Row(m.Data(h.t(c, "items.delete_confirm_button"), UniqueItemAdmin, fmt.Sprintf("%d|del!", it.ID))))
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "items.delete_confirm", locale.Args{"Title": it.Title}), m)
	case action == "del!":
		return h.deleteItem(c, it)
	}
	return h.Stale(c)
}

func (h *Handlers) deleteItem(c tele.Context, it catalog.Item) error {
	// Its post, if any, is taken out of the channel by the publisher; where Telegram
	// won't delete it, it says this.
	r := h.channelRenderer()
	err := h.Catalog.DeleteItem(h.req(c).ctx, it.ID, catalog.Withdrawal{
		Caption: r.Caption(it, channel.Withdrawn), Button: r.ButtonText(it, channel.Withdrawn)})
	if errors.Is(err, catalog.ErrHasOrders) {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "items.delete_has_orders"), ShowAlert: true})
	}
	if err != nil {
		return err
	}
	h.kick()
	if err := h.respond(c); err != nil {
		return err
	}
	return c.Send(h.t(c, "items.deleted", locale.Args{"Title": it.Title}))
}

func (h *Handlers) sendStockChoice(c tele.Context, it catalog.Item) error {
	m := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, v := range it.Variants {
		stock := "∞"
		if v.Stock != nil {
			stock = strconv.Itoa(*v.Stock)
		}
		label := v.Name + ": " + stock
		if v.Name == "" { // an item without sizes
			label = locale.Plain(h.t(c, "items.stock", locale.Args{"Stock": stock}))
		}
		rows = append(rows, m.Row(m.Data(label, UniqueItemAdmin, fmt.Sprintf("%d|v%d", it.ID, v.ID))))
	}
	rows = append(rows, m.Row(m.Data(h.t(c, "items.replace_sizes_button"), UniqueItemAdmin, fmt.Sprintf("%d|sizes", it.ID))))
	m.Inline(rows...)
	return c.Send(h.t(c, "items.stock_which", locale.Args{"Title": it.Title}), m)
}

// sendItemCard shows a seller an item as posted, with its stock and the actions.
func (h *Handlers) sendItemCard(c tele.Context, it catalog.Item) error {
	caption, err := h.itemCardCaption(c, it)
	if err != nil {
		return err
	}
	_, err = h.sendPhotos(c, catalog.Item{Photos: it.Photos[:1]}, caption, h.itemCardMarkup(c, it))
	return err
}

// itemCardCaption is a seller's card of an item: its post's caption, and its stock.
func (h *Handlers) itemCardCaption(c tele.Context, it catalog.Item) (string, error) {
	w, err := h.Catalog.Week(h.req(c).ctx, it.WeekID)
	if err != nil {
		return "", err
	}
	r := h.renderer(h.lang(c))
	return r.Caption(it, channel.ItemAvailability(it, w, h.Now()), h.t(c, "items.stock_line", locale.Args{"Stock": locale.HTML(h.stockSummary(c, it))})), nil
}

// turnItemCard brings the card whose button was pressed up to the item, in place; one
// Telegram won't edit (too old, deleted) is sent again instead.
func (h *Handlers) turnItemCard(c tele.Context, id int64) error {
	it, err := h.Catalog.Item(h.req(c).ctx, id)
	if err != nil {
		return err
	}
	caption, err := h.itemCardCaption(c, it)
	if err != nil {
		return err
	}
	cb := c.Callback()
	if cb == nil || cb.Message == nil || cb.Message.Photo == nil {
		return h.sendItemCard(c, it)
	}
	// The photo too: the item's may have been replaced since the card was sent.
	err = channel.EditPhoto(h.req(c).ctx, c.Bot(), h.Catalog, cb.Message, it.Photos[0], caption, h.itemCardMarkup(c, it))
	switch {
	case err == nil, channel.NotModified(err):
		return nil
	case channel.CannotEdit(err):
		return h.sendItemCard(c, it)
	}
	return err
}

func (h *Handlers) refreshItemCard(c tele.Context, id int64) error {
	it, err := h.Catalog.Item(h.req(c).ctx, id)
	if err != nil {
		return err
	}
	return h.sendItemCard(c, it)
}

func (h *Handlers) itemCardMarkup(c tele.Context, it catalog.Item) *tele.ReplyMarkup {
	m := &tele.ReplyMarkup{}
	b := func(textID, action string) tele.Btn {
		return m.Data(h.t(c, textID), UniqueItemAdmin, fmt.Sprintf("%d|%s", it.ID, action))
	}
	visibility := b("items.hide_button", "hide")
	if it.Hidden {
		visibility = b("items.show_button", "show")
	}
	m.Inline(
		m.Row(b("items.price_button", "price"), b("items.stock_button", "stock")),
		m.Row(b("items.title_button", "title"), b("items.description_button", "desc")),
		m.Row(b("items.photos_button", "photos")),
		m.Row(visibility, b("items.delete_button", "del")),
	)
	return m
}

// editItemText takes the text answers of the item edit steps.
func (h *Handlers) editItemText(c tele.Context) error {
	s := h.session(c)
	ctx := h.req(c).ctx
	it, err := h.Catalog.Item(ctx, s.EditItem)
	if errors.Is(err, catalog.ErrNotFound) {
		s.Reset()
		return c.Send(h.t(c, "items.gone"))
	}
	if err != nil {
		return err
	}
	text := strings.TrimSpace(c.Text())
	switch s.Step {
	case StepEditPrice:
		price, err := catalog.ParsePrice(text, h.Currency)
		if err != nil {
			return c.Send(h.priceError(c, err))
		}
		err = h.Catalog.UpdatePrice(ctx, it.ID, price)
		if err != nil {
			return err
		}
	case StepEditTitle:
		if reply := h.checkTitle(c, text); reply != "" {
			return c.Send(reply)
		}
		if err := h.Catalog.UpdateText(ctx, it.ID, text, it.Description); err != nil {
			return err
		}
	case StepEditDescription:
		if text == "-" {
			text = ""
		}
		if utf8.RuneCountInString(text) > catalog.MaxDescription {
			return c.Send(h.t(c, "newitem.description_too_long", locale.Args{"Max": catalog.MaxDescription}))
		}
		if err := h.Catalog.UpdateText(ctx, it.ID, it.Title, text); err != nil {
			return err
		}
	case StepEditStock:
		specs, err := catalog.ParseVariants(text)
		if err != nil || len(specs) != 1 || specs[0].Name != "" {
			return c.Send(h.t(c, "items.stock_invalid"))
		}
		var stock *int
		if !specs[0].Unlimited {
			stock = &specs[0].Stock
		}
		err = h.Catalog.SetStock(ctx, s.EditVariant, stock)
		if errors.Is(err, catalog.ErrNotFound) {
			// The sizes were replaced meanwhile (the other seller): this one is gone.
			s.Reset()
			return c.Send(h.t(c, "items.size_gone"))
		}
		if err != nil {
			return err
		}
	case StepEditVariants:
		specs, err := catalog.ParseVariants(text)
		if err != nil {
			return c.Send(h.variantsError(c, err, true))
		}
		err = h.Catalog.ReplaceVariants(ctx, it.ID, specs)
		if errors.Is(err, catalog.ErrHasOrders) {
			s.Reset()
			return c.Send(h.t(c, "items.sizes_have_orders"))
		}
		if err != nil {
			return err
		}
	}
	s.Reset()
	h.kick()
	if err := c.Send(h.t(c, "items.saved")); err != nil {
		return err
	}
	return h.refreshItemCard(c, it.ID)
}

// twoInts reads callback data "a|b".
func twoInts(data string) (int64, int64, bool) {
	a, b, ok := strings.Cut(data, "|")
	if !ok {
		return 0, 0, false
	}
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	return x, y, err1 == nil && err2 == nil && x >= 0 && y >= 0
}
