package bot

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/channel"
	"github.com/shopbot/shopbot/handlers"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// scheduler runs the shop's timed work: publications and cut-offs when their time comes,
// the weekly rule, and keeping channel posts true. Every step is claimed in Postgres
// (a conditional update, or a lease on the week), so with several processes each step
// runs once; a process that stops mid-way leaves the rest to the next tick of any process.
type scheduler struct {
	a       *App
	catalog *catalog.Store
	shop    *orders.Store
	pub     *channel.Publisher
	outbox  *outbox.Store
	kick    chan struct{}
	// handlers render the notices of expiry and reminders.
	handlers *handlers.Handlers

	mu           sync.Mutex
	running      map[int64]bool      // weeks this process is syncing
	lastProgress map[int64]time.Time // when each week's progress was last shown
	// channelPaused is until when the channel, which refused the bot, is left alone.
	channelPaused time.Time
	exporting     atomic.Bool    // an export is being sent by this process
	backupDay     time.Time      // the last day whose backup this process knows is queued
	toRefresh     []orders.Order // expired orders whose sellers' copies are to be edited
	refreshing    bool           // a goroutine edits them
	// channelChecked is when an accepted call last ended the sellers' alert that the
	// channel refuses the bot, if any process had raised one.
	channelChecked time.Time
	wg             sync.WaitGroup
}

func newScheduler(a *App, cat *catalog.Store, shop *orders.Store, pub *channel.Publisher) *scheduler {
	s := &scheduler{a: a, catalog: cat, shop: shop, pub: pub, kick: make(chan struct{}, 1),
		running: map[int64]bool{}, lastProgress: map[int64]time.Time{}}
	pub.Progress = s.progress
	pub.Accepted = s.channelAccepted
	return s
}

// Kick asks for a tick now.
func (s *scheduler) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Watch keeps a progress message up to date while a week is posted, by whichever
// process posts it.
func (s *scheduler) Watch(weekID, chatID int64, messageID int, lang string) {
	ctx, cancel := context.WithTimeout(s.a.base, 5*time.Second)
	defer cancel()
	if err := s.catalog.Watch(ctx, weekID, catalog.Watcher{ChatID: chatID, MessageID: messageID, Lang: lang}); err != nil {
		s.a.log.Warn("watch publication", "err", err)
	}
}

func (s *scheduler) run(ctx context.Context) {
	s.sweepExports()
	t := time.NewTicker(s.a.opts.Tick)
	defer t.Stop()
	for {
		s.tick(ctx)
		select {
		case <-ctx.Done():
			s.wg.Wait()
			return
		case <-t.C:
		case <-s.kick:
		}
	}
}

func (s *scheduler) tick(ctx context.Context) {
	now := s.a.now()
	closed, err := s.catalog.CloseDue(ctx, now, func(w catalog.Week) []outbox.Message {
		return s.toAdmins(ctx, "week.closed_auto", locale.Args{"Title": w.Title})
	})
	if err != nil {
		s.fail("close due weeks", err)
	}
	for _, w := range closed {
		s.a.log.Info("bookings closed", "week_id", w.ID)
	}
	if len(closed) > 0 {
		s.a.sender.Kick()
	}
	s.listPurchases(ctx)
	if s.a.cfg.ChannelID != "" {
		s.publishDue(ctx, now)
	}
	s.applyRule(ctx, now)
	s.expire(ctx, now)
	s.dailyBackup(ctx, now)
	s.exports(ctx)
	weeks, err := s.catalog.WeeksToSync(ctx)
	if err != nil {
		s.fail("weeks to sync", err)
		return
	}
	s.mu.Lock()
	paused := time.Now().Before(s.channelPaused)
	s.mu.Unlock()
	if s.a.cfg.ChannelID == "" || paused {
		return
	}
	for _, w := range weeks {
		s.mu.Lock()
		busy := s.running[w.ID]
		s.running[w.ID] = true
		s.mu.Unlock()
		if busy {
			continue
		}
		s.wg.Add(1)
		go s.sync(ctx, w)
	}
}

