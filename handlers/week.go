package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/locale"
)

// UniqueWeek is the family of the weekly catalog's buttons; data: weekID|action.
const UniqueWeek = "wk"

// defaultOpenFor is how long a week published without a cut-off or a rule stays open.
const defaultOpenFor = 7 * 24 * time.Hour

// Week shows the week being prepared and the live week, with what can be done to them.
func (h *Handlers) Week(c tele.Context) error {
	ctx := h.req(c).ctx
	live, err := h.Catalog.LiveWeek(ctx)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	hasLive := err == nil
	upcoming, err := h.Catalog.UpcomingWeek(ctx)
	if err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	hasUpcoming := err == nil
	if hasLive {
		if err := h.sendWeekCard(c, live, !hasUpcoming); err != nil {
			return err
		}
	}
	if hasUpcoming {
		return h.sendWeekCard(c, upcoming, false)
	}
	if !hasLive {
		m := &tele.ReplyMarkup{}
		m.Inline(m.Row(m.Data(h.t(c, "week.start_button"), UniqueWeek, "0|next")))
		return c.Send(h.t(c, "week.none"), m)
	}
	return nil
}

func (h *Handlers) sendWeekCard(c tele.Context, w catalog.Week, offerNext bool) error {
	items, err := h.Catalog.Items(h.req(c).ctx, w.ID, true)
	if err != nil {
		return err
	}
	r := h.renderer(h.lang(c))
	when := func(t *time.Time) string {
		if t == nil {
			return h.t(c, "week.not_set")
		}
		return r.When(*t)
	}
	text := h.t(c, "week.card", locale.Args{
		"Title": w.Title, "Status": h.t(c, "status."+string(w.Status)), "Items": len(items),
		"Publish": when(w.PublishAt), "Close": when(w.ClosesAt),
	})
	m := &tele.ReplyMarkup{}
	b := func(textID, action string) tele.Btn {
		return m.Data(h.t(c, textID), UniqueWeek, fmt.Sprintf("%d|%s", w.ID, action))
	}
	var rows []tele.Row
	switch {
	case w.Upcoming():
		rows = append(rows, m.Row(b("week.publish_button", "pub"), b("week.schedule_button", "sched")))
		last := m.Row(b("week.rename_button", "rename"))
		if w.Status == catalog.Scheduled {
			// Unscheduled, a week the weekly rule keeps scheduled would be scheduled again.
			if _, err := h.Catalog.Rule(h.req(c).ctx); errors.Is(err, catalog.ErrNotFound) {
				last = append(tele.Row{b("week.unschedule_button", "unsched")}, last...)
			} else if err != nil {
				return err
			}
		}
		rows = append(rows, last)
	case w.Status == catalog.Published || w.Status == catalog.Publishing:
		rows = append(rows, m.Row(b("week.close_button", "close")))
	}
	if offerNext {
		rows = append(rows, m.Row(m.Data(h.t(c, "week.next_button"), UniqueWeek, "0|next")))
	}
	m.Inline(rows...)
	return c.Send(text, m)
}

// WeekButton serves the weekly catalog's buttons.
func (h *Handlers) WeekButton(c tele.Context) error {
	idText, action, _ := strings.Cut(c.Callback().Data, "|")
	ctx := h.req(c).ctx
	if action == "next" {
		w, err := h.Catalog.CreateWeek(ctx, h.defaultWeekTitle(), nil, nil)
		if errors.Is(err, catalog.ErrWeekExists) {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.exists"), ShowAlert: true})
		}
		if err != nil {
			return err
		}
		if err := h.respond(c); err != nil {
			return err
		}
		return h.sendWeekCard(c, w, false)
	}
	var id int64
	if _, err := fmt.Sscan(idText, &id); err != nil {
		return h.Stale(c)
	}
	w, err := h.Catalog.Week(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return h.Stale(c)
	}
	if err != nil {
		return err
	}
	s := h.session(c)
	switch action {
	case "pub":
		return h.publishNow(c, w)
	case "sched":
		if !w.Upcoming() {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.not_upcoming"), ShowAlert: true})
		}
		s.Reset()
		s.Step, s.EditWeek = StepWeekSchedule, w.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "week.schedule_prompt"))
	case "unsched":
		return h.unschedule(c, w)
	case "rename":
		s.Reset()
		s.Step, s.EditWeek = StepWeekTitle, w.ID
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "week.rename_prompt", locale.Args{"Title": w.Title}))
	case "close":
		w, err := h.Catalog.CloseWeek(ctx, w.ID, h.Now())
		if errors.Is(err, catalog.ErrWrongStatus) {
			return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.not_live"), ShowAlert: true})
		}
		if err != nil {
			return err
		}
		h.kick()
		if err := h.respond(c); err != nil {
			return err
		}
		return c.Send(h.t(c, "week.closed_now", locale.Args{"Title": w.Title}))
	}
	return h.Stale(c)
}

