-- +goose Up
-- The key of the preview a seller pressed Send on: a Send handled again (the process died
-- before the seller's conversation was saved, and Telegram delivered the press again)
-- finds its broadcast instead of sending it to every customer a second time.
ALTER TABLE broadcasts ADD COLUMN key TEXT UNIQUE;

-- +goose Down
ALTER TABLE broadcasts DROP COLUMN key;