func (s *scheduler) fail(what string, err error) {
	s.a.metrics.errors.WithLabelValues("scheduler").Inc()
	s.a.log.Error("scheduler: "+what, "err", err)
}

// publishDue starts the publications whose time has come; of several processes, the one
// whose claim succeeds tells the sellers. A week with nothing to show is not posted (an
// empty catalog in the channel, closing the week still live): it goes back to being
// prepared, and the sellers are told.
func (s *scheduler) publishDue(ctx context.Context, now time.Time) {
	due, err := s.catalog.DuePublications(ctx, now)
	if err != nil {
		s.fail("due publications", err)
		return
	}
	for _, d := range due {
		w, err := s.catalog.PublishDue(ctx, d.ID, now)
		if errors.Is(err, catalog.ErrWrongStatus) {
			// Another process claimed it, a seller unscheduled it, or it has nothing to show.
			skipped, err := s.catalog.SkipEmpty(ctx, d.ID, now, s.skippedEmpty(ctx))
			if err != nil {
				s.fail("skip empty week", err)
			} else if skipped {
				s.a.log.Info("scheduled week not published: no items", "week_id", d.ID)
				s.a.sender.Kick()
			}
			continue
		}
		if err != nil {
			s.fail("start publishing", err)
			continue
		}
		items, err := s.catalog.Items(ctx, w.ID, false)
		if err != nil {
			s.fail("items", err)
			continue
		}
		s.a.log.Info("scheduled publication started", "week_id", w.ID)
		for _, id := range s.a.cfg.AdminIDs {
			lang := s.a.adminLang(ctx, id)
			msg, err := s.a.bot.Send(tele.ChatID(id), s.a.texts.T(lang, "week.publishing",
				locale.Args{"Title": w.Title, "Done": 0, "Total": len(items)}))
			if err != nil {
				s.a.log.Warn("tell seller about publication", "user_id", id, "err", err)
				continue
			}
			s.Watch(w.ID, id, msg.ID, lang)
		}
	}
}

// skippedEmpty is the sellers' notice that a week due with no item to show was not
// posted: it is a draft again, or, with the weekly rule on, scheduled again for the
// rule's next time.
func (s *scheduler) skippedEmpty(ctx context.Context) func(catalog.Week) []outbox.Message {
	id := "week.skipped_empty"
	if _, err := s.catalog.Rule(ctx); err == nil {
		id = "week.skipped_empty_rule"
	} else if !errors.Is(err, catalog.ErrNotFound) {
		s.fail("rule", err)
	}
	return func(w catalog.Week) []outbox.Message {
		return s.toAdmins(ctx, id, locale.Args{"Title": w.Title})
	}
}

// expire releases unpaid orders past their time and reminds customers before that.
func (s *scheduler) expire(ctx context.Context, now time.Time) {
	expired, err := s.shop.ExpireDue(ctx, now, s.handlers.ExpiredNotices)
	if err != nil {
		s.fail("expire orders", err)
	}
	n, err := s.shop.RemindDue(ctx, now, s.a.opts.RemindBefore, s.handlers.ReminderNotices)
	if err != nil {
		s.fail("remind orders", err)
	}
	if len(expired) > 0 || n > 0 {
		s.a.log.Info("unpaid orders", "expired", len(expired), "reminded", n)
		s.a.sender.Kick()
		s.Kick() // released stock shows in the channel posts
	}
	s.refreshExpired(ctx, expired)
}

