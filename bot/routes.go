package bot

import (
	"context"
	"fmt"
	"slices"

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
		{"catalog", "cmd.catalog", false, h.Browse},
		{"cart", "cmd.cart", false, h.ShowCart},
		{"orders", "cmd.orders", false, h.OrderList},
		{"help", "cmd.help", false, h.Help},
		{"language", "cmd.language", false, h.Language},
		{"cancel", "cmd.cancel", false, h.Cancel},
		{"newitem", "cmd.newitem", true, h.NewItem},
		{"items", "cmd.items", true, h.Items},
		{"week", "cmd.week", true, h.Week},
		{"schedule", "cmd.schedule", true, h.Schedule},
		{"order", "cmd.order", true, h.Order},
		{"find", "cmd.find", true, h.Find},
		{"purchases", "cmd.purchases", true, h.Purchases},
		{"stats", "cmd.stats", true, h.Stats},
		{"broadcast", "cmd.broadcast", true, h.Broadcast},
		{"export", "cmd.export", true, h.Export},
		{"backup", "cmd.backup", true, h.Backup},
		{"setpayment", "cmd.setpayment", true, h.SetPayment},
		{"setpickup", "cmd.setpickup", true, h.SetPickup},
	}
}

func callbacks(h *handlers.Handlers) []callback {
	return []callback{
		{handlers.UniqueMenu, false, h.Menu},
		{handlers.UniqueLanguage, false, h.SetLanguage},
		{handlers.UniqueBrowse, false, h.BrowseButton},
		{handlers.UniqueAlbum, false, h.AllPhotos},
		{handlers.UniquePick, false, h.Pick},
		{handlers.UniqueQuantity, false, h.QuantityButton},
		{handlers.UniqueCart, false, h.CartButton},
		{handlers.UniqueCheckout, false, h.CheckoutButton},
		{handlers.UniqueOrder, false, h.OrderButton},
		{handlers.UniqueCancelAsk, false, h.CancelAsk},
		{handlers.UniqueCancelOrder, false, h.CancelOrder},
		{handlers.UniqueReceipt, false, h.ReceiptButton},
		{handlers.UniqueNewItem, true, h.NewItemButton},
		{handlers.UniqueItemList, true, h.ItemListPage},
		{handlers.UniqueItemAdmin, true, h.ItemAdmin},
		{handlers.UniqueWeek, true, h.WeekButton},
		{handlers.UniqueDesk, true, h.DeskButton},
		{handlers.UniqueDeskOrder, true, h.DeskOrderButton},
		{handlers.UniqueDeskList, true, h.DeskListButton},
		{handlers.UniqueBroadcast, true, h.BroadcastButton},
	}
}

// Files a person sends: a step may keep them (an item's photos, a receipt), and someone
// who owes a payment and sends a video or a voice note of it is told which kinds of
// receipt the bot keeps.
var mediaKinds = []string{
	tele.OnPhoto, tele.OnDocument, tele.OnVideo, tele.OnAnimation, tele.OnVideoNote, tele.OnVoice, tele.OnAudio,
}

// Messages no step can use get a helpful answer rather than silence.
var unexpectedKinds = []string{
	tele.OnMedia, tele.OnLocation, tele.OnVenue, tele.OnDice, tele.OnPoll, tele.OnGame,
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
	for _, kind := range mediaKinds {
		a.bot.Handle(kind, h.Media)
	}
	a.bot.Handle(tele.OnContact, h.Contact)
	a.bot.Handle(tele.OnEdited, h.Edited)
	a.bot.Handle(tele.OnCallback, h.Stale)
	for _, kind := range unexpectedKinds {
		a.bot.Handle(kind, h.Unexpected)
	}
}

// commandList is the menu of one language: the customers' commands, and the sellers' too.
func (a *App) commandList(h *handlers.Handlers, lang string, withAdmin bool) []tele.Command {
	var out []tele.Command
	for _, r := range routes(h) {
		if !r.admin || withAdmin {
			out = append(out, tele.Command{Text: r.command, Description: a.texts.T(lang, r.descID)})
		}
	}
	return out
}

// setMenu stores one menu in every language; the default language's list also serves
// people whose language has no list of its own.
func (a *App) setMenu(ctx context.Context, scope tele.CommandScope, list func(lang string) []tele.Command) error {
	for _, lang := range locale.Languages {
		params := map[string]any{"commands": list(lang), "scope": scope}
		if lang != a.cfg.DefaultLanguage {
			params["language_code"] = lang
		}
		if err := a.call(ctx, "setMyCommands", params, nil); err != nil {
			return fmt.Errorf("setMyCommands (%s): %w", lang, err)
		}
	}
	return nil
}

// publishCommands sets the customers' command menu for everyone and the sellers' menu
// in each seller's private chat. Telegram refuses a chat-scoped menu for a seller who has
// never opened the bot; theirs is set when they first write (Handlers.ChatMenu).
func (a *App) publishCommands(ctx context.Context, h *handlers.Handlers) error {
	err := a.setMenu(ctx, tele.CommandScope{Type: tele.CommandScopeDefault}, func(lang string) []tele.Command {
		return a.commandList(h, lang, false)
	})
	if err != nil {
		return fmt.Errorf("customer menu: %w", err)
	}
	picked := map[int64]string{}
	sellers, err := h.Orders.Customers(ctx, a.cfg.AdminIDs)
	if err != nil {
		// Their menus follow their apps' languages until they next write.
		a.log.Warn("sellers' languages", "err", err)
	}
	for _, c := range sellers {
		picked[c.ID] = c.Language
	}
	for _, id := range a.cfg.AdminIDs {
		if err := a.personalMenu(h)(ctx, id, picked[id]); err != nil {
			a.log.Info("seller menu not set yet; it will be when they write to the bot", "user_id", id, "err", err)
		}
	}
	return nil
}

// personalMenu sets the menu of one person's chat with the bot: with the sellers'
// commands for a seller, and, once the person picked a language with /language, in that
// language for every app language (Telegram otherwise shows the list of their app's).
func (a *App) personalMenu(h *handlers.Handlers) func(ctx context.Context, userID int64, picked string) error {
	return func(ctx context.Context, userID int64, picked string) error {
		seller := slices.Contains(a.cfg.AdminIDs, userID)
		return a.setMenu(ctx, tele.CommandScope{Type: tele.CommandScopeChat, ChatID: userID}, func(lang string) []tele.Command {
			if picked != "" {
				lang = picked
			}
			return a.commandList(h, lang, seller)
		})
	}
}
