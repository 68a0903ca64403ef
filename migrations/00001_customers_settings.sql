-- +goose Up
-- Customers are the Telegram users who talked to the bot; id is their Telegram user id.
CREATE TABLE customers (
    id                BIGINT PRIMARY KEY,
    first_name        TEXT NOT NULL DEFAULT '',
    last_name         TEXT NOT NULL DEFAULT '',
    username          TEXT NOT NULL DEFAULT '',
    telegram_language TEXT NOT NULL DEFAULT '',
    -- language chosen with /language; empty means follow Telegram's language_code
    language          TEXT NOT NULL DEFAULT '',
    phone             TEXT NOT NULL DEFAULT '',
    blocked           BOOLEAN NOT NULL DEFAULT false,
    first_seen        TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen         TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Shop-wide texts the sellers set by command (payment instructions, pickup address…).
CREATE TABLE shop_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_by BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE shop_settings;
DROP TABLE customers;
