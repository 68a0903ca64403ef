package channel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
)

// Store is what the publisher needs from the catalog store.
type Store interface {
	Lease(ctx context.Context, weekID int64, owner string, d time.Duration) (bool, error)
	ReleaseLease(ctx context.Context, weekID int64, owner string) error
	Items(ctx context.Context, weekID int64, withHidden bool) ([]catalog.Item, error)
	Posts(ctx context.Context, weekID int64) ([]catalog.Post, error)
	AddPost(ctx context.Context, p catalog.Post) (catalog.Post, error)
	SetPostContent(ctx context.Context, postID int64, content string, buttonMessageID int64) error
	ItemPost(ctx context.Context, itemID int64) (catalog.Post, error)
	WithdrawnPosts(ctx context.Context, weekID int64) ([]catalog.Post, error)
	DropPost(ctx context.Context, postID int64) error
	PhotoData(ctx context.Context, photoID int64) ([]byte, error)
	SetPhotoFileID(ctx context.Context, photoID int64, fileID, uniqueID string) error
	FinishPublishing(ctx context.Context, weekID int64) error
	MarkSynced(ctx context.Context, weekID int64, generation int64) error
}

// Publisher posts a week to the channel and edits its posts when what they should say
// changes. Several processes may run one: a lease on the week lets one work at a time,
// and every post is recorded as soon as it is out, so a restart continues where it
// stopped instead of posting again.
type Publisher struct {
	Store    Store
	Bot      *tele.Bot
	Channel  string // CHANNEL_ID: -100… or @username
	Render   Renderer
	Owner    string        // this process, for leases
	Limiter  *rate.Limiter // the channel's pace: sends and edits
	Now      func() time.Time
	Log      *slog.Logger
	Progress func(w catalog.Week, posted, total int)
	// Accepted, when set, is called after each call the channel accepted: it takes the
	// bot's posts.
	Accepted func()
}

const leaseTime = 2 * time.Minute

// ErrLeased means another process is working on the week.
var ErrLeased = errors.New("channel: another process is publishing this week")

type recipient string

func (r recipient) Recipient() string { return string(r) }

// Sync brings the week's channel posts in line with the catalog: it posts the header and
// every visible item not posted yet (unless bookings are closed), and edits every post
// whose content differs from what it should say. When ctx ends it stops between posts;
// a post that went out is always recorded, so the next Sync neither loses nor repeats it.
func (p *Publisher) Sync(ctx context.Context, w catalog.Week) error {
	stop := ctx
	ctx = context.WithoutCancel(ctx)
	ok, err := p.Store.Lease(ctx, w.ID, p.Owner, leaseTime)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLeased
	}
	defer func() {
		release, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := p.Store.ReleaseLease(release, w.ID, p.Owner); err != nil {
			p.Log.Warn("release publishing lease", "week_id", w.ID, "err", err)
		}
	}()

	withdrawn, err := p.Store.WithdrawnPosts(ctx, w.ID)
	if err != nil {
		return err
	}
	for _, post := range withdrawn {
		if err := stop.Err(); err != nil {
			return err
		}
		if err := p.renew(ctx, w.ID); err != nil {
			return err
		}
		if err := p.withdraw(stop, ctx, post); err != nil {
			return fmt.Errorf("channel: withdraw post %d: %w", post.ID, err)
		}
	}
	items, err := p.Store.Items(ctx, w.ID, true)
	if err != nil {
		return err
	}
	posts, err := p.Store.Posts(ctx, w.ID)
	if err != nil {
		return err
	}
	byItem := map[int64]catalog.Post{}
	var header *catalog.Post
	for i := range posts {
		if posts[i].ItemID == 0 {
			header = &posts[i]
		} else {
			byItem[posts[i].ItemID] = posts[i]
		}
	}
	now := p.Now()
	closed := WeekClosed(w, now)
	if header == nil && closed {
		// Bookings closed before anything was posted (a publication missed while the
		// bot was down past the cut-off): there is nothing worth posting.
		return p.finish(ctx, w)
	}

	visible := 0
	for _, it := range items {
		if !it.Hidden {
			visible++
		}
	}
	headerText := p.Render.Header(w, visible, now)
	if header == nil {
		if err := p.postHeader(stop, ctx, w, headerText); err != nil {
			return err
		}
	} else if header.Content != headerText {
		if err := p.editText(stop, *header, header.MessageIDs[0], headerText, nil); err != nil && !p.uneditable(err, w.ID, 0) {
			return err
		}
		if err := p.Store.SetPostContent(ctx, header.ID, headerText, 0); err != nil {
			return err
		}
	}

	posted := len(byItem)
	for _, it := range items {
		if err := stop.Err(); err != nil {
			return err
		}
		if err := p.renew(ctx, w.ID); err != nil {
			return err
		}
		a := ItemAvailability(it, w, now)
		post, exists := byItem[it.ID]
		switch {
		case !exists && (it.Hidden || closed):
			continue
		case !exists:
			if err := p.postItem(stop, ctx, w, it, a); err != nil {
				return fmt.Errorf("channel: post item %d: %w", it.ID, err)
			}
			posted++
			if p.Progress != nil {
				p.Progress(w, posted, visible)
			}
		default:
			if err := p.editItem(stop, ctx, post, it, a); err != nil {
				return fmt.Errorf("channel: edit item %d: %w", it.ID, err)
			}
		}
	}
	return p.finish(ctx, w)
}

