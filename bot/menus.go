package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

// menus sets the command menus Telegram shows: the customers' for everyone, in each
// language, and a menu of their own in a person's chat: a seller's, with the sellers'
// commands, and that of anyone who picked a language with /language, in it whatever
// their app's (Telegram otherwise follows the app's). What each person's chat was given
// is recorded (orders.Customer.Menu), so it is set again only when it changes: a new
// release's commands, another language, a seller no longer one.
type menus struct {
	a       *App
	h       *handlers.Handlers
	shop    *orders.Store
	version string // of every list, in every language
}

func newMenus(a *App, h *handlers.Handlers, shop *orders.Store) *menus {
	m := &menus{a: a, h: h, shop: shop}
	sum := fnv.New64a()
	sum.Write([]byte(a.cfg.DefaultLanguage)) // whose list is set without a language
	for _, lang := range locale.Languages {
		for _, seller := range []bool{false, true} {
			b, _ := json.Marshal(m.list(lang, seller))
			sum.Write(b)
		}
	}
	m.version = strconv.FormatUint(sum.Sum64(), 36)
	return m
}

// list is the menu of one language: the customers' commands, and the sellers' too.
func (m *menus) list(lang string, seller bool) []tele.Command {
	var out []tele.Command
	for _, r := range routes(m.h) {
		if !r.admin || seller {
			out = append(out, tele.Command{Text: r.command, Description: m.a.texts.T(lang, r.descID)})
		}
	}
	return out
}

// publish sets the customers' menu, and each seller's whose chat does not have the
// current one. Telegram refuses a chat's menu for a seller who never opened the bot;
// theirs is set when they first write.
func (m *menus) publish(ctx context.Context) error {
	err := m.set(ctx, tele.CommandScope{Type: tele.CommandScopeDefault}, func(lang string) []tele.Command { return m.list(lang, false) })
	if err != nil {
		return fmt.Errorf("customer menu: %w", err)
	}
	known, err := m.shop.Customers(ctx, m.a.cfg.AdminIDs)
	if err != nil {
		m.a.log.Warn("sellers' menus: setting them all", "err", err)
	}
	for _, id := range m.a.cfg.AdminIDs {
		c := orders.Customer{ID: id, Menu: "?"} // not known: set it
		if i := slices.IndexFunc(known, func(c orders.Customer) bool { return c.ID == id }); i >= 0 {
			c = known[i]
		}
		if !m.stale(c) {
			continue
		}
		if err := m.chat(ctx, id, c.Language); err != nil {
			m.a.log.Info("seller menu not set yet; it will be when they write to the bot", "user_id", id, "err", err)
		}
	}
	return nil
}

// key is what the chat of the person with id, who picked lang ("" for none), should be
// given; "" when nothing (the customers' menu serves).
func (m *menus) key(id int64, lang string) string {
	seller := slices.Contains(m.a.cfg.AdminIDs, id)
	if !seller && lang == "" {
		return ""
	}
	return fmt.Sprintf("%s/%s/%t", m.version, lang, seller)
}

// stale reports whether c's chat lacks the menu it should have.
func (m *menus) stale(c orders.Customer) bool { return c.Menu != m.key(c.ID, c.Language) }

// chat gives the chat of the person with id the menu it should have, picked being the
// language they picked ("" for none), and records it.
func (m *menus) chat(ctx context.Context, id int64, picked string) error {
	scope := tele.CommandScope{Type: tele.CommandScopeChat, ChatID: id}
	key := m.key(id, picked)
	var err error
	if key == "" {
		err = m.each(func(params map[string]any) error {
			params["scope"] = scope
			return m.a.call(ctx, "deleteMyCommands", params, nil)
		})
	} else {
		seller := slices.Contains(m.a.cfg.AdminIDs, id)
		err = m.set(ctx, scope, func(lang string) []tele.Command {
			if picked != "" {
				lang = picked
			}
			return m.list(lang, seller)
		})
	}
	if err != nil {
		return err
	}
	return m.shop.SetMenu(ctx, id, key)
}

// set stores one menu in every language (each).
func (m *menus) set(ctx context.Context, scope tele.CommandScope, list func(lang string) []tele.Command) error {
	return m.each(func(params map[string]any) error {
		lang, _ := params["language_code"].(string)
		if lang == "" {
			lang = m.a.cfg.DefaultLanguage
		}
		params["commands"], params["scope"] = list(lang), scope
		if err := m.a.call(ctx, "setMyCommands", params, nil); err != nil {
			return fmt.Errorf("setMyCommands (%s): %w", lang, err)
		}
		return nil
	})
}

// each calls f with the parameters naming each list: one per language, and one without a
// language (the default language's), which serves the rest. Every one is written each
// time, so none is left from before (another default language, say).
func (m *menus) each(f func(params map[string]any) error) error {
	if err := f(map[string]any{}); err != nil {
		return err
	}
	for _, lang := range locale.Languages {
		if err := f(map[string]any{"language_code": lang}); err != nil {
			return err
		}
	}
	return nil
}
