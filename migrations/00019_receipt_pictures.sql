-- +goose Up
-- A receipt sent as an album is several pictures: the ones after the first are kept as
-- more of it, so the order's card numbers receipts, not pictures.
ALTER TABLE receipts ADD COLUMN extra_picture BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE receipts DROP COLUMN extra_picture;
