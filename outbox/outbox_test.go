package outbox_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/outbox"
)

func TestEnqueueWritesEveryMessageInBatches(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t)
	ctx := context.Background()
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	const n = 2345 // more than two INSERTs' worth
	msgs := make([]outbox.Message, n)
	for i := range msgs {
		msgs[i] = outbox.Message{ChatID: int64(1000 + i), Kind: "notice", Text: "message " + strconv.Itoa(i)}
		if i%2 == 0 {
			msgs[i].Markup = json.RawMessage(`{"inline_keyboard":[[{"text":"✅","callback_data":"x"}]]}`)
		}
	}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Enqueue(ctx, tx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		ChatID int64   `db:"chat_id"`
		Text   string  `db:"text"`
		Markup *string `db:"markup"`
	}
	if err := db.SelectContext(ctx, &rows, `SELECT chat_id, text, markup::text AS markup FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != n {
		t.Fatalf("%d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		if r.ChatID != msgs[i].ChatID || r.Text != msgs[i].Text {
			t.Fatalf("row %d: chat %d %q; want chat %d %q (in the order given)", i, r.ChatID, r.Text, msgs[i].ChatID, msgs[i].Text)
		}
		if (r.Markup == nil) != (msgs[i].Markup == nil) {
			t.Fatalf("row %d: markup %v, want %s", i, r.Markup, msgs[i].Markup)
		}
		if r.Markup != nil {
			var got, want any
			if err := json.Unmarshal([]byte(*r.Markup), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(msgs[i].Markup, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("row %d: markup %s, want %s", i, *r.Markup, msgs[i].Markup)
			}
		}
	}
}
