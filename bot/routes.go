package bot

import (
	"context"
	"fmt"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/locale"
)

// route is one command: the route table feeds telebot's handlers, the command menus
// Telegram shows, and /help, so the three never disagree.
type route struct {
	command string // without the slash
	descID  string // text id of the description
	admin   bool
	handler tele.HandlerFunc
}

// callback is one family of inline buttons, by telebot's unique.
type callback struct {
	unique  string
	admin   bool
	handler tele.HandlerFunc
}

func routes(h *handlers.Handlers) []route {
	return []route{
		{"start", "cmd.start", false, h.Start},
		{"help", "cmd.help", false, h.Help},
		{"language", "cmd.language", false, h.Language},
		{"cancel", "cmd.cancel", false, h.Cancel},
		{"setpayment", "cmd.setpayment", true, h.SetPayment},
		{"setpickup", "cmd.setpickup", true, h.SetPickup},
	}
}

func callbacks(h *handlers.Handlers) []callback {
	return []callback{
		{handlers.UniqueMenu, false, h.Menu},
		{handlers.UniqueLanguage, false, h.SetLanguage},
	}
}

// Messages no step can use get a helpful answer rather than silence.
var unexpectedKinds = []string{
	tele.OnMedia, tele.OnContact, tele.OnLocation, tele.OnVenue, tele.OnDice, tele.OnPoll, tele.OnGame,
}

func (a *App) register(h *handlers.Handlers) {
	a.bot.Use(a.observe, h.Middleware)
	admin := a.bot.Group()
	admin.Use(h.AdminOnly)

	var cmds []handlers.Command
	for _, r := range routes(h) {
		if r.admin {
			admin.Handle("/"+r.command, r.handler)
		} else {
			a.bot.Handle("/"+r.command, r.handler)
		}
		cmds = append(cmds, handlers.Command{Name: r.command, DescID: r.descID, Admin: r.admin})
	}
	h.SetCommands(cmds)
	for _, cb := range callbacks(h) {
		endpoint := "\f" + cb.unique
		if cb.admin {
			admin.Handle(endpoint, cb.handler)
		} else {
			a.bot.Handle(endpoint, cb.handler)
		}
	}
	a.bot.Handle(tele.OnText, h.Text)
	a.bot.Handle(tele.OnCallback, h.Stale)
	for _, kind := range unexpectedKinds {
		a.bot.Handle(kind, h.Unexpected)
	}
}

// publishCommands sets the command menus: the customers' for everyone, and the customers'
// plus the sellers' in each seller's private chat, in every language.
func (a *App) publishCommands(ctx context.Context, h *handlers.Handlers) error {
	list := func(lang string, withAdmin bool) []tele.Command {
		var out []tele.Command
		for _, r := range routes(h) {
			if !r.admin || withAdmin {
				out = append(out, tele.Command{Text: r.command, Description: a.texts.T(lang, r.descID)})
			}
		}
		return out
	}
	for _, lang := range locale.Languages {
		code := lang
		if lang == a.cfg.DefaultLanguage {
			code = "" // the default list serves every language without its own
		}
		set := func(scope tele.CommandScope, cmds []tele.Command) error {
			params := map[string]any{"commands": cmds, "scope": scope}
			if code != "" {
				params["language_code"] = code
			}
			return a.call(ctx, "setMyCommands", params, nil)
		}
		if err := set(tele.CommandScope{Type: tele.CommandScopeDefault}, list(lang, false)); err != nil {
			return fmt.Errorf("customer menu (%s): %w", lang, err)
		}
		for _, id := range a.cfg.AdminIDs {
			if err := set(tele.CommandScope{Type: tele.CommandScopeChat, ChatID: id}, list(lang, true)); err != nil {
				return fmt.Errorf("seller menu (%s): %w", lang, err)
			}
		}
	}
	return nil
}
