package bot_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shopbot/shopbot/bot"
	"github.com/shopbot/shopbot/bot/telegramtest"
	"github.com/shopbot/shopbot/locale"
)

// parseCSV reads an exported file as a spreadsheet would: BOM, CRLF, quoting.
func parseCSV(t *testing.T, data []byte) [][]string {
	t.Helper()
	body, ok := bytes.CutPrefix(data, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Fatal("no UTF-8 BOM")
	}
	if bytes.Contains(bytes.ReplaceAll(body, []byte("\r\n"), nil), []byte("\n")) {
		t.Error("a line ends without CR")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportFilesRoundTrip(t *testing.T) {
	t.Parallel()
	h, _, s2, dress, _ := sellersShop(t, map[string]int{"S": 9})
	names := []string{`Nguyễn, "Bích"`, "محمد عبد الله", "Lan"}
	for i, name := range names {
		u := h.fake.User(int64(7500+i), name, "", "vi")
		added := book(t, h, u, dress, "S", 1)
		summary := checkoutShipping(t, h, u, added)
		u.Press(t, summary, h.text("vi", "checkout.confirm_button"))
		u.WaitFor(t, func(m telegramtest.Message) bool { return m.ID > summary.ID && strings.HasPrefix(m.Text, "✅") })
	}
	// An address over two lines, with commas and quotes.
	h.db.Exec(`UPDATE orders SET address = E'12 "Lý Thường Kiệt",\nHoàn Kiếm' WHERE customer_id = 7500`)

	from := len(s2.Messages())
	s2.SendText("/export")
	docs := map[string]telegramtest.Message{}
	deadline := time.Now().Add(15 * time.Second)
	for len(docs) < 4 && time.Now().Before(deadline) {
		for _, m := range s2.Messages()[from:] {
			if m.Document != nil {
				docs[m.Document.Name] = m
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, name := range []string{"orders.csv", "order_lines.csv", "customers.csv", "customers.vcf"} {
		if _, ok := docs[name]; !ok {
			t.Fatalf("no %s among %v", name, docs)
		}
	}

	rows := parseCSV(t, docs["orders.csv"].Document.Data)
	var want []struct {
		Code    string `db:"code"`
		Address string `db:"address"`
		Name    string `db:"first_name"`
	}
	h.db.Select(&want, `SELECT o.code, o.address, c.first_name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id`)
	if len(rows) != len(want)+1 {
		t.Fatalf("%d rows for %d orders", len(rows)-1, len(want))
	}
	header := rows[0]
	col := func(name string) int {
		for i, h := range header {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s in %v", name, header)
		return -1
	}
	byCode := map[string][]string{}
	for _, r := range rows[1:] {
		byCode[r[col("code")]] = r
	}
	for _, o := range want {
		r, ok := byCode[o.Code]
		if !ok {
			t.Errorf("order %s missing", o.Code)
			continue
		}
		if r[col("address")] != o.Address || r[col("customer_name")] != o.Name {
			t.Errorf("order %s: address %q name %q, want %q %q", o.Code, r[col("address")], r[col("customer_name")], o.Address, o.Name)
		}
	}
	customers := parseCSV(t, docs["customers.csv"].Document.Data)
	found := 0
	for _, r := range customers[1:] {
		for i, n := range names {
			if r[0] == fmt.Sprint(7500+i) && r[1] == n && r[3] == "+84912345678" && r[10] == "1" {
				found++
			}
		}
	}
	if found != len(names) {
		t.Errorf("customers.csv has %d of the %d customers: %v", found, len(names), customers)
	}
	vcf := string(docs["customers.vcf"].Document.Data)
	if n := strings.Count(vcf, "BEGIN:VCARD\r\n"); n != len(names) {
		t.Errorf("%d cards for %d customers with a phone", n, len(names))
	}
	if !strings.Contains(vcf, `FN:Nguyễn\, "Bích"`) {
		t.Errorf("vCard escaping: %q", vcf)
	}
	if got, want := docs["orders.csv"].Caption, plain(h.texts.T("en", "export.caption", locale.Args{"Name": "orders.csv", "Rows": len(names)})); got != want {
		t.Errorf("orders.csv caption %q, want %q", got, want)
	}

	// The whole backup: one zip, named, without a row count that means nothing for it.
	from = len(s2.Messages())
	s2.SendText("/backup")
	backup := s2.WaitFor(t, func(m telegramtest.Message) bool {
		return len(s2.Messages()) > from && m.Document != nil && strings.HasSuffix(m.Document.Name, ".zip")
	})
	if backup.Caption != backup.Document.Name {
		t.Errorf("backup caption %q, want its name %q", backup.Caption, backup.Document.Name)
	}
	zr, err := zip.NewReader(bytes.NewReader(backup.Document.Data), int64(len(backup.Document.Data)))
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	var inside []string
	for _, f := range zr.File {
		inside = append(inside, f.Name)
	}
	if !slices.Contains(inside, "orders.csv") {
		t.Errorf("backup holds %v, no orders.csv", inside)
	}
	noErrors(t, h)
}

func TestDailyBackupOnceAtItsTimeWithTwoProcesses(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	loc, _ := time.LoadLocation("Africa/Cairo")
	clock.Set(time.Date(2026, 5, 4, 2, 59, 0, 0, loc))
	h := newHarness(t, withClock(clock), withEnv("SHOP_TIMEZONE", "Africa/Cairo"), withEnv("BACKUP_TIME", "03:00"))
	h.webhooks()
	h.start()
	h.start()
	seller := h.user(admin2, "Minh", "en")
	seller.SendText("/start")
	seller.Next(t)

	time.Sleep(300 * time.Millisecond)
	count := func() int { return docCount(seller, "orders.csv") }
	if n := count(); n != 0 {
		t.Fatalf("a backup before 03:00 (%d)", n)
	}
	clock.Set(time.Date(2026, 5, 4, 3, 0, 5, 0, loc))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Document != nil && m.Document.Name == "customers.csv" })
	time.Sleep(400 * time.Millisecond) // many ticks of both processes
	if n := count(); n != 1 {
		t.Errorf("%d backups on the day", n)
	}
	// The next day, once more.
	clock.Set(time.Date(2026, 5, 5, 3, 1, 0, 0, loc))
	deadline := time.Now().Add(10 * time.Second)
	for count() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := count(); n != 2 {
		t.Errorf("%d backups after two days", n)
	}
	noErrors(t, h)
}

// A seller who blocked the bot does not hold the daily backup back for the others, nor
// make them get it again and again.
func TestDailyBackupWithABlockedSeller(t *testing.T) {
	t.Parallel()
	clock := &testClock{}
	clock.Set(time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clock), withEnv("BACKUP_TIME", "03:00"))
	h.start()
	blocked := h.fake.User(admin1, "Lan", "", "vi")
	blocked.Block()
	seller := h.user(admin2, "Minh", "en")
	seller.SendText("/start")
	seller.Next(t)
	clock.Set(time.Date(2026, 5, 4, 3, 30, 0, 0, time.UTC))
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Document != nil && m.Document.Name == "customers.csv" })
	time.Sleep(500 * time.Millisecond)
	if n := docCount(seller, "orders.csv"); n != 1 {
		t.Errorf("the reachable seller got the backup %d times", n)
	}
	// Done at its first attempt: the blocked seller is left out, neither retried nor told.
	var e struct {
		Done     bool   `db:"done"`
		Attempts int    `db:"attempts"`
		Error    string `db:"last_error"`
	}
	if err := h.db.Get(&e, `SELECT done_at IS NOT NULL AS done, attempts, last_error FROM exports`); err != nil || !e.Done || e.Attempts != 1 || e.Error != "" {
		t.Errorf("the backup's export: %+v, %v", e, err)
	}
	var told int
	if err := h.db.Get(&told, `SELECT count(*) FROM outbox WHERE kind = 'export.failed'`); err != nil || told != 0 {
		t.Errorf("%d export failure notices (%v)", told, err)
	}
}

// docCount counts the documents named so that u got.
func docCount(u *telegramtest.User, name string) int {
	n := 0
	for _, m := range u.Messages() {
		if m.Document != nil && m.Document.Name == name {
			n++
		}
	}
	return n
}

// waitDoc waits up to d for u to have n documents named so.
func waitDoc(t *testing.T, u *telegramtest.User, name string, n int, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); docCount(u, name) < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s got %d × %s within %v, want %d", u.FirstName, docCount(u, name), name, d, n)
		}
	}
}

