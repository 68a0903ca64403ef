-- +goose Up
-- The update that asked for an export (chat and update id): Telegram delivers an update
-- again when the process handling it stopped before confirming it, and the export must
-- not be queued twice.
ALTER TABLE exports ADD COLUMN request_key TEXT UNIQUE;

-- +goose Down
ALTER TABLE exports DROP COLUMN request_key;
