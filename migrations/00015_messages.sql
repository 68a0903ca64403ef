-- +goose Up
-- What customers wrote to the shop through the bot, and what its sellers answered: each
-- customer's conversation with the shop, kept with the orders it may be about.
CREATE TABLE messages (
    id              BIGSERIAL PRIMARY KEY,
    customer_id     BIGINT NOT NULL REFERENCES customers (id),
    -- the seller who answered; NULL for the customer's own words
    seller_id       BIGINT,
    order_id        BIGINT REFERENCES orders (id) ON DELETE SET NULL,
    text            TEXT NOT NULL,
    photo_file_id   TEXT NOT NULL DEFAULT '',
    -- the album the photo came in: an album counts as one message
    album_id        TEXT NOT NULL DEFAULT '',
    -- the message in its writer's chat: a message delivered twice is kept once
    chat_message_id BIGINT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_once ON messages (COALESCE(seller_id, customer_id), chat_message_id);
CREATE INDEX messages_customer ON messages (customer_id, created_at);

-- +goose Down
DROP TABLE messages;
