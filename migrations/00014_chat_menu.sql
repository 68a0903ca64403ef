-- +goose Up
-- The command menu last set for a person's own chat (a version of the menus, the language
-- picked, and whether they sell), '' for none: it is set again when that changes, as
-- after a new release's commands, rather than at every session.
ALTER TABLE customers ADD COLUMN menu TEXT NOT NULL DEFAULT '';
-- Which menu the chats of people already known have is not known (a seller's, one in a
-- language they picked): it is set again at their next session.
UPDATE customers SET menu = '?';

-- +goose Down
ALTER TABLE customers DROP COLUMN menu;
