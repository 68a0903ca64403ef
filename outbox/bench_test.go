package outbox_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shopbot/shopbot/internal/testenv"
	"github.com/shopbot/shopbot/migrations"
	"github.com/shopbot/shopbot/outbox"
)

// BenchmarkClaim claims a sender's batch while a broadcast to many customers waits beside
// a seller's chat five thousand new orders behind, and, last, with ten thousand customers
// each waiting for a notice as well: what each claim costs Postgres, several times a second
// while they are delivered.
func BenchmarkClaim(b *testing.B) {
	for _, c := range []struct{ customers, notices int }{{1000, 0}, {10000, 0}, {50000, 0}, {10000, 10000}} {
		customers := c.customers
		b.Run(fmt.Sprintf("broadcast=%d/notices=%d", customers, c.notices), func(b *testing.B) {
			_, db := testenv.Postgres(b)
			ctx := context.Background()
			if _, err := migrations.Up(ctx, db.DB); err != nil {
				b.Fatal(err)
			}
			var id int64
			if err := db.GetContext(ctx, &id, `INSERT INTO broadcasts (admin_id, total, key) VALUES (1, $1, 'sale') RETURNING id`, customers); err != nil {
				b.Fatal(err)
			}
			var msgs []outbox.Message
			for range 5000 {
				msgs = append(msgs, outbox.Message{ChatID: 1, Kind: "new_order", Text: "🆕 Order"})
			}
			for i := range customers {
				msgs = append(msgs, outbox.Message{ChatID: int64(1000 + i), Kind: "broadcast", Text: "Sale!", BroadcastID: &id})
			}
			for i := range c.notices {
				msgs = append(msgs, outbox.Message{ChatID: int64(1000 + i), Kind: "status_paid", Text: "✅ Paid"})
			}
			if err := outbox.Enqueue(ctx, db, msgs...); err != nil {
				b.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `ANALYZE outbox`); err != nil {
				b.Fatal(err)
			}
			s := outbox.NewStore(db)
			for b.Loop() {
				got, err := s.Claim(ctx, 50, 5, 15*time.Second)
				if err != nil || len(got) != 50 {
					b.Fatalf("claimed %d, %v; want 50", len(got), err)
				}
				b.StopTimer()
				ids := make([]int64, len(got))
				for i, m := range got {
					ids[i] = m.ID
				}
				// Let them go again: each claim finds the same.
				if _, err := db.ExecContext(ctx, `UPDATE outbox SET claimed_until = NULL WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