// An export whose process is killed half-way reaches the seller all the same: once the
// dead process's claim runs out, the next process sends it whole.
func TestAnExportOfAKilledProcessIsSentByTheNext(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out a dead process's claim on an export: runs without -short")
	}
	t.Parallel()
	h := newHarness(t)
	h.ownRedisDB(t, 10)
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp}
	proc := h.startProcess(t, env)
	t.Cleanup(proc.kill)
	seller := h.user(admin1, "Lan", "vi")
	seller.SendText("/export")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == h.text("vi", "export.working") })
	// Slow answers, so that the process is killed before its first file is out: as soon
	// as it has claimed the export.
	h.fake.SetLatency(time.Second)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var claimed bool
		if err := h.db.Get(&claimed, `SELECT EXISTS (SELECT FROM exports WHERE claimed_by IS NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		if claimed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the export was not claimed")
		}
	}
	// Killed with its first file written, customers' names and phones follow.
	var left []string
	for deadline := time.Now().Add(10 * time.Second); len(left) == 0; time.Sleep(10 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(tmp, "shopbot-export-*", "orders.csv"))
		if time.Now().After(deadline) {
			t.Fatal("the export wrote no file")
		}
	}
	proc.kill()
	h.fake.SetLatency(0)
	if n := docCount(seller, "customers.csv"); n != 0 {
		t.Fatalf("the export was done before the kill (%d × customers.csv)", n)
	}
	// The next process (which may get /export again, unconfirmed: it is queued once)
	// sends it once the dead one's claim runs out, and removes the dead one's files.
	next := h.startProcess(t, env)
	t.Cleanup(next.kill)
	waitDoc(t, seller, "customers.csv", 1, 30*time.Second)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		there, _ := filepath.Glob(filepath.Join(tmp, "*"))
		if len(there) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v left in the temporary directory (the dead process's: %s)", there, filepath.Dir(left[0]))
		}
	}
	time.Sleep(300 * time.Millisecond)
	if a, b := docCount(seller, "orders.csv"), docCount(seller, "customers.csv"); a < 1 || a > 2 || b != 1 {
		t.Errorf("orders.csv × %d and customers.csv × %d, want 1 or 2 and 1", a, b)
	}
	if countStarting(seller.Messages(), "❌") != 0 {
		t.Error("the seller was told the export failed")
	}
	var exports []struct {
		Attempts int  `db:"attempts"`
		Done     bool `db:"done"`
	}
	if err := h.db.Select(&exports, `SELECT attempts, done_at IS NOT NULL AND last_error = '' AS done FROM exports`); err != nil ||
		len(exports) != 1 || !exports[0].Done || exports[0].Attempts != 2 {
		t.Errorf("exports %+v, %v; want the one, done at its second attempt", exports, err)
	}
}

// An export Telegram fails for a while is sent again; one that keeps failing is given up
// after its attempts, and one Telegram refuses outright at once; the seller is told why.
func TestAnExportIsTriedAgainThenGivenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(h *harness) {
		h.tune = append(h.tune, func(o *bot.Options) { o.ExportRetry = 100 * time.Millisecond })
	})
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	failed := h.text("vi", "export.failed", locale.Args{"Reason": "Bad Gateway (502)"})
	h.fake.FailNext("sendDocument", 1, 502, 0)
	seller.SendText("/export")
	waitDoc(t, seller, "customers.csv", 1, 10*time.Second)
	if n := docCount(seller, "orders.csv"); n != 1 || countStarting(seller.Messages(), "❌") != 0 {
		t.Errorf("after one failure: orders.csv × %d, %d failure notices", n, countStarting(seller.Messages(), "❌"))
	}

	h.fake.FailNext("sendDocument", 3, 502, 0)
	seller.SendText("/backup")
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == failed })
	time.Sleep(300 * time.Millisecond)
	if n := h.fake.Calls("sendDocument"); n != 4+3 { // the export: one refused, three sent; the backup: three tries
		t.Errorf("%d sendDocument calls, want 7", n)
	}
	var lastError string
	if err := h.db.Get(&lastError, `SELECT last_error FROM exports WHERE archive`); err != nil || !strings.Contains(lastError, "Bad Gateway") {
		t.Errorf("the given-up backup's error %q, %v", lastError, err)
	}

	// A refusal no retry changes: given up at once.
	h.fake.FailNext("sendDocument", 1, 400, 0)
	seller.SendText("/export")
	refused := h.text("vi", "export.failed", locale.Args{"Reason": "Bad Request (400)"})
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == refused })
	time.Sleep(300 * time.Millisecond)
	if n := h.fake.Calls("sendDocument"); n != 7+1 {
		t.Errorf("%d sendDocument calls, want the refused one only after the first 7", n)
	}
	if n := countStarting(seller.Messages(), "❌"); n != 2 {
		t.Errorf("%d failure notices, want 2", n)
	}
	noErrors(t, h, 400, 502)
}

// A process stopped in the middle of an export stops promptly, between files, and gives
// the export back: the next process sends it, whole, at once.
func TestAnExportCutShortByAStopIsSentByTheNext(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.start()
	seller := h.user(admin1, "Lan", "vi")
	h.fake.SetLatency(500 * time.Millisecond)
	seller.SendText("/export")
	waitDoc(t, seller, "orders.csv", 1, 10*time.Second)
	start := time.Now()
	r.stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("stopping took %v", took)
	}
	h.fake.SetLatency(0)
	if n := docCount(seller, "customers.csv"); n != 0 {
		t.Fatalf("the export was done before the stop (%d × customers.csv)", n)
	}
	h.start()
	waitDoc(t, seller, "customers.csv", 1, 5*time.Second) // well within a claim's 15 s
	time.Sleep(300 * time.Millisecond)
	if a, b := docCount(seller, "orders.csv"), docCount(seller, "customers.csv"); a != 2 || b != 1 {
		t.Errorf("orders.csv × %d and customers.csv × %d, want 2 and 1", a, b)
	}
	var attempts int
	if err := h.db.Get(&attempts, `SELECT attempts FROM exports WHERE done_at IS NOT NULL AND last_error = ''`); err != nil || attempts != 1 {
		t.Errorf("the export done after %d attempts (%v), want the stop not counted", attempts, err)
	}
	noErrors(t, h)
}

// An export whose processes died sending it, claim after claim (it may be what kills
// them), is given up rather than tried for ever, and the seller is told.
func TestAnExportThatKeepsKillingItsProcessIsGivenUp(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.start()
	seller := h.user(admin1, "Lan", "vi")
	// As three processes left it, each dead before its claim ran out.
	if _, err := h.db.Exec(`INSERT INTO exports (chat_ids, archive, attempts, claimed_by, claimed_until)
VALUES ($1, true, 3, 'dead', now() - interval '1 second')`, pq.Int64Array{admin1}); err != nil {
		t.Fatal(err)
	}
	want := h.text("en", "export.failed", locale.Args{"Reason": h.text("en", "export.reason_ours")})
	seller.WaitFor(t, func(m telegramtest.Message) bool { return m.Text == want })
	if n := h.fake.Calls("sendDocument"); n != 0 {
		t.Errorf("%d files sent", n)
	}
	var open int
	if err := h.db.Get(&open, `SELECT count(*) FROM exports WHERE done_at IS NULL`); err != nil || open != 0 {
		t.Errorf("%d exports still to send (%v)", open, err)
	}
	noErrors(t, h)
}