// refreshExpired edits the sellers' copies of orders that expired, so they stop offering
// to confirm a payment: in the background, one order at a time at half the pace Telegram
// allows a chat (each order has up to two copies in every seller's chat). Those not done
// when the process stops keep their buttons, which answer that the order expired.
func (s *scheduler) refreshExpired(ctx context.Context, expired []orders.Order) {
	if len(expired) == 0 {
		return
	}
	s.mu.Lock()
	s.toRefresh = append(s.toRefresh, expired...)
	start := !s.refreshing
	s.refreshing = true
	s.mu.Unlock()
	if !start {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		pace := rate.NewLimiter(rate.Limit(s.a.opts.ChatRate/2), 1)
		for {
			s.mu.Lock()
			if len(s.toRefresh) == 0 || ctx.Err() != nil {
				s.toRefresh, s.refreshing = nil, false
				s.mu.Unlock()
				return
			}
			o := s.toRefresh[0]
			s.toRefresh = s.toRefresh[1:]
			s.mu.Unlock()
			if pace.Wait(ctx) == nil {
				s.handlers.RefreshCopies(ctx, s.a.bot, o)
			}
		}
	}()
}

// dailyBackup queues the export files for the sellers once a day at BACKUP_TIME: of
// several processes, the one whose claim of the day succeeds (exports sends it).
func (s *scheduler) dailyBackup(ctx context.Context, now time.Time) {
	local := now.In(s.a.cfg.Timezone)
	if s.a.cfg.BackupMinute < 0 || local.Hour()*60+local.Minute() < s.a.cfg.BackupMinute {
		return
	}
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	if !day.After(s.backupDay) {
		return // queued already, by this process or another
	}
	// Everything, every day: the business outlives losing Telegram too.
	if _, err := s.shop.QueueDailyBackup(ctx, day, s.a.cfg.AdminIDs); err != nil {
		s.fail("daily backup", err)
		return
	}
	s.backupDay = day
}

const (
	// exportLease is how long an export stays claimed by a process that stopped renewing
	// it (it died): then another process sends it. It is renewed three times as often.
	exportLease = 15 * time.Second
	// exportTimeout bounds writing and sending one export, which can be large.
	exportTimeout = 10 * time.Minute
	// exportAttempts is how many times an export is tried before it is given up; a claim
	// whose process died counts as one.
	exportAttempts = 3
)

// exports sends the exports queued (/export, /backup, the daily backup), one at a time
// in this process; several processes share the queue.
func (s *scheduler) exports(ctx context.Context) {
	if !s.exporting.CompareAndSwap(false, true) {
		return
	}
	e, ok, err := s.shop.ClaimExport(ctx, s.pub.Owner, exportLease)
	if err != nil || !ok {
		if err != nil {
			s.fail("claim export", err)
		}
		s.exporting.Store(false)
		return
	}
	s.sweepExports() // another process on this machine may have died exporting
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.exporting.Store(false)
		s.sendExport(ctx, e)
	}()
}

// sweepExports removes the files of exports that processes killed while exporting left
// on this machine.
func (s *scheduler) sweepExports() {
	n, err := handlers.SweepExports()
	if n > 0 {
		s.a.log.Info("removed the files of exports a stopped process left", "folders", n)
	}
	if err != nil {
		s.a.log.Warn("remove the files of exports a stopped process left", "err", err)
	}
}

