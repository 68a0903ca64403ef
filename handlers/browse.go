package handlers

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
)

// Button families of the customers' catalog.
const (
	UniqueBrowse = "br" // data: itemID — show that item's card
	UniqueAlbum  = "ph" // data: itemID — send all its photos
)

// Browse shows the live week's first item.
func (h *Handlers) Browse(c tele.Context) error {
	return h.showCard(c, 0)
}

// BrowseButton shows the card of the item named in the button (previous, next) in place
// of the card the button is on.
func (h *Handlers) BrowseButton(c tele.Context) error {
	id, err := strconv.ParseInt(c.Callback().Data, 10, 64)
	if err != nil || id <= 0 {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return h.showCard(c, id)
}

// cardToTurn is the card a Previous or Next button was pressed on: a message of one
// photo, which the next card replaces rather than adding one more to the chat.
func cardToTurn(c tele.Context) *tele.Message {
	cb := c.Callback()
	if cb == nil || cb.Unique != UniqueBrowse || cb.Message == nil || cb.Message.Photo == nil || cb.Message.AlbumID != "" {
		return nil
	}
	return cb.Message
}

// showCard shows a customer an item of the live week as a card: its first photo, the
// caption the channel post has (in the customer's language), buttons to the previous and
// next items, and to all its photos. itemID 0 is the week's first item. Turned to from
// another card, it takes that card's place.
func (h *Handlers) showCard(c tele.Context, itemID int64) error {
	ctx := h.req(c).ctx
	var it catalog.Item
	var w catalog.Week
	var shown []int64 // the ids of the week's items on show, in order
	var err error
	if itemID != 0 {
		it, w, shown, err = h.Catalog.ItemOnShow(ctx, itemID)
		if errors.Is(err, catalog.ErrNotFound) {
			return c.Send(h.t(c, "start.link_unknown"), h.mainMenu(c))
		}
		if err != nil {
			return err
		}
	} else {
		w, err = h.Catalog.LatestPublishedWeek(ctx)
		if errors.Is(err, catalog.ErrNotFound) {
			return c.Send(h.t(c, "catalog.none_open"), h.mainMenu(c))
		}
		if err != nil {
			return err
		}
	}
	if w.Upcoming() {
		// A link to an item of a week not published yet.
		return c.Send(h.t(c, "catalog.none_open"), h.mainMenu(c))
	}
	if itemID == 0 {
		if channel.WeekClosed(w, h.Now()) {
			return c.Send(h.t(c, "catalog.closed", locale.Args{"Title": w.Title}), h.mainMenu(c))
		}
		it, _, shown, err = h.Catalog.FirstOnShow(ctx, w.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			return c.Send(h.t(c, "catalog.none_open"), h.mainMenu(c))
		}
		if err != nil {
			return err
		}
	}
	if it.Hidden {
		return c.Send(h.t(c, "catalog.item_withdrawn"), h.mainMenu(c))
	}
	at := max(slices.Index(shown, it.ID), 0)
	r := h.renderer(h.lang(c))
	availability := channel.ItemAvailability(it, w, h.Now())
	var position []string
	if len(shown) > 1 {
		position = append(position, h.t(c, "catalog.position", locale.Args{"N": at + 1, "Total": len(shown)}))
	}
	caption := r.Caption(it, availability, position...)
	m := &tele.ReplyMarkup{}
	rows := h.cardButtons(c, m, it, availability)
	if len(it.Photos) > 1 {
		rows = append(rows, m.Row(m.Data(h.Texts.N(h.lang(c), "catalog.all_photos", len(it.Photos)), UniqueAlbum, strconv.FormatInt(it.ID, 10))))
	}
	if len(shown) > 1 {
		prev, next := shown[(at+len(shown)-1)%len(shown)], shown[(at+1)%len(shown)]
		rows = append(rows, m.Row(
			m.Data(h.t(c, "catalog.prev"), UniqueBrowse, strconv.FormatInt(prev, 10)),
			m.Data(h.t(c, "catalog.next"), UniqueBrowse, strconv.FormatInt(next, 10)),
		))
	}
	rows = append(rows, m.Row(m.Data(h.t(c, "menu.cart"), UniqueMenu, menuCart)))
	m.Inline(rows...)
	if card := cardToTurn(c); card != nil {
		err := channel.EditPhoto(ctx, c.Bot(), h.Catalog, card, it.Photos[0], caption, m)
		switch {
		case err == nil, channel.NotModified(err):
			return nil
		case !channel.CannotEdit(err):
			return err
		}
		// The customer deleted the card, or Telegram no longer lets the bot edit it.
	}
	_, err = h.sendPhotos(c, catalog.Item{Photos: it.Photos[:1]}, caption, m)
	return err
}

// AllPhotos sends every photo of an item as an album.
func (h *Handlers) AllPhotos(c tele.Context) error {
	id, err := strconv.ParseInt(c.Callback().Data, 10, 64)
	if err != nil {
		return h.Stale(c)
	}
	it, err := h.Catalog.Item(h.req(c).ctx, id)
	if errors.Is(err, catalog.ErrNotFound) || (err == nil && (it.Hidden || len(it.Photos) < 2)) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	if err := h.respond(c); err != nil {
		return err
	}
	_, err = h.sendPhotos(c, it, "", nil)
	if err != nil {
		return fmt.Errorf("handlers: send album: %w", err)
	}
	return nil
}
