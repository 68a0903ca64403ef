package handlers

import (
	"strings"

	tele "gopkg.in/telebot.v3"
)

// Text dispatches free text on the conversation step.
func (h *Handlers) Text(c tele.Context) error {
	switch h.session(c).Step {
	case StepSetPayment:
		return h.saveSetting(c, paymentForm)
	case StepSetPickup:
		return h.saveSetting(c, pickupForm)
	}
	if strings.HasPrefix(c.Text(), "/") {
		return c.Send(h.t(c, "unknown.command"))
	}
	return c.Send(h.t(c, "unknown.text"), h.mainMenu(c))
}

// Unexpected answers a kind of message the current step has no use for.
func (h *Handlers) Unexpected(c tele.Context) error {
	switch h.session(c).Step {
	case StepSetPayment, StepSetPickup:
		return c.Send(h.t(c, "expect.text"))
	}
	return c.Send(h.t(c, "unexpected.message"), h.mainMenu(c))
}
