package handlers

import (
	"context"
	"errors"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
)

// Purchases shows the purchase list of the live (or last published) week.
func (h *Handlers) Purchases(c tele.Context) error {
	ctx := h.req(c).ctx
	w, err := h.Catalog.LatestPublishedWeek(ctx)
	if errors.Is(err, catalog.ErrNotFound) {
		return c.Send(h.t(c, "purchases.no_week"))
	}
	if err != nil {
		return err
	}
	parts, err := h.PurchaseList(ctx, h.lang(c), w)
	if err != nil {
		return err
	}
	for _, text := range parts {
		if err := c.Send(text); err != nil {
			return err
		}
	}
	return nil
}

// PurchaseList is a week's purchase list: per item and size, how many are in paid orders
// and in orders still awaiting payment. A long list comes in several messages, never cut.
func (h *Handlers) PurchaseList(ctx context.Context, lang string, w catalog.Week) ([]string, error) {
	lines, err := h.Orders.Purchases(ctx, w.ID)
	if err != nil {
		return nil, err
	}
	title := h.Texts.T(lang, "purchases.title", locale.Args{"Week": w.Title})
	if len(lines) == 0 {
		return []string{title + "\n" + h.Texts.T(lang, "purchases.empty")}, nil
	}
	var rows []string
	var paid, awaiting int
	for _, l := range lines {
		label := l.Title
		if l.Variant != "" {
			label += " (" + l.Variant + ")"
		}
		rows = append(rows, h.Texts.T(lang, "purchases.line", locale.Args{"Item": label, "Units": l.Paid + l.Awaiting,
			"Split": locale.HTML(h.Texts.T(lang, "purchases.split", locale.Args{"Paid": l.Paid, "Awaiting": l.Awaiting}))}))
		paid += l.Paid
		awaiting += l.Awaiting
	}
	rows = append(rows, "", h.Texts.T(lang, "purchases.total", locale.Args{"Total": paid + awaiting, "Paid": paid, "Awaiting": awaiting}))
	return splitMessages(title, rows), nil
}

// splitMessages puts lines under a title into as few messages as Telegram's 4096
// characters allow.
func splitMessages(title string, lines []string) []string {
	var out []string
	cur := title
	for _, l := range lines {
		if channel.VisibleLen(cur+"\n"+l) > 4000 {
			out = append(out, cur)
			cur = l
			continue
		}
		cur += "\n" + l
	}
	return append(out, cur)
}

// Stats shows this week's and last week's figures.
func (h *Handlers) Stats(c tele.Context) error {
	now := h.Now().In(h.Location)
	// Weeks start on Monday, local time.
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, h.Location).AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	ctx := h.req(c).ctx
	this, err := h.Orders.Stats(ctx, start, start.AddDate(0, 0, 7))
	if err != nil {
		return err
	}
	last, err := h.Orders.Stats(ctx, start.AddDate(0, 0, -7), start)
	if err != nil {
		return err
	}
	return c.Send(h.statsText(c, "stats.this_week", this) + "\n\n" + h.statsText(c, "stats.last_week", last))
}

func (h *Handlers) statsText(c tele.Context, titleID string, st orders.Stats) string {
	var b strings.Builder
	b.WriteString(h.t(c, titleID))
	if st.Orders == 0 {
		b.WriteString("\n" + h.t(c, "stats.none"))
		return b.String()
	}
	cur := st.Currency
	avg := int64(0)
	if st.Paid > 0 {
		avg = st.Revenue / int64(st.Paid)
	}
	b.WriteString("\n" + h.t(c, "stats.figures", locale.Args{"Orders": st.Orders, "Revenue": money.Format(st.Revenue, cur),
		"Average": money.Format(avg, cur), "New": st.New, "Returning": st.Returning}))
	for _, s := range []orders.Status{orders.AwaitingPayment, orders.ReceiptSubmitted, orders.Paid, orders.ReadyForPickup,
		orders.Shipped, orders.Completed, orders.Cancelled, orders.Expired} {
		if n := st.ByStatus[s]; n > 0 {
			b.WriteString("\n" + h.t(c, "stats.status_line", locale.Args{"Status": locale.HTML(h.t(c, "order_status."+string(s))), "Orders": n}))
		}
	}
	if len(st.Top) > 0 {
		b.WriteString("\n" + h.t(c, "stats.top"))
		for i, t := range st.Top {
			b.WriteString("\n" + h.t(c, "stats.top_line", locale.Args{"N": i + 1, "Title": t.Title, "Units": t.Units}))
		}
	}
	return b.String()
}
