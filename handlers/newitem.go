package handlers

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
)

// UniqueNewItem is the family of buttons of the /newitem conversation.
const UniqueNewItem = "ni"

const (
	niDone      = "done"
	niSkip      = "skip"
	niUnlimited = "unlim"
	niSave      = "save"
	niEdit      = "edit"
	niDiscard   = "discard"
	niField     = "f:"      // followed by the field to edit
	niResume    = "resume:" // followed by the shelved item's token
	niFresh     = "fresh:"  // the same
)

// maxPhotoBytes is Telegram's upload limit for a photo: a stored copy must be sendable.
const maxPhotoBytes = 10 << 20

// NewItem starts adding an item, photos first, or offers to go on with one left unfinished.
func (h *Handlers) NewItem(c tele.Context) error {
	s := h.session(c)
	s.Reset()
	if s.Shelved == nil {
		return h.startItem(c)
	}
	return h.offerShelved(c)
}

// offerShelved offers to go on with the shelved item or to start a new one.
func (h *Handlers) offerShelved(c tele.Context) error {
	sh := h.session(c).Shelved
	var text string
	if sh.Draft.Title != "" {
		text = h.t(c, "newitem.unfinished", locale.Args{"Title": sh.Draft.Title})
	} else {
		text = h.Texts.N(h.lang(c), "newitem.unfinished_untitled", len(sh.Draft.Photos))
	}
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.Data(h.t(c, "newitem.resume_button"), UniqueNewItem, niResume+sh.Token),
		m.Data(h.t(c, "newitem.fresh_button"), UniqueNewItem, niFresh+sh.Token)))
	return c.Send(text, m)
}

func (h *Handlers) startItem(c tele.Context) error {
	s := h.session(c)
	s.Item = &ItemDraft{Key: rand.Text()}
	s.Step = StepItemPhotos
	return c.Send(h.t(c, "newitem.photos_prompt"))
}

// shelfButton takes up the shelved item where it was left, or drops it for a new one. The
// buttons of an offer made for another item, since taken up or dropped, are stale.
func (h *Handlers) shelfButton(c tele.Context, resume bool, token string) error {
	s := h.session(c)
	sh := s.Shelved
	if sh == nil || sh.Token != token {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	s.Shelved = nil
	s.Reset() // shelves an item begun since, if any
	if !resume {
		return h.startItem(c)
	}
	d := sh.Draft
	d.AlbumID, d.ProgressID = "", 0
	s.Item, s.Step = d, sh.Step
	switch sh.Step {
	case StepItemPreview:
		return h.itemPreview(c)
	case StepItemPhotos:
		if len(d.Photos) == 0 {
			return c.Send(h.t(c, "newitem.photos_prompt"))
		}
		return c.Send(h.Texts.N(h.lang(c), "newitem.photos_count", len(d.Photos)), h.doneMarkup(c))
	}
	return h.askItemStep(c, sh.Step)
}

func (h *Handlers) doneMarkup(c tele.Context) *tele.ReplyMarkup {
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.Data(h.t(c, "newitem.done_button"), UniqueNewItem, niDone)))
	return m
}

// itemPhoto takes a photo, or an image sent as a file, for the draft.
func (h *Handlers) itemPhoto(c tele.Context) error {
	d := h.session(c).Item
	m := c.Message()
	var ph DraftPhoto
	switch {
	case m.Photo != nil:
		ph = DraftPhoto{FileID: m.Photo.FileID, UniqueID: m.Photo.UniqueID, MIME: "image/jpeg"}
		if m.Photo.FileSize > maxPhotoBytes {
			return c.Send(h.t(c, "newitem.photo_too_big"))
		}
	case m.Document != nil && isImageMIME(m.Document.MIME):
		if m.Document.FileSize > maxPhotoBytes {
			return c.Send(h.t(c, "newitem.photo_too_big"))
		}
		ph = DraftPhoto{FileID: m.Document.FileID, UniqueID: m.Document.UniqueID, MIME: m.Document.MIME, Document: true}
	default:
		return c.Send(h.t(c, "newitem.photo_expected"))
	}
	sameAlbum := m.AlbumID != "" && m.AlbumID == d.AlbumID
	if len(d.Photos) >= catalog.MaxPhotos {
		if sameAlbum {
			return nil // the album's first extra photo was answered already
		}
		d.AlbumID = m.AlbumID
		return c.Send(h.t(c, "newitem.photos_max", locale.Args{"Max": catalog.MaxPhotos}), h.doneMarkup(c))
	}
	d.Photos = append(d.Photos, ph)
	text := h.Texts.N(h.lang(c), "newitem.photos_count", len(d.Photos))
	if sameAlbum && d.ProgressID != 0 {
		_, err := c.Bot().Edit(&tele.Message{ID: d.ProgressID, Chat: c.Chat()}, text, h.doneMarkup(c))
		if err == nil || channel.NotModified(err) {
			return nil
		}
		h.Log.Warn("edit photo count", "err", err)
	}
	msg, err := c.Bot().Send(c.Chat(), text, h.doneMarkup(c))
	if err != nil {
		return err
	}
	d.AlbumID, d.ProgressID = m.AlbumID, msg.ID
	return nil
}

