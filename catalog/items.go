package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Item is something the shop sells, with its photos (without their bytes) and variants.
type Item struct {
	ID          int64     `db:"id"`
	WeekID      int64     `db:"week_id"`
	Title       string    `db:"title"`
	Description string    `db:"description"`
	Price       int64     `db:"price"` // minor units of Currency
	Currency    string    `db:"currency"`
	Hidden      bool      `db:"hidden"`
	Position    int       `db:"position"`
	Photos      []Photo   `db:"-"`
	Variants    []Variant `db:"-"`
}

// Photo is one of an item's photos.
type Photo struct {
	ID           int64  `db:"id"`
	ItemID       int64  `db:"item_id"`
	Position     int    `db:"position"`
	MIME         string `db:"mime"`
	FileID       string `db:"file_id"`
	FileUniqueID string `db:"file_unique_id"`
}

// Variant is a size or colour with its own stock.
type Variant struct {
	ID       int64  `db:"id"`
	ItemID   int64  `db:"item_id"`
	Name     string `db:"name"` // empty for an item without sizes
	Position int    `db:"position"`
	Stock    *int   `db:"stock"` // nil: unlimited
}

// Unlimited reports whether the variant never runs out (pre-orders).
func (v Variant) Unlimited() bool { return v.Stock == nil }

// InStock reports whether n more can be booked.
func (v Variant) InStock(n int) bool { return v.Stock == nil || *v.Stock >= n }

// SoldOut reports whether none of the item's variants can be booked.
func (it Item) SoldOut() bool {
	for _, v := range it.Variants {
		if v.InStock(1) {
			return false
		}
	}
	return true
}

// Variant returns the item's variant with id.
func (it Item) Variant(id int64) (Variant, bool) {
	for _, v := range it.Variants {
		if v.ID == id {
			return v, true
		}
	}
	return Variant{}, false
}

// NewPhoto is a photo to store with an item.
type NewPhoto struct {
	Data         []byte
	MIME         string
	FileID       string
	FileUniqueID string
}

// NewItem is an item to create.
type NewItem struct {
	Title       string
	Description string
	Price       int64
	Currency    string
	Photos      []NewPhoto
	Variants    []VariantSpec
	// Key, when set, makes the item the same one however often it is created: the key of
	// the draft it comes from.
	Key string
}

const itemColumns = `id, week_id, title, description, price, currency, hidden, position`

