package telegramtest

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	tele "gopkg.in/telebot.v3"
)

func TestPersonPhotoDownload(t *testing.T) {
	s := NewServer(t)
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	img := pngImage(t, 300, 200)
	sent := u.SendPhoto(img, "payment receipt")
	m, ok := u.Chat().Message(sent.MessageID)
	if !ok || m.Photo == nil || m.Photo.Width != 300 || m.FromBot || m.Caption != "payment receipt" {
		t.Fatalf("stored = %+v", m)
	}
	f, err := b.FileByID(m.Photo.ID)
	if err != nil || f.FilePath == "" || f.FileSize != int64(len(img)) {
		t.Fatalf("getFile = %+v, %v", f, err)
	}
	r, err := b.File(&tele.File{FileID: m.Photo.ID})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	data, _ := io.ReadAll(r)
	if !bytes.Equal(data, img) {
		t.Fatal("downloaded bytes differ")
	}

	upd := telebotUpdates(t, s)[0]
	// telebot keeps the largest size, which must be the full photo.
	if upd.Message.Photo == nil || upd.Message.Photo.FileID != m.Photo.ID || upd.Message.Photo.Width != 300 {
		t.Fatalf("photo in update = %+v", upd.Message.Photo)
	}
	if _, err := b.FileByID("nope"); err == nil {
		t.Fatal("getFile of an unknown id succeeded")
	}
}

func TestSendPhotoByFileIDAndURL(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	img := pngImage(t, 64, 48)
	first, err := b.Send(u, &tele.Photo{File: tele.FromReader(bytes.NewReader(img)), Caption: "upload"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := b.Send(u, &tele.Photo{File: tele.File{FileID: first.Photo.FileID}, Caption: "by id"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Photo.FileID != first.Photo.FileID {
		t.Fatalf("re-sent photo has id %q, want %q", again.Photo.FileID, first.Photo.FileID)
	}
	msgs := u.Messages()
	if len(msgs) != 2 || !bytes.Equal(msgs[1].Photo.Data, img) {
		t.Fatalf("messages = %v", msgs)
	}
	for _, f := range []tele.File{{FileID: "AgACunknown"}, tele.FromURL("https://cdn.example.com/p.jpg")} {
		if _, err := b.Send(u, &tele.Photo{File: f}); !errors.Is(err, tele.ErrWrongFileID) {
			t.Fatalf("photo %+v: %v, want ErrWrongFileID", f, err)
		}
	}
	doc, err := b.Send(u, &tele.Document{File: tele.FromReader(strings.NewReader("a,b\n1,2\n")), FileName: "orders.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Document.FileName != "orders.csv" || doc.Document.MIME != "text/csv" {
		t.Fatalf("document = %+v", doc.Document)
	}
	if _, err := b.Send(u, &tele.Photo{File: tele.File{FileID: doc.Document.FileID}}); err == nil {
		t.Fatal("a document's file_id was accepted as a photo")
	}
}

func TestUploadLimits(t *testing.T) {
	s := NewServer(t, WithLimits(Unlimited()))
	u := s.User(1001, "Ann", "ann", "en")
	b := newBot(t, s)
	cases := []struct {
		name string
		what tele.Sendable
		err  error
		desc string
	}{
		{"photo ratio over 20", &tele.Photo{File: tele.FromReader(bytes.NewReader(pngImage(t, 210, 10)))}, nil, "PHOTO_INVALID_DIMENSIONS"},
		{"photo sides over 10000", &tele.Photo{File: tele.FromReader(bytes.NewReader(pngHeader(6000, 4001)))}, nil, "PHOTO_INVALID_DIMENSIONS"},
		{"photo of 10000", &tele.Photo{File: tele.FromReader(bytes.NewReader(pngHeader(6000, 4000)))}, nil, ""},
		{"photo over 10 MB", &tele.Photo{File: tele.FromReader(bytes.NewReader(make([]byte, 10<<20+1)))}, tele.ErrTooLarge, ""},
		{"document over 50 MB", &tele.Document{File: tele.FromReader(bytes.NewReader(make([]byte, 50<<20+1))), FileName: "big.bin"}, tele.ErrTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Send(u, tc.what)
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			case tc.desc != "":
				if err == nil || !strings.Contains(err.Error(), tc.desc) {
					t.Fatalf("err = %v, want %q", err, tc.desc)
				}
			case err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}

	// Up to 50 MB can be uploaded, but getFile stops at 20 MB.
	big, err := b.Send(u, &tele.Document{File: tele.FromReader(bytes.NewReader(make([]byte, 20<<20+1))), FileName: "scan.pdf"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.FileByID(big.Document.FileID); err == nil || !strings.Contains(err.Error(), "file is too big") {
		t.Fatalf("getFile of 20 MB + 1: %v", err)
	}
}