// unschedule puts a scheduled week back to being prepared, unless the weekly rule, which
// would schedule it again at once, was turned on since the button was shown.
func (h *Handlers) unschedule(c tele.Context, w catalog.Week) error {
	ctx := h.req(c).ctx
	if _, err := h.Catalog.Rule(ctx); err == nil {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.unschedule_rule"), ShowAlert: true})
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	ok, err := h.Catalog.Unschedule(ctx, w.ID)
	if err != nil {
		return err
	}
	if !ok {
		return h.Stale(c)
	}
	if err := h.respond(c); err != nil {
		return err
	}
	return c.Send(h.t(c, "week.unscheduled", locale.Args{"Title": w.Title}))
}

func (h *Handlers) publishNow(c tele.Context, w catalog.Week) error {
	ctx := h.req(c).ctx
	if !w.Upcoming() {
		// An old card's button: the week went out already, and keeps its title.
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.not_upcoming"), ShowAlert: true})
	}
	if !h.ChannelConfigured {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.no_channel"), ShowAlert: true})
	}
	items, err := h.Catalog.Items(ctx, w.ID, false)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.empty"), ShowAlert: true})
	}
	now := h.Now()
	closes := now.Add(defaultOpenFor)
	if rule, err := h.Catalog.Rule(ctx); err == nil {
		closes = rule.NextClose(now, h.Location)
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	if w.ClosesAt != nil && !w.ClosesAt.After(now) {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.closes_passed"), ShowAlert: true})
	}
	// Titled first, so that its header goes out with the day it is published.
	if w, err = h.Retitle(ctx, w, now); err != nil {
		return err
	}
	w, err = h.Catalog.StartPublishing(ctx, w.ID, now, closes)
	if errors.Is(err, catalog.ErrWrongStatus) {
		return h.respond(c, &tele.CallbackResponse{Text: h.t(c, "week.not_upcoming"), ShowAlert: true})
	}
	if err != nil {
		return err
	}
	if err := h.respond(c); err != nil {
		return err
	}
	msg, err := c.Bot().Send(c.Chat(), h.Texts.T(h.lang(c), "week.publishing", locale.Args{"Title": w.Title, "Done": 0, "Total": len(items)}))
	if err != nil {
		return err
	}
	if h.WatchPublication != nil {
		h.WatchPublication(w.ID, c.Chat().ID, msg.ID, h.lang(c))
	}
	h.kick()
	return nil
}

// weekText takes the text answers of the week steps.
func (h *Handlers) weekText(c tele.Context) error {
	return h.weekAnswer(c, strings.TrimSpace(c.Text()))
}

func (h *Handlers) weekAnswer(c tele.Context, text string) error {
	s := h.session(c)
	ctx := h.req(c).ctx
	switch s.Step {
	case StepWeekSchedule:
		rule, err := catalog.ParseWeekly(text)
		if err != nil {
			return c.Send(h.t(c, "week.schedule_invalid"))
		}
		publish, closes := rule.Next(h.Now(), h.Location)
		w, err := h.Catalog.ScheduleWeek(ctx, s.EditWeek, publish, closes)
		if errors.Is(err, catalog.ErrWrongStatus) || errors.Is(err, catalog.ErrNotFound) {
			s.Reset()
			return c.Send(h.t(c, "week.not_upcoming"))
		}
		if err != nil {
			return err
		}
		s.Reset()
		h.kick()
		w = h.retitle(ctx, w, publish)
		r := h.renderer(h.lang(c))
		return c.Send(h.t(c, "week.scheduled", locale.Args{"Title": w.Title, "Publish": r.When(publish), "Close": r.When(closes)}))
	case StepWeekTitle:
		if n := utf8.RuneCountInString(text); n == 0 || n > catalog.MaxTitle {
			return c.Send(h.t(c, "newitem.title_too_long", locale.Args{"Max": catalog.MaxTitle}))
		}
		if err := h.Catalog.RenameWeek(ctx, s.EditWeek, text); err != nil {
			return err
		}
		s.Reset()
		h.kick()
		return c.Send(h.t(c, "week.renamed", locale.Args{"Title": text}))
	case StepRule:
		if isOff(text) {
			if err := h.Catalog.ClearRule(ctx); err != nil {
				return err
			}
			s.Reset()
			if err := c.Send(h.t(c, "rule.cleared")); err != nil {
				return err
			}
			// The week the rule scheduled still goes out by itself: its card says when,
			// with a button to keep it back.
			up, err := h.Catalog.UpcomingWeek(ctx)
			if err != nil && !errors.Is(err, catalog.ErrNotFound) {
				// The rule is off and the seller told so: not a failure to report.
				h.Log.Warn("week after the rule was turned off", "err", err)
			}
			if err != nil || up.Status != catalog.Scheduled {
				return nil
			}
			return h.sendWeekCard(c, up, false)
		}
		rule, err := catalog.ParseWeekly(text)
		if err != nil {
			return c.Send(h.t(c, "week.schedule_invalid"))
		}
		if err := h.Catalog.SetRule(ctx, rule, c.Sender().ID); err != nil {
			return err
		}
		s.Reset()
		h.kick()
		return c.Send(h.t(c, "rule.saved", locale.Args{"Rule": locale.HTML(h.ruleText(c, rule))}))
	}
	return nil
}

func isOff(text string) bool {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "off", "none", "stop", "tắt", "إيقاف", "ايقاف": // not a bare "no": an answer, not an order
		return true
	}
	return false
}

