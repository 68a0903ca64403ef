-- +goose Up
-- What the customer gave at their last checkout, offered again next time.
ALTER TABLE customers
    ADD COLUMN delivery_name    TEXT NOT NULL DEFAULT '',
    ADD COLUMN delivery_address TEXT NOT NULL DEFAULT '';

CREATE TABLE orders (
    id               BIGSERIAL PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,
    customer_id      BIGINT NOT NULL REFERENCES customers (id),
    week_id          BIGINT NOT NULL REFERENCES weeks (id),
    status           TEXT NOT NULL CHECK (status IN ('awaiting_payment', 'receipt_submitted', 'paid',
                         'ready_for_pickup', 'shipped', 'completed', 'cancelled', 'expired')),
    currency         TEXT NOT NULL,
    total            BIGINT NOT NULL CHECK (total > 0),
    delivery         TEXT NOT NULL CHECK (delivery IN ('pickup', 'shipping')),
    recipient_name   TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    address          TEXT NOT NULL DEFAULT '',
    note             TEXT NOT NULL DEFAULT '',
    -- The same confirmation (a double tap, a redelivered update) never makes a second order.
    idempotency_key  TEXT NOT NULL UNIQUE,
    expires_at       TIMESTAMPTZ NOT NULL,
    reminded_at      TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer ON orders (customer_id, id DESC);
CREATE INDEX orders_awaiting ON orders (expires_at) WHERE status = 'awaiting_payment';

-- Lines keep the title, size and price of the moment of the order.
CREATE TABLE order_lines (
    id           BIGSERIAL PRIMARY KEY,
    order_id     BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    item_id      BIGINT NOT NULL REFERENCES items (id),
    variant_id   BIGINT NOT NULL REFERENCES variants (id),
    title        TEXT NOT NULL,
    variant_name TEXT NOT NULL,
    unit_price   BIGINT NOT NULL CHECK (unit_price > 0),
    quantity     INT NOT NULL CHECK (quantity > 0)
);
CREATE INDEX order_lines_order ON order_lines (order_id);

-- Every status change: who (a Telegram user id, 0 for the shop itself), when, from, to, why.
CREATE TABLE order_events (
    id          BIGSERIAL PRIMARY KEY,
    order_id    BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL,
    actor       BIGINT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- Payment receipts, kept by the shop; duplicate_of names another order that used the same picture.
CREATE TABLE receipts (
    id             BIGSERIAL PRIMARY KEY,
    order_id       BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    data           BYTEA NOT NULL,
    mime           TEXT NOT NULL,
    file_id        TEXT NOT NULL,
    file_unique_id TEXT NOT NULL,
    -- The same picture sent again is a new upload with a new file id: its hash tells.
    sha256         BYTEA NOT NULL,
    -- Sent as a file rather than a photo: it goes to the sellers the same way.
    as_document    BOOLEAN NOT NULL DEFAULT false,
    duplicate_of   BIGINT REFERENCES orders (id),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX receipts_file ON receipts (file_unique_id);
CREATE INDEX receipts_sha256 ON receipts (sha256);

-- Messages that must reach someone, written in the same transaction as what causes them
-- and delivered by the sender until Telegram takes them or the chat is gone.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    chat_id         BIGINT NOT NULL,
    kind            TEXT NOT NULL,
    order_id        BIGINT REFERENCES orders (id) ON DELETE SET NULL,
    text            TEXT NOT NULL,
    markup          JSONB,
    receipt_id      BIGINT REFERENCES receipts (id) ON DELETE SET NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_until   TIMESTAMPTZ,
    message_id      BIGINT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at         TIMESTAMPTZ
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE status = 'pending';

-- +goose Down
DROP TABLE outbox;
DROP TABLE receipts;
DROP TABLE order_events;
DROP TABLE order_lines;
DROP TABLE orders;
ALTER TABLE customers DROP COLUMN delivery_address, DROP COLUMN delivery_name;
