package outbox_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/outbox"
)

func TestEnqueueWritesEveryMessageInBatches(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
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

// A claim takes the first few due messages of each chat, in order, and nothing of a chat
// whose earlier message waits for a retry or is out with another sender.
func TestClaimKeepsEachChatInOrder(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	var msgs []outbox.Message
	for i := range 12 {
		msgs = append(msgs, outbox.Message{ChatID: 1, Kind: "notice", Text: "busy " + strconv.Itoa(i)})
	}
	for _, chat := range []int64{2, 3, 4} {
		for i := range 2 {
			msgs = append(msgs, outbox.Message{ChatID: chat, Kind: "notice", Text: "msg " + strconv.Itoa(i)})
		}
	}
	if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	s := outbox.NewStore(db)
	// Chat 2's first message is out with another sender; chat 3's waits for a retry.
	var first2, first3 int64
	db.GetContext(ctx, &first2, `SELECT min(id) FROM outbox WHERE chat_id = 2`)
	db.GetContext(ctx, &first3, `SELECT min(id) FROM outbox WHERE chat_id = 3`)
	if _, err := db.ExecContext(ctx, `UPDATE outbox SET claimed_until = now() + interval '1 minute' WHERE id = $1`, first2); err != nil {
		t.Fatal(err)
	}
	if err := s.Retry(ctx, first3, time.Minute, "flood"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range got {
		texts = append(texts, strconv.FormatInt(m.ChatID, 10)+":"+m.Text)
	}
	want := []string{"1:busy 0", "1:busy 1", "1:busy 2", "1:busy 3", "1:busy 4", "4:msg 0", "4:msg 1"}
	if !slices.Equal(texts, want) {
		t.Fatalf("claimed %v, want %v", texts, want)
	}
	// Claimed, they are not claimed again; the next five of chat 1 wait for them.
	if again, err := s.Claim(ctx, 100, 5, 15*time.Second); err != nil || len(again) != 0 {
		t.Fatalf("second claim: %d messages, %v; want none", len(again), err)
	}
	for _, m := range got[:5] {
		if err := s.Sent(ctx, m.ID, 1); err != nil {
			t.Fatal(err)
		}
	}
	next, err := s.Claim(ctx, 3, 5, 15*time.Second)
	if err != nil || len(next) != 3 || next[0].Text != "busy 5" || next[2].Text != "busy 7" {
		t.Fatalf("after five were sent, a claim of 3: %+v, %v; want busy 5…7", next, err)
	}
}

// Merge takes the claimed message and those of its kind behind it in its chat that this
// sender holds or nobody does and are due, up to the first that is out with another sender
// or waits for a retry, as many as build takes, and only when there are least; the message
// made of them keeps the first's row, and the others are kept as merged into it.
func TestMergeTakesWhatWaitsBehindTheFirst(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	var msgs []outbox.Message
	for i := range 9 {
		kind := "new_order"
		if i == 3 {
			kind = "receipt"
		}
		msgs = append(msgs, outbox.Message{ChatID: 1, Kind: kind, Text: "n" + strconv.Itoa(i)})
	}
	msgs = append(msgs, outbox.Message{ChatID: 2, Kind: "new_order", Text: "other chat"})
	if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	db.SelectContext(ctx, &ids, `SELECT id FROM outbox WHERE chat_id = 1 ORDER BY id`)
	s := outbox.NewStore(db)
	claimed, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(claimed) != 6 || claimed[0].ID != ids[0] {
		t.Fatalf("claim: %+v, %v; want n0…n4 and the other chat's", claimed, err)
	}
	// n6 is out with another sender; n7 waits for a retry.
	db.ExecContext(ctx, `UPDATE outbox SET claimed_until = now() + interval '1 minute' WHERE id = $1`, ids[6])
	if err := s.Retry(ctx, ids[7], time.Minute, "flood"); err != nil {
		t.Fatal(err)
	}
	var mine []int64
	for _, m := range claimed[1:5] {
		mine = append(mine, m.ID)
	}
	// Too few before n6: nothing changes. Nor when build takes too few of them.
	same, merged, err := s.Merge(ctx, claimed[0], mine, 6, 20, joined(20))
	if err != nil || len(merged) != 0 || same.ID != ids[0] || same.Text != "n0" {
		t.Fatalf("six wanted: %+v %v %v; want the first as it was", same, merged, err)
	}
	same, merged, err = s.Merge(ctx, claimed[0], mine, 3, 20, joined(2))
	if err != nil || len(merged) != 0 || same.Text != "n0" {
		t.Fatalf("build taking two of three wanted: %+v %v %v; want the first as it was", same, merged, err)
	}
	// Another sender takes n5 while the message is built: the first goes alone.
	taken := func(got []outbox.Message) (outbox.Message, int, error) {
		db.ExecContext(ctx, `UPDATE outbox SET claimed_until = now() + interval '1 minute' WHERE id = $1`, ids[5])
		return joined(20)(got)
	}
	same, merged, err = s.Merge(ctx, claimed[0], mine, 3, 20, taken)
	if err != nil || len(merged) != 0 || same.Text != "n0" {
		t.Fatalf("n5 taken meanwhile: %+v %v %v; want the first as it was", same, merged, err)
	}
	var left int
	db.GetContext(ctx, &left, `SELECT count(*) FROM outbox WHERE status = 'merged'`)
	if left != 0 {
		t.Fatalf("%d merged when the merge gave way", left)
	}
	db.ExecContext(ctx, `UPDATE outbox SET claimed_until = NULL WHERE id = $1`, ids[5])
	one, merged, err := s.Merge(ctx, claimed[0], mine, 3, 20, joined(20))
	if err != nil {
		t.Fatal(err)
	}
	if one.ID != ids[0] || one.Kind != "new_orders" || one.Text != "n0,n1,n2,n4,n5" {
		t.Errorf("merged into %+v; want n0,n1,n2,n4,n5 in n0's row", one)
	}
	if want := []int64{ids[1], ids[2], ids[4], ids[5]}; !slices.Equal(merged, want) {
		t.Errorf("merged %v, want %v", merged, want)
	}
	var rows []struct {
		Text   string `db:"text"`
		Kind   string `db:"kind"`
		Status string `db:"status"`
		Into   *int64 `db:"merged_into"`
	}
	db.SelectContext(ctx, &rows, `SELECT text, kind, status, merged_into FROM outbox WHERE chat_id = 1 ORDER BY id`)
	var got []string
	for _, r := range rows {
		into := ""
		if r.Into != nil && *r.Into == ids[0] {
			into = ">first"
		}
		got = append(got, r.Text+":"+r.Status+into)
	}
	want := []string{"n0,n1,n2,n4,n5:pending", "n1:merged>first", "n2:merged>first", "n3:pending", "n4:merged>first",
		"n5:merged>first", "n6:pending", "n7:pending", "n8:pending"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %v\nwant %v", got, want)
	}
	// The rest of the claim, n3, still goes; a claim takes nothing merged.
	if err := s.Sent(ctx, one.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := s.Sent(ctx, ids[3], 2); err != nil {
		t.Fatal(err)
	}
	next, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(next) != 0 {
		t.Errorf("claim after: %+v, %v; want nothing while n6 is out", next, err)
	}
}

// joined builds a merged message of the texts of the first most messages.
func joined(most int) func([]outbox.Message) (outbox.Message, int, error) {
	return func(got []outbox.Message) (outbox.Message, int, error) {
		got = got[:min(most, len(got))]
		var texts []string
		for _, m := range got {
			texts = append(texts, m.Text)
		}
		return outbox.Message{Kind: "new_orders", Text: strings.Join(texts, ",")}, len(got), nil
	}
}

// A process stops while it waits to send a chat's first message: it puts that back due at
// once and the rest a second later. Another claims the first alone, and merges nothing
// past the others, which would come after it, out of order.
func TestMergeLeavesTheOrderOfAChatAlone(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	var msgs []outbox.Message
	for i := range 10 {
		msgs = append(msgs, outbox.Message{ChatID: 1, Kind: "new_order", Text: "n" + strconv.Itoa(i)})
	}
	if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	s := outbox.NewStore(db)
	claimed, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("claim: %v %v", claimed, err)
	}
	if err := s.Retry(ctx, claimed[0].ID, 0, "stopped"); err != nil {
		t.Fatal(err)
	}
	var rest []int64
	for _, m := range claimed[1:] {
		rest = append(rest, m.ID)
	}
	if err := s.PutBack(ctx, rest, time.Second, "waiting for an earlier message"); err != nil {
		t.Fatal(err)
	}
	again, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(again) != 1 || again[0].ID != claimed[0].ID {
		t.Fatalf("claim again: %+v %v; want n0 alone", again, err)
	}
	one, merged, err := s.Merge(ctx, again[0], nil, 2, 20, joined(20))
	if err != nil || len(merged) != 0 || one.Text != "n0" {
		t.Errorf("merged %v into %q, %v; want n0 alone, before n1…n4", merged, one.Text, err)
	}
	// Put back untried, it goes again with the attempts it had.
	if err := s.PutBack(ctx, []int64{one.ID}, 0, "merging"); err != nil {
		t.Fatal(err)
	}
	next, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(next) != 1 || next[0].ID != one.ID || next[0].Attempts != again[0].Attempts {
		t.Errorf("after a put-back: %+v, %v; want n0 claimed with %d attempts", next, err, again[0].Attempts)
	}
}

// A broadcast queued again with the same key (a Send handled twice) is the first one:
// every customer gets it once.
func TestBroadcastWithTheSameKeyIsQueuedOnce(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	for _, id := range []int64{11, 12, 13} {
		if _, err := db.Exec(`INSERT INTO customers (id, first_name) VALUES ($1, 'C')`, id); err != nil {
			t.Fatal(err)
		}
	}
	s := outbox.NewStore(db)
	first, total, err := s.Broadcast(ctx, 99, []int64{99}, "99:abc", "Sale", "")
	if err != nil || total != 3 {
		t.Fatalf("first: %d to %d, %v", first, total, err)
	}
	again, total, err := s.Broadcast(ctx, 99, []int64{99}, "99:abc", "Sale", "")
	if err != nil || again != first || total != 3 {
		t.Fatalf("again: broadcast %d to %d (first %d), %v", again, total, first, err)
	}
	other, _, err := s.Broadcast(ctx, 99, []int64{99}, "99:def", "Another", "")
	if err != nil || other == first {
		t.Fatalf("another key: broadcast %d (first %d), %v", other, first, err)
	}
	var queued int
	if err := db.Get(&queued, `SELECT count(*) FROM outbox WHERE broadcast_id = $1`, first); err != nil || queued != 3 {
		t.Errorf("%d messages queued for the first broadcast, want 3 (%v)", queued, err)
	}
}

// A problem is told once while it lasts, and its end once, however many callers see it.
func TestAlertsAreToldOnceEachWay(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	s := outbox.NewStore(db)
	msg := func(text string) func() []outbox.Message {
		return func() []outbox.Message { return []outbox.Message{{ChatID: 7, Kind: "alert", Text: text}} }
	}
	// Ending a problem never raised tells nothing.
	if ok, err := s.Clear(ctx, "channel", msg("over")); ok || err != nil {
		t.Fatalf("clear before raising: %v, %v", ok, err)
	}
	for _, step := range []struct {
		clear bool
		text  string
	}{{false, "refused"}, {true, "works"}, {false, "refused again"}} {
		do := s.Raise
		if step.clear {
			do = s.Clear
		}
		told := testenv.Trues(testenv.Race(8, func(int) bool {
			ok, err := do(ctx, "channel", msg(step.text))
			if err != nil {
				t.Error(err)
			}
			return ok
		}))
		if told != 1 {
			t.Errorf("%q told by %d of 8 callers", step.text, told)
		}
	}
	// Another problem is its own.
	if ok, err := s.Raise(ctx, "other", msg("other")); !ok || err != nil {
		t.Errorf("another alert: %v, %v", ok, err)
	}
	var texts []string
	if err := db.Select(&texts, `SELECT text FROM outbox ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if want := []string{"refused", "works", "refused again", "other"}; !slices.Equal(texts, want) {
		t.Errorf("outbox holds %q, want %q", texts, want)
	}
}

// A message that can't be delivered tells its bounce's reader, once, whether its chat
// blocked the bot or Telegram refused it; messages without a bounce tell no one.
func TestUndeliveredMessagesBounce(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	const seller, other = 9001, 9002
	answer := &outbox.Bounce{ChatID: seller, Text: "answer not delivered"}
	news := &outbox.Bounce{ChatID: other, Text: "news not delivered"}
	parts := &outbox.Bounce{ChatID: seller, Text: "answer in parts not delivered"}
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Enqueue(ctx, tx,
		// An answer in two parts, news of an order and a plain notice, to a customer who blocked the bot.
		outbox.Message{ChatID: 501, Kind: "answer", Text: "head", Bounce: answer},
		outbox.Message{ChatID: 501, Kind: "answer", Text: "words", Bounce: answer},
		outbox.Message{ChatID: 501, Kind: "status_paid", Text: "paid", Bounce: news},
		outbox.Message{ChatID: 501, Kind: "reminder", Text: "pay"},
		// One Telegram refuses, one in two parts whose first it refuses, and one without a
		// bounce it refuses.
		outbox.Message{ChatID: 502, Kind: "answer", Text: "hello", Bounce: answer}, // another customer of the same name
		outbox.Message{ChatID: 503, Kind: "reminder", Text: "pay"},
		outbox.Message{ChatID: 504, Kind: "answer", Text: "head", Bounce: parts},
		outbox.Message{ChatID: 504, Kind: "answer", Text: "words", Bounce: parts},
	); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s := outbox.NewStore(db)
	msgs, err := s.Claim(ctx, 10, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 {
		t.Fatalf("claimed %d messages, want the first of each of the 4 chats", len(msgs))
	}
	if err := s.BlockChat(ctx, 501); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[1:] {
		for range 2 { // settled twice (a retry of the record): told once
			if err := s.Failed(ctx, m.ID, "Bad Request: chat not found"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The second part of the answer in two is given up with the first.
	rest, err := s.Claim(ctx, 10, 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if slices.ContainsFunc(rest, func(m outbox.Message) bool { return m.ChatID == 504 }) {
		t.Errorf("the second part of an answer given up is still to send")
	}
	type bounce struct {
		ChatID int64  `db:"chat_id"`
		Text   string `db:"text"`
	}
	var bounces []bounce
	if err := db.Select(&bounces, `SELECT chat_id, text FROM outbox WHERE kind = $1 ORDER BY chat_id, text`, outbox.KindBounce); err != nil {
		t.Fatal(err)
	}
	want := []bounce{
		{seller, "answer in parts not delivered"}, // once for its two parts
		{seller, "answer not delivered"},          // the blocked chat's answer, once for its two parts
		{seller, "answer not delivered"},          // the other customer's, refused
		{other, "news not delivered"},
	}
	if !reflect.DeepEqual(bounces, want) {
		t.Errorf("bounces %+v, want %+v", bounces, want)
	}
	var pending int
	if err := db.Get(&pending, `SELECT count(*) FROM outbox WHERE status = 'pending' AND kind <> $1`, outbox.KindBounce); err != nil || pending != 0 {
		t.Errorf("%d messages still pending, want none (%v)", pending, err)
	}
}

// A claim leaves out the chats the caller is still delivering.
func TestClaimLeavesOutBusyChats(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := outbox.Enqueue(ctx, tx,
		outbox.Message{ChatID: 1, Kind: "notice", Text: "a"},
		outbox.Message{ChatID: 2, Kind: "notice", Text: "b"},
		outbox.Message{ChatID: 3, Kind: "notice", Text: "c"},
	); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	msgs, err := outbox.NewStore(db).Claim(ctx, 10, 5, time.Minute, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].ChatID != 2 {
		t.Errorf("claimed %+v, want chat 2's message alone", msgs)
	}
}

// Broadcasts go after the shop's own messages, one a chat at a time: a chat's later notice
// before its earlier broadcast, its second broadcast after its first, and nothing more to a
// chat while its broadcast is out.
func TestClaimTakesBroadcastsLast(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	s := outbox.NewStore(db)
	broadcast := func(key string, chats ...int64) {
		t.Helper()
		var id int64
		if err := db.GetContext(ctx, &id, `INSERT INTO broadcasts (admin_id, total, key) VALUES (1, $1, $2) RETURNING id`, len(chats), key); err != nil {
			t.Fatal(err)
		}
		var msgs []outbox.Message
		for _, c := range chats {
			msgs = append(msgs, outbox.Message{ChatID: c, Kind: "broadcast", Text: key, BroadcastID: &id})
		}
		if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	notice := func(chat int64, text string) {
		t.Helper()
		if err := outbox.Enqueue(ctx, db, outbox.Message{ChatID: chat, Kind: "notice", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	broadcast("sale", 10, 11, 12, 13)
	broadcast("news", 10, 11)
	notice(11, "order 11")
	notice(20, "order 20")
	claimed := func(limit int, busy ...int64) []string {
		t.Helper()
		got, err := s.Claim(ctx, limit, 5, time.Minute, busy...)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string // in the order they were queued
		for _, m := range got {
			texts = append(texts, strconv.FormatInt(m.ChatID, 10)+":"+m.Text)
		}
		return texts
	}
	// The notices first, though queued last; then the broadcasts in the order they were
	// queued, each chat's first alone, none to chat 11 while its notice waits.
	if got, want := claimed(3, 13), []string{"10:sale", "11:order 11", "20:order 20"}; !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	// Chat 10's broadcast is out: its next one waits, and so does a notice to it.
	notice(10, "order 10")
	if got, want := claimed(10), []string{"12:sale", "13:sale"}; !slices.Equal(got, want) {
		t.Fatalf("claimed %v, want %v", got, want)
	}
	var ids []int64
	db.SelectContext(ctx, &ids, `SELECT id FROM outbox WHERE status = 'pending' AND claimed_until IS NOT NULL ORDER BY id`)
	for _, id := range ids {
		if err := s.Sent(ctx, id, 1); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := claimed(10), []string{"11:sale", "10:order 10"}; !slices.Equal(got, want) {
		t.Fatalf("after the first were sent, claimed %v, want %v", got, want)
	}
}

// A broadcast is not held up by a later notice to its chat waiting for a retry; a later
// broadcast to the chat waits for it, and is not due before it.
func TestClaimPassesOverNoticesWaitingForARetry(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	s := outbox.NewStore(db)
	var sale, news int64
	db.GetContext(ctx, &sale, `INSERT INTO broadcasts (admin_id, total, key) VALUES (1, 1, 'sale') RETURNING id`)
	db.GetContext(ctx, &news, `INSERT INTO broadcasts (admin_id, total, key) VALUES (1, 1, 'news') RETURNING id`)
	if err := outbox.Enqueue(ctx, db,
		outbox.Message{ChatID: 20, Kind: "broadcast", Text: "sale", BroadcastID: &sale},
		outbox.Message{ChatID: 20, Kind: "notice", Text: "order"},
		outbox.Message{ChatID: 20, Kind: "broadcast", Text: "news", BroadcastID: &news},
	); err != nil {
		t.Fatal(err)
	}
	texts := func(msgs []outbox.Message) []string {
		var ts []string
		for _, m := range msgs {
			ts = append(ts, m.Text)
		}
		return ts
	}
	got, err := s.Claim(ctx, 10, 5, time.Minute)
	if err != nil || !slices.Equal(texts(got), []string{"order"}) {
		t.Fatalf("claimed %v, %v; want the notice", texts(got), err)
	}
	if err := s.Retry(ctx, got[0].ID, 5*time.Minute, "500"); err != nil {
		t.Fatal(err)
	}
	got, err = s.Claim(ctx, 10, 5, time.Minute)
	if err != nil || !slices.Equal(texts(got), []string{"sale"}) {
		t.Fatalf("with the notice waiting for a retry, claimed %v, %v; want the first broadcast", texts(got), err)
	}
	if err := s.Retry(ctx, got[0].ID, 2*time.Minute, "500"); err != nil {
		t.Fatal(err)
	}
	var due []time.Time
	db.SelectContext(ctx, &due, `SELECT next_attempt_at FROM outbox WHERE broadcast_id IS NOT NULL ORDER BY id`)
	if len(due) != 2 || due[1].Before(due[0]) {
		t.Fatalf("the broadcasts are due at %v: the second before the first it waits for", due)
	}
	if got, err := s.Claim(ctx, 10, 5, time.Minute); err != nil || len(got) != 0 {
		t.Fatalf("claimed %v, %v; want nothing while both wait", texts(got), err)
	}
}

// Two processes claim at once: one's claim runs while a message to a chat whose message it
// takes is queued, and the other's claim comes before it is done. The second must not take
// the new message too: the chat would have two senders, its messages out of order.
func TestClaimsOfTwoProcessesGiveAChatOneSender(t *testing.T) {
	t.Parallel()
	for _, first := range []string{"broadcast", "notice"} {
		t.Run(first, func(t *testing.T) {
			t.Parallel()
			db := migrated(t)
			ctx := context.Background()
			s := outbox.NewStore(db)
			m := outbox.Message{ChatID: 10, Kind: "notice", Text: "first"}
			if first == "broadcast" {
				var id int64
				db.GetContext(ctx, &id, `INSERT INTO broadcasts (admin_id, total, key) VALUES (1, 1, 'sale') RETURNING id`)
				m = outbox.Message{ChatID: 10, Kind: "broadcast", Text: "first", BroadcastID: &id}
			}
			if err := outbox.Enqueue(ctx, db, m); err != nil {
				t.Fatal(err)
			}
			// The first process's claim is slow: a lock on the row it takes holds it.
			hold, err := db.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer hold.Rollback()
			var holder int
			if err := hold.GetContext(ctx, &holder, `SELECT pg_backend_pid() FROM outbox WHERE chat_id = 10 FOR UPDATE`); err != nil {
				t.Fatal(err)
			}
			type claim struct {
				msgs []outbox.Message
				err  error
			}
			claimed := func() chan claim {
				c := make(chan claim, 1)
				go func() {
					msgs, err := s.Claim(ctx, 50, 5, 15*time.Second)
					c <- claim{msgs, err}
				}()
				return c
			}
			a := claimed()
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				var waiting int
				db.GetContext(ctx, &waiting, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, holder)
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first claim never waited for the row")
				}
			}
			if err := outbox.Enqueue(ctx, db, outbox.Message{ChatID: 10, Kind: "notice", Text: "second"}); err != nil {
				t.Fatal(err)
			}
			b := claimed()
			time.Sleep(200 * time.Millisecond)
			hold.Rollback()
			ra, rb := <-a, <-b
			if ra.err != nil || rb.err != nil {
				t.Fatal(ra.err, rb.err)
			}
			texts := func(msgs []outbox.Message) (ts []string) {
				for _, m := range msgs {
					ts = append(ts, m.Text)
				}
				return ts
			}
			if !slices.Equal(texts(ra.msgs), []string{"first"}) || len(rb.msgs) != 0 {
				t.Errorf("the first process claimed %q, the second %q; want the first message to the first and nothing to the second", texts(ra.msgs), texts(rb.msgs))
			}
		})
	}
}

// migrated is a test database of its own with the bot's tables.
func migrated(t *testing.T) *sqlx.DB {
	t.Helper()
	_, db := testenv.Postgres(t)
	if _, err := migrations.Up(context.Background(), db.DB); err != nil {
		t.Fatal(err)
	}
	return db
}

// Going back to the schema before merged notices (the migration's Down) leaves them out of
// the copies an order's change edits: they were never sent by themselves.
func TestMergedNoticesAreNoCopiesAfterADowngrade(t *testing.T) {
	t.Parallel()
	db := migrated(t)
	ctx := context.Background()
	tx := db.MustBegin()
	tx.MustExec(`SET LOCAL session_replication_role = replica`) // orders without their customers and weeks
	for i := 1; i <= 5; i++ {
		tx.MustExec(`INSERT INTO orders (id, code, customer_id, week_id, status, currency, total, delivery, idempotency_key, expires_at)
VALUES ($1, $2, 1, 1, 'awaiting_payment', 'VND', 1000, 'pickup', $2, now() + interval '1 day')`, i, "C"+strconv.Itoa(i))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	var msgs []outbox.Message
	for i := range int64(5) {
		id := i + 1
		msgs = append(msgs, outbox.Message{ChatID: 1, Kind: "new_order", OrderID: &id, Text: "n"})
	}
	two := int64(2) // another seller's copy of order 2, sent by itself
	msgs = append(msgs, outbox.Message{ChatID: 2, Kind: "new_order", OrderID: &two, Text: "n"})
	if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
		t.Fatal(err)
	}
	s := outbox.NewStore(db)
	claimed, err := s.Claim(ctx, 100, 5, 15*time.Second)
	if err != nil || len(claimed) != 6 {
		t.Fatalf("claim: %+v %v", claimed, err)
	}
	var mine []int64
	for _, m := range claimed[1:5] {
		mine = append(mine, m.ID)
	}
	one, merged, err := s.Merge(ctx, claimed[0], mine, 5, 20, joined(20))
	if err != nil || len(merged) != 4 {
		t.Fatalf("merge: %v %v", merged, err)
	}
	if err := s.Sent(ctx, one.ID, 77); err != nil {
		t.Fatal(err)
	}
	if err := s.Sent(ctx, claimed[5].ID, 78); err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, os.DirFS("../migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 17); err != nil {
		t.Fatal(err)
	}
	if cs, err := s.Copies(ctx, 2, "new_order", "receipt"); err != nil || len(cs) != 1 || cs[0].MessageID != 78 {
		t.Errorf("after going back, copies of order 2: %+v, %v; want the other seller's only", cs, err)
	}
}

// Receipts stored before the order card numbered receipts, not pictures: those the sellers
// were told of as another picture of a receipt are kept as such when the schema moves on.
func TestEarlierAlbumPicturesAreKeptAsMoreOfTheirReceipt(t *testing.T) {
	t.Parallel()
	_, db := testenv.Postgres(t)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectPostgres, db.DB, os.DirFS("../migrations"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 18); err != nil {
		t.Fatal(err)
	}
	tx := db.MustBegin()
	tx.MustExec(`SET LOCAL session_replication_role = replica`) // an order without its customer and week
	tx.MustExec(`INSERT INTO orders (id, code, customer_id, week_id, status, currency, total, delivery, idempotency_key, expires_at)
VALUES (1, 'C1', 1, 1, 'receipt_submitted', 'VND', 1000, 'pickup', 'C1', now() + interval '1 day')`)
	for id := 1; id <= 3; id++ {
		tx.MustExec(`INSERT INTO receipts (id, order_id, data, mime, file_id, file_unique_id, sha256) VALUES ($1, 1, '\x00', 'image/jpeg', 'f', 'u', '\x00')`, id)
	}
	tx.MustExec(`INSERT INTO outbox (chat_id, kind, order_id, text, receipt_id) VALUES
    (7, 'receipt', 1, 'r', 1), (8, 'receipt', 1, 'r', 1), (7, 'receipt_more', 1, 'm', 2), (8, 'receipt_more', 1, 'm', 2), (7, 'receipt_more', 1, 'm', 3)`)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.Up(ctx, db.DB); err != nil {
		t.Fatal(err)
	}
	var extra []bool
	if err := db.SelectContext(ctx, &extra, `SELECT extra_picture FROM receipts ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(extra, []bool{false, true, true}) {
		t.Errorf("receipts kept as more of the one before: %v, want the second and third", extra)
	}
}
