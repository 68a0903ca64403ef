package orders

import (
	"archive/zip"
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shopbot/shopbot/money"
)

// Exports stream: each one reads its rows through one cursor and writes every row as it
// arrives, so memory stays flat however many orders the shop has.

// TelegramUploadLimit is the largest file a bot may send (50 MB), counted in decimal
// megabytes so a part stays under the limit whichever megabyte Telegram means.
const TelegramUploadLimit = 50 * 1000 * 1000

// Range selects orders by created_at in [From, To). A zero From or To leaves that side open;
// the zero Range is everything.
type Range struct{ From, To time.Time }

func (r Range) bounded() bool { return !r.From.IsZero() || !r.To.IsZero() }

// args gives From and To as query parameters, NULL for an open side.
func (r Range) args() (from, to any) {
	if !r.From.IsZero() {
		from = r.From
	}
	if !r.To.IsZero() {
		to = r.To
	}
	return from, to
}

// inRange filters orders o by $1 (from) and $2 (to), either of which may be NULL.
const inRange = `($1::timestamptz IS NULL OR o.created_at >= $1) AND ($2::timestamptz IS NULL OR o.created_at < $2)`

// latestOrderPhone is the phone of customer c's latest order that has one: customers who
// never shared a contact still typed a phone at checkout.
const latestOrderPhone = `(SELECT o.phone FROM orders o WHERE o.customer_id = c.id AND o.phone <> ''
    ORDER BY o.created_at DESC, o.id DESC LIMIT 1)`

// spentStatuses are the orders whose money the shop has: they count in total_spent.
var spentStatuses = []string{string(Paid), string(ReadyForPickup), string(Shipped), string(Completed)}

// CSV column headers: fixed English identifiers, the same in every shop, so that a seller's
// spreadsheet formulas and scripts keep working across exports and languages.
var (
	ordersHeader = []string{"code", "status", "created_at", "customer_id", "customer_name", "username",
		"recipient_name", "phone", "address", "delivery", "note", "currency", "total", "items_count", "expires_at"}
	orderLinesHeader = []string{"order_code", "order_status", "created_at", "item_id", "title", "variant",
		"quantity", "unit_price", "amount", "currency"}
	customersHeader = []string{"id", "name", "username", "phone", "language", "blocked", "first_seen", "last_seen",
		"first_order", "last_order", "order_count", "total_spent"}
	messagesHeader = []string{"sent_at", "customer_id", "customer_name", "seller_id", "order_code", "text", "photo"}
)

const exportOrdersQuery = `
SELECT o.code, o.status, o.created_at, o.customer_id, c.first_name, c.last_name, c.username,
    o.recipient_name, o.phone, o.address, o.delivery, o.note, o.currency, o.total,
    (SELECT COALESCE(sum(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS items_count,
    o.expires_at
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE ` + inRange + `
ORDER BY o.created_at, o.id`

type exportOrder struct {
	Code          string    `db:"code"`
	Status        string    `db:"status"`
	CreatedAt     time.Time `db:"created_at"`
	CustomerID    int64     `db:"customer_id"`
	FirstName     string    `db:"first_name"`
	LastName      string    `db:"last_name"`
	Username      string    `db:"username"`
	RecipientName string    `db:"recipient_name"`
	Phone         string    `db:"phone"`
	Address       string    `db:"address"`
	Delivery      string    `db:"delivery"`
	Note          string    `db:"note"`
	Currency      string    `db:"currency"`
	Total         int64     `db:"total"`
	ItemsCount    int64     `db:"items_count"`
	ExpiresAt     time.Time `db:"expires_at"`
}

// WriteOrdersCSV writes the orders created in r, oldest first, one row each, with the
// columns of ordersHeader: times in RFC 3339 in loc (UTC when nil), total in major units of
// the order's currency ("12.50", "150000"), items_count the number of pieces (the sum of
// the lines' quantities). It returns the number of orders written.
func (s *Store) WriteOrdersCSV(ctx context.Context, w io.Writer, r Range, loc *time.Location) (int, error) {
	return writeOrdersCSV(ctx, s.db, w, r, loc)
}

