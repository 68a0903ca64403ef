-- +goose Up
-- Weeks whose posts show stock that changed: an order or a cancellation adds a row, in its
-- own transaction, instead of updating the week's row, which every order of the week would
-- otherwise wait on. The channel sync takes the rows of a week away and marks it (weeks.
-- needs_sync, sync_generation) before it renders, so a change committed later stays here
-- for the next sync.
CREATE TABLE stock_changes (
    id      BIGSERIAL PRIMARY KEY,
    week_id BIGINT NOT NULL -- no foreign key: its check would lock the week's row too
);
CREATE INDEX stock_changes_week ON stock_changes (week_id);

-- +goose Down
DROP TABLE stock_changes;