// CreateItem stores an item with its photos and variants in one transaction, last in the
// week. An item created before with the same key is returned as it is, not added again.
func (s *Store) CreateItem(ctx context.Context, weekID int64, n NewItem) (Item, error) {
	if len(n.Photos) == 0 || len(n.Photos) > MaxPhotos || len(n.Variants) == 0 {
		return Item{}, fmt.Errorf("catalog: create item: %w", ErrTooMany)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Item{}, fmt.Errorf("catalog: create item: %w", err)
	}
	defer tx.Rollback()
	var id int64
	err = tx.GetContext(ctx, &id, `INSERT INTO items (week_id, title, description, price, currency, position, draft_key)
SELECT $1, $2, $3, $4, $5, COALESCE(MAX(position), 0) + 1, NULLIF($6, '') FROM items WHERE week_id = $1
ON CONFLICT (draft_key) DO NOTHING RETURNING id`, weekID, n.Title, n.Description, n.Price, n.Currency, n.Key)
	if errors.Is(err, sql.ErrNoRows) {
		// Created before: the first one stands.
		if err := tx.GetContext(ctx, &id, `SELECT id FROM items WHERE draft_key = $1`, n.Key); err != nil {
			return Item{}, fmt.Errorf("catalog: create item: %w", err)
		}
		return s.Item(ctx, id)
	}
	if err != nil {
		return Item{}, fmt.Errorf("catalog: create item: %w", err)
	}
	for i, p := range n.Photos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO item_photos (item_id, position, data, mime, file_id, file_unique_id)
VALUES ($1, $2, $3, $4, $5, $6)`, id, i+1, p.Data, p.MIME, p.FileID, p.FileUniqueID); err != nil {
			return Item{}, fmt.Errorf("catalog: create item photo: %w", err)
		}
	}
	if err := insertVariants(ctx, tx, id, n.Variants); err != nil {
		return Item{}, err
	}
	if err := markWeekDirty(ctx, tx, weekID); err != nil {
		return Item{}, err
	}
	if err := tx.Commit(); err != nil {
		return Item{}, fmt.Errorf("catalog: create item: %w", err)
	}
	return s.Item(ctx, id)
}

func insertVariants(ctx context.Context, tx *sqlx.Tx, itemID int64, specs []VariantSpec) error {
	for i, v := range specs {
		var stock *int
		if !v.Unlimited {
			n := v.Stock
			stock = &n
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO variants (item_id, name, position, stock) VALUES ($1, $2, $3, $4)`,
			itemID, v.Name, i+1, stock); err != nil {
			return fmt.Errorf("catalog: insert variant: %w", err)
		}
	}
	return nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func markWeekDirty(ctx context.Context, db execer, weekID int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE weeks SET `+dirty+` WHERE id = $1`, weekID); err != nil {
		return fmt.Errorf("catalog: mark week changed: %w", err)
	}
	return nil
}

func markItemWeekDirty(ctx context.Context, db execer, itemID int64) error {
	if _, err := db.ExecContext(ctx, `UPDATE weeks SET `+dirty+` WHERE id = (SELECT week_id FROM items WHERE id = $1)`, itemID); err != nil {
		return fmt.Errorf("catalog: mark week changed: %w", err)
	}
	return nil
}

// itemSelect reads items with their photos and variants in one statement: each item's
// photos and variants come as a JSON array of objects keyed by the Go field names.
const itemSelect = `SELECT i.id, i.week_id, i.title, i.description, i.price, i.currency, i.hidden, i.position,
    (SELECT coalesce(json_agg(json_build_object('ID', p.id, 'ItemID', p.item_id, 'Position', p.position,
        'MIME', p.mime, 'FileID', p.file_id, 'FileUniqueID', p.file_unique_id) ORDER BY p.position), '[]')
     FROM item_photos p WHERE p.item_id = i.id) AS photos_json,
    (SELECT coalesce(json_agg(json_build_object('ID', v.id, 'ItemID', v.item_id, 'Name', v.name,
        'Position', v.position, 'Stock', v.stock) ORDER BY v.position), '[]')
     FROM variants v WHERE v.item_id = i.id) AS variants_json`

// itemRow is a row of itemSelect.
type itemRow struct {
	Item
	PhotosJSON   []byte `db:"photos_json"`
	VariantsJSON []byte `db:"variants_json"`
}

func (r itemRow) item() (Item, error) {
	it := r.Item
	if err := json.Unmarshal(r.PhotosJSON, &it.Photos); err != nil {
		return Item{}, fmt.Errorf("catalog: photos of item %d: %w", it.ID, err)
	}
	if err := json.Unmarshal(r.VariantsJSON, &it.Variants); err != nil {
		return Item{}, fmt.Errorf("catalog: variants of item %d: %w", it.ID, err)
	}
	return it, nil
}

// selectItems runs an itemSelect query and decodes its rows.
func (s *Store) selectItems(ctx context.Context, q string, args ...any) ([]Item, error) {
	var rows []itemRow
	if err := s.stmts.Select(ctx, nil, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("catalog: items: %w", err)
	}
	items := make([]Item, len(rows))
	for i, r := range rows {
		it, err := r.item()
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	return items, nil
}

// Item returns the item with id, its photos and variants.
func (s *Store) Item(ctx context.Context, id int64) (Item, error) {
	items, err := s.selectItems(ctx, itemSelect+` FROM items i WHERE i.id = $1`, id)
	if err != nil {
		return Item{}, err
	}
	if len(items) == 0 {
		return Item{}, ErrNotFound
	}
	return items[0], nil
}

// ItemInWeek returns the item with id, its photos and variants, and its week, read together.
func (s *Store) ItemInWeek(ctx context.Context, id int64) (Item, Week, error) {
	var row itemWeekRow
	err := s.stmts.Get(ctx, nil, &row, itemWeekSelect+` WHERE i.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, Week{}, ErrNotFound
	}
	if err != nil {
		return Item{}, Week{}, fmt.Errorf("catalog: item and week: %w", err)
	}
	it, err := row.item()
	return it, row.Week, err
}

// ItemOnShow returns an item, its week and the ids of the week's items on show in order
// (the item among them only if it is not hidden), in one statement.
func (s *Store) ItemOnShow(ctx context.Context, id int64) (Item, Week, []int64, error) {
	return s.onShow(ctx, `i.id = $1`, id)
}

// FirstOnShow returns the first item on show of a week, the week and the ids of its
// items on show in order, in one statement; ErrNotFound if none is on show.
func (s *Store) FirstOnShow(ctx context.Context, weekID int64) (Item, Week, []int64, error) {
	return s.onShow(ctx, `i.id = (SELECT id FROM items WHERE week_id = $1 AND NOT hidden ORDER BY position, id LIMIT 1)`, weekID)
}