func writeOrdersCSV(ctx context.Context, q sqlx.QueryerContext, w io.Writer, r Range, loc *time.Location) (int, error) {
	loc = orUTC(loc)
	from, to := r.args()
	rows, err := q.QueryxContext(ctx, exportOrdersQuery, from, to)
	if err != nil {
		return 0, fmt.Errorf("orders: export orders: %w", err)
	}
	defer rows.Close()
	cw, err := newCSV(w, ordersHeader)
	if err != nil {
		return 0, fmt.Errorf("orders: export orders: %w", err)
	}
	n := 0
	var o exportOrder
	for rows.Next() {
		if err := rows.StructScan(&o); err != nil {
			return n, fmt.Errorf("orders: export orders: %w", err)
		}
		name := Customer{FirstName: o.FirstName, LastName: o.LastName, Username: o.Username}.Name()
		if err := cw.Write([]string{
			o.Code, o.Status, stamp(o.CreatedAt, loc), strconv.FormatInt(o.CustomerID, 10), cell(name),
			cell(o.Username), cell(o.RecipientName), phoneCell(o.Phone), cell(o.Address), o.Delivery,
			cell(o.Note), o.Currency, decimal(o.Total, o.Currency), strconv.FormatInt(o.ItemsCount, 10),
			stamp(o.ExpiresAt, loc),
		}); err != nil {
			return n, fmt.Errorf("orders: export orders: %w", err)
		}
		n++
	}
	if err := endCSV(cw, rows); err != nil {
		return n, fmt.Errorf("orders: export orders: %w", err)
	}
	return n, nil
}

const exportLinesQuery = `
SELECT o.code, o.status, o.created_at, o.currency, l.item_id, l.title, l.variant_name, l.quantity, l.unit_price
FROM order_lines l JOIN orders o ON o.id = l.order_id
WHERE ` + inRange + `
ORDER BY o.created_at, o.id, l.id`

type exportLine struct {
	Code        string    `db:"code"`
	Status      string    `db:"status"`
	CreatedAt   time.Time `db:"created_at"`
	Currency    string    `db:"currency"`
	ItemID      int64     `db:"item_id"`
	Title       string    `db:"title"`
	VariantName string    `db:"variant_name"`
	Quantity    int64     `db:"quantity"`
	UnitPrice   int64     `db:"unit_price"`
}

// WriteOrderLinesCSV writes the lines of the orders created in r, in the orders' order, one
// row each, with the columns of orderLinesHeader; created_at is the order's. It returns the
// number of lines written.
func (s *Store) WriteOrderLinesCSV(ctx context.Context, w io.Writer, r Range, loc *time.Location) (int, error) {
	return writeOrderLinesCSV(ctx, s.db, w, r, loc)
}

func writeOrderLinesCSV(ctx context.Context, q sqlx.QueryerContext, w io.Writer, r Range, loc *time.Location) (int, error) {
	loc = orUTC(loc)
	from, to := r.args()
	rows, err := q.QueryxContext(ctx, exportLinesQuery, from, to)
	if err != nil {
		return 0, fmt.Errorf("orders: export order lines: %w", err)
	}
	defer rows.Close()
	cw, err := newCSV(w, orderLinesHeader)
	if err != nil {
		return 0, fmt.Errorf("orders: export order lines: %w", err)
	}
	n := 0
	var l exportLine
	for rows.Next() {
		if err := rows.StructScan(&l); err != nil {
			return n, fmt.Errorf("orders: export order lines: %w", err)
		}
		if err := cw.Write([]string{
			l.Code, l.Status, stamp(l.CreatedAt, loc), strconv.FormatInt(l.ItemID, 10), cell(l.Title),
			cell(l.VariantName), strconv.FormatInt(l.Quantity, 10), decimal(l.UnitPrice, l.Currency),
			decimal(l.UnitPrice*l.Quantity, l.Currency), l.Currency,
		}); err != nil {
			return n, fmt.Errorf("orders: export order lines: %w", err)
		}
		n++
	}
	if err := endCSV(cw, rows); err != nil {
		return n, fmt.Errorf("orders: export order lines: %w", err)
	}
	return n, nil
}

