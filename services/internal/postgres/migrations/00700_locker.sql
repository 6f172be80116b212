-- +goose Up
-- Locker (数字保险箱, DB37/T 4431-2021 7.6.2, A.5), package locker.

-- Every asset the platform put into a locker through locker.Issue: the sealed
-- content's place and the outbox write that carries the issue to the chain.
-- It makes Issue idempotent per asset and content: the same content again
-- returns the first issue instead of sealing it under a new data key, which
-- the chain would refuse as a conflict.
CREATE TABLE locker_issues (
    asset_id       text        PRIMARY KEY,
    asset_type     text        NOT NULL,
    owner          text        NOT NULL,
    issuer         text        NOT NULL,
    channel        text        NOT NULL,
    content_digest text        NOT NULL,
    cipher_digest  text        NOT NULL,
    issue          jsonb       NOT NULL,
    signature      text        NOT NULL,
    outbox_id      bigint      NOT NULL,
    outbox_key     text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX locker_issues_owner ON locker_issues (owner, asset_type);

-- +goose Down
DROP TABLE locker_issues;
