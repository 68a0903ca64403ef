package handlers

import (
	"context"
	"errors"
	"html"
	"strings"
	"unicode"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

// A shop setting the sellers edit by conversation: the command asks, the next text saves
// (off removes it).
type settingForm struct {
	step      Step
	key       string
	prompt    string
	savedID   string
	removedID string
}

var (
	paymentForm = settingForm{StepSetPayment, orders.SettingPaymentInstructions, "setpayment.prompt", "setpayment.saved", "setpayment.removed"}
	pickupForm  = settingForm{StepSetPickup, orders.SettingPickup, "setpickup.prompt", "setpickup.saved", "setpickup.removed"}
)

// SetPayment asks a seller for the payment instructions: for everyone, or with a
// language code (/setpayment ar) for the customers who speak it. Text after the language
// code is the answer (/setpayment vi Vietcombank…); without a language code, the
// instructions are asked for on their own, so that a mistyped code is not saved as them.
func (h *Handlers) SetPayment(c tele.Context) error {
	f := paymentForm
	if arg := commandArg(c.Text()); arg != "" {
		lang, text := arg, ""
		if i := strings.IndexFunc(arg, unicode.IsSpace); i >= 0 {
			lang, text = arg[:i], strings.TrimSpace(arg[i:])
		}
		if arg == "-" || isOff(arg) {
			return h.answerSetting(c, f, arg) // the instructions for everyone removed
		}
		if lang = strings.ToLower(lang); !locale.Supported(lang) {
			return c.Send(h.t(c, "setpayment.usage", locale.Args{"Languages": strings.Join(locale.Languages, ", ")}))
		}
		f.key = orders.PaymentKey(lang)
		if text != "" {
			return h.answerSetting(c, f, text)
		}
	}
	return h.askSetting(c, f)
}

// SetPickup asks a seller for the pickup address and hours; text after the command is the
// answer.
func (h *Handlers) SetPickup(c tele.Context) error {
	if text := commandArg(c.Text()); text != "" {
		return h.answerSetting(c, pickupForm, text)
	}
	return h.askSetting(c, pickupForm)
}

// answerSetting saves text given with the setting's command, as the answer to its question.
func (h *Handlers) answerSetting(c tele.Context, f settingForm, text string) error {
	h.settingStep(c, f)
	return h.saveSettingText(c, f, text)
}

// settingStep puts the seller at the step that saves the setting of f.
func (h *Handlers) settingStep(c tele.Context, f settingForm) {
	s := h.session(c)
	s.Reset()
	s.Step, s.SettingKey = f.step, f.key
}

func (h *Handlers) askSetting(c tele.Context, f settingForm) error {
	current, err := h.Shop.Setting(h.req(c).ctx, f.key)
	if err != nil && !errors.Is(err, orders.ErrNotFound) {
		return err
	}
	var b strings.Builder
	b.WriteString(h.t(c, f.prompt))
	b.WriteString("\n\n")
	if current == "" {
		b.WriteString(h.t(c, "settings.none"))
	} else {
		b.WriteString(h.t(c, "settings.current"))
		b.WriteString("\n")
		b.WriteString(html.EscapeString(current))
	}
	overrides, err := h.paymentOverrides(c, f.key)
	if err != nil {
		return err
	}
	b.WriteString(overrides)
	b.WriteString("\n\n")
	if current == "" {
		b.WriteString(h.t(c, "settings.cancel_hint"))
	} else {
		b.WriteString(h.t(c, "settings.remove_hint"))
	}
	h.settingStep(c, f)
	return c.Send(b.String())
}

// paymentOverrides tells, for the payment instructions for everyone (key), which
// languages' customers see instructions of their own instead; "" for any other setting,
// or when none do.
func (h *Handlers) paymentOverrides(c tele.Context, key string) (string, error) {
	if key != orders.SettingPaymentInstructions {
		return "", nil
	}
	all, err := h.Shop.Settings(h.req(c).ctx)
	if err != nil {
		return "", err
	}
	var langs []string
	for _, l := range locale.Languages {
		if _, ok := all[orders.PaymentKey(l)]; ok {
			langs = append(langs, l)
		}
	}
	if len(langs) == 0 {
		return "", nil
	}
	return "\n\n" + h.t(c, "setpayment.overrides", locale.Args{"Languages": strings.Join(langs, ", ")}), nil
}

func (h *Handlers) saveSetting(c tele.Context, f settingForm) error {
	return h.saveSettingText(c, f, strings.TrimSpace(c.Text()))
}

func (h *Handlers) saveSettingText(c tele.Context, f settingForm, text string) error {
	key := f.key
	if k := h.session(c).SettingKey; k != "" {
		key = k
	}
	ctx := h.req(c).ctx
	remove := isOff(text) || text == "-"
	var err error
	if remove {
		err = h.Shop.DeleteSetting(ctx, key)
	} else {
		err = h.Shop.SetSetting(ctx, key, text, c.Sender().ID)
	}
	h.settings.forget() // whatever the outcome: the stored value is not known here
	if errors.Is(err, orders.ErrTooLong) {
		return c.Send(h.t(c, "settings.too_long", locale.Args{"Max": orders.MaxSettingLength}))
	}
	if err != nil {
		return err
	}
	h.session(c).Reset()
	if lang, ok := strings.CutPrefix(key, orders.PaymentKey("")); ok && remove {
		return c.Send(h.t(c, "setpayment.removed_lang", locale.Args{"Code": lang}))
	}
	overrides, err := h.paymentOverrides(c, key)
	if err != nil {
		return err
	}
	if remove {
		return c.Send(h.t(c, f.removedID) + overrides)
	}
	return c.Send(h.t(c, f.savedID) + overrides)
}

// setting returns a shop setting, or else the first of the fallbacks that is set, or
// orders.ErrNotFound. Customers' steps need them (the pickup address, the payment
// instructions) and sellers rarely change them, so they are kept for keptFor; a change
// through this process is seen at once.
func (h *Handlers) setting(ctx context.Context, key string, fallbacks ...string) (string, error) {
	all, gen := h.settings.get()
	if all == nil {
		var err error
		if all, err = h.Shop.Settings(ctx); err != nil {
			return "", err
		}
		h.settings.put(all, gen)
	}
	for _, k := range append([]string{key}, fallbacks...) {
		if v, ok := all[k]; ok {
			return v, nil
		}
	}
	return "", orders.ErrNotFound
}
