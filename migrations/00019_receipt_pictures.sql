-- +goose Up
-- A receipt sent as an album is several pictures: the ones after the first are kept as
-- more of it, so the order's card numbers receipts, not pictures. Those stored before are
-- found by the notices that told the sellers so.
ALTER TABLE receipts ADD COLUMN extra_picture BOOLEAN NOT NULL DEFAULT false;
UPDATE receipts r SET extra_picture = true
WHERE EXISTS (SELECT FROM outbox o WHERE o.receipt_id = r.id AND o.kind = 'receipt_more');

-- +goose Down
ALTER TABLE receipts DROP COLUMN extra_picture;
