-- +goose Up
-- The item list (事项清单, 7.6.3) and the process definitions of its items
-- (7.5 c), package registry. A definition version is immutable: its body is
-- the canonical JSON whose SM3 is its digest (pinned on chain by
-- StartProcess), so the trigger refuses any UPDATE or DELETE.

-- Chain member (MSP ID) of each department that runs process steps.
CREATE TABLE registry_departments (
    code    text PRIMARY KEY REFERENCES identity_departments (code),
    member  text NOT NULL UNIQUE CHECK (member ~ '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$')
);
INSERT INTO registry_departments (code, member) VALUES
    ('market', 'MarketMSP'), ('seal', 'SealMSP'), ('social', 'SocialMSP'), ('medical', 'MedicalMSP'),
    ('housing-fund', 'HousingFundMSP'), ('bank', 'BankMSP'), ('tax', 'TaxMSP');

CREATE TABLE registry_items (
    code             text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9-]{1,39}$'),
    name             text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('licensing', 'confirmation', 'registration', 'public-service', 'other')),
    department       text NOT NULL,
    legal_basis      text NOT NULL,
    time_limit_days  integer NOT NULL CHECK (time_limit_days BETWEEN 1 AND 366),
    materials        jsonb NOT NULL DEFAULT '[]',
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE registry_definitions (
    item        text NOT NULL REFERENCES registry_items (code),
    version     integer NOT NULL CHECK (version >= 1),
    digest      text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text NOT NULL,
    PRIMARY KEY (item, version)
);

-- +goose StatementBegin
CREATE FUNCTION registry_definitions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'registry: definition % version % is immutable', OLD.item, OLD.version;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER registry_definitions_immutable BEFORE UPDATE OR DELETE ON registry_definitions
    FOR EACH ROW EXECUTE FUNCTION registry_definitions_immutable();

INSERT INTO registry_items (code, name, kind, department, legal_basis, time_limit_days, materials) VALUES
    ('establishment', '企业开办 Enterprise establishment', 'registration', 'market',
     '《中华人民共和国公司法》《中华人民共和国市场主体登记管理条例》; DB37/T 4431-2021', 1,
     '[{"code":"application-form","name":"企业开办申请表","required":true,"departments":["market"]},
       {"code":"legal-representative-id","name":"法定代表人身份证明","required":true,"assetType":"identity-card","departments":["market","seal","bank","tax"]},
       {"code":"shareholder-ids","name":"股东主体资格证明","required":true,"departments":["market"]},
       {"code":"articles-of-association","name":"公司章程","required":true,"assetType":"articles-of-association","departments":["market"]},
       {"code":"address-proof","name":"住所使用证明","required":true,"assetType":"address-proof","departments":["market"]},
       {"code":"business-licence","name":"营业执照","required":false,"assetType":"business-licence","departments":["seal","social","medical","housing-fund","bank","tax"]}]');

INSERT INTO registry_definitions (item, version, digest, body, created_by) VALUES
    ('establishment', 1, '78405684c743fe208f07c369ca611edf4479d56ad377cb5dd9f383a401e94d20',
     '{"item":"establishment","steps":[{"key":"licence","name":"营业执照 business licence","department":"market","limitSeconds":28800,"inputs":["application-form","legal-representative-id","shareholder-ids","articles-of-association","address-proof"],"outputs":["business-licence"],"shared":["enterprise-basics"],"accumulated":["uscc","enterprise-basics","legal-representative"],"pushed":["application-form"]},{"key":"bank","name":"银行开户预约 bank account appointment","department":"bank","service":"bank","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["bank-account-appointment"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]},{"key":"housing-fund","name":"住房公积金开户 housing fund account","department":"housing-fund","service":"housing-fund","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["housing-fund-account"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]},{"key":"medical","name":"医保登记 medical insurance registration","department":"medical","service":"medical","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["medical-insurance-registration"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]},{"key":"seal","name":"印章刻制 seal engraving","department":"seal","service":"seal","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["seal-record"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]},{"key":"social","name":"社保登记 social security registration","department":"social","service":"social","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["social-security-registration"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]},{"key":"tax","name":"涉税办理 tax registration","department":"tax","service":"tax","dependsOn":["licence"],"limitSeconds":14400,"inputs":["business-licence","legal-representative-id"],"outputs":["tax-registration"],"shared":["enterprise-basics"],"pushed":["enterprise-basics","uscc","legal-representative"]}],"issuance":"unified"}', 'migration 00750');

-- Who may read and edit the registry (docs/security.md catalogue).
INSERT INTO identity_role_permissions (role, resource, action) VALUES
    ('sysadmin', 'registry', 'read'),
    ('sysadmin', 'registry', 'write'),
    ('clerk', 'registry', 'read'),
    ('officer', 'registry', 'read'),
    ('supervisor', 'registry', 'read'),
    ('regulator', 'registry', 'read'),
    ('department-system', 'registry', 'read');

-- +goose Down
DELETE FROM identity_role_permissions WHERE resource = 'registry';
DROP TABLE registry_definitions;
DROP FUNCTION registry_definitions_immutable();
DROP TABLE registry_items;
DROP TABLE registry_departments;