func isImageMIME(mime string) bool {
	switch strings.ToLower(mime) {
	case "image/jpeg", "image/png", "image/webp":
		return true
	}
	return false
}

// NewItemButton serves the buttons of the /newitem conversation.
func (h *Handlers) NewItemButton(c tele.Context) error {
	s := h.session(c)
	data := c.Callback().Data
	if token, ok := strings.CutPrefix(data, niResume); ok {
		return h.shelfButton(c, true, token)
	}
	if token, ok := strings.CutPrefix(data, niFresh); ok {
		return h.shelfButton(c, false, token)
	}
	d := s.Item
	if d == nil {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	switch {
	case data == niDone && s.Step == StepItemPhotos:
		if len(d.Photos) == 0 {
			return c.Send(h.t(c, "newitem.photos_none"))
		}
		if s.EditItem != 0 {
			return h.replacePhotos(c)
		}
		return h.nextItemStep(c, StepItemTitle)
	case data == niSkip && s.Step == StepItemDescription:
		d.Description = ""
		return h.nextItemStep(c, StepItemVariants)
	case data == niUnlimited && s.Step == StepItemVariants:
		d.Variants = []catalog.VariantSpec{{Unlimited: true}}
		return h.itemPreview(c)
	case data == niSave && s.Step == StepItemPreview:
		return h.saveItem(c)
	case data == niEdit && s.Step == StepItemPreview:
		return c.Send(h.t(c, "newitem.edit_which"), h.fieldMarkup(c))
	case data == niDiscard && s.Step == StepItemPreview:
		s.dropItem()
		return c.Send(h.t(c, "newitem.discarded"), h.mainMenu(c))
	case strings.HasPrefix(data, niField) && s.Step == StepItemPreview:
		step := Step(strings.TrimPrefix(data, niField))
		switch step {
		case StepItemPhotos:
			d.Photos, d.AlbumID, d.ProgressID = nil, "", 0
			s.Step = StepItemPhotos
			return c.Send(h.t(c, "newitem.photos_prompt"))
		case StepItemTitle, StepItemPrice, StepItemDescription, StepItemVariants:
			return h.askItemStep(c, step)
		}
	}
	return c.Send(h.t(c, "callback.stale"))
}

func (h *Handlers) fieldMarkup(c tele.Context) *tele.ReplyMarkup {
	m := &tele.ReplyMarkup{}
	f := func(id string, step Step) tele.Btn { return m.Data(h.t(c, id), UniqueNewItem, niField+string(step)) }
	m.Inline(
		m.Row(f("field.photos", StepItemPhotos), f("field.title", StepItemTitle)),
		m.Row(f("field.price", StepItemPrice), f("field.description", StepItemDescription)),
		m.Row(f("field.sizes", StepItemVariants)),
	)
	return m
}

// nextItemStep goes on after a field: to the next question, or back to the preview when
// the seller came from it.
func (h *Handlers) nextItemStep(c tele.Context, next Step) error {
	if h.session(c).Item.Reviewing {
		return h.itemPreview(c)
	}
	return h.askItemStep(c, next)
}

func (h *Handlers) askItemStep(c tele.Context, step Step) error {
	h.session(c).Step = step
	switch step {
	case StepItemTitle:
		return c.Send(h.t(c, "newitem.title_prompt", locale.Args{"Max": catalog.MaxTitle}))
	case StepItemPrice:
		return c.Send(h.t(c, "newitem.price_prompt", locale.Args{"Currency": h.Currency, "Example": h.priceExample()}))
	case StepItemDescription:
		m := &tele.ReplyMarkup{}
		m.Inline(m.Row(m.Data(h.t(c, "newitem.skip_button"), UniqueNewItem, niSkip)))
		return c.Send(h.t(c, "newitem.description_prompt"), m)
	case StepItemVariants:
		m := &tele.ReplyMarkup{}
		m.Inline(m.Row(m.Data(h.t(c, "newitem.unlimited_button"), UniqueNewItem, niUnlimited)))
		return c.Send(h.t(c, "newitem.variants_prompt"), m)
	}
	return nil
}

func (h *Handlers) priceExample() string {
	if money.Scale(h.Currency) == 0 {
		return "150000, 150k"
	}
	return "12.50, 250"
}

// itemText takes the draft's text answers.
func (h *Handlers) itemText(c tele.Context) error {
	s := h.session(c)
	d := s.Item
	text := strings.TrimSpace(c.Text())
	switch s.Step {
	case StepItemPhotos:
		return c.Send(h.t(c, "newitem.photo_expected"), h.doneMarkup(c))
	case StepItemTitle:
		if reply := h.checkTitle(c, text); reply != "" {
			return c.Send(reply)
		}
		d.Title = text
		return h.nextItemStep(c, StepItemPrice)
	case StepItemPrice:
		price, err := catalog.ParsePrice(text, h.Currency)
		if err != nil {
			return c.Send(h.priceError(c, err))
		}
		d.Price = price
		return h.nextItemStep(c, StepItemDescription)
	case StepItemDescription:
		if utf8.RuneCountInString(text) > catalog.MaxDescription {
			return c.Send(h.t(c, "newitem.description_too_long", locale.Args{"Max": catalog.MaxDescription}))
		}
		d.Description = text
		return h.nextItemStep(c, StepItemVariants)
	case StepItemVariants:
		specs, err := catalog.ParseVariants(text)
		if err != nil {
			return c.Send(h.variantsError(c, err, false))
		}
		d.Variants = specs
		return h.itemPreview(c)
	case StepItemPreview:
		return c.Send(h.t(c, "newitem.use_buttons"))
	}
	return nil
}

func (h *Handlers) checkTitle(c tele.Context, title string) string {
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return h.t(c, "newitem.title_prompt", locale.Args{"Max": catalog.MaxTitle})
	case n > catalog.MaxTitle:
		return h.t(c, "newitem.title_too_long", locale.Args{"Max": catalog.MaxTitle})
	}
	return ""
}