// exportCustomersQuery takes $1 and $2 (the range), $3 (spentStatuses) and $4 (whether the
// range is bounded: then only customers with an order in it).
const exportCustomersQuery = `
SELECT c.id, c.first_name, c.last_name, c.username,
    COALESCE(NULLIF(c.language, ''), c.telegram_language) AS language,
    COALESCE(NULLIF(c.phone, ''), ` + latestOrderPhone + `, '') AS phone,
    c.blocked, c.first_seen, c.last_seen,
    st.first_order, st.last_order, st.order_count, st.spent
FROM customers c
CROSS JOIN LATERAL (
    SELECT min(o.created_at) AS first_order, max(o.created_at) AS last_order, count(*) AS order_count,
        COALESCE(sum(o.total) FILTER (WHERE o.status = ANY($3)), 0)::bigint AS spent
    FROM orders o WHERE o.customer_id = c.id AND ` + inRange + `
) st
WHERE NOT $4::boolean OR st.order_count > 0
ORDER BY c.id`

type exportCustomer struct {
	ID         int64      `db:"id"`
	FirstName  string     `db:"first_name"`
	LastName   string     `db:"last_name"`
	Username   string     `db:"username"`
	Language   string     `db:"language"`
	Phone      string     `db:"phone"`
	Blocked    bool       `db:"blocked"`
	FirstSeen  time.Time  `db:"first_seen"`
	LastSeen   time.Time  `db:"last_seen"`
	FirstOrder *time.Time `db:"first_order"`
	LastOrder  *time.Time `db:"last_order"`
	OrderCount int64      `db:"order_count"`
	Spent      int64      `db:"spent"`
}

// WriteCustomersCSV writes customers, by id, with the columns of customersHeader. With the
// zero Range it writes everyone who ever talked to the bot; with a bounded one, the
// customers with an order in it, and then first_order, last_order, order_count and
// total_spent cover the orders in the range only, so the file adds up with the orders
// export of the same range. phone is the customer's, or else the phone of their latest
// order; language the chosen one, or else Telegram's. total_spent sums the orders the shop
// was paid for (paid, ready_for_pickup, shipped, completed) in the shop's one currency,
// taken from the latest order; a customer without orders has "0". It returns the number of
// customers written.
func (s *Store) WriteCustomersCSV(ctx context.Context, w io.Writer, r Range, loc *time.Location) (int, error) {
	return writeCustomersCSV(ctx, s.db, w, r, loc)
}

func writeCustomersCSV(ctx context.Context, q sqlx.QueryerContext, w io.Writer, r Range, loc *time.Location) (int, error) {
	loc = orUTC(loc)
	var cur string
	err := sqlx.GetContext(ctx, q, &cur, `SELECT currency FROM orders ORDER BY id DESC LIMIT 1`)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("orders: export customers: shop currency: %w", err)
	}
	from, to := r.args()
	rows, err := q.QueryxContext(ctx, exportCustomersQuery, from, to, pq.Array(spentStatuses), r.bounded())
	if err != nil {
		return 0, fmt.Errorf("orders: export customers: %w", err)
	}
	defer rows.Close()
	cw, err := newCSV(w, customersHeader)
	if err != nil {
		return 0, fmt.Errorf("orders: export customers: %w", err)
	}
	n := 0
	var c exportCustomer
	for rows.Next() {
		// StructScan leaves a NULL's pointer as it was: reset, or one customer's first
		// order would show on the next customer without orders.
		c = exportCustomer{}
		if err := rows.StructScan(&c); err != nil {
			return n, fmt.Errorf("orders: export customers: %w", err)
		}
		firstOrder, lastOrder, spent := "", "", "0"
		if c.OrderCount > 0 {
			firstOrder, lastOrder = stamp(*c.FirstOrder, loc), stamp(*c.LastOrder, loc)
			spent = decimal(c.Spent, cur)
		}
		name := Customer{FirstName: c.FirstName, LastName: c.LastName, Username: c.Username}.Name()
		if err := cw.Write([]string{
			strconv.FormatInt(c.ID, 10), cell(name), cell(c.Username), phoneCell(c.Phone), cell(c.Language),
			strconv.FormatBool(c.Blocked), stamp(c.FirstSeen, loc), stamp(c.LastSeen, loc), firstOrder, lastOrder,
			strconv.FormatInt(c.OrderCount, 10), spent,
		}); err != nil {
			return n, fmt.Errorf("orders: export customers: %w", err)
		}
		n++
	}
	if err := endCSV(cw, rows); err != nil {
		return n, fmt.Errorf("orders: export customers: %w", err)
	}
	return n, nil
}