func (h *Handlers) ruleText(c tele.Context, r catalog.Rule) string {
	day := func(d time.Weekday, minute int) string {
		return h.t(c, "day."+d.String()[:3]) + fmt.Sprintf(" %02d:%02d", minute/60, minute%60)
	}
	return h.t(c, "rule.text", locale.Args{"Publish": day(r.PublishDay, r.PublishMinute), "Close": day(r.CloseDay, r.CloseMinute)})
}

// Schedule shows and sets the weekly rule that publishes and closes catalogs on its own;
// text after the command is the answer (/schedule off, /schedule Mon 10:00 - Thu 18:00).
func (h *Handlers) Schedule(c tele.Context) error {
	s := h.session(c)
	s.Reset()
	s.Step = StepRule
	if text := commandArg(c.Text()); text != "" {
		return h.weekAnswer(c, text)
	}
	rule, err := h.Catalog.Rule(h.req(c).ctx)
	current := h.t(c, "rule.none")
	switch {
	case err == nil:
		current = h.ruleText(c, rule)
	case !errors.Is(err, catalog.ErrNotFound):
		return err
	}
	return c.Send(current + "\n\n" + h.t(c, "rule.prompt"))
}

func (h *Handlers) defaultWeekTitle() string { return h.DatedTitle(h.Now()) }

// DatedTitle is the title the bot gives a week going out at t.
func (h *Handlers) DatedTitle(t time.Time) string {
	return locale.Plain(h.Texts.T(h.DefaultLanguage, "week.default_title", locale.Args{"Date": t.In(h.Location).Format("02/01")}))
}

// Retitle gives a week still titled as the bot titled it ("Catalog of 09/03", in any
// language) the title of the day it now goes out at, so the channel does not announce a
// date it was not posted on; a title a seller chose is theirs. It returns the week as
// titled now.
func (h *Handlers) Retitle(ctx context.Context, w catalog.Week, at time.Time) (catalog.Week, error) {
	title := h.DatedTitle(at)
	if w.Title == title || !h.botTitled(w.Title) {
		return w, nil
	}
	// Only if it is still so titled: a seller may be renaming it this moment.
	ok, err := h.Catalog.RetitleWeek(ctx, w.ID, w.Title, title)
	if err != nil || !ok {
		return w, err
	}
	w.Title = title
	return w, nil
}

// retitle is Retitle for a week already scheduled or published, which a failure to
// rename does not undo: it is logged, and the week keeps its title.
func (h *Handlers) retitle(ctx context.Context, w catalog.Week, at time.Time) catalog.Week {
	w, err := h.Retitle(ctx, w, at)
	if err != nil {
		h.Log.Warn("retitle week", "week_id", w.ID, "err", err)
	}
	return w
}

// botTitled reports whether title is week.default_title, in any language, for some day.
func (h *Handlers) botTitled(title string) bool {
	const mark = "@DATE@"
	for _, lang := range locale.Languages {
		before, after, ok := strings.Cut(locale.Plain(h.Texts.T(lang, "week.default_title", locale.Args{"Date": mark})), mark)
		if !ok {
			continue
		}
		date, ok := strings.CutPrefix(title, before)
		if !ok {
			continue
		}
		if date, ok = strings.CutSuffix(date, after); ok && len(date) == 5 {
			if _, err := time.Parse("02/01", date); err == nil {
				return true
			}
		}
	}
	return false
}
