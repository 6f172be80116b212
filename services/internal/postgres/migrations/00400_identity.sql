-- +goose Up
-- Identity and access (DB37/T 4431-2021 7.6.4, 8.1 b): departments, positions,
-- users, roles and permissions; sessions, login throttling, TOTP recovery
-- codes; API clients of department systems (7.7, A.3) and their credentials.
-- Owned by services/internal/identity; the security design is docs/security.md.

CREATE TABLE identity_departments (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text NOT NULL CHECK (kind IN ('operator', 'department', 'other')),
    disabled    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- The seven department systems of clause 7.7 (codes of chaincode/model) and
-- the platform operator (联盟链建设方 of Annex A).
INSERT INTO identity_departments (code, name, kind) VALUES
    ('operator',     '平台运营方',         'operator'),
    ('market',       '市场监管（营业执照）', 'department'),
    ('seal',         '公安（印章刻制）',     'department'),
    ('social',       '人社（社保登记）',     'department'),
    ('medical',      '医保（医保登记）',     'department'),
    ('housing-fund', '住房公积金',         'department'),
    ('bank',         '银行（开户预约）',     'department'),
    ('tax',          '税务（涉税办理）',     'department');

CREATE TABLE identity_positions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    department_code  text NOT NULL REFERENCES identity_departments (code),
    code             text NOT NULL CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (department_code, code)
);

