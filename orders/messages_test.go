package orders_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

func TestAddMessage(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	s := orders.NewStore(db)
	ctx := context.Background()
	if _, _, err := s.SeeCustomer(ctx, orders.Profile{ID: 42, FirstName: "Mai"}); err != nil {
		t.Fatal(err)
	}
	count := func(q string) (n int) {
		t.Helper()
		if err := sqlx.GetContext(ctx, db, &n, q); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Each message tells both sellers.
	notices := func(m orders.Message) []outbox.Message {
		return []outbox.Message{{ChatID: 1001, Kind: "question", Text: m.Text}, {ChatID: 1002, Kind: "question", Text: m.Text}}
	}
	ask := func(chatMessage int64, text string) (orders.Message, bool, error) {
		return s.AddMessage(ctx, orders.NewMessage{CustomerID: 42, Text: text, ChatMessageID: chatMessage, PerHour: 2, Notices: notices})
	}

	first, added, err := ask(10, "Còn size M không?")
	if err != nil || !added || first.ID == 0 || first.CustomerID != 42 || first.SellerID != 0 || first.Text != "Còn size M không?" {
		t.Fatalf("AddMessage = %+v, %v, %v", first, added, err)
	}
	// The same message delivered again is kept once and passed on once.
	again, added, err := ask(10, "Còn size M không?")
	if err != nil || added || again.ID != first.ID {
		t.Errorf("AddMessage again = %+v, %v, %v; want the first, not added", again, added, err)
	}
	if n := count(`SELECT count(*) FROM outbox`); n != 2 {
		t.Errorf("%d notices after a message and its redelivery, want 2", n)
	}
	// A seller's answers are neither capped nor counted, and a seller's message id is
	// their chat's: the same number as the customer's is another message.
	for i := range 3 {
		a, added, err := s.AddMessage(ctx, orders.NewMessage{CustomerID: 42, SellerID: 1001, Text: "Dạ còn", ChatMessageID: int64(10 + i), PerHour: 1})
		if err != nil || !added || a.SellerID != 1001 {
			t.Fatalf("answer %d: %+v, %v, %v", i, a, added, err)
		}
	}
	if _, added, err := ask(11, "Cảm ơn"); err != nil || !added {
		t.Fatalf("second message: %v, %v", added, err)
	}
	// The third within the hour is refused, and nothing of it is written.
	if _, _, err := ask(12, "Alo?"); !errors.Is(err, orders.ErrTooManyMessages) {
		t.Errorf("third message within the hour: %v, want ErrTooManyMessages", err)
	}
	if n, o := count(`SELECT count(*) FROM messages`), count(`SELECT count(*) FROM outbox`); n != 5 || o != 4 {
		t.Errorf("%d messages and %d notices after a refusal, want 5 and 4", n, o)
	}
	// An hour on, the customer may write again.
	if _, err := db.ExecContext(ctx, `UPDATE messages SET created_at = created_at - interval '61 minutes'`); err != nil {
		t.Fatal(err)
	}
	if _, added, err := ask(12, "Alo?"); err != nil || !added {
		t.Errorf("a message an hour later: %v, %v", added, err)
	}
	// An album counts as one message: its other photos come uncapped, and with the one
	// before it the customer has written twice, under a cap of three.
	for i, perHour := range []int{3, 0} {
		if _, added, err := s.AddMessage(ctx, orders.NewMessage{CustomerID: 42, PhotoFileID: "AgAD", AlbumID: "g1",
			ChatMessageID: int64(20 + i), PerHour: perHour}); err != nil || !added {
			t.Fatalf("album photo %d: %v, %v", i+1, added, err)
		}
	}
	if _, added, err := s.AddMessage(ctx, orders.NewMessage{CustomerID: 42, Text: "?", ChatMessageID: 22, PerHour: 3}); err != nil || !added {
		t.Errorf("the third message, after an album: %v, %v", added, err)
	}
	// A message whose notices can't be written is not kept either.
	_, _, err = s.AddMessage(ctx, orders.NewMessage{CustomerID: 42, Text: "x", ChatMessageID: 13,
		Notices: func(orders.Message) []outbox.Message {
			return []outbox.Message{{ChatID: 1001, Kind: "question", Text: "\x00"}}
		}})
	if err == nil {
		t.Error("a message with a notice Postgres refuses was kept")
	}
	if n := count(`SELECT count(*) FROM messages WHERE chat_message_id = 13`); n != 0 {
		t.Errorf("%d messages kept without their notices", n)
	}
}
