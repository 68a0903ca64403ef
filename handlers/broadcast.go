package handlers

import (
	"crypto/rand"
	"html"
	"strconv"
	"strings"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
)

// UniqueBroadcast is the family of the broadcast's buttons: send, cancel.
const UniqueBroadcast = "bc"

// Broadcast starts a message to every customer.
func (h *Handlers) Broadcast(c tele.Context) error {
	s := h.session(c)
	s.Reset()
	s.Step = StepBroadcast
	if text := commandArg(c.Text()); text != "" {
		return h.previewBroadcast(c, &BroadcastDraft{Token: rand.Text()[:10], Text: html.EscapeString(text)})
	}
	return c.Send(h.t(c, "broadcast.prompt"))
}

// broadcastMessage takes the message — text, or a photo with a caption — and previews it
// as customers will get it, with how many will.
func (h *Handlers) broadcastMessage(c tele.Context) error {
	m := c.Message()
	if h.albumAnswered(c) {
		return nil
	}
	if m.AlbumID != "" {
		// A broadcast carries one photo: an album is answered once, and not previewed.
		return c.Send(h.t(c, "broadcast.one_photo"))
	}
	d := &BroadcastDraft{Token: rand.Text()[:10]}
	switch {
	case m.Photo != nil:
		if utf8.RuneCountInString(m.Caption) > 1024 {
			return c.Send(h.t(c, "broadcast.too_long", locale.Args{"Max": 1024}))
		}
		d.PhotoFileID, d.Text = m.Photo.FileID, html.EscapeString(m.Caption)
	case m.Text != "":
		d.Text = html.EscapeString(m.Text)
	default:
		return c.Send(h.t(c, "broadcast.prompt"))
	}
	return h.previewBroadcast(c, d)
}

// previewBroadcast shows the broadcast d as customers will get it, with how many will,
// and the buttons to send it or drop it.
func (h *Handlers) previewBroadcast(c tele.Context, d *BroadcastDraft) error {
	s := h.session(c)
	s.Broadcast = d
	if d.PhotoFileID != "" {
		if _, err := c.Bot().Send(c.Chat(), &tele.Photo{File: tele.File{FileID: d.PhotoFileID}, Caption: d.Text}); err != nil {
			return err
		}
	} else if err := c.Send(d.Text); err != nil {
		return err
	}
	n, err := h.recipients(c)
	if err != nil {
		return err
	}
	mk := &tele.ReplyMarkup{}
	mk.Inline(mk.Row(mk.Data(h.t(c, "broadcast.send_button"), UniqueBroadcast, "send|"+d.Token),
		mk.Data(h.t(c, "broadcast.cancel_button"), UniqueBroadcast, "cancel|"+d.Token)))
	return c.Send(h.Texts.N(h.lang(c), "broadcast.preview", n), mk)
}

// recipients counts the customers a broadcast reaches now.
func (h *Handlers) recipients(c tele.Context) (int, error) {
	return h.Orders.Reachable(h.req(c).ctx, h.AdminIDs)
}

// BroadcastButton sends or drops the previewed broadcast.
func (h *Handlers) BroadcastButton(c tele.Context) error {
	s := h.session(c)
	d := s.Broadcast
	action, token, _ := strings.Cut(c.Callback().Data, "|")
	if d == nil || token != d.Token {
		// A preview replaced by a newer one: only the newest one's buttons act.
		return h.Stale(c)
	}
	if action == "cancel" {
		s.Reset()
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "broadcast.cancelled"))
	}
	if action != "send" {
		return h.Stale(c)
	}
	ctx := h.req(c).ctx
	// The preview's token keys the broadcast: a Send handled again queues nothing more.
	id, total, err := h.Outbox.Broadcast(ctx, c.Sender().ID, h.AdminIDs, strconv.FormatInt(c.Sender().ID, 10)+":"+d.Token, d.Text, d.PhotoFileID)
	if err != nil {
		return err
	}
	s.Reset()
	h.committed(c)
	if err := h.respond(c); err != nil {
		return err
	}
	// The buttons have done their job: a second tap must not send it twice.
	if _, err := c.Bot().EditReplyMarkup(c.Callback().Message, nil); err != nil && !channel.NotModified(err) {
		h.Log.Warn("remove broadcast buttons", "err", err)
	}
	msg, err := c.Bot().Send(c.Chat(), h.t(c, "broadcast.progress", locale.Args{"Sent": 0, "Total": total, "Blocked": 0}))
	if err != nil {
		return err
	}
	if err := h.Outbox.SetBroadcastProgress(ctx, id, msg.ID); err != nil {
		return err
	}
	h.notify()
	return nil
}