// onShow reads the item that where finds with its week and the ids of the week's items
// on show: a card needs its neighbours' ids only, not their photos and variants, which
// would make every card cost as much as the whole week.
func (s *Store) onShow(ctx context.Context, where string, arg any) (Item, Week, []int64, error) {
	var row struct {
		itemWeekRow
		Shown pq.Int64Array `db:"shown"`
	}
	err := s.stmts.Get(ctx, nil, &row, itemSelect+weekOfItemColumns+`,
    ARRAY(SELECT o.id FROM items o WHERE o.week_id = i.week_id AND NOT o.hidden ORDER BY o.position, o.id) AS shown
FROM items i JOIN weeks w ON w.id = i.week_id WHERE `+where, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, Week{}, nil, ErrNotFound
	}
	if err != nil {
		return Item{}, Week{}, nil, fmt.Errorf("catalog: item and its week's: %w", err)
	}
	it, err := row.item()
	if err != nil {
		return Item{}, Week{}, nil, err
	}
	return it, row.Week, row.Shown, nil
}

// weekOfItemColumns are the columns of an item's week (w), to follow itemSelect's.
const weekOfItemColumns = `,
    w.id AS "week.id", w.title AS "week.title", w.status AS "week.status", w.publish_at AS "week.publish_at",
    w.closes_at AS "week.closes_at", w.published_at AS "week.published_at", w.closed_at AS "week.closed_at",
    w.needs_sync AS "week.needs_sync", w.sync_generation AS "week.sync_generation"`

// itemWeekSelect reads items (i) with their week (w).
const itemWeekSelect = itemSelect + weekOfItemColumns + `
FROM items i JOIN weeks w ON w.id = i.week_id`

// itemWeekRow is a row of itemWeekSelect.
type itemWeekRow struct {
	itemRow
	Week Week `db:"week"`
}

// Items lists a week's items in order, hidden ones only if asked.
func (s *Store) Items(ctx context.Context, weekID int64, withHidden bool) ([]Item, error) {
	return s.selectItems(ctx, itemSelect+` FROM items i
WHERE i.week_id = $1 AND (NOT i.hidden OR $2) ORDER BY i.position, i.id`, weekID, withHidden)
}

// ItemsByID returns the items with these ids that exist, in no particular order, and
// their weeks by id.
func (s *Store) ItemsByID(ctx context.Context, ids []int64) ([]Item, map[int64]Week, error) {
	var rows []itemWeekRow
	if err := s.stmts.Select(ctx, nil, &rows, itemWeekSelect+` WHERE i.id = ANY($1)`, pq.Array(ids)); err != nil {
		return nil, nil, fmt.Errorf("catalog: items by id: %w", err)
	}
	items := make([]Item, len(rows))
	weeks := map[int64]Week{}
	for i, r := range rows {
		it, err := r.item()
		if err != nil {
			return nil, nil, err
		}
		items[i], weeks[r.Week.ID] = it, r.Week
	}
	return items, weeks, nil
}

// PhotoData returns the stored bytes of a photo.
func (s *Store) PhotoData(ctx context.Context, photoID int64) ([]byte, error) {
	var data []byte
	err := s.db.GetContext(ctx, &data, `SELECT data FROM item_photos WHERE id = $1`, photoID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: photo data: %w", err)
	}
	return data, nil
}

