-- +goose Up
-- A problem the sellers were told about (the channel refusing the bot's posts, say): they
-- are told once while it lasts, and once when it is over, whichever process sees it.
CREATE TABLE alerts (
    name      TEXT PRIMARY KEY,
    raised_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE alerts;
