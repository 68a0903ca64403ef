-- +goose Up
-- The post of an item deleted stays recorded, no longer the item's, until the publisher
-- has taken it out of the channel (or, where Telegram won't delete it, edited it to say
-- the item is gone): withdrawn holds those texts, written when the item was deleted.
ALTER TABLE channel_posts ADD COLUMN withdrawn JSONB;

-- +goose Down
DELETE FROM channel_posts WHERE withdrawn IS NOT NULL;
ALTER TABLE channel_posts DROP COLUMN withdrawn;
