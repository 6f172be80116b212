-- +goose Up
-- Establishment applications accepted at the window (7.6.1), package
-- acceptance. Personal data (legal representative, shareholders) is sealed
-- with pii (SM4-GCM bound to column and row) and the legal representative's
-- ID number is found again through its HMAC-SM3 blind index. The row is
-- written in the transaction that enqueues approval.StartProcess
-- (start_write is that outbox key); the process's state is read from the
-- projection (ledger_processes, ledger_steps), never copied here.
CREATE TABLE acceptance_applications (
    id                   text PRIMARY KEY,
    item                 text NOT NULL,
    definition_version   integer NOT NULL,
    definition_digest    text NOT NULL,
    applicant            text NOT NULL,
    name                 text NOT NULL,
    enterprise_type      text NOT NULL,
    registered_capital   numeric(15, 2) NOT NULL CHECK (registered_capital > 0),
    address              jsonb NOT NULL,
    business_scope       text NOT NULL,
    legal_rep_name       bytea NOT NULL,
    legal_rep_id         bytea NOT NULL,
    legal_rep_id_index   text NOT NULL,
    legal_rep_phone      bytea,
    shareholders         bytea NOT NULL,
    services             text[] NOT NULL,
    steps                jsonb NOT NULL,
    materials            jsonb NOT NULL,
    start_write          text NOT NULL,
    accepted_by          text NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (item, definition_version) REFERENCES registry_definitions (item, version)
);
CREATE INDEX acceptance_applications_created ON acceptance_applications (created_at DESC, id DESC);
CREATE INDEX acceptance_applications_applicant ON acceptance_applications (applicant);
CREATE INDEX acceptance_applications_legal_rep ON acceptance_applications (legal_rep_id_index);

-- +goose Down
DROP TABLE acceptance_applications;
