-- +goose Up
-- Every closed week's purchase list goes to the sellers once, whichever way it closed (at
-- its cut-off, by hand, or by the next week's publication): purchases_listed_at is when
-- the list was written to the outbox. Weeks closed before this had theirs, or never will.
ALTER TABLE weeks ADD COLUMN purchases_listed_at timestamptz;
UPDATE weeks SET purchases_listed_at = COALESCE(closed_at, now()) WHERE status = 'closed';
CREATE INDEX weeks_purchases_unlisted ON weeks (id) WHERE status = 'closed' AND purchases_listed_at IS NULL;

-- +goose Down
DROP INDEX weeks_purchases_unlisted;
ALTER TABLE weeks DROP COLUMN purchases_listed_at;
