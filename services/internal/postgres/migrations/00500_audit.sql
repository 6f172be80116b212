-- +goose Up
-- The security audit log (DB37/T 4431-2021 8.2 d, GB/T 22239 安全审计): one
-- row per API call and per recorded data access or security event, chained
-- with SM3 and keyed with HMAC-SM3, its head anchored on chain. Owned by
-- services/internal/audit; the design is in docs/security.md.
CREATE TABLE audit_log (
    seq         bigint PRIMARY KEY CHECK (seq > 0),
    at          timestamptz NOT NULL,
    actor_kind  text NOT NULL,
    actor_id    text NOT NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    resource    text NOT NULL,
    result      text NOT NULL,
    status      integer NOT NULL,
    source      text NOT NULL,
    request_id  text NOT NULL,
    -- JSON kept as text: the chain hashes these exact bytes, and jsonb would
    -- reorder keys.
    detail      text NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL,
    mac         text NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_request ON audit_log (request_id) WHERE request_id <> '';

-- The log is append-only for the application: rows are never updated or
-- deleted. (Someone with the rights to drop this trigger can still tamper;
-- that is what the chain, the MAC and the anchors detect.)
-- +goose StatementBegin
CREATE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Chain heads anchored on the ledger: (seq, head) as submitted, and the
-- transaction that carried them.
CREATE TABLE audit_anchors (
    seq          bigint PRIMARY KEY,
    head         text NOT NULL,
    tx_id        text NOT NULL,
    anchored_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE audit_anchors;
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only();