func (p *Publisher) finish(ctx context.Context, w catalog.Week) error {
	if w.Status == catalog.Publishing {
		if err := p.Store.FinishPublishing(ctx, w.ID); err != nil {
			return err
		}
	}
	return p.Store.MarkSynced(ctx, w.ID, w.SyncGeneration)
}

func (p *Publisher) renew(ctx context.Context, weekID int64) error {
	ok, err := p.Store.Lease(ctx, weekID, p.Owner, leaseTime)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLeased
	}
	return nil
}

// content is the canonical form of what a post shows, to tell whether it needs an edit.
func content(caption string, withButton bool) string {
	if withButton {
		return caption + "\n[order]"
	}
	return caption
}

func (p *Publisher) orderMarkup(itemID int64) *tele.ReplyMarkup {
	m := &tele.ReplyMarkup{}
	m.Inline(m.Row(m.URL(p.Render.Texts.T(p.Render.Lang, "post.order_button"), p.Render.OrderURL(itemID))))
	return m
}

// The posting and editing functions wait for their turn with stop, and write to the
// store with ctx, which does not end mid-way.

func (p *Publisher) postHeader(stop, ctx context.Context, w catalog.Week, text string) error {
	var msg *tele.Message
	err := p.send(stop, func() (err error) {
		msg, err = p.Bot.Send(recipient(p.Channel), text)
		return err
	})
	if err != nil {
		return fmt.Errorf("channel: post header: %w", err)
	}
	_, err = p.Store.AddPost(ctx, catalog.Post{WeekID: w.ID, ChatID: strconv.FormatInt(msg.Chat.ID, 10),
		MessageIDs: []int64{int64(msg.ID)}, Content: text})
	return err
}

// postItem posts one photo with its caption and Order button, or an album followed by a
// short message carrying the button, since an album cannot carry one.
func (p *Publisher) postItem(stop, ctx context.Context, w catalog.Week, it catalog.Item, a Availability) error {
	caption := p.Render.Caption(it, a)
	var markup *tele.ReplyMarkup
	if a == Available {
		markup = p.orderMarkup(it.ID)
	}
	post := catalog.Post{WeekID: w.ID, ItemID: it.ID, Content: content(caption, markup != nil)}
	if len(it.Photos) == 1 {
		msgs, err := p.sendPhotos(stop, it, caption, markup)
		if err != nil {
			return err
		}
		post.ChatID = strconv.FormatInt(msgs[0].Chat.ID, 10)
		post.MessageIDs = []int64{int64(msgs[0].ID)}
		post.ButtonMessageID = int64(msgs[0].ID)
	} else {
		msgs, err := p.sendPhotos(stop, it, caption, nil)
		if err != nil {
			return err
		}
		post.ChatID = strconv.FormatInt(msgs[0].Chat.ID, 10)
		for _, m := range msgs {
			post.MessageIDs = append(post.MessageIDs, int64(m.ID))
		}
		// The album is out: record it before its button message, so that if that message
		// fails the next sync sends only the button, never the album again.
		post.Content = albumContent(caption, "")
		recorded, err := p.addPost(ctx, post, it)
		if err != nil || recorded.Withdrawn != nil {
			return err // a withdrawn album gets no button message
		}
		return p.sendButtonMessage(stop, ctx, recorded, it, a)
	}
	_, err := p.addPost(ctx, post, it)
	if errors.Is(err, catalog.ErrPosted) {
		p.Log.Warn("item posted twice", "item_id", it.ID)
		return nil
	}
	return err
}

// addPost records an item's post that went out. If the item was deleted meanwhile, the
// post is recorded as withdrawn instead, to be taken out like the post of any item
// deleted, rather than left in the channel with its Order button.
func (p *Publisher) addPost(ctx context.Context, post catalog.Post, it catalog.Item) (catalog.Post, error) {
	recorded, err := p.Store.AddPost(ctx, post)
	if !errors.Is(err, catalog.ErrItemGone) {
		return recorded, err
	}
	post.ItemID = 0
	post.Withdrawn = &catalog.Withdrawal{Caption: p.Render.Caption(it, Withdrawn), Button: p.Render.ButtonText(it, Withdrawn)}
	return p.Store.AddPost(ctx, post)
}

