-- +goose Up
-- A weekly catalog: sellers fill a draft, it is published to the channel, bookings close at the cut-off.
CREATE TABLE weeks (
    id           BIGSERIAL PRIMARY KEY,
    title        TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'scheduled', 'publishing', 'published', 'closed')),
    publish_at   TIMESTAMPTZ,
    closes_at    TIMESTAMPTZ,
    published_at TIMESTAMPTZ,
    closed_at    TIMESTAMPTZ,
    -- Whoever holds an unexpired lease posts and edits this week's channel posts.
    lease_owner  TEXT NOT NULL DEFAULT '',
    lease_until  TIMESTAMPTZ,
    -- Something shown in the week's channel posts may have changed (stock, an edit, the
    -- cut-off): the posts are to be checked and edited where they differ.
    needs_sync      BOOLEAN NOT NULL DEFAULT false,
    -- Bumped with every change, so a sync that raced a change does not clear needs_sync.
    sync_generation BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'scheduled' OR (publish_at IS NOT NULL AND closes_at IS NOT NULL)),
    CHECK (closes_at IS NULL OR publish_at IS NULL OR closes_at > publish_at)
);
-- At most one week being prepared at a time: the one new items go to.
CREATE UNIQUE INDEX weeks_one_upcoming ON weeks ((true)) WHERE status IN ('draft', 'scheduled');

CREATE TABLE items (
    id          BIGSERIAL PRIMARY KEY,
    week_id     BIGINT NOT NULL REFERENCES weeks (id),
    title       TEXT NOT NULL CHECK (title <> ''),
    description TEXT NOT NULL DEFAULT '',
    price       BIGINT NOT NULL CHECK (price > 0),
    currency    TEXT NOT NULL,
    hidden      BOOLEAN NOT NULL DEFAULT false,
    position    INT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX items_week ON items (week_id, position);

-- Photos are kept by the shop (bytes), so the catalog outlives a bot token or a channel;
-- the Telegram file id is only a fast way to send them again.
CREATE TABLE item_photos (
    id             BIGSERIAL PRIMARY KEY,
    item_id        BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    position       INT NOT NULL,
    data           BYTEA NOT NULL,
    mime           TEXT NOT NULL,
    file_id        TEXT NOT NULL DEFAULT '',
    file_unique_id TEXT NOT NULL DEFAULT '',
    UNIQUE (item_id, position)
);

-- A size or colour with its own stock; stock NULL means unlimited (pre-orders).
-- An item without sizes has one variant with an empty name.
CREATE TABLE variants (
    id       BIGSERIAL PRIMARY KEY,
    item_id  BIGINT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    name     TEXT NOT NULL,
    position INT NOT NULL,
    stock    INT CHECK (stock IS NULL OR stock >= 0),
    UNIQUE (item_id, name)
);

-- What was posted to the channel: the week's header (item_id NULL) and one post per item.
-- message_ids are the photo or album messages; button_message_id carries the Order button
-- (the photo itself, or the short message after an album). content is what the post says
-- now; the post is edited when what it should say differs.
CREATE TABLE channel_posts (
    id                BIGSERIAL PRIMARY KEY,
    week_id           BIGINT NOT NULL REFERENCES weeks (id),
    item_id           BIGINT REFERENCES items (id) ON DELETE CASCADE,
    is_header         BOOLEAN NOT NULL DEFAULT false,
    chat_id           TEXT NOT NULL,
    message_ids       BIGINT[] NOT NULL,
    button_message_id BIGINT NOT NULL DEFAULT 0,
    content           TEXT NOT NULL,
    posted_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX channel_posts_item ON channel_posts (week_id, item_id) WHERE item_id IS NOT NULL;
CREATE UNIQUE INDEX channel_posts_header ON channel_posts (week_id) WHERE is_header;

-- The weekly rule: publish and close at these local times (SHOP_TIMEZONE) every week.
CREATE TABLE schedule_rule (
    id             INT PRIMARY KEY CHECK (id = 1),
    publish_dow    INT NOT NULL CHECK (publish_dow BETWEEN 0 AND 6),
    publish_minute INT NOT NULL CHECK (publish_minute BETWEEN 0 AND 1439),
    close_dow      INT NOT NULL CHECK (close_dow BETWEEN 0 AND 6),
    close_minute   INT NOT NULL CHECK (close_minute BETWEEN 0 AND 1439),
    updated_by     BIGINT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE schedule_rule;
DROP TABLE channel_posts;
DROP TABLE variants;
DROP TABLE item_photos;
DROP TABLE items;
DROP TABLE weeks;
