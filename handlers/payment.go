package handlers

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// UniqueReceipt is the family of "this receipt pays order …" buttons; data: orderID|token.
const UniqueReceipt = "rc"

// maxReceiptBytes is what Telegram lets a bot download.
const maxReceiptBytes = 20 << 20

// receipt takes a payment receipt: a photo, or an image or PDF sent as a file. With one
// order waiting for payment it pays that one; with several the customer picks.
func (h *Handlers) receipt(c tele.Context) error {
	m := c.Message()
	var r DraftPhoto
	var size int64
	switch {
	case m.Photo != nil:
		r = DraftPhoto{FileID: m.Photo.FileID, UniqueID: m.Photo.UniqueID, MIME: "image/jpeg"}
		size = m.Photo.FileSize
	case m.Document != nil && (isImageMIME(m.Document.MIME) || m.Document.MIME == "application/pdf"):
		r = DraftPhoto{FileID: m.Document.FileID, UniqueID: m.Document.UniqueID, MIME: m.Document.MIME, Document: true}
		size = m.Document.FileSize
	}
	if more, err := h.albumReceipt(c, r, size); more {
		return err
	}
	// The orders a receipt could pay, and those that expired unpaid lately: a payment made
	// just too late is kept with its order for the sellers, not lost, nor taken for another.
	waiting, err := h.Orders.AwaitingPayment(h.req(c).ctx, c.Sender().ID, h.lateSince())
	if err != nil {
		return err
	}
	open := slices.IndexFunc(waiting, func(o orders.Order) bool { return o.Status == orders.Expired })
	if open < 0 {
		open = len(waiting)
	}
	if r.FileID == "" {
		waiting = waiting[:open] // no receipt: the expired ones are of no concern
	}
	// Where the checkout waits for words, a picture may be the answer wrongly sent (a map
	// for the address): a receipt only if the customer says so, and no other kind of file.
	atCheckout := checkoutStep(h.session(c).Step) && stepHint(h.session(c).Step) != ""
	if atCheckout && (open == 0 || r.FileID == "") {
		return h.Unexpected(c) // nothing to pay (a late receipt waits for the checkout's end)
	}
	if len(waiting) == 0 {
		if m.Photo != nil && !h.IsAdmin(c.Sender().ID) {
			// A photo for the shop, likely ("do you have this?"): the way to send it.
			if h.albumAnswered(c) {
				return nil
			}
			return c.Send(h.t(c, "ask.photo_hint"), h.mainMenu(c))
		}
		return h.Unexpected(c)
	}
	if r.FileID == "" {
		// Another kind of file, from someone with an order to pay: a receipt, likely.
		if h.albumAnswered(c) {
			return nil
		}
		return c.Send(h.t(c, "receipt.wrong_kind"))
	}
	if size > maxReceiptBytes {
		return c.Send(h.t(c, "receipt.too_big"))
	}
	caption := strings.TrimSpace(m.Caption)
	late := open == 0 // every one expired
	// A picture forwarded from another chat may be a receipt someone else passed on, or
	// anything else: the customer says which by picking its order. So they do when an
	// order expired lately beside the one waiting: the picture may pay either.
	fromElsewhere := forwarded(m)
	if len(waiting) == 1 && !late && !fromElsewhere && !atCheckout {
		stored, err := h.attachReceipt(c, waiting[0].ID, r, caption, false)
		if stored && m.AlbumID != "" {
			h.session(c).ReceiptAlbum = &ReceiptAlbum{ID: m.AlbumID, OrderID: waiting[0].ID}
		}
		return err
	}
	// Each picture waits with a token of its own, which its question's buttons carry: a
	// second receipt sent before the first question is answered waits beside it. An
	// album's other pictures wait with its first (albumReceipt): one question for them all.
	s := h.session(c)
	token := rand.Text()[:10]
	s.PendingReceipts = append(s.PendingReceipts, PendingReceipt{Token: token, Photo: r, Caption: caption, Album: m.AlbumID})
	if n := len(s.PendingReceipts); n > maxPendingReceipts {
		s.PendingReceipts = s.PendingReceipts[n-maxPendingReceipts:]
	}
	mk := &tele.ReplyMarkup{}
	var rows []tele.Row
	for _, o := range waiting {
		label := fmt.Sprintf("%s — %s", o.Code, money.Format(o.Total, o.Currency))
		if o.Status == orders.Expired {
			label += " ⌛" // as the expiry notice marks it
		}
		rows = append(rows, mk.Row(mk.Data(label, UniqueReceipt, strconv.FormatInt(o.ID, 10)+"|"+token)))
	}
	mk.Inline(rows...)
	switch {
	case late:
		// Nothing waits for payment: the picture may be no receipt at all, so the
		// customer says it is one by picking its order.
		return c.Send(h.t(c, "receipt.which_late"), mk)
	case atCheckout:
		return c.Send(h.t(c, "receipt.which_at_checkout"), mk)
	case fromElsewhere:
		return c.Send(h.t(c, "receipt.which_forwarded"), mk)
	}
	return c.Send(h.t(c, "receipt.which"), mk)
}

// maxPendingReceipts is how many receipts may wait for their order to be picked.
const maxPendingReceipts = 5