// sendPhotos sends an item's photos by their Telegram file ids, or, when Telegram does
// not know them (another bot token), uploads the stored copies and keeps the new ids.
func (p *Publisher) sendPhotos(stop context.Context, it catalog.Item, caption string, markup *tele.ReplyMarkup) ([]tele.Message, error) {
	pace := func(_ context.Context, call func() error) error { return p.sendN(stop, len(it.Photos), call) }
	return SendPhotos(context.WithoutCancel(stop), p.Bot, p.Store, recipient(p.Channel), it.Photos, caption, markup, pace)
}

// sendButtonMessage posts the short message after an album that carries the Order button,
// and records it with the post.
func (p *Publisher) sendButtonMessage(stop, ctx context.Context, post catalog.Post, it catalog.Item, a Availability) error {
	caption := p.Render.Caption(it, a)
	text := p.Render.ButtonText(it, a)
	var markup *tele.ReplyMarkup
	if a == Available {
		markup = p.orderMarkup(it.ID)
	}
	var btn *tele.Message
	err := p.send(stop, func() (err error) {
		if markup != nil {
			btn, err = p.Bot.Send(recipient(p.Channel), text, markup)
		} else {
			btn, err = p.Bot.Send(recipient(p.Channel), text)
		}
		return err
	})
	if err != nil {
		return err
	}
	albumCaption, _, _ := strings.Cut(post.Content, albumSeparator)
	if albumCaption != caption {
		// The album was posted in an earlier state: its caption follows on the next sync.
		caption = albumCaption
	}
	return p.Store.SetPostContent(ctx, post.ID, albumContent(caption, content(text, markup != nil)), int64(btn.ID))
}

func (p *Publisher) editItem(stop, ctx context.Context, post catalog.Post, it catalog.Item, a Availability) error {
	if len(post.MessageIDs) > 1 && post.ButtonMessageID == 0 {
		// An album whose button message never went out.
		if err := p.sendButtonMessage(stop, ctx, post, it, a); err != nil {
			return err
		}
		fresh, err := p.Store.ItemPost(ctx, it.ID)
		if err != nil {
			return err
		}
		post = fresh
	}
	caption := p.Render.Caption(it, a)
	var markup *tele.ReplyMarkup
	if a == Available {
		markup = p.orderMarkup(it.ID)
	}
	chatID, err := strconv.ParseInt(post.ChatID, 10, 64)
	if err != nil {
		return fmt.Errorf("channel: stored chat id %q: %w", post.ChatID, err)
	}
	if len(post.MessageIDs) == 1 {
		want := content(caption, markup != nil)
		if want == post.Content {
			return nil
		}
		err := p.send(stop, func() error {
			msg := tele.StoredMessage{MessageID: strconv.FormatInt(post.MessageIDs[0], 10), ChatID: chatID}
			var err error
			if markup != nil {
				_, err = p.Bot.EditCaption(msg, caption, markup)
			} else {
				_, err = p.Bot.EditCaption(msg, caption)
			}
			return err
		})
		if err != nil && !p.uneditable(err, post.WeekID, it.ID) {
			return err
		}
		return p.Store.SetPostContent(ctx, post.ID, want, post.ButtonMessageID)
	}
	text := p.Render.ButtonText(it, a)
	want := albumContent(caption, content(text, markup != nil))
	if want == post.Content {
		return nil
	}
	albumCaption, oldButton, _ := strings.Cut(post.Content, albumSeparator)
	if albumCaption != caption {
		err := p.send(stop, func() error {
			_, err := p.Bot.EditCaption(tele.StoredMessage{MessageID: strconv.FormatInt(post.MessageIDs[0], 10), ChatID: chatID}, caption)
			return err
		})
		if err != nil && !p.uneditable(err, post.WeekID, it.ID) {
			return err
		}
	}
	if oldButton != content(text, markup != nil) && post.ButtonMessageID != 0 {
		if err := p.editText(stop, post, post.ButtonMessageID, text, markup); err != nil && !p.uneditable(err, post.WeekID, it.ID) {
			return err
		}
	}
	return p.Store.SetPostContent(ctx, post.ID, want, post.ButtonMessageID)
}