// sendExport sends one export claimed by this process, renewing its claim meanwhile.
// A chat that cannot be reached (it blocked the bot, never opened it) is left out;
// Telegram refusing the files, or failing them attempt after attempt, gives the export
// up and tells the chats. A stop ends it between files and gives it back, to be sent
// again, whole, by the next process.
func (s *scheduler) sendExport(stop context.Context, e orders.Export) {
	ctx := context.WithoutCancel(stop)
	if e.Attempts > exportAttempts {
		// Claimed again and again by processes that died sending it: it may be what kills them.
		cause := fmt.Errorf("its process stopped %d times while sending it", e.Attempts-1)
		failed := map[int64]error{}
		for _, chat := range e.ChatIDs {
			failed[chat] = cause
		}
		s.giveUpExport(ctx, e, failed, cause)
		return
	}
	run, cancel := context.WithTimeout(stop, exportTimeout)
	defer cancel()
	var lost atomic.Bool
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(exportLease / 3)
		defer t.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-t.C:
			}
			renew, done := context.WithTimeout(run, exportLease/3)
			err := s.shop.RenewExport(renew, e.ID, s.pub.Owner, exportLease)
			done()
			if err != nil && run.Err() == nil {
				// Lost (another process has it) or unknown: stop rather than send it twice.
				s.a.log.Warn("export claim not renewed; stopping it", "export_id", e.ID, "err", err)
				lost.Store(true)
				cancel()
				return
			}
		}
	}()
	failed := s.handlers.SendExport(run, s.a.bot, e.ChatIDs, e.Range(), e.Archive)
	cancel()
	<-renewed

	settle, done := context.WithTimeout(ctx, 5*time.Second)
	defer done()
	if lost.Load() {
		return // another process sends it
	}
	if stop.Err() != nil {
		// Stopped between files: the chats it cut short get it, whole, from the next process.
		var cut []int64
		for chat, err := range failed {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				cut = append(cut, chat)
			}
		}
		if len(cut) > 0 {
			if err := s.shop.ReleaseExport(settle, e.ID, s.pub.Owner, cut); err != nil {
				s.a.log.Warn("give an export back", "export_id", e.ID, "err", err)
			}
			return
		}
	}
	var again []int64
	refused := map[int64]error{} // told now, with their own reason
	var lastErr error
	for chat, err := range failed {
		switch {
		case unreachable(err):
			s.a.log.Warn("export not delivered: the chat cannot be reached", "export_id", e.ID, "user_id", chat, "err", err)
		case permanent(err):
			refused[chat], lastErr = err, err
		default:
			again, lastErr = append(again, chat), err
		}
	}
	switch {
	case len(again) > 0 && e.Attempts < exportAttempts:
		wait := time.Duration(e.Attempts) * s.a.opts.ExportRetry
		s.a.log.Warn("export failed; will retry", "export_id", e.ID, "retry_in", wait, "err", lastErr)
		err := s.shop.RetryExport(settle, e.ID, s.pub.Owner, again, wait, s.a.redact(lastErr.Error()),
			s.exportFailed(settle, refused)...)
		if err != nil {
			s.a.log.Warn("settle export", "export_id", e.ID, "err", err)
		}
		s.a.sender.Kick()
	case lastErr != nil:
		for _, chat := range again {
			refused[chat] = failed[chat]
		}
		s.giveUpExport(ctx, e, refused, lastErr)
	default:
		s.a.log.Info("export sent", "export_id", e.ID, "daily", e.Daily, "chats", len(e.ChatIDs)-len(failed))
		if err := s.shop.FinishExport(settle, e.ID, s.pub.Owner, ""); err != nil {
			s.a.log.Warn("settle export", "export_id", e.ID, "err", err)
		}
	}
}

// giveUpExport records an export given up (cause) and tells each chat that did not get
// it why (failed).
func (s *scheduler) giveUpExport(ctx context.Context, e orders.Export, failed map[int64]error, cause error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s.fail("export given up", cause)
	if err := s.shop.FinishExport(ctx, e.ID, s.pub.Owner, s.a.redact(cause.Error()), s.exportFailed(ctx, failed)...); err != nil {
		s.a.log.Warn("settle export", "export_id", e.ID, "err", err)
	}
	s.a.sender.Kick()
}

// exportFailed tells each chat its export will not come, and why: in Telegram's words
// when Telegram refused or failed it, in the chat's language otherwise.
func (s *scheduler) exportFailed(ctx context.Context, failed map[int64]error) []outbox.Message {
	chats := slices.Sorted(maps.Keys(failed))
	return s.toChats(ctx, chats, "export.failed", func(chat int64, lang string) locale.Args {
		reason, ok := channel.TelegramSaid(failed[chat])
		if !ok {
			reason = locale.Plain(s.a.texts.T(lang, "export.reason_ours"))
		}
		return locale.Args{"Reason": s.a.redact(reason)}
	})
}

