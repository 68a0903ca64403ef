package handlers

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	tele "gopkg.in/telebot.v3"

	"github.com/shopbot/shopbot/catalog"
	"github.com/shopbot/shopbot/internal/scratch"
	"github.com/shopbot/shopbot/locale"
	"github.com/shopbot/shopbot/orders"
)

// Exporter writes the shop's data files; the orders store is one.
type Exporter interface {
	WriteOrdersCSV(ctx context.Context, w io.Writer, r orders.Range, loc *time.Location) (int, error)
	WriteOrderLinesCSV(ctx context.Context, w io.Writer, r orders.Range, loc *time.Location) (int, error)
	WriteCustomersCSV(ctx context.Context, w io.Writer, r orders.Range, loc *time.Location) (int, error)
	WriteCustomersVCF(ctx context.Context, w io.Writer, r orders.Range) (int, error)
	WriteBackupZip(ctx context.Context, w io.Writer, r orders.Range, loc *time.Location) error
}

// Export sends a seller the shop's data: /export, or /export 2026-03-01 2026-03-31.
func (h *Handlers) Export(c tele.Context) error {
	r, ok := h.parseRange(c.Message().Payload)
	if !ok {
		return c.Send(h.t(c, "export.usage"))
	}
	return h.queueExport(c, r, false)
}

// queueExport queues the export, which the scheduler of one of the bot's processes
// sends: a large one takes minutes, which the person's other updates (and everyone
// else's) must not wait for, and it survives a restart.
func (h *Handlers) queueExport(c tele.Context, r orders.Range, archive bool) error {
	key := fmt.Sprintf("%d:%d", c.Chat().ID, c.Update().ID)
	if err := h.Orders.QueueExport(h.req(c).ctx, key, []int64{c.Chat().ID}, r, archive); err != nil {
		return err
	}
	h.kick()
	return c.Send(h.t(c, "export.working"))
}

// Backup sends a seller everything in one archive: the files of /export, every item
// photo and every receipt.
func (h *Handlers) Backup(c tele.Context) error {
	return h.queueExport(c, orders.Range{}, true)
}

// parseRange reads "", "FROM" or "FROM TO" as dates (2026-03-01 or 01/03/2026) in the
// shop's time zone; TO is included.
func (h *Handlers) parseRange(text string) (orders.Range, bool) {
	fields := strings.Fields(catalog.NormalizeDigits(text))
	if len(fields) > 2 {
		return orders.Range{}, false
	}
	var r orders.Range
	for i, f := range fields {
		var day time.Time
		var err error
		for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
			if day, err = time.ParseInLocation(layout, f, h.Location); err == nil {
				break
			}
		}
		if err != nil {
			return orders.Range{}, false
		}
		if i == 0 {
			r.From = day
		} else {
			r.To = day.AddDate(0, 0, 1)
		}
	}
	if !r.To.IsZero() && !r.To.After(r.From) {
		return orders.Range{}, false
	}
	return r, true
}

type exportFile struct {
	name  string
	write func(context.Context, io.Writer) (int, error)
}

// SendExport writes the export files (or the full archive) to a temporary folder and
// sends them to chats, each split into parts under Telegram's upload limit. A file goes
// up once; the other chats get it by its Telegram file id. An empty file (a vCard of no
// customer with a phone) is not sent. A chat that fails (blocked the bot, never opened
// it) does not stop the others: the failures are returned by chat.
func (h *Handlers) SendExport(ctx context.Context, b *tele.Bot, chats []int64, r orders.Range, archive bool) map[int64]error {
	failed := map[int64]error{}
	failAll := func(err error) map[int64]error {
		for _, c := range chats {
			failed[c] = err
		}
		return failed
	}
	scratchDir, err := scratch.New("", exportDir)
	if err != nil {
		return failAll(fmt.Errorf("handlers: export: %w", err))
	}
	defer scratchDir.Remove()
	dir := scratchDir.Path
	loc := h.Location
	files := []exportFile{
		{"orders.csv", func(ctx context.Context, w io.Writer) (int, error) { return h.Exporter.WriteOrdersCSV(ctx, w, r, loc) }},
		{"order_lines.csv", func(ctx context.Context, w io.Writer) (int, error) {
			return h.Exporter.WriteOrderLinesCSV(ctx, w, r, loc)
		}},
		{"customers.csv", func(ctx context.Context, w io.Writer) (int, error) {
			return h.Exporter.WriteCustomersCSV(ctx, w, r, loc)
		}},
		{"customers.vcf", func(ctx context.Context, w io.Writer) (int, error) { return h.Exporter.WriteCustomersVCF(ctx, w, r) }},
	}
	if archive {
		stamp := h.Now().In(loc).Format("2006-01-02")
		files = []exportFile{{"shopbot-backup-" + stamp + ".zip", func(ctx context.Context, w io.Writer) (int, error) {
			return -1, h.Exporter.WriteBackupZip(ctx, w, r, loc) // no rows to count
		}}}
	}
	langs, err := h.AdminLanguages(ctx)
	if err != nil {
		langs = map[int64]string{}
	}
	for _, f := range files {
		parts, rows, err := writeParts(ctx, dir, f)
		if err != nil {
			return failAll(err)
		}
		for i, part := range parts {
			var fileID string
			for _, chat := range chats {
				if failed[chat] != nil {
					continue
				}
				if err := ctx.Err(); err != nil {
					failed[chat] = err
					continue
				}
				lang := h.DefaultLanguage
				if langs[chat] != "" {
					lang = langs[chat]
				}
				caption := h.Texts.T(lang, "export.caption", locale.Args{"Name": f.name, "Rows": rows})
				if rows < 0 {
					caption = f.name
				}
				if len(parts) > 1 {
					caption = h.Texts.T(lang, "export.part", locale.Args{"Name": f.name, "N": i + 1, "Total": len(parts)})
				}
				doc := &tele.Document{FileName: filepath.Base(part), Caption: caption}
				if fileID != "" {
					doc.File = tele.File{FileID: fileID}
				} else {
					doc.File = tele.FromDisk(part)
				}
				msg, err := b.Send(tele.ChatID(chat), doc)
				if err != nil {
					failed[chat] = fmt.Errorf("handlers: send %s: %w", filepath.Base(part), err)
					continue
				}
				if msg.Document != nil {
					fileID = msg.Document.FileID
				}
			}
		}
	}
	return failed
}

// exportDir names the temporary folders of exports.
const exportDir = "shopbot-export-"

// SweepExports removes the temporary folders of exports that a process killed while
// exporting left behind (the shop's customers are in them), in this process's temporary
// directory; it reports how many.
func SweepExports() (int, error) { return scratch.Sweep("", exportDir) }

// writeParts writes one export file into dir, in parts under Telegram's upload limit.
func writeParts(ctx context.Context, dir string, f exportFile) ([]string, int, error) {
	pw := orders.SplitWriter(f.name, orders.TelegramUploadLimit, func(part string) (io.WriteCloser, error) {
		return os.Create(filepath.Join(dir, part))
	})
	rows, err := f.write(ctx, pw)
	if cerr := pw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, fmt.Errorf("handlers: export %s: %w", f.name, err)
	}
	var paths []string
	for _, p := range pw.Parts() {
		paths = append(paths, filepath.Join(dir, p))
	}
	if len(paths) == 1 {
		// One part is the whole file: it keeps its own name.
		whole := filepath.Join(dir, f.name)
		if err := os.Rename(paths[0], whole); err != nil {
			return nil, 0, fmt.Errorf("handlers: export %s: %w", f.name, err)
		}
		paths[0] = whole
	}
	return paths, rows, nil
}
