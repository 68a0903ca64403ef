-- +goose Up
-- A claim walks the chats with messages other than broadcasts waiting, through
-- outbox_notice_chats, and takes broadcasts after them, oldest due first, through
-- outbox_broadcast_due, stopping as soon as it has enough: a broadcast to ten thousand
-- customers neither holds the shop's messages up for minutes nor makes every claim walk ten
-- thousand chats. outbox_broadcasts_out finds the broadcast messages out; outbox_pending had
-- no reader left.
CREATE INDEX outbox_notice_chats ON outbox (chat_id, id) WHERE status = 'pending' AND broadcast_id IS NULL;
CREATE INDEX outbox_broadcast_due ON outbox (next_attempt_at, id) WHERE status = 'pending' AND broadcast_id IS NOT NULL;
CREATE INDEX outbox_broadcasts_out ON outbox (claimed_until) WHERE status = 'pending' AND broadcast_id IS NOT NULL;
DROP INDEX outbox_pending;

-- +goose Down
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE status = 'pending';
DROP INDEX outbox_broadcasts_out;
DROP INDEX outbox_broadcast_due;
DROP INDEX outbox_notice_chats;