// applyRule keeps the week being prepared scheduled by the weekly rule, starting one
// when there is none.
func (s *scheduler) applyRule(ctx context.Context, now time.Time) {
	rule, err := s.catalog.Rule(ctx)
	if errors.Is(err, catalog.ErrNotFound) {
		return
	}
	if err != nil {
		s.fail("rule", err)
		return
	}
	up, err := s.catalog.UpcomingWeek(ctx)
	switch {
	case err == nil && up.Status != catalog.Draft:
		return // scheduled already
	case err != nil && !errors.Is(err, catalog.ErrNotFound):
		s.fail("upcoming week", err)
		return
	}
	// The next week goes out after the live one closes: a week published early keeps
	// its cut-off, which may be past the rule's next time. Read after the week being
	// prepared, so that one published in between is live by now.
	from := now
	live, liveErr := s.catalog.LiveWeek(ctx)
	switch {
	case liveErr == nil && live.ClosesAt != nil && live.ClosesAt.After(from):
		from = *live.ClosesAt
	case liveErr != nil && !errors.Is(liveErr, catalog.ErrNotFound):
		s.fail("live week", liveErr)
		return
	}
	publish, closes := rule.Next(from, s.a.cfg.Timezone)
	if errors.Is(err, catalog.ErrNotFound) {
		if _, err := s.catalog.CreateWeek(ctx, s.handlers.DatedTitle(publish), &publish, &closes); err != nil && !errors.Is(err, catalog.ErrWeekExists) {
			s.fail("create week by rule", err)
		}
		return
	}
	// Titled first (a week skipped for having no items goes out a week later than its
	// title said), so that a stop in between leaves a week to schedule, not one misnamed.
	if _, err := s.handlers.Retitle(ctx, up, publish); err != nil {
		s.fail("retitle week", err)
		return
	}
	if _, err := s.catalog.ScheduleWeek(ctx, up.ID, publish, closes); err != nil && !errors.Is(err, catalog.ErrWrongStatus) {
		s.fail("schedule week by rule", err)
	}
}

func (s *scheduler) sync(ctx context.Context, w catalog.Week) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.running, w.ID)
		s.mu.Unlock()
	}()
	err := s.pub.Sync(ctx, w)
	switch {
	case err == nil:
		if w.Status == catalog.Publishing {
			s.a.log.Info("week published", "week_id", w.ID)
			s.finishProgress(ctx, w)
		}
	case errors.Is(err, channel.ErrLeased), errors.Is(err, context.Canceled):
	case channel.Refused(err):
		s.a.log.Warn("the channel refuses the bot's posts", "week_id", w.ID, "err", err)
		s.mu.Lock()
		s.channelPaused = time.Now().Add(s.a.opts.ChannelRetry)
		s.channelChecked = time.Time{}
		s.mu.Unlock()
		s.channelAlert(ctx, true, "channel.refused", locale.Args{"Reason": channel.Reason(err)})
	default:
		s.fail("sync channel posts", err)
	}
}

