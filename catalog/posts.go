package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lib/pq"
)

// Post is what was posted to the channel for a week: its header (ItemID 0) or an item.
type Post struct {
	ID              int64
	WeekID          int64
	ItemID          int64 // 0 for the week's header, and for a withdrawn post
	ChatID          string
	MessageIDs      []int64 // the photo, the album, or the header's text message
	ButtonMessageID int64   // the message carrying the Order button; 0 for none
	Content         string  // what the post says now
	// Withdrawn is set on the post of an item deleted, still to be taken out.
	Withdrawn *Withdrawal
}

// Withdrawal is what the post of an item deleted says where Telegram won't delete it
// (a post older than 48 hours): the photo's or album's caption, and the button message's
// text, both without the Order button.
type Withdrawal struct {
	Caption string `json:"caption"`
	Button  string `json:"button"`
}

type postRow struct {
	ID              int64         `db:"id"`
	WeekID          int64         `db:"week_id"`
	ItemID          *int64        `db:"item_id"`
	ChatID          string        `db:"chat_id"`
	MessageIDs      pq.Int64Array `db:"message_ids"`
	ButtonMessageID int64         `db:"button_message_id"`
	Content         string        `db:"content"`
	Withdrawn       []byte        `db:"withdrawn"`
}

const postColumns = `id, week_id, item_id, chat_id, message_ids, button_message_id, content, withdrawn`

func (r postRow) post() (Post, error) {
	p := Post{ID: r.ID, WeekID: r.WeekID, ChatID: r.ChatID, MessageIDs: r.MessageIDs,
		ButtonMessageID: r.ButtonMessageID, Content: r.Content}
	if r.ItemID != nil {
		p.ItemID = *r.ItemID
	}
	if r.Withdrawn != nil {
		p.Withdrawn = &Withdrawal{}
		if err := json.Unmarshal(r.Withdrawn, p.Withdrawn); err != nil {
			return Post{}, fmt.Errorf("catalog: post %d: withdrawal: %w", r.ID, err)
		}
	}
	return p, nil
}

func (s *Store) posts(ctx context.Context, q string, args ...any) ([]Post, error) {
	var rows []postRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+postColumns+` FROM channel_posts `+q, args...); err != nil {
		return nil, fmt.Errorf("catalog: posts: %w", err)
	}
	out := make([]Post, len(rows))
	for i, r := range rows {
		p, err := r.post()
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// Posts lists a week's channel posts, the header first.
func (s *Store) Posts(ctx context.Context, weekID int64) ([]Post, error) {
	return s.posts(ctx, `WHERE week_id = $1 AND withdrawn IS NULL ORDER BY is_header DESC, id`, weekID)
}

// WithdrawnPosts lists the week's posts of items deleted, still to be taken out.
func (s *Store) WithdrawnPosts(ctx context.Context, weekID int64) ([]Post, error) {
	return s.posts(ctx, `WHERE week_id = $1 AND withdrawn IS NOT NULL ORDER BY id`, weekID)
}

// DropPost forgets a withdrawn post once it is out of the channel.
func (s *Store) DropPost(ctx context.Context, postID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM channel_posts WHERE id = $1 AND withdrawn IS NOT NULL`, postID); err != nil {
		return fmt.Errorf("catalog: drop post: %w", err)
	}
	return nil
}

// ErrPosted is returned when a post for that week and item is recorded already.
var ErrPosted = errors.New("catalog: already posted")

// ErrItemGone is returned by AddPost when the item was deleted while its post went out.
var ErrItemGone = errors.New("catalog: item deleted")

// AddPost records a post that went out: the week's header (ItemID 0), an item's post, or,
// with Withdrawn set, the post of an item deleted while it went out, for the publisher to
// take out (WithdrawnPosts). An item's post whose item is gone is refused with ErrItemGone.
func (s *Store) AddPost(ctx context.Context, p Post) (Post, error) {
	var itemID *int64
	if p.ItemID != 0 {
		itemID = &p.ItemID
	}
	var withdrawn *string
	if p.Withdrawn != nil {
		b, err := json.Marshal(p.Withdrawn)
		if err != nil {
			return Post{}, fmt.Errorf("catalog: add post: %w", err)
		}
		withdrawn = new(string(b))
	}
	err := s.db.GetContext(ctx, &p.ID, `INSERT INTO channel_posts (week_id, item_id, is_header, chat_id, message_ids, button_message_id, content, withdrawn)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		p.WeekID, itemID, itemID == nil && withdrawn == nil, p.ChatID, pq.Int64Array(p.MessageIDs), p.ButtonMessageID, p.Content, withdrawn)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "23505":
		return Post{}, ErrPosted
	case errors.As(err, &pqErr) && pqErr.Code == "23503" && pqErr.Constraint == "channel_posts_item_id_fkey":
		return Post{}, ErrItemGone
	case err != nil:
		return Post{}, fmt.Errorf("catalog: add post: %w", err)
	}
	return p, nil
}

