-- +goose Up
-- The key of the /newitem draft an item was saved from: a Save handled again (the process
-- died after storing the item, before the seller's conversation was saved, and Telegram
-- delivered the press again) finds the item instead of adding, and posting, it twice.
ALTER TABLE items ADD COLUMN draft_key TEXT UNIQUE;

-- +goose Down
ALTER TABLE items DROP COLUMN draft_key;
