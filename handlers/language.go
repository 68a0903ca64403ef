package handlers

import (
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/locale"
)

// Language shows the language picker.
func (h *Handlers) Language(c tele.Context) error {
	return h.sendLanguagePicker(c)
}

func (h *Handlers) sendLanguagePicker(c tele.Context) error {
	m := &tele.ReplyMarkup{}
	var row tele.Row
	for _, lang := range locale.Languages {
		row = append(row, m.Data(h.Texts.T(lang, "language.name"), UniqueLanguage, lang))
	}
	m.Inline(row)
	return c.Send(h.t(c, "language.choose"), m)
}

// SetLanguage stores the picked language, answers in it, and shows the person's command
// menu in it too (Telegram's menus otherwise follow the language of their app).
func (h *Handlers) SetLanguage(c tele.Context) error {
	lang := c.Callback().Data
	if !locale.Supported(lang) {
		return h.Stale(c)
	}
	r := h.req(c)
	if err := h.Shop.SetLanguage(r.ctx, c.Sender().ID, lang); err != nil {
		return err
	}
	h.seen(c.Sender().ID)
	h.session(c).Lang = lang
	if err := h.respond(c); err != nil {
		return err
	}
	if err := h.editOrSend(c, h.t(c, "language.set"), nil); err != nil {
		return err
	}
	err := h.greet(c)
	// Last: the person has their answer while the menu's three calls go out.
	h.setMenu(r.ctx, c.Sender().ID, lang)
	return err
}
