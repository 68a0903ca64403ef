-- +goose Up
-- A week published before the time it was scheduled for is published from then: one
-- published early before this kept its planned time, which its closing, by hand or by the
-- next week's publication, could not come before.
UPDATE weeks SET publish_at = published_at WHERE published_at < publish_at;

-- +goose Down
SELECT 1;
