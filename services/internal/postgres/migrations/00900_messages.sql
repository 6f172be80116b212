-- +goose Up
-- Point-to-point messages (DB37/T 4431-2021 7.4.4 e) between trusted subjects,
-- alliance members (departments, institutions) and users. A message is stored
-- before it is delivered, so a recipient that is not connected gets it on its
-- next connection; delivered_at and read_at are the delivery and read receipts.
CREATE TABLE messages (
    id             bigserial   PRIMARY KEY,
    sender_kind    text        NOT NULL,
    sender_id      text        NOT NULL,
    recipient_kind text        NOT NULL,
    recipient_id   text        NOT NULL,
    topic          text        NOT NULL,
    title          text        NOT NULL,
    body           text        NOT NULL,
    ref            text        NOT NULL DEFAULT '',
    dedup_key      text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    delivered_at   timestamptz,
    read_at        timestamptz,
    CHECK (sender_kind IN ('subject', 'member', 'user', 'system')),
    CHECK (recipient_kind IN ('subject', 'member', 'user'))
);
CREATE INDEX messages_inbox ON messages (recipient_kind, recipient_id, id);
CREATE INDEX messages_undelivered ON messages (recipient_kind, recipient_id, id) WHERE delivered_at IS NULL;
CREATE INDEX messages_outbox ON messages (sender_kind, sender_id, id);
CREATE UNIQUE INDEX messages_dedup ON messages (dedup_key) WHERE dedup_key IS NOT NULL;

-- +goose Down
DROP TABLE messages;
