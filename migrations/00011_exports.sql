-- +goose Up
-- Exports asked for (/export, /backup) and the daily backups, until every chat got them:
-- a process claims one for a short lease it renews while it sends, so one that stops or
-- dies mid-way leaves it to the next process, which sends it again.
CREATE TABLE exports (
    id              BIGSERIAL PRIMARY KEY,
    chat_ids        BIGINT[] NOT NULL,          -- the chats still to get it
    range_from      TIMESTAMPTZ,
    range_to        TIMESTAMPTZ,
    archive         BOOLEAN NOT NULL,           -- the /backup zip rather than the /export files
    daily           BOOLEAN NOT NULL DEFAULT false,
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_by      TEXT,
    claimed_until   TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at         TIMESTAMPTZ
);
CREATE INDEX exports_pending ON exports (next_attempt_at) WHERE done_at IS NULL;

-- +goose Down
DROP TABLE exports;
