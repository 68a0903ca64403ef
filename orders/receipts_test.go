package orders_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopbot/shopbot/orders"
	"github.com/shopbot/shopbot/outbox"
)

// A receipt moves its order on and tells the sellers; the same picture again for that
// order is the same receipt (nothing stored or sent twice); the same picture for another
// order is stored and names the first order it was sent for; someone else's order is not
// found, and an order past payment takes no receipt.
func TestAddReceipt(t *testing.T) {
	t.Parallel()
	s, p := newPlaceShop(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	place := func(customer int64, key string) orders.Order {
		t.Helper()
		o, err := s.Place(ctx, orders.PlaceRequest{CustomerID: customer, Key: key, Currency: "VND", Delivery: orders.Pickup,
			Lines: []orders.Want{{ItemID: p.item, VariantID: p.small, Quantity: 1}}, Now: time.Now(), TTL: time.Hour, Total: 100000})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	first, second := place(1, "a"), place(1, "b")
	notices := 0
	add := func(o orders.Order, data []byte, uniqueID string) (orders.Order, orders.Receipt, error) {
		return s.AddReceipt(ctx, orders.NewReceipt{OrderID: o.ID, CustomerID: o.CustomerID, Data: data, MIME: "image/jpeg",
			FileID: "file-" + uniqueID, FileUniqueID: uniqueID,
			Notices: func(o orders.Order, r orders.Receipt) []outbox.Message {
				notices++
				return []outbox.Message{{ChatID: 900, Kind: "receipt", OrderID: &o.ID, Text: "receipt " + o.Code}}
			}})
	}
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := p.db.Get(&n, q, args...); err != nil {
			t.Fatal(err)
		}
		return n
	}

	o, r, err := add(first, []byte("transfer 1"), "u1")
	if err != nil || r.Repeated || r.DuplicateOf != 0 || o.Status != orders.ReceiptSubmitted || len(o.Lines) != 1 || o.Customer.ID != 1 {
		t.Fatalf("first receipt: %+v %+v %v", o, r, err)
	}
	// Again, as a new upload of the same bytes (another unique id), then as the same file.
	for _, uid := range []string{"u1-again", "u1"} {
		_, again, err := add(first, []byte("transfer 1"), uid)
		if err != nil || !again.Repeated || again.ID != r.ID {
			t.Fatalf("same picture again (%s): %+v %v; want receipt %d repeated", uid, again, err, r.ID)
		}
	}
	if n := count(`SELECT count(*) FROM receipts WHERE order_id = $1`, first.ID); n != 1 || notices != 1 {
		t.Fatalf("%d receipts stored, %d notices; want 1 and 1", n, notices)
	}
	if n := count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND to_status = 'receipt_submitted'
AND from_status = 'awaiting_payment' AND actor = 1`, first.ID); n != 1 {
		t.Fatalf("%d receipt_submitted events from awaiting_payment by the customer, want 1", n)
	}
	if n := count(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'receipt_submitted'`, first.ID); n != 1 {
		t.Fatal("the stored order is not receipt_submitted")
	}

	// The same bytes for the second order: stored, flagged with the first order.
	_, dup, err := add(second, []byte("transfer 1"), "u1-third")
	if err != nil || dup.Repeated || dup.DuplicateOf != first.ID || dup.DuplicateCode != first.Code {
		t.Fatalf("same picture for another order: %+v %v; want duplicate of %d (%s)", dup, err, first.ID, first.Code)
	}
	if n := count(`SELECT count(*) FROM receipts WHERE order_id = $1 AND duplicate_of = $2`, second.ID, first.ID); n != 1 {
		t.Fatalf("duplicate stored %d times, want 1", n)
	}
	// A second, different receipt for an order already submitted is kept too.
	if _, more, err := add(second, []byte("transfer 2"), "u2"); err != nil || more.Repeated || more.DuplicateOf != 0 {
		t.Fatalf("second receipt: %+v %v", more, err)
	}
	if n := count(`SELECT count(*) FROM order_events WHERE order_id = $1`, second.ID); n != 2 {
		t.Fatalf("%d events after two receipts, want 2: placed, receipt_submitted", n)
	}

	// Rejected, the order waits for a payment again: the same picture is a new submission
	// the sellers see.
	if _, err := s.Move(ctx, orders.Move{OrderID: first.ID, To: orders.AwaitingPayment, Actor: 7, Note: "blurry"}); err != nil {
		t.Fatal(err)
	}
	o, again, err := add(first, []byte("transfer 1"), "u1")
	if err != nil || again.Repeated || again.ID == r.ID || o.Status != orders.ReceiptSubmitted || notices != 4 {
		t.Fatalf("same picture after a rejection: %+v %v, order %s, %d notices; want a new receipt, receipt_submitted, 4 notices",
			again, err, o.Status, notices)
	}
	if n := count(`SELECT count(*) FROM orders WHERE id = $1 AND status = 'receipt_submitted'`, first.ID); n != 1 {
		t.Fatal("the stored order is not receipt_submitted after the receipt sent again")
	}
	if n := count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND to_status = 'receipt_submitted'`, first.ID); n != 2 {
		t.Fatalf("%d receipt_submitted events after a receipt sent again, want 2", n)
	}
	// That submission delivered twice is a repeat of it, not of the rejected one.
	if _, twice, err := add(first, []byte("transfer 1"), "u1"); err != nil || !twice.Repeated || twice.ID != again.ID {
		t.Fatalf("the new submission again: %+v %v; want receipt %d repeated", twice, err, again.ID)
	}

	// Someone else's order; an order already paid.
	other := place(2, "c")
	if _, _, err := s.AddReceipt(ctx, orders.NewReceipt{OrderID: other.ID, CustomerID: 1, Data: []byte("x"), MIME: "image/jpeg",
		FileID: "f", FileUniqueID: "x"}); !errors.Is(err, orders.ErrNotFound) {
		t.Fatalf("receipt for someone else's order: %v, want ErrNotFound", err)
	}
	if _, err := s.Move(ctx, orders.Move{OrderID: other.ID, To: orders.Paid, Actor: 7}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := add(other, []byte("late"), "late"); !errors.Is(err, orders.ErrTransition) {
		t.Fatalf("receipt for a paid order: %v, want ErrTransition", err)
	}
}
