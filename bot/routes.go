package bot

import (
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/handlers"
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
		{"ask", "cmd.ask", false, h.Ask},
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
		{handlers.UniqueAsk, false, h.AskButton},
		{handlers.UniqueAskUnsent, false, h.AskUnsentButton},
		{handlers.UniqueAnswer, true, h.AnswerButton},
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
