package handlers

import (
	"regexp"
	"strings"
	"unicode"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/locale"
)

// Text dispatches free text on the conversation step.
func (h *Handlers) Text(c tele.Context) error {
	s := h.session(c)
	// A command the bot does not know is no answer (a name, an address, a price): the
	// question still stands.
	unknownCommand := func() error { return c.Send(h.t(c, "unknown.command_in_step")) }
	if sellerStep(s.Step) {
		// Sellers' routes are checked on the command; a seller removed from ADMIN_IDS
		// mid-conversation must not finish it.
		if !h.IsAdmin(c.Sender().ID) {
			s.dropItem()
			s.Shelved = nil
			return c.Send(h.t(c, "admin.only"))
		}
		if overwriteSteps[s.Step] && s.lapsed(h.Now()) {
			s.Reset()
			return c.Send(h.t(c, "step.expired"))
		}
		if isCommand(c.Text()) {
			return unknownCommand()
		}
		if newItemStep(s.Step) {
			return h.itemText(c)
		}
		switch s.Step {
		case StepSetPayment:
			return h.saveSetting(c, paymentForm)
		case StepSetPickup:
			return h.saveSetting(c, pickupForm)
		case StepEditPrice, StepEditTitle, StepEditDescription, StepEditStock, StepEditVariants:
			return h.editItemText(c)
		case StepWeekSchedule, StepWeekTitle, StepRule:
			return h.weekText(c)
		case StepDeskNote:
			return h.deskNote(c)
		case StepBroadcast:
			return h.broadcastMessage(c)
		case StepAnswer:
			return h.answerText(c)
		}
	}
	h.askLapsed(s)
	if s.Step != StepAsk { // where it goes to the shop as it is
		if shown, err := h.forwardedPost(c); shown {
			return err
		}
	}
	switch s.Step {
	case StepQuantity:
		if s.Pick != nil && strings.IndexFunc(c.Text(), unicode.IsDigit) >= 0 {
			return h.quantityText(c)
		}
		// Words, not a number: the customer moved on from the size they tapped.
		s.Pick, s.Step = nil, StepNone
	case StepCheckoutName, StepCheckoutPhone, StepCheckoutAddress, StepCheckoutNote, StepCheckoutSummary:
		if isCommand(c.Text()) {
			return unknownCommand()
		}
		return h.checkoutText(c)
	case StepAsk:
		if isCommand(c.Text()) {
			return unknownCommand()
		}
		return h.askText(c)
	}
	if isCommand(c.Text()) {
		return c.Send(h.t(c, "unknown.command"))
	}
	admin := h.IsAdmin(c.Sender().ID)
	if h.req(c).restarted {
		if admin {
			return c.Send(h.t(c, "session.restarted"), h.mainMenu(c))
		}
		// The words may be for the shop (a customer back after a week), or an answer to a
		// question asked before: said why no step takes them, they are offered all the same.
		if err := c.Send(h.t(c, "session.restarted")); err != nil {
			return err
		}
	}
	if !admin {
		return h.offerToSend(c)
	}
	return c.Send(h.t(c, "unknown.text"), h.mainMenu(c))
}

// isCommand reports whether text is a bot command: a slash, a command's name (a letter
// first: "/12 Lê Lợi" is an address), perhaps the bot's username, then nothing or words.
func isCommand(text string) bool { return commandRe.MatchString(text) }

var commandRe = regexp.MustCompile(`^/[A-Za-z][A-Za-z0-9_]{0,31}(@[A-Za-z0-9_]+)?(\s|$)`)

// commandArg is what follows the command in text ("/setpickup 12 Lê Lợi"), every line of it
// (telebot's Payload keeps the first line only): a command that asks a question takes it
// as the answer.
func commandArg(text string) string {
	end := commandRe.FindStringIndex(text)
	if end == nil {
		return ""
	}
	return strings.TrimSpace(text[end[1]:])
}

// sellerStep reports whether a step belongs to a sellers' conversation.
func sellerStep(s Step) bool {
	if newItemStep(s) {
		return true
	}
	switch s {
	case StepEditPrice, StepEditTitle, StepEditDescription, StepEditStock, StepEditVariants,
		StepWeekSchedule, StepWeekTitle, StepRule, StepSetPayment, StepSetPickup, StepDeskNote, StepBroadcast, StepAnswer:
		return true
	}
	return false
}

// Media takes photos and files where a step wants them, and answers them elsewhere.
func (h *Handlers) Media(c tele.Context) error {
	if relayed, err := h.relayedAlbum(c); relayed {
		return err
	}
	s := h.session(c)
	if s.Step == StepItemPhotos && h.IsAdmin(c.Sender().ID) {
		return h.itemPhoto(c)
	}
	if s.Step == StepBroadcast && h.IsAdmin(c.Sender().ID) {
		return h.broadcastMessage(c)
	}
	if s.Step == StepAnswer && h.IsAdmin(c.Sender().ID) {
		if h.askLapsed(s) {
			return c.Send(h.t(c, "step.expired"))
		}
		return h.answerMedia(c)
	}
	if s.Step == StepAsk && !h.askLapsed(s) {
		return h.askMedia(c)
	}
	if shown, err := h.forwardedPost(c); shown {
		return err
	}
	return h.receipt(c)
}

