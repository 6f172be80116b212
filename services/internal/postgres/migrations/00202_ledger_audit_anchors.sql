-- +goose Up
-- Audit-log heads each member anchored on chain (subject.AnchorAudit, 8.2 d),
-- projected like every other chain record.
CREATE TABLE ledger_audit_anchors (
    id           text        PRIMARY KEY,
    member       text        NOT NULL,
    seq          bigint      NOT NULL,
    record       jsonb       NOT NULL,
    block_number bigint      NOT NULL,
    tx_id        text        NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_audit_anchors_member ON ledger_audit_anchors (member, seq);

-- +goose Down
DROP TABLE ledger_audit_anchors;
