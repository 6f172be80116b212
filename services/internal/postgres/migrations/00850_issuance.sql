-- +goose Up
-- Unified issuance (7.6.7; services/internal/issuance).

-- One row per issued document. The PDF itself is in the owner's locker
-- (sealed, services/internal/locker); kept here is what verification needs:
-- the SM3 digest of the file with the issuing department's signature over it,
-- and the QR payload printed on it (whose digest pins the fields).
CREATE TABLE issuance_documents (
    asset_id       text        PRIMARY KEY,
    kind           text        NOT NULL,
    owner          text        NOT NULL,
    process        text        NOT NULL,
    issuer         text        NOT NULL,
    uscc           text        NOT NULL,
    company        text        NOT NULL,
    pdf_digest     text        NOT NULL UNIQUE,
    pdf_signature  text        NOT NULL,
    fields_digest  text        NOT NULL,
    payload        text        NOT NULL,
    issued_at      timestamptz NOT NULL,
    outbox_key     text        NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issuance_documents_process ON issuance_documents (process);

-- One row per process whose bundle was enqueued for approval.IssueBundle.
CREATE TABLE issuance_bundles (
    process     text        PRIMARY KEY,
    items       jsonb       NOT NULL,
    outbox_id   bigint      NOT NULL,
    outbox_key  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Who may issue and list documents: department systems and officers issue
-- their results, the window clerk issues bundles; supervisors read.
-- Verification is public and needs no permission.
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('department-system', 'issuance', 'read'),
    ('department-system', 'issuance', 'write'),
    ('officer', 'issuance', 'read'),
    ('officer', 'issuance', 'write'),
    ('clerk', 'issuance', 'read'),
    ('clerk', 'issuance', 'write'),
    ('supervisor', 'issuance', 'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource = 'issuance';
DROP TABLE issuance_bundles;
DROP TABLE issuance_documents;