// channelAccepted ends the sellers' alert that the channel refuses the bot, raised by
// any process, when the channel accepts a call: at once after this process saw a
// refusal, and otherwise at most once per ChannelRetry. A sync that needed no call says
// nothing of the channel.
func (s *scheduler) channelAccepted() {
	s.mu.Lock()
	due := time.Since(s.channelChecked) >= s.a.opts.ChannelRetry
	if due {
		s.channelChecked = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(s.a.base, 5*time.Second)
	defer cancel()
	if !s.channelAlert(ctx, false, "channel.works", nil) {
		s.mu.Lock()
		s.channelChecked = time.Time{} // not known to be over: the next accepted call tries again
		s.mu.Unlock()
	}
}

// channelAlert tells the sellers, once, that the channel refuses the bot (raise), or
// that it takes its posts again (not raise) after it had refused them. It reports whether
// the alert is known to stand as asked.
func (s *scheduler) channelAlert(ctx context.Context, raise bool, id string, args locale.Args) bool {
	if args == nil {
		args = locale.Args{}
	}
	args["Channel"] = s.a.cfg.ChannelID
	msgs := func() []outbox.Message { return s.toAdmins(ctx, id, args) }
	alert := s.outbox.Clear
	if raise {
		alert = s.outbox.Raise
	}
	told, err := alert(ctx, "channel", msgs)
	if err != nil {
		s.fail("channel alert", err)
		return false
	}
	if told {
		s.a.sender.Kick()
	}
	return true
}

// progress edits the publication's progress messages, at most every two seconds.
func (s *scheduler) progress(w catalog.Week, posted, total int) {
	s.mu.Lock()
	due := time.Since(s.lastProgress[w.ID]) >= 2*time.Second || posted == total
	if due {
		s.lastProgress[w.ID] = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(s.a.base, 5*time.Second)
	defer cancel()
	watchers, err := s.catalog.Watchers(ctx, w.ID)
	if err != nil {
		s.a.log.Warn("publication watchers", "err", err)
		return
	}
	for _, p := range watchers {
		s.editProgress(p, s.a.texts.T(p.Lang, "week.publishing", locale.Args{"Title": w.Title, "Done": posted, "Total": total}))
	}
}

func (s *scheduler) finishProgress(ctx context.Context, w catalog.Week) {
	watchers, err := s.catalog.Watchers(ctx, w.ID)
	if err != nil {
		s.a.log.Warn("publication watchers", "err", err)
		return
	}
	for _, p := range watchers {
		s.editProgress(p, s.a.texts.T(p.Lang, "week.published", locale.Args{"Title": w.Title}))
	}
	if err := s.catalog.Unwatch(ctx, w.ID); err != nil {
		s.a.log.Warn("forget publication watchers", "err", err)
	}
	s.mu.Lock()
	delete(s.lastProgress, w.ID)
	s.mu.Unlock()
}

func (s *scheduler) editProgress(p catalog.Watcher, text string) {
	_, err := s.a.bot.Edit(&tele.Message{ID: p.MessageID, Chat: &tele.Chat{ID: p.ChatID}}, text)
	if err != nil && !channel.NotModified(err) {
		s.a.log.Warn("edit publication progress", "err", err)
	}
}

// listPurchases gives the sellers the purchase list of every week closed since the last
// tick, whichever way it closed, through the outbox.
func (s *scheduler) listPurchases(ctx context.Context) {
	listed, err := s.catalog.ListPurchases(ctx, s.purchaseList)
	if err != nil {
		s.fail("purchase list", err)
	}
	if len(listed) > 0 {
		s.a.sender.Kick()
	}
}

// purchaseList is a closed week's purchase list for every seller, in their language.
func (s *scheduler) purchaseList(ctx context.Context, w catalog.Week) ([]outbox.Message, error) {
	var msgs []outbox.Message
	for _, admin := range s.a.cfg.AdminIDs {
		parts, err := s.handlers.PurchaseList(ctx, s.a.adminLang(ctx, admin), w)
		if err != nil {
			return nil, err
		}
		for _, text := range parts {
			msgs = append(msgs, outbox.Message{ChatID: admin, Kind: "purchases", Text: text})
		}
	}
	return msgs, nil
}

// toAdmins is a text for every seller, in their language, for the outbox.
func (s *scheduler) toAdmins(ctx context.Context, id string, args locale.Args) []outbox.Message {
	return s.toChats(ctx, s.a.cfg.AdminIDs, id, func(int64, string) locale.Args { return args })
}

// toChats is text id for each chat, in its seller's language, with the arguments args
// gives for it, for the outbox.
func (s *scheduler) toChats(ctx context.Context, chats []int64, id string, args func(chat int64, lang string) locale.Args) []outbox.Message {
	var msgs []outbox.Message
	for _, chat := range chats {
		lang := s.a.adminLang(ctx, chat)
		msgs = append(msgs, outbox.Message{ChatID: chat, Kind: id, Text: s.a.texts.T(lang, id, args(chat, lang))})
	}
	return msgs
}

// adminLang is a seller's language (Handlers.AdminLanguages), or the shop's default when
// it cannot be read.
func (a *App) adminLang(ctx context.Context, id int64) string {
	langs, err := a.handlers.AdminLanguages(ctx)
	if lang, ok := langs[id]; err == nil && ok {
		return lang
	}
	return a.cfg.DefaultLanguage
}