CREATE TABLE identity_users (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    login                 text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
    -- The display name is personal information: SM4-GCM sealed (package pii).
    name_sealed           bytea NOT NULL,
    department_code       text NOT NULL REFERENCES identity_departments (code),
    disabled              boolean NOT NULL DEFAULT false,
    password_hash         text NOT NULL,
    password_changed_at   timestamptz NOT NULL DEFAULT now(),
    must_change_password  boolean NOT NULL DEFAULT true,
    failed_logins         integer NOT NULL DEFAULT 0,
    locked_until          timestamptz,
    totp_secret_sealed    bytea,
    totp_enabled          boolean NOT NULL DEFAULT false,
    totp_last_step        bigint NOT NULL DEFAULT 0,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity_user_positions (
    user_id      uuid NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    position_id  uuid NOT NULL REFERENCES identity_positions (id),
    PRIMARY KEY (user_id, position_id)
);

CREATE TABLE identity_password_history (
    user_id     uuid NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    hash        text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_password_history_user ON identity_password_history (user_id, changed_at DESC);

-- admin_kind marks the three separated administrator roles (三员分立):
-- system (系统管理员), security (安全管理员), audit (审计管理员).
CREATE TABLE identity_roles (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9-]{1,39}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    builtin     boolean NOT NULL DEFAULT false,
    admin_kind  text UNIQUE CHECK (admin_kind IN ('system', 'security', 'audit')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE identity_role_permissions (
    role      text NOT NULL REFERENCES identity_roles (name) ON DELETE CASCADE,
    resource  text NOT NULL CHECK (resource ~ '^([a-z][a-z0-9.-]{0,63}|\*)$'),
    action    text NOT NULL CHECK (action ~ '^([a-z][a-z0-9-]{0,31}|\*)$'),
    PRIMARY KEY (role, resource, action)
);

CREATE TABLE identity_user_roles (
    user_id     uuid NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    role        text NOT NULL REFERENCES identity_roles (name),
    granted_by  uuid REFERENCES identity_users (id),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);

-- Separation of duties, enforced by the database as well as by the service:
-- no user holds two of the three administrator roles, whatever writes the row.
-- +goose StatementBegin
CREATE FUNCTION identity_separate_admin_roles() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    new_kind text;
    held     text;
BEGIN
    SELECT admin_kind INTO new_kind FROM identity_roles WHERE name = NEW.role;
    IF new_kind IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM identity_users WHERE id = NEW.user_id FOR UPDATE;
    SELECT r.admin_kind INTO held
      FROM identity_user_roles ur JOIN identity_roles r ON r.name = ur.role
     WHERE ur.user_id = NEW.user_id AND r.admin_kind IS NOT NULL AND r.admin_kind <> new_kind
     LIMIT 1;
    IF held IS NOT NULL THEN
        RAISE EXCEPTION 'separation of duties: user % already holds the % administrator role', NEW.user_id, held
            USING ERRCODE = 'check_violation', CONSTRAINT = 'identity_separate_admin_roles';
    END IF;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER identity_separate_admin_roles BEFORE INSERT OR UPDATE ON identity_user_roles
    FOR EACH ROW EXECUTE FUNCTION identity_separate_admin_roles();

CREATE TABLE identity_sessions (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- SM3 of the opaque token: a leaked table yields no usable session.
    token_hash    text NOT NULL UNIQUE,
    user_id       uuid NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    source        text NOT NULL DEFAULT '',
    user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX identity_sessions_user ON identity_sessions (user_id) WHERE revoked_at IS NULL;

-- Failed logins per source address, in fixed windows.
CREATE TABLE identity_login_sources (
    source         text PRIMARY KEY,
    window_start   timestamptz NOT NULL,
    failures       integer NOT NULL,
    blocked_until  timestamptz
);

CREATE TABLE identity_recovery_codes (
    user_id    uuid NOT NULL REFERENCES identity_users (id) ON DELETE CASCADE,
    code_mac   text NOT NULL,
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_mac)
);

-- Department systems and ISVs (A.3): apply → review → credentials → revoke.
CREATE TABLE identity_clients (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    department_code  text NOT NULL REFERENCES identity_departments (code),
    vendor           text NOT NULL DEFAULT '',
    purpose          text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 2000),
    status           text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    applied_by       uuid REFERENCES identity_users (id),
    applied_at       timestamptz NOT NULL DEFAULT now(),
    reviewed_by      uuid REFERENCES identity_users (id),
    reviewed_at      timestamptz,
    review_note      text NOT NULL DEFAULT ''
);

CREATE TABLE identity_client_roles (
    client_id  uuid NOT NULL REFERENCES identity_clients (id) ON DELETE CASCADE,
    role       text NOT NULL REFERENCES identity_roles (name),
    PRIMARY KEY (client_id, role)
);

CREATE TABLE identity_credentials (
    id             text PRIMARY KEY,
    client_id      uuid NOT NULL REFERENCES identity_clients (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('hmac-sm3', 'sm2', 'mtls')),
    -- hmac-sm3: the shared secret, SM4-GCM sealed; sm2: the PEM public key;
    -- mtls: the SM3 fingerprint of the pinned certificate.
    secret_sealed  bytea,
    public_key     text,
    fingerprint    text UNIQUE,
    not_after      timestamptz,
    created_by     uuid REFERENCES identity_users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    CHECK ((kind = 'hmac-sm3') = (secret_sealed IS NOT NULL)),
    CHECK ((kind = 'sm2') = (public_key IS NOT NULL)),
    CHECK ((kind = 'mtls') = (fingerprint IS NOT NULL))
);
CREATE INDEX identity_credentials_client ON identity_credentials (client_id);

-- Nonces of signed requests seen inside the timestamp window (replay cache).
CREATE TABLE identity_nonces (
    credential_id  text NOT NULL,
    nonce          text NOT NULL,
    expires_at     timestamptz NOT NULL,
    PRIMARY KEY (credential_id, nonce)
);
CREATE INDEX identity_nonces_expiry ON identity_nonces (expires_at);

-- +goose Down
DROP TABLE identity_nonces;
DROP TABLE identity_credentials;
DROP TABLE identity_client_roles;
DROP TABLE identity_clients;
DROP TABLE identity_recovery_codes;
DROP TABLE identity_login_sources;
DROP TABLE identity_sessions;
DROP TRIGGER identity_separate_admin_roles ON identity_user_roles;
DROP FUNCTION identity_separate_admin_roles();
DROP TABLE identity_user_roles;
DROP TABLE identity_role_permissions;
DROP TABLE identity_roles;
DROP TABLE identity_password_history;
DROP TABLE identity_user_positions;
DROP TABLE identity_users;
DROP TABLE identity_positions;
DROP TABLE identity_departments;