// withdraw takes the post of an item deleted out of the channel, then forgets it. A
// message Telegram refuses to delete (bots can't delete posts older than 48 hours) is
// edited instead to say the item is no longer available, without its Order button: the
// photo's or album's caption, and the button message. Any other failure is returned, to
// be tried again on the next sync.
func (p *Publisher) withdraw(stop, ctx context.Context, post catalog.Post) error {
	chatID, err := strconv.ParseInt(post.ChatID, 10, 64)
	if err != nil {
		return fmt.Errorf("stored chat id %q: %w", post.ChatID, err)
	}
	ids := append([]int64{}, post.MessageIDs...)
	if post.ButtonMessageID != 0 && post.ButtonMessageID != ids[0] {
		ids = append(ids, post.ButtonMessageID)
	}
	for i, id := range ids {
		msg := tele.StoredMessage{MessageID: strconv.FormatInt(id, 10), ChatID: chatID}
		err := p.send(stop, func() error {
			if err := p.Bot.Delete(msg); !errors.Is(err, tele.ErrNotFoundToDelete) {
				return err
			}
			return nil // gone already
		})
		if err == nil {
			continue
		}
		if Refused(err) || !badRequest(err) {
			return err // the channel refuses the bot, or failed: the post waits for the next sync
		}
		if i > 0 && id != post.ButtonMessageID {
			continue // another photo of an album: the first one's caption speaks for it
		}
		p.Log.Warn("channel post can't be deleted; marking it withdrawn", "post_id", post.ID, "err", err)
		err = p.send(stop, func() error {
			var err error
			if i == 0 {
				_, err = p.Bot.EditCaption(msg, post.Withdrawn.Caption)
			} else {
				_, err = p.Bot.Edit(msg, post.Withdrawn.Button)
			}
			return err
		})
		switch {
		case err == nil, p.uneditable(err, post.WeekID, 0):
		case badRequest(err) && !Refused(err):
			// Refused for good: it stays as it is, its Order link answering that the
			// item is gone, rather than holding up the rest of the week's posts.
			p.Log.Warn("withdrawn channel post can't be marked; left as it is", "post_id", post.ID, "err", err)
		default:
			return err
		}
	}
	return p.Store.DropPost(ctx, post.ID)
}

// badRequest reports Telegram refusing a call for good (a 400), as it refuses to delete
// a channel post older than 48 hours, rather than failing to carry it out.
func badRequest(err error) bool {
	var te *tele.Error
	if errors.As(err, &te) {
		return te.Code == 400
	}
	return strings.Contains(err.Error(), "Bad Request")
}

// uneditable reports, and logs, an edit Telegram refuses for good: the post was deleted
// in the channel, or was sent by another bot (a new token). It is left as it is, recorded
// as edited so that the rest of the week's posts still follow (a cut-off, a size sold
// out) and it is tried again only when what it should show changes again. Item 0 is the
// header.
func (p *Publisher) uneditable(err error, weekID, itemID int64) bool {
	if !CannotEdit(err) {
		return false
	}
	p.Log.Warn("channel post can't be edited; left as it is", "week_id", weekID, "item_id", itemID, "err", err)
	return true
}

// albumSeparator parts an album post's content into the album caption and the button
// message. Captions are escaped HTML, so the tag cannot occur in one.
const albumSeparator = "\n<button>\n"

func albumContent(caption, button string) string { return caption + albumSeparator + button }

func (p *Publisher) editText(ctx context.Context, post catalog.Post, messageID int64, text string, markup *tele.ReplyMarkup) error {
	chatID, err := strconv.ParseInt(post.ChatID, 10, 64)
	if err != nil {
		return fmt.Errorf("channel: stored chat id %q: %w", post.ChatID, err)
	}
	return p.send(ctx, func() error {
		msg := tele.StoredMessage{MessageID: strconv.FormatInt(messageID, 10), ChatID: chatID}
		var err error
		if markup != nil {
			_, err = p.Bot.Edit(msg, text, markup)
		} else {
			_, err = p.Bot.Edit(msg, text)
		}
		return err
	})
}

// send paces one call to the channel and repeats it after a flood wait; an edit that
// changed nothing counts as done.
func (p *Publisher) send(ctx context.Context, call func() error) error {
	return p.sendN(ctx, 1, call)
}

// sendN is send for a call that puts n messages in the channel (an album): Telegram
// counts each of them against the channel's limit.
func (p *Publisher) sendN(ctx context.Context, n int, call func() error) error {
	for attempt := 1; ; attempt++ {
		for range n {
			if err := p.Limiter.Wait(ctx); err != nil {
				return err
			}
		}
		err := call()
		var flood tele.FloodError
		switch {
		case err == nil, NotModified(err):
			if p.Accepted != nil {
				p.Accepted()
			}
			return nil
		case errors.As(err, &flood) && attempt < 5:
			p.Log.Warn("channel flood wait", "retry_after", flood.RetryAfter)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(flood.RetryAfter) * time.Second):
			}
		default:
			return err
		}
	}
}

// NotModified reports an edit that changed nothing, which is harmless. telebot maps
// Telegram's full wording to ErrSameMessageContent, the short one to ErrMessageNotModified.
func NotModified(err error) bool {
	return errors.Is(err, tele.ErrSameMessageContent) || errors.Is(err, tele.ErrMessageNotModified)
}
