-- +goose Up
-- Ledger projection (DESIGN §4, package projection): the chain's records as
-- their chaincode events carry them, for the queries LevelDB state cannot
-- answer. Each record table keeps the indexed columns queries filter on and
-- the whole record as `record` (the model type's JSON), with the block and
-- transaction of the last event that changed it. The chain is the truth; these
-- tables can be dropped and rebuilt by replaying the events from block 0.

-- Where each chaincode's event stream has been projected up to, with
-- fabric-gateway's checkpointer semantics: the block in which the next event
-- is expected and the last transaction of that block already projected. It is
-- written in the same transaction as the projected rows.
CREATE TABLE ledger_checkpoints (
    channel      text        NOT NULL,
    chaincode    text        NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (channel, chaincode)
);

-- Every projected event, once (a transaction has at most one chaincode event).
-- problem says why an event could not be applied to the record tables (an
-- unknown name, a payload that is not the expected record); such an event is
-- kept here and skipped rather than stopping the projection.
CREATE TABLE ledger_events (
    tx_id        text        PRIMARY KEY,
    channel      text        NOT NULL,
    chaincode    text        NOT NULL,
    block_number bigint      NOT NULL,
    event_name   text        NOT NULL,
    payload      jsonb,
    problem      text,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_events_chaincode_block ON ledger_events (chaincode, block_number);
CREATE INDEX ledger_events_problems ON ledger_events (projected_at) WHERE problem IS NOT NULL;

-- subject chaincode
CREATE TABLE ledger_members (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL,
    department   text,
    status       text        NOT NULL,
    permissions  text[]      NOT NULL DEFAULT '{}',
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_nodes (
    id           text        PRIMARY KEY,
    member       text        NOT NULL,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_nodes_member ON ledger_nodes (member);

CREATE TABLE ledger_subjects (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL,
    status       text        NOT NULL,
    sponsor      text        NOT NULL,
    permissions  text[]      NOT NULL DEFAULT '{}',
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_subjects_status ON ledger_subjects (status, kind);

-- asset chaincode
CREATE TABLE ledger_asset_types (
    code         text        PRIMARY KEY,
    status       text        NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_assets (
    id           text        PRIMARY KEY,
    type         text        NOT NULL,
    owner        text        NOT NULL,
    issuer       text        NOT NULL,
    status       text        NOT NULL,
    business_key text        NOT NULL,
    created_at   timestamptz NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_assets_owner ON ledger_assets (owner, type);
CREATE INDEX ledger_assets_issuer ON ledger_assets (issuer, created_at);
CREATE INDEX ledger_assets_status ON ledger_assets (status) WHERE status <> 'available';

-- authorization chaincode
CREATE TABLE ledger_grants (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL,
    asset        text        NOT NULL,
    grantor      text        NOT NULL,
    grantee      text        NOT NULL,
    status       text        NOT NULL,
    expires_at   timestamptz NOT NULL,
    request      text,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_grants_asset ON ledger_grants (asset);
CREATE INDEX ledger_grants_grantee ON ledger_grants (grantee, status);
CREATE INDEX ledger_grants_grantor ON ledger_grants (grantor, status);

CREATE TABLE ledger_auth_codes (
    id           text        PRIMARY KEY,
    asset        text        NOT NULL,
    owner        text        NOT NULL,
    status       text        NOT NULL,
    expires_at   timestamptz NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_auth_codes_asset ON ledger_auth_codes (asset);

CREATE TABLE ledger_access_records (
    id           text        PRIMARY KEY,
    asset        text        NOT NULL,
    accessor     text        NOT NULL,
    action       text        NOT NULL,
    at           timestamptz NOT NULL,
    grant_id     text,
    auth_code    text,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_access_records_asset ON ledger_access_records (asset, at);
CREATE INDEX ledger_access_records_accessor ON ledger_access_records (accessor, at);

CREATE TABLE ledger_access_requests (
    id           text        PRIMARY KEY,
    asset        text        NOT NULL,
    owner        text        NOT NULL,
    requester    text        NOT NULL,
    status       text        NOT NULL,
    due_at       timestamptz NOT NULL,
    grant_id     text,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_access_requests_owner ON ledger_access_requests (owner, status, due_at);
CREATE INDEX ledger_access_requests_requester ON ledger_access_requests (requester, status);

-- approval chaincode
CREATE TABLE ledger_processes (
    id           text        PRIMARY KEY,
    item         text        NOT NULL,
    applicant    text        NOT NULL,
    sponsor      text        NOT NULL,
    status       text        NOT NULL,
    created_at   timestamptz NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_processes_applicant ON ledger_processes (applicant);
CREATE INDEX ledger_processes_status ON ledger_processes (status, created_at);

-- A step's record is the model.StepView the chain last showed: for a pending
-- step, ready, readyAt and deadline as computed when it was read.
CREATE TABLE ledger_steps (
    process      text        NOT NULL,
    step_key     text        NOT NULL,
    department   text        NOT NULL,
    status       text        NOT NULL,
    ready        boolean     NOT NULL,
    overdue      boolean     NOT NULL,
    deadline     timestamptz,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (process, step_key)
);
CREATE INDEX ledger_steps_queue ON ledger_steps (department, status, deadline);

CREATE TABLE ledger_interventions (
    id           text        PRIMARY KEY,
    process      text        NOT NULL,
    step_key     text        NOT NULL,
    action       text        NOT NULL,
    at           timestamptz NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_interventions_process ON ledger_interventions (process, step_key, at);

CREATE TABLE ledger_bundles (
    process      text        PRIMARY KEY,
    owner        text        NOT NULL,
    at           timestamptz NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_bundles_owner ON ledger_bundles (owner);

-- +goose Down
DROP TABLE ledger_bundles;
DROP TABLE ledger_interventions;
DROP TABLE ledger_steps;
DROP TABLE ledger_processes;
DROP TABLE ledger_access_requests;
DROP TABLE ledger_access_records;
DROP TABLE ledger_auth_codes;
DROP TABLE ledger_grants;
DROP TABLE ledger_assets;
DROP TABLE ledger_asset_types;
DROP TABLE ledger_subjects;
DROP TABLE ledger_nodes;
DROP TABLE ledger_members;
DROP TABLE ledger_events;
DROP TABLE ledger_checkpoints;