// SetPostContent records what a post says after an edit.
func (s *Store) SetPostContent(ctx context.Context, postID int64, content string, buttonMessageID int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE channel_posts SET content = $2, button_message_id = $3 WHERE id = $1`,
		postID, content, buttonMessageID); err != nil {
		return fmt.Errorf("catalog: set post content: %w", err)
	}
	return nil
}

// ItemPost returns the channel post of an item, if it was posted.
func (s *Store) ItemPost(ctx context.Context, itemID int64) (Post, error) {
	posts, err := s.posts(ctx, `WHERE item_id = $1`, itemID)
	if err != nil {
		return Post{}, err
	}
	if len(posts) == 0 {
		return Post{}, ErrNotFound
	}
	return posts[0], nil
}

// PostedItem tells whether a message of a channel (by id, and by username when it has one)
// is the shop's: ours when the shop posts in that channel, with the item whose post the
// message is (0 for the week's header, a withdrawn post or any other message there).
func (s *Store) PostedItem(ctx context.Context, chatID int64, username string, messageID int) (itemID int64, ours bool, err error) {
	var r struct {
		ItemID int64 `db:"item_id"`
		Ours   bool  `db:"ours"`
	}
	err = s.db.GetContext(ctx, &r, `WITH chat AS (
    SELECT * FROM channel_posts WHERE chat_id = $1::text OR ($2 <> '' AND lower(chat_id) = lower('@' || $2)))
SELECT COALESCE((SELECT item_id FROM chat WHERE $3 = ANY(message_ids) OR button_message_id = $3 ORDER BY id DESC LIMIT 1), 0) AS item_id,
    EXISTS (SELECT FROM chat) AS ours`, chatID, username, int64(messageID))
	if err != nil {
		return 0, false, fmt.Errorf("catalog: posted item: %w", err)
	}
	return r.ItemID, r.Ours, nil
}

// Watcher is a seller's message showing a week's publication progress.
type Watcher struct {
	ChatID    int64  `db:"chat_id"`
	MessageID int    `db:"message_id"`
	Lang      string `db:"lang"`
}

// Watch records a progress message of a week's publication.
func (s *Store) Watch(ctx context.Context, weekID int64, w Watcher) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO week_watchers (week_id, chat_id, message_id, lang) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING`, weekID, w.ChatID, w.MessageID, w.Lang); err != nil {
		return fmt.Errorf("catalog: watch: %w", err)
	}
	return nil
}

// Watchers lists a week's progress messages.
func (s *Store) Watchers(ctx context.Context, weekID int64) ([]Watcher, error) {
	var ws []Watcher
	if err := s.db.SelectContext(ctx, &ws, `SELECT chat_id, message_id, lang FROM week_watchers WHERE week_id = $1`, weekID); err != nil {
		return nil, fmt.Errorf("catalog: watchers: %w", err)
	}
	return ws, nil
}

// Unwatch forgets a week's progress messages once it is published.
func (s *Store) Unwatch(ctx context.Context, weekID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM week_watchers WHERE week_id = $1`, weekID); err != nil {
		return fmt.Errorf("catalog: unwatch: %w", err)
	}
	return nil
}
