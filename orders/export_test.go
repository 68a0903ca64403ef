package orders_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the shop's zone must load where the host has no zoneinfo
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/money"
	"github.com/shopbot/shopbot/orders"
)

func newExportStore(t *testing.T) (*orders.Store, *sqlx.DB) {
	t.Helper()
	_, db := testenv.Postgres(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	return orders.NewStore(db), db
}

func exportExec(t testing.TB, db *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0:3], err)
	}
}

func exportInsertID(t testing.TB, db *sqlx.DB, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0:3], err)
	}
	return id
}

func on2025(month time.Month, d, hour, minute int) time.Time {
	return time.Date(2025, month, d, hour, minute, 0, 0, time.UTC)
}

// The bounded range of the tests: orders placed exactly at From are in, exactly at To out.
var marchRange = orders.Range{From: on2025(3, 1, 0, 0), To: on2025(3, 11, 0, 0)}

type exportSeedCustomer struct {
	id                                                 int64
	first, last, username, tgLang, lang, phone, dlName string
	blocked                                            bool
}

// longName is long enough that its FN line must be folded, and the 75th octet of that
// line falls inside a UTF-8 sequence (checked in TestExportCustomersVCF).
const longName = "Cụ Nguyễn Thị Bích Ngọc Trần Lê Phạm Hoàng Vũ Đặng Bùi Đỗ Hồ Ngô Dương Lý Thị Hương"

var exportSeedCustomers = []exportSeedCustomer{
	{id: 101, first: "Nguyễn Thị", last: "Bích", username: "bich_ng", tgLang: "vi", phone: "+84912345678"},
	{id: 102, first: "محمد", last: "عبد الله", tgLang: "ar", lang: "en"},
	{id: 103, first: `Jo "JJ", Smith`, last: "Doe;\\Ltd\nHQ", username: "jo_smith", tgLang: "en", phone: "+1 (555) 010-9999"},
	{id: 104, first: "@admin", username: "=cmd", tgLang: "en", blocked: true},
	{id: 105, first: longName, tgLang: "vi", phone: "0912 345 678"},
	{id: 106, first: "Lan", tgLang: "vi"},
	{id: 107, dlName: "Chị Hoa", phone: "0987654321"},
}

type exportSeedLine struct {
	item    int // index into the shop's items
	variant string
	qty     int
}

type exportSeedOrder struct {
	code     string
	customer int64
	status   string
	created  time.Time
	delivery string
	name     string
	phone    string
	address  string
	note     string
	lines    []exportSeedLine
}

var exportSeedOrders = []exportSeedOrder{
	{"A1B2C", 101, "paid", on2025(3, 3, 10, 0), "shipping", "Nguyễn Thị Bích", "+84912345678", "12 Lê Lợi, Q.1,\n\"HCM\"", "=SUM(A1:A9)",
		[]exportSeedLine{{0, "M", 2}, {1, "", 1}}},
	{"A2B3C", 101, "completed", on2025(3, 5, 8, 30), "pickup", "", "", "", "-5", []exportSeedLine{{0, "S", 1}}},
	{"A3B4C", 101, "cancelled", on2025(3, 11, 0, 0), "pickup", "", "", "", "", []exportSeedLine{{2, "أحمر", 1}}},
	{"B1C2D", 102, "shipped", on2025(3, 4, 12, 0), "shipping", "محمد عبد الله", "+201001234567", "شارع التحرير، القاهرة", "@SUM(1)",
		[]exportSeedLine{{2, "أحمر", 2}}},
	{"B2C3D", 102, "awaiting_payment", on2025(3, 12, 9, 0), "shipping", "محمد عبد الله", "+201009999999", "Giza", "+84912345678",
		[]exportSeedLine{{0, "M", 1}}},
	{"C1D2E", 103, "ready_for_pickup", on2025(2, 20, 15, 0), "pickup", "-cmd", "", "+1 Main St", "\tab", []exportSeedLine{{1, "", 4}}},
	{"C2D3E", 103, "receipt_submitted", on2025(3, 1, 0, 0), "shipping", `Jo "JJ"`, "+1 (555) 010-9999", `1 Main St, Apt "4"`, "line1\nline2",
		[]exportSeedLine{{0, "S", 3}}},
	{"E1F2G", 105, "expired", on2025(4, 1, 0, 0), "pickup", "", "", "", "", []exportSeedLine{{1, "", 1}}},
	{"F1G2H", 106, "paid", on2025(3, 2, 0, 0), "pickup", "", "", "", "", []exportSeedLine{{0, "M", 1}}},
	{"H1J2K", 107, "paid", on2025(3, 7, 0, 0), "pickup", "Chị Hoa", "", "", "", []exportSeedLine{{2, "أحمر", 1}}},
}

type exportSeedFile struct {
	owner    string // an order code for receipts; an item index for photos
	position int
	mime     string
	ext      string
	size     int
}

var exportSeedPhotos = []exportSeedFile{
	{"0", 1, "image/jpeg", "jpg", 50_000},
	{"0", 2, "image/webp", "webp", 2_000},
	{"1", 1, "image/png", "png", 1_000},
}

var exportSeedReceipts = []exportSeedFile{
	{"A1B2C", 0, "image/jpeg", "jpg", 3_000},
	{"A1B2C", 0, "application/x-unknown", "bin", 100},
	{"B1C2D", 0, "image/png", "png", 700},
	{"C1D2E", 0, "application/pdf", "pdf", 1_500},
}

var exportSeedMessages = []struct {
	customer    int64
	seller      *int64
	order       string
	text, photo string
	at          time.Time
}{
	{101, nil, "", "Còn áo size M không shop?", "", on2025(2, 28, 23, 59)},
	{101, new(int64(9001)), "", "Dạ còn ạ", "AgAD1", on2025(3, 1, 0, 0)},
	{102, nil, "B1C2D", "=1+1 متى يصل الطلب؟", "", on2025(3, 5, 9, 0)},
	{102, nil, "B1C2D", "", "AgAD2", on2025(3, 5, 9, 0)},
	{103, new(int64(9002)), "C2D3E", "Shipped today,\n\"tracking\" 123", "", on2025(3, 11, 0, 0)},
}

type exportShop struct {
	store    *orders.Store
	db       *sqlx.DB
	items    []int64
	photos   map[string][]byte // zip name → bytes
	receipts map[string][]byte
	receiptO map[string]string // zip name → order code
}

func exportRandomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// seedExportShop fills a fresh schema with the customers, items, orders, photos and receipts above.
func seedExportShop(t *testing.T) *exportShop {
	t.Helper()
	store, db := newExportStore(t)
	s := &exportShop{store: store, db: db, photos: map[string][]byte{}, receipts: map[string][]byte{}, receiptO: map[string]string{}}
	for _, c := range exportSeedCustomers {
		exportExec(t, db, `INSERT INTO customers (id, first_name, last_name, username, telegram_language, language, phone, blocked, delivery_name)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, c.id, c.first, c.last, c.username, c.tgLang, c.lang, c.phone, c.blocked, c.dlName)
	}
	week := exportInsertID(t, db, `INSERT INTO weeks (title, status) VALUES ('Tuần 10', 'published') RETURNING id`)
	variants := map[string]int64{}
	for i, it := range []struct {
		title    string
		price    int64
		variants []string
	}{
		{`Áo dài, lụa "Hà Đông"`, 1250, []string{"M", "S"}},
		{`=HYPERLINK("http://x")`, 999, []string{""}},
		{"حقيبة يد", 4500, []string{"أحمر"}},
	} {
		id := exportInsertID(t, db, `INSERT INTO items (week_id, title, price, currency, position) VALUES ($1, $2, $3, 'USD', $4) RETURNING id`,
			week, it.title, it.price, i+1)
		s.items = append(s.items, id)
		for j, v := range it.variants {
			variants[fmt.Sprint(i, v)] = exportInsertID(t, db, `INSERT INTO variants (item_id, name, position) VALUES ($1, $2, $3) RETURNING id`, id, v, j+1)
		}
	}
	orderIDs := map[string]int64{}
	for _, o := range exportSeedOrders {
		id := exportInsertID(t, db, `INSERT INTO orders (code, customer_id, week_id, status, currency, total, delivery, recipient_name, phone,
    address, note, idempotency_key, expires_at, created_at)
VALUES ($1, $2, $3, $4, 'USD', 1, $5, $6, $7, $8, $9, $1, $10, $11) RETURNING id`,
			o.code, o.customer, week, o.status, o.delivery, o.name, o.phone, o.address, o.note, o.created.Add(24*time.Hour), o.created)
		orderIDs[o.code] = id
		for _, l := range o.lines {
			exportExec(t, db, `INSERT INTO order_lines (order_id, item_id, variant_id, title, variant_name, unit_price, quantity)
SELECT $1, i.id, $3, i.title, $4, i.price, $5 FROM items i WHERE i.id = $2`, id, s.items[l.item], variants[fmt.Sprint(l.item, l.variant)], l.variant, l.qty)
		}
		// As Place does: the total is the sum of the lines.
		exportExec(t, db, `UPDATE orders SET total = (SELECT sum(unit_price * quantity) FROM order_lines WHERE order_id = $1) WHERE id = $1`, id)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, p := range exportSeedPhotos {
		item := s.items[p.owner[0]-'0']
		data := exportRandomBytes(rng, p.size)
		exportExec(t, db, `INSERT INTO item_photos (item_id, position, data, mime) VALUES ($1, $2, $3, $4)`, item, p.position, data, p.mime)
		s.photos[fmt.Sprintf("photos/item_%d_%d.%s", item, p.position, p.ext)] = data
	}
	for _, m := range exportSeedMessages {
		var order any
		if m.order != "" {
			order = orderIDs[m.order]
		}
		exportExec(t, db, `INSERT INTO messages (customer_id, seller_id, order_id, text, photo_file_id, chat_message_id, created_at)
VALUES ($1, $2, $3, $4, $5, (SELECT count(*) + 1 FROM messages), $6)`, m.customer, m.seller, order, m.text, m.photo, m.at)
	}
	for i, r := range exportSeedReceipts {
		data := exportRandomBytes(rng, r.size)
		sum := sha256.Sum256(data)
		id := exportInsertID(t, db, `INSERT INTO receipts (order_id, data, mime, file_id, file_unique_id, sha256) VALUES ($1, $2, $3, $4, $4, $5) RETURNING id`,
			orderIDs[r.owner], data, r.mime, fmt.Sprint("f", i), sum[:])
		name := fmt.Sprintf("receipts/%s_%d.%s", r.owner, id, r.ext)
		s.receipts[name] = data
		s.receiptO[name] = r.owner
	}
	return s
}

// exportSnapshot is what Postgres holds, read back with plain queries, for the expected files.
type exportSnapshot struct {
	customers []orders.Customer
	byID      map[int64]orders.Customer
	orders    []exportDBOrder // by created_at, id
	lines     map[int64][]orders.Line
}

type exportDBOrder struct {
	ID            int64     `db:"id"`
	Code          string    `db:"code"`
	CustomerID    int64     `db:"customer_id"`
	Status        string    `db:"status"`
	Currency      string    `db:"currency"`
	Total         int64     `db:"total"`
	Delivery      string    `db:"delivery"`
	RecipientName string    `db:"recipient_name"`
	Phone         string    `db:"phone"`
	Address       string    `db:"address"`
	Note          string    `db:"note"`
	ExpiresAt     time.Time `db:"expires_at"`
	CreatedAt     time.Time `db:"created_at"`
}

func readExportSnapshot(t *testing.T, db *sqlx.DB) exportSnapshot {
	t.Helper()
	var d exportSnapshot
	if err := db.Select(&d.customers, `SELECT id, first_name, last_name, username, telegram_language, language, phone, blocked,
    first_seen, last_seen, delivery_name, delivery_address FROM customers ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	d.byID = map[int64]orders.Customer{}
	for _, c := range d.customers {
		d.byID[c.ID] = c
	}
	if err := db.Select(&d.orders, `SELECT id, code, customer_id, status, currency, total, delivery, recipient_name, phone, address,
    note, expires_at, created_at FROM orders ORDER BY created_at, id`); err != nil {
		t.Fatal(err)
	}
	var lines []orders.Line
	if err := db.Select(&lines, `SELECT id, order_id, item_id, variant_id, title, variant_name, unit_price, quantity
FROM order_lines ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	d.lines = map[int64][]orders.Line{}
	for _, l := range lines {
		d.lines[l.OrderID] = append(d.lines[l.OrderID], l)
	}
	return d
}

func inExportRange(at time.Time, r orders.Range) bool {
	return (r.From.IsZero() || !at.Before(r.From)) && (r.To.IsZero() || at.Before(r.To))
}

func isBounded(r orders.Range) bool { return !r.From.IsZero() || !r.To.IsZero() }

var plainNumberRE = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// guardedCell is what a free-text cell should read back as.
func guardedCell(s string) string {
	if s != "" && strings.ContainsAny(s[:1], "=+-@\t\r") && !plainNumberRE.MatchString(s) {
		return "'" + s
	}
	return s
}

// majorUnits formats minor units the simple way, independently of the exporter.
func majorUnits(minor int64, cur string) string {
	scale := money.Scale(cur)
	if scale == 0 {
		return strconv.FormatInt(minor, 10)
	}
	pow := int64(1)
	for range scale {
		pow *= 10
	}
	return fmt.Sprintf("%d.%0*d", minor/pow, scale, minor%pow)
}

func rfc3339In(at time.Time, loc *time.Location) string { return at.In(loc).Format(time.RFC3339) }

func (d exportSnapshot) wantOrders(r orders.Range, loc *time.Location) [][]string {
	var rows [][]string
	for _, o := range d.orders {
		if !inExportRange(o.CreatedAt, r) {
			continue
		}
		c := d.byID[o.CustomerID]
		var pieces, sum int64
		for _, l := range d.lines[o.ID] {
			pieces += int64(l.Quantity)
			sum += l.Amount()
		}
		if sum != o.Total {
			panic(fmt.Sprintf("fixture: order %s total %d, lines %d", o.Code, o.Total, sum))
		}
		rows = append(rows, []string{o.Code, o.Status, rfc3339In(o.CreatedAt, loc), strconv.FormatInt(o.CustomerID, 10),
			guardedCell(c.Name()), guardedCell(c.Username), guardedCell(o.RecipientName), o.Phone, guardedCell(o.Address), o.Delivery,
			guardedCell(o.Note), o.Currency, majorUnits(o.Total, o.Currency), strconv.FormatInt(pieces, 10), rfc3339In(o.ExpiresAt, loc)})
	}
	return rows
}

func (d exportSnapshot) wantLines(r orders.Range, loc *time.Location) [][]string {
	var rows [][]string
	for _, o := range d.orders {
		if !inExportRange(o.CreatedAt, r) {
			continue
		}
		for _, l := range d.lines[o.ID] {
			rows = append(rows, []string{o.Code, o.Status, rfc3339In(o.CreatedAt, loc), strconv.FormatInt(l.ItemID, 10),
				guardedCell(l.Title), guardedCell(l.VariantName), strconv.Itoa(l.Quantity), majorUnits(l.UnitPrice, o.Currency),
				majorUnits(l.Amount(), o.Currency), o.Currency})
		}
	}
	return rows
}

// phoneOf is the customer's phone, or else their latest order's.
func (d exportSnapshot) phoneOf(c orders.Customer) string {
	if c.Phone != "" {
		return c.Phone
	}
	for _, o := range slices.Backward(d.orders) {
		if o.CustomerID == c.ID && o.Phone != "" {
			return o.Phone
		}
	}
	return ""
}

func (d exportSnapshot) wantCustomers(r orders.Range, loc *time.Location) [][]string {
	shopCurrency := "USD"
	var rows [][]string
	for _, c := range d.customers {
		var mine []exportDBOrder
		for _, o := range d.orders {
			if o.CustomerID == c.ID && inExportRange(o.CreatedAt, r) {
				mine = append(mine, o)
			}
		}
		if isBounded(r) && len(mine) == 0 {
			continue
		}
		lang := c.Language
		if lang == "" {
			lang = c.TelegramLanguage
		}
		first, last, spent := "", "", "0"
		if len(mine) > 0 {
			first, last = rfc3339In(mine[0].CreatedAt, loc), rfc3339In(mine[len(mine)-1].CreatedAt, loc)
			var sum int64
			for _, o := range mine {
				switch o.Status {
				case "paid", "ready_for_pickup", "shipped", "completed":
					sum += o.Total
				}
			}
			spent = majorUnits(sum, shopCurrency)
		}
		rows = append(rows, []string{strconv.FormatInt(c.ID, 10), guardedCell(c.Name()), guardedCell(c.Username), d.phoneOf(c),
			lang, strconv.FormatBool(c.Blocked), rfc3339In(c.FirstSeen, loc), rfc3339In(c.LastSeen, loc), first, last,
			strconv.Itoa(len(mine)), spent})
	}
	return rows
}

// readExportCSV checks the BOM and the CRLF line ends, parses the file and checks its header.
func readExportCSV(t *testing.T, data []byte, header ...string) [][]string {
	t.Helper()
	body, ok := bytes.CutPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if !ok {
		t.Fatalf("no UTF-8 BOM at the start: % x", data[:min(len(data), 3)])
	}
	if !bytes.HasSuffix(body, []byte("\r\n")) {
		t.Fatalf("the last line does not end in CRLF")
	}
	for i, b := range body {
		if b == '\n' && (i == 0 || body[i-1] != '\r') {
			t.Fatalf("a line ends in a bare LF at byte %d", i)
		}
	}
	if !utf8.Valid(body) {
		t.Fatalf("not UTF-8")
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		t.Fatalf("header %q, want %q", recs[0], header)
	}
	return recs[1:]
}

func sameExportRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("%s: row %d missing: %q", what, i+1, want[i])
		case i >= len(want):
			t.Errorf("%s: row %d extra: %q", what, i+1, got[i])
		case !slices.Equal(got[i], want[i]):
			t.Errorf("%s: row %d\n got %q\nwant %q", what, i+1, got[i], want[i])
		}
	}
}

// exportColumn returns the named column of rows.
func exportColumn(rows [][]string, header []string, name string) []string {
	i := slices.Index(header, name)
	var col []string
	for _, r := range rows {
		col = append(col, r[i])
	}
	return col
}

// exportRow returns the row whose first cell is key.
func exportRow(t *testing.T, rows [][]string, key string) []string {
	t.Helper()
	for _, r := range rows {
		if r[0] == key {
			return r
		}
	}
	t.Fatalf("no row %s", key)
	return nil
}

var (
	wantOrdersHeader = []string{"code", "status", "created_at", "customer_id", "customer_name", "username", "recipient_name",
		"phone", "address", "delivery", "note", "currency", "total", "items_count", "expires_at"}
	wantLinesHeader = []string{"order_code", "order_status", "created_at", "item_id", "title", "variant", "quantity",
		"unit_price", "amount", "currency"}
	wantCustomersHeader = []string{"id", "name", "username", "phone", "language", "blocked", "first_seen", "last_seen",
		"first_order", "last_order", "order_count", "total_spent"}
)

var exportRanges = []struct {
	name string
	r    orders.Range
}{
	{"all", orders.Range{}},
	{"march", marchRange},
	{"from", orders.Range{From: on2025(3, 5, 0, 0)}},
	{"to", orders.Range{To: on2025(3, 1, 0, 0)}},
}

func saigonZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestExportOrdersCSV(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	loc := saigonZone(t)
	d := readExportSnapshot(t, s.db)
	got := map[string][][]string{}
	for _, tr := range exportRanges {
		var buf bytes.Buffer
		n, err := s.store.WriteOrdersCSV(ctx, &buf, tr.r, loc)
		if err != nil {
			t.Fatal(err)
		}
		rows := readExportCSV(t, buf.Bytes(), wantOrdersHeader...)
		if n != len(rows) {
			t.Errorf("%s: returned %d, wrote %d rows", tr.name, n, len(rows))
		}
		sameExportRows(t, tr.name, rows, d.wantOrders(tr.r, loc))
		got[tr.name] = rows
	}

	// What the comparison above rests on, written out by hand.
	codes := func(name string) []string { return exportColumn(got[name], wantOrdersHeader, "code") }
	if want := []string{"C1D2E", "C2D3E", "F1G2H", "A1B2C", "B1C2D", "A2B3C", "H1J2K", "A3B4C", "B2C3D", "E1F2G"}; !slices.Equal(codes("all"), want) {
		t.Errorf("all orders %q, want %q", codes("all"), want)
	}
	if want := []string{"C2D3E", "F1G2H", "A1B2C", "B1C2D", "A2B3C", "H1J2K"}; !slices.Equal(codes("march"), want) {
		t.Errorf("orders in [1 March, 11 March) %q, want %q", codes("march"), want)
	}
	if want := []string{"C1D2E"}; !slices.Equal(codes("to"), want) {
		t.Errorf("orders before 1 March %q, want %q", codes("to"), want)
	}
	a1 := exportRow(t, got["all"], "A1B2C")
	for col, want := range map[string]string{
		"created_at": "2025-03-03T17:00:00+07:00", "customer_name": "Nguyễn Thị Bích", "username": "bich_ng",
		"phone": "+84912345678", "address": "12 Lê Lợi, Q.1,\n\"HCM\"", "note": "'=SUM(A1:A9)", "currency": "USD",
		"total": "34.99", "items_count": "3", "expires_at": "2025-03-04T17:00:00+07:00",
	} {
		if got := a1[slices.Index(wantOrdersHeader, col)]; got != want {
			t.Errorf("A1B2C %s = %q, want %q", col, got, want)
		}
	}
	for code, want := range map[string][2]string{ // note, then the formula-looking other cell
		"A2B3C": {"-5", ""},
		"B1C2D": {"'@SUM(1)", "محمد عبد الله"},
		"B2C3D": {"+84912345678", "+201009999999"},
		"C1D2E": {"'\tab", "'-cmd"},
		"C2D3E": {"line1\nline2", "+1 (555) 010-9999"},
	} {
		r := exportRow(t, got["all"], code)
		other := r[slices.Index(wantOrdersHeader, "recipient_name")]
		if code == "B2C3D" || code == "C2D3E" {
			other = r[slices.Index(wantOrdersHeader, "phone")]
		}
		if note := r[slices.Index(wantOrdersHeader, "note")]; note != want[0] || other != want[1] {
			t.Errorf("%s: note %q and %q, want %q and %q", code, note, other, want[0], want[1])
		}
	}
	if addr := exportRow(t, got["all"], "C1D2E")[slices.Index(wantOrdersHeader, "address")]; addr != "'+1 Main St" {
		t.Errorf("address %q, want it guardedCell", addr)
	}
	if name := exportRow(t, got["all"], "C2D3E")[slices.Index(wantOrdersHeader, "customer_name")]; name != "Jo \"JJ\", Smith Doe;\\Ltd\nHQ" {
		t.Errorf("customer_name %q", name)
	}
}

func TestExportOrderLinesCSV(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	loc := saigonZone(t)
	d := readExportSnapshot(t, s.db)
	for _, tr := range exportRanges {
		var buf bytes.Buffer
		n, err := s.store.WriteOrderLinesCSV(ctx, &buf, tr.r, loc)
		if err != nil {
			t.Fatal(err)
		}
		rows := readExportCSV(t, buf.Bytes(), wantLinesHeader...)
		if n != len(rows) {
			t.Errorf("%s: returned %d, wrote %d rows", tr.name, n, len(rows))
		}
		sameExportRows(t, tr.name, rows, d.wantLines(tr.r, loc))
		if tr.name != "march" {
			continue
		}
		want := [][]string{
			{"C2D3E", "receipt_submitted", "2025-03-01T07:00:00+07:00", fmt.Sprint(s.items[0]), `Áo dài, lụa "Hà Đông"`, "S", "3", "12.50", "37.50", "USD"},
			{"F1G2H", "paid", "2025-03-02T07:00:00+07:00", fmt.Sprint(s.items[0]), `Áo dài, lụa "Hà Đông"`, "M", "1", "12.50", "12.50", "USD"},
			{"A1B2C", "paid", "2025-03-03T17:00:00+07:00", fmt.Sprint(s.items[0]), `Áo dài, lụa "Hà Đông"`, "M", "2", "12.50", "25.00", "USD"},
			{"A1B2C", "paid", "2025-03-03T17:00:00+07:00", fmt.Sprint(s.items[1]), `'=HYPERLINK("http://x")`, "", "1", "9.99", "9.99", "USD"},
			{"B1C2D", "shipped", "2025-03-04T19:00:00+07:00", fmt.Sprint(s.items[2]), "حقيبة يد", "أحمر", "2", "45.00", "90.00", "USD"},
			{"A2B3C", "completed", "2025-03-05T15:30:00+07:00", fmt.Sprint(s.items[0]), `Áo dài, lụa "Hà Đông"`, "S", "1", "12.50", "12.50", "USD"},
			{"H1J2K", "paid", "2025-03-07T07:00:00+07:00", fmt.Sprint(s.items[2]), "حقيبة يد", "أحمر", "1", "45.00", "45.00", "USD"},
		}
		sameExportRows(t, "march, by hand", rows, want)
	}
}

func TestExportMessagesCSV(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	loc := saigonZone(t)
	header := []string{"sent_at", "customer_id", "customer_name", "seller_id", "order_code", "text", "photo"}
	all := [][]string{
		{"2025-03-01T06:59:00+07:00", "101", "Nguyễn Thị Bích", "", "", "Còn áo size M không shop?", "false"},
		{"2025-03-01T07:00:00+07:00", "101", "Nguyễn Thị Bích", "9001", "", "Dạ còn ạ", "true"},
		{"2025-03-05T16:00:00+07:00", "102", "محمد عبد الله", "", "B1C2D", "'=1+1 متى يصل الطلب؟", "false"},
		{"2025-03-05T16:00:00+07:00", "102", "محمد عبد الله", "", "B1C2D", "", "true"},
		{"2025-03-11T07:00:00+07:00", "103", `Jo "JJ", Smith Doe;\Ltd` + "\nHQ", "9002", "C2D3E", "Shipped today,\n\"tracking\" 123", "false"},
	}
	for _, tc := range []struct {
		name string
		r    orders.Range
		want [][]string
	}{
		{"all", orders.Range{}, all},
		// From is in, To is out.
		{"march", marchRange, all[1:4]},
	} {
		var buf bytes.Buffer
		n, err := s.store.WriteMessagesCSV(ctx, &buf, tc.r, loc)
		if err != nil {
			t.Fatal(err)
		}
		rows := readExportCSV(t, buf.Bytes(), header...)
		if n != len(rows) {
			t.Errorf("%s: returned %d, wrote %d rows", tc.name, n, len(rows))
		}
		sameExportRows(t, tc.name, rows, tc.want)
	}
}

func TestExportCustomersCSV(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	loc := saigonZone(t)
	d := readExportSnapshot(t, s.db)
	got := map[string][][]string{}
	for _, tr := range exportRanges {
		var buf bytes.Buffer
		n, err := s.store.WriteCustomersCSV(ctx, &buf, tr.r, loc)
		if err != nil {
			t.Fatal(err)
		}
		rows := readExportCSV(t, buf.Bytes(), wantCustomersHeader...)
		if n != len(rows) {
			t.Errorf("%s: returned %d, wrote %d rows", tr.name, n, len(rows))
		}
		sameExportRows(t, tr.name, rows, d.wantCustomers(tr.r, loc))
		got[tr.name] = rows
	}

	if ids, want := exportColumn(got["all"], wantCustomersHeader, "id"), []string{"101", "102", "103", "104", "105", "106", "107"}; !slices.Equal(ids, want) {
		t.Errorf("all customers %q, want %q", ids, want)
	}
	if ids, want := exportColumn(got["march"], wantCustomersHeader, "id"), []string{"101", "102", "103", "106", "107"}; !slices.Equal(ids, want) {
		t.Errorf("customers with orders in March %q, want %q", ids, want)
	}
	// id, name, username, phone, language, blocked, (seen), first_order, last_order, order_count, total_spent
	tail := func(r []string) []string { return append(r[:6:6], r[8:]...) }
	for _, tc := range []struct {
		rng  string
		want []string
	}{
		// A3B4C is cancelled: counted, not spent.
		{"all", []string{"101", "Nguyễn Thị Bích", "bich_ng", "+84912345678", "vi", "false",
			"2025-03-03T17:00:00+07:00", "2025-03-11T07:00:00+07:00", "3", "47.49"}},
		{"march", []string{"101", "Nguyễn Thị Bích", "bich_ng", "+84912345678", "vi", "false",
			"2025-03-03T17:00:00+07:00", "2025-03-05T15:30:00+07:00", "2", "47.49"}},
		// The phone of the latest order, though that order is outside the range.
		{"march", []string{"102", "محمد عبد الله", "", "+201009999999", "en", "false",
			"2025-03-04T19:00:00+07:00", "2025-03-04T19:00:00+07:00", "1", "90.00"}},
		{"all", []string{"103", "Jo \"JJ\", Smith Doe;\\Ltd\nHQ", "jo_smith", "+1 (555) 010-9999", "en", "false",
			"2025-02-20T22:00:00+07:00", "2025-03-01T07:00:00+07:00", "2", "39.96"}},
		{"march", []string{"103", "Jo \"JJ\", Smith Doe;\\Ltd\nHQ", "jo_smith", "+1 (555) 010-9999", "en", "false",
			"2025-03-01T07:00:00+07:00", "2025-03-01T07:00:00+07:00", "1", "0.00"}},
		{"all", []string{"104", "'@admin", "'=cmd", "", "en", "true", "", "", "0", "0"}},
		{"all", []string{"106", "Lan", "", "", "vi", "false", "2025-03-02T07:00:00+07:00", "2025-03-02T07:00:00+07:00", "1", "12.50"}},
	} {
		if r := tail(slices.Clone(exportRow(t, got[tc.rng], tc.want[0]))); !slices.Equal(r, tc.want) {
			t.Errorf("%s: customer %s\n got %q\nwant %q", tc.rng, tc.want[0], r, tc.want)
		}
	}
}

// exportCard is one card: its property lines (name with parameters → value, as written).
type exportCard map[string]string

// readExportVCF checks the line ends and folding and returns the cards, unfolded.
func readExportVCF(t *testing.T, data []byte) (cards []exportCard, folds int) {
	t.Helper()
	text := string(data)
	if !strings.HasSuffix(text, "\r\n") {
		t.Fatal("the vCard does not end in CRLF")
	}
	physical := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	for i, line := range physical {
		if strings.ContainsAny(line, "\r\n") {
			t.Fatalf("line %d has a bare CR or LF: %q", i+1, line)
		}
		if len(line) > 75 {
			t.Errorf("line %d is %d octets: %q", i+1, len(line), line)
		}
		if !utf8.ValidString(line) {
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
		}
		if strings.HasPrefix(line, " ") {
			folds++
		}
	}
	var cur exportCard
	for _, line := range strings.Split(strings.TrimSuffix(strings.ReplaceAll(text, "\r\n ", ""), "\r\n"), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("not a content line: %q", line)
		}
		switch {
		case line == "BEGIN:VCARD":
			if cur != nil {
				t.Fatal("BEGIN inside a card")
			}
			cur = exportCard{}
		case line == "END:VCARD":
			cards = append(cards, cur)
			cur = nil
		case cur == nil:
			t.Fatalf("%q outside a card", line)
		default:
			if _, dup := cur[name]; dup {
				t.Errorf("%s twice in a card", name)
			}
			cur[name] = value
		}
	}
	if cur != nil {
		t.Fatal("a card without END")
	}
	return cards, folds
}

