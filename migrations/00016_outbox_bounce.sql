-- +goose Up
-- Who is told when a message can't be delivered (the customer blocked the bot, say), and
-- what they are told, written with the message in its reader's language: a seller learns
-- that their answer, or the news of the order they moved, never reached the customer.
ALTER TABLE outbox
    ADD COLUMN bounce_chat_id BIGINT,
    ADD COLUMN bounce_text    TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE outbox DROP COLUMN bounce_text, DROP COLUMN bounce_chat_id;