const exportMessagesQuery = `
SELECT m.created_at, m.customer_id, c.first_name, c.last_name, c.username, m.seller_id,
    COALESCE(o.code, '') AS order_code, m.text, m.photo_file_id <> '' AS photo
FROM messages m
JOIN customers c ON c.id = m.customer_id
LEFT JOIN orders o ON o.id = m.order_id
WHERE ($1::timestamptz IS NULL OR m.created_at >= $1) AND ($2::timestamptz IS NULL OR m.created_at < $2)
ORDER BY m.created_at, m.id`

type exportMessage struct {
	CreatedAt  time.Time `db:"created_at"`
	CustomerID int64     `db:"customer_id"`
	FirstName  string    `db:"first_name"`
	LastName   string    `db:"last_name"`
	Username   string    `db:"username"`
	SellerID   *int64    `db:"seller_id"`
	OrderCode  string    `db:"order_code"`
	Text       string    `db:"text"`
	Photo      bool      `db:"photo"`
}

// WriteMessagesCSV writes what customers wrote to the shop and what its sellers answered
// (AddMessage), sent in r, oldest first, with the columns of messagesHeader: seller_id is
// empty for the customer's own words, order_code for a message about no order, and photo
// tells a photo came with the text (the photo stays in Telegram). It returns the number
// of messages written.
func (s *Store) WriteMessagesCSV(ctx context.Context, w io.Writer, r Range, loc *time.Location) (int, error) {
	return writeMessagesCSV(ctx, s.db, w, r, loc)
}

func writeMessagesCSV(ctx context.Context, q sqlx.QueryerContext, w io.Writer, r Range, loc *time.Location) (int, error) {
	loc = orUTC(loc)
	from, to := r.args()
	rows, err := q.QueryxContext(ctx, exportMessagesQuery, from, to)
	if err != nil {
		return 0, fmt.Errorf("orders: export messages: %w", err)
	}
	defer rows.Close()
	cw, err := newCSV(w, messagesHeader)
	if err != nil {
		return 0, fmt.Errorf("orders: export messages: %w", err)
	}
	n := 0
	for rows.Next() {
		var m exportMessage
		if err := rows.StructScan(&m); err != nil {
			return n, fmt.Errorf("orders: export messages: %w", err)
		}
		seller := ""
		if m.SellerID != nil {
			seller = strconv.FormatInt(*m.SellerID, 10)
		}
		name := Customer{FirstName: m.FirstName, LastName: m.LastName, Username: m.Username}.Name()
		if err := cw.Write([]string{
			stamp(m.CreatedAt, loc), strconv.FormatInt(m.CustomerID, 10), cell(name), seller, m.OrderCode, cell(m.Text),
			strconv.FormatBool(m.Photo),
		}); err != nil {
			return n, fmt.Errorf("orders: export messages: %w", err)
		}
		n++
	}
	if err := endCSV(cw, rows); err != nil {
		return n, fmt.Errorf("orders: export messages: %w", err)
	}
	return n, nil
}

// exportContactsQuery takes $1 and $2 (the range) and $3 (whether it is bounded).
const exportContactsQuery = `
SELECT c.id, c.first_name, c.last_name, c.username, c.delivery_name, p.phone
FROM customers c
CROSS JOIN LATERAL (SELECT COALESCE(NULLIF(c.phone, ''), ` + latestOrderPhone + `, '') AS phone) p
WHERE p.phone <> ''
    AND (NOT $3::boolean OR EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id AND ` + inRange + `))
ORDER BY c.id`

type exportContact struct {
	ID           int64  `db:"id"`
	FirstName    string `db:"first_name"`
	LastName     string `db:"last_name"`
	Username     string `db:"username"`
	DeliveryName string `db:"delivery_name"`
	Phone        string `db:"phone"`
}

// WriteCustomersVCF writes a vCard 3.0 (RFC 2426) for every customer with a phone (their
// own, or else their latest order's), by id, for the customers WriteCustomersCSV would
// write, so the seller can import them into a phone's contacts. It returns the number of
// cards written.
func (s *Store) WriteCustomersVCF(ctx context.Context, w io.Writer, r Range) (int, error) {
	return writeCustomersVCF(ctx, s.db, w, r)
}

