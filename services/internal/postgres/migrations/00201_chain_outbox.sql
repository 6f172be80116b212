-- +goose Up
-- Chain outbox (package outbox): writes the chain must receive, inserted in
-- the same transaction as the business change that needs them and submitted by
-- a River job. The state machine is in the package documentation.
CREATE TABLE chain_outbox (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The caller's idempotency key: enqueueing the same write under the same
    -- key again finds this row instead of adding one.
    key          text        NOT NULL UNIQUE,
    -- Who submits (a chain identity reference, "MSPID" or "MSPID/name") and what.
    identity     text        NOT NULL,
    chaincode    text        NOT NULL,
    function     text        NOT NULL,
    args         jsonb       NOT NULL,
    -- Transient data (secrets such as authorization codes), SM4-GCM sealed
    -- under the outbox key with the row's key as additional data; erased when
    -- the write is done or failed. Never stored in clear.
    transient    bytea,
    has_transient boolean    NOT NULL DEFAULT false,
    -- HMAC-SM3 of the write under the outbox key, to tell an identical
    -- re-enqueue from a different write reusing a key.
    digest       text        NOT NULL,
    -- Writes sharing a lane reach the chain in the order they were enqueued.
    lane         text,
    status       text        NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'submitting', 'done', 'failed')),
    attempts     integer     NOT NULL DEFAULT 0,
    -- The transaction in flight (submitting) or committed (done), and the
    -- endorsed transaction itself while its outcome is unknown.
    tx_id        text,
    envelope     bytea,
    block_number bigint,
    result       bytea,
    last_error   text,
    -- The chaincode's model code when it refused the write (DENIED, ...).
    error_code   text,
    job_id       bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'submitting') = (envelope IS NOT NULL) OR status = 'failed')
);
CREATE INDEX chain_outbox_lane ON chain_outbox (lane, id) WHERE lane IS NOT NULL AND status <> 'done';
CREATE INDEX chain_outbox_open ON chain_outbox (status, updated_at) WHERE status <> 'done';

-- +goose Down
DROP TABLE chain_outbox;