func (h *Handlers) priceError(c tele.Context, err error) string {
	id := "price.invalid"
	switch {
	case errors.Is(err, catalog.ErrPriceAmbiguous):
		id = "price.ambiguous"
	case errors.Is(err, catalog.ErrPriceNegative):
		id = "price.negative"
	case errors.Is(err, catalog.ErrPriceZero):
		id = "price.zero"
	case errors.Is(err, catalog.ErrPriceCurrency):
		id = "price.currency"
	case errors.Is(err, catalog.ErrPricePrecision):
		id = "price.precision"
	case errors.Is(err, catalog.ErrPriceTooLarge):
		id = "price.too_large"
	}
	return h.t(c, id, locale.Args{"Currency": h.Currency, "Example": h.priceExample()})
}

// variantsError explains sizes the seller wrote that can't be read. typed is set where
// unlimited stock is typed as a word rather than tapped as a button.
func (h *Handlers) variantsError(c tele.Context, err error, typed bool) string {
	id := "variants.invalid"
	if typed {
		id = "variants.invalid_typed"
	}
	switch {
	case errors.Is(err, catalog.ErrVariantDuplicate):
		id = "variants.duplicate"
	case errors.Is(err, catalog.ErrVariantStock):
		id = "variants.stock"
	case errors.Is(err, catalog.ErrVariantName):
		id = "variants.name"
	case errors.Is(err, catalog.ErrVariantsTooMany):
		id = "variants.too_many"
	}
	return h.t(c, id)
}