func writeCustomersVCF(ctx context.Context, q sqlx.QueryerContext, w io.Writer, r Range) (int, error) {
	from, to := r.args()
	rows, err := q.QueryxContext(ctx, exportContactsQuery, from, to, r.bounded())
	if err != nil {
		return 0, fmt.Errorf("orders: export vcard: %w", err)
	}
	defer rows.Close()
	bw := bufio.NewWriter(w)
	n := 0
	var c exportContact
	for rows.Next() {
		if err := rows.StructScan(&c); err != nil {
			return n, fmt.Errorf("orders: export vcard: %w", err)
		}
		writeCard(bw, c)
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("orders: export vcard: %w", err)
	}
	// bufio.Writer keeps its first error and Flush reports it.
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("orders: export vcard: %w", err)
	}
	return n, nil
}

func writeCard(bw *bufio.Writer, c exportContact) {
	// FN is required: fall back to the name given at checkout, then to the number itself.
	fn := Customer{FirstName: c.FirstName, LastName: c.LastName, Username: c.Username}.Name()
	if fn == "" {
		fn = c.DeliveryName
	}
	if fn == "" {
		fn = c.Phone
	}
	family, given := c.LastName, c.FirstName
	if family == "" && given == "" {
		given = fn
	}
	note := "Telegram"
	if c.Username != "" {
		note += " @" + c.Username
	}
	// tg://user?id= carries the user id in the form Telegram apps open as a chat.
	note += " tg://user?id=" + strconv.FormatInt(c.ID, 10)
	for _, line := range []string{
		"BEGIN:VCARD",
		"VERSION:3.0",
		"FN:" + vcardText(fn),
		"N:" + vcardText(family) + ";" + vcardText(given) + ";;;",
		"TEL;TYPE=CELL:" + vcardText(c.Phone),
		"NOTE:" + vcardText(note),
		"END:VCARD",
	} {
		writeFolded(bw, line)
	}
}

// vcardEscaper escapes a text value per RFC 2426 §4: backslash, comma, semicolon and
// newlines (any of CRLF, LF, CR becomes \n). "\r\n" comes before "\r" so it wins.
var vcardEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `;`, `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func vcardText(s string) string { return vcardEscaper.Replace(s) }

// writeFolded writes one content line folded per RFC 2425 §5.8.1: no physical line longer
// than 75 octets, each continuation starting with one space. The break goes before the
// first byte of a rune, never inside a UTF-8 sequence, so every physical line is valid
// UTF-8 for readers that decode line by line.
func writeFolded(bw *bufio.Writer, line string) {
	const width = 75
	room := width
	for len(line) > room {
		cut := room
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 { // not UTF-8 at all: any cut is as good
			cut = room
		}
		bw.WriteString(line[:cut])
		bw.WriteString("\r\n ")
		line = line[cut:]
		room = width - 1 // the leading space counts
	}
	bw.WriteString(line)
	bw.WriteString("\r\n")
}

// WriteBackupZip writes a zip of everything the shop would need to start again: the CSVs
// and vCard above for r (orders.csv, order_lines.csv, customers.csv, customers.vcf,
// messages.csv), every item photo as photos/item_<item id>_<position>.<ext>, and the
// receipts of the orders in r as receipts/<order code>_<receipt id>.<ext>. The zip is written as it is made, and
// photos and receipts are read one at a time. Everything is read in one read-only
// repeatable-read transaction, so the files agree with each other even while orders come in.
func (s *Store) WriteBackupZip(ctx context.Context, w io.Writer, r Range, loc *time.Location) error {
	loc = orUTC(loc)
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("orders: export backup: %w", err)
	}
	defer tx.Rollback()
	// The files show the database as of the snapshot: that is their modification time.
	var at time.Time
	if err := tx.GetContext(ctx, &at, `SELECT now()`); err != nil {
		return fmt.Errorf("orders: export backup: %w", err)
	}
	at = at.In(loc)

	zw := zip.NewWriter(w)
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"orders.csv", func(f io.Writer) error { _, err := writeOrdersCSV(ctx, tx, f, r, loc); return err }},
		{"order_lines.csv", func(f io.Writer) error { _, err := writeOrderLinesCSV(ctx, tx, f, r, loc); return err }},
		{"customers.csv", func(f io.Writer) error { _, err := writeCustomersCSV(ctx, tx, f, r, loc); return err }},
		{"customers.vcf", func(f io.Writer) error { _, err := writeCustomersVCF(ctx, tx, f, r); return err }},
		{"messages.csv", func(f io.Writer) error { _, err := writeMessagesCSV(ctx, tx, f, r, loc); return err }},
	}
	for _, file := range files {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: file.name, Method: zip.Deflate, Modified: at})
		if err != nil {
			return fmt.Errorf("orders: export backup: %s: %w", file.name, err)
		}
		if err := file.write(f); err != nil {
			return fmt.Errorf("orders: export backup: %s: %w", file.name, err)
		}
	}

	photos, err := tx.QueryxContext(ctx, `SELECT item_id, position, mime, data FROM item_photos ORDER BY item_id, position`)
	if err != nil {
		return fmt.Errorf("orders: export backup: photos: %w", err)
	}
	defer photos.Close()
	for photos.Next() {
		var (
			itemID, position int64
			mimeType         string
			data             []byte
		)
		if err := photos.Scan(&itemID, &position, &mimeType, &data); err != nil {
			return fmt.Errorf("orders: export backup: photos: %w", err)
		}
		name := fmt.Sprintf("photos/item_%d_%d.%s", itemID, position, extension(mimeType))
		if err := addStored(zw, name, data, at); err != nil {
			return fmt.Errorf("orders: export backup: %s: %w", name, err)
		}
	}
	if err := photos.Err(); err != nil {
		return fmt.Errorf("orders: export backup: photos: %w", err)
	}

	from, to := r.args()
	receipts, err := tx.QueryxContext(ctx, `SELECT o.code, r.id, r.mime, r.data