// SetPhotoFileID remembers the Telegram file id a photo was last sent with.
func (s *Store) SetPhotoFileID(ctx context.Context, photoID int64, fileID, uniqueID string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE item_photos SET file_id = $2, file_unique_id = $3 WHERE id = $1`,
		photoID, fileID, uniqueID); err != nil {
		return fmt.Errorf("catalog: set photo file id: %w", err)
	}
	return nil
}

// UpdateText changes an item's title and description.
func (s *Store) UpdateText(ctx context.Context, id int64, title, description string) error {
	return s.updateItem(ctx, id, `UPDATE items SET title = $2, description = $3, updated_at = now() WHERE id = $1`, title, description)
}

// UpdatePrice changes an item's price. Orders keep the price they were placed at.
func (s *Store) UpdatePrice(ctx context.Context, id int64, price int64) error {
	return s.updateItem(ctx, id, `UPDATE items SET price = $2, updated_at = now() WHERE id = $1`, price)
}

// SetHidden hides an item from customers (and its channel post says it is unavailable), or shows it again.
func (s *Store) SetHidden(ctx context.Context, id int64, hidden bool) error {
	return s.updateItem(ctx, id, `UPDATE items SET hidden = $2, updated_at = now() WHERE id = $1`, hidden)
}

func (s *Store) updateItem(ctx context.Context, id int64, q string, args ...any) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: update item: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, q, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("catalog: update item: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := markItemWeekDirty(ctx, tx, id); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: update item: %w", err)
	}
	return nil
}

// SetStock sets a variant's stock as the seller counts it (nil: unlimited).
func (s *Store) SetStock(ctx context.Context, variantID int64, stock *int) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: set stock: %w", err)
	}
	defer tx.Rollback()
	var itemID int64
	err = tx.GetContext(ctx, &itemID, `UPDATE variants SET stock = $2 WHERE id = $1 RETURNING item_id`, variantID, stock)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("catalog: set stock: %w", err)
	}
	if err := markItemWeekDirty(ctx, tx, itemID); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: set stock: %w", err)
	}
	return nil
}

// ReplaceVariants replaces an item's variants. Refused with ErrHasOrders once an order
// references one of them: change their stock instead.
func (s *Store) ReplaceVariants(ctx context.Context, itemID int64, specs []VariantSpec) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: replace variants: %w", err)
	}
	defer tx.Rollback()
	if len(specs) == 0 {
		return fmt.Errorf("catalog: replace variants: %w", ErrTooMany)
	}
	// The lock makes two replacements of one item take turns.
	var one int
	err = tx.GetContext(ctx, &one, `SELECT 1 FROM items WHERE id = $1 FOR UPDATE`, itemID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("catalog: replace variants: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM variants WHERE item_id = $1`, itemID); err != nil {
		return referenced(err, "replace variants")
	}
	if err := insertVariants(ctx, tx, itemID, specs); err != nil {
		return err
	}
	if err := markItemWeekDirty(ctx, tx, itemID); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: replace variants: %w", err)
	}
	return nil
}

// DeleteItem deletes an item with its photos and variants. Its channel post, if it has
// one, stays recorded as withdrawn, saying wd where it cannot be deleted, for the
// publisher to take out (WithdrawnPosts). Refused with ErrHasOrders once an order
// references it: hide it instead.
func (s *Store) DeleteItem(ctx context.Context, id int64, wd Withdrawal) error {
	withdrawn, err := json.Marshal(wd)
	if err != nil {
		return fmt.Errorf("catalog: delete item: %w", err)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: delete item: %w", err)
	}
	defer tx.Rollback()
	// The item first: a post being recorded for it (AddPost) is then either in, and
	// withdrawn below, or refused as the item's once it is gone; never cascaded away.
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM items WHERE id = $1 FOR UPDATE`, id); err != nil {
		return fmt.Errorf("catalog: delete item: %w", err)
	}
	if err := markItemWeekDirty(ctx, tx, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE channel_posts SET item_id = NULL, withdrawn = $2 WHERE item_id = $1`,
		id, string(withdrawn)); err != nil {
		return fmt.Errorf("catalog: withdraw post: %w", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM items WHERE id = $1`, id)
	if err != nil {
		return referenced(err, "delete item")
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := tx.Commit(); err != nil {
		return referenced(err, "delete item")
	}
	return nil
}

// referenced maps a foreign-key violation (an order line points here) to ErrHasOrders.
func referenced(err error, what string) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23503" {
		return ErrHasOrders
	}
	return fmt.Errorf("catalog: %s: %w", what, err)
}

// ReplacePhotos replaces the photos, in the order given, of an item not posted to the channel
// (ErrPosted): a post keeps the photos it went out with.
func (s *Store) ReplacePhotos(ctx context.Context, itemID int64, photos []NewPhoto) error {
	if len(photos) == 0 || len(photos) > MaxPhotos {
		return fmt.Errorf("catalog: replace photos: %w", ErrTooMany)
	}
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: replace photos: %w", err)
	}
	defer tx.Rollback()
	var posted bool
	err = tx.GetContext(ctx, &posted, `SELECT EXISTS (SELECT FROM channel_posts WHERE item_id = i.id) FROM items i WHERE id = $1 FOR UPDATE`, itemID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("catalog: replace photos: %w", err)
	}
	if posted {
		// Posted while the seller was sending the new ones: the channel keeps the old.
		return ErrPosted
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM item_photos WHERE item_id = $1`, itemID); err != nil {
		return fmt.Errorf("catalog: replace photos: %w", err)
	}
	for i, p := range photos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO item_photos (item_id, position, data, mime, file_id, file_unique_id)
VALUES ($1, $2, $3, $4, $5, $6)`, itemID, i+1, p.Data, p.MIME, p.FileID, p.FileUniqueID); err != nil {
			return fmt.Errorf("catalog: replace photos: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: replace photos: %w", err)
	}
	return nil
}
