-- +goose Up
-- A message to every customer, delivered through the outbox.
CREATE TABLE broadcasts (
    id          BIGSERIAL PRIMARY KEY,
    admin_id    BIGINT NOT NULL,
    progress_id BIGINT NOT NULL DEFAULT 0, -- the admin's progress message
    total       INT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    reported_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);

ALTER TABLE outbox
    ADD COLUMN broadcast_id  BIGINT REFERENCES broadcasts (id),
    -- a photo to send by Telegram file id, with text as its caption
    ADD COLUMN photo_file_id TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_broadcast ON outbox (broadcast_id) WHERE broadcast_id IS NOT NULL;
CREATE INDEX outbox_order ON outbox (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX outbox_chat_pending ON outbox (chat_id, id) WHERE status = 'pending';

-- Daily jobs run once a day across every process: the one whose claim moves last_day wins.
CREATE TABLE daily_jobs (
    name     TEXT PRIMARY KEY,
    last_day DATE NOT NULL
);

-- Messages that show a week's publication progress to a seller: whichever process posts
-- the week keeps them up to date.
CREATE TABLE week_watchers (
    week_id    BIGINT NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    chat_id    BIGINT NOT NULL,
    message_id BIGINT NOT NULL,
    lang       TEXT NOT NULL,
    PRIMARY KEY (week_id, chat_id, message_id)
);

-- +goose Down
DROP TABLE week_watchers;
DROP TABLE daily_jobs;
DROP INDEX outbox_chat_pending;
DROP INDEX outbox_order;
DROP INDEX outbox_broadcast;
ALTER TABLE outbox DROP COLUMN photo_file_id, DROP COLUMN broadcast_id;
DROP TABLE broadcasts;