// draftItem is the draft as the catalog item it will become, for the preview. Its photos
// have negative ids, which draftPhotos resolves.
func (h *Handlers) draftItem(d *ItemDraft) catalog.Item {
	it := catalog.Item{Title: d.Title, Description: d.Description, Price: d.Price, Currency: h.Currency}
	for i, p := range d.Photos {
		it.Photos = append(it.Photos, catalog.Photo{ID: int64(-i - 1), Position: i + 1, FileID: p.photoFileID(), FileUniqueID: p.UniqueID, MIME: p.MIME})
	}
	for i, v := range d.Variants {
		var stock *int
		if !v.Unlimited {
			n := v.Stock
			stock = &n
		}
		it.Variants = append(it.Variants, catalog.Variant{Name: v.Name, Position: i + 1, Stock: stock})
	}
	return it
}

// itemPreview shows the post exactly as the channel will get it, then Save / Edit / Discard.
func (h *Handlers) itemPreview(c tele.Context) error {
	s := h.session(c)
	d := s.Item
	d.Reviewing = true
	s.Step = StepItemPreview
	it := h.draftItem(d)
	r := h.channelRenderer()
	a := channel.Available
	if it.SoldOut() {
		a = channel.SoldOut
	}
	order := &tele.ReplyMarkup{}
	order.Inline(order.Row(order.URL(h.Texts.T(r.Lang, "post.order_button"), "https://t.me/"+h.BotUsername)))
	if a != channel.Available {
		order = nil
	}
	caption := r.Caption(it, a)
	photos := draftPhotos{h: h, draft: d}
	if len(it.Photos) == 1 {
		if _, err := h.sendPhotosFrom(c, photos, it, caption, order); err != nil {
			return err
		}
	} else {
		if _, err := h.sendPhotosFrom(c, photos, it, caption, nil); err != nil {
			return err
		}
		var err error
		if order != nil {
			_, err = c.Bot().Send(c.Chat(), r.ButtonText(it, a), order)
		} else {
			_, err = c.Bot().Send(c.Chat(), r.ButtonText(it, a))
		}
		if err != nil {
			return err
		}
	}
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(
		m.Data(h.t(c, "newitem.save_button"), UniqueNewItem, niSave),
		m.Data(h.t(c, "newitem.edit_button"), UniqueNewItem, niEdit),
		m.Data(h.t(c, "newitem.discard_button"), UniqueNewItem, niDiscard),
	))
	return c.Send(h.t(c, "newitem.preview"), m)
}

// photoFileID is the file id to send the photo by as a photo. An image sent as a file has
// a document's id, which Telegram refuses for a photo: it must be uploaded.
func (p DraftPhoto) photoFileID() string {
	if p.Document {
		return ""
	}
	return p.FileID
}

// draftPhotos gives the bytes of a draft's photos, fetched from Telegram, to send them.
type draftPhotos struct {
	h     *Handlers
	draft *ItemDraft
}

func (d draftPhotos) PhotoData(ctx context.Context, photoID int64) ([]byte, error) {
	i := int(-photoID - 1)
	if i < 0 || i >= len(d.draft.Photos) {
		return nil, fmt.Errorf("handlers: draft photo %d: %w", photoID, catalog.ErrNotFound)
	}
	return d.h.Files.Download(ctx, d.draft.Photos[i].FileID)
}

func (d draftPhotos) SetPhotoFileID(context.Context, int64, string, string) error { return nil }

// downloadPhotos fetches the draft's photos from Telegram to store them.
func (h *Handlers) downloadPhotos(c tele.Context, d *ItemDraft) ([]catalog.NewPhoto, bool, error) {
	var out []catalog.NewPhoto
	for _, p := range d.Photos {
		data, err := h.Files.Download(h.req(c).ctx, p.FileID)
		if err != nil {
			return nil, false, err
		}
		mime := http.DetectContentType(data)
		if !isImageMIME(mime) {
			return nil, false, nil
		}
		out = append(out, catalog.NewPhoto{Data: data, MIME: mime, FileID: p.photoFileID(), FileUniqueID: p.UniqueID})
	}
	return out, true, nil
}