// ReceiptButton attaches the waiting receipt whose question the button is on to the
// order the customer picked: an album's every picture. Once its first is stored, the
// album is that order's: should a later one fail, a press on any of the question's buttons
// attaches the rest to it.
func (h *Handlers) ReceiptButton(c tele.Context) error {
	s := h.session(c)
	idText, token, _ := strings.Cut(c.Callback().Data, "|")
	id, err := strconv.ParseInt(idText, 10, 64)
	at := slices.IndexFunc(s.PendingReceipts, func(p PendingReceipt) bool { return p.Token == token })
	if err != nil || at < 0 {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	p := &s.PendingReceipts[at]
	var answerErr error
	resumed := p.OrderID != 0
	if resumed {
		id = p.OrderID
	} else {
		stored, err := h.attachReceipt(c, id, p.Photo, p.Caption, false)
		if !stored {
			return err // the question's orders may still be picked
		}
		p.OrderID = id
		answerErr = err // the answer failed: the rest is the order's all the same
	}
	for len(p.More) > 0 {
		if _, err := h.attachReceipt(c, id, p.More[0].Photo, p.More[0].Caption, true); err != nil {
			return err
		}
		p.More = p.More[1:]
	}
	if p.Album != "" {
		s.ReceiptAlbum = &ReceiptAlbum{ID: p.Album, OrderID: id}
	}
	s.PendingReceipts = slices.Delete(s.PendingReceipts, at, at+1)
	if resumed {
		o, err := h.Orders.Order(h.req(c).ctx, id)
		if err != nil {
			return err
		}
		return c.Send(h.t(c, "receipt.received", locale.Args{"Code": o.Code}))
	}
	return answerErr
}

// ReceiptAlbum is the album whose first picture was stored as a receipt: its other
// pictures are more of it, for the same order, and the customer is answered once.
type ReceiptAlbum struct {
	ID      string `json:"id"`
	OrderID int64  `json:"order"`
}

// albumReceipt takes a picture of an album whose first picture is a receipt already
// (stored, or waiting for the customer to say which order it pays): more of the same
// receipt, for the same order, with no answer of its own. more reports whether it was.
// A file of another kind among the pictures is answered once for the album.
func (h *Handlers) albumReceipt(c tele.Context, r DraftPhoto, size int64) (more bool, err error) {
	m := c.Message()
	if m.AlbumID == "" {
		return false, nil
	}
	s := h.session(c)
	order := int64(0)
	pending := slices.IndexFunc(s.PendingReceipts, func(p PendingReceipt) bool { return p.Album == m.AlbumID })
	switch {
	case s.ReceiptAlbum != nil && s.ReceiptAlbum.ID == m.AlbumID && !forwarded(m):
		// (Pictures forwarded from the album later are asked about, as any forward is.)
		order = s.ReceiptAlbum.OrderID
	case pending >= 0:
		order = s.PendingReceipts[pending].OrderID // 0 until the customer picks it
	default:
		return false, nil
	}
	caption := strings.TrimSpace(m.Caption)
	switch {
	case r.FileID == "":
		if h.albumAnswered(c) {
			return true, nil
		}
		return true, c.Send(h.t(c, "receipt.wrong_kind"))
	case size > maxReceiptBytes:
		return true, c.Send(h.t(c, "receipt.too_big"))
	case order == 0:
		s.PendingReceipts[pending].More = append(s.PendingReceipts[pending].More, PendingPicture{Photo: r, Caption: caption})
		return true, nil
	}
	_, err = h.attachReceipt(c, order, r, caption, true)
	return true, err
}

// lateReceipts is how long after an order's deadline a receipt sent for no order waiting
// is taken as its late payment.
const lateReceipts = 7 * 24 * time.Hour

// lateSince is the deadline after which an order expired unpaid still takes a receipt.
func (h *Handlers) lateSince() time.Time { return h.Now().Add(-lateReceipts) }

// attachReceipt stores the receipt with the order and tells the customer, and the
// sellers, with the customer's words that came with it (caption); stored says whether it
// was (not for an order no longer waiting for a payment). One for an order that expired
// before it came (even while it was being sent) is kept as late: the sellers are asked
// to settle it with the customer. more is another picture of a receipt stored already (an
// album's): the sellers get it as such, and the customer no answer; one for an order
// settled meanwhile is dropped without a word.
func (h *Handlers) attachReceipt(c tele.Context, orderID int64, r DraftPhoto, caption string, more bool) (stored bool, err error) {
	ctx := h.req(c).ctx
	data, err := h.Files.Download(ctx, r.FileID)
	if err != nil {
		return false, err
	}
	mime := r.MIME
	if detected := http.DetectContentType(data); detected == "application/pdf" || strings.HasPrefix(detected, "image/") {
		mime = detected
	}
	admins, err := h.adminLangs(c)
	if err != nil {
		return false, err
	}
	o, rec, err := h.Orders.AddReceipt(ctx, orders.NewReceipt{
		OrderID: orderID, CustomerID: c.Sender().ID, Data: data, MIME: mime,
		FileID: r.FileID, FileUniqueID: r.UniqueID, AsDocument: r.Document, LateSince: h.lateSince(), More: more,
		Notices: func(o orders.Order, rec orders.Receipt) []outbox.Message {
			return h.receiptNotices(o, rec, admins, caption, more && !rec.Moved)
		},
	})
	switch {
	case errors.Is(err, orders.ErrNotFound):
		return false, c.Send(h.t(c, "orders.not_found"))
	case errors.Is(err, orders.ErrTransition) && more:
		return false, nil // the order was settled meanwhile: said once, by its own notice
	case errors.Is(err, orders.ErrTransition):
		return false, c.Send(h.t(c, "receipt.not_awaiting", locale.Args{"Code": o.Code}))
	case err != nil:
		return false, err
	}
	h.committed(c)
	if !rec.Repeated {
		h.notify()
	}
	if more && !rec.Moved {
		return true, nil
	}
	// A later picture of an album that finds its order waiting again (the sellers rejected
	// the first meanwhile) starts a submission of its own, and is answered as one.
	if o.Status == orders.Expired {
		return true, c.Send(h.t(c, "receipt.late", locale.Args{"Code": o.Code}))
	}
	return true, c.Send(h.t(c, "receipt.received", locale.Args{"Code": o.Code}))
}