// forwardedPost shows the card of the item whose channel post the person forwarded (to
// book it, or to ask about it) and the catalog for another message of the shop's channel,
// as the post's Order link would; a checkout under way waits. It reports whether the
// message was such a forward.
func (h *Handlers) forwardedPost(c tele.Context) (bool, error) {
	chat, messageID := forwardedFrom(c.Message())
	if chat == nil || sellerStep(h.session(c).Step) {
		return false, nil // a seller's conversation goes on: its step answers
	}
	itemID, ours, err := h.Catalog.PostedItem(h.req(c).ctx, chat.ID, chat.Username, messageID)
	if err != nil || !ours {
		return err != nil, err
	}
	if h.albumAnswered(c) {
		return true, nil // one card for an album forwarded
	}
	s := h.session(c)
	s.pauseCheckout()
	s.Reset()
	return true, h.showCard(c, itemID)
}

// forwardedFrom is the channel and message a forwarded channel post came from, if it is
// one: from its origin, or from the fields Telegram used before Bot API 7.0.
func forwardedFrom(m *tele.Message) (*tele.Chat, int) {
	switch {
	case m == nil:
	case m.Origin != nil && m.Origin.Chat != nil:
		return m.Origin.Chat, m.Origin.MessageID
	case m.OriginalChat != nil:
		return m.OriginalChat, m.OriginalMessageID
	}
	return nil, 0
}

// forwarded reports whether a message is forwarded from elsewhere.
func forwarded(m *tele.Message) bool {
	return m.Origin != nil || m.OriginalSender != nil || m.OriginalChat != nil || m.OriginalSenderName != "" || m.OriginalUnixtime != 0
}

// Unexpected answers a kind of message the current step has no use for.
func (h *Handlers) Unexpected(c tele.Context) error {
	s := h.session(c)
	if h.albumAnswered(c) {
		return nil
	}
	if id := stepHint(s.Step); id != "" {
		return c.Send(h.t(c, id))
	}
	if h.req(c).restarted {
		return c.Send(h.t(c, "session.restarted"), h.mainMenu(c))
	}
	if m := c.Message(); s.Step == StepNone && m != nil && (m.Photo != nil || m.Document != nil && isImageMIME(m.Document.MIME)) && h.IsAdmin(c.Sender().ID) {
		// A seller's picture out of any step: an item's photo, likely.
		if s.Shelved != nil {
			return h.offerShelved(c)
		}
		return c.Send(h.t(c, "newitem.start_first"))
	}
	return c.Send(h.t(c, "unexpected.message"), h.mainMenu(c))
}

// albumAnswered reports whether the message is of an album answered already, and marks
// its album answered: one answer for a whole album, not one per photo.
func (h *Handlers) albumAnswered(c tele.Context) bool {
	m := c.Message()
	if m == nil || m.AlbumID == "" {
		return false
	}
	s := h.session(c)
	if m.AlbumID == s.IgnoredAlbum {
		return true
	}
	s.IgnoredAlbum = m.AlbumID
	return false
}

// stepHint names the message that says what a step waits for, for a step that waits for
// something typed or sent.
func stepHint(step Step) string {
	switch {
	case step == StepItemPhotos:
		return "newitem.photo_expected"
	case step == StepQuantity:
		return "cart.quantity_invalid"
	case step == StepCheckoutPhone:
		return "checkout.phone_invalid"
	case step == StepAsk, step == StepAnswer:
		return "ask.expected"
	case sellerStep(step) && step != StepItemPreview,
		step == StepCheckoutName, step == StepCheckoutAddress, step == StepCheckoutNote:
		return "expect.text"
	}
	return ""
}

// Edited answers a message the person edited: the bot reads what is sent, not edits, so
// what was first sent stands. The answer says where to change it instead: sent again, a
// correction would answer the question now standing (a checkout's, a new item's), or
// nothing at all (a seller's setting, saved).
func (h *Handlers) Edited(c tele.Context) error {
	if m := c.Message(); m != nil && m.Location != nil {
		return nil // a live location moving: Telegram sends each move as an edit
	}
	s := h.session(c)
	switch s.Step {
	case StepCheckoutName, StepCheckoutPhone, StepCheckoutAddress, StepCheckoutNote, StepCheckoutSummary:
		// Asked to send it again, the customer's correction would answer the question now
		// standing: the details are changed on the summary instead.
		button := locale.Plain(h.t(c, "checkout.edit_button"))
		if err := c.Send(h.t(c, "edited.checkout", locale.Args{"Button": button})); err != nil {
			return err
		}
		if s.Step == StepCheckoutSummary {
			return nil // the summary stands, with its button to change the details
		}
		return h.askCheckout(c)
	}
	switch {
	case !h.IsAdmin(c.Sender().ID), s.Step == StepBroadcast, s.Step == StepAnswer, s.Step == StepItemPhotos:
		// What is sent next is taken as the edit meant: the broadcast previewed again, another
		// message to the customer, another photo.
		return c.Send(h.t(c, "edited.not_read"))
	case newItemStep(s.Step):
		button := locale.Plain(h.t(c, "newitem.edit_button"))
		if err := c.Send(h.t(c, "edited.new_item", locale.Args{"Button": button})); err != nil {
			return err
		}
		return h.askItemStep(c, s.Step) // the question standing, again; none at the preview
	}
	return c.Send(h.t(c, "edited.seller"))
}
