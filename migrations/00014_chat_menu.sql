-- +goose Up
-- The command menu last set for a person's own chat (a version of the menus, the language
-- picked, and whether they sell), '' for none: it is set again when that changes, as
-- after a new release's commands, rather than at every session.
ALTER TABLE customers ADD COLUMN menu TEXT NOT NULL DEFAULT '';
-- Before, only sellers' chats were given a menu of their own: the chats of those who acted
-- as sellers (moved an order on, set a setting or the weekly rule) are set again at their
-- next session, in case they no longer sell; customers' chats had none, as recorded.
UPDATE customers SET menu = '?' WHERE id IN (
    SELECT actor FROM order_events WHERE to_status IN ('paid', 'ready_for_pickup', 'shipped', 'completed')
    UNION SELECT updated_by FROM shop_settings
    UNION SELECT updated_by FROM schedule_rule);

-- +goose Down
ALTER TABLE customers DROP COLUMN menu;