var vcardUnescaper = strings.NewReplacer(`\\`, `\`, `\,`, `,`, `\;`, `;`, `\n`, "\n", `\N`, "\n")

func TestExportCustomersVCF(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	d := readExportSnapshot(t, s.db)

	if line := "FN:" + longName; len(line) <= 75 || utf8.RuneStart(line[75]) {
		t.Fatal("fixture: the long name must need a fold inside a UTF-8 sequence")
	}
	for _, tc := range []struct {
		name string
		r    orders.Range
		ids  []int64
	}{
		{"all", orders.Range{}, []int64{101, 102, 103, 105, 107}},
		{"march", marchRange, []int64{101, 102, 103, 107}},
	} {
		var buf bytes.Buffer
		n, err := s.store.WriteCustomersVCF(ctx, &buf, tc.r)
		if err != nil {
			t.Fatal(err)
		}
		cards, folds := readExportVCF(t, buf.Bytes())
		if n != len(cards) {
			t.Errorf("%s: returned %d, wrote %d cards", tc.name, n, len(cards))
		}
		// Exactly the customers with a phone, by the snapshot and by hand.
		var want []int64
		for _, c := range d.customers {
			inRange := !isBounded(tc.r)
			for _, o := range d.orders {
				inRange = inRange || (o.CustomerID == c.ID && inExportRange(o.CreatedAt, tc.r))
			}
			if inRange && d.phoneOf(c) != "" {
				want = append(want, c.ID)
			}
		}
		if !slices.Equal(want, tc.ids) {
			t.Fatalf("%s: fixture has %v with a phone, the test expects %v", tc.name, want, tc.ids)
		}
		if len(cards) != len(want) {
			t.Fatalf("%s: %d cards, want %d", tc.name, len(cards), len(want))
		}
		for i, id := range want {
			c := d.byID[id]
			fn := c.Name()
			if fn == "" {
				fn = c.DeliveryName
			}
			family, given := c.LastName, c.FirstName
			if family == "" && given == "" {
				given = fn
			}
			note := "Telegram tg://user?id=" + strconv.FormatInt(id, 10)
			if c.Username != "" {
				note = "Telegram @" + c.Username + " tg://user?id=" + strconv.FormatInt(id, 10)
			}
			got := cards[i]
			for prop, want := range map[string]string{"VERSION": "3.0", "FN": fn, "TEL;TYPE=CELL": d.phoneOf(c), "NOTE": note} {
				if v := vcardUnescaper.Replace(got[prop]); v != want {
					t.Errorf("%s: card %d %s = %q, want %q", tc.name, id, prop, v, want)
				}
			}
			if n := unescapeVCardN(got["N"]); len(n) != 5 || n[0] != family || n[1] != given {
				t.Errorf("%s: card %d N = %q, want %q;%q", tc.name, id, got["N"], family, given)
			}
			if len(got) != 5 {
				t.Errorf("%s: card %d has %d properties: %v", tc.name, id, len(got), got)
			}
		}
		if tc.name == "all" {
			if folds == 0 {
				t.Error("no line was folded")
			}
			jo := cards[2]
			if want := `Jo "JJ"\, Smith Doe\;\\Ltd\nHQ`; jo["FN"] != want {
				t.Errorf("escaped FN %s, want %s", jo["FN"], want)
			}
			if want := `Doe\;\\Ltd\nHQ;Jo "JJ"\, Smith;;;`; jo["N"] != want {
				t.Errorf("escaped N %s, want %s", jo["N"], want)
			}
			if got := cards[4]["FN"]; got != "Chị Hoa" {
				t.Errorf("a customer without a Telegram name: FN %q, want the name given at checkout", got)
			}
		}
	}
}

// unescapeVCardN splits a structured N value at its unescaped semicolons and unescapes each part.
func unescapeVCardN(v string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(v); i++ {
		switch {
		case v[i] == '\\' && i+1 < len(v):
			cur.WriteString(vcardUnescaper.Replace(v[i : i+2]))
			i++
		case v[i] == ';':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(v[i])
		}
	}
	return append(parts, cur.String())
}

func TestExportBackupZip(t *testing.T) {
	t.Parallel()
	s := seedExportShop(t)
	ctx := context.Background()
	loc := saigonZone(t)
	for _, tc := range []struct {
		name     string
		r        orders.Range
		receipts []string // order codes whose receipts are in
	}{
		{"all", orders.Range{}, []string{"A1B2C", "B1C2D", "C1D2E"}},
		{"march", marchRange, []string{"A1B2C", "B1C2D"}},
	} {
		var whole bytes.Buffer
		parts := map[string]*exportPart{}
		split := orders.SplitWriter("backup.zip", 1024, func(name string) (io.WriteCloser, error) {
			parts[name] = &exportPart{}
			return parts[name], nil
		})
		if err := s.store.WriteBackupZip(ctx, io.MultiWriter(&whole, split), tc.r, loc); err != nil {
			t.Fatal(err)
		}
		if err := split.Close(); err != nil {
			t.Fatal(err)
		}

		want := map[string][]byte{}
		for _, f := range []struct {
			name  string
			write func(io.Writer) (int, error)
		}{
			{"orders.csv", func(w io.Writer) (int, error) { return s.store.WriteOrdersCSV(ctx, w, tc.r, loc) }},
			{"order_lines.csv", func(w io.Writer) (int, error) { return s.store.WriteOrderLinesCSV(ctx, w, tc.r, loc) }},
			{"customers.csv", func(w io.Writer) (int, error) { return s.store.WriteCustomersCSV(ctx, w, tc.r, loc) }},
			{"customers.vcf", func(w io.Writer) (int, error) { return s.store.WriteCustomersVCF(ctx, w, tc.r) }},
			{"messages.csv", func(w io.Writer) (int, error) { return s.store.WriteMessagesCSV(ctx, w, tc.r, loc) }},
		} {
			var buf bytes.Buffer
			if _, err := f.write(&buf); err != nil {
				t.Fatal(err)
			}
			want[f.name] = buf.Bytes()
		}
		for name, data := range s.photos {
			want[name] = data
		}
		for name, data := range s.receipts {
			if slices.Contains(tc.receipts, s.receiptO[name]) {
				want[name] = data
			}
		}

		zr, err := zip.NewReader(bytes.NewReader(whole.Bytes()), int64(whole.Len()))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var names []string
		for _, f := range zr.File {
			names = append(names, f.Name)
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc) // checks the CRC too
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", tc.name, f.Name, err)
			}
			if w, ok := want[f.Name]; !ok {
				t.Errorf("%s: unexpected %s", tc.name, f.Name)
			} else if !bytes.Equal(data, w) {
				t.Errorf("%s: %s holds %d bytes that differ from the %d expected", tc.name, f.Name, len(data), len(w))
			}
		}
		for name := range want {
			if !slices.Contains(names, name) {
				t.Errorf("%s: %s missing from %q", tc.name, name, names)
			}
		}
		if len(names) < 5 || !slices.Equal(names[:5], []string{"orders.csv", "order_lines.csv", "customers.csv", "customers.vcf", "messages.csv"}) {
			t.Errorf("%s: files %q", tc.name, names)
		}
		if len(want["orders.csv"]) < 100 || len(want["customers.vcf"]) < 100 {
			t.Errorf("%s: the exports compared against are empty", tc.name)
		}

		// The same zip, split into 1 KB parts, joins back into the whole.
		var joined []byte
		for i := 1; i <= len(parts); i++ {
			p := parts[fmt.Sprintf("backup.zip.part%d", i)]
			if p == nil || !p.closed || p.Len() == 0 || p.Len() > 1024 {
				t.Fatalf("%s: part %d of %d: %+v", tc.name, i, len(parts), p)
			}
			joined = append(joined, p.Bytes()...)
		}
		if len(parts) < 50 || !bytes.Equal(joined, whole.Bytes()) {
			t.Errorf("%s: %d parts join into %d bytes, the zip has %d", tc.name, len(parts), len(joined), whole.Len())
		}
	}
}

// exportPart is a part of a split file, in memory.
type exportPart struct {
	bytes.Buffer
	closed bool
}

func (p *exportPart) Write(b []byte) (int, error) {
	if p.closed {
		return 0, io.ErrClosedPipe
	}
	return p.Buffer.Write(b)
}

func (p *exportPart) Close() error {
	if p.closed {
		return io.ErrClosedPipe
	}
	p.closed = true
	return nil
}

func TestPartWriter(t *testing.T) {
	t.Parallel()
	data := exportRandomBytes(rand.New(rand.NewPCG(3, 4)), 10_000)
	for _, tc := range []struct {
		limit int64
		chunk int // the size of each Write
		size  int // how much of data is written
		parts int
	}{
		{1024, 333, 10_000, 10},
		{1024, 4096, 10_000, 10},
		{1000, 1000, 10_000, 10}, // exactly full parts: no empty part after the last
		{1000, 7, 10_000, 10},
		{1, 5, 9, 9},
		{10_000, 10_000, 10_000, 1},
		{20_000, 512, 10_000, 1},
		{1024, 100, 0, 0}, // nothing written, nothing opened
	} {
		name := fmt.Sprintf("limit %d, writes of %d, %d bytes", tc.limit, tc.chunk, tc.size)
		parts := map[string]*exportPart{}
		var opened []string
		w := orders.SplitWriter("backup.zip", tc.limit, func(part string) (io.WriteCloser, error) {
			opened = append(opened, part)
			parts[part] = &exportPart{}
			return parts[part], nil
		})
		for rest := data[:tc.size]; len(rest) > 0; {
			n, err := w.Write(rest[:min(tc.chunk, len(rest))])
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			rest = rest[n:]
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(opened) != tc.parts || !slices.Equal(w.Parts(), opened) {
			t.Fatalf("%s: parts %q (listed %q), want %d", name, opened, w.Parts(), tc.parts)
		}
		var joined []byte
		for i, part := range opened {
			p := parts[part]
			if want := fmt.Sprintf("backup.zip.part%d", i+1); part != want {
				t.Errorf("%s: part named %q, want %q", name, part, want)
			}
			if !p.closed || p.Len() == 0 || int64(p.Len()) > tc.limit {
				t.Errorf("%s: %s closed %v, %d bytes", name, part, p.closed, p.Len())
			}
			joined = append(joined, p.Bytes()...)
		}
		if !bytes.Equal(joined, data[:tc.size]) {
			t.Errorf("%s: the parts do not join into what was written", name)
		}
	}

	failing := orders.SplitWriter("x", 10, func(string) (io.WriteCloser, error) { return nil, io.ErrNoProgress })
	if _, err := failing.Write([]byte("abc")); err == nil || !strings.Contains(err.Error(), "x.part1") {
		t.Errorf("a part that cannot be opened: %v", err)
	}
	if _, err := orders.SplitWriter("x", 0, nil).Write([]byte("abc")); err == nil {
		t.Error("a zero limit was accepted")
	}
}

// TestExportMoneyColumns checks amounts in major units at each currency's scale, and UTC
// when no zone is given.
func TestExportMoneyColumns(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		currency     string
		price        int64
		unit, amount string // the amount of 3 pieces: the order's total and what was spent
	}{
		{"VND", 150000, "150000", "450000"},
		{"USD", 1250, "12.50", "37.50"},
		{"USD", 5, "0.05", "0.15"},
		{"EGP", 25000, "250.00", "750.00"},
		{"KWD", 1234567, "1234.567", "3703.701"},
		{"JPY", 1235, "1235", "3705"},
	} {
		t.Run(fmt.Sprint(tc.currency, tc.price), func(t *testing.T) {
			t.Parallel()
			store, db := newExportStore(t)
			ctx := context.Background()
			exportExec(t, db, `INSERT INTO customers (id, first_name) VALUES (1, 'A')`)
			week := exportInsertID(t, db, `INSERT INTO weeks (title, status) VALUES ('w', 'published') RETURNING id`)
			item := exportInsertID(t, db, `INSERT INTO items (week_id, title, price, currency, position) VALUES ($1, 'x', $2, $3, 1) RETURNING id`, week, tc.price, tc.currency)
			variant := exportInsertID(t, db, `INSERT INTO variants (item_id, name, position) VALUES ($1, '', 1) RETURNING id`, item)
			order := exportInsertID(t, db, `INSERT INTO orders (code, customer_id, week_id, status, currency, total, delivery, idempotency_key, expires_at, created_at)
VALUES ('K7Q2M', 1, $1, 'paid', $2, $3, 'pickup', 'k', '2025-03-04T10:00:00Z', '2025-03-03T10:00:00Z') RETURNING id`, week, tc.currency, 3*tc.price)
			exportExec(t, db, `INSERT INTO order_lines (order_id, item_id, variant_id, title, variant_name, unit_price, quantity) VALUES ($1, $2, $3, 'x', '', $4, 3)`,
				order, item, variant, tc.price)

			var buf bytes.Buffer
			if _, err := store.WriteOrdersCSV(ctx, &buf, orders.Range{}, nil); err != nil {
				t.Fatal(err)
			}
			o := readExportCSV(t, buf.Bytes(), wantOrdersHeader...)
			if len(o) != 1 || o[0][12] != tc.amount || o[0][2] != "2025-03-03T10:00:00Z" || o[0][14] != "2025-03-04T10:00:00Z" {
				t.Errorf("orders: %q", o)
			}
			buf.Reset()
			if _, err := store.WriteOrderLinesCSV(ctx, &buf, orders.Range{}, nil); err != nil {
				t.Fatal(err)
			}
			if l := readExportCSV(t, buf.Bytes(), wantLinesHeader...); len(l) != 1 || l[0][7] != tc.unit || l[0][8] != tc.amount {
				t.Errorf("lines: %q", l)
			}
			buf.Reset()
			if _, err := store.WriteCustomersCSV(ctx, &buf, orders.Range{}, nil); err != nil {
				t.Fatal(err)
			}
			if c := readExportCSV(t, buf.Bytes(), wantCustomersHeader...); len(c) != 1 || c[0][11] != tc.amount {
				t.Errorf("customers: %q", c)
			}
		})
	}
}

// exportHeapWatch is a writer that throws the bytes away and keeps the highest heap it saw.
type exportHeapWatch struct {
	writes int
	bytes  int64
	peak   uint64
}

func (h *exportHeapWatch) Write(b []byte) (int, error) {
	h.bytes += int64(len(b))
	if h.writes++; h.writes%8 == 0 {
		h.sample()
	}
	return len(b), nil
}

func (h *exportHeapWatch) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	h.peak = max(h.peak, ms.HeapAlloc)
}

// TestExportStreams exports 20,000 orders of about 2 KB each: holding them all would take
// more than 40 MB, while a streaming export keeps the heap within a few.
// Not parallel: the heap is the whole process's, and other tests would add to it.
func TestExportStreams(t *testing.T) {
	store, db := newExportStore(t)
	ctx := context.Background()
	const count = 20_000
	start := time.Now()
	exportExec(t, db, `INSERT INTO customers (id, first_name, phone) SELECT g, 'Khách ' || g, '+8490' || lpad(g::text, 7, '0')
FROM generate_series(1, 1000) g`)
	week := exportInsertID(t, db, `INSERT INTO weeks (title, status) VALUES ('w', 'published') RETURNING id`)
	item := exportInsertID(t, db, `INSERT INTO items (week_id, title, price, currency, position) VALUES ($1, 'Áo', 150000, 'VND', 1) RETURNING id`, week)
	variant := exportInsertID(t, db, `INSERT INTO variants (item_id, name, position) VALUES ($1, 'M', 1) RETURNING id`, item)
	exportExec(t, db, `INSERT INTO orders (code, customer_id, week_id, status, currency, total, delivery, recipient_name, phone,
    address, note, idempotency_key, expires_at, created_at)
SELECT 'G' || g, 1 + g % 1000, $1, 'paid', 'VND', 150000, 'shipping', 'Nguyễn Thị Bích', '+84912345678', 'Hà Nội',
    repeat('ghi chú, ', 220) || g, 'k' || g, now() + interval '1 day', now() - g * interval '1 second'
FROM generate_series(1, $2::int) g`, week, count)
	exportExec(t, db, `INSERT INTO order_lines (order_id, item_id, variant_id, title, variant_name, unit_price, quantity)
SELECT id, $1, $2, repeat('Áo dài ', 300) || id, 'M', 150000, 1 FROM orders`, item, variant)
	t.Logf("inserted %d orders and lines in %v", count, time.Since(start).Round(time.Millisecond))

	// A tight GC target, so that garbage waiting for a collection does not pass for rows
	// being held, whatever the heap happened to hold before.
	defer debug.SetGCPercent(debug.SetGCPercent(20))
	const bound = 20 << 20
	for _, tc := range []struct {
		name  string
		write func(io.Writer) (int, error)
	}{
		{"orders", func(w io.Writer) (int, error) { return store.WriteOrdersCSV(ctx, w, orders.Range{}, time.UTC) }},
		{"order lines", func(w io.Writer) (int, error) { return store.WriteOrderLinesCSV(ctx, w, orders.Range{}, time.UTC) }},
	} {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		h := &exportHeapWatch{}
		start := time.Now()
		n, err := tc.write(h)
		took := time.Since(start)
		h.sample()
		if err != nil {
			t.Fatal(err)
		}
		if n != count {
			t.Errorf("%s: %d rows, want %d", tc.name, n, count)
		}
		// The test means something only if holding every row would pass the bound.
		if h.bytes < 2*bound {
			t.Fatalf("%s: only %d bytes written: the rows are too small to tell streaming from collecting", tc.name, h.bytes)
		}
		growth := int64(h.peak) - int64(before.HeapAlloc)
		t.Logf("%s: %d rows, %.1f MB in %v; heap %.1f MB before, peak %.1f MB above it",
			tc.name, n, float64(h.bytes)/(1<<20), took.Round(time.Millisecond), float64(before.HeapAlloc)/(1<<20), float64(growth)/(1<<20))
		if growth > bound {
			t.Errorf("%s: the heap grew by %.1f MB while writing %.1f MB: rows are being held", tc.name,
				float64(growth)/(1<<20), float64(h.bytes)/(1<<20))
		}
	}
}