// replacePhotos stores new photos for an item not posted yet.
func (h *Handlers) replacePhotos(c tele.Context) error {
	s := h.session(c)
	photos, ok, err := h.downloadPhotos(c, s.Item)
	if err != nil {
		return err
	}
	if !ok {
		return c.Send(h.t(c, "newitem.photo_expected"))
	}
	id := s.EditItem
	switch err := h.Catalog.ReplacePhotos(h.req(c).ctx, id, photos); {
	case errors.Is(err, catalog.ErrPosted):
		s.Reset()
		return c.Send(h.t(c, "items.photos_posted"))
	case errors.Is(err, catalog.ErrNotFound):
		s.Reset()
		return c.Send(h.t(c, "items.gone"))
	case err != nil:
		return err
	}
	s.Reset()
	h.committed(c)
	if err := c.Send(h.t(c, "items.saved")); err != nil {
		return err
	}
	return h.refreshItemCard(c, id)
}

// saveItem fetches the photos' bytes from Telegram and stores the item, all or nothing.
func (h *Handlers) saveItem(c tele.Context) error {
	s := h.session(c)
	d := s.Item
	ctx := h.req(c).ctx
	week, live, err := h.weekForNewItems(c)
	if err != nil {
		return err
	}
	n := catalog.NewItem{Title: d.Title, Description: d.Description, Price: d.Price, Currency: h.Currency, Variants: d.Variants, Key: d.Key}
	photos, ok, err := h.downloadPhotos(c, d)
	if err != nil {
		return err
	}
	if !ok {
		return c.Send(h.t(c, "newitem.photo_expected"))
	}
	n.Photos = photos
	if _, err := h.Catalog.CreateItem(ctx, week.ID, n); err != nil {
		return err
	}
	s.dropItem()
	h.committed(c)
	if live {
		h.kick()
		return c.Send(h.t(c, "newitem.saved_live", locale.Args{"Week": week.Title}))
	}
	items, err := h.Catalog.Items(ctx, week.ID, true)
	if err != nil {
		return err
	}
	return c.Send(h.Texts.N(h.lang(c), "newitem.saved_upcoming", len(items), locale.Args{"Week": week.Title}))
}

// weekForNewItems is the week being prepared; when there is none but a week is live,
// the live one (the item is posted at once, for sellers who post as stock arrives);
// when there is neither, a new draft.
func (h *Handlers) weekForNewItems(c tele.Context) (w catalog.Week, live bool, err error) {
	ctx := h.req(c).ctx
	w, err = h.Catalog.UpcomingWeek(ctx)
	if err == nil || !errors.Is(err, catalog.ErrNotFound) {
		return w, false, err
	}
	w, err = h.Catalog.LiveWeek(ctx)
	if err == nil && w.Open(h.Now()) {
		return w, true, nil
	}
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return w, false, err
	}
	w, err = h.Catalog.CreateWeek(ctx, h.defaultWeekTitle(), nil, nil)
	if errors.Is(err, catalog.ErrWeekExists) {
		w, err = h.Catalog.UpcomingWeek(ctx)
	}
	return w, false, err
}

func (h *Handlers) kick() {
	if h.Kick != nil {
		h.Kick()
	}
}

// channelRenderer writes as the channel posts do: in the shop's default language.
func (h *Handlers) channelRenderer() channel.Renderer {
	return h.renderer(h.DefaultLanguage)
}

func (h *Handlers) renderer(lang string) channel.Renderer {
	return channel.Renderer{Texts: h.Texts, Lang: lang, BotUsername: h.BotUsername, Location: h.Location}
}

// sendPhotos sends an item's photos to the person, with caption and buttons when it is one.
func (h *Handlers) sendPhotos(c tele.Context, it catalog.Item, caption string, markup *tele.ReplyMarkup) ([]tele.Message, error) {
	return h.sendPhotosFrom(c, h.Catalog, it, caption, markup)
}

func (h *Handlers) sendPhotosFrom(c tele.Context, store channel.PhotoStore, it catalog.Item, caption string, markup *tele.ReplyMarkup) ([]tele.Message, error) {
	direct := func(_ context.Context, call func() error) error { return call() }
	return channel.SendPhotos(h.req(c).ctx, c.Bot(), store, c.Chat(), it.Photos, caption, markup, direct)
}
