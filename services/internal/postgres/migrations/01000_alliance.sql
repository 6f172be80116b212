-- +goose Up
-- The smart-contract registry (7.4.3 e, 7.6.5; package alliance): each
-- chaincode version's business definition and its lifecycle
-- submitted → approved/rejected → testing → production (→ superseded by the
-- next version in production) or abolished. The chain itself runs the
-- chaincodes; this table is the platform's record of what was defined,
-- reviewed and deployed, by whom, and why. history holds every transition
-- as {at, by, action, note}.
CREATE TABLE alliance_contracts (
    id             bigserial   PRIMARY KEY,
    chaincode      text        NOT NULL,
    version        text        NOT NULL,
    name           text        NOT NULL,
    purpose        text        NOT NULL,
    asset_types    text[]      NOT NULL DEFAULT '{}',
    package_digest text        NOT NULL,
    status         text        NOT NULL CHECK (status IN
                   ('submitted', 'approved', 'rejected', 'testing', 'production', 'superseded', 'abolished')),
    submitted_by   text        NOT NULL,
    reviewed_by    text,
    review_note    text,
    history        jsonb       NOT NULL DEFAULT '[]',
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (chaincode, version)
);
-- At most one version of a chaincode is in production.
CREATE UNIQUE INDEX alliance_contracts_production ON alliance_contracts (chaincode) WHERE status = 'production';

-- Who administers the alliance (x-kaiban-permission alliance:*, 7.4.2 a/c/g):
-- the system administrator runs the platform (members, nodes, contracts,
-- asset types) and reviews (a contract's reviewer must be another person than
-- its submitter, checked by package alliance); the supervisor and the
-- regulator read.
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('sysadmin', 'alliance', 'read'),
    ('sysadmin', 'alliance', 'write'),
    ('sysadmin', 'alliance', 'review'),
    ('sysadmin', 'alliance.ops', 'read'),
    ('supervisor', 'alliance', 'read'),
    ('regulator', 'alliance', 'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource IN ('alliance', 'alliance.ops');
DROP TABLE alliance_contracts;
