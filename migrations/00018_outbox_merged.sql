-- +goose Up
-- A seller's chat that falls behind (orders coming faster than Telegram lets the bot write
-- to one chat) gets its waiting new-order notices as one message: the first of them is
-- rewritten into it (kind new_orders, its order kept), and the others are kept, merged,
-- pointing at it.
-- NOT VALID: every row there passes the old check, and the table, never pruned, is not
-- read through under a lock that would hold up every order meanwhile.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox
    ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed', 'merged')) NOT VALID,
    ADD COLUMN merged_into BIGINT;

-- +goose Down
-- Told with the others, not by themselves: no copy of them to edit.
UPDATE outbox SET status = 'failed', last_error = 'merged' WHERE status = 'merged';
ALTER TABLE outbox DROP COLUMN merged_into, DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN ('pending', 'sent', 'failed')) NOT VALID;