FROM receipts r JOIN orders o ON o.id = r.order_id
WHERE `+inRange+`
ORDER BY o.created_at, o.id, r.id`, from, to)
	if err != nil {
		return fmt.Errorf("orders: export backup: receipts: %w", err)
	}
	defer receipts.Close()
	for receipts.Next() {
		var (
			code     string
			id       int64
			mimeType string
			data     []byte
		)
		if err := receipts.Scan(&code, &id, &mimeType, &data); err != nil {
			return fmt.Errorf("orders: export backup: receipts: %w", err)
		}
		name := fmt.Sprintf("receipts/%s_%d.%s", code, id, extension(mimeType))
		if err := addStored(zw, name, data, at); err != nil {
			return fmt.Errorf("orders: export backup: %s: %w", name, err)
		}
	}
	if err := receipts.Err(); err != nil {
		return fmt.Errorf("orders: export backup: receipts: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("orders: export backup: %w", err)
	}
	return nil
}

// addStored adds a file without compressing it: photos and receipts are JPEG, PNG or PDF,
// compressed already, and deflating them again costs time for nothing.
func addStored(zw *zip.Writer, name string, data []byte, at time.Time) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: at})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

// extensions maps the types photos and receipts come in; a fixed table rather than
// mime.ExtensionsByType, whose answer depends on the host's mime.types (".jpe" for JPEG).
var extensions = map[string]string{
	"image/jpeg":      "jpg",
	"image/png":       "png",
	"image/webp":      "webp",
	"image/gif":       "gif",
	"image/heic":      "heic",
	"image/heif":      "heif",
	"image/bmp":       "bmp",
	"image/tiff":      "tiff",
	"application/pdf": "pdf",
}

func extension(mimeType string) string {
	if t, _, err := mime.ParseMediaType(mimeType); err == nil {
		if ext, ok := extensions[t]; ok {
			return ext
		}
	}
	return "bin"
}

// newCSV starts a CSV the way spreadsheets read it right: a UTF-8 byte-order mark first
// (without it Excel takes UTF-8 for the local code page and garbles Vietnamese and
// Arabic), CRLF line ends, then the header row.
func newCSV(w io.Writer, header []string) (*csv.Writer, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return cw, cw.Write(header)
}

// endCSV reports a failed read of rows or a failed write of the CSV.
func endCSV(cw *csv.Writer, rows *sqlx.Rows) error {
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// cell guards free text (names, addresses, notes, titles) against formula injection.
// Spreadsheets run a cell that starts with = + - or @ as a formula, and OWASP adds tab and
// carriage return; a customer's "=HYPERLINK(…)" or "=cmd|…" as a name or note would then run
// when the seller opens the file. Such a cell gets a leading apostrophe, which spreadsheets
// take as "this is text": the price is a visible ' on the rare honest text that starts
// that way. A plain number ("-5", "+84912345678") runs nothing and is left alone.
func cell(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || plainNumber(s) {
		return s
	}
	return "'" + s
}

// plainNumber reports whether s is an optional sign, digits and optional decimals.
func plainNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	whole, frac, dotted := strings.Cut(s, ".")
	return digitsOnly(whole) && (!dotted || digitsOnly(frac))
}

func digitsOnly(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// phoneCell leaves a phone number exactly as stored: digits with + ( ) - . and spaces
// make no function call, and the seller needs "+84 912…" to dial, not "'+84 912…".
// Anything else in the field is free text and guarded like it.
func phoneCell(s string) string {
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-(). ", r) {
			return cell(s)
		}
	}
	return s
}

// decimal writes minor units as a plain number in major units with the currency's
// minor-unit scale ("12.50" for USD 1250, "150000" for VND 150000): no grouping and no
// symbol, so spreadsheets read it as a number whatever their locale's grouping.
func decimal(minor int64, cur string) string {
	scale := money.Scale(cur)
	abs := uint64(minor)
	if minor < 0 {
		abs = -abs // in uint64, so math.MinInt64 stays exact
	}
	digits := strconv.FormatUint(abs, 10)
	if scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if minor < 0 {
		return "-" + digits
	}
	return digits
}

func stamp(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// PartWriter splits what is written to it into parts of at most a limit each, so a backup
// larger than Telegram's upload limit can still be sent. The split is at the byte level,
// not by file inside the zip: the parts are joined back with `cat name.part* > name` (or
// `copy /b name.part1+name.part2 name` on Windows) before unzipping. Past nine parts, list
// them in order rather than with the glob, which sorts part10 before part2.
type PartWriter struct {
	name  string
	limit int64
	open  func(part string) (io.WriteCloser, error)

	cur   io.WriteCloser
	used  int64 // bytes in cur
	parts []string
}

// SplitWriter returns a PartWriter that writes name.part1, name.part2…, each opened with
// open when the first byte for it comes and closed when it is full, and each at most
// limit bytes (TelegramUploadLimit for Telegram). Nothing written means no part at all.
// Close closes the last part.
func SplitWriter(name string, limit int64, open func(part string) (io.WriteCloser, error)) *PartWriter {
	return &PartWriter{name: name, limit: limit, open: open}
}

// Write writes b across as many parts as it takes.
func (p *PartWriter) Write(b []byte) (int, error) {
	if p.limit <= 0 {
		return 0, fmt.Errorf("orders: export split: part limit %d is not positive", p.limit)
	}
	written := 0
	for len(b) > 0 {
		if p.cur == nil || p.used == p.limit {
			if err := p.next(); err != nil {
				return written, err
			}
		}
		chunk := b[:min(int64(len(b)), p.limit-p.used)]
		n, err := p.cur.Write(chunk)
		written += n
		p.used += int64(n)
		b = b[n:]
		if err == nil && n < len(chunk) {
			err = io.ErrShortWrite
		}
		if err != nil {
			return written, fmt.Errorf("orders: export split: %s: %w", p.parts[len(p.parts)-1], err)
		}
	}
	return written, nil
}

func (p *PartWriter) next() error {
	if err := p.Close(); err != nil {
		return err
	}
	part := p.name + ".part" + strconv.Itoa(len(p.parts)+1)
	f, err := p.open(part)
	if err != nil {
		return fmt.Errorf("orders: export split: open %s: %w", part, err)
	}
	p.cur, p.used = f, 0
	p.parts = append(p.parts, part)
	return nil
}

// Close closes the part being written, if any.
func (p *PartWriter) Close() error {
	if p.cur == nil {
		return nil
	}
	f := p.cur
	p.cur = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("orders: export split: close %s: %w", p.parts[len(p.parts)-1], err)
	}
	return nil
}

// Parts lists the names of the parts opened so far, in order. A caller may send a lone
// part under the plain name.
func (p *PartWriter) Parts() []string { return append([]string(nil), p.parts...) }
